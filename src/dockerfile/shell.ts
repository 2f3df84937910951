/**
 * Just enough POSIX shell word splitting to read RUN/CMD lines: quotes, backslashes, and the
 * list operators (`&&`, `||`, `;`, `|`, newlines) that separate simple commands. Hand-written
 * because the converter only needs argv-level facts ("which program, which flags") and no
 * well-kept library parses shell without also evaluating it.
 */

/** One simple command: leading `NAME=value` assignments and the argv after them. */
export interface SimpleCommand {
  env: Record<string, string>;
  argv: string[];
}

const OPERATORS = ['&&', '||', ';', '|', '\n', '&'];

/** Splits shell text into tokens; operators become their own tokens prefixed with NUL. */
export function tokenize(text: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inWord = false;
  let i = 0;
  const push = () => {
    if (inWord) out.push(cur);
    cur = '';
    inWord = false;
  };
  while (i < text.length) {
    const c = text[i];
    if (c === '\\' && text[i + 1] === '\n') {
      i += 2;
      continue;
    }
    if (c === '\\') {
      cur += text[i + 1] ?? '';
      inWord = true;
      i += 2;
      continue;
    }
    if (c === "'") {
      const end = text.indexOf("'", i + 1);
      const stop = end < 0 ? text.length : end;
      cur += text.slice(i + 1, stop);
      inWord = true;
      i = stop + 1;
      continue;
    }
    if (c === '"') {
      i++;
      while (i < text.length && text[i] !== '"') {
        if (text[i] === '\\' && i + 1 < text.length && '"\\$`'.includes(text[i + 1])) {
          cur += text[i + 1];
          i += 2;
        } else {
          cur += text[i++];
        }
      }
      i++;
      inWord = true;
      continue;
    }
    if (c === '#' && !inWord) {
      while (i < text.length && text[i] !== '\n') i++;
      continue;
    }
    const op = OPERATORS.find((o) => text.startsWith(o, i));
    if (op) {
      push();
      out.push('\0' + op);
      i += op.length;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r') {
      push();
      i++;
      continue;
    }
    if (c === '(' || c === ')') {
      push();
      i++;
      continue;
    }
    cur += c;
    inWord = true;
    i++;
  }
  push();
  return out;
}

/** Splits shell text into its simple commands (operators dropped). */
export function splitCommands(text: string): SimpleCommand[] {
  const cmds: SimpleCommand[] = [];
  let words: string[] = [];
  const flush = () => {
    if (words.length) cmds.push(toSimple(words));
    words = [];
  };
  for (const t of tokenize(text)) {
    if (t.startsWith('\0')) flush();
    else words.push(t);
  }
  flush();
  return cmds.filter((c) => c.argv.length > 0);
}

function toSimple(words: string[]): SimpleCommand {
  const env: Record<string, string> = {};
  let i = 0;
  while (i < words.length && /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[i])) {
    const eq = words[i].indexOf('=');
    env[words[i].slice(0, eq)] = words[i].slice(eq + 1);
    i++;
  }
  let argv = words.slice(i);
  // Wrappers that only change how the command runs, not what runs.
  while (argv.length && ['exec', 'sudo', 'nohup', 'env'].includes(argv[0])) argv = argv.slice(1);
  return { env, argv };
}

/** True when the text uses shell features an exec-form CMD cannot express. */
export function needsShell(text: string): boolean {
  if (/[`]|\$\(|[<>*?]|\|\||&&|;|\|/.test(text.replace(/'[^']*'/g, "''"))) return true;
  return /\$\{?[A-Za-z_]/.test(text.replace(/'[^']*'/g, "''"));
}

/** The variable names referenced as `$NAME` or `${NAME}` in the text. */
export function referencedVariables(text: string): string[] {
  const out = new Set<string>();
  for (const m of text.matchAll(/\$\{?([A-Za-z_][A-Za-z0-9_]*)/g)) out.add(m[1]);
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
      if (n.startsWith('--') && argv[i].startsWith(n + '=')) return argv[i].slice(n.length + 1);
    }
  }
  return undefined;
}

/** Quotes argv as a JSON exec-form array (Dockerfile exec form is JSON). */
export function execForm(argv: string[]): string {
  return '[' + argv.map((a) => JSON.stringify(a)).join(', ') + ']';
}
