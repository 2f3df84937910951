/**
 * distill against a real registry (Debian's docker-registry on loopback) with skopeo as the
 * independent oracle: what distill pushes skopeo reads, what skopeo pushes distill pulls, digests
 * equal; multi-platform indexes; htpasswd auth with docker config.json, REGISTRY_AUTH_FILE and a
 * credential helper; chunked uploads and cross-repository mounts counted through a proxy.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { networkInterfaces } from 'node:os';
import { makeImage, tempDir, fileDigest } from '../helpers/images.ts';
import { startRegistry, type TestRegistry } from '../helpers/registry.ts';
import { startFaultProxy } from '../helpers/faultproxy.ts';
import { run } from '../helpers/podman.ts';
import { runDistill } from '../helpers/cli.ts';
import { openImage, writeImage } from '../../src/oci/reference.ts';
import { pushRegistry, readRegistry } from '../../src/oci/transports/registry.ts';
import { copyImage } from '../../src/oci/transports/registry-copy.ts';
import { writeImageBlobs, REF_NAME } from '../../src/oci/transports/layout.ts';
import { editConfig, setCreated } from '../../src/mutate/mutate.ts';
import { sha256 } from '../../src/oci/digest.ts';
import { MediaType } from '../../src/oci/mediatypes.ts';

let reg: TestRegistry;
before(async () => {
  reg = await startRegistry();
});
after(async () => {
  await reg.stop();
});

async function sample(seed: string) {
  return setCreated(
    await makeImage(
      [
        [{ name: 'etc/', type: 'directory' }, { name: 'etc/seed', content: seed }],
        [{ name: 'app/data.bin', content: randomBytes(200_000) }],
      ],
      { user: '65532', entrypoint: ['/app/run'] },
    ),
    new Date(0),
  );
}

/** Every blob of an OCI layout, each re-hashed against its file name. */
export async function layoutBlobsIntact(dir: string): Promise<string[]> {
  const root = join(dir, 'blobs', 'sha256');
  const names = readdirSync(root);
  for (const n of names) {
    assert.match(n, /^[a-f0-9]{64}$/, `stray file in blobs: ${n}`);
    assert.equal(await fileDigest(join(root, n)), `sha256:${n}`, `blob ${n} is corrupt`);
  }
  return names;
}

function indexDigest(dir: string, tag: string): string {
  const idx = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string; annotations?: Record<string, string> }> };
  const d = idx.manifests.find((m) => m.annotations?.[REF_NAME] === tag);
  assert.ok(d, `tag ${tag} in ${dir}`);
  return d.digest;
}

test('distill pushes; skopeo inspect and skopeo copy read it with the same digest', async () => {
  const img = await sample('a');
  const dir = tempDir();
  await writeImage(img, `oci:${join(dir, 'src')}:v1`);
  const pushed = await runDistill(['push', `oci:${join(dir, 'src')}:v1`, `${reg.host}/distill/app:v1`, '--json']);
  assert.equal(pushed.code, 0, pushed.stderr);
  const out = JSON.parse(pushed.stdout) as { ref: string; digest: string; size: number };
  assert.equal(out.digest, await img.digest());
  assert.equal(out.ref, `${reg.host}/distill/app:v1`);
  assert.ok(out.size > 200_000, `size ${out.size} counts the incompressible layer`);

  const insp = await run('skopeo', ['inspect', '--tls-verify=false', `docker://${reg.host}/distill/app:v1`]);
  assert.equal(insp.code, 0, insp.stderr);
  const info = JSON.parse(insp.stdout) as { Digest: string; Layers: string[] };
  assert.equal(info.Digest, await img.digest());
  assert.deepEqual(info.Layers, (await img.layers()).map((l) => l.digest));

  const copy = await run('skopeo', ['copy', '--src-tls-verify=false', '--preserve-digests', `docker://${reg.host}/distill/app:v1`, `oci:${join(dir, 'copy')}:v1`]);
  assert.equal(copy.code, 0, copy.stderr);
  assert.equal(indexDigest(join(dir, 'copy'), 'v1'), await img.digest());
  await layoutBlobsIntact(join(dir, 'copy'));
});

