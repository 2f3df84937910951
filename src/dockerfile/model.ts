/**
 * The parsed shape of a Dockerfile that lint (and convert) work on: stages with their resolved
 * base reference, and instructions with 1-based line numbers, flags, exec/shell form, heredoc
 * bodies, `--mount` options and the `# distill-ignore` rules that apply to them.
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
  heredocs: Heredoc[];
  mounts: Mount[];
  /** Index of the stage the instruction belongs to; -1 for ARGs before the first FROM. */
  stage: number;
  /** Rule ids silenced by a `# distill-ignore` comment on the line above. */
  ignore: string[];
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
}
