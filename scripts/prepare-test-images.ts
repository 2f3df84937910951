/**
 * Setup, not test: assembles the local toolchain ("builder") images the e2e tests build with
 * (test/helpers/builders.ts) from the Debian mirror in this machine's apt sources and npm's
 * registry, into test-output/builders/. The tests then read only those layouts, since tests talk
 * to loopback only. Run by scripts/setup.sh; does nothing for layouts already there.
 */
import { BUILDERS, prepareBuilderLayout, type BuilderKind } from '../test/helpers/builders.ts';

for (const kind of Object.keys(BUILDERS) as BuilderKind[]) {
  const t0 = Date.now();
  const layout = await prepareBuilderLayout(kind);
  console.log(`builder ${kind}: ${layout} (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
}
