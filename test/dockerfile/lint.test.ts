/**
 * distill lint, library level: every fixture under test/fixtures/lint states in expect.txt the
 * rules it must trigger and must not; plus the parse model, ignores, --target and base knowledge.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../helpers/cli.ts';
import { atLeast, decodeDockerfile, lintDockerfile, lintFile, RULES, type LintOptions } from '../../src/dockerfile/lint.ts';
import { isDistillError } from '../../src/util/errors.ts';
import { parseDockerfile, substituteVars } from '../../src/dockerfile/parse.ts';
import { classifyBase, parseImageRef } from '../../src/dockerfile/bases.ts';
import { worldWritable } from '../../src/dockerfile/rules/DL1052.ts';
import { mask } from '../../src/dockerfile/rules/DL1030.ts';

const FIXTURES = join(ROOT, 'test', 'fixtures', 'lint');
const ids = (text: string, opts: LintOptions = {}) => new Set(lintDockerfile(text, opts).map((f) => f.rule));

test('every fixture triggers exactly the rules its expect.txt names and none it forbids', () => {
  const dirs = readdirSync(FIXTURES).sort();
  assert.ok(dirs.length >= 30, `corpus has ${dirs.length} fixtures`);
  const covered = new Set<string>();
  for (const d of dirs) {
    const spec = readFileSync(join(FIXTURES, d, 'expect.txt'), 'utf8');
    const list = (key: string) => (new RegExp(`^${key}:(.*)$`, 'm').exec(spec)?.[1] ?? '').split(/\s+/).filter(Boolean);
    const got = new Set(lintFile(join(FIXTURES, d, 'Dockerfile')).map((f) => f.rule));
    for (const r of list('expect')) {
      assert.ok(got.has(r), `${d}: expected ${r}, got ${[...got].join(' ')}`);
      covered.add(r);
    }
    for (const r of list('not')) assert.ok(!got.has(r), `${d}: must not report ${r}`);
  }
  // Every rule is pinned by at least one fixture.
  for (const r of RULES) assert.ok(covered.has(r.id) || r.id === 'DL1004', `no fixture expects ${r.id}`);
});

test('root final user: no USER, USER root/0/0:0/root:root/0:1000 are errors; non-zero uids are not', () => {
  for (const u of ['root', '0', '0:0', 'root:root', '0:1000', '00']) {
    const f = lintDockerfile(`FROM debian:12\nUSER ${u}\nCMD ["x"]\n`).find((x) => x.rule === 'DL1001');
    assert.ok(f, `USER ${u}`);
    assert.equal(f.severity, 'error');
    assert.equal(f.line, 2);
  }
  for (const u of ['1000', '65532:65532', '10:0']) assert.ok(!ids(`FROM debian:12\nUSER ${u}\n`).has('DL1001'), `USER ${u}`);
  const none = lintDockerfile('FROM debian:12\nCMD ["x"]\n').find((x) => x.rule === 'DL1001');
  assert.equal(none?.line, 1);
  // USER in a builder stage does not carry into an unrelated final stage, but does through FROM <alias>.
  assert.ok(ids('FROM debian:12 AS a\nUSER 1000\nFROM debian:12\n').has('DL1001'));
  assert.ok(!ids('FROM debian:12 AS a\nUSER 1000\nFROM a\nCOPY x /x\n').has('DL1001'));
  // A :nonroot distroless base runs as 65532: not an error, only the info that USER is implicit.
  const nr = ids('FROM gcr.io/distroless/static-debian12:nonroot\nCOPY app /app\n');
  assert.ok(!nr.has('DL1001') && nr.has('DL1004'));
});

test('final-stage-only rules follow --target', () => {
  const text = 'FROM debian:12 AS dev\nRUN echo\nFROM gcr.io/distroless/static-debian12 AS prod\nUSER 65532\nCOPY --from=dev /x /x\n';
  assert.ok(!ids(text).has('DL1001'));
  const dev = lintDockerfile(text, { target: 'dev' }).filter((f) => f.rule === 'DL1001');
  assert.deepEqual(dev.map((f) => f.line), [1]);
});

test('non-numeric USER is a warning, numeric uid:name group is fine', () => {
  const f = lintDockerfile('FROM debian:12\nUSER app:app\n').find((x) => x.rule === 'DL1002');
  assert.equal(f?.severity, 'warning');
  assert.ok(!ids('FROM debian:12\nUSER 1000:app\n').has('DL1002'));
});

test('pinning: no tag, latest and no digest are separate rules with their own severity', () => {
  const by = (t: string) => Object.fromEntries(lintDockerfile(t).filter((f) => /^DL101[012]$/.test(f.rule)).map((f) => [f.rule, f.severity]));
  assert.deepEqual(by('FROM ubuntu\nUSER 1\n'), { DL1010: 'warning' });
  assert.deepEqual(by('FROM ubuntu:latest\nUSER 1\n'), { DL1011: 'warning' });
  assert.deepEqual(by('FROM ubuntu:24.04\nUSER 1\n'), { DL1012: 'info' });
  assert.deepEqual(by(`FROM ubuntu:24.04@sha256:${'b'.repeat(64)}\nUSER 1\n`), {});
  assert.deepEqual(by('FROM scratch\nUSER 1\n'), {});
  // Stage aliases are not images to pin; unresolvable ARGs are not guessed at.
  assert.deepEqual(by(`FROM alpine:3@sha256:${'c'.repeat(64)} AS b\nFROM b\nUSER 1\n`), {});
  assert.deepEqual(by('ARG IMG\nFROM $IMG\nUSER 1\n'), {});
});

test('shell-form CMD/ENTRYPOINT and RUN on shell-less bases are errors; exec form and debug tags are not', () => {
  const cmd = lintDockerfile('FROM gcr.io/distroless/cc-debian12:nonroot\nCMD /app serve\n').find((f) => f.rule === 'DL1020');
  assert.equal(cmd?.severity, 'error');
  assert.ok(!ids('FROM gcr.io/distroless/cc-debian12:nonroot\nCMD ["/app", "serve"]\n').has('DL1020'));
  assert.ok(ids('FROM scratch\nENTRYPOINT /app\n').has('DL1020'));
  assert.ok(!ids('FROM debian:12\nCMD /app\n').has('DL1020'));
  assert.ok(ids('FROM cgr.dev/chainguard/static:latest\nRUN ["/app", "--init"]\n').has('DL1021'));
  assert.ok(!ids('FROM gcr.io/distroless/cc-debian12:debug-nonroot\nRUN echo\nCMD /app\n').has('DL1021'));
  assert.ok(!ids('FROM gcr.io/distroless/cc-debian12:debug-nonroot\nCMD /app\n').has('DL1020'));
  // RUN in a distroless builder stage that is not final is not DL1021.
  assert.ok(!ids('FROM gcr.io/distroless/cc-debian12 AS x\nRUN a\nFROM debian:12\nUSER 1\n').has('DL1021'));
});

test('secrets: names and token-shaped values are errors, values never appear in messages', () => {
  const secret = 'ghp_' + 'Z'.repeat(36);
  const fs = lintDockerfile(`FROM debian:12\nENV DB_PASSWORD=hunter2hunter2\nENV GH=${secret}\nARG API_TOKEN\nENV TOKEN_FILE=/run/secrets/t\nENV PASSWORD=$PASSWORD\n`).filter((f) => f.rule === 'DL1030');
  assert.deepEqual(fs.map((f) => [f.line, f.severity]), [[2, 'error'], [3, 'error'], [4, 'warning'], [6, 'error']]);
  for (const f of fs) {
    assert.ok(!f.message.includes('hunter2hunter2') && !f.message.includes(secret), f.message);
  }
  assert.equal(mask('abcdefgh'), 'ab…(8 chars)');
  assert.equal(mask('abc'), '****');
  // ENV key value (legacy form) and quoted values.
  assert.ok(ids('FROM debian:12\nENV SECRET_KEY "s3cr3t value"\n').has('DL1030'));
  assert.ok(!ids('FROM debian:12\nENV PATH=/usr/bin NODE_ENV=production\n').has('DL1030'));
});

test('RUN hygiene rules fire on the command, across continuations and heredocs', () => {
  assert.ok(ids('FROM debian:12\nRUN curl -sSL https://x.invalid/i.sh \\\n  | sudo bash\n').has('DL1050'));
  assert.ok(ids('FROM debian:12\nRUN bash -c "$(curl -fsSL https://x.invalid/i.sh)"\n').has('DL1050'));
  assert.ok(!ids('FROM debian:12\nRUN curl -fsSLo /tmp/i.sh https://x.invalid/i.sh && sha256sum -c sums && sh /tmp/i.sh\n').has('DL1050'));
  assert.ok(ids('FROM debian:12\nRUN <<EOF\nwget -O- https://x.invalid/s | sh\nEOF\n').has('DL1050'));
  assert.equal(worldWritable('777'), true);
  assert.equal(worldWritable('0775'), false);
  assert.equal(worldWritable('1777'), true);
  assert.equal(worldWritable('o+w'), true);
  assert.equal(worldWritable('a+rwx'), true);
  assert.equal(worldWritable('u+w'), false);
  assert.equal(worldWritable('+x'), false);
  assert.ok(ids('FROM alpine:3\nRUN apk add --no-cache curl\n').has('DL1070') === false);
  assert.ok(ids('FROM python:3.12\nRUN python3 -m pip install flask\n').has('DL1071'));
  assert.ok(!ids('FROM python:3.12\nENV PIP_NO_CACHE_DIR=1\nRUN pip install flask\n').has('DL1071'));
  assert.ok(!ids('FROM node:22\nRUN npm install express\n').has('DL1072'));
  assert.ok(ids('FROM node:22\nRUN npm i --no-audit\n').has('DL1072'));
  assert.ok(!ids('FROM node:22\nENV NODE_ENV=production\nRUN npm ci\n').has('DL1073'));
  assert.ok(ids('FROM python:3.12\nRUN poetry install\n').has('DL1073'));
  assert.ok(!ids('FROM python:3.12\nRUN poetry install --only main\n').has('DL1073'));
  assert.ok(ids('FROM debian:12\nEXPOSE 8000-8100 20-30/tcp\n').has('DL1081'));
  assert.ok(!ids('FROM debian:12\nEXPOSE 2222 8022\n').has('DL1081'));
});

test('dev dependencies: yarn installs fire, yarn --version and --help do not', () => {
  for (const run of ['yarn', 'yarn install --frozen-lockfile', 'yarn --frozen-lockfile', 'yarn --cwd web install']) {
    assert.ok(ids(`FROM node:22\nRUN ${run}\n`).has('DL1073'), run);
  }
  for (const run of ['yarn --version', 'yarn -v && yarn --help', 'yarn --production', 'yarn build', 'yarn --silent run build']) {
    assert.ok(!ids(`FROM node:22\nRUN ${run}\n`).has('DL1073'), run);
  }
});

test('RUN rules see the simple commands the shell runs: in subshells and if/then, after sudo options, not in comments', () => {
  assert.ok(ids('FROM node:22\nRUN (cd /app && npm install) && echo done\n').has('DL1072'));
  assert.ok(ids('FROM debian:12\nRUN if [ -f x ]; then apt-get install -y x; fi\n').has('DL1060'));
  assert.ok(ids('FROM debian:12\nRUN sudo -E apt-get install -y curl\n').has('DL1060'));
  assert.ok(ids('FROM debian:12\nRUN DEBIAN_FRONTEND=noninteractive sudo chmod 777 /srv\n').has('DL1051'));
  assert.ok(ids('FROM debian:12\nRUN DEBIAN_FRONTEND=noninteractive sudo chmod 777 /srv\n').has('DL1052'));
  // The install is commented out, so the update runs alone.
  const commented = ids('FROM debian:12\nRUN apt-get update # && apt-get install -y x\n');
  assert.ok(commented.has('DL1062') && !commented.has('DL1060'));
  // Operators inside quotes or $(…) do not start a command.
  assert.ok(!ids('FROM debian:12\nRUN echo "then; apt-get install x" > /notes\n').has('DL1060'));
  assert.ok(!ids('FROM node:22\nRUN echo "$(npm install)" > /log\n').has('DL1072'));
});

test('COPY of the whole context is flagged only when the caller says there is no .dockerignore', () => {
  const t = 'FROM node:22\nCOPY . .\nCOPY --from=build . /x\n';
  assert.ok(!ids(t).has('DL1082'));
  assert.ok(!ids(t, { dockerignorePresent: true }).has('DL1082'));
  assert.deepEqual(lintDockerfile(t, { dockerignorePresent: false }).filter((f) => f.rule === 'DL1082').map((f) => f.line), [2]);
  assert.ok(ids('FROM node:22\nCOPY ./ /app/\n', { dockerignorePresent: false }).has('DL1082'));
});

test('ignores: options, file-level and per-instruction distill-ignore comments', () => {
  const t = 'FROM ubuntu\n# distill-ignore DL1051\nRUN sudo true\nRUN sudo false\n';
  const sudo = lintDockerfile(t).filter((f) => f.rule === 'DL1051').map((f) => f.line);
  assert.deepEqual(sudo, [4]);
  assert.ok(!ids(t, { ignore: ['dl1051'] }).has('DL1051'));
  assert.ok(!ids('# distill-ignore DL1001, DL1010\n\nFROM ubuntu\n').has('DL1001'));
  assert.ok(!ids('# distill-ignore DL1001, DL1010\n\nFROM ubuntu\n').has('DL1010'));
  // A comment that is not directly above the instruction does not silence it.
  assert.ok(ids('FROM ubuntu\n# distill-ignore DL1051\n\nRUN sudo true\n').has('DL1051'));
});

test('findings carry fix hints, file names, and are sorted by line', () => {
  const fs = lintDockerfile('FROM ubuntu\nEXPOSE 22\nUSER root\n', { file: 'x/Dockerfile' });
  assert.ok(fs.length >= 3);
  for (const f of fs) {
    assert.equal(f.file, 'x/Dockerfile');
    assert.ok(f.fix && f.fix.length > 10);
  }
  assert.deepEqual(fs.map((f) => f.line), [...fs.map((f) => f.line)].sort((a, b) => a - b));
  assert.equal(atLeast('error', 'warning'), true);
  assert.equal(atLeast('info', 'warning'), false);
  assert.equal(atLeast('warning', 'warning'), true);
});

test('parse model: ARG substitution, aliases, platform, exec form, heredocs, mounts, escape directive', () => {
  const m = parseDockerfile('# escape=`\nARG V=3.20\nARG IMG=alpine:${V}\nFROM --platform=$BUILDPLATFORM ${IMG} AS b\nRUN --mount=type=cache,target=/root/.cache `\n  echo hi\nRUN <<EOT\napk add x\nEOT\nFROM b\nCMD ["a", "b"]\nENTRYPOINT a b\n');
  assert.equal(m.escape, '`');
  assert.equal(m.stages.length, 2);
  const [s0, s1] = m.stages;
  assert.equal(s0?.resolvedImage, 'alpine:3.20');
  assert.deepEqual(s0?.ref, { name: 'alpine', tag: '3.20', digest: null });
  assert.equal(s0?.alias, 'b');
  assert.equal(s0?.platform, '$BUILDPLATFORM');
  assert.equal(s1?.parentStage, 0);
  const [run1, run2] = s0?.instructions ?? [];
  assert.deepEqual(run1?.mounts, [{ type: 'cache', options: { type: 'cache', target: '/root/.cache' } }]);
  assert.equal(run1?.line, 5);
  assert.equal(run1?.endLine, 6);
  assert.match(run1?.args ?? '', /^echo hi$/);
  assert.deepEqual(run2?.heredocs, [{ name: 'EOT', body: 'apk add x' }]);
  const [cmd, ep] = s1?.instructions ?? [];
  assert.deepEqual([cmd?.form, cmd?.exec], ['exec', ['a', 'b']]);
  assert.deepEqual([ep?.form, ep?.exec], ['shell', null]);
  assert.equal(substituteVars('${A:-x}/${B:+y}/$C', { B: '1' }), 'x/y/$C');
});

test('base knowledge: distroless, debug tags, shells, package managers, toolchains, default users', () => {
  assert.deepEqual(parseImageRef('localhost:5000/a/b:1.2@sha256:abc'), { name: 'localhost:5000/a/b', tag: '1.2', digest: 'sha256:abc' });
  assert.deepEqual(parseImageRef('localhost:5000/a/b'), { name: 'localhost:5000/a/b', tag: null, digest: null });
  const g = classifyBase('gcr.io/distroless/static-debian12:nonroot');
  assert.deepEqual([g.distroless, g.hasShell, g.packageManager, g.defaultUser, g.debug], [true, false, null, 65532, false]);
  const d = classifyBase('gcr.io/distroless/base-debian12:debug');
  assert.deepEqual([d.hasShell, d.debug, d.defaultUser], [true, true, 'root']);
  assert.equal(classifyBase('cgr.dev/chainguard/node:latest-dev').hasShell, true);
  assert.equal(classifyBase('cgr.dev/chainguard/node:latest').hasShell, false);
  assert.equal(classifyBase('mcr.microsoft.com/dotnet/runtime-deps:8.0-noble-chiseled').hasShell, false);
  assert.equal(classifyBase('scratch').defaultUser, 'root');
  assert.deepEqual([classifyBase('golang:1.23').toolchain, classifyBase('golang:1.23-alpine').packageManager], ['go', 'apk']);
  assert.equal(classifyBase('eclipse-temurin:21-jre').toolchain, null);
  assert.equal(classifyBase('mcr.microsoft.com/dotnet/sdk:8.0').toolchain, 'dotnet-sdk');
  assert.equal(classifyBase('example.invalid/team/app:1').distroless, 'unknown');
});

test('input that is no Dockerfile (empty, comments only, no FROM, NUL bytes, not UTF-8) is an E_INPUT error naming the file', () => {
  const cases: [string | Uint8Array, RegExp][] = [
    ['', /is empty/],
    ['\n  \n', /is empty/],
    ['# only a comment\n', /has no FROM instruction/],
    ['USER\nCMD\n', /has no FROM instruction/],
    ['ARG A=1\n', /has no FROM instruction/],
    ['FROM debian:12\n\0\0\x7fELF', /contains NUL bytes/],
    [Uint8Array.from([0x46, 0x52, 0x4f, 0x4d, 0x20, 0xc3, 0x28, 0xff, 0xfe]), /not valid UTF-8/],
  ];
  for (const [input, why] of cases) {
    const run = () => (typeof input === 'string' ? lintDockerfile(input, { file: 'app/Dockerfile' }) : lintDockerfile(decodeDockerfile(input, 'app/Dockerfile'), { file: 'app/Dockerfile' }));
    assert.throws(run, (e: unknown) => isDistillError(e, 'E_INPUT') && e.input === 'app/Dockerfile' && why.test(e.message) && !e.message.includes('\n'), JSON.stringify(input));
  }
  // A byte-order mark and non-ASCII text are fine.
  assert.ok(ids(decodeDockerfile(new TextEncoder().encode('\ufeffFROM debian:12\nLABEL description="café"\nUSER 0\n'), 'x')).has('DL1001'));
});

test('odd input never throws: bare keywords, unterminated heredoc, bad JSON', () => {
  const odd = ['FROM\n', 'FROM alpine:3\nRUN <<EOF\necho never closed\n', 'FROM alpine:3\nCMD ["a", \n', 'FROM a AS\nFROM b AS b\nCOPY --from= . .\n', '\r\nFROM debian:12\r\nUSER 0\r\n', 'FROM $UNSET\nUSER $U\nENV\nEXPOSE\nADD\n'];
  for (const t of odd) assert.doesNotThrow(() => lintDockerfile(t), JSON.stringify(t));
  // CRLF files still get correct lines.
  assert.deepEqual(lintDockerfile('\r\nFROM debian:12\r\nUSER 0\r\n').filter((f) => f.rule === 'DL1001').map((f) => f.line), [3]);
  // A USER taken from an unresolvable variable is not guessed to be root.
  assert.ok(!ids('FROM debian:12\nUSER $APP_UID\n').has('DL1001'));
});

test('debug-tag rule only for images whose debug variant is known to add a shell', () => {
  assert.ok(ids('FROM cgr.dev/chainguard/python:latest-dev\nUSER 65532\n').has('DL1013'));
  assert.ok(!ids('FROM example.invalid/team/app:1.0-dev\nUSER 65532\n').has('DL1013'));
  assert.ok(!ids('FROM gcr.io/distroless/static-debian12:debug AS dbg\nFROM gcr.io/distroless/static-debian12:nonroot\nUSER 65532\n').has('DL1013'));
});

test('every rule has a docs page stating its severity, with a bad example that triggers it and a good one that does not', () => {
  for (const r of RULES) {
    const page = readFileSync(join(ROOT, 'docs', 'rules', `${r.id}.md`), 'utf8');
    assert.match(page, new RegExp(`^# ${r.id}: ${r.name}\\n`), r.id);
    assert.ok(page.includes(`Severity: **${r.severity}**`), `${r.id} page severity`);
    const bad = /Bad:\n\n```dockerfile\n([^`]+)```/.exec(page)?.[1];
    const good = /Good:\n\n```dockerfile\n([^`]+)```/.exec(page)?.[1];
    assert.ok(bad && good, `${r.id} examples`);
    // The examples are real: the bad one triggers the rule, the good one does not.
    const withFrom = (t: string) => (/^FROM /m.test(t) ? t : `FROM debian:12\n${t}`);
    assert.ok(ids(withFrom(bad), { dockerignorePresent: false }).has(r.id), `${r.id}: bad example does not trigger it`);
    assert.ok(!ids(withFrom(good), { dockerignorePresent: true }).has(r.id), `${r.id}: good example triggers it`);
  }
});

test('cleanup counts only after the last install of the RUN, for apt, dnf, microdnf, zypper and apk', () => {
  const has = (run: string, from = 'debian:12') => ids(`FROM ${from}\nRUN ${run}\nUSER 1\n`);
  assert.ok(!has('apt-get update && apt-get install -y x && rm -rf /var/lib/apt/lists/*').has('DL1061'));
  assert.ok(has('rm -rf /var/lib/apt/lists/* && apt-get update && apt-get install -y x').has('DL1061'));
  // Cleaned between two installs: the second install's cache stays.
  assert.ok(has('apt-get update && apt-get install -y a && rm -rf /var/lib/apt/lists/* && apt-get update && apt-get install -y b').has('DL1061'));
  assert.ok(!has('dnf --installroot /rootfs --releasever 9 install -y bash && dnf --installroot /rootfs clean all', 'fedora:41').has('DL1061'));
  assert.ok(has('dnf clean all && dnf install -y bash', 'fedora:41').has('DL1061'));
  assert.ok(has('microdnf install -y shadow-utils', 'registry.access.redhat.com/ubi9/ubi-minimal:9.5').has('DL1061'));
  assert.ok(!has('zypper -n in curl && zypper cc -a', 'opensuse/leap:15.6').has('DL1061'));
  assert.ok(has('rm -rf /var/cache/apk/* && apk add curl', 'alpine:3.20').has('DL1070'));
  assert.ok(!has('apk add curl && rm -rf /var/cache/apk/*', 'alpine:3.20').has('DL1070'));
  // Words in an echo are not an install.
  assert.ok(!has('echo "apt-get install x" > /notes').has('DL1061'));
});

test('installs that would prompt: apt-get, yum, dnf and zypper without their yes option; microdnf never', () => {
  const yes = (run: string) => !ids(`FROM debian:12\nRUN ${run}\nUSER 1\n`).has('DL1063');
  for (const r of ['apt-get install x', 'apt install x', 'apt-get -o Dpkg::Options::=--force-confold install x', 'dnf install x', 'yum install x', 'zypper install x', 'zypper in -l x', 'apt-get -q install x']) assert.ok(!yes(r), r);
  for (const r of ['apt-get install -y x', 'apt-get -qq install x', 'apt-get install --yes x', 'apt-get -yq install x', 'apt-get -o APT::Get::Assume-Yes=true install x', 'yes | apt-get install x', 'dnf -y install x', 'yum install --assumeyes x', 'zypper -n in x', 'zypper --non-interactive install x', 'zypper install -y x', 'microdnf install x', 'apt-get update']) assert.ok(yes(r), r);
  // An apt config from an earlier RUN of the stage (or its parent) answers for later installs.
  assert.ok(!ids('FROM debian:12 AS base\nRUN echo \'APT::Get::Assume-Yes "true";\' > /etc/apt/apt.conf.d/90yes\nFROM base\nRUN apt-get install x\n').has('DL1063'));
});

test('apt-get upgrade is info, dist-upgrade and full-upgrade are warnings', () => {
  const sev = (run: string) => lintDockerfile(`FROM debian:12\nRUN ${run}\nUSER 1\n`).find((f) => f.rule === 'DL1064')?.severity;
  assert.equal(sev('apt-get update && apt-get upgrade -y'), 'info');
  assert.equal(sev('apt-get update && apt-get -y dist-upgrade'), 'warning');
  assert.equal(sev('apt full-upgrade -y'), 'warning');
  assert.equal(sev('apt-get install -y unattended-upgrades'), undefined);
});

test('build-breaking mistakes are error findings: unknown instruction, duplicate stage, COPY --from itself, bad port, multi-source COPY', () => {
  const at = (t: string, rule: string) => lintDockerfile(t).filter((f) => f.rule === rule).map((f) => [f.line, f.severity]);
  assert.deepEqual(at('FROM debian:12\nCOPPY a /a\nRUN true\n', 'DL1090'), [[2, 'error']]);
  assert.deepEqual(at('FROM debian:12 AS Build\nFROM debian:12 AS build\n', 'DL1091'), [[2, 'error']]);
  assert.deepEqual(at('FROM debian:12\nCOPY --from=0 /a /b\n', 'DL1092'), [[2, 'error']]);
  assert.deepEqual(at('FROM debian:12 AS a\nFROM debian:12 AS b\nCOPY --from=a /a /b\n', 'DL1092'), []);
  assert.deepEqual(at('FROM debian:12\nEXPOSE 0 65536 1-70000 http 8080/tcp\n', 'DL1094'), [[2, 'error'], [2, 'error'], [2, 'error'], [2, 'error']]);
  assert.deepEqual(at('FROM debian:12\nADD a.tgz b.tgz /opt\nCOPY a b ./\nCOPY a b ..\nCOPY <<EOF /x\nhi\nEOF\n', 'DL1096'), [[2, 'error']]);
});

test('repeated ENTRYPOINT/CMD/HEALTHCHECK are per stage; relative WORKDIR counts absolute ones before it, through FROM <stage>', () => {
  const lines = (t: string, rule: string) => lintDockerfile(t).filter((f) => f.rule === rule).map((f) => f.line);
  assert.deepEqual(lines('FROM debian:12\nENTRYPOINT ["a"]\nENTRYPOINT ["b"]\nFROM debian:12\nENTRYPOINT ["c"]\n', 'DL1093'), [2]);
  assert.deepEqual(lines('FROM debian:12 AS base\nWORKDIR /srv\nFROM base\nWORKDIR app\nFROM debian:12\nWORKDIR app\nWORKDIR $HOME/x\n', 'DL1095'), [6]);
  assert.deepEqual(lines('FROM debian:12\nARG DIR=/opt/app\nWORKDIR ${DIR}\nWORKDIR data\n', 'DL1095'), []);
});

test('chiseled and distroless bases with a documented non-root user are not root; unknown ones still are', () => {
  for (const ref of ['mcr.microsoft.com/dotnet/aspnet:8.0-noble-chiseled', 'mcr.microsoft.com/dotnet/runtime-deps:9.0-azurelinux3.0-distroless-extra', 'ubuntu/jre:21-24.04_stable']) {
    const f = ids(`FROM ${ref}\nCOPY app /app\n`);
    assert.ok(!f.has('DL1001') && f.has('DL1004'), ref);
  }
  // .NET 6/7 chiseled used another uid; a chiseled image whose user is not documented is not guessed.
  for (const ref of ['mcr.microsoft.com/dotnet/runtime:6.0-jammy-chiseled', 'ubuntu/python:3.12-24.04_stable']) assert.ok(ids(`FROM ${ref}\nCOPY app /app\n`).has('DL1001'), ref);
  assert.equal(classifyBase('example.invalid/team/app:1-distroless').distroless, 'unknown');
});
