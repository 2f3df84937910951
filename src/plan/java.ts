/**
 * Java: Maven, Gradle, or a prebuilt fat jar. The jar is copied alone; the google java image's
 * ENTRYPOINT is `java -jar`, so CMD names only the jar unless JVM options force our own ENTRYPOINT.
 */
import { joinPath } from '../dockerfile/parse.ts';
import { findCommands, versionFromImages } from './common.ts';
import { emptyPlan, type Analysis, type Plan, type Strategy } from './types.ts';

function tool(a: Analysis): string {
  if (findCommands(a, (v) => /(^|\/)(mvn|mvnw)$/.test(v[0] ?? '')).length || a.ctx.has('pom.xml')) return 'maven';
  if (findCommands(a, (v) => /(^|\/)(gradle|gradlew)$/.test(v[0] ?? '')).length || a.ctx.has('build.gradle') || a.ctx.has('build.gradle.kts')) return 'gradle';
  return 'jar';
}

/** target/<artifactId>-<version>.jar from pom.xml (finalName wins), ignoring the parent's ids. */
function mavenJar(pom: string | undefined): string | undefined {
  if (!pom) return undefined;
  const own = pom.replace(/<parent>[\s\S]*?<\/parent>/, '').replace(/<dependencies>[\s\S]*?<\/dependencies>/g, '').replace(/<build>[\s\S]*?<\/build>/, (b) => b.replace(/<plugins>[\s\S]*?<\/plugins>/, ''));
  const fin = /<finalName>([^<$]+)<\/finalName>/.exec(own)?.[1];
  if (fin) return `target/${fin}.jar`;
  const id = /<artifactId>([^<]+)<\/artifactId>/.exec(own)?.[1];
  const ver = /<version>([^<$]+)<\/version>/.exec(own)?.[1];
  return id && ver ? `target/${id}-${ver}.jar` : undefined;
}

/** build/libs/<rootProject.name>-<version>.jar from settings.gradle(.kts) and build.gradle(.kts). */
function gradleJar(a: Analysis): string | undefined {
  const settings = a.ctx.read('settings.gradle') ?? a.ctx.read('settings.gradle.kts') ?? '';
  const build = a.ctx.read('build.gradle') ?? a.ctx.read('build.gradle.kts') ?? '';
  const name = /rootProject\.name\s*=\s*['"]([^'"]+)['"]/.exec(settings)?.[1];
  const version = /^\s*version\s*=\s*['"]([^'"]+)['"]/m.exec(build)?.[1];
  if (!name) return undefined;
  return `build/libs/${name}${version ? `-${version}` : ''}.jar`;
}

export const javaStrategy: Strategy = {
  language: 'java',
  plan(a: Analysis, mode): Plan {
    const t = tool(a);
    const plan = emptyPlan(t, 'java');
    plan.version = versionFromImages(a, /(^|\/)(maven|gradle|openjdk|eclipse-temurin|amazoncorretto|sapmachine|ibm-semeru-runtimes)$/, /(?:^|jdk-?|jre-?|temurin-|corretto-|openjdk-?|java-?)(\d{2})(?:\b|[.-])/);
    const argv = a.command?.argv ?? [];
    const isJava = /(^|\/)java$/.test(argv[0] ?? '');
    if (!isJava) {
      plan.warnings.push(a.command ? `\`${argv.join(' ')}\` is not a java command we can map to the java runtime` : 'no CMD or ENTRYPOINT naming the jar');
      return plan;
    }
    const args = argv.slice(1);
    if (mode === 'rebase') {
      plan.run = { kind: 'interp', args };
      return plan;
    }
    const jarIdx = args.indexOf('-jar');
    if (jarIdx >= 0 && args[jarIdx + 1]) {
      const jar = args[jarIdx + 1]!;
      let src = joinPath(a.workdir, jar);
      if (/[*?]/.test(jar)) {
        const known = t === 'maven' ? mavenJar(a.ctx.read('pom.xml')) : t === 'gradle' ? gradleJar(a) : undefined;
        if (known) src = joinPath(a.workdir, known);
      }
      const dst = joinPath(a.workdir, 'app.jar');
      plan.copies.push({ src, dst, reason: /[*?]/.test(src) ? 'the application jar (the wildcard must match exactly one jar, or COPY fails)' : 'only the application jar' });
      const newArgs = [...args];
      newArgs[jarIdx + 1] = dst;
      plan.run = { kind: 'interp', args: newArgs };
    } else {
      plan.copies.push({ src: a.workdir, dst: a.workdir, reason: 'the class path directory' });
      plan.run = { kind: 'interp', args };
    }
    return plan;
  },
};
