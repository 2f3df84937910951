/**
 * One error type for everything a user can cause: bad input, bad flags, broken images.
 * The CLI prints it as `distill: <input>: <message>` on one line (or, with --json, as
 * `{"error":{"code","input","message"}}`) and exits with `exitCode`. Callers that need to tell
 * failures apart look at `code`, never at the message text: docs/errors.md lists every code.
 */

/**
 * Every code with its one-line meaning, in the order docs/errors.md lists them. The codes are
 * stable across releases: scripts and callers branch on them, never on message text.
 */
export const ERROR_CODES = {
  E_USAGE: 'a flag, argument or option value the command does not accept',
  E_INPUT: 'something given (a file, a reference, a document, a value) is malformed or invalid',
  E_NOT_FOUND: 'something named does not exist: a file, directory, image, tag, blob, package or container',
  E_DIGEST_MISMATCH: 'content does not hash to the digest (or checksum) that names it: corrupt or tampered',
  E_SIZE_MISMATCH: 'content is not the size its descriptor, index or server declares',
  E_TRUNCATED: 'a download, archive or stream ended before all of its bytes arrived',
  E_NETWORK: 'a host could not be reached, or answered with an error (after retries where they help)',
  E_AUTH: 'a registry or server refused the credentials, or wants some and none were found',
  E_UNTRUSTED: 'a signed document failed verification: bad signature, wrong suite, stale or replayed',
  E_NO_DB: 'no OSV database has been imported yet',
  E_REFUSED: 'distill could not do it safely: an escaping path, a link to follow, an unbounded read',
  E_ENGINE: 'neither podman nor docker (or not the one asked for) is installed and running',
  E_TOOL_FAILED: 'an external program (podman, docker, a credential helper, npm) ran and failed',
  E_TOOLCHAIN: 'the app declares a toolchain or runtime version (go.mod, engines.node, requires-python, Java release) that the host or the base does not have',
  E_UNSUPPORTED: 'a format, version, media type or compression distill does not handle',
  E_FINDINGS: 'findings over the threshold (what exit status 1 means; for callers that pass exitCode 1)',
  E_INTERNAL: 'a bug in distill: an exception that is not a DistillError',
} as const satisfies Record<`E_${string}`, string>;

/** What went wrong: one of the keys of ERROR_CODES. */
export type ErrorCode = keyof typeof ERROR_CODES;

/** The exit status a code gets unless its thrower says otherwise: 1 findings, 3 refused or untrusted, else 2. */
export function defaultExitCode(code: ErrorCode): number {
  if (code === 'E_FINDINGS') return 1;
  if (code === 'E_REFUSED' || code === 'E_UNTRUSTED') return 3;
  return 2;
}

/** The code an error thrown the old way (`exitCode` only) gets: 1 findings, 3 refused, else input. */
export function codeForExit(exitCode: number): ErrorCode {
  if (exitCode === 1) return 'E_FINDINGS';
  if (exitCode === 3) return 'E_REFUSED';
  return 'E_INPUT';
}

/** The third argument of `new DistillError`: a code, and an exit status when not the code's own. */
export interface DistillErrorOptions {
  code: ErrorCode;
  exitCode?: number;
}

/** The one error type users see: what was wrong (`input`), why (`message`), `code` and exit status. */
export class DistillError extends Error {
  /** What went wrong, for callers and for `--json`; see ErrorCode. */
  readonly code: ErrorCode;
  /** 2 = usage or input error (the default), 3 = refused, 1 = findings over a threshold. */
  readonly exitCode: number;

  /**
   * `opts` is `{ code, exitCode? }`; a bare number (or nothing) is the older form, an exit status
   * whose code is derived from it (2 -> E_INPUT, 3 -> E_REFUSED, 1 -> E_FINDINGS).
   */
  constructor(
    /** What the user gave us that is wrong: a path, an image reference, a flag, a blob digest. */
    readonly input: string,
    message: string,
    opts: DistillErrorOptions | number = 2,
  ) {
    super(message);
    this.name = 'DistillError';
    if (typeof opts === 'number') {
      this.exitCode = opts;
      this.code = codeForExit(opts);
    } else {
      this.code = opts.code;
      this.exitCode = opts.exitCode ?? defaultExitCode(opts.code);
    }
  }

