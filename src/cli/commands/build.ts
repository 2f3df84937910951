/** `distill build APPDIR`: an app image onto a distroless base, without a daemon. */
import { basename, resolve } from 'node:path';
import type { Command } from 'commander';
import { buildApp, RUNTIMES, type BuildOptions, type BuildResult, type Runtime } from '../../assemble/index.ts';
import { writeImage } from '../../oci/reference.ts';
import { DistillError, escapeControl } from '../../util/errors.ts';
import { humanBytes, parseArgv, printJson, table, type CommonOptions } from '../output.ts';

interface BuildCliOptions extends CommonOptions {
  runtime?: string;
  artifact?: string;
  base?: string;
  baseDir?: string;
  baseTag?: string;
  node?: string;
  tag?: string;
  output: string[];
  push: string[];
  platform?: string;
  env: string[];
  port: string[];
  label: string[];
  annotation: string[];
  writable: string[];
  cmd?: string;
  entrypoint?: string;
  indexUrl?: string;
  extraIndexUrl: string[];
  allowSdist?: boolean;
  pythonVersion?: string;
  offline?: boolean;
}

const many = (v: string, prev: string[]) => [...prev, v];

function pairs(list: string[], flag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of list) {
    const i = kv.indexOf('=');
    if (i <= 0) throw new DistillError(`${flag} ${kv}`, 'expected KEY=VALUE');
    out[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return out;
}

/** `oci:DIR` gains the --tag; other references are used as they are. */
function withTag(ref: string, tag: string | undefined): string {
  if (!tag) return ref;
  const m = /^(oci|oci-archive):([^:]+)$/.exec(ref);
  return m ? `${ref}:${tag}` : ref;
}

/** The stderr line saying which cached base a build used (undefined for a base that was named). */
function cachedBaseLine(r: Pick<BuildResult, 'flavour' | 'baseSource' | 'baseCache'>): string | undefined {
  if (!r.baseCache) return undefined;
  const dir = escapeControl(r.baseCache.dir);
  if (r.baseSource === 'built') return `built the ${r.flavour} base into the cache: ${dir}`;
  return `base: ${r.flavour} (distill base, cached at ${dir})`;
}

/** The dependency-install flags build and harden share (each adds its own --offline). */
export function addDepsOptions(cmd: Command): Command {
  return cmd
    .option('--index-url <url>', "Python package index for pip (default: the user's pip configuration: PIP_INDEX_URL, pip.conf)")
    .option('--extra-index-url <url>', 'another Python package index (repeatable)', many, [])
    .option('--allow-sdist', "build Python packages that have no wheel for the base's Python from source with the host's python3 (same version only)")
    .option('--python-version <x.y>', "the base's Python version, when --base is not the python3 flavour (default: the python3 flavour's)");
}

/** The dependency-install flags as buildApp's options. */
export function depsOptions(opts: Pick<BuildCliOptions, 'indexUrl' | 'extraIndexUrl' | 'allowSdist' | 'pythonVersion' | 'offline'>): NonNullable<BuildOptions['deps']> {
  if (opts.pythonVersion !== undefined && !/^3\.\d+$/.test(opts.pythonVersion)) throw new DistillError(`--python-version ${opts.pythonVersion}`, 'expected 3.X');
  const pip = {
    ...(opts.indexUrl ? { indexUrl: opts.indexUrl } : {}),
    ...(opts.extraIndexUrl.length ? { extraIndexUrls: opts.extraIndexUrl } : {}),
    ...(opts.allowSdist ? { allowSdist: true } : {}),
    ...(opts.pythonVersion ? { pythonVersion: opts.pythonVersion } : {}),
  };
  return { pip, ...(opts.offline ? { offline: true } : {}) };
}

/** Registers `distill build`. */
export function register(program: Command): void {
  program
    .command('build')
    .description('build an app image onto a distroless base without a daemon (node, python, go, java, rust, dotnet, static)')
    .argument('<appdir>', 'application directory')
    .option('--runtime <name>', `override detection: ${RUNTIMES.join(', ')}`)
    .option('--artifact <path>', 'prebuilt binary, jar, wheelhouse dir, dotnet publish dir, or dir with node_modules')
    .option('--base <ref>', 'base image (oci:DIR:TAG, oci-archive:F, docker-archive:F, podman:NAME, registry ref)')
    .option('--base-dir <dir>', 'directory of `distill base` layouts named by flavour (DIR/nodejs, DIR/static, …); default $DISTILL_BASE_DIR')
    .option('--base-tag <tag>', 'tag of the layouts in --base-dir', 'nonroot')
    .option('--node <major>', 'Node.js major of the nodejs base built into the cache when no base is named (default: as distill base nodejs)')
    .option('-t, --tag <tag>', 'tag for oci:/oci-archive: outputs without one')
    .option('-o, --output <ref>', 'where to write: oci:DIR[:TAG] | oci-archive:F | docker-archive:F | podman:NAME (repeatable)', many, [])
    .option('--push <ref>', 'push to a registry reference (repeatable)', many, [])
    .option('--platform <os/arch>', 'target platform', 'linux/amd64')
    .option('-e, --env <K=V>', 'environment variable (repeatable)', many, [])
    .option('-p, --port <port>', 'exposed port (repeatable; default from the app Dockerfile EXPOSE, else 8080)', many, [])
    .option('-l, --label <K=V>', 'config label (repeatable)', many, [])
    .option('--annotation <K=V>', 'manifest annotation (repeatable)', many, [])
    .option('--writable <dir>', 'directory (under /app if relative) owned by the runtime uid (65532, or the Dockerfile\'s non-root USER) (repeatable); everything else is root-owned and read-only', many, [])
    .option('--cmd <cmd>', 'override CMD (JSON array or words)')
    .option('--entrypoint <cmd>', 'override ENTRYPOINT (JSON array or words)');
  // The command just added: the dependency flags are shared with harden.
  addDepsOptions(program.commands[program.commands.length - 1]!)
    .option('--offline', 'no dependency downloads: cargo --offline, go -mod=vendor with GOPROXY=off, mvn -o, pip only from a wheelhouse')
    .option('--json', 'print the result as JSON')
    .option('-q, --quiet', 'print nothing but errors')
    .addHelpText(
      'after',
      `
Runtimes are detected from package.json, requirements.txt/pyproject.toml, go.mod,
pom.xml/build.gradle/*.jar/src/main/java, Cargo.toml, *.csproj or a single ELF executable.
Dependencies go in their own layer, so a code change rebuilds only the small app layer.
Dependencies come from where the user's tools are configured: npm's registry, pip's index
(PIP_INDEX_URL, pip.conf, --index-url), Maven settings.xml / Gradle repositories, go env
(GOPROXY), cargo's registries; install logs are kept under the cache's build/logs/.
Times come from SOURCE_DATE_EPOCH (else 0): the same inputs give the same digest.
Without --base or --base-dir (or $DISTILL_BASE_DIR) the distroless base the runtime needs
(nodejs, python3, static, cc, java) is built once with distill base into the cache
($DISTILL_CACHE_DIR, $XDG_CACHE_HOME/distill or ~/.cache/distill, under bases/) with its
lockfile beside it, and reused; the build says which base it used.

Examples:
  distill build examples/node-express -o oci:out/app:v1
  distill build examples/go-http -o docker-archive:app.tar
  distill build . --push registry.example/team/app:1.0
  distill base nodejs -o ./bases/nodejs --lock nodejs.lock.json
  distill build examples/node-express --base oci:./bases/nodejs:nonroot -o oci:out/app:v1
  distill build examples/go-http --base-dir ./bases -o docker-archive:app.tar`,
    )
    .action(async (appDir: string, opts: BuildCliOptions) => {
      if (opts.runtime && !RUNTIMES.includes(opts.runtime as Runtime)) throw new DistillError(`--runtime ${opts.runtime}`, `unknown runtime; choose from ${RUNTIMES.join(', ')}`);
      const progress = !opts.quiet && !opts.json && Boolean(process.stderr.isTTY);
      // A base built into the cache can take minutes: say so even off a terminal, on one line.
      const baseProgress = opts.quiet ? () => undefined : progress ? undefined : (m: string) => process.stderr.write(`distill: ${escapeControl(m)}\n`);
      const outputs = opts.output.length || opts.push.length ? opts.output.map((o) => withTag(o, opts.tag)) : [`oci:${resolve(`${basename(resolve(appDir))}-image`)}:${opts.tag ?? 'latest'}`];
      const result = await buildApp({
        appDir,
        runtime: opts.runtime as Runtime | undefined,
        artifact: opts.artifact,
        base: opts.base,
        baseDir: opts.baseDir,
        baseTag: opts.baseTag,
        ...(opts.node !== undefined ? { nodeMajor: opts.node } : {}),
        env: pairs(opts.env, '--env'),
        ports: opts.port,
        labels: pairs(opts.label, '--label'),
        annotations: pairs(opts.annotation, '--annotation'),
        writable: opts.writable,
        platform: opts.platform,
        ...(opts.cmd !== undefined ? { cmd: parseArgv(opts.cmd, '--cmd') } : {}),
        ...(opts.entrypoint !== undefined ? { entrypoint: parseArgv(opts.entrypoint, '--entrypoint') } : {}),
        deps: depsOptions(opts),
        onProgress: progress ? (m) => process.stderr.write(`\r\x1b[K${escapeControl(m)}`) : undefined,
        ...(baseProgress ? { onBaseProgress: baseProgress } : {}),
      });
      try {
        for (const o of outputs) {
          if (progress) process.stderr.write(`\r\x1b[Kwriting ${o}`);
          await writeImage(result.image, o);
        }
        for (const p of opts.push) {
          if (progress) process.stderr.write(`\r\x1b[Kpushing ${p}`);
          await writeImage(result.image, p);
        }
        if (progress) process.stderr.write('\r\x1b[K');
        const digest = await result.image.digest();
        const config = (await result.image.config()).config ?? {};
        const layers = result.layers.map((l) => ({ name: l.name, holds: l.holds, digest: l.layer.digest, diffId: l.layer.diffId, size: l.layer.size, files: l.files, bytes: l.bytes }));
        const baseLayers = (await result.image.layers()).length - layers.length;
        if (opts.json) {
          printJson({
            digest,
            runtime: result.runtime,
            base: {
              ref: result.base, digest: result.baseDigest, flavour: result.flavour, layers: baseLayers, source: result.baseSource, cache: result.baseCache?.dir ?? null, lockfile: result.baseCache?.lock ?? null,
              // Packages added to the flavour's for libraries the app's ELF files need, each with its reason.
              added: result.tailoring?.added ?? [],
            },
            outputs,
            pushed: opts.push,
            layers,
            config: { user: config.User, workdir: config.WorkingDir, entrypoint: config.Entrypoint ?? null, cmd: config.Cmd ?? null, env: config.Env ?? [], exposedPorts: Object.keys(config.ExposedPorts ?? {}) },
            steps: result.steps,
            warnings: result.warnings,
          });
        } else if (!opts.quiet) {
          for (const w of result.warnings) process.stderr.write(`distill: warning: ${w}\n`);
          const baseLine = cachedBaseLine(result);
          if (baseLine) process.stderr.write(`${baseLine}\n`);
          for (const a of result.tailoring?.added ?? []) process.stderr.write(`base: added ${a.package} for ${a.sonames.join(', ')} (needed by ${a.files.join(', ')})\n`);
          process.stdout.write(`${result.runtime} app on ${result.base} (${baseLayers} base layers)\n`);
          const t = table(['layer', 'holds', 'files', 'compressed', 'digest']);
          for (const l of layers) t.push([l.name, l.holds, String(l.files), humanBytes(l.size), l.digest.slice(0, 19)]);
          process.stdout.write(`${t.toString()}\ndigest ${digest}\n`);
          for (const o of [...outputs, ...opts.push]) process.stdout.write(`wrote ${o}\n`);
        }
      } finally {
        result.cleanup();
      }
    });
}
