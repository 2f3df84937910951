/**
 * .deb reading: the streaming ar reader (checked against binutils `ar`), control and data members
 * in every compression dpkg-deb builds (gzip, xz, zstd, none; checked against `dpkg-deb -c`), and
 * status.d records that dpkg itself can read back.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createReadStream, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { readAr, readDebControl, readDebData, normalizeDebPath } from '../../src/debian/deb.ts';
import { md5sumsText, statusPaths, statusStanza } from '../../src/debian/status.ts';
import { DistillError } from '../../src/util/errors.ts';
import { buildDeb, tmp } from './fakerepo.ts';

async function readAll(r: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of r) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

test('ar: members of odd and even sizes match what binutils ar stored, read or skipped', async () => {
  const dir = tmp();
  const members: Record<string, Buffer> = {
    'odd.txt': Buffer.from('seven b'),
    'even.bin': Buffer.alloc(300_000, 7),
    'empty': Buffer.alloc(0),
    'last.txt': Buffer.from('x'),
  };
  for (const [n, b] of Object.entries(members)) writeFileSync(join(dir, n), b);
  execFileSync('ar', ['rcD', join(dir, 'a.ar'), ...Object.keys(members)], { cwd: dir });
  const seen: [string, number][] = [];
  for await (const m of readAr(createReadStream(join(dir, 'a.ar'), { highWaterMark: 1000 }))) {
    seen.push([m.name, m.size]);
    // Leave 'even.bin' unread: the reader must skip it to find the next header.
    if (m.name !== 'even.bin') assert.deepEqual(await readAll(m.body), members[m.name], m.name);
  }
  assert.deepEqual(seen, Object.entries(members).map(([n, b]) => [n, b.length]));
});

test('ar: a file that is not an archive, or is cut short, is a DistillError', async () => {
  const dir = tmp();
  writeFileSync(join(dir, 'm'), Buffer.alloc(1000, 1));
  execFileSync('ar', ['rcD', join(dir, 'a.ar'), 'm'], { cwd: dir });
  const whole = readFileSync(join(dir, 'a.ar'));
  const drain = async (buf: Buffer) => {
    for await (const m of readAr(Readable.from([buf]), 'x.deb')) await readAll(m.body);
  };
  await assert.rejects(drain(Buffer.from('PK\x03\x04 not an ar archive')), (e: unknown) => e instanceof DistillError && e.input === 'x.deb' && /bad magic/.test(e.message));
  await assert.rejects(drain(whole.subarray(0, 500)), /truncated archive/);
  await assert.rejects(drain(whole.subarray(0, 40)), /truncated archive/);
});

for (const compression of ['gzip', 'xz', 'zstd', 'none'] as const) {
  test(`.deb with ${compression} members: control, md5sums, conffiles and data entries`, async () => {
    const dir = tmp();
    const big = Buffer.alloc(2_000_000);
    for (let i = 0; i < big.length; i++) big[i] = (i * 2654435761) >>> 24;
    const deb = buildDeb(
      {
        name: `demo-${compression}`,
        version: '1:2.0-1+deb12u1',
        depends: 'libc6 (>= 2.36), debconf | debconf-2.0',
        files: { 'usr/bin/demo': '#!/bin/false\n', 'etc/demo.conf': 'key=value\n', 'usr/share/demo/big.bin': big },
        conffiles: ['/etc/demo.conf'],
        compression,
      },
      join(dir, 'out'),
    );
    const members = execFileSync('ar', ['t', deb], { encoding: 'utf8' }).trim().split('\n');
    const ext = compression === 'gzip' ? '.gz' : compression === 'xz' ? '.xz' : compression === 'zstd' ? '.zst' : '';
    assert.deepEqual(members, ['debian-binary', `control.tar${ext}`, `data.tar${ext}`], 'dpkg-deb used the compression under test');

    const c = await readDebControl(deb);
    assert.equal(c.control.Package, `demo-${compression}`);
    assert.equal(c.control.Version, '1:2.0-1+deb12u1');
    assert.equal(c.control.Depends, 'libc6 (>= 2.36), debconf | debconf-2.0');
    assert.deepEqual(c.conffiles, ['/etc/demo.conf']);
    const md5 = (b: string | Buffer) => execFileSync('md5sum', { input: b, encoding: 'utf8' }).split(' ')[0];
    assert.deepEqual([...c.md5sums.entries()].sort(), [
      ['etc/demo.conf', md5('key=value\n')],
      ['usr/bin/demo', md5('#!/bin/false\n')],
      ['usr/share/demo/big.bin', md5(big)],
    ]);

    let control: unknown;
    const entries: string[] = [];
    const contents = new Map<string, Buffer>();
    for await (const e of readDebData(deb, (x) => (control = x.control))) {
      entries.push(e.header.name);
      if (e.header.type === 'file' && e.path !== 'usr/bin/demo') contents.set(e.path, await readAll(e.body));
    }
    assert.deepEqual(control, c.control);
    // Oracle: dpkg-deb's own listing of the data member, in archive order.
    const listed = execFileSync('dpkg-deb', ['-c', deb], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .map((l) => l.split(/\s+/).slice(5).join(' '));
    assert.deepEqual(entries, listed);
    assert.deepEqual(contents.get('usr/share/demo/big.bin'), big);
    assert.equal(contents.get('etc/demo.conf')?.toString(), 'key=value\n');
  });
}

test('a .deb with a corrupted data member is a DistillError naming the file', async () => {
  const dir = tmp();
  const deb = buildDeb({ name: 'bad', version: '1', files: { 'a/b': Buffer.alloc(100_000, 3) }, compression: 'gzip' }, dir);
  const bytes = readFileSync(deb);
  // Flip bytes well inside data.tar.gz (the last member).
  for (let i = bytes.length - 400; i < bytes.length - 300; i++) bytes[i]! ^= 0xff;
  writeFileSync(deb, bytes);
  await assert.rejects(
    (async () => {
      for await (const e of readDebData(deb)) await readAll(e.body);
    })(),
    (e: unknown) => e instanceof DistillError && e.input === deb,
  );
});

test('normalizeDebPath strips ./ and slashes', () => {
  assert.equal(normalizeDebPath('./usr/bin/x'), 'usr/bin/x');
  assert.equal(normalizeDebPath('./'), '');
  assert.equal(normalizeDebPath('./usr/share/'), 'usr/share');
  assert.equal(normalizeDebPath('/etc/passwd'), 'etc/passwd');
});

test('status.d stanza and md5sums: dpkg-query reads them back as installed', async () => {
  const dir = tmp();
  const deb = buildDeb(
    { name: 'stat-demo', version: '3.1-2', depends: 'libc6', files: { 'etc/stat.conf': 'a\n', 'usr/lib/x.so': 'y' }, conffiles: ['/etc/stat.conf'] },
    join(dir, 'out'),
  );
  const c = await readDebControl(deb);
  const stanza = statusStanza(c);
  assert.match(stanza, /^Package: stat-demo\nStatus: install ok installed\n/);
  const confMd5 = execFileSync('md5sum', { input: 'a\n', encoding: 'utf8' }).split(' ')[0];
  assert.ok(stanza.includes(`\nConffiles:\n /etc/stat.conf ${confMd5}\n`), stanza);
  assert.ok(stanza.endsWith('\n') && !stanza.endsWith('\n\n'));
  assert.deepEqual(statusPaths('stat-demo'), { status: 'var/lib/dpkg/status.d/stat-demo', md5sums: 'var/lib/dpkg/status.d/stat-demo.md5sums' });
  assert.equal(md5sumsText(c.md5sums), execFileSync('dpkg-deb', ['-I', deb, 'md5sums'], { encoding: 'utf8' }));

  // Oracle: dpkg's own database reader accepts the stanza as an installed package.
  const admin = join(dir, 'admin');
  mkdirSync(join(admin, 'info'), { recursive: true });
  mkdirSync(join(admin, 'updates'), { recursive: true });
  writeFileSync(join(admin, 'status'), stanza);
  writeFileSync(join(admin, 'available'), '');
  const out = execFileSync('dpkg-query', [`--admindir=${admin}`, '-W', '-f', '${Package} ${Version} ${db:Status-Abbrev} ${Depends}\n', 'stat-demo'], { encoding: 'utf8' });
  assert.equal(out, 'stat-demo 3.1-2 ii  libc6\n');
});
