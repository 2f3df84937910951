/**
 * `convertDockerfile`: a traditional Dockerfile in, a multi-stage distroless one out, with the
 * reason for every change. The final stage either becomes the builder (when it builds) and a new
 * runtime stage copies only the artefacts out of it, or, when it only assembles (no build RUN),
 * is rebased in place onto the distroless image. A converted file converts to itself.
 */
import type { Instruction, Stage } from '../model.ts';
import { planDockerfile } from '../../plan/index.ts';
import { flagOf } from '../parse.ts';
import { splitImage } from '../../oci/docker-ref.ts';
import { commandLanguage } from '../../plan/command.ts';
import { applyEdits, commandLines, fromLine, healthcheckNote, pinned, quoteEnv, runtimeEnv } from './emit.ts';
import type { BaseImage } from '../../plan/providers.ts';
import { execForm } from '../shell.ts';
import type { ConvertOptions, ConvertResult, Edit, Language } from '../../plan/types.ts';

export type { ConvertOptions, ConvertResult, Change, Language } from '../../plan/types.ts';
export { PROVIDERS, type Provider } from '../../plan/providers.ts';

export const UID = '65532';
const USER_LINE = `USER ${UID}:${UID}`;
const CHOWN = `--chown=${UID}:${UID}`;

/** Converts Dockerfile text; throws Error when the text is not a Dockerfile (no FROM). */
export function convertDockerfile(text: string, opts: ConvertOptions & { target?: string } = {}): ConvertResult {
  // CRLF files are converted as LF and given back with CRLF, so new lines match old ones.
  if (!text.includes('\r\n')) return convertLf(text, opts);
  const r = convertLf(text.replace(/\r\n/g, '\n'), opts);
  return { ...r, dockerfile: r.converted ? r.dockerfile.replace(/\n/g, '\r\n') : text };
}

