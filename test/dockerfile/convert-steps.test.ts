/**
 * The rendering steps of `distill convert` on their own: the HEALTHCHECK fitter, the runtime
 * stage, the builder's name, FROM pins and --builder-image swaps, and the in-place rebase.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDockerfile } from '../../src/dockerfile/parse.ts';
import { planDockerfile } from '../../src/plan/index.ts';
import type { BaseImage } from '../../src/plan/providers.ts';
import type { Planned } from '../../src/dockerfile/convert/emit.ts';
import { fitHealthcheck, healthcheckEdit } from '../../src/dockerfile/convert/healthcheck.ts';
import { builderName, runtimeStage } from '../../src/dockerfile/convert/runtime-stage.ts';
import { editFrom, pinBase, pinBuilders, renderFromEdits, swapBuilderImages } from '../../src/dockerfile/convert/from-edits.ts';
import { rebaseFinal } from '../../src/dockerfile/convert/rebase.ts';

const PYTHON_BASE: BaseImage = { flavour: 'python3', ref: 'gcr.io/distroless/python3-debian13:nonroot', entrypoint: ['/usr/bin/python3'], interpreter: '/usr/bin/python3', notes: [] };

/** The HEALTHCHECK instructions of a one-stage Dockerfile. */
function healthchecks(...lines: string[]) {
  return parseDockerfile(['FROM python:3.12-slim', ...lines, ''].join('\n')).stages[0]!.instructions.filter((i) => i.keyword === 'HEALTHCHECK');
}

/** A plan that was not refused. */
function planned(text: string, context: Record<string, string>): Planned {
  const p = planDockerfile(text, { context });
  assert.equal(p.status, 'planned', p.status === 'refused' ? p.reason : '');
  return p as Planned;
}

test('the HEALTHCHECK fitter keeps NONE and an exec-form check of an absolute app binary', () => {
  const [none, binary] = healthchecks('HEALTHCHECK NONE', 'HEALTHCHECK --interval=30s CMD ["/app/server", "-health"]');
  assert.equal(fitHealthcheck(none!, PYTHON_BASE, 'python'), 'HEALTHCHECK NONE');
  assert.equal(fitHealthcheck(binary!, PYTHON_BASE, 'python'), binary!.raw);
  assert.deepEqual(healthcheckEdit(binary!, PYTHON_BASE, 'python'), { edits: [], changes: [], warnings: [] });
});

test('the HEALTHCHECK fitter cannot keep curl, wget or a shell form, and the edit replaces them by a note', () => {
  const [curlExec, shell, wget] = healthchecks('HEALTHCHECK CMD ["/usr/bin/curl", "-f", "http://localhost:8080/"]', 'HEALTHCHECK CMD curl -f http://localhost/ || exit 1', 'HEALTHCHECK CMD ["wget", "-q", "-O-", "http://localhost/"]');
  for (const h of [curlExec!, shell!, wget!]) assert.equal(fitHealthcheck(h, PYTHON_BASE, 'python'), null, h.raw);
  const edit = healthcheckEdit(curlExec!, PYTHON_BASE, 'python');
  assert.equal(edit.edits.length, 1);
  const e = edit.edits[0]!;
  assert.ok(e.kind === 'replace' && e.text.startsWith('# distill: removed `HEALTHCHECK CMD ["/usr/bin/curl"'), JSON.stringify(e));
  assert.deepEqual(edit.changes.map((c) => [c.line, c.kind]), [[curlExec!.line, 'healthcheck']]);
});

test('an exec-form check run by the interpreter name gets the base\'s interpreter path', () => {
  const [h] = healthchecks('HEALTHCHECK CMD ["python", "/app/health.py"]');
  assert.equal(fitHealthcheck(h!, PYTHON_BASE, 'python'), 'HEALTHCHECK CMD ["/usr/bin/python3", "/app/health.py"]');
  assert.match(healthcheckEdit(h!, PYTHON_BASE, 'python').changes[0]!.reason, /runs \/usr\/bin\/python3 by its path/);
});

const GO_APP = [
  'FROM golang:1.22',
  'WORKDIR /src',
  'COPY . .',
  'ENV CGO_ENABLED=0 GOFLAGS=-mod=vendor APP_MODE=production',
  'RUN go build -o /usr/local/bin/api .',
  'EXPOSE 8080',
  'ENTRYPOINT ["/usr/local/bin/api"]',
  'CMD ["--port", "8080"]',
  '',
].join('\n');