test('skopeo pushes; distill pulls the same digest into a layout and an archive', async () => {
  const img = await sample('b');
  const dir = tempDir();
  await writeImage(img, `oci:${join(dir, 'src')}:v2`);
  const p = await run('skopeo', ['copy', '--dest-tls-verify=false', '--preserve-digests', `oci:${join(dir, 'src')}:v2`, `docker://${reg.host}/skopeo/app:v2`]);
  assert.equal(p.code, 0, p.stderr);
  const insp = JSON.parse((await run('skopeo', ['inspect', '--tls-verify=false', `docker://${reg.host}/skopeo/app:v2`])).stdout) as { Digest: string };

  const pulled = await runDistill(['pull', `docker://${reg.host}/skopeo/app:v2`, `oci:${join(dir, 'pulled')}:v2`, '--json']);
  assert.equal(pulled.code, 0, pulled.stderr);
  assert.equal(JSON.parse(pulled.stdout).digest, insp.Digest);
  assert.equal(indexDigest(join(dir, 'pulled'), 'v2'), insp.Digest);
  const blobs = await layoutBlobsIntact(join(dir, 'pulled'));
  assert.equal(blobs.length, 4); // manifest, config, two layers

  // By digest, into an oci-archive, read back by distill's own archive reader.
  const byDigest = await runDistill(['pull', `${reg.host}/skopeo/app@${insp.Digest}`, `oci-archive:${join(dir, 'a.tar')}:x`, '-q']);
  assert.equal(byDigest.code, 0, byDigest.stderr);
  assert.equal(byDigest.stdout, '');
  const back = await openImage(`oci-archive:${join(dir, 'a.tar')}:x`);
  assert.equal(await back.digest(), insp.Digest);
  assert.deepEqual((await back.config()).rootfs.diff_ids, (await img.config()).rootfs.diff_ids);
});

test('a missing tag and a missing repository fail on one line with the HTTP status and registry code', async () => {
  const r = await runDistill(['pull', `${reg.host}/skopeo/app:nope`, `oci:${join(tempDir(), 'x')}`]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^distill: 127\.0\.0\.1:\d+\/skopeo\/app:nope: .*HTTP 404.*MANIFEST_UNKNOWN/);
  assert.equal(r.stderr.trim().split('\n').length, 1);
});

test('a multi-platform index: --platform picks the image, an unknown one lists what exists', async () => {
  const amd = await sample('c');
  const arm = editConfig(amd, (c) => ({ ...c, architecture: 'arm64' }));
  const dir = join(tempDir(), 'multi');
  const da = await writeImageBlobs(amd, dir);
  const db = await writeImageBlobs(arm, dir);
  const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [da, db] }));
  const idig = sha256(index);
  writeFileSync(join(dir, 'blobs', 'sha256', idig.slice(7)), index);
  writeFileSync(join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: MediaType.OciIndex, digest: idig, size: index.length, annotations: { [REF_NAME]: 'multi' } }] }));
  const p = await run('skopeo', ['copy', '--all', '--dest-tls-verify=false', '--preserve-digests', `oci:${dir}:multi`, `docker://${reg.host}/multi/app:1`]);
  assert.equal(p.code, 0, p.stderr);

  assert.equal(await (await readRegistry(`${reg.host}/multi/app:1`)).digest(), await amd.digest());
  assert.equal(await (await readRegistry(`${reg.host}/multi/app:1`, { platform: 'linux/arm64' })).digest(), await arm.digest());
  const r = await runDistill(['pull', `${reg.host}/multi/app:1`, `oci:${join(tempDir(), 'x')}`, '--platform', 'linux/s390x']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /no image for platform linux\/s390x; available: linux\/amd64, linux\/arm64/);
});