  /** The one-line form the CLI prints, control characters escaped (names come from images). */
  oneLine(): string {
    return `distill: ${escapeControl(this.input)}: ${escapeControl(this.message)}`;
  }

  /** The `--json` form: `{"error":{"code","input","message"}}`, the message on one line. */
  toJSON(): { error: { code: ErrorCode; input: string; message: string } } {
    return { error: { code: this.code, input: this.input, message: collapse(this.message) } };
  }

  /** The same failure (code and exit status) told about `input` with `message`. */
  rewrap(input: string, message: string): DistillError {
    return new DistillError(input, message, { code: this.code, exitCode: this.exitCode });
  }
}

/** Joins the lines of a message with single spaces. */
function collapse(s: string): string {
  return s.replace(/\s*\n\s*/g, ' ');
}

/**
 * One line, with C0/C1 control characters and bidirectional overrides shown as `\xNN` / `\uNNNN`:
 * a tar entry or tag named with escape sequences must not repaint the user's terminal.
 */
export function escapeControl(s: string): string {
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  return collapse(s).replace(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, (c) => {
    const n = c.charCodeAt(0);
    return n <= 0xff ? `\\x${n.toString(16).padStart(2, '0')}` : `\\u${n.toString(16).padStart(4, '0')}`;
  });
}

const NAMED_ESCAPES: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * A value from an image (a file name, a package name, an ENV entry) made safe to print inside a
 * text line or table cell: every C0/C1 control character, DEL and bidirectional override shown
 * visibly (`\n`, `\r`, `\t`, `\x1b`, `\u202e`), so it can neither repaint the terminal nor forge a row.
 */
export function escapeText(s: string): string {
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  return s.replace(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, (c) => {
    const named = NAMED_ESCAPES[c];
    if (named) return named;
    const n = c.charCodeAt(0);
    return n <= 0xff ? `\\x${n.toString(16).padStart(2, '0')}` : `\\u${n.toString(16).padStart(4, '0')}`;
  });
}

/** Whether `e` is a DistillError, and (when codes are given) one with one of those codes. */
export function isDistillError(e: unknown, ...codes: ErrorCode[]): e is DistillError {
  return e instanceof DistillError && (codes.length === 0 || codes.includes(e.code));
}

/** The code of a Node system error (`ENOENT`, `EACCES`…), when it tells the user something. */
function systemErrorCode(err: unknown): ErrorCode | undefined {
  const errno = (err as NodeJS.ErrnoException | undefined)?.code;
  if (errno === 'ENOENT' || errno === 'ENOTDIR') return 'E_NOT_FOUND';
  if (typeof errno === 'string' && /^E[A-Z]+$/.test(errno)) return 'E_INPUT';
  return undefined;
}

/** The code `err` should be reported with: its own, a system error's (ENOENT -> E_NOT_FOUND), else `fallback`. */
export function codeOf(err: unknown, fallback: ErrorCode = 'E_INPUT'): ErrorCode {
  return err instanceof DistillError ? err.code : (systemErrorCode(err) ?? fallback);
}

/** Wraps any thrown value as a DistillError naming `input`, keeping DistillErrors as they are. */
export function asDistillError(err: unknown, input: string): DistillError {
  if (err instanceof DistillError) return err;
  const msg = err instanceof Error ? err.message : String(err);
  return new DistillError(input, msg, { code: codeOf(err) });
}

/**
 * What the CLI reports for an exception that escaped `command` (`distill inspect`): a
 * DistillError as it is; a Node system error (a file that is not there, a permission) as the
 * user's, naming its path; anything else as E_INTERNAL, a bug in distill, saying so.
 */
export function toReportable(err: unknown, command = 'distill'): DistillError {
  if (err instanceof DistillError) return err;
  const sys = systemErrorCode(err);
  const msg = err instanceof Error ? err.message : String(err);
  if (sys) return new DistillError((err as NodeJS.ErrnoException).path ?? command, msg, { code: sys });
  return new DistillError(command, `internal error: ${msg} (a bug in distill; DISTILL_DEBUG=1 prints the stack trace)`, { code: 'E_INTERNAL' });
}
