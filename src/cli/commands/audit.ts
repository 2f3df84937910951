/** `distill audit IMAGE`: is it really distroless? Shells, package managers, setuid, root, secrets. */
import { Option, type Command } from 'commander';
import { auditExceeds, auditImage, readIgnoreFile, type AuditResult } from '../../analyze/audit/index.ts';
import { auditToSarif } from '../../report/audit-sarif.ts';
import { SEVERITY_ORDER, type AuditSeverity } from '../../analyze/audit/rules.ts';
import { openImageOrDir } from '../open.ts';
import { colors, printJson, table, type CommonOptions, expansionFlags } from '../output.ts';
import { escapeText as e } from '../../util/errors.ts';

interface AuditCliOptions extends CommonOptions {
  format: 'text' | 'json' | 'sarif';
  failOn: AuditSeverity | 'none';
  ignoreFile?: string;
  platform?: string;
}

const paint: Record<AuditSeverity, (s: string) => string> = {
  critical: (s) => colors.bold(colors.red(s)),
  high: colors.red,
  medium: colors.yellow,
  low: colors.cyan,
  info: colors.dim,
};

/** The text form of an audit (the verdict alone with `quiet`); values from the image escaped. */
export function auditText(r: AuditResult, ref: string, opts: { quiet?: boolean; ignoreFile?: string } = {}): string {
  if (opts.quiet) return `${e(r.verdict)}\n`;
  const out = [`${e(ref)} (${r.digest.slice(0, 19)})`, r.distroless ? colors.green(e(r.verdict)) : colors.red(e(r.verdict)), `grade ${r.grade} (score ${r.score}/100)`];
  if (r.findings.length) {
    const t = table(['severity', 'rule', 'finding', 'details']);
    for (const f of r.findings) {
      // Messages hold paths and values from the image: escaped before they are cut to fit.
      const m = e(f.message);
      t.push([paint[f.severity](f.severity), f.rule, e(f.title), m.length > 110 ? m.slice(0, 107) + '…' : m]);
    }
    out.push(t.toString());
  }
  if (r.ignored.length) out.push(`${r.ignored.length} finding(s) ignored by ${e(opts.ignoreFile ?? '')}`);
  return out.join('\n') + '\n';
}

/** Registers `distill audit`. */
export function register(program: Command): void {
  expansionFlags(program.command('audit'))
    .description('check an image is really distroless: shells, package managers, setuid files, root user, secrets, leftovers')
    .argument('<image>', 'image reference (oci:DIR[:TAG], oci-archive:FILE, docker-archive:FILE, podman:NAME, …) or dir:PATH (a root filesystem)')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json', 'sarif']).default('text'))
    .option('--json', 'same as --format json')
    .addOption(new Option('--fail-on <severity>', 'exit 1 when a finding is at or above this severity').choices([...SEVERITY_ORDER, 'none']).default('high'))
    .option('--ignore-file <file>', 'YAML/JSON list of rule ids or {rule, path, reason} to ignore')
    .option('--platform <os/arch>', 'platform to pick from a multi-platform image (default linux/amd64)')
    .option('-q, --quiet', 'print only the verdict line')
    .addHelpText(
      'after',
      `
Rules: DA001 shell, DA002 package manager, DA003 network/debug tools, DA004 setuid/setgid,
DA005 world-writable, DA006 root user, DA007 non-numeric user, DA008/DA009 secrets (values are
always masked), DA010 leftovers, DA011 dev dependencies, DA012 duplicate uid, DA013 empty password,
DA014 mutable tag, DA015 no HEALTHCHECK, DA016 user cannot be resolved, DA017 library missing or too old,
DA018 likely run-time need missing, DA019 no passwd entry for the uid. See docs/rules/DA*.md.

Exit status: 0 nothing at or above --fail-on; 1 findings at or above it; 2 bad input.`,
    )
    .action(async (ref: string, opts: AuditCliOptions) => {
      const format = opts.json ? 'json' : opts.format;
      const ignore = opts.ignoreFile ? readIgnoreFile(opts.ignoreFile) : undefined;
      const image = await openImageOrDir(ref, { platform: opts.platform });
      const r = await auditImage(image, { reference: ref, ignore });
      if (format === 'json') printJson(r);
      else if (format === 'sarif') printJson(auditToSarif(r));
      else process.stdout.write(auditText(r, ref, opts));
      if (opts.failOn !== 'none' && auditExceeds(r.findings, opts.failOn)) process.exitCode = 1;
    });
}
