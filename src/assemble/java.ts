/**
 * Java apps: a prebuilt jar (--artifact, target/*.jar, build/libs/*.jar), `mvn package` or
 * gradle when their wrappers/tools are there, or javac + jar of src/main/java (or *.java at the
 * top) with a reproducible jar (--date, sorted entries). Library jars (lib/*.jar,
 * target/dependency) go in their own layer under /app/lib and on the manifest Class-Path.
 * The java base's entrypoint is `java -jar`, so CMD is ["/app/app.jar"].
 */
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { DistillError } from '../util/errors.ts';
import { reproducibleTime } from '../mutate/mutate.ts';
import { copySource, hasTool, ignoreMatcher, runTool, type BuildContext, type BuildPlan } from './common.ts';

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
    if (existsSync(join(a, 'pom.xml')) && hasTool('mvn') && !process.env.DISTILL_JAVA_NO_MAVEN) {
      const src = copySource(a, join(ctx.work, 'src'), ignoreMatcher(a, ['target']));
      ctx.log('mvn package');
      try {
        await runTool('mvn', ['-B', '-q', 'package', '-DskipTests', `-Dproject.build.outputTimestamp=${reproducibleTime().toISOString()}`], { cwd: src, what: join(a, 'pom.xml') });
        jar = jarsIn(join(src, 'target')).find((j) => !/-(sources|javadoc)\.jar$/.test(j));
        libs = [...libs, ...jarsIn(join(src, 'target', 'dependency'))];
        plan.steps.push('mvn -B package -DskipTests');
      } catch (e) {
        if (!sources.length || !hasTool('javac')) throw e;
        plan.warnings.push(`mvn package failed (${(e as Error).message.split('\n')[0]}); compiled with javac instead — dependencies in pom.xml are not fetched`);
      }
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
      const date = new Date(Math.max(reproducibleTime().getTime(), Date.UTC(1980, 0, 1, 0, 0, 2))).toISOString().replace(/\.\d+Z$/, 'Z');
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
