/**
 * Acceptance: `distill convert` and `distill build` render one run plan, so for every example the
 * image podman builds from Dockerfile.distroless and the image `distill build` assembles agree:
 * same Entrypoint, Cmd, User, WorkingDir, Env (as a set) and ExposedPorts, the same files under
 * the WorkingDir, and the same HTTP answers on / and /health when run read-only as 65532 with all
 * capabilities dropped.
 *
 * Both start from the same base: `distill base <flavour>` (the flavour convert picks, read from its
 * --json) written to a layout, which `distill build --base oci:…:nonroot` takes, and loaded into
 * podman under the name convert emits with --base-prefix. Both get the same files: the converted
 * Dockerfile is written next to the example's (as a user would keep it), and `distill build` gets a
 * copy of that same directory. The builder stages run on local toolchain images (see
 * test/helpers/builders.ts and convert-build.test.ts for why). Configs are read with skopeo, not
 * distill; file lists come from `distill export` and a plain directory walk. Every differing field
 * is reported at once, both values side by side, so a failure is a checklist.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, lstatSync, mkdirSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { runDistill, ROOT } from '../helpers/cli.ts';
import { podman, podmanEnv, run } from '../helpers/podman.ts';
import { tempDir } from '../helpers/images.ts';
import { getJson } from '../helpers/http.ts';
import { BUILDERS, ensureBuilder, type BuilderKind } from '../helpers/builders.ts';
import { pullLayout, runHardened } from '../helpers/containers.ts';
import { factsDiff, runFactsOf, type RunFacts } from '../../src/harden/after.ts';

// A prefix of this file's own, so convert-build.test.ts removing its bases never races this one.
const PREFIX = 'localhost/distill-e2e/cvb';
const work = tempDir('distill-e2e-cvb-');
const locks = join(ROOT, 'test-output', 'convert-vs-build-locks');
const images: string[] = [];

const EXAMPLES: { name: string; builder: BuilderKind; from: string }[] = [
  { name: 'node-express', builder: 'node', from: 'node:22' },
  { name: 'python-http', builder: 'python', from: 'python:3.13' },
  { name: 'go-http', builder: 'go', from: 'golang:1.22' },
  { name: 'java-http', builder: 'java', from: 'eclipse-temurin:17' },
  { name: 'rust-http', builder: 'rust', from: 'rust:1.82' },
];

/** Flavour convert picks per example, read from `convert --json` in before(). */
const flavourOf = new Map<string, string>();
const baseLayout = (flavour: string) => join(work, 'bases', flavour);

before(async () => {
  mkdirSync(locks, { recursive: true });
  for (const ex of EXAMPLES) {
    const c = await runDistill(['convert', join(ROOT, 'examples', ex.name, 'Dockerfile'), '--base-prefix', PREFIX, '--json']);
    assert.equal(c.code, 0, `distill convert ${ex.name}: ${c.stderr}`);
    const base = (JSON.parse(c.stdout) as { base: string }).base;
    const m = new RegExp(`^${PREFIX}/([a-z0-9]+):nonroot$`).exec(base);
    assert.ok(m, `${ex.name}: convert chose ${base}, not a ${PREFIX}/<flavour>:nonroot base`);
    flavourOf.set(ex.name, m[1]!);
  }
  for (const flavour of new Set(flavourOf.values())) {
    const r = await runDistill(['base', flavour, ...(flavour === 'nodejs' ? ['--node', '22'] : []), '-o', baseLayout(flavour), '--lock', join(locks, `${flavour}.lock.json`), '--tags', 'nonroot', '--load', `${PREFIX}/${flavour}`, '-q'], { env: podmanEnv() });
    assert.equal(r.code, 0, `distill base ${flavour}: ${r.stderr}`);
    images.push(`${PREFIX}/${flavour}:nonroot`);
  }
  // Builder images are shared with other test files running at the same time: kept, never removed here.
  for (const ex of EXAMPLES) await ensureBuilder(ex.builder);
});

after(async () => {
  for (const i of images) await podman(['rmi', '-f', i]);
  rmSync(work, { recursive: true, force: true });
});

/** Reads an image's config with skopeo (`containers-storage:NAME` or `oci:DIR:TAG`). */
async function runConfig(ref: string): Promise<RunFacts> {
  const r = await run('skopeo', ['inspect', '--config', ref]);
  assert.equal(r.code, 0, `skopeo inspect --config ${ref}: ${r.stderr}`);
  return runFactsOf((JSON.parse(r.stdout) as { config?: Parameters<typeof runFactsOf>[0] }).config ?? {});
}

/** Every path under `dir`, sorted: directories end in `/`, symlinks show their target. */
function listTree(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    const rel = prefix + name;
    const st = lstatSync(path);
    if (st.isSymbolicLink()) out.push(`${rel} -> ${readlinkSync(path)}`);
    else if (st.isDirectory()) out.push(`${rel}/`, ...listTree(path, `${rel}/`));
    else out.push(rel);
  }
  return out;
}