test('chunked uploads above the threshold and monolithic ones below, counted through a proxy', async () => {
  const proxy = await startFaultProxy(reg.host);
  try {
    const img = await sample('d');
    const events: string[] = [];
    const res = await pushRegistry(img, `${proxy.host}/chunks/app:1`, { chunkThreshold: 100_000, chunkSize: 64 * 1024, onBlob: (e) => events.push(`${e.digest}:${e.action}`) });
    assert.equal(res.digest, await img.digest());
    const layers = await img.layers();
    const big = layers.find((l) => l.size > 100_000);
    assert.ok(big, 'the sample has one layer above the threshold');
    assert.ok(events.includes(`${big.digest}:uploaded-chunked`));
    const patches = proxy.log.filter((r) => r.method === 'PATCH' && r.status === 202);
    assert.equal(patches.length, Math.ceil(big.size / (64 * 1024)));
    for (const l of layers.filter((x) => x !== big)) assert.ok(events.includes(`${l.digest}:uploaded`));
    // The registry assembled the chunks into the right blob: skopeo reads the image back.
    const insp = await run('skopeo', ['inspect', '--tls-verify=false', `docker://${reg.host}/chunks/app:1`]);
    assert.equal(JSON.parse(insp.stdout).Digest, await img.digest());

    // Pushing again uploads nothing: every blob exists (HEAD 200).
    const before = proxy.log.length;
    const again: string[] = [];
    await pushRegistry(img, `${proxy.host}/chunks/app:1`, { onBlob: (e) => again.push(e.action) });
    assert.deepEqual(again, ['exists', 'exists', 'exists']);
    assert.equal(proxy.log.slice(before).filter((r) => r.method === 'POST' || r.method === 'PATCH').length, 0);
  } finally {
    await proxy.stop();
  }
});

test('copy between repositories of one registry mounts blobs instead of uploading them', async () => {
  const proxy = await startFaultProxy(reg.host);
  try {
    const img = await sample('e');
    await pushRegistry(img, `${proxy.host}/mount/src:1`);
    const start = proxy.log.length;
    const res = await copyImage(`docker://${proxy.host}/mount/src:1`, `${proxy.host}/mount/dst:1`);
    assert.equal(res.digest, await img.digest());
    const reqs = proxy.log.slice(start);
    const mounts = reqs.filter((r) => r.method === 'POST' && r.path.includes('mount=') && r.path.includes('from=mount%2Fsrc'));
    assert.equal(mounts.length, 3);
    assert.ok(mounts.every((m) => m.status === 201), JSON.stringify(mounts));
    const layerDigests = (await img.layers()).map((l) => l.digest);
    assert.equal(reqs.filter((r) => r.method === 'GET' && layerDigests.some((d) => r.path.endsWith(d))).length, 0, 'no layer downloaded');
    assert.equal(reqs.filter((r) => r.method === 'PUT' && r.path.includes('/blobs/uploads/')).length, 0, 'no blob uploaded');
    const insp = await run('skopeo', ['inspect', '--tls-verify=false', `docker://${reg.host}/mount/dst:1`]);
    assert.equal(JSON.parse(insp.stdout).Digest, await img.digest());
  } finally {
    await proxy.stop();
  }
});

