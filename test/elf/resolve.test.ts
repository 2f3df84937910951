/**
 * ld.so's search replayed over a filesystem view: the order of RPATH, LD_LIBRARY_PATH, RUNPATH,
 * ld.so.conf and the default directories, $ORIGIN, symlinks, candidates of the wrong class
 * skipped, and the verdicts resolved / missing / too old.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ldSoConfDirs, realPath, Resolver, type ElfObject, type FsView, type ViewNode } from '../../src/elf/index.ts';

type Spec = Partial<ElfObject> & { path: string };

/** A view over files and links given as a table; ELF objects default to 64-bit x86-64. */
function view(files: (Spec | { path: string; link: string } | { path: string; text: string })[]): FsView {
  const nodes = new Map<string, ViewNode>([['/', { type: 'directory' }]]);
  const elves = new Map<string, ElfObject>();
  const texts = new Map<string, string>();
  const children = new Map<string, Set<string>>();
  const addDirs = (p: string) => {
    const parts = p.split('/').filter(Boolean);
    for (let i = 1; i <= parts.length; i++) {
      const parent = '/' + parts.slice(0, i - 1).join('/');
      (children.get(parent) ?? children.set(parent, new Set()).get(parent)!).add(parts[i - 1]!);
      if (i < parts.length) nodes.set('/' + parts.slice(0, i).join('/'), { type: 'directory' });
    }
  };
  for (const f of files) {
    addDirs(f.path);
    if ('link' in f) nodes.set(f.path, { type: 'symlink', linkname: f.link });
    else if ('text' in f) {
      nodes.set(f.path, { type: 'file' });
      texts.set(f.path, f.text);
    } else {
      nodes.set(f.path, { type: 'file' });
      elves.set(f.path, { bits: 64, machine: 0x3e, arch: 'amd64', dynamic: true, needed: [], runpath: [], rpath: [], versionNeeds: [], versionDefs: [], ...f });
    }
  }
  return { node: (p) => nodes.get(p), elf: (p) => elves.get(p), text: (p) => texts.get(p), list: (d) => [...(children.get(d) ?? [])] };
}

const LD = '/lib64/ld-linux-x86-64.so.2';
const loader = [
  { path: '/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2', soname: 'ld-linux-x86-64.so.2' },
  { path: LD, link: '/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2' },
  { path: '/lib/x86_64-linux-gnu/libc.so.6', soname: 'libc.so.6', versionDefs: ['GLIBC_2.2.5', 'GLIBC_2.34', 'GLIBC_2.36'] },
];

test('a dynamic program resolves its loader and libc through the multiarch directory and the /lib64 link', () => {
  const v = view([...loader, { path: '/app/server', interpreter: LD, needed: ['libc.so.6'], versionNeeds: [{ file: 'libc.so.6', versions: ['GLIBC_2.34'] }] }]);
  const r = new Resolver(v).resolve(v.elf('/app/server')!);
  assert.equal(r.linkage, 'dynamic');
  assert.deepEqual(r.interpreter, { path: LD, status: 'resolved', resolved: '/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2' });
  assert.deepEqual(r.needs, [{ name: 'libc.so.6', status: 'resolved', path: '/lib/x86_64-linux-gnu/libc.so.6', via: 'default' }]);
  assert.equal(r.ok, true);
});

test('on an image without glibc the loader and libc.so.6 are missing', () => {
  const v = view([{ path: '/app/server', interpreter: LD, needed: ['libc.so.6'] }]);
  const r = new Resolver(v).resolve(v.elf('/app/server')!);
  assert.equal(r.ok, false);
  assert.equal(r.interpreter?.status, 'missing');
  assert.deepEqual(r.needs, [{ name: 'libc.so.6', status: 'missing' }]);
});

test('a library lacking a required symbol version is too old, naming the versions', () => {
  const v = view([...loader, { path: '/app/server', interpreter: LD, needed: ['libc.so.6'], versionNeeds: [{ file: 'libc.so.6', versions: ['GLIBC_2.34', 'GLIBC_2.38', 'GLIBC_2.39'] }] }]);
  const r = new Resolver(v).resolve(v.elf('/app/server')!);
  assert.deepEqual(r.needs, [{ name: 'libc.so.6', status: 'too-old', path: '/lib/x86_64-linux-gnu/libc.so.6', via: 'default', missingVersions: ['GLIBC_2.38', 'GLIBC_2.39'] }]);
  assert.equal(r.ok, false);
});

