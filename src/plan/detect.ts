/**
 * Reading the Dockerfile for facts: which language the final image runs, what each RUN of the
 * final stage does (builds, installs runtime packages, or only things distroless already has),
 * and the command line the container starts with.
 */
import type { BuildContext } from './context.ts';
import { runCommands } from '../dockerfile/parse.ts';
import type { DockerfileModel, Stage } from '../dockerfile/model.ts';
import { splitImage } from '../oci/docker-ref.ts';
import type { SimpleCommand } from '../dockerfile/shell.ts';
import { flavourOfRef, isDistrolessRef } from './providers.ts';
import type { Command, Language, RunInfo } from './types.ts';
import { commandLanguage } from './command.ts';

const IMAGE_SIGNALS: [RegExp, Language][] = [
  [/(^|\/)(node|nodejs\d*(-debian\d+)?)$/, 'node'],
  [/(^|\/)(python\d?(-debian\d+)?|pypy)$/, 'python'],
  [/(^|\/)golang$/, 'go'],
  [/(^|\/)(maven|gradle|openjdk|eclipse-temurin|amazoncorretto|ibm-semeru-runtimes|sapmachine|java\d+(-debian\d+)?|jre|jdk)$/, 'java'],
  [/(^|\/)rust$/, 'rust'],
  [/dotnet\/(sdk|aspnet|runtime|runtime-deps)$|(^|\/)(dotnet-runtime|aspnet-runtime|dotnet-sdk)$/, 'dotnet'],
  [/(^|\/)(gcc|clang)$/, 'cpp'],
];

const FILE_SIGNALS: [RegExp, Language][] = [
  [/^package\.json$/, 'node'],
  [/^(requirements.*\.txt|pyproject\.toml|Pipfile|poetry\.lock|uv\.lock|setup\.py)$/, 'python'],
  [/^go\.mod$/, 'go'],
  [/^(pom\.xml|build\.gradle(\.kts)?|settings\.gradle(\.kts)?)$/, 'java'],
  [/^Cargo\.toml$/, 'rust'],
  [/\.(csproj|fsproj|sln)$/, 'dotnet'],
  [/^(CMakeLists\.txt|Makefile|.*\.(c|cc|cpp|cxx))$/, 'cpp'],
];

/** Runtimes distill has no distroless base for, by official image name and by launcher command. */
const UNSUPPORTED_IMAGES: [RegExp, string][] = [
  [/(^|\/)(ruby|jruby)$/, 'Ruby'], [/(^|\/)(php|wordpress|drupal|composer)$/, 'PHP'], [/(^|\/)perl$/, 'Perl'],
  [/(^|\/)(elixir|erlang)$/, 'Erlang/Elixir'], [/(^|\/)(swift)$/, 'Swift'], [/(^|\/)(r-base|rocker\/[\w-]+)$/, 'R'], [/(^|\/)(haskell)$/, 'Haskell'],
];
const UNSUPPORTED_COMMANDS: Record<string, string> = {
  ruby: 'Ruby', bundle: 'Ruby', rails: 'Ruby', puma: 'Ruby', unicorn: 'Ruby', rackup: 'Ruby',
  php: 'PHP', 'php-fpm': 'PHP', 'apache2-foreground': 'PHP', perl: 'Perl', elixir: 'Erlang/Elixir', mix: 'Erlang/Elixir', iex: 'Erlang/Elixir', erl: 'Erlang/Elixir',
};

/**
 * A runtime the final stage runs that distill has no distroless base for (its image, or the
 * command it starts), or null. Converting it onto another language's base would be a false claim.
 */
export function unsupportedRuntime(baseImage: string, argv: string[] | undefined): string | null {
  const name = splitImage(baseImage).name;
  for (const [re, what] of UNSUPPORTED_IMAGES) if (re.test(name)) return what;
  const a0 = (argv?.[0] ?? '').split('/').pop() ?? '';
  return UNSUPPORTED_COMMANDS[a0] ?? null;
}

/** The language of one image reference, or null. */
export function imageLanguage(ref: string): Language | null {
  const { name } = splitImage(ref);
  // Distroless bases say only what runtime they carry (runtime-deps is .NET's name for plain glibc).
  if (isDistrolessRef(ref) && !['nodejs', 'python3', 'java', 'dotnet', 'aspnet'].includes(flavourOfRef(ref) ?? '')) return null;
  for (const [re, lang] of IMAGE_SIGNALS) if (re.test(name)) return lang;
  const fl = flavourOfRef(ref);
  if (fl === 'nodejs') return 'node';
  if (fl === 'python3') return 'python';
  if (fl === 'java') return 'java';
  if (fl === 'dotnet' || fl === 'aspnet') return 'dotnet';
  return null;
}

/**
 * Scores each language: the final stage's base and commands weigh most (that is what runs),
 * then other stages, then context files. Returns the ranking, best first.
 */
