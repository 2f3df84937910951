/**
 * Policy generators and `policy check`: the generated Deployment passes the check; removing any
 * one restricted field from it is reported as exactly that field; violations of each rule are
 * found per container (init containers too) in multi-document files of every workload kind.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import type { ImageConfig } from '../../src/oci/types.ts';
import { generatePolicy, policyText } from '../../src/runtime/policy.ts';
import { checkManifestText, policyExceeds, type PolicyFinding } from '../../src/runtime/policy-check.ts';
import { makeImage, tempDir } from '../helpers/images.ts';
import { runDistill } from '../helpers/cli.ts';
import { writeImage } from '../../src/oci/reference.ts';

const cfg = (user: string | undefined, ports: string[] = []): ImageConfig => ({
  architecture: 'amd64',
  os: 'linux',
  config: { ...(user !== undefined ? { User: user } : {}), ExposedPorts: Object.fromEntries(ports.map((p) => [p, {}])) },
  rootfs: { type: 'layers', diff_ids: [] },
});

type Json = Record<string, any>;

function deployment(user = '65532', ports: string[] = ['8080/tcp']): Json {
  return structuredClone(generatePolicy(cfg(user, ports), 'podman:shop/web:1.2', { writable: ['/var/cache/web'] }).kubernetes) as Json;
}

const brief = (fs: PolicyFinding[]) => fs.map((f) => `${f.rule} ${f.problem} ${f.container ?? '(pod)'} ${f.field}`).sort();

test('user: a known non-root uid is kept; root and users that cannot be resolved get 65532 with a note', () => {
  const keep = generatePolicy(cfg('1000:2000'), 'podman:a');
  assert.deepEqual([keep.uid, keep.gid, keep.notes.filter((n) => /user/.test(n))], [1000, 2000, []]);
  const noGroup = generatePolicy(cfg('1000'), 'podman:a');
  assert.deepEqual([noGroup.uid, noGroup.gid], [1000, 1000]);
  assert.match(noGroup.notes.join('\n'), /image user 1000 has no group; using gid 1000/);
  const unresolved = generatePolicy(cfg('nonroot'), 'podman:a');
  assert.deepEqual([unresolved.uid, unresolved.gid, unresolved.resolvedUser.root], [65532, 65532, 'unknown']);
  assert.match(unresolved.notes.join('\n'), /image user nonroot cannot be resolved \(no \/etc\/passwd/);
  const passwd = 'root:x:0:0::/root:/sbin/nologin\napp:x:1000:1001::/app:/sbin/nologin\n';
  const named = generatePolicy(cfg('app'), 'podman:a', { userFiles: { passwd } });
  assert.deepEqual([named.uid, named.gid], [1000, 1001], 'the uid and group /etc/passwd gives the name');
  assert.match(named.notes.join('\n'), /"?app"? is a name \(uid 1000 in \/etc\/passwd\), which Kubernetes runAsNonRoot cannot verify/);
  for (const user of [undefined, '00', '0:1000', 'root']) {
    const root = generatePolicy(cfg(user), 'podman:a', { userFiles: { passwd } });
    assert.deepEqual([root.uid, root.gid], [65532, 65532], String(user));
    assert.match(root.notes.join('\n'), /runs as root/, String(user));
  }
  // Out of range: older containerd releases truncate 4294967296 to uid 0, so it is never passed on.
  const huge = generatePolicy(cfg('4294967296'), 'podman:a');
  assert.deepEqual([huge.uid, huge.gid], [65532, 65532]);
  assert.match(huge.notes.join('\n'), /cannot be resolved \(user id 4294967296 is outside/);
});

test('run flags: read-only, tmpfs for /tmp and writable paths, drop ALL, NET_BIND_SERVICE only below 1024, ports', () => {
  const high = generatePolicy(cfg('65532', ['8080/tcp', '9000/udp']), 'podman:web', { writable: ['/data', '/data/'] });
  const f = high.run.podman;
  assert.deepEqual(f.slice(0, 3), ['podman', 'run', '--rm']);
  assert.ok(f.includes('--read-only'));
  assert.deepEqual(f.filter((_, i) => f[i - 1] === '--tmpfs').map((t) => t.split(':')[0]), ['/tmp', '/data']);
  assert.equal(f[f.indexOf('--user') + 1], '65532:65532');
  assert.equal(f[f.indexOf('--cap-drop') + 1], 'ALL');
  assert.ok(!f.includes('--cap-add'));
  assert.equal(f[f.indexOf('--security-opt') + 1], 'no-new-privileges');
  assert.deepEqual(f.filter((_, i) => f[i - 1] === '-p'), ['8080:8080', '9000:9000/udp']);
  assert.equal(f.at(-1), 'web');
  const low = generatePolicy(cfg('65532', ['80/tcp']), 'podman:web');
  assert.equal(low.run.docker[low.run.docker.indexOf('--cap-add') + 1], 'NET_BIND_SERVICE');
  assert.deepEqual((low.kubernetes as Json).spec.template.spec.containers[0].securityContext.capabilities, { drop: ['ALL'], add: ['NET_BIND_SERVICE'] });
  assert.deepEqual((low.compose as Json).services.web.cap_add, ['NET_BIND_SERVICE']);
});

test('image VOLUMEs become writable mounts with a note', () => {
  const c = cfg('65532');
  c.config!.Volumes = { '/var/lib/app': {}, '/tmp': {} };
  const p = generatePolicy(c, 'podman:app', { writable: ['/cache'] });
  assert.deepEqual(p.writable, ['/tmp', '/cache', '/var/lib/app']);
  assert.match(p.notes.join('\n'), /VOLUME \/tmp, \/var\/lib\/app mounted writable/);
  assert.deepEqual(checkManifestText(policyText(p, 'k8s')).findings, []);
});

test('generated Deployment (text output, any user and ports) passes policy check', () => {
  for (const [user, ports] of [['65532', ['8080/tcp']], ['0', ['80/tcp']], ['app', []]] as const) {
    const p = generatePolicy(cfg(user, [...ports]), 'oci:/x/out:nonroot', { writable: ['/var/run/app'] });
    const r = checkManifestText(policyText(p, 'k8s'), 'gen.yaml');
    assert.deepEqual(r.checked, [`Deployment/${p.name}`]);
    assert.deepEqual(r.findings, [], `${user}: ${brief(r.findings).join('; ')}`);
    const c = (parse(policyText(p, 'k8s')) as Json).spec.template.spec;
    assert.deepEqual(c.volumes.map((v: Json) => v.name), ['tmp', 'var-run-app']);
    assert.deepEqual(c.containers[0].volumeMounts.map((v: Json) => v.mountPath), ['/tmp', '/var/run/app']);
  }
});

const C = 'spec.template.spec.containers[0].securityContext';
const P = 'spec.template.spec.securityContext';
/** One row per restricted field: what to delete from the generated Deployment, what must be reported. */
const REMOVALS: { name: string; remove: string[][]; expect: string[] }[] = [
  { name: 'runAsNonRoot', remove: [[C, 'runAsNonRoot'], [P, 'runAsNonRoot']], expect: [`DP001 missing web ${C}.runAsNonRoot`] },
  { name: 'allowPrivilegeEscalation', remove: [[C, 'allowPrivilegeEscalation']], expect: [`DP003 missing web ${C}.allowPrivilegeEscalation`] },
  { name: 'capabilities.drop', remove: [[`${C}.capabilities`, 'drop']], expect: [`DP005 missing web ${C}.capabilities.drop`] },
  { name: 'capabilities', remove: [[C, 'capabilities']], expect: [`DP005 missing web ${C}.capabilities.drop`] },
  { name: 'seccompProfile', remove: [[C, 'seccompProfile'], [P, 'seccompProfile']], expect: [`DP007 missing web ${C}.seccompProfile.type`] },
  { name: 'readOnlyRootFilesystem', remove: [[C, 'readOnlyRootFilesystem']], expect: [`DH001 missing web ${C}.readOnlyRootFilesystem`] },
  { name: 'container securityContext', remove: [[C.replace(/\.securityContext$/, ''), 'securityContext']], expect: [`DH001 missing web ${C}.readOnlyRootFilesystem`, `DP003 missing web ${C}.allowPrivilegeEscalation`, `DP005 missing web ${C}.capabilities.drop`] },
  { name: 'every securityContext', remove: [[C.replace(/\.securityContext$/, ''), 'securityContext'], ['spec.template.spec', 'securityContext']], expect: [`DH001 missing web ${C}.readOnlyRootFilesystem`, `DP001 missing web ${C}.runAsNonRoot`, `DP003 missing web ${C}.allowPrivilegeEscalation`, `DP005 missing web ${C}.capabilities.drop`, `DP007 missing web ${C}.seccompProfile.type`] },
];