test('htpasswd auth: a wrong password fails without showing it; config.json, REGISTRY_AUTH_FILE and a credential helper work', async () => {
  const user = 'alice';
  const password = 'Pa55-w0rd-not-to-be-printed';
  const areg = await startRegistry({ auth: { user, password } });
  try {
    const dir = tempDir();
    await writeImage(await sample('f'), `oci:${join(dir, 'src')}:v1`);
    const home = join(dir, 'home');
    mkdirSync(join(home, '.docker'), { recursive: true });
    const env = { HOME: home, REGISTRY_AUTH_FILE: '', XDG_RUNTIME_DIR: '', DOCKER_CONFIG: '' };
    const auth = (p: string) => ({ auths: { [areg.host]: { auth: Buffer.from(`${user}:${p}`).toString('base64') } } });

    const anon = await runDistill(['push', `oci:${join(dir, 'src')}:v1`, `${areg.host}/private/app:1`], { env });
    assert.equal(anon.code, 2);
    assert.match(anon.stderr, /requires authentication and no credentials were found/);

    const wrong = 'Wrong-pass-also-secret';
    writeFileSync(join(home, '.docker', 'config.json'), JSON.stringify(auth(wrong)));
    const bad = await runDistill(['push', `oci:${join(dir, 'src')}:v1`, `${areg.host}/private/app:1`], { env });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^distill: .*authentication failed.*401/);
    assert.ok(!bad.stderr.includes(wrong) && !bad.stderr.includes(password), bad.stderr);
    assert.ok(!bad.stderr.includes(Buffer.from(`${user}:${wrong}`).toString('base64')));

    writeFileSync(join(home, '.docker', 'config.json'), JSON.stringify(auth(password)));
    const ok = await runDistill(['push', `oci:${join(dir, 'src')}:v1`, `${areg.host}/private/app:1`, '--json'], { env });
    assert.equal(ok.code, 0, ok.stderr);
    assert.ok(!ok.stdout.includes(password) && !ok.stderr.includes(password));

    // Pull with credentials from REGISTRY_AUTH_FILE only (docker's config has the wrong password).
    writeFileSync(join(home, '.docker', 'config.json'), JSON.stringify(auth(wrong)));
    writeFileSync(join(dir, 'auth.json'), JSON.stringify(auth(password)));
    const pulled = await runDistill(['pull', `${areg.host}/private/app:1`, `oci:${join(dir, 'pulled')}:v1`, '--json'], { env: { ...env, REGISTRY_AUTH_FILE: join(dir, 'auth.json') } });
    assert.equal(pulled.code, 0, pulled.stderr);
    assert.equal(JSON.parse(pulled.stdout).digest, JSON.parse(ok.stdout).digest);
    await layoutBlobsIntact(join(dir, 'pulled'));

    // A credential helper named in credHelpers gets the server on stdin.
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    const seen = join(dir, 'helper-saw');
    writeFileSync(join(bin, 'docker-credential-distilltest'), `#!/bin/sh\n[ "$1" = get ] || exit 1\nread server\necho "$server" > ${seen}\nprintf '{"ServerURL":"%s","Username":"${user}","Secret":"${password}"}' "$server"\n`);
    chmodSync(join(bin, 'docker-credential-distilltest'), 0o755);
    writeFileSync(join(home, '.docker', 'config.json'), JSON.stringify({ credHelpers: { [areg.host]: 'distilltest' } }));
    const viaHelper = await runDistill(['pull', `${areg.host}/private/app:1`, `oci:${join(dir, 'pulled2')}:v1`], { env: { ...env, PATH: `${bin}:${process.env.PATH}` } });
    assert.equal(viaHelper.code, 0, viaHelper.stderr);
    assert.equal(readFileSync(seen, 'utf8').trim(), areg.host);
  } finally {
    await areg.stop();
  }
});

test('plain http to a non-loopback address only with --insecure', async () => {
  const addr = Object.values(networkInterfaces()).flat().find((i) => i && i.family === 'IPv4' && !i.internal)?.address;
  assert.ok(addr, 'this test needs a non-loopback IPv4 address');
  const img = await sample('g');
  await pushRegistry(img, `${reg.host}/insecure/app:1`);
  const proxy = await startFaultProxy(reg.host, [], addr);
  try {
    const dir = tempDir();
    const refused = await runDistill(['pull', `${proxy.host}/insecure/app:1`, `oci:${join(dir, 'a')}`, '--retries', '0']);
    assert.equal(refused.code, 2);
    assert.ok(refused.stderr.includes(`https://${proxy.host}/v2/`), refused.stderr);
    assert.equal(proxy.log.length, 0, 'nothing was sent over plain http');
    const ok = await runDistill(['pull', `${proxy.host}/insecure/app:1`, `oci:${join(dir, 'b')}:1`, '--insecure', '--json']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(JSON.parse(ok.stdout).digest, await img.digest());
    assert.ok(proxy.log.length > 0);
  } finally {
    await proxy.stop();
  }
});
