/**
 * Build mode: the final stage becomes the builder (it keeps every build step, and the runtime
 * settings move out of it), and a new runtime stage on the distroless base takes only the
 * artefacts, the runtime ENV, LABEL, EXPOSE and the plan's launch.
 */
import type { DockerfileModel, Instruction, Stage } from '../model.ts';
import type { Change, Edit } from '../../plan/types.ts';
import { execForm } from '../shell.ts';
import { commandLines, concat, describeBase, oneLine, quoteEnv, runtimeEnv, type Planned, type Rendering } from './emit.ts';
import { editFrom, type FromEdits } from './from-edits.ts';
import { healthcheckLines } from './healthcheck.ts';

/** Lines of the runtime stage with the changes they explain. */
interface Lines {
  lines: string[];
  changes: Change[];
}

/** Instructions that configure the running container: they move to the runtime stage. */
const MOVED = ['CMD', 'ENTRYPOINT', 'HEALTHCHECK', 'EXPOSE', 'LABEL', 'STOPSIGNAL', 'ONBUILD', 'VOLUME'];

/** The final stage turned into the builder plus the runtime stage's text; `prior` are the edits already made. */
export function builderAndRuntime(p: Planned, baseRef: string, froms: FromEdits, prior: Edit[]): Rendering & { froms: FromEdits; runtimeText: string } {
  const final = p.analysis.final;
  const name = builderName(p.model, final);
  const renamed = editFrom(froms, final, (e) => ({
    image: p.strategy.builderFrom ? p.strategy.builderFrom : e.image,
    name,
    why: [...e.why, `the original final stage is now the builder stage \`${name}\`: it keeps every build step, and nothing of its toolchain reaches the runtime`],
  }));
  const builder = builderEdits(p, prior);
  const runtime = runtimeStage(p, baseRef, name);
  return { ...concat(builder, { changes: runtime.changes }), froms: renamed, runtimeText: runtime.text };
}

/** The builder stage's name: `build`, else its own alias, else a fallback no other stage uses. */
export function builderName(file: DockerfileModel, final: Stage): string {
  const taken = new Set(file.stages.filter((s) => s !== final).map((s) => s.alias?.toLowerCase()));
  if (!taken.has('build')) return 'build';
  if (final.alias && !taken.has(final.alias.toLowerCase())) return final.alias;
  return ['build-app', 'builder-final', 'distill-build'].find((n) => !taken.has(n))!;
}

/** The builder's edits: runtime settings deleted (they move), the strategy's build steps appended, pre-stages inserted. */
function builderEdits(p: Planned, prior: Edit[]): Rendering {
  const final = p.analysis.final;
  const moved = final.instructions.filter((i) => MOVED.includes(i.keyword));
  const warnings = final.instructions.flatMap((i) => {
    const r = p.analysis.runs.find((x) => x.instr === i);
    return r?.kind === 'runtime' ? [`line ${i.line}: ${r.reason}; they stay in the builder and are missing at run time — build a base with them (\`distill base --add …\`) or copy their files`] : [];
  });
  const deletes: Edit[] = moved.map((instr) => ({ kind: 'delete', instr }));
  const moveChange: Change[] = moved.length ? [{ kind: 'move', reason: `${[...new Set(moved.map((i) => i.keyword))].join(', ')} moved from the builder to the runtime stage` }] : [];
  const steps = builderSteps(p, [...prior, ...deletes]);
  const pre: Edit[] = p.strategy.preStages ? [{ kind: 'insertBefore', instr: final.from, text: p.strategy.preStages }] : [];
  return concat({ edits: deletes, changes: moveChange, warnings }, steps, { edits: pre });
}

/** The strategy's build steps after the builder's last instruction (the last still standing when that one moved). */
function builderSteps(p: Planned, edits: Edit[]): Rendering {
  const { final } = p.analysis;
  const steps = p.strategy.builderSteps;
  if (!steps.length) return { edits: [], changes: [], warnings: [] };
  const deleted = (i: Instruction) => edits.some((e) => e.kind === 'delete' && e.instr === i);
  const last = final.instructions[final.instructions.length - 1] ?? final.from;
  const anchor = edits.some((e) => e.instr === last && e.kind === 'delete') ? ([...final.instructions].reverse().find((i) => !deleted(i)) ?? final.from) : last;
  return {
    edits: [{ kind: 'insertAfter', instr: anchor, text: steps.map((s) => s.text).join('\n') }],
    changes: steps.map((s) => ({ kind: 'builder-step', reason: `${s.text}: ${s.reason}` })),
    warnings: [],
  };
}

