/**
 * `distill build` of a Maven app with one dependency from a file:// Maven repository the test lays
 * out (the layout `mvn install:install-file` writes), reached through the user's settings.xml
 * named in the project's .mvn/maven.config, offline: `mvn package` builds it, the dependency jar
 * is a layer of its own apart from the app jar, and the image runs. A failing `mvn package` is
 * exit 2 with Maven's first error line, never a javac fallback.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { runDistill, ROOT } from '../helpers/cli.ts';
import { hasCommand, podman } from '../helpers/podman.ts';
import { tempDir } from '../helpers/images.ts';
import { getJson } from '../helpers/http.ts';
import { pullLayout, runHardened } from '../helpers/containers.ts';

const work = tempDir('distill-e2e-mvn-');
const bases = join(work, 'bases');
const repo = join(work, 'repo');
// A version of its own, so the copy Maven caches in ~/.m2 is this run's and is removed after.
const version = `1.0.${process.pid}`;
const cached = join(homedir(), '.m2', 'repository', 'test', 'distill', 'greet', version);
const skip = hasCommand('mvn') && hasCommand('javac') ? false : 'mvn and javac are needed';
const containers: string[] = [];
const images: string[] = [];

/** The plugins `package` runs, pinned as real poms pin them (versions this machine's ~/.m2 holds). */
const PLUGINS = [['maven-resources-plugin', '3.3.1'], ['maven-compiler-plugin', '3.11.0'], ['maven-jar-plugin', '3.4.1'], ['maven-surefire-plugin', '3.2.5']]
  .map(([a, v]) => `      <plugin><groupId>org.apache.maven.plugins</groupId><artifactId>${a}</artifactId><version>${v}</version></plugin>`)
  .join('\n');

const SERVER = `package demo;

import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import test.distill.greet.Greeter;

public class Main {
  public static void main(String[] args) throws Exception {
    HttpServer server = HttpServer.create(new InetSocketAddress(8080), 0);
    server.createContext("/", ex -> {
      String body = ex.getRequestURI().getPath().equals("/health") ? "{\\"status\\":\\"ok\\"}" : "{\\"service\\":\\"mvn-deps\\",\\"greeting\\":\\"" + Greeter.hello("distill") + "\\"}";
      byte[] b = body.getBytes(StandardCharsets.UTF_8);
      ex.getResponseHeaders().set("Content-Type", "application/json");
      ex.sendResponseHeaders(200, b.length);
      ex.getResponseBody().write(b);
      ex.close();
    });
    server.start();
  }
}
`;

function mavenApp(name: string, main: string): string {
  const dir = join(work, name);
  mkdirSync(join(dir, 'src', 'main', 'java', 'demo'), { recursive: true });
  mkdirSync(join(dir, '.mvn'), { recursive: true });
  writeFileSync(
    join(dir, 'pom.xml'),
    `<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>demo</groupId>
  <artifactId>svc</artifactId>
  <version>1.0</version>
  <packaging>jar</packaging>
  <properties>
    <maven.compiler.release>17</maven.compiler.release>
    <project.build.sourceEncoding>UTF-8</project.build.sourceEncoding>
  </properties>
  <dependencies>
    <dependency><groupId>test.distill</groupId><artifactId>greet</artifactId><version>${version}</version></dependency>
  </dependencies>
  <build>
    <pluginManagement>
      <plugins>
${PLUGINS}
      </plugins>
    </pluginManagement>
  </build>
</project>
`,
  );
  writeFileSync(join(dir, 'src', 'main', 'java', 'demo', 'Main.java'), main);
  // The user's settings, as a project names them; offline, with file:// repositories still allowed.
  writeFileSync(join(dir, '.mvn', 'maven.config'), `--settings=${join(work, 'settings.xml')}\n--offline\n-Daether.offline.protocols=file\n`);
  return dir;
}

