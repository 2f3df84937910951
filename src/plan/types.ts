/** Shared types of the converter: options, result, the analysis of the app stage, and a strategy's plan. */
import type { BuildContext } from './context.ts';
import type { Instruction, DockerfileModel, Stage } from '../dockerfile/model.ts';
import type { SimpleCommand } from '../dockerfile/shell.ts';
import type { Flavour, Provider } from './providers.ts';

export type Language = 'node' | 'python' | 'go' | 'java' | 'rust' | 'dotnet' | 'cpp';
export const LANGUAGES: Language[] = ['node', 'python', 'go', 'java', 'rust', 'dotnet', 'cpp'];

/** A command line as the container would run it. */
export interface Command {
  argv: string[];
  /** How many leading argv entries came from ENTRYPOINT. */
  entryLen: number;
  /** Problems that stop an exact exec-form translation. */
  problems: string[];
  /** The ENTRYPOINT shell script wrapping the command, when there is one: what it does is unknown. */
  wrapperScript: string | null;
  /** The shell text runs several commands (`a && b`, `a; b`, pipes): argv holds only the first. */
  several: boolean;
  /** Notes about what was simplified (wrappers dropped, variables substituted). */
  notes: string[];
}

/** How the final image starts its process. */
export type RunSpec =
  | { kind: 'interp'; args: string[] }
  | { kind: 'exec'; entrypoint: string[]; cmd: string[] }
  | { kind: 'dotnet'; dll: string; args?: string[] };

export interface ConvertOptions {
  provider?: Provider;
  debug?: boolean;
  /** Lock: image reference (name:tag) -> digest (sha256:…). */
  pin?: Record<string, string>;
  /** The build context: a directory, file names, or file names with their text. */
  context?: string | string[] | Record<string, string> | BuildContext;
  /** Name local bases PREFIX/<flavour>:nonroot instead of the provider's images. */
  basePrefix?: string;
  /** Rust: add a cargo-chef planner/cacher so dependencies build in their own layer. */
  cargoChef?: boolean;
  /** Builder-stage base swaps, original FROM image (as written or resolved) -> replacement (e.g. a local mirror). */
  builderImages?: Record<string, string>;
}

/** One explained change; `line` is 1-based in the input when the change comes from a line. */
export interface Change {
  line?: number;
  kind: string;
  reason: string;
}

/**
 * Why a plan was refused, stable for CI and tests: the runtime has no distroless base, the
 * language is unknown or ambiguous, the command would not start the same program (an ENTRYPOINT
 * script, shell syntax, a launcher that cannot be mapped), the image is a whole root filesystem,
 * a COPY --from names a path its stage never produced, the artefacts link musl and no glibc base
 * can run them, the provider has no base for the flavour, or (convert --verify) the output did
 * not build or start.
 */
export type RefusalClass = 'unsupported-runtime' | 'unknown-language' | 'multi-language' | 'entrypoint-script' | 'needs-shell' | 'unmapped-command' | 'rootfs-copy' | 'missing-source' | 'musl' | 'no-base' | 'verify-failed';

export interface ConvertResult {
  /** The converted Dockerfile; the input unchanged when `converted` is false. */
  dockerfile: string;
  converted: boolean;
  /** converted: output written, nothing to check; review: written, with warnings a person must check; refused: nothing converted. */
  status: 'converted' | 'review' | 'refused';
  /** Why nothing was converted (status refused). */
  refusal?: string;
  /** The kind of refusal (status refused). */
  refusalClass?: RefusalClass;
  changes: Change[];
  /** What could not be converted safely, and why; the user must review these. */
  warnings: string[];
  language: Language | 'unknown';
  buildTool: string;
  /** The final stage's base image reference, or null when not converted. */
  base: string | null;
}

export interface RunInfo {
  instr: Instruction;
  cmds: SimpleCommand[];
  /** build = produces artefacts; drop = no effect in distroless (users, certs); runtime = installs OS packages the app needs. */
  kind: 'build' | 'drop' | 'runtime';
  /** OS packages the app needs at run time that the base lacks. */
  runtimePackages: string[];
  reason: string;
}

export interface Analysis {
  file: DockerfileModel;
  ctx: BuildContext;
  opts: ConvertOptions;
  final: Stage;
  /** WORKDIR at the end of the final stage. */
  workdir: string;
  /** ENV/ARG values at the end of the final stage. */
  vars: Record<string, string>;
  runs: RunInfo[];
  command: Command | null;
  /** Every shell command of every stage, with its stage and instruction. */
  commands: { stage: Stage; instr: Instruction; cmd: SimpleCommand }[];
  /** Whether the final stage is already on a distroless base. */
  finalIsDistroless: boolean;
}

/** A line-level edit of the input text. */
export type Edit =
  | { kind: 'replace'; instr: Instruction; text: string }
  | { kind: 'delete'; instr: Instruction }
  | { kind: 'insertAfter'; instr: Instruction; text: string }
  | { kind: 'insertBefore'; instr: Instruction; text: string };

export interface Plan {
  buildTool: string;
  flavour: Flavour;
  /** Runtime version wanted (node major, java major, python x.y, .NET x.y). */
  version?: string;
  /** Steps appended to the builder stage. */
  builderSteps: { text: string; reason: string }[];
  /** Artefacts copied from the builder stage (build mode only). */
  copies: { src: string; dst: string; reason: string; from?: string }[];
  env: { key: string; value: string; reason: string }[];
  run: RunSpec | null;
  edits: Edit[];
  /** FROM images to replace (builder stages), applied together with renames and pins. */
  imageSwaps: { instr: Instruction; image: string }[];
  warnings: string[];
  changes: Change[];
  /** Stages inserted before the builder stage (cargo-chef); the builder's FROM becomes `builderFrom`. */
  preStages?: string;
  builderFrom?: string;
  /** WORKDIR of the runtime stage, when it must differ from the app stage's. */
  workdir?: string;
  /** Why `run` is null, when the strategy knows the kind (a script that needs a shell). */
  runProblem?: { cls: RefusalClass; reason: string };
  /** Set when the strategy finds the artefacts cannot run on any base it could pick (musl binaries). */
  refusal?: { cls: RefusalClass; reason: string };
}

export interface Strategy {
  language: Language;
  plan(a: Analysis, mode: 'build' | 'rebase'): Plan;
}

/** An empty plan to fill in. */
export function emptyPlan(buildTool: string, flavour: Flavour): Plan {
  return { buildTool, flavour, builderSteps: [], copies: [], env: [], run: null, edits: [], imageSwaps: [], warnings: [], changes: [] };
}