function convertLf(text: string, opts: ConvertOptions & { target?: string }): ConvertResult {
  const p = planDockerfile(text, opts);
  if (p.status === 'refused') return { dockerfile: text, converted: false, status: 'refused', refusal: p.reason, changes: [], warnings: p.warnings, language: p.language, buildTool: p.buildTool, base: null };
  const { model: file, analysis: a, language: lang, mode, strategy: plan, base } = p;
  const final = a.final;
  const warnings = [...p.warnings];
  const changes = [...p.changes];
  const pin = pinned(base.ref, opts.pin);
  if (opts.pin && !pin.hit && base.ref !== 'scratch') warnings.push(`--pin: ${base.ref} is not in the lock; left unpinned`);
  const baseRef = pin.ref;

  const edits: Edit[] = [...plan.edits];
  const fromEdits = new Map<Instruction, { image: string; name: string | null; why: string[] }>();
  const fromEdit = (st: Stage) => {
    let e = fromEdits.get(st.from);
    if (!e) fromEdits.set(st.from, (e = { image: st.image, name: st.alias, why: [] }));
    return e;
  };
  for (const s of plan.imageSwaps) {
    const st = file.stages.find((x) => x.from === s.instr)!;
    fromEdit(st).image = s.image;
  }
  // Builder images in the lock get their digests too.
  if (opts.pin) {
    for (const st of file.stages) {
      if (st === final) continue;
      const img = fromEdits.get(st.from)?.image ?? st.image;
      const p = pinned(img, opts.pin);
      if (p.hit && p.ref !== img) {
        fromEdit(st).image = p.ref;
        changes.push({ line: st.from.line, kind: 'pin', reason: `${img} pinned to its digest from the lock` });
      }
    }
  }

  const hcText = (i: Instruction): string | null => {
    // HEALTHCHECK NONE and exec-form checks of our own artefacts or interpreter can stay.
    if (/^NONE$/i.test(i.args.trim())) return i.raw;
    const m = /^CMD\s+(\[.*\])\s*$/s.exec(i.args.trim());
    if (m) {
      try {
        const argv = JSON.parse(m[1]!) as string[];
        if (base.interpreter && commandLanguage(argv) === lang && argv[0] !== undefined && !argv[0].startsWith('/')) {
          return i.raw.replace(m[1]!, execForm([base.interpreter, ...argv.slice(1)]));
        }
        if (argv[0]?.startsWith('/') && !/(^|\/)(curl|wget|sh|bash|nc)$/.test(argv[0])) return i.raw;
      } catch {
        /* not JSON: a shell form */
      }
    }
    return null;
  };

  // What the runtime runs, fitted to the base's own ENTRYPOINT (the plan's, which build uses too).
  const { entrypoint: entry, cmd } = p.launch;
  const run = plan.run;

  let runtimeText = '';
  if (mode === 'rebase') {
    const fe = fromEdit(final);
    if (baseRef !== final.image) {
      fe.image = baseRef;
      fe.why.push(`final stage rebased onto ${baseRef}: ${describe(base, lang)}`);
    }
    let lastKept: Instruction | null = null;
    let userSeen = false;
    const ents = final.instructions.filter((i) => i.keyword === 'ENTRYPOINT');
    const cmds = final.instructions.filter((i) => i.keyword === 'CMD');
    for (const i of final.instructions) {
      const line = i.line;
      switch (i.keyword) {
        case 'RUN': {
          const r = a.runs.find((x) => x.instr === i)!;
          edits.push({ kind: 'delete', instr: i });
          changes.push({ line, kind: 'drop-run', reason: `RUN removed: ${r.reason}; a distroless image has no shell to run it` });
          if (r.kind === 'runtime') warnings.push(`line ${line}: ${r.reason}; build a base with them (\`distill base --add …\`) or copy their files from a builder`);
          continue;
        }
        case 'SHELL':
          edits.push({ kind: 'delete', instr: i });
          changes.push({ line, kind: 'drop-shell', reason: 'SHELL removed: distroless has no shell' });
          continue;
        case 'COPY':
        case 'ADD':
          if (flagOf(i, 'chown') === undefined) {
            edits.push({ kind: 'replace', instr: i, text: i.raw.replace(/^(\s*\S+)/, `$1 ${CHOWN}`) });
            changes.push({ line, kind: 'chown', reason: `files owned by ${UID}:${UID}, the nonroot user the image runs as` });
          } else if (flagOf(i, 'chown') !== `${UID}:${UID}`) {
            // A user name needs /etc/passwd in the image; the distroless user is known by number.
            edits.push({ kind: 'replace', instr: i, text: i.raw.replace(/--chown=\S+/, CHOWN) });
            changes.push({ line, kind: 'chown', reason: `--chown=${flagOf(i, 'chown')} -> ${CHOWN}: the runtime user, by number` });
          }
          break;
        case 'USER':
          userSeen = true;
          if (i.raw.trim() !== USER_LINE) {
            edits.push({ kind: 'replace', instr: i, text: USER_LINE });
            changes.push({ line, kind: 'user', reason: `\`${i.raw.trim()}\` -> ${USER_LINE}: numeric, so Kubernetes runAsNonRoot can verify it, and the distroless nonroot user` });
          }
          break;
        case 'HEALTHCHECK': {
          const t = hcText(i);
          if (t === null) {
            edits.push({ kind: 'replace', instr: i, text: healthcheckNote(i) });
            changes.push({ line, kind: 'healthcheck', reason: 'HEALTHCHECK replaced by a note: it needs a shell or curl, which distroless lacks; use an orchestrator probe' });
          } else if (t !== i.raw) {
            edits.push({ kind: 'replace', instr: i, text: t });
            changes.push({ line, kind: 'healthcheck', reason: `HEALTHCHECK runs ${base.interpreter} by its path` });
          }
          break;
        }
        case 'ENTRYPOINT':
        case 'CMD':
          break;
        default:
          break;
      }
      lastKept = i;
    }
    // ENV the plan adds goes after the last ENV (or right after FROM).
    if (plan.env.length) {
      const lastEnv = [...final.instructions].reverse().find((i) => i.keyword === 'ENV');
      const text = plan.env.map((e) => `ENV ${e.key}=${quoteEnv(e.value)}`).join('\n');
      edits.push(lastEnv ? { kind: 'insertAfter', instr: lastEnv, text } : { kind: 'insertAfter', instr: final.from, text });
      for (const e of plan.env) changes.push({ kind: 'env', reason: `ENV ${e.key}=${e.value}: ${e.reason}` });
    }
    // USER and the command: edited in place when present, so a converted file stays as it is.
    const lastEnt = ents[ents.length - 1];
    const lastCmd = cmds[cmds.length - 1];
    const firstCmd = [lastEnt, lastCmd].filter((x): x is Instruction => !!x).sort((x, y) => (x.line - 1) - (y.line - 1))[0];
    const tail: string[] = [];
    if (!userSeen) {
      // Before the command when there is one (deleted lines still carry inserted text), else at the end.
      if (firstCmd) edits.push({ kind: 'insertBefore', instr: firstCmd, text: USER_LINE });
      else tail.push(USER_LINE);
      changes.push({ kind: 'user', reason: `${USER_LINE} added: without USER the image runs as root; numeric so Kubernetes runAsNonRoot can verify it` });
    }
    for (const x of [...ents.slice(0, -1), ...cmds.slice(0, -1)]) if (run) edits.push({ kind: 'delete', instr: x });
    if (run) {
      const setCmd = (last: Instruction | undefined, keyword: string, want: string[] | null) => {
        const text = want && want.length ? `${keyword} ${execForm(want)}` : null;
        if (last) {
          if (text === null) {
            edits.push({ kind: 'delete', instr: last });
            changes.push({ line: last.line, kind: keyword.toLowerCase(), reason: `${keyword} removed: the base image's own ENTRYPOINT (${execForm(base.entrypoint ?? [])}) starts the interpreter` });
          } else if (last.raw.trim() !== text) {
            edits.push({ kind: 'replace', instr: last, text });
            changes.push({ line: last.line, kind: keyword.toLowerCase(), reason: `\`${oneLine(last.raw)}\` -> \`${text}\`: exec form (no shell in distroless)${base.entrypoint && keyword === 'CMD' ? `, fitted to the base's ENTRYPOINT ${execForm(base.entrypoint)}` : ''}` });
          }
        } else if (text) {
          // A new ENTRYPOINT goes right before the CMD it pairs with.
          if (keyword === 'ENTRYPOINT' && lastCmd) edits.push({ kind: 'insertBefore', instr: lastCmd, text });
          else tail.push(text);
          changes.push({ kind: keyword.toLowerCase(), reason: `${text}: exec form, what the original ran` });
        }
      };
      setCmd(lastEnt, 'ENTRYPOINT', entry);
      setCmd(lastCmd, 'CMD', cmd);
    }
    if (tail.length) {
      const alive = (i: Instruction) => !edits.some((e) => e.kind === 'delete' && e.instr === i);
      const anchor = [...final.instructions].reverse().find(alive) ?? lastKept ?? final.from;
      edits.push({ kind: 'insertAfter', instr: anchor, text: tail.join('\n') });
    }
  } else {
    // The final stage becomes the builder; a new runtime stage takes only the artefacts.
    const taken = new Set(file.stages.filter((s) => s !== final).map((s) => s.alias?.toLowerCase()));
    const buildName = !taken.has('build') ? 'build' : final.alias && !taken.has(final.alias.toLowerCase()) ? final.alias : ['build-app', 'builder-final', 'distill-build'].find((n) => !taken.has(n))!;
    const fe = fromEdit(final);
    fe.name = buildName;
    if (plan.builderFrom) fe.image = plan.builderFrom;
    fe.why.push(`the original final stage is now the builder stage \`${buildName}\`: it keeps every build step, and nothing of its toolchain reaches the runtime`);
    const moved: string[] = [];
    for (const i of final.instructions) {
      if (['CMD', 'ENTRYPOINT', 'HEALTHCHECK', 'EXPOSE', 'LABEL', 'STOPSIGNAL', 'ONBUILD', 'VOLUME'].includes(i.keyword)) {
        edits.push({ kind: 'delete', instr: i });
        moved.push(i.keyword);
      }
      const r = a.runs.find((x) => x.instr === i);
      if (r?.kind === 'runtime') warnings.push(`line ${i.line}: ${r.reason}; they stay in the builder and are missing at run time — build a base with them (\`distill base --add …\`) or copy their files`);
    }
    if (moved.length) changes.push({ kind: 'move', reason: `${[...new Set(moved)].join(', ')} moved from the builder to the runtime stage` });
    const lastInstr = final.instructions[final.instructions.length - 1] ?? final.from;
    if (plan.builderSteps.length) {
      const existing = edits.find((e) => e.instr === lastInstr && e.kind === 'delete');
      const anchor = existing ? ([...final.instructions].reverse().find((i) => !edits.some((e) => e.kind === 'delete' && e.instr === i)) ?? final.from) : lastInstr;
      edits.push({ kind: 'insertAfter', instr: anchor, text: plan.builderSteps.map((s) => s.text).join('\n') });
      for (const s of plan.builderSteps) changes.push({ kind: 'builder-step', reason: `${s.text}: ${s.reason}` });
    }
    if (plan.preStages) edits.push({ kind: 'insertBefore', instr: final.from, text: plan.preStages });

    const rt: string[] = ['', `FROM ${baseRef}`];
    changes.push({ kind: 'runtime-stage', reason: `runtime stage on ${baseRef}: ${describe(base, lang)}` });
    // ENV, LABEL and EXPOSE also come from the stages the final one is built FROM.
    const chain: Stage[] = [];
    for (let st: Stage | null = final; st; st = st.parent) chain.unshift(st);
    const lastInRt = (kw: string) => (['ENV', 'LABEL', 'EXPOSE'].includes(kw) ? chain.flatMap((st) => st.instructions) : final.instructions).filter((i) => i.keyword === kw);
    const labels = lastInRt('LABEL').map((i) => i.raw);
    const env = runtimeEnv(lastInRt('ENV'));
    const refVars = new Set<string>();
    for (const l of [...labels, ...env.lines]) for (const m of l.matchAll(/\$\{?([A-Za-z_][A-Za-z0-9_]*)/g)) refVars.add(m[1]!);
    const args = final.instructions.filter((i) => i.keyword === 'ARG' && Object.keys(parseArgNames(i.args)).some((k) => refVars.has(k)));
    rt.push(...args.map((i) => i.raw), ...labels, ...env.lines);
    if (env.dropped.length) changes.push({ kind: 'env', reason: `ENV ${[...new Set(env.dropped)].join(', ')} not carried to the runtime: build-time only` });
    for (const e of plan.env) {
      rt.push(`ENV ${e.key}=${quoteEnv(e.value)}`);
      changes.push({ kind: 'env', reason: `ENV ${e.key}=${e.value}: ${e.reason}` });
    }
    const wd = plan.workdir ?? a.workdir;
    if (wd !== '/') rt.push(`WORKDIR ${wd}`);
    for (const c of plan.copies) {
      rt.push(`COPY --from=${c.from ?? buildName} ${CHOWN} ${c.src} ${c.dst}`);
      changes.push({ kind: 'copy', reason: `${c.src} -> ${c.dst}: ${c.reason}; owned by the runtime user` });
    }
    if (base.ref === 'scratch' && plan.copies.length && !/alpine|scratch/.test(final.baseImage)) {
      rt.push(`COPY --from=${buildName} ${CHOWN} /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt`);
      changes.push({ kind: 'copy', reason: 'CA certificates copied from the builder: scratch has none, and TLS clients need them' });
    }
    rt.push(...lastInRt('EXPOSE').map((i) => i.raw));
    rt.push(USER_LINE);
    changes.push({ kind: 'user', reason: `${USER_LINE}: the distroless nonroot user, numeric so Kubernetes runAsNonRoot can verify it` });
    for (const h of lastInRt('HEALTHCHECK')) {
      const t = hcText(h);
      if (t === null) {
        rt.push(healthcheckNote(h));
        changes.push({ line: h.line, kind: 'healthcheck', reason: 'HEALTHCHECK replaced by a note: it needs a shell or curl, which distroless lacks; use an orchestrator probe' });
      } else rt.push(t);
    }
    rt.push(...lastInRt('STOPSIGNAL').map((i) => i.raw));
    if (run) {
      rt.push(...commandLines(entry, cmd));
      const orig = [...lastInRt('ENTRYPOINT'), ...lastInRt('CMD')].map((i) => oneLine(i.raw)).join(' + ');
      const now = commandLines(entry, cmd).join(' + ');
      if (orig === now) changes.push({ kind: 'cmd', reason: `${now} kept: already exec form` });
      else changes.push({ kind: 'cmd', reason: `${now || '(base ENTRYPOINT)'}${orig ? ` replaces \`${orig}\`` : ''}: exec form (no shell in distroless)${base.entrypoint && !entry ? `, fitted to the base's ENTRYPOINT ${execForm(base.entrypoint)}` : ''}` });
    } else {
      // Unresolved: keep exec-form lines as they were so the user sees what to fix.
      for (const i of [...lastInRt('ENTRYPOINT'), ...lastInRt('CMD')]) if (i.exec) rt.push(i.raw);
    }
    runtimeText = rt.join('\n') + '\n';
  }

  // --builder-image: an air-gapped or mirrored build swaps a builder stage's base for a local image.
  if (opts.builderImages) {
    for (const st of file.stages) {
      if (st === final && mode === 'rebase') continue;
      const cur = fromEdits.get(st.from)?.image ?? st.image;
      const to = [cur, cur.split('@')[0]!, st.image, st.baseImage].map((k) => opts.builderImages![k]).find((v) => v !== undefined);
      if (to === undefined || to === cur) continue;
      const e = fromEdit(st);
      e.image = to;
      e.why.push(`builder base ${st.baseImage} replaced by ${to} (--builder-image)`);
    }
  }

  for (const [instr, e] of fromEdits) {
    const st = file.stages.find((s) => s.from === instr)!;
    if (e.image === st.image && e.name === st.alias) continue;
    edits.push({ kind: 'replace', instr, text: fromLine(instr, e.image, e.name) });
    for (const why of e.why) changes.push({ line: instr.line, kind: 'from', reason: why });
  }

  let out = applyEdits(file.lines, edits);
  if (runtimeText) out = out.replace(/\n*$/, '\n') + runtimeText;
  // Command notes belong to the line that held the command.
  const cmdInstr = [...final.instructions].reverse().find((i) => i.keyword === 'CMD' || i.keyword === 'ENTRYPOINT');
  for (const c of changes) if (c.line === undefined && c.kind === 'cmd' && cmdInstr) c.line = cmdInstr.line;
  changes.sort((x, y) => (x.line ?? 1e9) - (y.line ?? 1e9));
  const unique = [...new Set(warnings)];
  return { dockerfile: out, converted: true, status: unique.length ? 'review' : 'converted', changes, warnings: unique, language: lang, buildTool: plan.buildTool, base: baseRef };
}

function describe(base: BaseImage, lang: Language): string {
  const what: Record<string, string> = {
    static: 'no shell, no package manager, no libc',
    base: 'glibc, CA certificates and tzdata; no shell or package manager',
    cc: 'glibc and libstdc++; no shell or package manager',
    python3: 'the Python interpreter only; no shell or pip',
    nodejs: 'the Node.js runtime only; no shell, npm or yarn',
    java: 'a JRE only; no shell, JDK or build tool',
    dotnet: 'the .NET runtime only; no shell or SDK',
    aspnet: 'the ASP.NET Core runtime only; no shell or SDK',
  };
  return `${what[base.flavour] ?? 'minimal'} (${lang})${base.notes.length ? '; ' + base.notes.join('; ') : ''}`;
}

function oneLine(s: string): string {
  return s.replace(/\\\n\s*/g, ' ').replace(/\s+/g, ' ').trim();
}

function parseArgNames(rest: string): Record<string, true> {
  const out: Record<string, true> = {};
  for (const w of rest.split(/\s+/)) if (w) out[w.split('=')[0]!] = true;
  return out;
}

/** The runtime image reference a result names, split for callers that tag local bases. */
export function baseName(result: ConvertResult): string | null {
  return result.base ? splitImage(result.base).name : null;
}