function at(o: Json, dotted: string): Json {
  let cur = o;
  for (const part of dotted.split('.')) {
    const m = /^(\w+)(?:\[(\d+)\])?$/.exec(part)!;
    cur = cur[m[1]!];
    if (m[2] !== undefined) cur = cur[Number(m[2])];
  }
  return cur;
}

for (const row of REMOVALS) {
  test(`a manifest without ${row.name} is reported field by field`, () => {
    const d = deployment();
    for (const [parent, key] of row.remove) delete at(d, parent!)[key!];
    const r = checkManifestText(stringify(d), 'deploy.yaml');
    assert.deepEqual(brief(r.findings), row.expect);
    for (const f of r.findings) assert.ok(f.line && f.line > 1, `${f.field} has a line`);
    assert.equal(policyExceeds(r.findings, 'medium'), true);
  });
}

test('removing runAsNonRoot or seccompProfile from one level only is fine (the other level covers it)', () => {
  for (const key of ['runAsNonRoot', 'seccompProfile']) {
    for (const level of [C, P]) {
      const d = deployment();
      delete at(d, level)[key];
      assert.deepEqual(checkManifestText(stringify(d)).findings, [], `${level}.${key}`);
    }
  }
});

test('violations per container in every workload kind, init containers, multi-document files', () => {
  const bad = {
    securityContext: { runAsNonRoot: false, runAsUser: 0, allowPrivilegeEscalation: true, privileged: true, capabilities: { drop: ['NET_RAW'], add: ['SYS_ADMIN', 'NET_BIND_SERVICE'] }, seccompProfile: { type: 'Unconfined' }, readOnlyRootFilesystem: false },
    ports: [{ containerPort: 80, hostPort: 80 }],
  };
  const good = at(deployment(), 'spec.template.spec.containers[0]');
  const podSpec = {
    hostNetwork: true,
    hostPID: true,
    hostIPC: false,
    securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
    initContainers: [{ name: 'init', image: 'x', ...bad }],
    containers: [{ ...good, name: 'app' }],
    volumes: [{ name: 'h', hostPath: { path: '/' } }, { name: 'n', nfs: { server: 's', path: '/' } }, { name: 'e', emptyDir: {} }],
  };
  const docs = [
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'svc' }, spec: {} },
    { apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'cron' }, spec: { schedule: '* * * * *', jobTemplate: { spec: { template: { spec: podSpec } } } } },
    { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'pod' }, spec: podSpec },
  ];
  for (const kind of ['StatefulSet', 'DaemonSet', 'Job', 'ReplicaSet']) docs.push({ apiVersion: 'apps/v1', kind, metadata: { name: kind.toLowerCase() }, spec: { template: { spec: podSpec } } as never });
  const r = checkManifestText(docs.map((d) => stringify(d)).join('---\n'), 'multi.yaml');
  assert.deepEqual(r.skipped, ['Service/svc']);
  assert.deepEqual(r.checked, ['CronJob/cron', 'Pod/pod', 'StatefulSet/statefulset', 'DaemonSet/daemonset', 'Job/job', 'ReplicaSet/replicaset']);
  for (const obj of r.checked) {
    const mine = r.findings.filter((f) => f.object === obj);
    assert.deepEqual([...new Set(mine.map((f) => f.rule))].sort(), ['DH001', 'DP001', 'DP002', 'DP003', 'DP004', 'DP005', 'DP006', 'DP007', 'DP008', 'DP009', 'DP010', 'DP011'], obj);
    assert.ok(mine.filter((f) => f.container !== undefined).every((f) => f.container === 'init'), `${obj}: app container is clean`);
    assert.deepEqual(mine.filter((f) => f.rule === 'DP008').map((f) => f.field.split('.').pop()), ['hostNetwork', 'hostPID']);
    const add = mine.find((f) => f.rule === 'DP006')!;
    assert.match(add.message, /SYS_ADMIN/);
    assert.doesNotMatch(add.message, /NET_BIND_SERVICE,/);
  }
  const cron = r.findings.find((f) => f.object === 'CronJob/cron' && f.rule === 'DP003')!;
  assert.equal(cron.field, 'spec.jobTemplate.spec.template.spec.initContainers[0].securityContext.allowPrivilegeEscalation');
  assert.equal(cron.document, 2);
  assert.equal(r.findings.find((f) => f.rule === 'DH001')!.severity, 'medium');
  assert.equal(r.findings.find((f) => f.rule === 'DH001')!.profile, 'distill');
  assert.equal(r.findings.find((f) => f.rule === 'DP004')!.severity, 'critical');
  assert.equal(policyExceeds(r.findings.filter((f) => f.rule === 'DH001'), 'high'), false);
});

