/**
 * A reader for the TOML that lockfiles are written in (Cargo.lock, poetry.lock, uv.lock): tables,
 * arrays of tables, dotted keys, strings (basic, literal, multi-line), numbers, booleans, dates
 * (kept as text), arrays and inline tables. Hand-written: no TOML parser is among the project's
 * dependencies, and lockfiles use this small, machine-written part of the language. It throws on
 * what it does not understand; callers turn that into a warning.
 */

export type TomlValue = string | number | boolean | TomlValue[] | TomlTable;
export interface TomlTable {
  [key: string]: TomlValue;
}

const ESCAPES: Record<string, string> = { b: '\b', t: '\t', n: '\n', f: '\f', r: '\r', '"': '"', '\\': '\\' };

class Reader {
  i = 0;
  constructor(private readonly s: string) {}

  fail(what: string): never {
    const line = this.s.slice(0, this.i).split('\n').length;
    throw new Error(`line ${line}: ${what}`);
  }

  /** Skips spaces and tabs (and, when `lines`, newlines and comments). */
  skip(lines: boolean): void {
    for (;;) {
      const c = this.s[this.i];
      if (c === ' ' || c === '\t' || c === '\r') this.i++;
      else if (c === '#') while (this.i < this.s.length && this.s[this.i] !== '\n') this.i++;
      else if (lines && c === '\n') this.i++;
      else return;
    }
  }

  eat(c: string): boolean {
    if (this.s.startsWith(c, this.i)) {
      this.i += c.length;
      return true;
    }
    return false;
  }

  key(): string[] {
    const parts: string[] = [];
    for (;;) {
      this.skip(false);
      const c = this.s[this.i];
      if (c === '"' || c === "'") parts.push(this.string());
      else {
        const m = /^[A-Za-z0-9_-]+/.exec(this.s.slice(this.i, this.i + 256));
        if (!m) this.fail('expected a key');
        parts.push(m[0]);
        this.i += m[0].length;
      }
      this.skip(false);
      if (!this.eat('.')) return parts;
    }
  }

  string(): string {
    if (this.eat('"""')) return this.until('"""', true);
    if (this.eat("'''")) return this.until("'''", false);
    if (this.eat('"')) return this.until('"', true);
    if (this.eat("'")) return this.until("'", false);
    this.fail('expected a string');
  }

  until(end: string, escapes: boolean): string {
    let out = '';
    if (end.length === 3 && this.s[this.i] === '\n') this.i++;
    for (;;) {
      if (this.i >= this.s.length) this.fail('unterminated string');
      if (this.eat(end)) return out;
      if (this.s[this.i] === '\n' && end.length === 1) this.fail('newline in a string');
      const c = this.s[this.i++]!;
      if (escapes && c === '\\') {
        const e = this.s[this.i++]!;
        if (e === 'u' || e === 'U') {
          const n = e === 'u' ? 4 : 8;
          out += String.fromCodePoint(parseInt(this.s.slice(this.i, this.i + n), 16));
          this.i += n;
        } else if (e === '\n' || e === ' ' || e === '\r') {
          while (/\s/.test(this.s[this.i] ?? '')) this.i++;
        } else out += ESCAPES[e] ?? this.fail(`bad escape \\${e}`);
      } else out += c;
    }
  }

  value(): TomlValue {
    this.skip(false);
    const c = this.s[this.i];
    if (c === '"' || c === "'") return this.string();
    if (c === '[') {
      this.i++;
      const arr: TomlValue[] = [];
      for (;;) {
        this.skip(true);
        if (this.eat(']')) return arr;
        arr.push(this.value());
        this.skip(true);
        if (!this.eat(',')) {
          this.skip(true);
          if (!this.eat(']')) this.fail('expected , or ]');
          return arr;
        }
      }
    }
    if (c === '{') {
      this.i++;
      const t: TomlTable = {};
      this.skip(false);
      if (this.eat('}')) return t;
      for (;;) {
        const k = this.key();
        if (!this.eat('=')) this.fail('expected =');
        assign(t, k, this.value(), this);
        this.skip(false);
        if (this.eat('}')) return t;
        if (!this.eat(',')) this.fail('expected , or }');
      }
    }
    const m = /^[^\s,\]}#]+/.exec(this.s.slice(this.i, this.i + 256));
    if (!m) this.fail('expected a value');
    this.i += m[0].length;
    const w = m[0];
    if (w === 'true') return true;
    if (w === 'false') return false;
    if (/^[+-]?\d[\d_]*(\.\d+)?([eE][+-]?\d+)?$/.test(w)) return Number(w.replace(/_/g, ''));
    return w; // dates, times, inf/nan: kept as written
  }
}

function assign(t: TomlTable, key: string[], v: TomlValue, r: Reader): void {
  let cur = t;
  for (const k of key.slice(0, -1)) {
    const next = cur[k];
    if (next === undefined) cur = cur[k] = {};
    else if (typeof next === 'object' && !Array.isArray(next)) cur = next;
    else r.fail(`key ${key.join('.')} redefined`);
  }
  cur[key[key.length - 1]!] = v;
}

/** The table at `path` below `root`, created as needed; the last element of arrays of tables. */
function tableAt(root: TomlTable, path: string[], r: Reader): TomlTable {
  let cur = root;
  for (const k of path) {
    let next = cur[k];
    if (next === undefined) next = cur[k] = {};
    if (Array.isArray(next)) next = next[next.length - 1]!;
    if (typeof next !== 'object' || Array.isArray(next)) r.fail(`${path.join('.')} is not a table`);
    cur = next;
  }
  return cur;
}

/** Parses TOML text into plain objects. */
export function parseToml(text: string): TomlTable {
  const r = new Reader(text.replace(/^\uFEFF/, ''));
  const root: TomlTable = {};
  let cur = root;
  for (;;) {
    r.skip(true);
    if (r.i >= text.length) return root;
    if (r.eat('[[')) {
      const path = r.key();
      if (!r.eat(']]')) r.fail('expected ]]');
      const parent = tableAt(root, path.slice(0, -1), r);
      const last = path[path.length - 1]!;
      const arr = (parent[last] ??= []);
      if (!Array.isArray(arr)) return r.fail(`${path.join('.')} is not an array of tables`);
      const t: TomlTable = {};
      arr.push(t);
      cur = t;
    } else if (r.eat('[')) {
      const path = r.key();
      if (!r.eat(']')) r.fail('expected ]');
      cur = tableAt(root, path, r);
    } else {
      const k = r.key();
      if (!r.eat('=')) r.fail('expected =');
      assign(cur, k, r.value(), r);
    }
    r.skip(false);
    if (r.i < text.length && !r.eat('\n')) r.fail('expected the end of the line');
  }
}
