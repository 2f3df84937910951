/** Behaviour of the converter users rely on: command resolution, providers, pins, refusals, traps. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { convertDockerfile } from '../../src/dockerfile/convert/index.ts';

const NODE_PKG = { 'package.json': JSON.stringify({ scripts: { start: 'node --enable-source-maps dist/main.js' } }) };
const NODE_DF = 'FROM node:22\nWORKDIR /app\nCOPY . .\nRUN npm ci\nCMD npm start\n';

function lastStage(text: string): string {
  const i = text.lastIndexOf('\nFROM ');
  return i < 0 ? text : text.slice(i + 1);
}

test('npm start is resolved through package.json to the script node runs', () => {
  const r = convertDockerfile(NODE_DF, { context: NODE_PKG });
  assert.match(lastStage(r.dockerfile), /^CMD \["--enable-source-maps", "dist\/main\.js"\]$/m);
  assert.deepEqual(r.warnings, []);
});

test('npm start without package.json is refused, not guessed', () => {
  const r = convertDockerfile(NODE_DF);
  assert.equal(r.status, 'refused');
  assert.match(r.refusal ?? '', /package\.json/);
  assert.equal(r.dockerfile, NODE_DF);
});

test('npm start with no start script falls back to npm\'s own default, node server.js', () => {
  const r = convertDockerfile(NODE_DF, { context: { 'package.json': '{"name":"x"}' } });
  assert.match(lastStage(r.dockerfile), /^CMD \["server\.js"\]$/m);
});

test('dev dependencies are pruned in the builder unless the install already omits them', () => {
  assert.match(convertDockerfile(NODE_DF, { context: NODE_PKG }).dockerfile, /^RUN npm prune --omit=dev$/m);
  const prod = convertDockerfile('FROM node:20\nWORKDIR /app\nCOPY . .\nRUN npm ci --omit=dev\nCMD ["node","a.js"]\n');
  assert.doesNotMatch(prod.dockerfile, /npm prune/);
});

test('a shell-form CMD with $PORT becomes exec form with the ENV value', () => {
  const r = convertDockerfile('FROM python:3.11-slim\nENV PORT=9000\nWORKDIR /app\nCOPY . .\nRUN pip install -r requirements.txt\nCMD uvicorn main:app --port $PORT\n');
  assert.match(lastStage(r.dockerfile), /^CMD \["-m", "uvicorn", "main:app", "--port", "9000"\]$/m);
  assert.ok(r.changes.some((c) => /substituted/.test(c.reason)));
});

test('a CMD that needs a shell is refused with the reason', () => {
  const r = convertDockerfile('FROM node:20\nWORKDIR /app\nCOPY . .\nRUN npm ci\nCMD node migrate.js && node server.js\n');
  assert.equal(r.status, 'refused');
  assert.match(r.refusal ?? '', /needs a shell/);
});

test('a curl HEALTHCHECK is replaced by a note that says why', () => {
  const r = convertDockerfile('FROM node:20\nWORKDIR /app\nCOPY . .\nHEALTHCHECK CMD curl -f http://localhost/ || exit 1\nCMD ["node","s.js"]\n');
  const fin = lastStage(r.dockerfile);
  assert.doesNotMatch(fin, /^HEALTHCHECK/m);
  assert.match(fin, /^# distill: removed `HEALTHCHECK CMD curl/m);
  assert.ok(r.changes.some((c) => c.kind === 'healthcheck' && c.line === 4));
});

test('an exec-form HEALTHCHECK through the interpreter is kept, with the interpreter\'s path', () => {
  const r = convertDockerfile('FROM node:20\nWORKDIR /app\nCOPY . .\nHEALTHCHECK CMD ["node", "health.js"]\nCMD ["node","s.js"]\n');
  assert.match(lastStage(r.dockerfile), /^HEALTHCHECK CMD \["\/nodejs\/bin\/node", "health\.js"\]$/m);
});

test('ARG-based FROM: the version comes from the ARG default', () => {
  const r = convertDockerfile('ARG NODE_VERSION=22\nFROM node:${NODE_VERSION}-slim\nWORKDIR /app\nCOPY . .\nCMD ["node","a.js"]\n');
  assert.equal(r.base, 'gcr.io/distroless/nodejs22-debian13:nonroot');
  assert.match(r.dockerfile, /^ARG NODE_VERSION=22$/m);
});

test('RUN apt-get install of a runtime library in the final stage is a warning', () => {
  const r = convertDockerfile('FROM python:3.11-slim\nRUN apt-get update && apt-get install -y libpq5\nWORKDIR /app\nCOPY . .\nCMD ["python","app.py"]\n');
  assert.ok(r.warnings.some((w) => /libpq5/.test(w)));
  assert.doesNotMatch(lastStage(r.dockerfile), /^RUN /m);
});

test('RUN that only adds a user or CA certificates is dropped with its reason, the stage rebased in place', () => {
  const r = convertDockerfile('FROM golang:1.22 AS b\nRUN CGO_ENABLED=0 go build -o /out/app .\nFROM alpine:3.19\nRUN apk add --no-cache ca-certificates && adduser -D app\nCOPY --from=b /out/app /app\nUSER app\nENTRYPOINT ["/app"]\n');
  assert.equal(r.base, 'gcr.io/distroless/static-debian13:nonroot');
  const fin = lastStage(r.dockerfile);
  assert.doesNotMatch(fin, /^RUN /m);
  assert.match(fin, /^COPY --from=b \/out\/app \/app$/m);
  assert.match(fin, /^USER 65532:65532$/m);
  assert.ok(r.changes.some((c) => c.kind === 'drop-run' && /creates a user/.test(c.reason)));
  assert.deepEqual(r.warnings, []);
});

test('heredoc RUN steps are read as build steps', () => {
  const r = convertDockerfile('FROM python:3.11\nWORKDIR /app\nCOPY . .\nRUN <<EOF\npip install flask\nEOF\nCMD ["python","app.py"]\n');
  assert.match(r.dockerfile, /^RUN pip install --no-cache-dir --target \/opt\/pydeps flask$/m);
  assert.match(r.dockerfile, /^RUN <<EOF\npip install flask\nEOF$/m);
});

test('providers: chainguard fits CMD to its node entrypoint; chiseled runs .NET framework-dependent', () => {
  const cg = convertDockerfile('FROM node:20\nWORKDIR /app\nCOPY . .\nCMD ["node","a.js"]\n', { provider: 'chainguard' });
  assert.equal(cg.base, 'cgr.dev/chainguard/node:latest');
  assert.match(lastStage(cg.dockerfile), /^CMD \["a\.js"\]$/m);
  const df = 'FROM mcr.microsoft.com/dotnet/sdk:8.0 AS build\nWORKDIR /src\nCOPY . .\nRUN dotnet publish -c Release -o /out\nFROM mcr.microsoft.com/dotnet/aspnet:8.0\nWORKDIR /app\nCOPY --from=build /out .\nENTRYPOINT ["dotnet","Web.dll"]\n';
  const ch = convertDockerfile(df, { provider: 'chiseled' });
  assert.equal(ch.base, 'mcr.microsoft.com/dotnet/aspnet:8.0-noble-chiseled');
  assert.match(ch.dockerfile, /^ENTRYPOINT \["dotnet", "Web\.dll"\]$/m);
  assert.doesNotMatch(ch.dockerfile, /self-contained/);
  const g = convertDockerfile(df, { provider: 'google' });
  assert.match(g.dockerfile, /dotnet publish --self-contained --use-current-runtime/);
  assert.match(g.dockerfile, /^ENTRYPOINT \["\/app\/Web"\]$/m);
});

test('ubi-micro and scratch refuse interpreted apps and say why', () => {
  for (const provider of ['ubi-micro', 'scratch'] as const) {
    const r = convertDockerfile('FROM node:20\nWORKDIR /app\nCOPY . .\nCMD ["node","a.js"]\n', { provider });
    assert.equal(r.converted, false);
    assert.equal(r.dockerfile, 'FROM node:20\nWORKDIR /app\nCOPY . .\nCMD ["node","a.js"]\n');
    assert.match(r.warnings[0] ?? '', /nodejs/);
  }
});

test('scratch takes a static Go binary and gets CA certificates from the builder', () => {
  const r = convertDockerfile('FROM golang:1.22\nWORKDIR /src\nCOPY . .\nRUN CGO_ENABLED=0 go build -o /bin/app .\nCMD ["/bin/app"]\n', { provider: 'scratch' });
  assert.equal(r.base, 'scratch');
  assert.match(r.dockerfile, /^COPY --from=build \/etc\/ssl\/certs\/ca-certificates\.crt /m);
});

test('--debug picks the debug-nonroot variant', () => {
  const r = convertDockerfile('FROM node:20\nWORKDIR /app\nCOPY . .\nCMD ["node","a.js"]\n', { debug: true });
  assert.equal(r.base, 'gcr.io/distroless/nodejs22-debian13:debug-nonroot');
});

test('--pin adds digests from the lock; a base missing from it is a warning', () => {
  const d = 'a'.repeat(64);
  const lock = { 'gcr.io/distroless/nodejs22-debian13:nonroot': `sha256:${d}`, 'node:20': `sha256:${'b'.repeat(64)}` };
  const df = 'FROM node:20 AS deps\nRUN echo\nFROM node:20\nWORKDIR /app\nCOPY . .\nCMD ["node","a.js"]\n';
  const r = convertDockerfile(df, { pin: lock });
  assert.match(r.dockerfile, new RegExp(`^FROM gcr.io/distroless/nodejs22-debian13:nonroot@sha256:${d}$`, 'm'));
  assert.match(r.dockerfile, /^FROM node:20@sha256:b{64} AS deps$/m);
  assert.equal(convertDockerfile(r.dockerfile, { pin: lock }).dockerfile, r.dockerfile);
  const miss = convertDockerfile(df, { pin: {} });
  assert.ok(miss.warnings.some((w) => /not in the lock/.test(w)));
});

test('--base-prefix names local bases PREFIX/<flavour>:nonroot', () => {
  const r = convertDockerfile('FROM python:3.11\nWORKDIR /app\nCOPY . .\nCMD ["python","app.py"]\n', { basePrefix: 'localhost/distill' });
  assert.equal(r.base, 'localhost/distill/python3:nonroot');
  assert.match(lastStage(r.dockerfile), /^CMD \["app\.py"\]$/m);
  assert.equal(convertDockerfile(r.dockerfile, { basePrefix: 'localhost/distill' }).dockerfile, r.dockerfile);
});

test('--cargo-chef adds planner and cook steps around the sources', () => {
  const r = convertDockerfile('FROM rust:1.79\nWORKDIR /app\nCOPY . .\nRUN cargo build --release\nCMD ["/app/target/release/svc"]\n', { cargoChef: true });
  assert.match(r.dockerfile, /^FROM rust:1\.79 AS chef\nRUN cargo install cargo-chef --locked/m);
  assert.match(r.dockerfile, /^FROM chef AS build$/m);
  assert.match(r.dockerfile, /^RUN cargo chef cook --release --recipe-path recipe\.json\nCOPY \. \.$/m);
  assert.equal(r.base, 'gcr.io/distroless/cc-debian13:nonroot');
});

test('JVM options on -jar need an explicit java ENTRYPOINT; plain -jar fits the image\'s own', () => {
  const plain = convertDockerfile('FROM eclipse-temurin:21-jre\nCOPY app.jar /app.jar\nCMD ["java","-jar","/app.jar"]\n');
  assert.match(plain.dockerfile, /^CMD \["\/app\.jar"\]$/m);
  assert.doesNotMatch(plain.dockerfile, /ENTRYPOINT/);
  const opts = convertDockerfile('FROM eclipse-temurin:21-jre\nCOPY app.jar /app.jar\nCMD ["java","-Xmx1g","-jar","/app.jar"]\n');
  assert.match(opts.dockerfile, /^ENTRYPOINT \["\/usr\/bin\/java"\]\nCMD \["-Xmx1g", "-jar", "\/app\.jar"\]$/m);
});

test('Python builder newer than the base\'s interpreter is a warning', () => {
  const r = convertDockerfile('FROM python:3.12\nWORKDIR /app\nCOPY . .\nRUN pip install flask\nCMD ["python","app.py"]\n');
  assert.ok(r.warnings.some((w) => /3\.12.*3\.13/.test(w)));
});

test('an Alpine Node builder without apk is moved to the Debian variant', () => {
  const r = convertDockerfile('FROM node:20-alpine\nWORKDIR /app\nCOPY . .\nRUN npm ci\nCMD ["node","a.js"]\n');
  assert.match(r.dockerfile, /^FROM node:20-bookworm-slim AS build$/m);
});

test('USER root becomes the numeric nonroot user; the author\'s non-root USER is kept, by number; one is added when missing', () => {
  const root = convertDockerfile('FROM node:20-slim\nWORKDIR /app\nCOPY . .\nUSER root\nCMD ["node","a.js"]\n');
  assert.match(root.dockerfile, /^USER 65532:65532$/m);
  // node is uid 1000 in the node images; distroless has no passwd entry for the name.
  const node = convertDockerfile('FROM node:20-slim\nWORKDIR /app\nCOPY . .\nUSER node\nCMD ["node","a.js"]\n');
  assert.match(node.dockerfile, /^USER 1000:1000$/m);
  assert.doesNotMatch(node.dockerfile, /USER node/);
  const numeric = convertDockerfile('FROM node:20-slim\nWORKDIR /app\nCOPY . .\nUSER 1001:1001\nCMD ["node","a.js"]\n');
  assert.match(numeric.dockerfile, /^USER 1001:1001$/m);
  const created = convertDockerfile('FROM python:3.13-slim\nRUN groupadd -g 2000 svc && useradd -u 2001 -g svc svc\nWORKDIR /app\nCOPY . .\nUSER svc\nCMD ["python","a.py"]\n');
  assert.match(created.dockerfile, /^USER 2001:2000$/m);
  const unknown = convertDockerfile('FROM python:3.13-slim\nRUN useradd app\nWORKDIR /app\nCOPY . .\nUSER app\nCMD ["python","a.py"]\n');
  assert.match(unknown.dockerfile, /^USER 65532:65532$/m, 'a name with no known uid gets the distroless nonroot user');
  const none = convertDockerfile('FROM python:3.13-slim\nWORKDIR /app\nCOPY . .\nCMD ["python","a.py"]\n');
  assert.match(none.dockerfile, /^USER 65532:65532$/m);
});

test('a Dockerfile without a known language is refused, unchanged', () => {
  const df = 'FROM debian:12\nCOPY thing /thing\nCMD ["/thing"]\n';
  const r = convertDockerfile(df);
  assert.equal(r.converted, false);
  assert.equal(r.dockerfile, df);
  assert.match(r.warnings[0] ?? '', /cannot tell which language/);
});

test('not a Dockerfile: an error, for the CLI to report as input error', () => {
  assert.throws(() => convertDockerfile('just text\n'), /no FROM/);
});

test('Next.js: the standalone output is copied and served by server.js', () => {
  const pkg = { 'package.json': JSON.stringify({ scripts: { build: 'next build', start: 'next start' } }), 'next.config.mjs': 'export default { output: "standalone" }' };
  const r = convertDockerfile('FROM node:20\nWORKDIR /app\nCOPY . .\nRUN npm ci && npm run build\nCMD ["npm","start"]\n', { context: pkg });
  const fin = lastStage(r.dockerfile);
  assert.match(fin, /^COPY --from=build \/app\/\.next\/standalone \/app$/m);
  assert.match(fin, /^ENV HOSTNAME=0\.0\.0\.0$/m);
  assert.match(fin, /^CMD \["server\.js"\]$/m);
  assert.equal(r.buildTool, 'npm (Next.js)');
});

test('a final stage built FROM an earlier stage stays a builder and keeps the inherited WORKDIR and ENV', () => {
  const df = 'FROM node:22-slim AS base\nWORKDIR /app\nENV PORT=3000\nFROM base AS deps\nRUN npm ci --omit=dev\nFROM base AS runner\nCOPY --from=deps /app/node_modules ./node_modules\nCOPY . .\nCMD ["node","server.js"]\n';
  const r = convertDockerfile(df);
  assert.match(r.dockerfile, /^FROM base AS build$/m);
  const fin = lastStage(r.dockerfile);
  assert.match(fin, /^ENV PORT=3000$/m);
  assert.match(fin, /^WORKDIR \/app$/m);
  assert.match(fin, /^COPY --from=build \/app \/app$/m);
  assert.doesNotMatch(r.dockerfile, /npm prune/, 'no install in the final stage chain: nothing to prune');
});

test('CRLF files come back with CRLF line ends throughout', () => {
  const r = convertDockerfile('FROM node:22\r\nWORKDIR /app\r\nCOPY . .\r\nRUN npm ci\r\nCMD ["node", "a.js"]\r\n');
  assert.equal(r.dockerfile.split('\n').length, r.dockerfile.split('\r\n').length);
  assert.match(r.dockerfile, /CMD \["a\.js"\]\r\n$/);
});

test('a shell-form CMD on a distroless base is read as the whole command, not appended to node', () => {
  const r = convertDockerfile('FROM gcr.io/distroless/nodejs22-debian13:nonroot\nWORKDIR /app\nCOPY . /app\nCMD node server.js\n');
  assert.match(r.dockerfile, /^CMD \["server\.js"\]$/m);
  assert.equal(r.base, 'gcr.io/distroless/nodejs22-debian13:nonroot');
});

test('an ENTRYPOINT shell script is refused: what it does before exec is unknown', () => {
  const r = convertDockerfile('FROM python:3.13\nWORKDIR /app\nCOPY . .\nRUN pip install flask\nENTRYPOINT ["./docker-entrypoint.sh"]\nCMD ["gunicorn","app:app"]\n');
  assert.equal(r.status, 'refused');
  assert.match(r.refusal ?? '', /docker-entrypoint\.sh.*shell script/);
});

test('C/C++: -static goes on static, dynamic linking on cc; a newer build glibc than the base\'s is a warning', () => {
  const stat = convertDockerfile('FROM gcc:13\nCOPY . /src\nRUN gcc -static -o /bin/t /src/t.c\nCMD ["/bin/t"]\n');
  assert.equal(stat.base, 'gcr.io/distroless/static-debian13:nonroot');
  const dyn = 'FROM ubuntu:24.04\nRUN apt-get update && apt-get install -y g++\nCOPY . /src\nRUN g++ -O2 -o /app /src/main.cpp\nCMD ["/app"]\n';
  assert.equal(convertDockerfile(dyn).base, 'gcr.io/distroless/cc-debian13:nonroot');
  assert.deepEqual(convertDockerfile(dyn).warnings, []);
  const ubi = convertDockerfile(dyn, { provider: 'ubi-micro' });
  assert.ok(ubi.warnings.some((w) => /glibc 2\.39 .* glibc 2\.34/.test(w)));
});

test('apt-installed python3 on Ubuntu 22.04 is 3.10: a mismatch with the runtime is reported', () => {
  const r = convertDockerfile('FROM ubuntu:22.04\nRUN apt-get update && apt-get install -y python3-pip\nWORKDIR /app\nCOPY . .\nRUN pip3 install flask\nCMD ["python3","app.py"]\n');
  assert.ok(r.warnings.some((w) => /Python 3\.10 .* 3\.13/.test(w)), r.warnings.join('\n'));
});

test('COPY --chown to a named user is rewritten to the numeric runtime user when rebasing; unowned copies stay root-owned', () => {
  const r = convertDockerfile('FROM node:22-slim\nWORKDIR /app\nCOPY --chown=node:node . .\nCOPY config.json /etc/app/\nUSER node\nCMD ["node","a.js"]\n');
  assert.match(r.dockerfile, /^COPY --chown=1000:1000 \. \.$/m);
  assert.match(r.dockerfile, /^COPY config\.json \/etc\/app\/$/m);
});

test('only the paths the Dockerfile chowns are owned by the runtime user in the runtime stage', () => {
  const r = convertDockerfile('FROM python:3.13-slim\nWORKDIR /app\nCOPY . .\nRUN pip install -r requirements.txt && mkdir -p /app/uploads && chown -R 65532:65532 /app/uploads\nCMD ["python","app.py"]\n', { context: { 'requirements.txt': 'flask\n' } });
  const runtime = r.dockerfile.slice(r.dockerfile.lastIndexOf('\nFROM '));
  assert.match(runtime, /^COPY --from=build \/app \/app$/m);
  assert.match(runtime, /^COPY --from=build --chown=65532:65532 \/app\/uploads \/app\/uploads$/m);
});

test('the repeated pip install keeps requirement paths right when WORKDIR changed after the install', () => {
  const r = convertDockerfile('FROM python:3.13\nWORKDIR /tmp/req\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\nWORKDIR /app\nCOPY . .\nCMD ["python","app.py"]\n');
  assert.match(r.dockerfile, /^RUN pip install --no-cache-dir --target \/opt\/pydeps -r \/tmp\/req\/requirements\.txt$/m);
});

test('a wildcard jar is resolved from pom.xml or the Gradle settings', () => {
  const maven = convertDockerfile('FROM maven:3.9-eclipse-temurin-21\nWORKDIR /b\nCOPY . .\nRUN mvn -B package\nCMD java -jar target/*.jar\n', {
    context: { 'pom.xml': '<project><parent><artifactId>p</artifactId><version>9</version></parent><artifactId>svc</artifactId><version>1.2.0</version></project>' },
  });
  assert.match(maven.dockerfile, /^COPY --from=build \/b\/target\/svc-1\.2\.0\.jar \/b\/app\.jar$/m);
  const gradle = convertDockerfile('FROM gradle:8-jdk21\nWORKDIR /g\nCOPY . .\nRUN gradle build\nCMD java -jar build/libs/*.jar\n', {
    context: { 'settings.gradle': "rootProject.name = 'api'", 'build.gradle': "version = '0.3.1'\n" },
  });
  assert.match(gradle.dockerfile, /^COPY --from=build \/g\/build\/libs\/api-0\.3\.1\.jar \/g\/app\.jar$/m);
});

test('yarn berry prunes with workspaces focus', () => {
  const r = convertDockerfile('FROM node:22\nWORKDIR /app\nCOPY . .\nRUN yarn install --immutable\nCMD ["node","a.js"]\n', { context: { 'package.json': '{"packageManager":"yarn@4.1.0"}', 'yarn.lock': '', '.yarnrc.yml': '' } });
  assert.match(r.dockerfile, /^RUN yarn workspaces focus --all --production$/m);
});
