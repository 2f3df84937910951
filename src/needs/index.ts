/**
 * What an app needs at run time, known before it runs: every ELF file's loader and libraries
 * resolved the way ld.so would (src/elf/resolve.ts) in an image or an app directory (./view.ts),
 * plus the likely needs that static linking cannot see (./hints.ts), each checked against the
 * same filesystem. `distill needs`, audit's missing-library rules and build's flavour choice read
 * this one report.
 */
import { posix } from 'node:path';
import type { Image } from '../oci/image.ts';
import { realPath, Resolver, type ElfObject, type ElfResolution, type FsView } from '../elf/index.ts';
import { CA_BUNDLES, type Hint } from './hints.ts';
import { dirView, imageView, isAppFile, overlay, type CollectedView } from './view.ts';

export { AUDITED_KINDS, type Hint, type HintKind } from './hints.ts';
export { closureCollector, dirView, imageView, overlay, isAppFile, type ClosureCollector, type CollectedView } from './view.ts';

/** A hint checked against the filesystem. */
export interface HintResult extends Hint {
  satisfied: boolean;
  /** The file that satisfies it, when one does. */
  by?: string;
}

/** One ELF file's resolution, marked as the app's own or the system's. */
export interface FileNeeds extends ElfResolution {
  app: boolean;
}

/** The closure of a filesystem: `distill needs --json` (schemaVersion 1, docs/commands/needs.md). */
export interface NeedsReport {
  schemaVersion: 1;
  subject: string;
  files: FileNeeds[];
  hints: HintResult[];
  summary: { files: number; ok: number; missing: number; tooOld: number; unreadable: number; hintsUnsatisfied: number };
}

export interface NeedsOptions {
  /** LD_LIBRARY_PATH the process starts with. */
  ldLibraryPath?: string;
  /** Only files whose architecture is this GOARCH name are resolved (the image's platform). */
  arch?: string;
}

/** The LD_LIBRARY_PATH an image config's Env sets. */
export function ldLibraryPathOf(env: readonly string[] | undefined): string | undefined {
  const e = env?.find((x) => x.startsWith('LD_LIBRARY_PATH='));
  return e?.slice('LD_LIBRARY_PATH='.length);
}

/** Whether a path exists in the view as a file (symlinks followed). */
function fileAt(view: FsView, path: string): string | undefined {
  const real = realPath(view, path);
  return real && view.node(real)?.type === 'file' ? real : undefined;
}

/** The first file under the default library directories whose name starts with `prefix`. */
function libByPrefix(view: FsView, obj: ElfObject | undefined, prefix: string): string | undefined {
  const dirs = ['/lib/x86_64-linux-gnu', '/usr/lib/x86_64-linux-gnu', '/lib/aarch64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/lib64', '/usr/lib64', '/lib', '/usr/lib'];
  for (const d of dirs) {
    const real = realPath(view, d);
    if (!real) continue;
    const hit = view.list(real).find((n) => n.startsWith(prefix) && /\.so(\.|$)/.test(n));
    if (hit && (!obj || view.elf(`${real}/${hit}`) || fileAt(view, `${real}/${hit}`))) return `${real}/${hit}`;
  }
  return undefined;
}

/** Checks one hint against the view: is what it suggests there? */
export function checkHint(h: Hint, view: FsView, resolver: Resolver, elves: Map<string, ElfObject>): HintResult {
  const yes = (by: string) => ({ ...h, satisfied: true, by });
  const no = { ...h, satisfied: false };
  const obj = elves.get(h.evidence.path);
  switch (h.kind) {
    case 'dlopen': {
      if (/^libnss_(files|dns)\.so/.test(h.what) && obj) {
        // glibc 2.34 moved the files and dns services into libc itself.
        const libc = resolver.find('libc.so.6', obj);
        if (libc?.obj.versionDefs.includes('GLIBC_2.34')) return yes(libc.path);
      }
      if (/\.so\.[0-9]/.test(h.what) && obj) {
        const f = resolver.find(h.what, obj);
        return f ? yes(f.path) : no;
      }
      const hit = libByPrefix(view, obj, h.what.replace(/\*$/, '').replace(/\.so.*$/, ''));
      return hit ? yes(hit) : no;
    }
    case 'ca-bundle': {
      for (const p of CA_BUNDLES) {
        const f = fileAt(view, p);
        if (f) return yes(f);
      }
      return no;
    }
    case 'tzdata': {
      const f = fileAt(view, '/usr/share/zoneinfo/UTC') ?? fileAt(view, '/usr/share/zoneinfo/Etc/UTC');
      return f ? yes(f) : no;
    }
    case 'passwd': {
      const f = fileAt(view, '/etc/passwd');
      return f ? yes(f) : no;
    }
    case 'nsswitch': {
      const f = fileAt(view, '/etc/nsswitch.conf');
      return f ? yes(f) : no;
    }
    case 'icu': {
      const hit = libByPrefix(view, undefined, 'libicuuc');
      return hit ? yes(hit) : no;
    }
    case 'locale': {
      const real = realPath(view, '/usr/lib/locale/locale-archive') ?? realPath(view, '/usr/lib/locale/C.utf8');
      return real ? yes(real) : no;
    }
    case 'java-cacerts': {
      const home = posix.dirname(posix.dirname(posix.dirname(h.evidence.path)));
      const f = fileAt(view, `${home}/lib/security/cacerts`);
      return f ? yes(f) : no;
    }
  }
}

