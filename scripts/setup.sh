#!/usr/bin/env bash
# Installs everything distill's tests and demo need on a fresh Debian machine: the runtimes used as
# independent oracles (podman with runc, skopeo, umoci, Debian's docker-registry, mmdebstrap) and the
# npm dependencies. Safe to run again; apt-get is skipped when everything is already there.
set -euo pipefail
cd "$(dirname "$0")/.."
need=()
for pkg in podman runc skopeo umoci docker-registry mmdebstrap uidmap busybox-static apache2-utils time zstd rpm python3-packaging python3-apt python3-wheel python3-setuptools python3-dev xz-utils dpkg-dev gcc g++ libc6-dev chromium golang-go openjdk-17-jdk-headless; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${need[@]}"
fi
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
# The compiled CLI starts in a fraction of the time tsx needs; bin/distill.js uses it while it is
# newer than every source file and falls back to the sources otherwise.
npm run -s build
# --tests: also fetch what the tests need from the network, since the tests themselves talk to
# loopback only: the toolchain images the e2e tests build with (test-output/builders/), the fat
# Debian image (test-output/debian-rootfs/), and a recording of the Debian archive and npm registry
# files distill reads in the tests (test-output/mirror/), which the tests replay on loopback.
if [ "${1:-}" = "--tests" ]; then
  node --import tsx scripts/prepare-test-images.ts
fi
