/** `distill convert Dockerfile`: a multi-stage distroless Dockerfile, with every change explained. */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { convertDockerfile, PROVIDERS, type ConvertResult, type Provider } from '../../dockerfile/convert/index.ts';
import { DistillError, escapeControl } from '../../util/errors.ts';
import { writeFileAtomicSync } from '../../util/files.ts';
import { colors, printJson, type CommonOptions } from '../output.ts';
import { containerState, detectEngine, runEngine, type Engine } from '../../runtime/engine.ts';
import { startError } from '../../runtime/verify.ts';

interface ConvertCliOptions extends CommonOptions {
  provider: Provider;
  debug?: boolean;
  pin?: string;
  basePrefix?: string;
  context?: string;
  cargoChef?: boolean;
  target?: string;
  builderImage: string[];
  explain?: boolean;
  output?: string;
  verify?: boolean;
}

/** What `--verify` found: the output built and the container started, or the first error. */
export interface ConvertVerify {
  engine: Engine | null;
  built: boolean;
  started: boolean;
  error?: string;
}

/** The first line of an engine's build output that reads as the error, else its last line. */
export function buildError(output: string): string {
  const lines = output.split('\n').map((l) => l.trim()).filter(Boolean);
  const hit = lines.find((l) => /^(Error|error)\b|\bERROR\b|\bfailed\b|: not found|no such file or directory|returned a non-zero code/i.test(l));
  return (hit ?? lines.pop() ?? 'no output').replace(/^Error: /, '').slice(0, 300);
}

/**
 * Builds a converted Dockerfile with the engine and starts the image plainly: it must build, and
 * the container must stay up (or exit 0) for `settleMs`. Nothing is left behind.
 */
export async function verifyConverted(dockerfile: string, context: string, opts: { engine?: Engine; settleMs?: number } = {}): Promise<ConvertVerify> {
  let engine: Engine;
  try {
    engine = opts.engine ?? detectEngine();
  } catch {
    return { engine: null, built: false, started: false, error: 'neither podman nor docker is installed: not verified' };
  }
  const dir = mkdtempSync(join(tmpdir(), 'distill-verify-'));
  const id = randomBytes(5).toString('hex');
  const tag = `localhost/distill-verify:${id}`;
  const name = `distill-verify-${id}`;
  try {
    const file = join(dir, 'Dockerfile');
    writeFileSync(file, dockerfile);
    const b = await runEngine(engine, ['build', '-q', '-t', tag, '-f', file, context], { timeoutMs: 30 * 60_000 });
    if (b.code !== 0) return { engine, built: false, started: false, error: `${engine} build failed: ${buildError(b.stderr + '\n' + b.stdout)}` };
    const run = await runEngine(engine, ['run', '-d', '--name', name, '--network', 'none', tag], { timeoutMs: 120_000 });
    if (run.code !== 0) return { engine, built: true, started: false, error: `${engine} run failed: ${startError(run.stderr)}` };
    const until = Date.now() + (opts.settleMs ?? 3000);
    let st = await containerState(engine, name);
    while (st?.running && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 200));
      st = await containerState(engine, name);
    }
    if (st && !st.running && st.exitCode !== 0) {
      const logs = await runEngine(engine, ['logs', '--tail', '40', name]);
      return { engine, built: true, started: false, error: `the container exited ${st.exitCode}: ${startError(logs.stderr + '\n' + logs.stdout)}` };
    }
    return { engine, built: true, started: true };
  } finally {
    await runEngine(engine, ['rm', '-f', '-t', '0', name]);
    await runEngine(engine, ['rmi', '-f', tag]);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Reads a pin lock: `{ "image:tag": "sha256:…" }`, or the same map under an `images` key. */
export function readPinLock(path: string): Record<string, string> {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new DistillError(path, `cannot read the pin lock: ${(e as Error).message}`);
  }
  const obj = raw && typeof raw === 'object' && 'images' in raw ? (raw as { images: unknown }).images : raw;
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) throw new DistillError(path, 'the pin lock must be a JSON object mapping "image:tag" to "sha256:<digest>"');
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(obj)) {
    const d = typeof v === 'string' ? v : v && typeof v === 'object' && typeof (v as { digest?: unknown }).digest === 'string' ? (v as { digest: string }).digest : null;
    if (!d || !/^(sha256:)?[a-f0-9]{64}$/.test(d)) throw new DistillError(path, `"${k}": not a sha256 digest`);
    out[k] = d;
  }
  return out;
}

function collectPair(v: string, prev: string[]): string[] {
  return [...prev, v];
}

/** Parses repeated `NAME=REF` flags into a map. */
export function parseBuilderImages(pairs: string[]): Record<string, string> | undefined {
  if (!pairs.length) return undefined;
  const out: Record<string, string> = {};
  for (const p of pairs) {
    const i = p.indexOf('=');
    if (i <= 0 || i === p.length - 1 || /\s/.test(p)) throw new DistillError('--builder-image', `"${p}": expected NAME=REF, e.g. node:22=localhost/toolchains/node:22`);
    out[p.slice(0, i)] = p.slice(i + 1);
  }
  return out;
}

