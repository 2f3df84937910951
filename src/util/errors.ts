/**
 * One error type for everything a user can cause: bad input, bad flags, broken images.
 * The CLI prints it as `distill: <input>: <message>` on one line and exits with `exitCode`.
 */
export class DistillError extends Error {
  constructor(
    /** What the user gave us that is wrong: a path, an image reference, a flag, a blob digest. */
    readonly input: string,
    message: string,
    /** 2 = usage or input error (the default), 1 = findings over a threshold. */
    readonly exitCode: number = 2,
  ) {
    super(message);
    this.name = 'DistillError';
  }

  /** The one-line form the CLI prints. */
  oneLine(): string {
    return `distill: ${this.input}: ${this.message.replace(/\s*\n\s*/g, ' ')}`;
  }
}

/** Wraps any thrown value as a DistillError naming `input`, keeping DistillErrors as they are. */
export function asDistillError(err: unknown, input: string): DistillError {
  if (err instanceof DistillError) return err;
  const msg = err instanceof Error ? err.message : String(err);
  return new DistillError(input, msg);
}