export function scoreLanguages(file: DockerfileModel, ctx: BuildContext, command: Command | null): { lang: Language; score: number }[] {
  const score = new Map<Language, number>();
  const add = (l: Language | null, n: number) => {
    if (l) score.set(l, (score.get(l) ?? 0) + n);
  };
  const last = file.stages[file.stages.length - 1];
  for (const st of file.stages) {
    const w = st === last ? 3 : 2;
    add(imageLanguage(st.baseImage), w * 2);
    for (const ins of st.instructions) {
      if (ins.keyword !== 'RUN') continue;
      for (const c of runCommands(ins)) {
        const l = commandLanguage(c.argv);
        // `make`/`cc` are generic; count only when nothing else names the language.
        add(l, w);
        if (c.argv[0] === 'apt-get' || c.argv[0] === 'apk' || c.argv[0] === 'apt') {
          for (const p of c.argv) {
            if (/^python3?(-pip|-venv)?$/.test(p)) add('python', 1);
            if (/^nodejs$|^npm$/.test(p)) add('node', 1);
            if (/^openjdk-|^default-jdk|^maven$/.test(p)) add('java', 1);
            if (/^golang/.test(p)) add('go', 1);
            if (/^(build-essential|g\+\+|gcc|cmake)$/.test(p)) add('cpp', 1);
          }
        }
      }
    }
  }
  if (command) {
    add(commandLanguage(command.argv), 4);
    if (/\.dll$/.test(command.argv[1] ?? '') || command.argv[0] === 'dotnet') add('dotnet', 4);
    if (/\.jar$/.test(command.argv.join(' '))) add('java', 4);
    if (/\.(js|mjs|cjs)$/.test(command.argv[0] ?? '')) add('node', 2);
    if (/\.py$/.test(command.argv[0] ?? '')) add('python', 2);
  }
  for (const f of ctx.files()) {
    if (f.includes('/')) continue;
    for (const [re, l] of FILE_SIGNALS) if (re.test(f)) add(l, 1);
  }
  // cpp's signals (make, gcc) also appear in other ecosystems' builds; discount them there.
  const cpp = score.get('cpp');
  if (cpp && [...score.entries()].some(([l, s]) => l !== 'cpp' && s >= cpp)) score.set('cpp', cpp / 2);
  return [...score.entries()].map(([lang, s]) => ({ lang, score: s })).sort((a, b) => b.score - a.score);
}

const PROVIDED_PACKAGES = new Set(['ca-certificates', 'tzdata', 'libstdc++', 'libstdc++6', 'libgcc', 'libgcc-s1', 'tini', 'dumb-init', 'curl', 'wget', 'bash', 'openssl', 'gnupg', 'procps', 'netbase', 'libc6', 'musl', 'libssl3', 'openssl-libs', 'shadow', 'passwd']);
const TOOLING = /^(build-essential|build-base|gcc|g\+\+|make|cmake|clang|git|pkg-config|pkgconf|autoconf|automake|libtool|musl-dev|libc6-dev|libc-dev|linux-headers|python3?(\.\d+)?(-dev|-pip|-venv|-setuptools|-wheel)?|py3-pip|nodejs(-current)?|npm|yarn|openjdk-?\d*(-jdk|-jre)?(-headless)?|default-jdk|default-jre|maven|gradle|golang(-go)?|go|rust|cargo|dotnet-sdk-[\d.]+|unzip|zip|xz-utils|gzip|tar|binutils|file|patch|sudo|vim|nano|less|software-properties-common|apt-transport-https|lsb-release|gosu)$/;

function packageArgs(argv: string[]): string[] | null {
  const tool = argv[0] ?? '';
  const sub = argv.findIndex((a) => a === 'install' || a === 'add');
  if (!['apt-get', 'apt', 'apk', 'yum', 'dnf', 'microdnf'].includes(tool) || sub < 0) return null;
  return argv.slice(sub + 1).filter((a) => !a.startsWith('-') && !/^[A-Z_]+=/.test(a)).map((p) => p.replace(/[=<>].*$/, ''));
}

/** Classifies each RUN of the final stage for the conversion decision. */
export function classifyRuns(stage: Stage): RunInfo[] {
  const out: RunInfo[] = [];
  for (const instr of stage.instructions) {
    if (instr.keyword !== 'RUN') continue;
    const cmds = runCommands(instr);
    let build = false;
    const runtimePackages: string[] = [];
    const dropped: string[] = [];
    for (const c of cmds) {
      const a0 = c.argv[0] ?? '';
      const pk = packageArgs(c.argv);
      if (pk) {
        for (const p of pk) {
          if (PROVIDED_PACKAGES.has(p)) dropped.push(p);
          else if (TOOLING.test(p)) build = true;
          else runtimePackages.push(p);
        }
        continue;
      }
      if (['apt-get', 'apt', 'apk', 'yum', 'dnf', 'microdnf', 'rm', 'echo', 'true', 'printf', 'useradd', 'adduser', 'addgroup', 'groupadd', 'usermod', 'update-ca-certificates', 'ln', 'chmod', 'chown', 'mkdir', 'touch', 'cd'].includes(a0)) continue;
      build = true;
    }
    const kind: RunInfo['kind'] = build ? 'build' : runtimePackages.length ? 'runtime' : 'drop';
    const reason = kind === 'drop' ? dropReason(cmds, dropped) : kind === 'runtime' ? `installs OS packages the distroless base does not have: ${runtimePackages.join(', ')}` : 'build step';
    out.push({ instr, cmds, kind, runtimePackages, reason });
  }
  return out;
}

function dropReason(cmds: SimpleCommand[], dropped: string[]): string {
  const what: string[] = [];
  if (cmds.some((c) => /^(useradd|adduser|addgroup|groupadd|usermod)$/.test(c.argv[0] ?? ''))) what.push('creates a user (the runtime uses the numeric 65532, which needs no passwd entry)');
  if (dropped.length) what.push(`installs ${dropped.join(', ')} (CA certificates and tzdata are in the distroless base; shells, curl and init wrappers are deliberately absent)`);
  if (cmds.some((c) => /^(mkdir|chmod|chown|ln|touch)$/.test(c.argv[0] ?? ''))) what.push('prepares directories (distroless has no shell to run it; mount volumes for writable paths)');
  return what.length ? what.join('; ') : 'has no effect on the runtime image';
}
