/**
 * The resolver over small synthetic indexes: closure and order, alternatives, version
 * constraints, virtual packages, architecture handling, excludes, and the errors a user sees.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseControl } from '../../src/debian/control.ts';
import { entryFromFields, PackageIndex } from '../../src/debian/packages.ts';
import { resolve, type Resolution } from '../../src/debian/resolver.ts';
import { DistillError } from '../../src/util/errors.ts';

/** An index from short stanzas; Filename/Size/SHA256 are filled in. */
function index(text: string): PackageIndex {
  const idx = new PackageIndex();
  for (const p of parseControl(text)) {
    const name = p.Package;
    p.Architecture ??= 'amd64';
    p.Filename = `pool/main/${name}_${p.Version}_${p.Architecture}.deb`;
    p.Size = '100';
    p.SHA256 = '0'.repeat(64);
    idx.add(entryFromFields(p, 'http://127.0.0.1:9/debian', 'test')!);
  }
  return idx;
}

const names = (r: Resolution) => r.packages.map((p) => `${p.entry.name}=${p.entry.version}`);

const BASE = `
Package: libc6
Version: 2.36-9
Depends: libgcc-s1
Recommends: libidn2-0

Package: libgcc-s1
Version: 12.2.0-14
Depends: gcc-12-base (= 12.2.0-14), libc6 (>= 2.35)

Package: gcc-12-base
Version: 12.2.0-14

Package: libidn2-0
Version: 2.3.3-1

Package: libssl3
Version: 3.0.11-1
Pre-Depends: libc6 (>= 2.34)

Package: tzdata
Version: 2024a-1
Architecture: all
Depends: debconf (>= 0.5) | debconf-2.0

Package: debconf
Version: 1.5.82
Architecture: all
Provides: debconf-2.0

Package: cdebconf
Version: 0.270
Provides: debconf-2.0
`;

test('closure follows Depends and Pre-Depends, not Recommends; output sorted with chains', () => {
  const r = resolve(index(BASE), { packages: ['libssl3'] });
  assert.deepEqual(names(r), ['gcc-12-base=12.2.0-14', 'libc6=2.36-9', 'libgcc-s1=12.2.0-14', 'libssl3=3.0.11-1']);
  assert.deepEqual(r.packages.find((p) => p.entry.name === 'gcc-12-base')!.chain, ['libssl3', 'libc6', 'libgcc-s1', 'gcc-12-base']);
  assert.ok(!names(r).some((n) => n.startsWith('libidn2')), 'Recommends are not installed');
});

test('the result does not depend on the order of the roots', () => {
  const idx = index(BASE);
  const a = resolve(idx, { packages: ['tzdata', 'libssl3'] });
  const b = resolve(idx, { packages: ['libssl3'], add: ['tzdata'] });
  assert.deepEqual(names(a), names(b));
});

test('an alternative that is already selected wins over the first one', () => {
  const idx = index(BASE);
  const r = resolve(idx, { packages: ['cdebconf', 'tzdata'] });
  assert.deepEqual(names(r), ['cdebconf=0.270', 'tzdata=2024a-1']);
  const r2 = resolve(idx, { packages: ['tzdata'] });
  assert.deepEqual(names(r2), ['debconf=1.5.82', 'tzdata=2024a-1']);
});

test('excluded packages are not installed, satisfy what needs them, and are reported', () => {
  const r = resolve(index(BASE), { packages: ['tzdata', 'libc6'], exclude: ['debconf', 'libgcc-s1'] });
  // Not cdebconf either: with debconf excluded, `debconf | debconf-2.0` counts as met.
  assert.deepEqual(names(r), ['libc6=2.36-9', 'tzdata=2024a-1']);
  assert.deepEqual(r.excluded, [
    { name: 'debconf', wantedBy: ['tzdata'] },
    { name: 'libgcc-s1', wantedBy: ['libc6'] },
  ]);
  assert.throws(() => resolve(index(BASE), { packages: ['tzdata'], exclude: ['tzdata'] }), /both requested and excluded/);
});

const VERSIONS = `
Package: libx
Version: 2.0-1

Package: libx
Version: 1.5-1

Package: libx
Version: 1:0.9-1

Package: old-app
Version: 1
Depends: libx (<< 2.0)

Package: exact-app
Version: 1
Depends: libx (= 1.5-1)

Package: new-app
Version: 1
Depends: libx (>= 1:0)
`;

