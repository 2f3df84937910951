/**
 * Runtime policy generators: from an image's run config (user, exposed ports), the flags and
 * manifests that run it hardened — `docker run`/`podman run` flags, a compose service, and a
 * Kubernetes Deployment whose securityContext meets the Pod Security Standards "restricted"
 * profile plus a read-only root filesystem.
 */
import { stringify } from 'yaml';
import type { ImageConfig } from '../oci/types.ts';
import { DistillError } from '../util/errors.ts';
import { resolveUser, showUser, type UserFiles, type UserResolution } from '../oci/user.ts';

export const NONROOT = 65532;

export interface PolicyOptions {
  /** Paths the app writes to besides /tmp and the image's VOLUMEs (each gets a tmpfs / emptyDir). */
  writable?: string[];
  /** Image name written into the commands and manifests (default: derived from the reference). */
  imageName?: string;
  /** Name of the compose service and Kubernetes Deployment. */
  name?: string;
  /** The image's /etc/passwd and /etc/group, to resolve a user or group name (see `needsUserFiles`). */
  userFiles?: UserFiles;
}

export interface PortSpec {
  port: number;
  protocol: 'tcp' | 'udp' | 'sctp';
}

export interface Policy {
  image: string;
  name: string;
  /** The image's configured user ('' when none, i.e. root). */
  imageUser: string;
  /** `imageUser` resolved (src/oci/user.ts); uid and gid below are what the policy runs as. */
  resolvedUser: UserResolution;
  uid: number;
  gid: number;
  ports: PortSpec[];
  /** Paths mounted writable (tmpfs / emptyDir), /tmp first. */
  writable: string[];
  capAdd: string[];
  /** Things the user should know: user replaced, image name guessed, …. */
  notes: string[];
  run: { docker: string[]; podman: string[] };
  compose: Record<string, unknown>;
  kubernetes: Record<string, unknown>;
}

/**
 * The uid:gid the policy runs as: the image's own non-root uid when it is known, else 65532:65532
 * (root, or a user that cannot be resolved); with a note whenever the image's user is not used as
 * it is (a name Kubernetes cannot verify, no group, root, unknown).
 */
export function policyUser(u: UserResolution): { uid: number; gid: number; note?: string } {
  const shown = u.raw === '' ? 'unset' : showUser(u.raw);
  if (u.root === 'unknown') return { uid: NONROOT, gid: NONROOT, note: `image user ${shown} cannot be resolved (${u.reason}); using ${NONROOT}:${NONROOT} (set USER ${NONROOT} in the image)` };
  if (u.root) return { uid: NONROOT, gid: NONROOT, note: `image runs as root (user ${shown}); using ${NONROOT}:${NONROOT} — check the app can run as it` };
  const named = u.source === 'passwd' ? `image user ${shown} is a name (uid ${u.uid} in /etc/passwd), which Kubernetes runAsNonRoot cannot verify; using ${u.uid} (set USER ${u.uid} in the image)` : undefined;
  if (u.gid !== null) return { uid: u.uid, gid: u.gid, ...(named ? { note: named } : {}) };
  // Without a group runtimes would use gid 0; the uid's own number is the usual private group.
  const gid = u.uid === NONROOT ? NONROOT : u.uid;
  const noGroup = u.uid === NONROOT ? undefined : `image user ${u.uid} has no group${u.reason ? ` (${u.reason})` : ''}; using gid ${gid}`;
  const note = [named, noGroup].filter(Boolean).join('; ');
  return { uid: u.uid, gid, ...(note ? { note } : {}) };
}

/** `ExposedPorts` keys (`8080/tcp`) as numbers and protocols, sorted. */
export function exposedPorts(config: ImageConfig): PortSpec[] {
  const out: PortSpec[] = [];
  for (const key of Object.keys(config.config?.ExposedPorts ?? {})) {
    const m = /^(\d+)(?:\/(tcp|udp|sctp))?$/i.exec(key.trim());
    if (!m) continue;
    out.push({ port: Number(m[1]), protocol: (m[2]?.toLowerCase() ?? 'tcp') as PortSpec['protocol'] });
  }
  return out.sort((a, b) => a.port - b.port || a.protocol.localeCompare(b.protocol));
}

