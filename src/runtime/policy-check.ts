/**
 * `distill policy check`: what a Kubernetes manifest lacks or violates against the Pod Security
 * Standards "restricted" profile (which includes "baseline"), per workload and container, field by
 * field, plus distill's own hardening rule (read-only root filesystem, not part of PSS).
 * Multi-document YAML; Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob and List.
 */
import { readFileSync } from 'node:fs';
import { LineCounter, parseAllDocuments } from 'yaml';
import { codeOf, DistillError } from '../util/errors.ts';

export type PolicySeverity = 'critical' | 'high' | 'medium';
export const POLICY_SEVERITIES: readonly PolicySeverity[] = ['critical', 'high', 'medium'];

/** Rule ids: DP0xx are PSS (baseline ones critical, restricted ones high), DH0xx distill hardening. */
export const POLICY_RULES = {
  DP001: { profile: 'restricted', severity: 'high', title: 'runAsNonRoot must be true' },
  DP002: { profile: 'restricted', severity: 'high', title: 'runAsUser must not be 0' },
  DP003: { profile: 'restricted', severity: 'high', title: 'allowPrivilegeEscalation must be false' },
  DP004: { profile: 'baseline', severity: 'critical', title: 'privileged must not be true' },
  DP005: { profile: 'restricted', severity: 'high', title: 'capabilities must drop ALL' },
  DP006: { profile: 'restricted', severity: 'high', title: 'only NET_BIND_SERVICE may be added' },
  DP007: { profile: 'restricted', severity: 'high', title: 'seccompProfile must be RuntimeDefault or Localhost' },
  DP008: { profile: 'baseline', severity: 'critical', title: 'host namespaces must not be shared' },
  DP009: { profile: 'baseline', severity: 'critical', title: 'hostPath volumes are not allowed' },
  DP010: { profile: 'baseline', severity: 'critical', title: 'hostPort must not be set' },
  DP011: { profile: 'restricted', severity: 'high', title: 'volume type not allowed' },
  DH001: { profile: 'distill', severity: 'medium', title: 'readOnlyRootFilesystem should be true' },
} as const satisfies Record<string, { profile: string; severity: PolicySeverity; title: string }>;
export type PolicyRuleId = keyof typeof POLICY_RULES;

export interface PolicyFinding {
  rule: PolicyRuleId;
  profile: 'baseline' | 'restricted' | 'distill';
  severity: PolicySeverity;
  file: string;
  /** 1-based document index in the file. */
  document: number;
  /** `Kind/name` of the workload. */
  object: string;
  /** Container name, or undefined for pod-level fields. */
  container?: string;
  /** Dotted path of the field in the document, e.g. spec.template.spec.containers[0].securityContext.runAsNonRoot. */
  field: string;
  /** 1-based line of the field, or of its nearest present parent when missing. */
  line?: number;
  problem: 'missing' | 'violates';
  /** The value found (undefined when missing). */
  actual?: unknown;
  message: string;
}