/** The files under `workdir` in the image's final filesystem, through `distill export`. */
async function filesUnder(ref: string, workdir: string, into: string): Promise<string[]> {
  const r = await runDistill(['export', ref, into, '-q'], { env: podmanEnv() });
  assert.equal(r.code, 0, `distill export ${ref}: ${r.stderr}`);
  assert.ok(workdir && workdir !== '/', `${ref}: WorkingDir is ${JSON.stringify(workdir)}, no app dir to list`);
  return listTree(join(into, workdir));
}

/** GET / and /health: status and body, the `started` timestamp reduced to its type (it is when the process started, different in any two runs). */
async function answers(port: number): Promise<Record<string, { status: number; body: Record<string, unknown> }>> {
  const deadline = Date.now() + 60_000;
  const out: Record<string, { status: number; body: Record<string, unknown> }> = {};
  for (const path of ['/', '/health']) {
    const r = await getJson(`http://127.0.0.1:${port}${path}`, deadline);
    if ('started' in r.body) r.body.started = `<${typeof r.body.started}>`;
    out[path] = r;
  }
  return out;
}

/** Runs the image hardened, probes it, removes the container. */
async function probe(image: string): Promise<Awaited<ReturnType<typeof answers>>> {
  const { cid, port } = await runHardened(image);
  try {
    return await answers(port);
  } catch (e) {
    const logs = await podman(['logs', cid]);
    throw new Error(`${image}: ${(e as Error).message}\n${logs.stdout}${logs.stderr}`);
  } finally {
    await podman(['rm', '-f', '-t', '0', cid]);
  }
}

const show = (v: unknown) => JSON.stringify(v);
for (const ex of EXAMPLES) {
  test(`examples/${ex.name}: podman build of Dockerfile.distroless and distill build give the same image`, async (t) => {
    const flavour = flavourOf.get(ex.name)!;
    const ctx = join(work, 'ctx', ex.name);
    const appDir = join(work, 'app', ex.name);
    cpSync(join(ROOT, 'examples', ex.name), ctx, { recursive: true });
    const dockerfile = join(ctx, 'Dockerfile.distroless');
    const c = await runDistill(['convert', join(ctx, 'Dockerfile'), '--base-prefix', PREFIX, '--builder-image', `${ex.from}=${BUILDERS[ex.builder].ref}`, '-o', dockerfile, '-q']);
    assert.equal(c.code, 0, `distill convert: ${c.stderr}`);
    cpSync(ctx, appDir, { recursive: true });

    const tag = `${PREFIX}-${ex.name}:convert`;
    const b = await podman(['build', '--pull=never', '--network', 'none', '-q', '-t', tag, '-f', dockerfile, ctx], { timeoutMs: 300_000 });
    assert.equal(b.code, 0, `podman build:\n${b.stdout}\n${b.stderr}`);
    images.push(tag);

    const layout = join(work, 'out', ex.name);
    const d = await runDistill(['build', appDir, '--base', `oci:${baseLayout(flavour)}:nonroot`, '-o', `oci:${layout}:t`, '-q'], { env: { SOURCE_DATE_EPOCH: '1700000000' } });
    assert.equal(d.code, 0, `distill build: ${d.stderr}`);
    const built = `oci:${layout}:t`;
    const id = await pullLayout(built);
    images.push(id);

    const convConfig = await runConfig(`containers-storage:${tag}`);
    const builtConfig = await runConfig(built);
    t.diagnostic(`convert's config: ${show(convConfig)}`);
    await t.test('same Entrypoint, Cmd, User, WorkingDir, Env and ExposedPorts', () => {
      const diff = factsDiff(convConfig, builtConfig);
      assert.deepEqual(diff, [], `config differs:\n  ${diff.join('\n  ')}`);
    });

    const convFiles = await filesUnder(`podman:${tag}`, convConfig.WorkingDir, join(work, 'fs', ex.name, 'convert'));
    const builtFiles = await filesUnder(built, builtConfig.WorkingDir, join(work, 'fs', ex.name, 'build'));
    await t.test('same files under the WorkingDir', () => {
      const onlyConv = convFiles.filter((f) => !builtFiles.includes(f));
      const onlyBuilt = builtFiles.filter((f) => !convFiles.includes(f));
      assert.deepEqual({ onlyConv, onlyBuilt }, { onlyConv: [], onlyBuilt: [] }, `files differ (convert under ${convConfig.WorkingDir}, build under ${builtConfig.WorkingDir}):\n  only in convert: ${show(onlyConv)}\n  only in build: ${show(onlyBuilt)}`);
    });

    const convAnswers = await probe(tag);
    const builtAnswers = await probe(id);
    await t.test('same HTTP status and JSON body on / and /health', () => {
      assert.equal(convAnswers['/']!.status, 200, `convert's image: GET / gave ${show(convAnswers['/'])}`);
      assert.deepEqual(builtAnswers, convAnswers);
    });
  });
}
