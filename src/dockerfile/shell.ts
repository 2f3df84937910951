/**
 * Just enough POSIX shell to read RUN/CMD lines without running them: words (quotes, backslashes,
 * line continuations, comments, `$(…)`, `${…}` and backticks kept whole), redirections, and the
 * list operators (`&&`, `||`, `;`, `|`, `&`, newlines, subshell parentheses) that separate simple
 * commands. Lint, convert and the run plan all read shell through this one module. Hand-written:
 * no dependency of ours parses shell, and the npm parsers either evaluate as they go or give no
 * source positions, which lint needs to point at the command as written.
 */

/** One simple command: leading `NAME=value` assignments and the argv after them. */
export interface SimpleCommand {
  env: Record<string, string>;
  argv: string[];
}

/** A simple command as written, for readers (lint) that look at more than what runs. */
export interface ShellCommand extends SimpleCommand {
  /** Every word after quote removal, assignments and wrappers (`sudo`, `env`) kept; redirections left out. */
  words: string[];
  /** The wrappers that `argv` leaves out, outermost first (`['sudo']` for `sudo -E apt-get …`). */
  wrappers: string[];
  /** The command's text exactly as written: `text.slice(start, end)` of the input. */
  source: string;
  start: number;
  end: number;
}

/** A word (value with quotes removed), a list operator, or a redirection operator (`>`, `2>&`, `<<`). */
export interface Token {
  kind: 'word' | 'operator' | 'redirect';
  value: string;
  /** Offsets of the token in the input; a word's span runs from its first to its last character. */
  start: number;
  end: number;
  /** A word with any quoting or escaping in it (so never a reserved word or a file-descriptor number). */
  quoted: boolean;
}

const OPERATORS = ['&&', '||', '|&', ';', '|', '&', '\n', '(', ')'];
const REDIRECT = /&>>|&>|>>|>&|>\||<<<|<<-|<<|<&|<>|>|</y;

/** Splits shell text into words and operators, with the offsets of each in the text. */
export function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let cur = '';
  let start = -1;
  let end = -1;
  let quoted = false;
  const push = () => {
    if (start >= 0) out.push({ kind: 'word', value: cur, start, end, quoted });
    cur = '';
    start = -1;
    quoted = false;
  };
  // Appends text[from, to) to the current word, as `value` once quotes are removed.
  const take = (from: number, to: number, value: string, isQuoted: boolean) => {
    if (start < 0) start = from;
    end = Math.min(to, text.length);
    cur += value;
    quoted ||= isQuoted;
  };
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    const cont = continuation(text, i);
    if (cont) {
      i += cont;
      continue;
    }
    if (c === '\\') {
      take(i, i + 2, text[i + 1] ?? '', true);
      i += 2;
      continue;
    }
    if (c === "'") {
      const close = text.indexOf("'", i + 1);
      const stop = close < 0 ? text.length : close;
      take(i, stop + 1, text.slice(i + 1, stop), true);
      i = stop + 1;
      continue;
    }
    if (c === '$' && text[i + 1] === "'") {
      const [value, next] = readAnsiC(text, i + 2);
      take(i, next, value, true);
      i = next;
      continue;
    }
    if (c === '"') {
      let value = '';
      const next = readDouble(text, i + 1, (s) => (value += s));
      take(i, next, value, true);
      i = next;
      continue;
    }
    const subst = substitutionEnd(text, i);
    // `arr=(a b)` is an array value, not a subshell.
    const array = c === '(' && start >= 0 && !quoted && cur.endsWith('=') ? skipParens(text, i) : 0;
    if (subst || array) {
      const next = subst || array;
      take(i, next, text.slice(i, next), false);
      i = next;
      continue;
    }
    if (c === '#' && start < 0) {
      while (i < text.length && text[i] !== '\n') i++;
      continue;
    }
    REDIRECT.lastIndex = i;
    const redirect = REDIRECT.exec(text)?.[0];
    if (redirect) {
      // `2>&1`: digits right before the operator name the file descriptor.
      const fd = start >= 0 && !quoted && /^\d+$/.test(cur) && end === i;
      const from = fd ? start : i;
      const prefix = fd ? cur : '';
      if (fd) {
        cur = '';
        start = -1;
      } else push();
      out.push({ kind: 'redirect', value: prefix + redirect, start: from, end: i + redirect.length, quoted: false });
      i += redirect.length;
      continue;
    }
    const op = OPERATORS.find((o) => text.startsWith(o, i));
    if (op) {
      push();
      out.push({ kind: 'operator', value: op, start: i, end: i + op.length, quoted: false });
      i += op.length;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r') {
      push();
      i++;
      continue;
    }
    take(i, i + 1, c ?? '', false);
    i++;
  }
  push();
  return out;
}