test('the runtime stage carries ENV without build-only keys, EXPOSE, the numeric USER and the launch', () => {
  const p = planned(GO_APP, { 'go.mod': 'module example.com/api\n\ngo 1.22\n', 'main.go': 'package main\n' });
  assert.equal(p.mode, 'build');
  const { text, changes } = runtimeStage(p, p.base.ref, 'build');
  const lines = text.split('\n');
  assert.deepEqual(lines.slice(0, 2), ['', `FROM ${p.base.ref}`]);
  assert.ok(lines.includes('ENV APP_MODE=production'), text);
  assert.ok(!/CGO_ENABLED|GOFLAGS/.test(text), text);
  assert.ok(lines.includes('EXPOSE 8080'), text);
  assert.ok(lines.includes('USER 65532:65532'), text);
  assert.deepEqual(p.launch, { entrypoint: ['/usr/local/bin/api'], cmd: ['--port', '8080'] });
  assert.deepEqual(lines.slice(-3), ['ENTRYPOINT ["/usr/local/bin/api"]', 'CMD ["--port", "8080"]', '']);
  assert.ok(lines.some((l) => /^COPY --from=build \S+ \S+$/.test(l)), text);
  assert.ok(!lines.some((l) => /--chown/.test(l)), `the binary stays root-owned: ${text}`);
  assert.ok(changes.some((c) => c.kind === 'env' && c.reason.includes('CGO_ENABLED, GOFLAGS')), JSON.stringify(changes));
});

test('the builder is named build, else its own alias, else a name no other stage uses', () => {
  const name = (text: string) => {
    const m = parseDockerfile(text);
    return builderName(m, m.stages[m.stages.length - 1]!);
  };
  assert.equal(name('FROM golang:1.22 AS app\nRUN true\n'), 'build');
  assert.equal(name('FROM node:22 AS build\nRUN true\nFROM golang:1.22 AS compile\nRUN true\n'), 'compile');
  assert.equal(name('FROM node:22 AS build\nRUN true\nFROM golang:1.22\nRUN true\n'), 'build-app');
});

test('--pin pins builder stages in the lock (not the final one) and warns when the base is missing', () => {
  const m = parseDockerfile('FROM golang:1.22 AS gob\nRUN true\nFROM node:22\nRUN true\n');
  const [gob, final] = m.stages;
  const digest = 'sha256:' + 'b'.repeat(64);
  const { froms, changes } = pinBuilders(new Map(), m, final!, { 'golang:1.22': digest, 'node:22': digest });
  assert.deepEqual(changes.map((c) => [c.line, c.kind]), [[gob!.from.line, 'pin']]);
  assert.deepEqual(renderFromEdits(froms, m).edits.map((e) => (e.kind === 'replace' ? e.text : e.kind)), [`FROM golang:1.22@${digest} AS gob`]);
  assert.deepEqual(pinBase('gcr.io/distroless/static-debian13:nonroot', {}).warnings, ['--pin: gcr.io/distroless/static-debian13:nonroot is not in the lock; left unpinned']);
  assert.deepEqual(pinBase('scratch', {}), { ref: 'scratch', warnings: [] });
});

test('--builder-image swaps builder stages but never the runtime stage; unchanged stages keep their FROM', () => {
  const m = parseDockerfile('FROM golang:1.22 AS gob\nRUN true\nFROM debian:12\nCOPY --from=gob /x /x\n');
  const [gob, final] = m.stages;
  const images = { 'golang:1.22': 'localhost/tc/go:1.22', 'debian:12': 'localhost/tc/debian:12' };
  const froms = swapBuilderImages(new Map(), m, final!, images);
  const { edits, changes } = renderFromEdits(froms, m);
  assert.deepEqual(edits.map((e) => (e.kind === 'replace' ? [e.instr.line, e.text] : e.kind)), [[gob!.from.line, 'FROM localhost/tc/go:1.22 AS gob']]);
  assert.match(changes[0]!.reason, /golang:1\.22 replaced by localhost\/tc\/go:1\.22 \(--builder-image\)/);
  const renamedOnly = editFrom(new Map(), final!, (e) => ({ ...e }));
  assert.deepEqual(renderFromEdits(renamedOnly, m).edits, []);
});

test('rebase edits the final stage in place: RUN and SHELL dropped, COPY left root-owned, USER before the command', () => {
  const text = 'FROM node:22-slim\nSHELL ["/bin/bash", "-c"]\nRUN useradd app\nWORKDIR /app\nCOPY server.js .\nCMD ["node", "server.js"]\n';
  const p = planned(text, { 'package.json': '{"name":"a","version":"1.0.0"}', 'server.js': '' });
  assert.equal(p.mode, 'rebase');
  const r = rebaseFinal(p, p.base.ref, new Map(), p.strategy.edits);
  const at = (line: number) => r.edits.filter((e) => e.instr.line === line).map((e) => (e.kind === 'delete' ? 'delete' : `${e.kind} ${e.text}`));
  assert.deepEqual(at(2), ['delete']);
  assert.deepEqual(at(3), ['delete']);
  assert.deepEqual(at(5), [], 'the code is not made writable by the runtime user');
  assert.ok(at(6).includes('insertBefore USER 65532:65532'), JSON.stringify(at(6)));
  assert.equal(r.froms.get(p.analysis.final.from)?.image, p.base.ref);
});
