/**
 * The one Dockerfile model that lint, convert, the run plan and harden work on: stages with their
 * resolved base reference and what each inherits from the stage it is built FROM, and
 * instructions with their exact source text, 1-based line numbers, flags, exec/shell form,
 * heredoc bodies, `--mount` options, the ARG/ENV/WORKDIR state they run in, and the
 * `# distill-ignore` rules that apply to them.
 */
import type { ImageRef } from './bases.ts';

export interface Flag {
  /** Without leading dashes: `from`, `chown`, `mount`, `platform`. */
  name: string;
  value: string | null;
}

/** One `--mount=type=…,target=…` of a RUN, split into its key=value options. */
export interface Mount {
  type: string;
  options: Record<string, string>;
}

export interface Heredoc {
  name: string;
  body: string;
}

export interface Instruction {
  /** Upper-case keyword: RUN, COPY, FROM… */
  keyword: string;
  /** 1-based first and last line (continuations and heredoc bodies included). */
  line: number;
  endLine: number;
  /** The arguments after the flags, line continuations joined into one line. */
  args: string;
  flags: Flag[];
  /** 'exec' for a JSON array, 'shell' otherwise (meaningful for RUN/CMD/ENTRYPOINT/SHELL/HEALTHCHECK). */
  form: 'exec' | 'shell';
  /** The argv when in exec form. */
  exec: string[] | null;
  /** Set when the arguments start with `[` but are not a JSON array of strings (Docker then runs them as a shell command). */
  malformedExec?: true;
  heredocs: Heredoc[];
  mounts: Mount[];
  /** Index of the stage the instruction belongs to; -1 for ARGs before the first FROM. */
  stage: number;
  /** Rule ids silenced by a `# distill-ignore` comment on the line above. */
  ignore: string[];
  /** The instruction's source lines exactly as written (continuations and heredocs included). */
  raw: string;
  /** ARG and ENV values in effect when the instruction runs (ENV wins over ARG, as in Docker). */
  vars: Record<string, string>;
  /** WORKDIR in effect when the instruction runs. */
  workdir: string;
}

/**
 * The image config a stage ends with, inherited along its FROM chain as Docker does it: a stage
 * FROM another stage starts with that stage's config; ENTRYPOINT set in a stage clears an
 * inherited CMD. Instructions point into whichever stage set them.
 */
export interface StageConfig {
  entrypoint: Instruction | null;
  cmd: Instruction | null;
  healthcheck: Instruction | null;
  /** The USER value as written (variables substituted), or null when no stage in the chain sets one. */
  user: string | null;
  workdir: string;
  /** ENV only: ARGs do not survive their stage. */
  env: Record<string, string>;
  /** EXPOSE words (`8080`, `8080/tcp`), in order, without duplicates. */
  expose: string[];
  labels: Instruction[];
  stopsignal: Instruction | null;
  volumes: Instruction[];
  /** ONBUILD triggers the stage registers for images built FROM it (never its own). */
  onbuild: Instruction[];
}

export interface Stage {
  index: number;
  /** The FROM instruction. */
  from: Instruction;
  /** The image as written and after global-ARG substitution. */
  image: string;
  resolvedImage: string;
  ref: ImageRef;
  alias: string | null;
  platform: string | null;
  /** Index of the earlier stage this one is built FROM, when the image names a stage alias. */
  parentStage: number | null;
  /** Instructions after FROM, up to the next FROM. */
  instructions: Instruction[];
  /** The stage this one is built FROM (`parentStage` as an object). */
  parent: Stage | null;
  /** The external image at the root of the FROM chain, ARGs substituted. */
  baseImage: string;
  /** ARG and ENV values, and WORKDIR, at the end of the stage. */
  endVars: Record<string, string>;
  endWorkdir: string;
  /** The config the stage's image ends with, inheritance resolved. */
  config: StageConfig;
}

export interface DockerfileModel {
  /** The escape character (`\` or a backtick from `# escape=`). */
  escape: string;
  /** ARGs declared before the first FROM with their defaults (undefined when none). */
  globalArgs: Record<string, string | undefined>;
  stages: Stage[];
  /** Every instruction in file order, global ARGs included. */
  instructions: Instruction[];
  /** Rule ids silenced for the whole file by `# distill-ignore` comments before the first instruction. */
  fileIgnore: string[];
  /** The input text and its lines (LF-split), for line-preserving edits. */
  text: string;
  lines: string[];
}