test('version constraints pick the highest version that satisfies them (epochs count)', () => {
  const idx = index(VERSIONS);
  // 1:0.9-1 is the highest (epoch 1), but it is not << 2.0.
  assert.deepEqual(names(resolve(idx, { packages: ['old-app'] })), ['libx=1.5-1', 'old-app=1']);
  assert.deepEqual(names(resolve(idx, { packages: ['exact-app'] })), ['exact-app=1', 'libx=1.5-1']);
  assert.deepEqual(names(resolve(idx, { packages: ['new-app'] })), ['libx=1:0.9-1', 'new-app=1']);
  assert.deepEqual(names(resolve(idx, { packages: ['libx=1.5-1'] })), ['libx=1.5-1']);
});

test('a constraint the already-selected version breaks is an error naming the chain', () => {
  const idx = index(VERSIONS + '\nPackage: top\nVersion: 1\nDepends: mid\n\nPackage: mid\nVersion: 1\nDepends: libx (<< 1.0)\n');
  assert.throws(
    () => resolve(idx, { packages: ['top'] }),
    (e: unknown) =>
      e instanceof DistillError && e.input === 'top -> mid' && /unsatisfiable dependency libx \(<< 1.0\): libx has only 1:0.9-1, 2.0-1, 1.5-1/.test(e.message),
  );
  assert.throws(
    () => resolve(idx, { packages: ['libx', 'exact-app'] }),
    (e: unknown) => e instanceof DistillError && e.input === 'exact-app' && /libx 1:0.9-1 is already selected \(via libx\)/.test(e.message),
  );
});

const VIRTUAL = `
Package: postfix
Version: 3.7
Provides: mail-transport-agent

Package: exim4
Version: 4.96
Provides: mail-transport-agent

Package: mailer
Version: 1
Depends: mail-transport-agent

Package: py
Version: 3.11
Provides: python3-abi (= 3.11), python3-any

Package: needs-abi
Version: 1
Depends: python3-abi (>= 3.10)

Package: needs-new-abi
Version: 1
Depends: python3-abi (>= 3.12)

Package: needs-any
Version: 1
Depends: python3-any (>= 3)
`;

test('virtual packages resolve through Provides, deterministically; versioned Provides count', () => {
  const idx = index(VIRTUAL);
  assert.deepEqual(names(resolve(idx, { packages: ['mailer'] })), ['exim4=4.96', 'mailer=1']);
  assert.deepEqual(names(resolve(idx, { packages: ['postfix', 'mailer'] })), ['mailer=1', 'postfix=3.7']);
  assert.deepEqual(names(resolve(idx, { packages: ['needs-abi'] })), ['needs-abi=1', 'py=3.11']);
  assert.throws(() => resolve(idx, { packages: ['needs-new-abi'] }), /unsatisfiable dependency python3-abi \(>= 3.12\)/);
  // An unversioned Provides never satisfies a versioned dependency.
  assert.throws(() => resolve(idx, { packages: ['needs-any'] }), /unsatisfiable dependency python3-any \(>= 3\)/);
  assert.throws(
    () => resolve(idx, { packages: ['mail-transport-agent'] }),
    (e: unknown) => e instanceof DistillError && /virtual package; name one of its providers: exim4, postfix/.test(e.message),
  );
});

const ARCH = `
Package: libfoo
Version: 1
Architecture: i386

Package: libfoo
Version: 0.9
Architecture: amd64

Package: python3
Version: 3.11
Multi-Arch: allowed

Package: tool
Version: 1
Depends: python3:any (>= 3.9), libfoo, only-on-arm [arm64], not-on-amd64 [!amd64], bar:i386 | libfoo

Package: gone-alt
Version: 1
Depends: missing-pkg | libfoo
`;

test('architecture: foreign packages are skipped, :any is ours, restriction lists apply', () => {
  const idx = index(ARCH);
  assert.deepEqual(names(resolve(idx, { packages: ['tool'] })), ['libfoo=0.9', 'python3=3.11', 'tool=1']);
  assert.deepEqual(names(resolve(idx, { packages: ['gone-alt'] })), ['gone-alt=1', 'libfoo=0.9']);
  assert.throws(() => resolve(idx, { packages: ['libfoo=1'] }), /no such version for amd64; available: 1 \(i386\), 0.9 \(amd64\)/);
});

test('unknown packages are errors naming what was asked for', () => {
  const idx = index(BASE + '\nPackage: broken\nVersion: 1\nDepends: libc6, nowhere-to-be-found\n');
  assert.throws(() => resolve(idx, { packages: ['no-such-thing'] }), (e: unknown) => e instanceof DistillError && e.input === 'no-such-thing' && /no such package/.test(e.message));
  assert.throws(
    () => resolve(idx, { packages: ['broken'] }),
    (e: unknown) => e instanceof DistillError && e.input === 'broken' && /nowhere-to-be-found is not in the archive/.test(e.message),
  );
});