/** A DNS-1123 label from any string (Kubernetes object and container names). */
export function dnsLabel(s: string): string {
  const l = s.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 63).replace(/-+$/, '');
  return l || 'app';
}

/** The name an engine or cluster would use for `ref`, and whether it had to be guessed. */
export function imageNameFor(ref: string): { name: string; guessed: boolean } {
  const m = /^(podman|docker):(.+)$/.exec(ref);
  if (m) return { name: m[2]!, guessed: false };
  if (ref.startsWith('docker://')) return { name: ref.slice('docker://'.length), guessed: false };
  const f = /^(oci|oci-archive|docker-archive):([^:]+)(?::(.+))?$/.exec(ref);
  if (f) {
    const base = f[2]!.replace(/\/+$/, '').split('/').pop()!.replace(/\.(tar|tgz|tar\.gz)$/, '');
    return { name: `${dnsLabel(base)}:${f[3] ?? 'latest'}`, guessed: true };
  }
  return { name: ref, guessed: false };
}

function normalWritable(paths: string[]): string[] {
  const out = ['/tmp'];
  for (const p of paths) {
    if (!p.startsWith('/')) throw new DistillError(p, '--writable needs an absolute path', { code: 'E_USAGE' });
    const n = '/' + p.split('/').filter((x) => x && x !== '.').join('/');
    if (n === '/') throw new DistillError(p, 'the root filesystem cannot be made writable: that is what --read-only prevents', { code: 'E_USAGE' });
    if (n.split('/').includes('..')) throw new DistillError(p, '--writable path must not contain ..', { code: 'E_USAGE' });
    if (!out.includes(n)) out.push(n);
  }
  return out;
}