test('$ORIGIN in RUNPATH finds a bundled library beside the binary, through a symlink', () => {
  const v = view([
    ...loader,
    { path: '/app/node_modules/sharp/build/sharp.node', needed: ['libvips-cpp.so.42', 'libc.so.6'], runpath: ['$ORIGIN/../../vendor/lib'] },
    { path: '/app/node_modules/vendor/lib/libvips-cpp.so.42', link: 'libvips-cpp.so.42.17.1' },
    { path: '/app/node_modules/vendor/lib/libvips-cpp.so.42.17.1', soname: 'libvips-cpp.so.42' },
  ]);
  const r = new Resolver(v).resolve(v.elf('/app/node_modules/sharp/build/sharp.node')!);
  assert.deepEqual(r.needs[0], { name: 'libvips-cpp.so.42', status: 'resolved', path: '/app/node_modules/vendor/lib/libvips-cpp.so.42.17.1', via: 'runpath' });
  assert.equal(r.ok, true);
});

test('RPATH is ignored when RUNPATH is present, and LD_LIBRARY_PATH comes between them', () => {
  const files = [
    ...loader,
    { path: '/opt/a/libx.so.1', soname: 'libx.so.1' },
    { path: '/opt/b/libx.so.1', soname: 'libx.so.1' },
    { path: '/opt/c/libx.so.1', soname: 'libx.so.1' },
    { path: '/bin/rp', needed: ['libx.so.1'], rpath: ['/opt/a'] },
    { path: '/bin/both', needed: ['libx.so.1'], rpath: ['/opt/a'], runpath: ['/opt/b'] },
  ];
  const v = view(files);
  assert.equal(new Resolver(v).resolve(v.elf('/bin/rp')!).needs[0]!.path, '/opt/a/libx.so.1');
  assert.equal(new Resolver(v).resolve(v.elf('/bin/both')!).needs[0]!.path, '/opt/b/libx.so.1');
  const withEnv = new Resolver(v, { ldLibraryPath: '/opt/c' });
  assert.equal(withEnv.resolve(v.elf('/bin/rp')!).needs[0]!.path, '/opt/a/libx.so.1', 'RPATH before LD_LIBRARY_PATH');
  assert.deepEqual(withEnv.resolve(v.elf('/bin/both')!).needs[0], { name: 'libx.so.1', status: 'resolved', path: '/opt/c/libx.so.1', via: 'ld_library_path' });
});

test('ld.so.conf and its include globs add directories before the defaults', () => {
  const v = view([
    ...loader,
    { path: '/etc/ld.so.conf', text: '# comment\ninclude /etc/ld.so.conf.d/*.conf\n' },
    { path: '/etc/ld.so.conf.d/b.conf', text: '/opt/second\n' },
    { path: '/etc/ld.so.conf.d/a.conf', text: '/opt/first  # trailing comment\n' },
    { path: '/etc/ld.so.conf.d/readme.txt', text: '/opt/ignored\n' },
    { path: '/opt/second/libpq.so.5', soname: 'libpq.so.5' },
    { path: '/usr/lib/x86_64-linux-gnu/libpq.so.5', soname: 'libpq.so.5' },
    { path: '/bin/psql', needed: ['libpq.so.5'] },
  ]);
  assert.deepEqual(ldSoConfDirs(v), ['/opt/first', '/opt/second']);
  assert.deepEqual(new Resolver(v).resolve(v.elf('/bin/psql')!).needs[0], { name: 'libpq.so.5', status: 'resolved', path: '/opt/second/libpq.so.5', via: 'ld.so.conf' });
});

test('a candidate of the wrong class or machine is skipped and the search goes on', () => {
  const v = view([
    ...loader,
    { path: '/lib/x86_64-linux-gnu/libz.so.1', soname: 'libz.so.1', machine: 0xb7, arch: 'arm64' },
    { path: '/usr/lib/x86_64-linux-gnu/libz.so.1', soname: 'libz.so.1', bits: 32, machine: 3, arch: '386' },
    { path: '/usr/lib/libz.so.1', soname: 'libz.so.1' },
    { path: '/bin/gzipper', needed: ['libz.so.1'] },
  ]);
  assert.equal(new Resolver(v).resolve(v.elf('/bin/gzipper')!).needs[0]!.path, '/usr/lib/libz.so.1');
});