before(async () => {
  if (skip) return;
  // The dependency, laid out as `mvn install:install-file -DlocalRepositoryPath=repo` writes it.
  const lib = join(work, 'greet');
  mkdirSync(join(lib, 'src'), { recursive: true });
  writeFileSync(join(lib, 'src', 'Greeter.java'), 'package test.distill.greet;\n\npublic final class Greeter {\n  public static String hello(String name) {\n    return "hello " + name;\n  }\n}\n');
  execFileSync('javac', ['--release', '17', '-d', join(lib, 'classes'), join(lib, 'src', 'Greeter.java')]);
  const dest = join(repo, 'test', 'distill', 'greet', version);
  mkdirSync(dest, { recursive: true });
  execFileSync('jar', ['--create', '--file', join(dest, `greet-${version}.jar`), '-C', join(lib, 'classes'), '.']);
  writeFileSync(join(dest, `greet-${version}.pom`), `<?xml version="1.0" encoding="UTF-8"?>\n<project xmlns="http://maven.apache.org/POM/4.0.0">\n  <modelVersion>4.0.0</modelVersion>\n  <groupId>test.distill</groupId>\n  <artifactId>greet</artifactId>\n  <version>${version}</version>\n</project>\n`);
  writeFileSync(join(work, 'settings.xml'), `<settings>\n  <mirrors>\n    <mirror><id>team-repo</id><mirrorOf>*</mirrorOf><url>file://${repo}</url></mirror>\n  </mirrors>\n</settings>\n`);
  const r = await runDistill(['base', 'java', '-o', join(bases, 'java'), '--lock', join(ROOT, 'test-output', 'build-e2e-locks', 'java.lock.json'), '--tags', 'nonroot', '-q']);
  assert.equal(r.code, 0, `distill base java: ${r.stderr}`);
});

after(async () => {
  for (const c of containers) await podman(['rm', '-f', '-t', '0', c]);
  for (const i of images) await podman(['rmi', '-f', i]);
  rmSync(cached, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
});

test('maven: mvn package with a dependency from the settings.xml repository; the runtime classpath is its own layer; it runs', { skip }, async () => {
  const dir = mavenApp('app', SERVER);
  const layout = join(work, 'out');
  const b = await runDistill(['build', dir, '--base-dir', bases, '-o', `oci:${layout}:test`, '--json'], { env: { SOURCE_DATE_EPOCH: '1700000000', XDG_CACHE_HOME: join(work, 'cache') } });
  assert.equal(b.code, 0, b.stderr);
  const out = JSON.parse(b.stdout);
  assert.deepEqual(out.layers.map((l: { name: string }) => l.name), ['dependencies', 'app']);
  assert.match(out.layers[0].holds, /1 library jar/);
  assert.equal(out.layers[0].files, 1);
  assert.ok(out.steps.some((s: string) => /mvn -B package/.test(s)), out.steps.join('; '));
  assert.ok(!existsSync(join(dir, 'target')), 'mvn wrote into APPDIR');

  const id = await pullLayout(`oci:${layout}:test`);
  images.push(id);
  const { cid, port } = await runHardened(id);
  containers.push(cid);
  const body = (await getJson(`http://127.0.0.1:${port}/`, Date.now() + 60_000)).body;
  assert.equal(body.service, 'mvn-deps');
  assert.equal(body.greeting, 'hello distill');
});

test('maven: a failing mvn package is exit 2 with its first error line and the log, no javac fallback', { skip }, async () => {
  const dir = mavenApp('broken', SERVER.replace('Greeter.hello("distill")', 'Greeter.goodbye("distill")'));
  const layout = join(work, 'out-broken');
  const b = await runDistill(['build', dir, '--base-dir', bases, '-o', `oci:${layout}:test`], { env: { XDG_CACHE_HOME: join(work, 'cache') } });
  assert.equal(b.code, 2, b.stderr);
  const line = b.stderr.trim().split('\n').pop()!;
  assert.match(line, /^distill: \S+pom\.xml: mvn package failed \(exit 1\): .*(cannot find symbol|Compilation failure)/);
  const log = /full output: (\S+\.log)\)$/.exec(line)?.[1];
  assert.ok(log && existsSync(log), line);
  assert.doesNotMatch(b.stderr, /javac instead/);
  assert.ok(!existsSync(layout) || readdirSync(layout).length === 0, 'an image was written');
});