/** Volume names for writable paths: /tmp -> tmp, /var/cache/app -> var-cache-app. */
function volumeName(path: string, used: Set<string>): string {
  const base = dnsLabel(path.replace(/^\//, '').replace(/\//g, '-'));
  let name = base;
  for (let i = 2; used.has(name); i++) name = `${base}-${i}`;
  used.add(name);
  return name;
}

/** Builds every policy artefact for an image from its config. */
export function generatePolicy(config: ImageConfig, ref: string, opts: PolicyOptions = {}): Policy {
  const notes: string[] = [];
  const imageUser = config.config?.User ?? '';
  const resolvedUser = resolveUser(imageUser, opts.userFiles);
  const { uid, gid, note } = policyUser(resolvedUser);
  if (note) notes.push(note);
  const ports = exposedPorts(config);
  const capAdd = ports.some((p) => p.port < 1024) ? ['NET_BIND_SERVICE'] : [];
  if (capAdd.length) notes.push(`port ${ports.filter((p) => p.port < 1024).map((p) => p.port).join(', ')} is below 1024: NET_BIND_SERVICE is added back (or listen on a port >= 1024 and drop it)`);
  // A VOLUME is a directory the image expects to be written to: keep it writable on a read-only root.
  const volumes = Object.keys(config.config?.Volumes ?? {}).filter((v) => v.startsWith('/')).sort();
  const writable = normalWritable([...(opts.writable ?? []), ...volumes]);
  if (volumes.length) notes.push(`image VOLUME ${volumes.join(', ')} mounted writable (tmpfs / emptyDir; use a persistent volume if the data must survive)`);
  const guessed = opts.imageName ? { name: opts.imageName, guessed: false } : imageNameFor(ref);
  if (guessed.guessed) notes.push(`no registry name for ${ref}; manifests use "${guessed.name}" (set --image-name)`);
  const image = guessed.name;
  const name = dnsLabel(opts.name ?? image.split('@')[0]!.split('/').pop()!.split(':')[0]!);

  const flags: string[] = ['--read-only'];
  for (const w of writable) flags.push('--tmpfs', `${w}:rw,noexec,nosuid,size=64m`);
  flags.push('--user', `${uid}:${gid}`, '--cap-drop', 'ALL');
  for (const c of capAdd) flags.push('--cap-add', c);
  flags.push('--security-opt', 'no-new-privileges');
  for (const p of ports) flags.push('-p', `${p.port}:${p.port}${p.protocol === 'tcp' ? '' : '/' + p.protocol}`);
  const run = { docker: ['docker', 'run', '--rm', ...flags, image], podman: ['podman', 'run', '--rm', ...flags, image] };

  const compose = {
    services: {
      [name]: {
        image,
        read_only: true,
        user: `${uid}:${gid}`,
        cap_drop: ['ALL'],
        ...(capAdd.length ? { cap_add: capAdd } : {}),
        security_opt: ['no-new-privileges:true'],
        tmpfs: writable.map((w) => `${w}:rw,noexec,nosuid,size=64m`),
        ...(ports.length ? { ports: ports.map((p) => `${p.port}:${p.port}${p.protocol === 'tcp' ? '' : '/' + p.protocol}`) } : {}),
      },
    },
  };

  const used = new Set<string>();
  const vols = writable.map((w) => ({ path: w, name: volumeName(w, used) }));
  const labels = { 'app.kubernetes.io/name': name };
  const kubernetes = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, labels },
    spec: {
      replicas: 1,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          automountServiceAccountToken: false,
          securityContext: {
            runAsNonRoot: true,
            runAsUser: uid,
            runAsGroup: gid,
            fsGroup: gid,
            seccompProfile: { type: 'RuntimeDefault' },
          },
          containers: [
            {
              name,
              image,
              ...(ports.length ? { ports: ports.map((p) => ({ containerPort: p.port, protocol: p.protocol.toUpperCase() })) } : {}),
              securityContext: {
                runAsNonRoot: true,
                runAsUser: uid,
                runAsGroup: gid,
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                privileged: false,
                capabilities: { drop: ['ALL'], ...(capAdd.length ? { add: capAdd } : {}) },
                seccompProfile: { type: 'RuntimeDefault' },
              },
              volumeMounts: vols.map((v) => ({ name: v.name, mountPath: v.path })),
            },
          ],
          volumes: vols.map((v) => ({ name: v.name, emptyDir: { sizeLimit: '64Mi' } })),
        },
      },
    },
  };
  return { image, name, imageUser, resolvedUser, uid, gid, ports, writable, capAdd, notes, run, compose, kubernetes };
}

/** Quotes a shell word only when it needs it. */
export function shellWord(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

export type PolicyFormat = 'run' | 'compose' | 'k8s' | 'all';

/** The text form: commands and YAML; notes as `#` comments so YAML output stays valid. */
export function policyText(p: Policy, format: PolicyFormat): string {
  const out: string[] = [];
  for (const n of p.notes) out.push(`# note: ${n}`);
  const cmd = (argv: string[]) => argv.map(shellWord).join(' ');
  if (format === 'run' || format === 'all') {
    if (format === 'all') out.push('# docker run / podman run');
    out.push(cmd(p.run.docker), cmd(p.run.podman));
  }
  if (format === 'compose' || format === 'all') {
    if (format === 'all') out.push('', '# compose.yaml');
    out.push(stringify(p.compose, { aliasDuplicateObjects: false }).trimEnd());
  }
  if (format === 'k8s' || format === 'all') {
    if (format === 'all') out.push('', '# Kubernetes (Pod Security Standards: restricted)', '---');
    out.push(stringify(p.kubernetes, { aliasDuplicateObjects: false }).trimEnd());
  }
  return out.join('\n') + '\n';
}