test('static and static-pie binaries need nothing; an unreadable file is never ok', () => {
  const v = view([{ path: '/s', dynamic: false }, { path: '/pie' }, { path: '/bad', unreadable: 'dynamic section lies outside the file' }]);
  const r = new Resolver(v);
  assert.deepEqual([r.resolve(v.elf('/s')!).linkage, r.resolve(v.elf('/s')!).ok], ['static', true]);
  assert.deepEqual([r.resolve(v.elf('/pie')!).linkage, r.resolve(v.elf('/pie')!).ok], ['static-pie', true]);
  assert.deepEqual([r.resolve(v.elf('/bad')!).ok, r.resolve(v.elf('/bad')!).unreadable], [false, 'dynamic section lies outside the file']);
});

test('symlink loops and dangling links resolve to nothing instead of hanging', () => {
  const v = view([
    { path: '/lib/x86_64-linux-gnu/liba.so.1', link: 'libb.so.1' },
    { path: '/lib/x86_64-linux-gnu/libb.so.1', link: 'liba.so.1' },
    { path: '/lib/x86_64-linux-gnu/libc.so.6', link: '/nowhere/libc.so.6' },
    { path: '/bin/p', needed: ['liba.so.1', 'libc.so.6'] },
  ]);
  assert.equal(realPath(v, '/lib/x86_64-linux-gnu/liba.so.1'), undefined);
  assert.deepEqual(new Resolver(v).resolve(v.elf('/bin/p')!).needs.map((n) => n.status), ['missing', 'missing']);
});

test('the closure of a program lists its loader and every library reached, each once', () => {
  const v = view([
    ...loader,
    { path: '/usr/lib/x86_64-linux-gnu/libstdc++.so.6', needed: ['libm.so.6', 'libc.so.6', 'libgcc_s.so.1'] },
    { path: '/usr/lib/x86_64-linux-gnu/libm.so.6', needed: ['libc.so.6'] },
    { path: '/usr/lib/x86_64-linux-gnu/libgcc_s.so.1', needed: ['libc.so.6'] },
    { path: '/app/cxx', interpreter: LD, needed: ['libstdc++.so.6', 'libc.so.6'] },
  ]);
  assert.deepEqual(new Resolver(v).closure(v.elf('/app/cxx')!), [
    '/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2',
    '/usr/lib/x86_64-linux-gnu/libstdc++.so.6',
    '/lib/x86_64-linux-gnu/libc.so.6',
    '/usr/lib/x86_64-linux-gnu/libm.so.6',
    '/usr/lib/x86_64-linux-gnu/libgcc_s.so.1',
  ]);
});

test('searches are remembered per search path: each $ORIGIN finds its own copy, the rest share the system one', () => {
  const v = view([
    ...loader,
    { path: '/usr/lib/x86_64-linux-gnu/libz.so.1', soname: 'libz.so.1' },
    { path: '/opt/a/bin/a', interpreter: LD, needed: ['libz.so.1'], runpath: ['$ORIGIN/../lib'] },
    { path: '/opt/a/lib/libz.so.1', soname: 'libz.so.1' },
    { path: '/opt/b/bin/b', interpreter: LD, needed: ['libz.so.1'], runpath: ['$ORIGIN/../lib'] },
    { path: '/opt/b/lib/libz.so.1', soname: 'libz.so.1' },
    { path: '/opt/c/bin/c', interpreter: LD, needed: ['libz.so.1'], runpath: ['$ORIGIN/../lib'] },
    { path: '/usr/bin/d', interpreter: LD, needed: ['libz.so.1'], rpath: ['/opt/a/lib'] },
    { path: '/usr/bin/e', interpreter: LD, needed: ['libz.so.1'] },
  ]);
  const r = new Resolver(v);
  const where = (p: string) => r.resolve(v.elf(p)!).needs.map((n) => [n.path, n.via]);
  assert.deepEqual(where('/opt/a/bin/a'), [['/opt/a/lib/libz.so.1', 'runpath']]);
  assert.deepEqual(where('/opt/b/bin/b'), [['/opt/b/lib/libz.so.1', 'runpath']]);
  assert.deepEqual(where('/opt/c/bin/c'), [['/usr/lib/x86_64-linux-gnu/libz.so.1', 'default']]);
  assert.deepEqual(where('/usr/bin/d'), [['/opt/a/lib/libz.so.1', 'rpath']]);
  assert.deepEqual(where('/usr/bin/e'), [['/usr/lib/x86_64-linux-gnu/libz.so.1', 'default']]);
  assert.deepEqual(where('/opt/a/bin/a'), [['/opt/a/lib/libz.so.1', 'runpath']]);
});
