/**
 * deb822 control files: paragraphs, continuation lines, the streaming parser (chunk boundaries
 * anywhere), round-tripping, and Depends-style relationship fields.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { field, folded, formatControl, formatRelation, parseControl, parseControlStream, parseRelations } from '../../src/debian/control.ts';

const SAMPLE = [
  'Package: libfoo1',
  'Version: 1:2.3-4+deb12u1',
  'Depends: libc6 (>= 2.34),',
  '  libbar2 | libbaz2',
  'Description: a library',
  ' First line of the long description.',
  ' .',
  ' Second paragraph.',
  '',
  '   ',
  'Package: tool',
  'version: 0.1',
  'Conffiles:',
  ' /etc/tool.conf 0123456789abcdef0123456789abcdef',
  '',
].join('\n');

test('paragraphs split on blank and whitespace-only lines; continuation lines are kept verbatim', () => {
  const ps = parseControl(SAMPLE);
  assert.equal(ps.length, 2);
  assert.equal(ps[0]!.Package, 'libfoo1');
  assert.equal(ps[0]!.Depends, 'libc6 (>= 2.34),\n  libbar2 | libbaz2');
  assert.equal(folded(ps[0]!.Depends), 'libc6 (>= 2.34), libbar2 | libbaz2');
  assert.equal(ps[0]!.Description, 'a library\n First line of the long description.\n .\n Second paragraph.');
  assert.equal(ps[1]!.Conffiles, '\n /etc/tool.conf 0123456789abcdef0123456789abcdef');
});

test('field names are case-insensitive on lookup and keep their spelling', () => {
  const [, tool] = parseControl(SAMPLE);
  assert.ok(tool);
  assert.equal(field(tool, 'Version'), '0.1');
  assert.equal(field(tool, 'VERSION'), '0.1');
  assert.deepEqual(Object.keys(tool), ['Package', 'version', 'Conffiles']);
  assert.equal(field(tool, 'Missing'), undefined);
});

test('formatting a parsed paragraph gives back its text', () => {
  const paragraphs = SAMPLE.split(/\n\s*\n/).map((p) => p.trim()).filter((p) => p !== '');
  const parsed = parseControl(SAMPLE);
  assert.equal(formatControl(parsed[0]!), paragraphs[0] + '\n');
  assert.equal(formatControl(parsed[1]!), paragraphs[1] + '\n');
});

test('CRLF line ends, comments and a missing final newline are handled', () => {
  const ps = parseControl('# comment\r\nPackage: a\r\nVersion: 1\r\n\r\nPackage: b\r\nVersion: 2');
  assert.deepEqual(ps, [
    { Package: 'a', Version: '1' },
    { Package: 'b', Version: '2' },
  ]);
});

test('malformed lines are errors naming the source and line', () => {
  assert.throws(() => parseControl('Package: a\nthis is not a field\n', 'Packages'), /Packages:2: expected "Field: value"/);
  assert.throws(() => parseControl(' continuation first\n', 'x'), /x:1: continuation line outside a field/);
});

test('the streaming parser agrees with the in-memory one at every chunk boundary', async () => {
  // Multi-byte UTF-8 in a value makes boundaries inside a character matter too.
  const text = SAMPLE + '\nPackage: ünïcode\nMaintainer: Zoë Åström <z@example.invalid>\n';
  const bytes = Buffer.from(text);
  const expected = parseControl(text);
  for (const size of [1, 2, 3, 7, 64, bytes.length]) {
    const chunks: Buffer[] = [];
    for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
    const got = [];
    for await (const p of parseControlStream(Readable.from(chunks))) got.push(p);
    assert.deepEqual(got, expected, `chunk size ${size}`);
  }
});

test('relations: groups, alternatives, versions, arch qualifiers, restriction lists, profiles', () => {
  const r = parseRelations('libc6 (>= 2.36), debconf (>= 0.5) | debconf-2.0, python3:any (>> 3.9~), foo [amd64 !i386] <!nocheck>, bar (< 2), baz (>1)');
  assert.deepEqual(r, [
    [{ name: 'libc6', op: '>=', version: '2.36' }],
    [{ name: 'debconf', op: '>=', version: '0.5' }, { name: 'debconf-2.0' }],
    [{ name: 'python3', archQualifier: 'any', op: '>>', version: '3.9~' }],
    [{ name: 'foo', archList: ['amd64', '!i386'] }],
    // `<` and `>` are obsolete spellings of `<=` and `>=`.
    [{ name: 'bar', op: '<=', version: '2' }],
    [{ name: 'baz', op: '>=', version: '1' }],
  ]);
  assert.equal(r.map((g) => g.map(formatRelation).join(' | ')).join(', '), 'libc6 (>= 2.36), debconf (>= 0.5) | debconf-2.0, python3:any (>> 3.9~), foo [amd64 !i386], bar (<= 2), baz (>= 1)');
  assert.deepEqual(parseRelations(undefined), []);
  assert.deepEqual(parseRelations('a,\n b'), [[{ name: 'a' }], [{ name: 'b' }]]);
  assert.throws(() => parseRelations('good, (bad', 'x Depends'), /x Depends: cannot parse relation "\(bad"/);
});
