/**
 * The Node app with a prebuilt native addon that test/e2e/build-native-addon.test.ts builds, and
 * that setup (scripts/prepare-test-images.ts) resolves once through the recording mirror: sharp,
 * whose per-platform optional dependencies bring sharp-linux-x64.node and the libvips it loads
 * through an $ORIGIN RUNPATH.
 */
export const NATIVE_ADDON_PACKAGE = {
  name: 'thumbs',
  version: '1.0.0',
  private: true,
  main: 'server.js',
  scripts: { start: 'node server.js' },
  dependencies: { sharp: '0.33.5' },
};
