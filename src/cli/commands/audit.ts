/** `distill audit IMAGE`: is it really distroless? Shells, package managers, setuid, root, secrets. */
import { Option, type Command } from 'commander';
import { auditExceeds, auditImage, readIgnoreFile } from '../../analyze/audit/index.ts';
import { auditToSarif } from '../../report/audit-sarif.ts';
import { SEVERITY_ORDER, type AuditSeverity } from '../../analyze/audit/rules.ts';
import { openImage } from '../../oci/reference.ts';
import { colors, printJson, table, type CommonOptions } from '../output.ts';

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

/** Registers `distill audit`. */
export function register(program: Command): void {
  program
    .command('audit')
    .description('check an image is really distroless: shells, package managers, setuid files, root user, secrets, leftovers')
    .argument('<image>', 'image reference (oci:DIR[:TAG], oci-archive:FILE, docker-archive:FILE, podman:NAME, …)')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json', 'sarif']).default('text'))
    .option('--json', 'same as --format json')
    .addOption(new Option('--fail-on <severity>', 'exit 1 when a finding is at or above this severity').choices([...SEVERITY_ORDER, 'none']).default('high'))
    .option('--ignore-file <file>', 'YAML/JSON list of rule ids or {rule, path, reason} to ignore')
    .option('--platform <os/arch>', 'platform to pick from a multi-platform image', 'linux/amd64')
    .option('-q, --quiet', 'print only the verdict line')
    .addHelpText(
      'after',
      `
Rules: DA001 shell, DA002 package manager, DA003 network/debug tools, DA004 setuid/setgid,
DA005 world-writable, DA006 root user, DA007 non-numeric user, DA008/DA009 secrets (values are
always masked), DA010 leftovers, DA011 dev dependencies, DA012 duplicate uid, DA013 empty password,
DA014 mutable tag, DA015 no HEALTHCHECK, DA016 user cannot be resolved. See docs/rules/DA*.md.

Exit status: 0 nothing at or above --fail-on; 1 findings at or above it; 2 bad input.`,
    )
    .action(async (ref: string, opts: AuditCliOptions) => {
      const format = opts.json ? 'json' : opts.format;
      const ignore = opts.ignoreFile ? readIgnoreFile(opts.ignoreFile) : undefined;
      const image = await openImage(ref, { platform: opts.platform });
      const r = await auditImage(image, { reference: ref, ignore });
      if (format === 'json') printJson(r);
      else if (format === 'sarif') printJson(auditToSarif(r));
      else if (opts.quiet) process.stdout.write(`${r.verdict}\n`);
      else {
        process.stdout.write(`${ref} (${r.digest.slice(0, 19)})\n`);
        process.stdout.write(`${r.distroless ? colors.green(r.verdict) : colors.red(r.verdict)}\n`);
        process.stdout.write(`grade ${r.grade} (score ${r.score}/100)\n`);
        if (r.findings.length) {
          const t = table(['severity', 'rule', 'finding', 'details']);
          for (const f of r.findings) t.push([paint[f.severity](f.severity), f.rule, f.title, f.message.length > 110 ? f.message.slice(0, 107) + '…' : f.message]);
          process.stdout.write(t.toString() + '\n');
        }
        if (r.ignored.length) process.stdout.write(`${r.ignored.length} finding(s) ignored by ${opts.ignoreFile}\n`);
      }
      if (opts.failOn !== 'none' && auditExceeds(r.findings, opts.failOn)) process.exitCode = 1;
    });
}