/** Length of a backslash-newline (the shell drops it) at `i`, else 0. */
function continuation(text: string, i: number): number {
  if (text[i] !== '\\') return 0;
  if (text[i + 1] === '\n') return 2;
  if (text[i + 1] === '\r' && text[i + 2] === '\n') return 3;
  return 0;
}

/** The end of a `$(…)`, `$((…))`, `${…}`, `` `…` ``, `<(…)` or `>(…)` starting at `i`, else 0. */
function substitutionEnd(text: string, i: number): number {
  const c = text[i];
  const n = text[i + 1];
  if (c === '$' && n === '(') return skipParens(text, i + 1);
  if (c === '$' && n === '{') return skipBraces(text, i + 1);
  if (c === '`') return skipBacktick(text, i + 1);
  if ((c === '<' || c === '>') && n === '(') return skipParens(text, i + 1);
  return 0;
}

/** Reads a double-quoted string from after its opening quote; returns the index after the closing one. */
function readDouble(text: string, i: number, append: (s: string) => void): number {
  while (i < text.length && text[i] !== '"') {
    const cont = continuation(text, i);
    if (cont) {
      i += cont;
      continue;
    }
    const c = text[i] ?? '';
    const n = text[i + 1];
    if (c === '\\' && n !== undefined && '"\\$`'.includes(n)) {
      append(n);
      i += 2;
      continue;
    }
    const subst = c === '$' || c === '`' ? substitutionEnd(text, i) : 0;
    if (subst) {
      append(text.slice(i, subst));
      i = subst;
      continue;
    }
    append(c);
    i++;
  }
  return Math.min(i + 1, text.length);
}

/** Reads `$'…'` from after its opening quote: the value (common escapes decoded) and the index after it. */
function readAnsiC(text: string, i: number): [string, number] {
  const escapes: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"' };
  let value = '';
  while (i < text.length && text[i] !== "'") {
    const n = text[i + 1];
    if (text[i] === '\\' && n !== undefined) {
      value += escapes[n] ?? '\\' + n;
      i += 2;
    } else value += text[i++];
  }
  return [value, Math.min(i + 1, text.length)];
}

/** From an opening `(`, the index after its matching `)`, skipping quotes and nested substitutions. */
function skipParens(text: string, i: number): number {
  return skipNested(text, i, '(', ')');
}

/** From an opening `{`, the index after its matching `}`. */
function skipBraces(text: string, i: number): number {
  return skipNested(text, i, '{', '}');
}

function skipNested(text: string, i: number, open: string, close: string): number {
  let depth = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '\\') i += 2;
    else if (c === "'") {
      const q = text.indexOf("'", i + 1);
      i = q < 0 ? text.length : q + 1;
    } else if (c === '"') i = readDouble(text, i + 1, () => {});
    else if (c === '`') i = skipBacktick(text, i + 1);
    else {
      if (c === open) depth++;
      else if (c === close && --depth === 0) return i + 1;
      i++;
    }
  }
  return text.length;
}

/** From after an opening backtick, the index after the closing one. */
function skipBacktick(text: string, i: number): number {
  while (i < text.length && text[i] !== '`') i += text[i] === '\\' ? 2 : 1;
  return Math.min(i + 1, text.length);
}

// Reserved words that open or close a compound command; the simple command follows them.
const RESERVED = new Set(['if', 'then', 'else', 'elif', 'fi', 'do', 'done', 'while', 'until', 'esac', '{', '}', '!']);
// Compound-command headers that run nothing themselves (`for x in a b`, `case $x in`).
const HEADERS = new Set(['for', 'case', 'select']);

/** Splits shell text into its simple commands, each with its words, argv and source text. */
export function shellCommands(text: string): ShellCommand[] {
  const out: ShellCommand[] = [];
  let group: Token[] = [];
  const flush = () => {
    const cmd = toCommand(text, group);
    if (cmd) out.push(cmd);
    group = [];
  };
  for (const t of tokenize(text)) {
    if (t.kind === 'operator') flush();
    else group.push(t);
  }
  flush();
  return out;
}

