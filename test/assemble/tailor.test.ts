/**
 * Tailoring a base: the packages chosen for the libraries an app lacks (first provider, grouped
 * by package, with the files that need them), libraries no package ships kept apart, and a
 * tailored base's cache key apart from the plain flavour's.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { choosePackages } from '../../src/assemble/tailor.ts';
import { cacheKey } from '../../src/base/cached.ts';

test('one package per library (the first the Contents index lists), grouped, with the files that need it', () => {
  const t = choosePackages(
    [
      { soname: 'libexslt.so.0', files: ['/app/lxml/etree.so'] },
      { soname: 'libvendored.so.1', files: ['/app/bin/tool'] },
      { soname: 'libxslt.so.1', files: ['/app/lxml/etree.so', '/app/lxml/objectify.so'] },
    ],
    new Map([
      ['libexslt.so.0', ['libxslt1.1']],
      ['libxslt.so.1', ['libxslt1.1', 'libxslt1.1-dbg']],
      ['libvendored.so.1', []],
    ]),
  );
  assert.deepEqual(t.added, [{ package: 'libxslt1.1', sonames: ['libexslt.so.0', 'libxslt.so.1'], files: ['/app/lxml/etree.so', '/app/lxml/objectify.so'] }]);
  assert.deepEqual(t.unprovided, [{ soname: 'libvendored.so.1', files: ['/app/bin/tool'] }]);
});

test('a tailored base is cached under a key of its own, one per set of added packages', () => {
  assert.equal(cacheKey('python3', null), 'python3');
  assert.equal(cacheKey('nodejs', '22'), 'nodejs-node22');
  const a = cacheKey('python3', null, ['libpq5']);
  assert.match(a, /^python3\+[0-9a-f]{12}$/);
  assert.notEqual(a, cacheKey('python3', null, ['libpq5', 'libxslt1.1']));
  assert.equal(a, cacheKey('python3', null, ['libpq5']));
});