function explain(r: ConvertResult): string {
  const lines = [`${r.language} (${r.buildTool}) -> ${r.base ?? 'not converted'}`];
  for (const c of r.changes) lines.push(`  ${c.line ? `line ${c.line}: ` : ''}[${c.kind}] ${c.reason}`);
  return lines.join('\n') + '\n';
}

/** Registers `distill convert`. */
export function register(program: Command): void {
  program
    .command('convert')
    .description('rewrite a Dockerfile as a multi-stage build on a distroless base, and explain every change')
    .argument('<dockerfile>', 'the Dockerfile to convert (- for stdin)')
    .addOption(new Option('--provider <name>', 'runtime base images to use').choices(PROVIDERS).default('google'))
    .option('--debug', 'use the debug variant of the base (busybox shell) where the provider has one')
    .option('--pin <lockfile>', 'JSON lock mapping "image:tag" to "sha256:…"; FROM lines found in it get @digest')
    .option('--base-prefix <prefix>', 'name bases PREFIX/<flavour>:nonroot (local images built by `distill base`)')
    .option('--context <dir>', 'build context to read package.json, go.mod, pom.xml… from (default: the Dockerfile\'s directory)')
    .option('--target <stage>', 'convert this stage (name or index) as the app instead of the last one')
    .option('--cargo-chef', 'Rust: add a cargo-chef planner stage so dependencies build in their own cached layer')
    .option('--builder-image <name=ref>', 'build stages FROM NAME use REF instead (a local or mirrored toolchain image, e.g. for air-gapped builds); repeatable', collectPair, [])
    .option('--explain', 'print each change and its reason (to stderr when the Dockerfile goes to stdout)')
    .option('-o, --output <file>', 'write the converted Dockerfile to FILE instead of stdout (- is stdout)')
    .option('--verify', 'build the output with podman (or docker) and start it: one that does not build or start is refused with the engine\'s first error line')
    .option('--json', 'print {dockerfile, converted, changes, warnings, language, buildTool, base} as JSON')
    .option('-q, --quiet', 'print no warnings')
    .addHelpText(
      'after',
      `
Exit status: 0 converted, nothing to review (status "converted"); 1 converted with warnings a
person must check (status "review"); 3 refused: no safe conversion exists (the app would not
start the same program), nothing written, the reason printed; 2 bad input (unreadable file,
no FROM, bad flags).

Examples:
  distill convert Dockerfile --explain > Dockerfile.distroless
  distill convert Dockerfile --provider chainguard -o Dockerfile.cg
  distill convert Dockerfile --base-prefix localhost/distill --json
  distill convert Dockerfile --builder-image node:22=localhost/toolchains/node:22`,
    )
    .action(async (file: string, opts: ConvertCliOptions) => {
      let text: string;
      try {
        text = file === '-' ? readFileSync(0, 'utf8') : readFileSync(file, 'utf8');
      } catch (e) {
        throw new DistillError(file, `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
      const pin = opts.pin ? readPinLock(opts.pin) : undefined;
      const builderImages = parseBuilderImages(opts.builderImage);
      const context = opts.context ? resolve(opts.context) : file === '-' ? undefined : dirname(resolve(file));
      let r: ConvertResult;
      try {
        r = convertDockerfile(text, { provider: opts.provider, debug: opts.debug, pin, basePrefix: opts.basePrefix, context, cargoChef: opts.cargoChef, builderImages, ...(opts.target ? { target: opts.target } : {}) });
      } catch (e) {
        throw new DistillError(file, (e as Error).message);
      }
      let verified: ConvertVerify | undefined;
      if (opts.verify && r.converted) {
        verified = await verifyConverted(r.dockerfile, context ?? process.cwd());
        // An output that does not build or start is refused: nothing is written.
        if (verified.engine && verified.error) r = { ...r, dockerfile: text, converted: false, status: 'refused', refusalClass: 'verify-failed', refusal: `--verify: ${verified.error}`, warnings: [`--verify: ${verified.error}`, ...r.warnings] };
        else if (!verified.engine) r = { ...r, status: 'review', warnings: [...r.warnings, `--verify: ${verified.error}`] };
        else if (!opts.quiet && !opts.json) process.stderr.write(`distill: ${escapeControl(file)}: verified: built and started with ${verified.engine}\n`);
      }
      // `-o -` is stdout, as the input `-` is stdin.
      const output = opts.output === '-' ? undefined : opts.output;
      if (output && r.converted) writeFileAtomicSync(output, r.dockerfile);
      if (opts.json) printJson(verified ? { ...r, verify: verified } : r);
      else {
        if (r.status === 'refused') process.stderr.write(`distill: ${escapeControl(file)}: refused: ${escapeControl(r.refusal ?? 'no safe conversion')}${r.refusalClass ? ` [${r.refusalClass}]` : ''}\n`);
        else if (!output) process.stdout.write(r.dockerfile);
        if (opts.explain) (output ? process.stdout : process.stderr).write(explain(r));
        else if (output && !opts.quiet && r.converted) process.stdout.write(`wrote ${output}: ${r.language} on ${r.base} (${r.changes.length} changes; --explain lists them)\n`);
        if (!opts.quiet) for (const w of r.warnings.filter((x) => x !== r.refusal)) process.stderr.write(`${colors.yellow('distill: warning:')} ${file}: ${w}\n`);
      }
      process.exitCode = r.status === 'refused' ? 3 : r.status === 'review' ? 1 : 0;
    });
}
