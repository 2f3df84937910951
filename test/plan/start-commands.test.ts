/**
 * Acceptance for the run plan: `distill convert` (a Dockerfile) and `distill build` (an image)
 * must start an app the same way. For every row of test/plan/start-rows.ts the converted
 * Dockerfile's effective ENTRYPOINT and CMD (final stage, FROM chain and the base's own
 * ENTRYPOINT resolved as Docker does) equal the built image's config element by element, the
 * argv equals the one written by hand from the original image, and WORKDIR agrees; a row with no
 * safe translation is refused by both, for the same reason. Bases are small in-process OCI
 * layouts with the entrypoints src/base/flavours.ts gives each flavour.
 *
 * Each row reports every disagreement it finds in one failure, as a checklist.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import { convertDockerfile, type ConvertResult } from '../../src/dockerfile/convert/index.ts';
import { parseDockerfile } from '../../src/dockerfile/parse.ts';
import type { Stage } from '../../src/dockerfile/model.ts';
import { buildApp } from '../../src/assemble/index.ts';
import { flavour, FLAVOUR_NAMES } from '../../src/base/flavours.ts';
import { writeLayout } from '../../src/oci/transports/layout.ts';
import { openImage } from '../../src/oci/reference.ts';
import { DistillError } from '../../src/util/errors.ts';
import { makeImage, tempDir } from '../helpers/images.ts';
import { ROWS, type Arg, type StartRow, type Tool } from './start-rows.ts';

const PREFIX = 'localhost/distill-plan';
const TAG = 'nonroot';
const work = tempDir('distill-plan-start-');
const bases = join(work, 'bases');
const baseRuns = new Map<string, Run>();

/** What a container starts with: the config's Entrypoint, Cmd and WorkingDir. */
interface Run {
  entrypoint: string[];
  cmd: string[];
  workdir: string;
}