/** Splits shell text into its simple commands (operators dropped). */
export function splitCommands(text: string): SimpleCommand[] {
  return shellCommands(text)
    .filter((c) => c.argv.length > 0)
    .map(({ env, argv }) => ({ env, argv }));
}

function toCommand(text: string, tokens: Token[]): ShellCommand | null {
  const words: Token[] = [];
  for (let k = 0; k < tokens.length; k++) {
    const t = tokens[k]!;
    if (t.kind === 'redirect') {
      if (tokens[k + 1]?.kind === 'word') k++; // the redirection's target
    } else words.push(t);
  }
  let first = 0;
  while (first < words.length && !words[first]!.quoted && RESERVED.has(words[first]!.value)) first++;
  const head = words[first];
  if (!head || (!head.quoted && HEADERS.has(head.value))) return null;
  const start = head.start;
  const end = Math.max(...tokens.map((t) => t.end));
  const values = words.slice(first).map((w) => w.value);
  return { ...unwrap(values), words: values, source: text.slice(start, end), start, end };
}

const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*=/;
// Wrappers that only change how the command runs, not what runs, with their options that take a value.
const WRAPPERS: Record<string, string[]> = {
  exec: ['-a'],
  nohup: [],
  sudo: ['-u', '-g', '-p', '-C', '-D', '-r', '-t', '-U', '-T', '--user', '--group', '--prompt', '--chdir', '--role', '--type', '--other-user'],
  env: ['-u', '-C', '--unset', '--chdir'],
};
// Only these take `NAME=value` after their options.
const ASSIGNS = new Set(['sudo', 'env']);

/** Assignments and wrappers taken off the front of a command's words; argv is what runs. */
function unwrap(words: string[]): SimpleCommand & { wrappers: string[] } {
  const env: Record<string, string> = {};
  const wrappers: string[] = [];
  let i = 0;
  const assignments = () => {
    for (; i < words.length && ASSIGNMENT.test(words[i]!); i++) {
      const w = words[i]!;
      const eq = w.indexOf('=');
      env[w.slice(0, eq)] = w.slice(eq + 1);
    }
  };
  assignments();
  while (i < words.length && Object.hasOwn(WRAPPERS, words[i]!)) {
    const name = words[i++]!;
    wrappers.push(name);
    for (; i < words.length && words[i]!.startsWith('-'); i++) {
      if (words[i] === '--') {
        i++;
        break;
      }
      if (WRAPPERS[name]!.includes(words[i]!)) i++;
    }
    if (ASSIGNS.has(name)) assignments();
  }
  return { env, argv: words.slice(i), wrappers };
}

/** True when the text uses shell features an exec-form CMD cannot express. */
export function needsShell(text: string): boolean {
  if (/[`]|\$\(|[<>*?]|\|\||&&|;|\|/.test(text.replace(/'[^']*'/g, "''"))) return true;
  return /\$\{?[A-Za-z_]/.test(text.replace(/'[^']*'/g, "''"));
}

/** The variable names referenced as `$NAME` or `${NAME}` in the text. */
export function referencedVariables(text: string): string[] {
  const out = new Set<string>();
  for (const m of text.matchAll(/\$\{?([A-Za-z_][A-Za-z0-9_]*)/g)) out.add(m[1]!);
  return [...out];
}

/** Substitutes `$NAME`/`${NAME}`/`${NAME:-default}` from `vars`; unknown names stay as written. */
export function substitute(text: string, vars: Record<string, string | undefined>): string {
  return text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (all, a, def, b) => {
    const name = a ?? b;
    const v = vars[name];
    if (v !== undefined) return v;
    if (def !== undefined) return def;
    return all;
  });
}

/** The value of `--name VALUE` / `--name=VALUE` / `-n VALUE` in argv, if present. */
export function flagValue(argv: string[], ...names: string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    for (const n of names) {
      if (argv[i] === n) return argv[i + 1];
      if (n.startsWith('--') && argv[i]!.startsWith(n + '=')) return argv[i]!.slice(n.length + 1);
    }
  }
  return undefined;
}

/** Quotes argv as a JSON exec-form array (Dockerfile exec form is JSON). */
export function execForm(argv: string[]): string {
  return '[' + argv.map((a) => JSON.stringify(a)).join(', ') + ']';
}
