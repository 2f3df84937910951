/**
 * Java apps: a prebuilt jar (--artifact, target/*.jar, build/libs/*.jar), `mvn package` (pom.xml)
 * or `gradle build` (build.gradle, the wrapper first) with the user's settings and repositories,
 * or javac + jar of src/main/java (or *.java at the top) with a reproducible jar (--date, sorted
 * entries). A failed Maven or Gradle build is an error, never a javac fallback that would leave
 * the dependencies out. The runtime classpath (Maven's resolved dependency tree, compile and runtime
 * scopes, Gradle's runtimeClasspath through an init script, lib/*.jar) goes in its own layer under
 * /app/lib, apart from the app's jar, jib-style, and on the manifest Class-Path.
 * The java base's entrypoint is `java -jar`, so CMD is ["/app/app.jar"].
 */
import { copyFileSync, existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, relative } from 'node:path';
import { DistillError } from '../util/errors.ts';
import { reproducibleTime } from '../mutate/mutate.ts';
import { copySource, hasTool, ignoreMatcher, installLog, runTool, type BuildContext, type BuildPlan } from './common.ts';

function walk(dir: string, pred: (p: string) => boolean, out: string[] = []): string[] {
  if (!existsSync(dir)) return out;
  for (const n of readdirSync(dir).sort()) {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) walk(p, pred, out);
    else if (pred(p)) out.push(p);
  }
  return out;
}

