/**
 * `convertDockerfile`: a traditional Dockerfile in, a multi-stage distroless one out, with the
 * reason for every change. The plan (src/plan/) decides; this renders it as a pipeline of small
 * steps: pins and builder swaps (from-edits.ts), then the final stage either rebased in place
 * when it only assembles (rebase.ts) or turned into the builder with a new runtime stage that
 * copies only the artefacts out of it (runtime-stage.ts), then --builder-image swaps, FROM lines,
 * the edits applied and the changes ordered by line. A converted file converts to itself.
 */
import type { Stage } from '../model.ts';
import { planDockerfile, type DockerfilePlan } from '../../plan/index.ts';
import { splitImage } from '../../oci/docker-ref.ts';
import type { Change, ConvertOptions, ConvertResult, Edit } from '../../plan/types.ts';
import { applyEdits, type Planned } from './emit.ts';
import { classifyBase } from '../bases.ts';
import { NONROOT } from '../../plan/user.ts';
import { pinBase, pinBuilders, renderFromEdits, swapBuilderImages, swapImages } from './from-edits.ts';
import { rebaseFinal } from './rebase.ts';
import { builderAndRuntime } from './runtime-stage.ts';

export type { ConvertOptions, ConvertResult, Change, Language } from '../../plan/types.ts';
export { PROVIDERS, type Provider } from '../../plan/providers.ts';
export { UID } from './emit.ts';

/** Converts Dockerfile text; throws Error when the text is not a Dockerfile (no FROM). */
export function convertDockerfile(text: string, opts: ConvertOptions & { target?: string } = {}): ConvertResult {
  // CRLF files are converted as LF and given back with CRLF, so new lines match old ones.
  if (!text.includes('\r\n')) return convertLf(text, opts);
  const r = convertLf(text.replace(/\r\n/g, '\n'), opts);
  return { ...r, dockerfile: r.converted ? r.dockerfile.replace(/\n/g, '\r\n') : text };
}

/** Plans LF text and renders the plan, step by step. */
function convertLf(text: string, opts: ConvertOptions & { target?: string }): ConvertResult {
  const p = planDockerfile(text, opts);
  if (p.status === 'refused') return refused(text, p);
  const final = p.analysis.final;
  const hardened = alreadyHardened(p, opts);
  if (hardened) {
    const reason = `the final stage is already on the distroless base ${final.baseImage} with no RUN${hardened === 'nonroot' ? ' and runs as a non-root user' : ''}: left as it is`;
    const warnings = hardened === 'nonroot' ? [] : [`${final.baseImage} does not document its default user and the stage sets no USER: add USER 65532:65532 if it runs as root`];
    return { dockerfile: text, converted: true, status: warnings.length ? 'review' : 'converted', changes: [{ line: final.from.line, kind: 'note', reason }], warnings, language: p.language, buildTool: p.strategy.buildTool, base: final.baseImage };
  }
  const base = pinBase(p.base.ref, opts.pin);
  const pins = pinBuilders(swapImages(p.model, p.strategy.imageSwaps), p.model, final, opts.pin);
  const stage = p.mode === 'rebase'
    ? { ...rebaseFinal(p, base.ref, pins.froms, p.strategy.edits), runtimeText: '' }
    : builderAndRuntime(p, base.ref, pins.froms, p.strategy.edits);
  const froms = renderFromEdits(swapBuilderImages(stage.froms, p.model, p.mode === 'rebase' ? final : null, opts.builderImages), p.model);
  const dockerfile = render(p.model.lines, [...p.strategy.edits, ...stage.edits, ...froms.edits], stage.runtimeText);
  const changes = byLine(commandLinesNoted([...p.changes, ...pins.changes, ...stage.changes, ...froms.changes], final));
  const warnings = [...new Set([...p.warnings, ...base.warnings, ...stage.warnings])];
  return { dockerfile, converted: true, status: warnings.length ? 'review' : 'converted', changes, warnings, language: p.language, buildTool: p.strategy.buildTool, base: base.ref };
}

/**
 * An input that needs nothing: its final stage is on a distroless base, runs nothing there and
 * runs as a non-root user (its own USER, or the base's documented non-root default). Only when
 * no option asks for an edit (pins, builder swaps, the debug variant).
 */
function alreadyHardened(p: Planned, opts: ConvertOptions): 'nonroot' | 'unknown-user' | false {
  const final = p.analysis.final;
  if (!p.analysis.finalIsDistroless || p.mode !== 'rebase' || opts.pin || opts.builderImages || opts.debug || p.warnings.length) return false;
  if (final.instructions.some((i) => i.keyword === 'RUN' || i.keyword === 'SHELL')) return false;
  const launch = [final.config.entrypoint, final.config.cmd].filter((i) => i !== null);
  if (launch.some((i) => !i.exec) || final.config.healthcheck) return false;
  // distill's own bases (--base-prefix) run their nonroot tags as 65532, as Google's do.
  const own = opts.basePrefix && final.baseImage.startsWith(opts.basePrefix.replace(/\/+$/, '') + '/') && /:(debug-)?nonroot$/.test(final.baseImage);
  const defaultUser = own ? 65532 : classifyBase(final.baseImage).defaultUser;
  if (final.config.user === null) return defaultUser === 'unknown' ? 'unknown-user' : typeof defaultUser === 'number' && defaultUser !== 0 ? 'nonroot' : false;
  return p.user.note === null || p.user.user !== NONROOT || final.config.user === 'nonroot' || final.config.user === 'nonroot:nonroot' ? 'nonroot' : false;
}

/** The result of a refused plan: the input unchanged, the reason as the refusal. */
function refused(text: string, p: Extract<DockerfilePlan, { status: 'refused' }>): ConvertResult {
  return { dockerfile: text, converted: false, status: 'refused', refusal: p.reason, refusalClass: p.refusalClass, changes: [], warnings: p.warnings, language: p.language, buildTool: p.buildTool, base: null };
}

/** The input lines with the edits applied, and the runtime stage (if any) appended after one newline. */
function render(lines: string[], edits: Edit[], runtimeText: string): string {
  const out = applyEdits(lines, edits);
  return runtimeText ? out.replace(/\n*$/, '\n') + runtimeText : out;
}

/** Command notes without a line belong to the line that held the final stage's command. */
function commandLinesNoted(changes: Change[], final: Stage): Change[] {
  const cmdInstr = [...final.instructions].reverse().find((i) => i.keyword === 'CMD' || i.keyword === 'ENTRYPOINT');
  if (!cmdInstr) return changes;
  return changes.map((c) => (c.line === undefined && c.kind === 'cmd' ? { ...c, line: cmdInstr.line } : c));
}

/** Changes in input-line order (stable), those without a line last. */
function byLine(changes: Change[]): Change[] {
  return [...changes].sort((x, y) => (x.line ?? 1e9) - (y.line ?? 1e9));
}

/** The runtime image reference a result names, split for callers that tag local bases. */
export function baseName(result: ConvertResult): string | null {
  return result.base ? splitImage(result.base).name : null;
}
