/** `distill base FLAVOUR`: build distroless base images from Debian packages into an OCI layout. */
import { existsSync, renameSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { BASE_TAGS, buildBase, type BaseTag } from '../../base/build.ts';
import { readBaseConfig } from '../../base/config.ts';
import { FLAVOUR_NAMES } from '../../base/flavours.ts';
import { writeLayout } from '../../oci/transports/layout.ts';
import { writeDaemon } from '../../oci/transports/daemon.ts';
import { DistillError } from '../../util/errors.ts';
import { tempBeside } from '../../util/files.ts';
import { humanBytes, printJson, table, type CommonOptions } from '../output.ts';

interface BaseCliOptions extends CommonOptions {
  output?: string;
  lock?: string;
  update?: boolean;
  add: string[];
  node?: string;
  mirror?: string;
  suite?: string;
  securityMirror?: string;
  keyring?: string;
  security: boolean;
  updates: boolean;
  tags?: string;
  config?: string;
  load?: string;
}

const collect = (v: string, prev: string[]) => [...prev, ...v.split(',').filter(Boolean)];

/** Registers `distill base`. */
export function register(program: Command): void {
  program
    .command('base')
    .description('build distroless base images from Debian packages (verified, reproducible, with a lockfile)')
    .argument('[flavour]', `one of ${FLAVOUR_NAMES.join(', ')} (or set in --config)`)
    .option('-o, --output <dir>', 'OCI layout directory to write (default ./distroless-FLAVOUR)')
    .option('--lock <file>', 'lockfile: rebuild exactly from it when it exists, else resolve and write it')
    .option('--update', 're-resolve packages even when the lockfile exists, and rewrite it')
    .option('--add <pkg>', 'extra Debian package (repeatable, or comma-separated)', collect, [])
    .option('--node <major>', 'Node.js major version for the nodejs flavour')
    .option('--mirror <url>', 'Debian archive root (default: from the system apt sources)')
    .option('--suite <suite>', 'Debian suite (default: from the system apt sources)')
    .option('--security-mirror <url>', 'Debian security archive root')
    .option('--no-security', 'read no security suite (e.g. for a mirror that has none)')
    .option('--no-updates', 'read no SUITE-updates suite')
    .option('--keyring <file>', 'OpenPGP keyring that signs the archive (default: Signed-By or the Debian archive keyring)')
    .option('--tags <list>', `variants to build, comma-separated (default: ${BASE_TAGS.join(',')})`)
    .option('--config <file>', 'distill.yaml with flavour, packages, node, files, user, env, entrypoint, cmd')
    .option('--load <name>', 'also load each variant into podman as NAME:TAG')
    .option('--json', 'print the result as JSON')
    .option('-q, --quiet', 'print nothing but errors')
    .addHelpText(
      'after',
      `
Tags written: latest (uid 0), nonroot (uid 65532, workdir /home/nonroot), debug and
debug-nonroot (busybox under /busybox, entrypoint /busybox/sh).

Examples:
  distill base static
  distill base python3 --lock python3.lock.json -o out/python3
  distill base nodejs --node 20 --load localhost/distroless-nodejs`,
    )
    .action(async (flavourArg: string | undefined, opts: BaseCliOptions) => {
      const cfg = opts.config ? readBaseConfig(opts.config) : undefined;
      const flavour = flavourArg ?? cfg?.flavour;
      if (!flavour) throw new DistillError('distill base', `name a flavour (${FLAVOUR_NAMES.join(', ')}) or pass --config`, { code: 'E_USAGE' });
      const tags = (opts.tags ? opts.tags.split(',').map((t) => t.trim()) : [...BASE_TAGS]) as BaseTag[];
      for (const t of tags) if (!BASE_TAGS.includes(t)) throw new DistillError(`--tags ${t}`, `unknown tag; choose from ${BASE_TAGS.join(', ')}`, { code: 'E_USAGE' });
      const out = resolve((opts.output ?? `distroless-${flavour}`).replace(/^oci:/, ''));
      const result = await buildBase({
        flavour,
        add: [...opts.add, ...(cfg?.packages ?? [])],
        lock: opts.lock,
        update: opts.update,
        node: opts.node ?? (cfg?.node !== undefined ? String(cfg.node) : undefined),
        archive: {
          ...(opts.mirror ? { mirror: opts.mirror } : {}),
          ...(opts.suite ? { suite: opts.suite } : {}),
          ...(opts.securityMirror ? { securityMirror: opts.securityMirror } : {}),
          ...(opts.security === false ? { securityMirror: false as const } : {}),
          ...(opts.updates === false ? { updates: false } : {}),
          ...(opts.keyring ? { keyring: opts.keyring } : {}),
        },
        tags,
        progress: !opts.quiet && !opts.json && Boolean(process.stderr.isTTY),
        config: cfg
          ? {
              ...(cfg.user !== undefined ? { user: String(cfg.user) } : {}),
              ...(cfg.env ? { env: cfg.env } : {}),
              ...(cfg.entrypoint ? { entrypoint: cfg.entrypoint } : {}),
              ...(cfg.cmd ? { cmd: cfg.cmd } : {}),
            }
          : undefined,
        files: cfg?.files,
        onWarning: opts.quiet ? () => undefined : undefined,
      });
      // A new layout is written beside and renamed into place, so a failure leaves nothing behind.
      const fresh = !existsSync(out);
      const target = fresh ? tempBeside(out) : out;
      const rows: { tag: string; digest: string; compressed: number; ref: string }[] = [];
      try {
        for (const tag of tags) {
          const img = result.images[tag]!;
          await writeLayout(img, target, tag);
          const m = await img.manifest();
          rows.push({ tag, digest: await img.digest(), compressed: m.layers.reduce((n, l) => n + l.size, 0), ref: `oci:${out}:${tag}` });
        }
        if (fresh) renameSync(target, out);
      } catch (e) {
        if (fresh) rmSync(target, { recursive: true, force: true });
        throw e;
      }
      if (opts.load) for (const tag of tags) await writeDaemon('podman', result.images[tag]!, `${opts.load}:${tag}`);
      if (opts.json) {
        printJson({
          flavour: result.flavour.name,
          output: out,
          lockfile: opts.lock ?? null,
          fromLock: result.fromLock,
          packages: result.packages,
          node: result.lockfile.node ? { version: result.lockfile.node.version, integrity: result.lockfile.node.integrity } : null,
          images: rows,
        });
      } else if (!opts.quiet) {
        const t = table(['tag', 'digest', 'compressed', 'reference']);
        for (const r of rows) t.push([r.tag, r.digest.slice(0, 19), humanBytes(r.compressed), r.ref]);
        process.stdout.write(`${result.flavour.name}: ${result.packages.length} Debian packages${result.lockfile.node ? ` + node ${result.lockfile.node.version}` : ''}${result.fromLock ? ` (from ${opts.lock})` : ''}\n`);
        process.stdout.write(t.toString() + '\n');
      }
    });
}