/** The class with `static void main(String[])`, as a binary name (a.b.Main). */
export function findMainClass(root: string, files: string[]): string | undefined {
  const mains: string[] = [];
  for (const f of files) {
    const text = readFileSync(f, 'utf8');
    if (!/public\s+static\s+void\s+main\s*\(\s*(final\s+)?String/.test(text)) continue;
    const pkg = /^\s*package\s+([\w.]+)\s*;/m.exec(text)?.[1];
    const cls = relative(root, f).split('/').pop()!.replace(/\.java$/, '');
    mains.push(pkg ? `${pkg}.${cls}` : cls);
  }
  return mains.length === 1 ? mains[0] : mains.find((m) => /(^|\.)(Main|App|Application|Server)$/.test(m));
}

/** Which build tool a Java app uses: Maven for pom.xml, Gradle for build.gradle(.kts); undefined for neither. */
export function buildTool(appDir: string): 'maven' | 'gradle' | undefined {
  if (existsSync(join(appDir, 'pom.xml'))) return 'maven';
  if (existsSync(join(appDir, 'build.gradle')) || existsSync(join(appDir, 'build.gradle.kts'))) return 'gradle';
  return undefined;
}

/** Whether the build file declares dependencies (javac alone would leave them out). */
function declaresDependencies(appDir: string, tool: 'maven' | 'gradle'): boolean {
  if (tool === 'maven') return /<dependency>/.test(readFileSync(join(appDir, 'pom.xml'), 'utf8'));
  const file = ['build.gradle.kts', 'build.gradle'].map((f) => join(appDir, f)).find((f) => existsSync(f))!;
  return /^\s*(implementation|api|runtimeOnly|compileOnly|compile)\b/m.test(readFileSync(file, 'utf8'));
}

interface ToolBuild {
  jar: string;
  libs: string[];
  steps: string[];
}

/** The jar a build wrote (not sources/javadoc/plain, nor shade's original-*). */
function builtJar(dir: string, what: string): string {
  const jar = jarsIn(dir).find((j) => !/-(sources|javadoc|plain|tests)\.jar$/.test(j) && !/\/original-[^/]*$/.test(j));
  if (!jar) throw new DistillError(what, `the build wrote no jar into ${dir}`);
  return jar;
}

/** A Maven coordinate line of a resolved dependency tree: g:a:type[:classifier]:version:scope. */
interface MavenDep {
  group: string;
  artifact: string;
  type: string;
  classifier?: string;
  version: string;
  scope: string;
}

/**
 * The runtime classpath (compile and runtime scopes, jars) of the first project in `mvn -X`
 * output: Maven prints each project's resolved dependency tree after "Dependency collection
 * stats", which needs no plugin beyond those `package` runs (dependency:copy-dependencies would
 * need one more from the user's repositories).
 */
export function mavenRuntimeDeps(debugLog: string): { localRepo?: string; deps: MavenDep[] } {
  const localRepo = /^\[DEBUG\] Using local repository at (.+)$/m.exec(debugLog)?.[1]?.trim();
  const lines = debugLog.split(/\r?\n/);
  const deps: MavenDep[] = [];
  const at = lines.findIndex((l) => /^\[DEBUG\] Dependency collection stats/.test(l) && /^\[DEBUG\] [^\s:]+:[^\s:]+:[^\s:]+:/.test(lines[lines.indexOf(l) + 1] ?? ''));
  if (at < 0) return { ...(localRepo ? { localRepo } : {}), deps };
  for (const line of lines.slice(at + 2)) {
    const m = /^\[DEBUG\] {4,}(\S+)/.exec(line);
    if (!m) break;
    const parts = m[1]!.split(':');
    if (parts.length !== 5 && parts.length !== 6) continue;
    const [group, artifact, type] = parts as [string, string, string];
    const [classifier, version, scope] = parts.length === 6 ? (parts.slice(3) as [string, string, string]) : [undefined, parts[3]!, parts[4]!];
    if (type === 'jar' && (scope === 'compile' || scope === 'runtime')) deps.push({ group, artifact, type, ...(classifier ? { classifier } : {}), version, scope });
  }
  return { ...(localRepo ? { localRepo } : {}), deps };
}

/** Where a dependency's jar sits in a Maven local repository. */
export function mavenJarPath(repo: string, d: MavenDep): string {
  return join(repo, ...d.group.split('.'), d.artifact, d.version, `${d.artifact}-${d.version}${d.classifier ? `-${d.classifier}` : ''}.jar`);
}

/**
 * `mvn package`, the wrapper (mvnw) first, with the user's ~/.m2/settings.xml and
 * .mvn/maven.config as Maven reads them (`-o` with --offline); the runtime classpath read from
 * its debug output and taken from the local repository.
 */
async function buildWithMaven(ctx: BuildContext): Promise<ToolBuild> {
  const a = ctx.appDir;
  const pom = join(a, 'pom.xml');
  const mvn = existsSync(join(a, 'mvnw')) ? './mvnw' : hasTool('mvn') ? 'mvn' : undefined;
  if (!mvn) throw new DistillError(pom, 'mvn not found on PATH and no ./mvnw; install Maven or pass --artifact APP.jar');
  const src = copySource(a, join(ctx.work, 'src'), ignoreMatcher(a, ['target']));
  const args = ['-B', '-X', ...(ctx.deps?.offline ? ['-o'] : []), 'package', '-DskipTests', `-Dproject.build.outputTimestamp=${jarDate()}`];
  ctx.log(`${mvn} package`);
  const out = await runTool(mvn, args, { cwd: src, what: pom, logFile: installLog('mvn'), onLine: (l) => (l.startsWith('[DEBUG]') ? undefined : ctx.log(`mvn: ${l.slice(0, 100)}`)) });
  const { localRepo, deps } = mavenRuntimeDeps(out);
  const libs = deps.map((d) => mavenJarPath(localRepo ?? join(homedir(), '.m2', 'repository'), d));
  const missing = libs.find((l) => !existsSync(l));
  if (missing) throw new DistillError(pom, `the runtime classpath names ${missing}, which is not in the local repository`);
  return { jar: builtJar(join(src, 'target'), pom), libs, steps: [`${mvn} -B package -DskipTests (runtime classpath: ${libs.length} jar(s) from the resolved dependency tree)`] };
}

/** An init script giving every project a task that copies its runtime classpath out. */
const GRADLE_INIT = `allprojects {
  afterEvaluate { p ->
    if (p.configurations.findByName('runtimeClasspath') != null) {
      p.tasks.register('distillRuntimeClasspath', Copy) {
        from p.configurations.runtimeClasspath
        into p.layout.buildDirectory.dir('distill-runtime-classpath')
      }
    }
  }
}
`;

/** `gradle build` (./gradlew first) and the runtime classpath through an init script; `--offline` with --offline. */
async function buildWithGradle(ctx: BuildContext): Promise<ToolBuild> {
  const a = ctx.appDir;
  const file = existsSync(join(a, 'build.gradle.kts')) ? join(a, 'build.gradle.kts') : join(a, 'build.gradle');
  const gradle = existsSync(join(a, 'gradlew')) ? './gradlew' : hasTool('gradle') ? 'gradle' : undefined;
  if (!gradle) throw new DistillError(file, 'gradle not found on PATH and no ./gradlew; install Gradle or pass --artifact APP.jar');
  const src = copySource(a, join(ctx.work, 'src'), ignoreMatcher(a, ['build', '.gradle']));
  const init = join(ctx.work, 'distill-init.gradle');
  writeFileSync(init, GRADLE_INIT);
  const args = ['--no-daemon', '--console=plain', ...(ctx.deps?.offline ? ['--offline'] : []), '--init-script', init, 'build', 'distillRuntimeClasspath', '-x', 'test'];
  ctx.log(`${gradle} build`);
  await runTool(gradle, args, { cwd: src, what: file, logFile: installLog('gradle'), onLine: (l) => ctx.log(`gradle: ${l.slice(0, 100)}`) });
  const jar = builtJar(join(src, 'build', 'libs'), file);
  return { jar, libs: jarsIn(join(src, 'build', 'distill-runtime-classpath')).filter((l) => l !== jar), steps: [`${gradle} build -x test (runtime classpath via an init script)`] };
}

/** The attributes of a jar's META-INF/MANIFEST.MF (continuation lines joined). */
async function manifestOf(ctx: BuildContext, jar: string): Promise<Record<string, string>> {
  const out = await runTool('unzip', ['-p', jar, 'META-INF/MANIFEST.MF'], { cwd: ctx.work, what: jar }).catch(() => '');
  const attrs: Record<string, string> = {};
  for (const line of out.replace(/\r?\n /g, '').split(/\r?\n/)) {
    const i = line.indexOf(': ');
    if (i > 0) attrs[line.slice(0, i)] = line.slice(i + 2);
  }
  return attrs;
}

/**
 * A copy of the built jar whose manifest runs with `java -jar`: Main-Class (found in the sources
 * when the build set none) and Class-Path naming lib/*.jar, where the dependency layer puts them.
 */
async function fitManifest(ctx: BuildContext, jar: string, libs: string[], sources: string[]): Promise<string> {
  const attrs = await manifestOf(ctx, jar);
  const classPath = libs.map((l) => `lib/${l.split('/').pop()}`).join(' ');
  const main = attrs['Main-Class'] ?? findMainClass(existsSync(join(ctx.appDir, 'src', 'main', 'java')) ? join(ctx.appDir, 'src', 'main', 'java') : ctx.appDir, sources);
  if (!main) throw new DistillError(jar, 'the jar has no Main-Class and no class with public static void main(String[]) was found; pass --artifact APP.jar');
  if (attrs['Main-Class'] && (attrs['Class-Path'] ?? '') === classPath) return jar;
  const out = join(ctx.work, 'app.jar');
  copyFileSync(jar, out);
  const mf = join(ctx.work, 'MANIFEST.add');
  writeFileSync(mf, `Main-Class: ${main}\n${classPath ? `Class-Path: ${classPath}\n` : ''}`);
  await runTool('jar', ['--update', `--date=${jarDate()}`, '--file', out, '--manifest', mf], { cwd: ctx.work, what: jar });
  return out;
}

/** The jar entry time: SOURCE_DATE_EPOCH, not before the zip epoch. */
function jarDate(): string {
  return new Date(Math.max(reproducibleTime().getTime(), Date.UTC(1980, 0, 1, 0, 0, 2))).toISOString().replace(/\.\d+Z$/, 'Z');
}

const jarsIn = (dir: string) => (existsSync(dir) ? readdirSync(dir).filter((n) => n.endsWith('.jar')).sort().map((n) => join(dir, n)) : []);

/** Plans a Java build. */
export async function planJava(ctx: BuildContext): Promise<BuildPlan> {
  const plan: BuildPlan = {
    runtime: 'java',
    flavour: 'java',
    layers: [],
    cmd: [ctx.artefact ?? '/app/app.jar'],
    entrypoint: ['java', '-jar'],
    interpreter: /(^|\/)java$/,
    steps: [],
    warnings: [],
  };
  const a = ctx.appDir;
  let libs = [...jarsIn(join(a, 'lib')), ...jarsIn(join(a, 'target', 'dependency'))];
  let jar: string | undefined;
  if (ctx.artifact) {
    jar = ctx.artifact;
    plan.steps.push(`prebuilt jar ${jar}`);
  } else {
    const built = [...jarsIn(join(a, 'target')), ...jarsIn(join(a, 'build', 'libs'))].filter((j) => !/-(sources|javadoc|plain)\.jar$/.test(j));
    const topJars = jarsIn(a);
    const sources = existsSync(join(a, 'src', 'main', 'java')) ? walk(join(a, 'src', 'main', 'java'), (p) => p.endsWith('.java')) : walk(a, (p) => p.endsWith('.java') && !p.includes('/lib/'));
    const tool = buildTool(a);
    const runnable = tool === 'maven' ? existsSync(join(a, 'mvnw')) || hasTool('mvn') : tool === 'gradle' ? existsSync(join(a, 'gradlew')) || hasTool('gradle') : false;
    // Sources with a build file that declares dependencies are built by its tool (an error says so when it is
    // missing); without declared dependencies javac compiles the same classes; a jar alone is taken as it is.
    if (tool && (runnable || (sources.length && declaresDependencies(a, tool)))) {
      const r = await (tool === 'maven' ? buildWithMaven : buildWithGradle)(ctx);
      jar = r.jar;
      libs = [...libs, ...r.libs];
      plan.steps.push(...r.steps);
      jar = await fitManifest(ctx, jar, libs, sources);
    } else if (built.length === 1 && !sources.length) {
      jar = built[0];
      plan.steps.push(`prebuilt jar ${jar}`);
    } else if (topJars.length === 1 && !sources.length) {
      jar = topJars[0];
      plan.steps.push(`prebuilt jar ${jar}`);
    }
    if (!jar) {
      if (!sources.length) throw new DistillError(a, 'no jar and no Java sources; pass --artifact APP.jar');
      if (!hasTool('javac') || !hasTool('jar')) throw new DistillError(a, 'javac/jar not found on PATH; install a JDK (e.g. openjdk-17-jdk-headless) or pass --artifact APP.jar');
      const srcRoot = existsSync(join(a, 'src', 'main', 'java')) ? join(a, 'src', 'main', 'java') : a;
      const main = findMainClass(srcRoot, sources);
      if (!main) throw new DistillError(a, 'no class with public static void main(String[]); pass --artifact APP.jar');
      const classes = join(ctx.work, 'classes');
      const cp = libs.join(':');
      ctx.log('javac');
      await runTool('javac', ['--release', '17', '-nowarn', '-encoding', 'UTF-8', '-d', classes, ...(cp ? ['-cp', cp] : []), ...sources], { cwd: a, what: a });
      const resources = join(a, 'src', 'main', 'resources');
      const manifest = join(ctx.work, 'MANIFEST.MF');
      const classPath = libs.map((l) => `lib/${l.split('/').pop()}`).join(' ');
      writeFileSync(manifest, `Manifest-Version: 1.0\nMain-Class: ${main}\nCreated-By: distill\n${classPath ? `Class-Path: ${classPath}\n` : ''}`);
      jar = join(ctx.work, 'app.jar');
      const entries = (root: string) => walk(root, () => true).flatMap((f) => ['-C', root, relative(root, f)]);
      const date = jarDate();
      await runTool('jar', ['--create', `--date=${date}`, '--file', jar, '--manifest', manifest, ...entries(classes), ...(existsSync(resources) ? entries(resources) : [])], { cwd: a, what: a });
      plan.steps.push(`javac --release 17 (${sources.length} files) && jar --create --date=${date} (Main-Class ${main})`);
    }
  }
  if (!jar || !existsSync(jar)) throw new DistillError(a, 'the build produced no jar');
  // Library jars sit in lib/ beside the app jar: its manifest Class-Path names them relative to it.
  const dest = ctx.artefact ?? '/app/app.jar';
  const libDir = `${dest.slice(0, dest.lastIndexOf('/'))}/lib`;
  if (libs.length) plan.layers.push({ name: 'dependencies', holds: `${libs.length} library jar(s) in ${libDir}`, sources: libs.map((l) => ({ src: l, dest: `${libDir}/${l.split('/').pop()}` })) });
  plan.layers.push({ name: 'app', holds: `application jar ${dest}`, sources: [{ src: jar, dest }] });
  return plan;
}
