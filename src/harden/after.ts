/**
 * The "after" image of `distill harden` is the converted Dockerfile the user takes away, built by
 * the engine on the base harden built — and it must be the image `distill build` assembles from
 * the same plan: same Entrypoint, Cmd, User, WorkingDir, Env (as a set), ExposedPorts and files
 * under the WorkingDir. The comparison is the one test/e2e/convert-vs-build.test.ts makes for the
 * examples, here on harden's own two images, reading both with distill (no skopeo needed).
 */
import type { Image } from '../oci/image.ts';
import { mergedFs } from '../runtime/fsview.ts';

/** The run-config fields both renderings must agree on, normalised (absent = null, Env and ports sorted). */
export interface RunFacts {
  Entrypoint: string[] | null;
  Cmd: string[] | null;
  User: string;
  WorkingDir: string;
  Env: string[];
  ExposedPorts: string[];
}

/** The run facts of an image config's `config` object, whoever read it (distill, or skopeo in the e2e tests). */
export function runFactsOf(c: { Entrypoint?: string[] | null; Cmd?: string[] | null; User?: string; WorkingDir?: string; Env?: string[] | null; ExposedPorts?: Record<string, unknown> | null }): RunFacts {
  return {
    Entrypoint: c.Entrypoint?.length ? c.Entrypoint : null,
    Cmd: c.Cmd?.length ? c.Cmd : null,
    User: c.User ?? '',
    WorkingDir: c.WorkingDir ?? '',
    Env: [...(c.Env ?? [])].sort(),
    ExposedPorts: Object.keys(c.ExposedPorts ?? {}).sort(),
  };
}

/** An image's run facts. */
export async function runFacts(image: Image): Promise<RunFacts> {
  return runFactsOf((await image.config()).config ?? {});
}

/** Every path under `workdir` in the image's final filesystem, relative and sorted; directories end in `/`, symlinks show their target. */
export async function filesUnder(image: Image, workdir: string): Promise<string[]> {
  if (!workdir || workdir === '/') return [];
  const root = workdir.replace(/\/+$/, '') + '/';
  const out: string[] = [];
  for (const [path, e] of await mergedFs(image)) {
    if (!path.startsWith(root)) continue;
    const rel = path.slice(root.length);
    out.push(e.type === 'symlink' ? `${rel} -> ${e.linkname}` : e.type === 'directory' ? `${rel}/` : rel);
  }
  return out.sort();
}

const show = (v: unknown) => JSON.stringify(v);

/** One line per field that differs, both values side by side; Env lists only the entries one side lacks. */
export function factsDiff(engine: RunFacts, distill: RunFacts): string[] {
  const lines: string[] = [];
  for (const k of Object.keys(engine) as (keyof RunFacts)[]) {
    if (show(engine[k]) === show(distill[k])) continue;
    if (k === 'Env') {
      const onlyEngine = engine.Env.filter((e) => !distill.Env.includes(e));
      const onlyDistill = distill.Env.filter((e) => !engine.Env.includes(e));
      lines.push(`Env: only in Dockerfile.distroless ${show(onlyEngine)}; only in distill build ${show(onlyDistill)}`);
    } else lines.push(`${k}: Dockerfile.distroless ${show(engine[k])}; distill build ${show(distill[k])}`);
  }
  return lines;
}

/** One line per side when the file lists under the WorkingDir differ (at most 20 names each). */
export function filesDiff(engine: string[], distill: string[], workdir: string): string[] {
  const onlyEngine = engine.filter((f) => !distill.includes(f));
  const onlyDistill = distill.filter((f) => !engine.includes(f));
  const cap = (l: string[]) => show(l.slice(0, 20)) + (l.length > 20 ? ` and ${l.length - 20} more` : '');
  return [
    ...(onlyEngine.length ? [`files under ${workdir} only in Dockerfile.distroless: ${cap(onlyEngine)}`] : []),
    ...(onlyDistill.length ? [`files under ${workdir} only in distill build: ${cap(onlyDistill)}`] : []),
  ];
}

/** Every difference between the engine-built converted Dockerfile's image and distill build's; empty when they agree. */
export async function imageDifferences(engineBuilt: Image, distillBuilt: Image): Promise<string[]> {
  const [a, b] = [await runFacts(engineBuilt), await runFacts(distillBuilt)];
  const diff = factsDiff(a, b);
  if (a.WorkingDir === b.WorkingDir) diff.push(...filesDiff(await filesUnder(engineBuilt, a.WorkingDir), await filesUnder(distillBuilt, b.WorkingDir), a.WorkingDir));
  return diff;
}

/** Dockerfile text whose FROM lines naming `publicBase` name `localBase` instead (the copy the engine builds). */
export function pointFromAt(dockerfile: string, publicBase: string, localBase: string): string {
  const esc = publicBase.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return dockerfile.replace(new RegExp(`^(\\s*FROM\\s+(?:--platform=\\S+\\s+)?)${esc}(?=\\s|$)`, 'gim'), `$1${localBase}`);
}
