/**
 * The hand-written JKS trust store, checked by the JDK's own keytool (the oracle): it lists every
 * certificate, the fingerprint it reads back for an alias equals node's for the PEM we fed in, the
 * entry carries the fixed build time, and a flipped byte or a wrong password is caught by the seal.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { join } from 'node:path';
import { tempDir } from '../helpers/images.ts';
import { DistillError } from '../../src/util/errors.ts';
import { JAVA_CACERTS_PASSWORD, javaCacerts, jksTrustStore, pemCertificates, trustedCertsFromPem } from '../../src/base/java-cacerts.ts';

const work = tempDir('distill-cacerts-');
/** usr/share/ca-certificates-like paths -> PEM, generated fresh by openssl. */
const files = new Map<string, Buffer>();
const WHEN = new Date(1_700_000_000_000);
// keytool prints dates in the JVM's locale and zone; pin both.
const JVM = ['-J-Duser.language=en', '-J-Duser.country=US', '-J-Duser.timezone=UTC'];

function makeCert(cn: string): Buffer {
  const key = join(work, `${cn}.key`);
  const crt = join(work, `${cn}.crt`);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', `/CN=${cn}`, '-days', '30', '-keyout', key, '-out', crt], { stdio: 'pipe' });
  return readFileSync(crt);
}

function keytool(store: string, extra: string[] = [], password = JAVA_CACERTS_PASSWORD) {
  return spawnSync('keytool', [...JVM, '-list', '-keystore', store, '-storetype', 'JKS', '-storepass', password, ...extra], { encoding: 'utf8' });
}

before(() => {
  for (const cn of ['Zeta_Root_CA', 'Alpha_Root_CA', 'Mid_Root_CA', 'Last_Root']) files.set(`usr/share/ca-certificates/mozilla/${cn}.crt`, makeCert(cn));
  // one file with two certificates (a bundle), to pin the alias of the second one
  files.set('usr/share/ca-certificates/local/Two_In_One.crt', Buffer.concat([makeCert('Two_A'), makeCert('Two_B')]));
});

test('keytool lists every certificate and reads back the fingerprint node computes', () => {
  const store = join(work, 'cacerts');
  writeFileSync(store, javaCacerts(files, WHEN));
  const r = keytool(store);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /Keystore type: JKS/);
  assert.match(r.stdout, /Your keystore contains 6 entries/);
  assert.equal((r.stdout.match(/trustedCertEntry/g) ?? []).length, 6);

  const expected = new X509Certificate(readFileSync(join(work, 'Alpha_Root_CA.crt'))).fingerprint256;
  const one = keytool(store, ['-alias', 'debian:alpha_root_ca.pem']);
  assert.equal(one.status, 0, one.stderr);
  assert.match(one.stdout, /trustedCertEntry/);
  const got = /Certificate fingerprint \(SHA-256\): ([0-9A-F:]+)/.exec(one.stdout)?.[1];
  assert.equal(got, expected);

  const second = new X509Certificate(readFileSync(join(work, 'Two_B.crt'))).fingerprint256;
  const two = keytool(store, ['-alias', 'debian:two_in_one-2.pem']);
  assert.equal(two.status, 0, two.stderr);
  assert.equal(/Certificate fingerprint \(SHA-256\): ([0-9A-F:]+)/.exec(two.stdout)?.[1], second);
});

test('every entry is dated with the fixed build time, not the time of the build', () => {
  const store = join(work, 'cacerts-dated');
  writeFileSync(store, javaCacerts(files, WHEN));
  const r = keytool(store, ['-v', '-alias', 'debian:zeta_root_ca.pem']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /Creation date: Nov 14, 2023/); // 1_700_000_000 s is 2023-11-14T22:13:20Z
  assert.match(r.stdout, /Owner: CN=Zeta_Root_CA/);
});

test('same certificates give the same bytes whatever the input order; another time gives others', () => {
  const reversed = new Map([...files.entries()].reverse());
  const a = javaCacerts(files, WHEN);
  assert.deepEqual(javaCacerts(reversed, WHEN), a);
  assert.notDeepEqual(javaCacerts(files, new Date(0)), a);
  const aliases = trustedCertsFromPem(files).map((c) => c.alias);
  assert.deepEqual(aliases, [
    'debian:two_in_one.pem',
    'debian:two_in_one-2.pem',
    'debian:alpha_root_ca.pem',
    'debian:last_root.pem',
    'debian:mid_root_ca.pem',
    'debian:zeta_root_ca.pem',
  ]);
});

test('the SHA-1 seal catches a flipped byte and a wrong password', () => {
  const bytes = javaCacerts(files, WHEN);
  const tampered = Buffer.from(bytes);
  tampered[200]! ^= 0x01;
  const bad = join(work, 'cacerts-tampered');
  writeFileSync(bad, tampered);
  const r = keytool(bad);
  assert.notEqual(r.status, 0);
  assert.match(r.stdout + r.stderr, /tampered|password was incorrect/i);

  const other = join(work, 'cacerts-otherpw');
  writeFileSync(other, jksTrustStore(trustedCertsFromPem(files), WHEN, 'not-changeit'));
  assert.notEqual(keytool(other).status, 0);
  assert.equal(keytool(other, [], 'not-changeit').status, 0);
});

test('an empty store is valid and a PEM block that is no certificate is refused by name', () => {
  const empty = join(work, 'cacerts-empty');
  writeFileSync(empty, jksTrustStore([], WHEN));
  const r = keytool(empty);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /Your keystore contains 0 entries/);
  assert.throws(
    () => pemCertificates('-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n', 'usr/share/ca-certificates/x/broken.crt'),
    (e: unknown) => e instanceof DistillError && e.input === 'usr/share/ca-certificates/x/broken.crt' && /not an X\.509 certificate/.test(e.message),
  );
});
