/**
 * Debian control files (deb822): Packages indexes, Release files, DEBIAN/control, dpkg status,
 * `.sources` files; and the relationship fields inside them (Depends, Pre-Depends, Provides).
 *
 * Hand-written because no maintained JS library parses deb822 correctly: continuation lines,
 * the ` .` empty-line marker of multiline fields, whitespace-only paragraph separators,
 * case-insensitive field names, and a streaming mode for the 50 MB Packages index. The format is
 * small (Debian Policy §5.1), so a ~150-line parser is the cheaper dependency.
 *
 * Values are kept as written: a multiline field's continuation lines keep their leading
 * whitespace after a `\n`, so formatting a parsed paragraph gives back the same text.
 */
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import type { DebianOp } from './version.ts';

/** One paragraph: field name (as written) to value, in file order. */
export type ControlFields = Record<string, string>;

/** Case-insensitive field lookup (deb822 field names are case-insensitive). */
export function field(p: ControlFields, name: string): string | undefined {
  if (name in p) return p[name];
  const lower = name.toLowerCase();
  for (const k of Object.keys(p)) if (k.toLowerCase() === lower) return p[k];
  return undefined;
}

/** A field's value with continuation lines folded into one line (for Depends and friends). */
export function folded(value: string | undefined): string | undefined {
  return value?.replace(/\s*\n\s*/g, ' ').trim();
}

/** Incremental line-based parser; feed lines, collect paragraphs. */
class ParagraphBuilder {
  private cur: ControlFields | undefined;
  private last: string | undefined;
  private lineNo = 0;

  constructor(private readonly source: string) {}

  /** Feeds one line (without its newline); returns a finished paragraph at a separator. */
  line(raw: string): ControlFields | undefined {
    this.lineNo++;
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '') return this.end();
    if (line.startsWith('#')) return undefined;
    if (line.startsWith(' ') || line.startsWith('\t')) {
      if (!this.cur || this.last === undefined) {
        throw new Error(`${this.source}:${this.lineNo}: continuation line outside a field`);
      }
      this.cur[this.last] += '\n' + line;
      return undefined;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) throw new Error(`${this.source}:${this.lineNo}: expected "Field: value", got ${JSON.stringify(line.slice(0, 60))}`);
    const name = line.slice(0, colon);
    if (/\s/.test(name)) throw new Error(`${this.source}:${this.lineNo}: bad field name ${JSON.stringify(name)}`);
    this.cur ??= {};
    this.cur[name] = line.slice(colon + 1).trim();
    this.last = name;
    return undefined;
  }

  /** Ends the current paragraph, if any. */
  end(): ControlFields | undefined {
    const p = this.cur;
    this.cur = undefined;
    this.last = undefined;
    return p;
  }
}

/** Parses all paragraphs of a control file held in memory. `source` names it in errors. */
export function parseControl(text: string, source = 'control'): ControlFields[] {
  const b = new ParagraphBuilder(source);
  const out: ControlFields[] = [];
  for (const l of text.split('\n')) {
    const p = b.line(l);
    if (p) out.push(p);
  }
  const p = b.end();
  if (p) out.push(p);
  return out;
}

/** Streams paragraphs out of a (decompressed) control file without holding it in memory. */
export async function* parseControlStream(input: Readable, source = 'control'): AsyncGenerator<ControlFields> {
  const b = new ParagraphBuilder(source);
  const dec = new StringDecoder('utf8');
  let rest = '';
  for await (const chunk of input) {
    const text = rest + (typeof chunk === 'string' ? chunk : dec.write(chunk as Buffer));
    let start = 0;
    let nl: number;
    while ((nl = text.indexOf('\n', start)) >= 0) {
      const p = b.line(text.slice(start, nl));
      if (p) yield p;
      start = nl + 1;
    }
    rest = text.slice(start);
  }
  rest += dec.end();
  if (rest !== '') {
    const p = b.line(rest);
    if (p) yield p;
  }
  const p = b.end();
  if (p) yield p;
}

/** Formats one paragraph (no trailing blank line). */
export function formatControl(p: ControlFields): string {
  let s = '';
  for (const [k, v] of Object.entries(p)) s += v.startsWith('\n') ? `${k}:${v}\n` : `${k}: ${v}\n`;
  return s;
}

/** One alternative of a relationship: `name[:arch] [(op version)] [[archs]]`. */
export interface Relation {
  name: string;
  /** Architecture qualifier after `:` (`any`, `native`, or an architecture). */
  archQualifier?: string;
  op?: DebianOp;
  version?: string;
  /** Architecture restriction list (`[amd64 !i386]`), as written. */
  archList?: string[];
}

/** A relationship field: a conjunction of groups, each a disjunction of alternatives. */
export type Relations = Relation[][];

const REL_RE =
  /^([A-Za-z0-9][A-Za-z0-9+.\-_]*)(?::([A-Za-z0-9-]+))?\s*(?:\(\s*(<<|<=|>=|>>|=|<|>)\s*([^\s)]+)\s*\))?\s*(?:\[([^\]]*)\])?\s*(?:<[^>]*>\s*)*$/;

/** Parses a Depends-like field. Throws on syntax it does not understand, naming `source`. */
export function parseRelations(value: string | undefined, source = 'relation'): Relations {
  const v = folded(value);
  if (!v) return [];
  return v
    .split(',')
    .map((g) => g.trim())
    .filter((g) => g !== '')
    .map((g) =>
      g.split('|').map((alt) => {
        const m = REL_RE.exec(alt.trim());
        if (!m) throw new Error(`${source}: cannot parse relation ${JSON.stringify(alt.trim())}`);
        const r: Relation = { name: m[1]! };
        if (m[2]) r.archQualifier = m[2];
        if (m[3]) {
          // `<` and `>` are the obsolete spellings of `<=` and `>=` (Policy §7.1).
          r.op = (m[3] === '<' ? '<=' : m[3] === '>' ? '>=' : m[3]) as DebianOp;
          r.version = m[4];
        }
        if (m[5] !== undefined) r.archList = m[5].trim().split(/\s+/).filter(Boolean);
        return r;
      }),
    );
}

/** Formats a relation the way Debian writes it. */
export function formatRelation(r: Relation): string {
  let s = r.name;
  if (r.archQualifier) s += `:${r.archQualifier}`;
  if (r.op) s += ` (${r.op} ${r.version})`;
  if (r.archList) s += ` [${r.archList.join(' ')}]`;
  return s;
}