/** The runtime stage's text (a blank line, then FROM the base) and the changes it explains. */
export function runtimeStage(p: Planned, baseRef: string, buildName: string): { text: string; changes: Change[] } {
  const { final } = p.analysis;
  const wd = p.strategy.workdir ?? p.analysis.workdir;
  const parts: Lines[] = [
    { lines: ['', `FROM ${baseRef}`], changes: [{ kind: 'runtime-stage', reason: `runtime stage on ${baseRef}: ${describeBase(p.base, p.language)}` }] },
    carriedConfig(final),
    {
      lines: p.strategy.env.map((e) => `ENV ${e.key}=${quoteEnv(e.value)}`),
      changes: p.strategy.env.map((e) => ({ kind: 'env', reason: `ENV ${e.key}=${e.value}: ${e.reason}` })),
    },
    { lines: wd !== '/' ? [`WORKDIR ${wd}`] : [], changes: [] },
    artefactCopies(p, buildName),
    { lines: runtimeInstructions(final, 'EXPOSE').map((i) => i.raw), changes: [] },
    { lines: [`USER ${p.user.user}`], changes: [{ kind: 'user', reason: p.user.note ?? `USER ${p.user.user}: the author's non-root user, kept` }] },
    healthcheckLines(runtimeInstructions(final, 'HEALTHCHECK'), p.base, p.language),
    { lines: runtimeInstructions(final, 'STOPSIGNAL').map((i) => i.raw), changes: [] },
    launchLines(p),
  ];
  return { text: parts.flatMap((x) => x.lines).join('\n') + '\n', changes: parts.flatMap((x) => x.changes) };
}

/** The final stage's instructions of a keyword the runtime takes; ENV, LABEL and EXPOSE also from the stages it is built FROM. */
function runtimeInstructions(final: Stage, keyword: string): Instruction[] {
  if (!['ENV', 'LABEL', 'EXPOSE'].includes(keyword)) return final.instructions.filter((i) => i.keyword === keyword);
  const chain: Stage[] = [];
  for (let st: Stage | null = final; st; st = st.parent) chain.unshift(st);
  return chain.flatMap((st) => st.instructions).filter((i) => i.keyword === keyword);
}

/** LABEL and ENV carried to the runtime (build-only ENV dropped), with the ARGs they refer to. */
function carriedConfig(final: Stage): Lines {
  const labels = runtimeInstructions(final, 'LABEL').map((i) => i.raw);
  const env = runtimeEnv(runtimeInstructions(final, 'ENV'));
  const refVars = new Set<string>();
  for (const l of [...labels, ...env.lines]) for (const m of l.matchAll(/\$\{?([A-Za-z_][A-Za-z0-9_]*)/g)) refVars.add(m[1]!);
  const args = final.instructions.filter((i) => i.keyword === 'ARG' && argNames(i.args).some((k) => refVars.has(k)));
  const dropped: Change[] = env.dropped.length ? [{ kind: 'env', reason: `ENV ${[...new Set(env.dropped)].join(', ')} not carried to the runtime: build-time only` }] : [];
  return { lines: [...args.map((i) => i.raw), ...labels, ...env.lines], changes: dropped };
}

/** The names an ARG instruction declares. */
function argNames(rest: string): string[] {
  const out: Record<string, true> = {};
  for (const w of rest.split(/\s+/)) if (w) out[w.split('=')[0]!] = true;
  return Object.keys(out);
}

/**
 * The artefacts copied from the builder, root-owned so the runtime user cannot change the code;
 * the paths the app writes (those the Dockerfile chowns) copied again owned by the runtime user;
 * CA certificates too on scratch.
 */
function artefactCopies(p: Planned, buildName: string): Lines {
  const copies = p.strategy.copies;
  const chown = `--chown=${p.user.user.includes(':') ? p.user.user : `${p.user.user}:${p.user.user}`}`;
  const lines = copies.map((c) => `COPY --from=${c.from ?? buildName} ${c.src} ${c.dst}`);
  const changes: Change[] = copies.map((c) => ({ kind: 'copy', reason: `${c.src} -> ${c.dst}: ${c.reason}; root-owned, read-only to the app` }));
  for (const w of p.writable) {
    lines.push(`COPY --from=${buildName} ${chown} ${w} ${w}`);
    changes.push({ kind: 'copy', reason: `${w}: the app writes there (the Dockerfile chowns it), so it is owned by the runtime user` });
  }
  if (p.base.ref === 'scratch' && copies.length && !/alpine|scratch/.test(p.analysis.final.baseImage)) {
    lines.push(`COPY --from=${buildName} /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt`);
    changes.push({ kind: 'copy', reason: 'CA certificates copied from the builder: scratch has none, and TLS clients need them' });
  }
  return { lines, changes };
}

/** ENTRYPOINT/CMD of the launch in exec form; unresolved, the original exec-form lines kept so the user sees what to fix. */
function launchLines(p: Planned): Lines {
  const { final } = p.analysis;
  const original = [...runtimeInstructions(final, 'ENTRYPOINT'), ...runtimeInstructions(final, 'CMD')];
  if (!p.strategy.run) return { lines: original.filter((i) => i.exec).map((i) => i.raw), changes: [] };
  const { entrypoint, cmd } = p.launch;
  const lines = commandLines(entrypoint, cmd);
  const orig = original.map((i) => oneLine(i.raw)).join(' + ');
  const now = lines.join(' + ');
  if (orig === now) return { lines, changes: [{ kind: 'cmd', reason: `${now} kept: already exec form` }] };
  const fitted = p.base.entrypoint && !entrypoint ? `, fitted to the base's ENTRYPOINT ${execForm(p.base.entrypoint)}` : '';
  return { lines, changes: [{ kind: 'cmd', reason: `${now || '(base ENTRYPOINT)'}${orig ? ` replaces \`${orig}\`` : ''}: exec form (no shell in distroless)${fitted}` }] };
}