before(async () => {
  // Only the config matters to both renderings; the layer makes a plausible root.
  const etc = [{ name: 'etc/', type: 'directory' as const }, { name: 'etc/passwd', content: 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' }];
  for (const name of FLAVOUR_NAMES) {
    const f = flavour(name);
    const env = { PATH: `/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin${f.node ? ':/nodejs/bin' : ''}`, SSL_CERT_FILE: '/etc/ssl/certs/ca-certificates.crt', ...f.env };
    const img = await makeImage([etc], { ...(f.entrypoint ? { entrypoint: [...f.entrypoint] } : {}), user: '65532', workdir: '/home/nonroot', env });
    await writeLayout(img, join(bases, name), TAG);
    const c = (await (await openImage(layoutRef(name))).config()).config;
    baseRuns.set(name, { entrypoint: c?.Entrypoint ?? [], cmd: c?.Cmd ?? [], workdir: c?.WorkingDir || '/' });
  }
});

function layoutRef(flavourName: string): string {
  return `oci:${join(bases, flavourName)}:${TAG}`;
}

/** The flavour of a `PREFIX/<flavour>:nonroot` reference, or null when convert chose another base. */
function prefixFlavour(ref: string | null | undefined): string | null {
  const m = ref ? new RegExp(`^${PREFIX.replace(/[.]/g, '\\.')}/([a-z0-9]+):${TAG}$`).exec(ref) : null;
  return m && baseRuns.has(m[1]!) ? m[1]! : null;
}

/**
 * The ENTRYPOINT, CMD and WORKDIR of a Dockerfile's final stage, as Docker computes them: along
 * the FROM chain from `root(image)`'s config; ENTRYPOINT clears a CMD inherited from an earlier
 * stage or the base, not one set before it in the same stage; shell form runs `/bin/sh -c`.
 */
function effectiveRun(text: string, root: (image: string) => Run): Run {
  const { stages } = parseDockerfile(text);
  const chain: Stage[] = [];
  for (let s: Stage | undefined = stages[stages.length - 1]; s; s = s.parentStage === null ? undefined : stages[s.parentStage]) chain.unshift(s);
  let { entrypoint, cmd, workdir } = root(chain[0]!.resolvedImage);
  for (const st of chain) {
    let cmdSet = false;
    for (const i of st.instructions) {
      const argv = i.exec ?? ['/bin/sh', '-c', i.args];
      if (i.keyword === 'ENTRYPOINT') {
        entrypoint = argv;
        if (!cmdSet) cmd = [];
      } else if (i.keyword === 'CMD') {
        cmd = argv;
        cmdSet = true;
      } else if (i.keyword === 'WORKDIR') workdir = posix.resolve(workdir, i.args.replace(/^(["'])(.*)\1$/, '$2'));
    }
  }
  return { entrypoint, cmd, workdir };
}

/** argv with the interpreter's path reduced to its name (`/nodejs/bin/node` -> `node`). */
function named(argv: string[]): string[] {
  const name = posix.basename(argv[0] ?? '');
  const interp = /^(node|java)$/.test(name) ? name : /^python3(\.\d+)?$/.test(name) ? 'python3' : null;
  return interp ? [interp, ...argv.slice(1)] : argv;
}

/** Whether `actual` names the file `written` (relative to the original WORKDIR) from `newWd`. */
function sameFile(actual: string, written: string, origWd: string, newWd: string): boolean {
  const want = posix.resolve(origWd, written);
  if (actual.startsWith('/')) return posix.normalize(actual) === want;
  if (written.startsWith('./') && !/^\.\.?\//.test(actual)) return false;
  return posix.resolve(newWd, actual) === want;
}

function argMatches(actual: string | undefined, want: Arg, origWd: string, newWd: string): boolean {
  if (actual === undefined) return false;
  if (typeof want === 'string') return actual === want;
  if ('path' in want) return sameFile(actual, want.path, origWd, newWd);
  const a = actual.split(':');
  const w = want.classpath.split(':');
  return a.length === w.length && a.every((x, k) => sameFile(x, w[k]!, origWd, newWd));
}

/** The expectation as the container would run it from the original WORKDIR (paths absolute). */
function showExpected(expect: Arg[], origWd: string): string {
  const one = (a: Arg) => (typeof a === 'string' ? a : 'path' in a ? `<${posix.resolve(origWd, a.path)}>` : `<${a.classpath.split(':').map((p) => posix.resolve(origWd, p)).join(':')}>`);
  return JSON.stringify(expect.map(one));
}

function writeApp(row: StartRow): string {
  const dir = join(work, 'apps', `${ROWS.indexOf(row)}-${row.name.replace(/[^a-z0-9]+/gi, '-').replace(/^-|-$/g, '').toLowerCase().slice(0, 50)}`);
  for (const [p, content] of Object.entries(row.files)) {
    mkdirSync(dirname(join(dir, p)), { recursive: true });
    writeFileSync(join(dir, p), content);
  }
  for (const p of row.executable ?? []) chmodSync(join(dir, p), 0o755);
  if (row.wheels) writeWheels(join(dir, 'wheelhouse'), row.wheels);
  return dir;
}

/**
 * Stub packages as wheels, so the row installs offline. `pip wheel` cannot build them here (the
 * host's setuptools has no `wheel` package for bdist_wheel), and a wheel is only a zip with three
 * metadata files, so Python's zipfile writes it (fixed timestamps, RECORD with sha256s).
 */
function writeWheels(dir: string, wheels: Record<string, string>): void {
  mkdirSync(dir, { recursive: true });
  const script = `
import base64, hashlib, sys, zipfile
name, version, out = sys.argv[1:4]
di = f"{name}-{version}.dist-info"
files = {
    f"{name}/__init__.py": f'__version__ = "{version}"\\n',
    f"{name}/__main__.py": f"import sys\\nprint('{name} (test stub)', sys.argv[1:])\\n",
    f"{di}/METADATA": f"Metadata-Version: 2.1\\nName: {name}\\nVersion: {version}\\n",
    f"{di}/WHEEL": "Wheel-Version: 1.0\\nGenerator: distill-test\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n",
}
def record(p, c):
    d = base64.urlsafe_b64encode(hashlib.sha256(c.encode()).digest()).rstrip(b"=").decode()
    return f"{p},sha256={d},{len(c.encode())}"
files[f"{di}/RECORD"] = "\\n".join([record(p, c) for p, c in files.items()] + [f"{di}/RECORD,,"]) + "\\n"
with zipfile.ZipFile(f"{out}/{name}-{version}-py3-none-any.whl", "w") as z:
    for p, c in files.items():
        z.writestr(zipfile.ZipInfo(p, (1980, 1, 1, 0, 0, 0)), c)
`;
  for (const [name, version] of Object.entries(wheels)) execFileSync('python3', ['-c', script, name, version, dir]);
}

const TOOL_CHECK: Record<Tool, string[]> = { python3: ['python3', '-m', 'pip', '--version'], javac: ['javac', '-version'], go: ['go', 'version'] };
const toolOk = new Map<Tool, boolean>();
function missingTool(row: StartRow): string | undefined {
  for (const t of row.needs ?? []) {
    if (!toolOk.has(t)) toolOk.set(t, spawnSync(TOOL_CHECK[t][0]!, TOOL_CHECK[t].slice(1), { stdio: 'ignore' }).status === 0);
    if (!toolOk.get(t)) return `${TOOL_CHECK[t].join(' ')} does not run on this host`;
  }
  return undefined;
}

type Refusal = ConvertResult & { status?: string; reason?: string; code?: string };

/** Convert's refusal reason: a `reason` field when it has one, else its warnings. */
function convertReason(r: Refusal): string {
  return r.reason ?? r.warnings.join('; ');
}

function errText(e: unknown): string {
  return e instanceof DistillError ? `DistillError(${(e as { code?: string }).code ?? 'no code'}): ${e.message}` : `${(e as Error)?.name}: ${(e as Error)?.message ?? String(e)}`;
}

async function builtRun(appDir: string, base: { base: string } | { baseDir: string }): Promise<Run> {
  const r = await buildApp({ appDir, ...base });
  try {
    const c = (await r.image.config()).config;
    return { entrypoint: c?.Entrypoint ?? [], cmd: c?.Cmd ?? [], workdir: c?.WorkingDir || '/' };
  } finally {
    r.cleanup();
  }
}

async function checkRow(row: StartRow, dir: string, text: string): Promise<string[]> {
  const problems: string[] = [];
  const origWd = effectiveRun(text, () => ({ entrypoint: [], cmd: [], workdir: '/' })).workdir;
  const conv = convertDockerfile(text, { context: dir, basePrefix: PREFIX }) as Refusal;
  const refusedByConvert = !conv.converted || conv.status === 'refused';

  if (row.refused) {
    if (!refusedByConvert) problems.push(`convert: converted it (base ${conv.base}); expected refused /${row.refused.source}/ — warnings: ${JSON.stringify(conv.warnings)}`);
    else if (!row.refused.test(convertReason(conv))) problems.push(`convert: refused, but the reason does not match /${row.refused.source}/: ${convertReason(conv)}`);
    let buildErr: unknown;
    try {
      const run = await builtRun(dir, { baseDir: bases });
      problems.push(`build: built it (runs ${JSON.stringify([...run.entrypoint, ...run.cmd])}); expected a DistillError matching /${row.refused.source}/`);
    } catch (e) {
      buildErr = e;
      if (!(e instanceof DistillError)) problems.push(`build: threw ${errText(e)}; expected a DistillError`);
      else if (!row.refused.test(e.message)) problems.push(`build: refused, but the reason does not match /${row.refused.source}/: ${e.message}`);
      else if (e.exitCode !== 3) problems.push(`build: refused with exit status ${e.exitCode}; a refusal exits 3`);
    }
    if (refusedByConvert && buildErr instanceof DistillError) {
      const bc = (buildErr as { code?: string }).code;
      if (conv.code !== undefined && bc !== undefined) {
        if (conv.code !== bc) problems.push(`refusal codes differ: convert ${conv.code}, build ${bc}`);
      } else if (convertReason(conv) !== buildErr.message) problems.push(`refusal reasons differ:\n     convert: ${convertReason(conv)}\n     build:   ${buildErr.message}`);
    }
    return problems;
  }

  const expect = row.expect!;
  // (1) convert's output, read back as Docker would run it.
  let converted: Run | undefined;
  let fl: string | null = null;
  if (refusedByConvert) problems.push(`convert: not converted: ${convertReason(conv)}`);
  else {
    fl = prefixFlavour(conv.base);
    if (!fl) problems.push(`convert: chose base ${conv.base}, not ${PREFIX}/<flavour>:${TAG}`);
    else {
      let unknownRoot: string | undefined;
      converted = effectiveRun(conv.dockerfile, (image) => {
        const f = prefixFlavour(image);
        if (!f) unknownRoot = image;
        return baseRuns.get(f ?? '') ?? { entrypoint: [], cmd: [], workdir: '/' };
      });
      if (unknownRoot) {
        problems.push(`convert: the final stage's FROM chain starts at ${unknownRoot}, not a ${PREFIX} base`);
        converted = undefined;
      }
    }
  }
  // (2) build on a base of the flavour convert chose (its own choice when convert gave none).
  let built: Run | undefined;
  try {
    built = await builtRun(dir, fl ? { base: layoutRef(fl) } : { baseDir: bases });
  } catch (e) {
    problems.push(`build: threw ${errText(e)}`);
  }
  // (3) the two renderings agree, ENTRYPOINT with ENTRYPOINT and CMD with CMD; (5) so does WORKDIR.
  if (converted && built) {
    if (JSON.stringify(converted.entrypoint) !== JSON.stringify(built.entrypoint)) problems.push(`ENTRYPOINT differs: convert ${JSON.stringify(converted.entrypoint)}, build ${JSON.stringify(built.entrypoint)}`);
    if (JSON.stringify(converted.cmd) !== JSON.stringify(built.cmd)) problems.push(`CMD differs: convert ${JSON.stringify(converted.cmd)}, build ${JSON.stringify(built.cmd)}`);
    if (converted.workdir !== built.workdir) problems.push(`WORKDIR differs: convert ${converted.workdir}, build ${built.workdir}`);
  }
  // (4) what runs is what the original ran.
  for (const [side, run] of [['convert', converted], ['build', built]] as const) {
    if (!run) continue;
    const argv = named([...run.entrypoint, ...run.cmd]);
    const ok = argv.length === expect.length && expect.every((w, k) => argMatches(argv[k], w, origWd, run.workdir));
    if (!ok) problems.push(`${side}: runs ${JSON.stringify(argv)} in ${run.workdir}; expected ${showExpected(expect, origWd)}`);
  }
  if (row.notes && !refusedByConvert) {
    const said = [...conv.changes.map((c) => c.reason), ...conv.warnings].join('\n');
    if (!row.notes.test(said)) problems.push(`convert: does not explain the change (nothing matches /${row.notes.source}/)`);
  }
  return problems;
}

test('the table covers the start-command shapes the run plan must agree on', () => {
  assert.ok(ROWS.length >= 22, `${ROWS.length} rows`);
  assert.ok(ROWS.filter((r) => r.refused).length >= 2, 'refused rows');
  assert.equal(new Set(ROWS.map((r) => r.name)).size, ROWS.length, 'row names are unique');
  for (const r of ROWS) assert.ok(!!r.expect !== !!r.refused, `${r.name}: exactly one of expect and refused`);
});

test('effectiveRun: FROM chain, ENTRYPOINT clearing an inherited CMD, shell form, WORKDIR', () => {
  const root = () => ({ entrypoint: ['/nodejs/bin/node'], cmd: ['repl.js'], workdir: '/home/nonroot' });
  assert.deepEqual(effectiveRun('FROM x\nCMD ["a.js"]\n', root), { entrypoint: ['/nodejs/bin/node'], cmd: ['a.js'], workdir: '/home/nonroot' });
  assert.deepEqual(effectiveRun('FROM x AS a\nWORKDIR /srv\nCMD ["a.js"]\nFROM a\nENTRYPOINT ["/bin/app"]\n', root), { entrypoint: ['/bin/app'], cmd: [], workdir: '/srv' });
  assert.deepEqual(effectiveRun('FROM x\nCMD ["--v"]\nENTRYPOINT ["/bin/app"]\nWORKDIR app\n', root), { entrypoint: ['/bin/app'], cmd: ['--v'], workdir: '/home/nonroot/app' });
  assert.deepEqual(effectiveRun('FROM x AS a\nCMD ["a.js"]\nFROM x AS b\nCMD ["b.js"]\nFROM a\n', root).cmd, ['a.js']);
  assert.deepEqual(effectiveRun('FROM x\nCMD node s.js\n', root).cmd, ['/bin/sh', '-c', 'node s.js']);
});

test('path arguments: any spelling of the same file passes, and ./ must stay a path', () => {
  assert.ok(argMatches('/usr/src/app/dist/main.js', { path: 'dist/main.js' }, '/usr/src/app', '/app'));
  assert.ok(argMatches('dist/main.js', { path: 'dist/main.js' }, '/usr/src/app', '/usr/src/app'));
  assert.ok(!argMatches('dist/main.js', { path: 'dist/main.js' }, '/usr/src/app', '/app'), 'relative to another WORKDIR names another file');
  assert.ok(argMatches('./tracing.js', { path: './tracing.js' }, '/opt/app', '/opt/app'));
  assert.ok(!argMatches('tracing.js', { path: './tracing.js' }, '/opt/app', '/opt/app'), 'node --require reads a bare name as a package');
  assert.ok(argMatches('/srv/app:app/lib/*', { classpath: 'app:app/lib/*' }, '/srv', '/srv'));
  assert.ok(!argMatches('app', { classpath: 'app:app/lib/*' }, '/srv', '/srv'));
  assert.deepEqual(named(['/nodejs/bin/node', 'a.js']), ['node', 'a.js']);
  assert.deepEqual(named(['/usr/bin/python3.11', '-m', 'x']), ['python3', '-m', 'x']);
  assert.deepEqual(named(['/usr/local/bin/api']), ['/usr/local/bin/api']);
});

for (const row of ROWS) {
  const skip = missingTool(row);
  test(row.name, { skip }, async () => {
    const dir = writeApp(row);
    const problems = await checkRow(row, dir, row.files.Dockerfile ?? assert.fail('the row has no Dockerfile'));
    if (problems.length) assert.fail(`${problems.length} problem(s):\n  - ${problems.join('\n  - ')}`);
  });
}
