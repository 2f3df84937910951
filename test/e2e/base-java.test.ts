/**
 * `distill base java` against the real Debian mirror: the image runs a jar read-only as uid 65532,
 * and Java's default TrustManager trusts the CA bundle — the trust store ca-certificates-java
 * would have made is generated at build time — with exactly the certificates of
 * /etc/ssl/certs/ca-certificates.crt. No shell but on the debug tag.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runDistill } from '../helpers/cli.ts';
import { podman } from '../helpers/podman.ts';
import { tempDir } from '../helpers/images.ts';

const work = tempDir('distill-e2e-java-');
const jar = join(work, 'trust-probe.jar');

// Counts what the default TrustManagerFactory accepts, and the certificates of the PEM bundle.
const PROBE = `
import java.io.FileInputStream;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

public class TrustProbe {
  public static void main(String[] args) throws Exception {
    TrustManagerFactory f = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    f.init((KeyStore) null);
    int issuers = 0;
    for (TrustManager t : f.getTrustManagers()) {
      if (t instanceof X509TrustManager) issuers += ((X509TrustManager) t).getAcceptedIssuers().length;
    }
    int pem;
    try (FileInputStream in = new FileInputStream("/etc/ssl/certs/ca-certificates.crt")) {
      pem = CertificateFactory.getInstance("X.509").generateCertificates(in).size();
    }
    System.out.println("issuers=" + issuers + " pem=" + pem + " java.version=" + System.getProperty("java.version") + " uid.home=" + System.getProperty("user.home"));
  }
}
`;

before(() => {
  const src = join(work, 'src');
  const classes = join(work, 'classes');
  mkdirSync(src, { recursive: true });
  writeFileSync(join(src, 'TrustProbe.java'), PROBE);
  execFileSync('javac', ['--release', '17', '-d', classes, join(src, 'TrustProbe.java')]);
  execFileSync('jar', ['--create', '--file', jar, '--main-class', 'TrustProbe', '-C', classes, '.']);
});

test('base java: a jar runs read-only as 65532 and Java trusts the CA bundle; no shell but on debug', async () => {
  const dir = join(work, 'java');
  const lock = join(work, 'java.lock.json');
  const r = await runDistill(['base', 'java', '-o', dir, '--lock', lock, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { images: { tag: string }[]; packages: { name: string }[] };
  assert.deepEqual(out.images.map((i) => i.tag), ['latest', 'nonroot', 'debug', 'debug-nonroot']);
  assert.ok(out.packages.some((p) => p.name === 'openjdk-17-jre-headless'));
  assert.ok(!out.packages.some((p) => p.name === 'ca-certificates-java'));

  const run = await podman(
    ['run', '--rm', '--network', 'none', '--read-only', '--user', '65532', '-v', `${jar}:/app/trust-probe.jar:ro`, `oci:${dir}:nonroot`, '/app/trust-probe.jar'],
    { timeoutMs: 180_000 },
  );
  assert.equal(run.code, 0, run.stderr);
  const m = /issuers=(\d+) pem=(\d+) java\.version=(\S+)/.exec(run.stdout);
  assert.ok(m, run.stdout);
  const [issuers, pem, version] = [Number(m[1]), Number(m[2]), m[3]!];
  assert.ok(issuers > 100, `Java trusts ${issuers} CAs`);
  assert.equal(issuers, pem, 'the trust store holds exactly the certificates of ca-certificates.crt');
  assert.match(version, /^17\./);
  // Control: hide the generated store and Java trusts nothing, so the count above is its doing.
  const hidden = await podman(
    ['run', '--rm', '--network', 'none', '--read-only', '--user', '65532', '--tmpfs', '/etc/ssl/certs/java:notmpcopyup', '-v', `${jar}:/app/trust-probe.jar:ro`, `oci:${dir}:nonroot`, '/app/trust-probe.jar'],
    { timeoutMs: 180_000 },
  );
  assert.equal(hidden.code, 0, hidden.stderr);
  assert.match(hidden.stdout, /issuers=0 /);

  for (const tag of ['latest', 'nonroot']) {
    const sh = await podman(['run', '--rm', '--network', 'none', '--entrypoint', 'sh', `oci:${dir}:${tag}`, '-c', 'echo shell'], { timeoutMs: 120_000 });
    assert.notEqual(sh.code, 0, `${tag} must have no shell`);
    assert.doesNotMatch(sh.stdout, /shell/);
  }
  const dbg = await podman(['run', '--rm', '--network', 'none', '--entrypoint', 'sh', `oci:${dir}:debug`, '-c', 'echo shell'], { timeoutMs: 120_000 });
  assert.equal(dbg.code, 0, dbg.stderr);
  assert.equal(dbg.stdout, 'shell\n');
});