export interface PolicyCheckResult {
  file: string;
  /** Workloads checked (Kind/name), in order. */
  checked: string[];
  /** Documents skipped because they hold no pod template (Service, ConfigMap, …). */
  skipped: string[];
  findings: PolicyFinding[];
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** Where the pod spec lives in each workload kind. */
const POD_SPEC_PATH: Record<string, string[]> = {
  Pod: ['spec'],
  Deployment: ['spec', 'template', 'spec'],
  StatefulSet: ['spec', 'template', 'spec'],
  DaemonSet: ['spec', 'template', 'spec'],
  ReplicaSet: ['spec', 'template', 'spec'],
  ReplicationController: ['spec', 'template', 'spec'],
  Job: ['spec', 'template', 'spec'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
};

const ALLOWED_VOLUMES = new Set(['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret']);

function fieldPath(path: (string | number)[]): string {
  let s = '';
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : s ? `.${p}` : p;
  return s;
}

interface Ctx {
  file: string;
  document: number;
  object: string;
  lineOf: (path: (string | number)[]) => number | undefined;
  findings: PolicyFinding[];
}

function report(ctx: Ctx, rule: PolicyRuleId, path: (string | number)[], problem: 'missing' | 'violates', actual: unknown, message: string, container?: string): void {
  const r = POLICY_RULES[rule];
  ctx.findings.push({
    rule,
    profile: r.profile,
    severity: r.severity,
    file: ctx.file,
    document: ctx.document,
    object: ctx.object,
    ...(container !== undefined ? { container } : {}),
    field: fieldPath(path),
    line: ctx.lineOf(path),
    problem,
    ...(problem === 'violates' ? { actual } : {}),
    message,
  });
}

/** Checks one pod spec at `base` (path inside the document). */
function checkPodSpec(ctx: Ctx, spec: Obj, base: (string | number)[]): void {
  const psc = isObj(spec.securityContext) ? spec.securityContext : {};
  const pscPath = [...base, 'securityContext'];
  for (const ns of ['hostNetwork', 'hostPID', 'hostIPC'] as const) {
    if (spec[ns] === true) report(ctx, 'DP008', [...base, ns], 'violates', true, `${ns} is true; the pod shares the node's namespace`);
  }
  for (const [i, v] of arr(spec.volumes).entries()) {
    if (!isObj(v)) continue;
    const type = Object.keys(v).find((k) => k !== 'name');
    if (v.hostPath !== undefined) report(ctx, 'DP009', [...base, 'volumes', i, 'hostPath'], 'violates', v.hostPath, `volume ${String(v.name ?? i)} mounts a host path`);
    else if (type && !ALLOWED_VOLUMES.has(type)) report(ctx, 'DP011', [...base, 'volumes', i, type], 'violates', type, `volume ${String(v.name ?? i)} is of type ${type}; restricted allows ${[...ALLOWED_VOLUMES].join(', ')}`);
  }
  if (psc.runAsUser === 0) report(ctx, 'DP002', [...pscPath, 'runAsUser'], 'violates', 0, 'pod runAsUser is 0 (root)');
  if (psc.runAsNonRoot === false) report(ctx, 'DP001', [...pscPath, 'runAsNonRoot'], 'violates', false, 'pod runAsNonRoot is false');
  const podSeccomp = isObj(psc.seccompProfile) ? psc.seccompProfile.type : undefined;
  if (podSeccomp !== undefined && podSeccomp !== 'RuntimeDefault' && podSeccomp !== 'Localhost') {
    report(ctx, 'DP007', [...pscPath, 'seccompProfile', 'type'], 'violates', podSeccomp, `pod seccompProfile.type is ${String(podSeccomp)}`);
  }
  for (const kind of ['initContainers', 'containers', 'ephemeralContainers'] as const) {
    for (const [i, c] of arr(spec[kind]).entries()) {
      if (!isObj(c)) continue;
      const name = typeof c.name === 'string' ? c.name : `${kind}[${i}]`;
      checkContainer(ctx, c, [...base, kind, i], name, psc, pscPath);
    }
  }
}

function checkContainer(ctx: Ctx, c: Obj, cpath: (string | number)[], name: string, psc: Obj, pscPath: (string | number)[]): void {
  const sc = isObj(c.securityContext) ? c.securityContext : {};
  const scPath = [...cpath, 'securityContext'];
  const at = (...f: string[]) => [...scPath, ...f];
  // runAsNonRoot: the container's value wins, else the pod's; one of them must say true.
  if (sc.runAsNonRoot === false) report(ctx, 'DP001', at('runAsNonRoot'), 'violates', false, 'runAsNonRoot is false', name);
  else if (sc.runAsNonRoot !== true && psc.runAsNonRoot !== true && psc.runAsNonRoot !== false) {
    report(ctx, 'DP001', at('runAsNonRoot'), 'missing', undefined, `runAsNonRoot is not set here nor at ${fieldPath([...pscPath, 'runAsNonRoot'])}; restricted requires true`, name);
  }
  if (sc.runAsUser === 0) report(ctx, 'DP002', at('runAsUser'), 'violates', 0, 'runAsUser is 0 (root)', name);
  if (sc.allowPrivilegeEscalation === undefined) report(ctx, 'DP003', at('allowPrivilegeEscalation'), 'missing', undefined, 'allowPrivilegeEscalation is not set (it defaults to true); restricted requires false', name);
  else if (sc.allowPrivilegeEscalation !== false) report(ctx, 'DP003', at('allowPrivilegeEscalation'), 'violates', sc.allowPrivilegeEscalation, `allowPrivilegeEscalation is ${String(sc.allowPrivilegeEscalation)}; restricted requires false`, name);
  if (sc.privileged === true) report(ctx, 'DP004', at('privileged'), 'violates', true, 'privileged is true: the container has every capability and device of the node', name);
  const caps = isObj(sc.capabilities) ? sc.capabilities : {};
  const drop = arr(caps.drop).map(String);
  if (!drop.some((d) => d.toUpperCase() === 'ALL')) {
    report(ctx, 'DP005', at('capabilities', 'drop'), caps.drop === undefined ? 'missing' : 'violates', caps.drop, caps.drop === undefined ? 'capabilities.drop is not set; restricted requires ["ALL"]' : `capabilities.drop is ${JSON.stringify(caps.drop)}, without ALL`, name);
  }
  const bad = arr(caps.add).map(String).filter((a) => a.toUpperCase().replace(/^CAP_/, '') !== 'NET_BIND_SERVICE');
  if (bad.length) report(ctx, 'DP006', at('capabilities', 'add'), 'violates', caps.add, `capabilities.add has ${bad.join(', ')}; restricted allows only NET_BIND_SERVICE`, name);
  const ctype = isObj(sc.seccompProfile) ? sc.seccompProfile.type : undefined;
  const ptype = isObj(psc.seccompProfile) ? psc.seccompProfile.type : undefined;
  if (ctype !== undefined) {
    if (ctype !== 'RuntimeDefault' && ctype !== 'Localhost') report(ctx, 'DP007', at('seccompProfile', 'type'), 'violates', ctype, `seccompProfile.type is ${String(ctype)}; restricted requires RuntimeDefault or Localhost`, name);
  } else if (ptype === undefined) {
    report(ctx, 'DP007', at('seccompProfile', 'type'), 'missing', undefined, `seccompProfile is not set here nor at ${fieldPath([...pscPath, 'seccompProfile'])}; restricted requires RuntimeDefault or Localhost`, name);
  }
  for (const [i, p] of arr(c.ports).entries()) {
    if (isObj(p) && p.hostPort !== undefined && p.hostPort !== 0) report(ctx, 'DP010', [...cpath, 'ports', i, 'hostPort'], 'violates', p.hostPort, `hostPort ${String(p.hostPort)} binds a port on the node`, name);
  }
  if (sc.readOnlyRootFilesystem !== true) {
    report(ctx, 'DH001', at('readOnlyRootFilesystem'), sc.readOnlyRootFilesystem === undefined ? 'missing' : 'violates', sc.readOnlyRootFilesystem, `readOnlyRootFilesystem is ${sc.readOnlyRootFilesystem === undefined ? 'not set' : String(sc.readOnlyRootFilesystem)}; distill recommends true with emptyDir volumes for writable paths (not part of PSS)`, name);
  }
}

/** Checks manifest text (one or more YAML documents) as if read from `file`. */
export function checkManifestText(text: string, file = '<stdin>'): PolicyCheckResult {
  const lc = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lc });
  if (!Array.isArray(docs)) throw new DistillError(file, 'not YAML documents', { code: 'E_INPUT' });
  const findings: PolicyFinding[] = [];
  const checked: string[] = [];
  const skipped: string[] = [];
  for (const [di, doc] of docs.entries()) {
    if (doc.errors.length) throw new DistillError(file, `document ${di + 1}: ${doc.errors[0]!.message.split('\n')[0]}`, { code: 'E_INPUT' });
    const root = doc.toJS() as unknown;
    if (root === null || root === undefined) continue;
    const lineOf = (path: (string | number)[]): number | undefined => {
      for (let n = path.length; n >= 0; n--) {
        const node = doc.getIn(path.slice(0, n), true) as { range?: [number, number, number] } | undefined;
        if (node && typeof node === 'object' && node.range) return lc.linePos(node.range[0]).line;
      }
      return undefined;
    };
    const visit = (o: unknown, base: (string | number)[]) => {
      if (!isObj(o)) return;
      const kind = typeof o.kind === 'string' ? o.kind : '';
      const name = isObj(o.metadata) && typeof o.metadata.name === 'string' ? o.metadata.name : '(unnamed)';
      if (kind === 'List') {
        for (const [i, item] of arr(o.items).entries()) visit(item, [...base, 'items', i]);
        return;
      }
      const specPath = POD_SPEC_PATH[kind];
      let spec: unknown = o;
      for (const k of specPath ?? []) spec = isObj(spec) ? spec[k] : undefined;
      if (!specPath || !isObj(spec)) {
        skipped.push(`${kind || '(no kind)'}/${name}`);
        return;
      }
      checked.push(`${kind}/${name}`);
      checkPodSpec({ file, document: di + 1, object: `${kind}/${name}`, lineOf, findings }, spec, [...base, ...specPath]);
    };
    visit(root, []);
  }
  return { file, checked, skipped, findings };
}

/** Reads and checks a manifest file. */
export function checkManifestFile(file: string): PolicyCheckResult {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new DistillError(file, (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message, { code: codeOf(e) });
  }
  return checkManifestText(text, file);
}

/** Whether any finding is at or above `level`. */
export function policyExceeds(findings: PolicyFinding[], level: PolicySeverity | 'none'): boolean {
  if (level === 'none') return false;
  const max = POLICY_SEVERITIES.indexOf(level);
  return findings.some((f) => POLICY_SEVERITIES.indexOf(f.severity) <= max);
}