test('CLI: policy --format k8s output passes policy check; a lacking manifest exits 1 with field paths', async () => {
  const dir = tempDir('distill-policy-');
  await writeImage(await makeImage([[{ name: 'app', content: 'x', mode: 0o755 }]], { user: '65532', exposedPorts: ['8080'] }), `oci:${dir}/img:v1`);
  const gen = await runDistill(['policy', `oci:${dir}/img:v1`, '--format', 'k8s', '--image-name', 'registry.example/img:v1']);
  assert.equal(gen.code, 0, gen.stderr);
  const file = join(dir, 'deploy.yaml');
  writeFileSync(file, gen.stdout);
  assert.equal((parse(gen.stdout) as Json).spec.template.spec.containers[0].image, 'registry.example/img:v1');
  const ok = await runDistill(['policy', 'check', file]);
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  assert.match(ok.stdout, /1 workload\(s\) meet the restricted profile/);

  const d = parse(gen.stdout) as Json;
  delete d.spec.template.spec.containers[0].securityContext.allowPrivilegeEscalation;
  writeFileSync(file, stringify(d));
  const bad = await runDistill(['policy', 'check', file]);
  assert.equal(bad.code, 1);
  assert.match(bad.stdout, new RegExp(`deploy\\.yaml:\\d+: high DP003 \\[restricted\\] doc 1 Deployment/img container img: ${C.replace(/[.[\]]/g, '\\$&')}\\.allowPrivilegeEscalation`));
  const json = await runDistill(['policy', 'check', file, '--json']);
  assert.deepEqual(JSON.parse(json.stdout).findings.map((f: PolicyFinding) => f.rule), ['DP003']);

  const named = `oci:${dir}/named:v1`;
  await writeImage(await makeImage([[{ name: 'etc/', type: 'directory' }, { name: 'etc/passwd', content: 'root:x:0:0::/root:/sbin/nologin\nweb:x:1500:1500::/:/sbin/nologin\n' }]], { user: 'web' }), named);
  const nj = JSON.parse((await runDistill(['policy', named, '--json'])).stdout);
  assert.deepEqual([nj.uid, nj.gid, nj.resolvedUser.source], [1500, 1500, 'passwd'], 'the CLI looks a named user up in the image');

  const all = await runDistill(['policy', `oci:${dir}/img:v1`, '--json']);
  const j = JSON.parse(all.stdout);
  assert.deepEqual([j.uid, j.gid, j.ports], [65532, 65532, [{ port: 8080, protocol: 'tcp' }]]);
  assert.match(j.notes.join('\n'), /--image-name/);

  const missing = await runDistill(['policy', 'check', join(dir, 'nope.yaml')]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /^distill: .*nope\.yaml: no such file/);
});