/** The report over a collected view: every ELF resolved, every hint checked. */
export function analyzeNeeds(cv: CollectedView, subject: string, opts: NeedsOptions = {}): NeedsReport {
  const resolver = new Resolver(cv.view, { ldLibraryPath: opts.ldLibraryPath });
  const files: FileNeeds[] = [];
  for (const obj of [...cv.elves.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
    if (opts.arch && !obj.unreadable && obj.arch !== opts.arch) continue;
    files.push({ ...resolver.resolve(obj), app: isAppFile(obj.path) });
  }
  const seen = new Set<string>();
  const hints: HintResult[] = [];
  for (const h of cv.hints) {
    // A name the file already links against is a proven need, not a likely one.
    if (h.kind === 'dlopen' && cv.elves.get(h.evidence.path)?.needed.includes(h.what)) continue;
    const key = `${h.kind}\0${h.what}\0${h.evidence.path}`;
    if (seen.has(key)) continue;
    seen.add(key);
    hints.push(checkHint(h, cv.view, resolver, cv.elves));
  }
  return { schemaVersion: 1, subject, files, hints, summary: summarize(files, hints) };
}

/** The counts of a report. */
function summarize(files: FileNeeds[], hints: HintResult[]): NeedsReport['summary'] {
  const count = (f: (x: FileNeeds) => boolean) => files.filter(f).length;
  return {
    files: files.length,
    ok: count((f) => f.ok),
    missing: count((f) => f.interpreter?.status === 'missing' || f.needs.some((n) => n.status === 'missing')),
    tooOld: count((f) => f.needs.some((n) => n.status === 'too-old')),
    unreadable: count((f) => f.unreadable !== undefined),
    hintsUnsatisfied: hints.filter((h) => !h.satisfied).length,
  };
}

/** The closure of an image's merged filesystem (one pass over its layers). */
export async function needsOfImage(image: Image, subject: string): Promise<NeedsReport> {
  const config = await image.config();
  const cv = await imageView(image);
  return analyzeNeeds(cv, subject, { ldLibraryPath: ldLibraryPathOf(config.config?.Env), arch: config.architecture });
}

/**
 * The closure of an app directory, placed at `at` in `base` when one is given (what the built
 * image will hold), or on its own (then everything the app does not bundle is missing).
 */
export async function needsOfDir(dir: string, subject: string, opts: { at?: string; base?: Image } = {}): Promise<NeedsReport> {
  const app = await dirView(dir, opts.at ?? '/');
  return opts.base ? needsOver(app, opts.base, subject) : analyzeNeeds(app, subject);
}

/**
 * The closure of app files placed over `base` (what the built image will hold), reported for the
 * app's own files; `env` (KEY=VALUE, e.g. the image's own ENV) comes after the base's for LD_LIBRARY_PATH.
 */
export async function needsOver(app: CollectedView, base: Image, subject: string, env: readonly string[] = []): Promise<NeedsReport> {
  const config = await base.config();
  const report = analyzeNeeds(overlay(await imageView(base), app), subject, { ldLibraryPath: ldLibraryPathOf([...(config.config?.Env ?? []), ...env]), arch: config.architecture });
  // The base's own files are its builder's business; the report is about the app.
  const mine = new Set(app.elves.keys());
  const files = report.files.filter((f) => mine.has(f.path));
  return { ...report, files, summary: summarize(files, report.hints) };
}

/** The sonames (or paths) the app's files need that no file in the view provides. */
export function unresolvedNames(report: NeedsReport): string[] {
  const out = new Set<string>();
  for (const f of report.files) for (const n of f.needs) if (n.status === 'missing') out.add(n.name);
  return [...out].sort();
}
