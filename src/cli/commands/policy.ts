/** `distill policy IMAGE` (hardened run flags, compose, Kubernetes) and `distill policy check FILE`. */
import { Option, type Command } from 'commander';
import { openImage } from '../../oci/reference.ts';
import { needsUserFiles } from '../../oci/user.ts';
import { readUserFiles } from '../../analyze/user-files.ts';
import { generatePolicy, policyText, type PolicyFormat } from '../../runtime/policy.ts';
import { checkManifestFile, policyExceeds, POLICY_SEVERITIES, type PolicyCheckResult, type PolicySeverity } from '../../runtime/policy-check.ts';
import { colors, printJson, type CommonOptions } from '../output.ts';

interface PolicyCliOptions extends CommonOptions {
  format: PolicyFormat;
  writable: string[];
  imageName?: string;
  name?: string;
  platform?: string;
}

interface CheckCliOptions extends CommonOptions {
  failOn: PolicySeverity | 'none';
}

const paint: Record<PolicySeverity, (s: string) => string> = {
  critical: (s) => colors.bold(colors.red(s)),
  high: colors.red,
  medium: colors.yellow,
};

/** The text report of `policy check`: one line per finding, grouped by workload and container. */
export function checkText(r: PolicyCheckResult): string {
  const out: string[] = [];
  for (const f of r.findings) {
    const where = `${f.file}${f.line ? `:${f.line}` : ''}`;
    const who = `doc ${f.document} ${f.object}${f.container !== undefined ? ` container ${f.container}` : ' (pod)'}`;
    out.push(`${where}: ${paint[f.severity](f.severity)} ${f.rule} [${f.profile}] ${who}: ${f.field}: ${f.message}`);
  }
  out.push(checkSummary(r));
  if (r.skipped.length) out.push(`skipped (no pod template): ${r.skipped.join(', ')}`);
  return out.join('\n') + '\n';
}

/** The one-line verdict of `policy check`. */
export function checkSummary(r: PolicyCheckResult): string {
  const n = r.findings.length;
  return n === 0
    ? colors.green(`${r.file}: ${r.checked.length} workload(s) meet the restricted profile and distill's hardening`)
    : `${r.file}: ${n} problem(s) in ${new Set(r.findings.map((f) => `${f.document}/${f.object}`)).size} of ${r.checked.length} workload(s)`;
}

/** Registers `distill policy` and `distill policy check`. */
export function register(program: Command): void {
  const policy = program
    .command('policy')
    .description('hardened run flags, a compose service and a Kubernetes Deployment (PSS restricted) for an image; `policy check FILE` audits a manifest')
    .argument('<image>', 'image reference (oci:DIR[:TAG], oci-archive:FILE, docker-archive:FILE, podman:NAME, …)')
    .addOption(new Option('--format <format>', 'what to print').choices(['run', 'compose', 'k8s', 'all']).default('all'))
    .option('--writable <path>', 'a path the app writes to, mounted as tmpfs / emptyDir (repeatable; /tmp always is)', (v: string, p: string[]) => [...p, v], [])
    .option('--image-name <name>', 'image name to put in the commands and manifests (default: from the reference)')
    .option('--name <name>', 'compose service and Deployment name (default: from the image name)')
    .option('--platform <os/arch>', 'platform to pick from a multi-platform image (default linux/amd64)')
    .option('--json', 'print everything as JSON')
    .option('-q, --quiet', 'print only the chosen output, without notes')
    .addHelpText(
      'after',
      `
From the image config: the user (its uid when non-root, a name looked up in the image's
/etc/passwd; root or a user that cannot be resolved gets 65532, and a note says so),
exposed ports (-p; NET_BIND_SERVICE only below 1024). Everything else is fixed: read-only root,
tmpfs/emptyDir for /tmp and --writable paths, drop ALL capabilities, no-new-privileges, seccomp
RuntimeDefault. The k8s output passes \`distill policy check\`.

Examples:
  distill policy oci:out:nonroot --image-name registry.example/app:1.0 --format k8s > deploy.yaml
  distill policy podman:myapp --writable /var/cache/app --format run`,
    )
    .action(async (ref: string, opts: PolicyCliOptions) => {
      const image = await openImage(ref, { platform: opts.platform });
      const config = await image.config();
      // The layers are read only when a user or group name has to be looked up in them.
      const userFiles = needsUserFiles(config.config?.User ?? '') ? await readUserFiles(image) : undefined;
      const p = generatePolicy(config, ref, { writable: opts.writable, imageName: opts.imageName, name: opts.name, userFiles });
      if (opts.json) return printJson({ reference: ref, ...p });
      const text = policyText(opts.quiet ? { ...p, notes: [] } : p, opts.format);
      process.stdout.write(text);
    });

  policy
    .command('check')
    .description('report what a Kubernetes manifest lacks or violates against Pod Security Standards "restricted" (and read-only root)')
    .argument('<file>', 'YAML manifest, one or more documents (Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob, List)')
    .addOption(new Option('--fail-on <severity>', 'exit 1 when a finding is at or above this severity').choices([...POLICY_SEVERITIES, 'none']).default('medium'))
    .option('--json', 'print findings as JSON')
    .option('-q, --quiet', 'print only the summary line')
    .addHelpText(
      'after',
      `
Rules: DP001 runAsNonRoot, DP002 runAsUser 0, DP003 allowPrivilegeEscalation, DP004 privileged,
DP005 capabilities drop ALL, DP006 capabilities add, DP007 seccompProfile, DP008 host namespaces,
DP009 hostPath, DP010 hostPort, DP011 volume types (PSS baseline = critical, restricted = high);
DH001 readOnlyRootFilesystem (distill's own hardening rule, medium; not part of PSS).

Exit status: 0 nothing at or above --fail-on; 1 findings at or above it; 2 bad input.`,
    )
    .action((file: string, own: CheckCliOptions, cmd: Command) => {
      // --json and --quiet also belong to the parent command, which commander lets claim them.
      const opts = cmd.optsWithGlobals<CheckCliOptions>();
      const r = checkManifestFile(file);
      if (opts.json) printJson(r);
      else if (opts.quiet) process.stdout.write(checkSummary(r) + '\n');
      else process.stdout.write(checkText(r));
      if (policyExceeds(r.findings, opts.failOn)) process.exitCode = 1;
    });
}
