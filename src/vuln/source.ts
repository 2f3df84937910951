/**
 * Where OSV data comes from and how it is kept fresh: the public OSV export by default (the one
 * place its address is written), else `--from`, `$DISTILL_OSV_URL` or the config file's
 * `osv.url`; http(s)://, file:// or a directory laid out as the export (`ecosystems.txt`,
 * `<Ecosystem>/all.zip`), for mirrors on air-gapped hosts.
 *
 * Refresh without waste: each ecosystem's zip is re-checked with a conditional GET (ETag /
 * Last-Modified) and, for servers that ignore those, by the object hash in `x-goog-hash` (as
 * osv-scanner does); only what changed is downloaded, checked against the announced length and
 * MD5, and imported into new files that `db.ts` swaps in by replacing meta.json last, so a failed
 * or interrupted update leaves the previous DB as it was. `--offline` / `DISTILL_OFFLINE=1` never
 * touches the network. Hand-written on node:http(s) (not fetch): conditional requests, response
 * headers and an idle timeout are all this needs, and node:http starts without loading undici.
 * CRC32C is not in node:zlib, so the crc32c hash is compared as an unchanged-marker, not verified.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, statSync } from 'node:fs';
import { mkdir, readFile, rm, stat } from 'node:fs/promises';
import { get as httpGet, type IncomingMessage } from 'node:http';
import { get as httpsGet } from 'node:https';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { loadConfig, parseDuration, type DistillConfig } from '../util/config.ts';
import { DistillError, isDistillError, type ErrorCode } from '../util/errors.ts';
import { defaultOsvDir, HOW_TO_GET_A_DB, importOsv, markChecked, readMeta, type DbMeta, type FetchState } from './db.ts';
import { isOsvEcosystem } from './osv.ts';
import { baseEcosystem } from './versions/index.ts';

/** The public OSV export: `<URL>ecosystems.txt` and `<URL><Ecosystem>/all.zip`. The only built-in data host. */
export const DEFAULT_OSV_URL = 'https://osv-vulnerabilities.storage.googleapis.com/';

/** How long a fetched ecosystem is used before the source is asked again. */
export const DEFAULT_REFRESH_MS = 24 * 3_600_000;

/** Ecosystems `db update` fetches when none are named and the DB has none yet. */
export const DEFAULT_ECOSYSTEMS = ['Debian', 'Ubuntu', 'Alpine', 'npm', 'PyPI', 'Go', 'Maven', 'crates.io', 'RubyGems'];

/** The resolved OSV source settings of one run. */
export interface OsvSource {
  /** Base URL without a trailing slash (http(s):// or file://). */
  url: string;
  /** Which setting gave the URL. */
  origin: 'flag' | 'env' | 'config' | 'default';
  refreshMs: number;
  offline: boolean;
  /** Abort a download when no byte arrives for this long (default 30 s). */
  timeoutMs: number;
  /** Extra attempts after a network error, 5xx or truncated body (default 2). */
  retries: number;
}

/** What the user asked for on the command line; the rest comes from the environment and config. */
export interface SourceRequest {
  from?: string;
  offline?: boolean;
  refreshMs?: number;
  timeoutMs?: number;
  retries?: number;
}

const truthy = (v: string | undefined) => v !== undefined && /^(1|true|yes|on)$/i.test(v.trim());

/** A base URL as given: http(s):// and file:// as they are (trailing slashes dropped), a directory as file://. */
export function normaliseSourceUrl(url: string): string {
  if (/^(https?|file):\/\//i.test(url)) return url.replace(/\/+$/, '');
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) throw new DistillError(url, 'expected an http(s):// or file:// URL, or a directory', { code: 'E_USAGE' });
  const dir = resolve(url);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new DistillError(url, 'expected an http(s):// or file:// URL, or a directory holding an OSV export', { code: 'E_USAGE' });
  return pathToFileURL(dir).href.replace(/\/+$/, '');
}

/** The OSV source of this run: flag, else `$DISTILL_OSV_URL`, else the config file, else the public export. */
export function resolveOsvSource(req: SourceRequest = {}, env: NodeJS.ProcessEnv = process.env, config?: DistillConfig): OsvSource {
  const cfg = config ?? loadConfig();
  const envUrl = env.DISTILL_OSV_URL?.trim() || undefined;
  const [raw, origin]: [string, OsvSource['origin']] = req.from ? [req.from, 'flag'] : envUrl ? [envUrl, 'env'] : cfg.osv.url ? [cfg.osv.url, 'config'] : [DEFAULT_OSV_URL, 'default'];
  let refreshMs = req.refreshMs ?? cfg.osv.refreshMs ?? DEFAULT_REFRESH_MS;
  if (req.refreshMs === undefined && env.DISTILL_OSV_REFRESH) {
    try {
      refreshMs = parseDuration(env.DISTILL_OSV_REFRESH);
    } catch {
      throw new DistillError(`DISTILL_OSV_REFRESH=${env.DISTILL_OSV_REFRESH}`, 'expected a duration such as 30m, 24h or 7d', { code: 'E_USAGE' });
    }
  }
  return {
    url: normaliseSourceUrl(raw),
    origin,
    refreshMs,
    offline: Boolean(req.offline) || truthy(env.DISTILL_OFFLINE) || Boolean(cfg.osv.offline),
    timeoutMs: req.timeoutMs ?? 30_000,
    retries: req.retries ?? 2,
  };
}

/** Whether reading from `source` needs the network (file:// mirrors do not). */
export function isRemote(source: Pick<OsvSource, 'url'>): boolean {
  return !source.url.startsWith('file:');
}

/** Progress of one download, for a TTY progress bar. */
export interface DownloadProgress {
  ecosystem: string;
  received: number;
  total: number | undefined;
}

type Outcome = { kind: 'unchanged'; state: FetchState } | { kind: 'downloaded'; state: FetchState; path: string; bytes: number } | { kind: 'missing' };

/** Fails without retrying: the server answered, and the answer will not change. */
class Permanent extends DistillError {}

/** `x-goog-hash: crc32c=…,md5=…` (one header or several) as `{crc32c, md5}`. */
export function parseGoogHash(h: string | string[] | undefined): { crc32c?: string; md5?: string } {
  const out: { crc32c?: string; md5?: string } = {};
  for (const part of (Array.isArray(h) ? h.join(',') : (h ?? '')).split(',')) {
    const m = /^\s*(crc32c|md5)=(\S+)\s*$/.exec(part);
    if (m) out[m[1] as 'crc32c' | 'md5'] = m[2]!;
  }
  return out;
}

/** The same object as before, by validators the server gave both times. */
function sameObject(prev: FetchState | undefined, next: { md5?: string; crc32c?: string; etag?: string }): boolean {
  if (!prev) return false;
  if (prev.md5 && next.md5) return prev.md5 === next.md5;
  if (prev.crc32c && next.crc32c) return prev.crc32c === next.crc32c;
  return Boolean(prev.etag && next.etag && prev.etag === next.etag);
}

function request(url: string, headers: Record<string, string>, timeoutMs: number, redirects = 5): Promise<IncomingMessage> {
  return new Promise((resolvePromise, reject) => {
    const get = url.startsWith('https:') ? httpsGet : httpGet;
    const req = get(url, { headers: { 'accept-encoding': 'identity', 'user-agent': 'distill', ...headers } }, (res) => {
      const loc = res.headers.location;
      if (res.statusCode && [301, 302, 303, 307, 308].includes(res.statusCode) && loc) {
        res.resume();
        if (redirects <= 0) return reject(new Permanent(url, 'too many redirects', { code: 'E_NETWORK' }));
        return resolvePromise(request(new URL(loc, url).href, headers, timeoutMs, redirects - 1));
      }
      req.setTimeout(0); // the body has its own idle timer (saveBody), which names the stall
      resolvePromise(res);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer for ${timeoutMs} ms`)));
    req.on('error', (e) => reject(new DistillError(url, `cannot reach the OSV source: ${e.message}`, { code: 'E_NETWORK' })));
  });
}

/** Streams a response body to `dest`, MD5 and length checked; an idle body fails after `timeoutMs`. */
function saveBody(url: string, res: IncomingMessage, dest: string, timeoutMs: number, onData: (n: number) => void): Promise<{ bytes: number; md5: string }> {
  return new Promise((resolvePromise, reject) => {
    const md5 = createHash('md5');
    const out = createWriteStream(dest);
    let bytes = 0;
    let done = false;
    const total = res.headers['content-length'] && /^\d+$/.test(res.headers['content-length']) ? Number(res.headers['content-length']) : undefined;
    const fail = (msg: string, code: ErrorCode) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      res.destroy();
      out.destroy();
      out.once('close', () => reject(new DistillError(url, msg, { code })));
    };
    let timer = setTimeout(() => undefined, 0);
    const rearm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => fail(`download stalled: no data for ${timeoutMs} ms after ${bytes} bytes`, 'E_NETWORK'), timeoutMs);
    };
    rearm();
    res.on('data', (c: Buffer) => {
      bytes += c.length;
      md5.update(c);
      rearm();
      onData(bytes);
      if (!out.write(c)) {
        res.pause();
        out.once('drain', () => res.resume());
      }
    });
    res.on('aborted', () => fail(`download interrupted after ${bytes}${total !== undefined ? ` of ${total}` : ''} bytes`, 'E_TRUNCATED'));
    res.on('error', (e) => fail(`download interrupted after ${bytes} bytes: ${e.message}`, 'E_TRUNCATED'));
    out.on('error', (e) => fail(`cannot write ${dest}: ${e.message}`, 'E_INPUT'));
    res.on('end', () => {
      if (done) return;
      clearTimeout(timer);
      if (total !== undefined && bytes !== total) return fail(`download truncated: got ${bytes} of ${total} bytes`, 'E_TRUNCATED');
      done = true;
      out.end(() => resolvePromise({ bytes, md5: md5.digest('base64') }));
    });
  });
}

async function fetchOnce(url: string, eco: string, prev: FetchState | undefined, dest: string, source: OsvSource, onProgress?: (p: DownloadProgress) => void): Promise<Outcome> {
  const now = new Date().toISOString();
  if (url.startsWith('file:')) {
    const path = fileURLToPath(url);
    let st;
    try {
      st = await stat(path);
    } catch {
      return { kind: 'missing' };
    }
    const state: FetchState = { url, size: st.size, mtimeMs: st.mtimeMs, checkedAt: now };
    if (prev && prev.size === st.size && prev.mtimeMs === st.mtimeMs) return { kind: 'unchanged', state };
    return { kind: 'downloaded', state, path, bytes: st.size };
  }
  const headers: Record<string, string> = {};
  if (prev?.etag) headers['if-none-match'] = prev.etag;
  if (prev?.lastModified) headers['if-modified-since'] = prev.lastModified;
  const res = await request(url, headers, source.timeoutMs);
  const status = res.statusCode ?? 0;
  const hash = parseGoogHash(res.headers['x-goog-hash']);
  const state: FetchState = {
    url,
    ...(typeof res.headers.etag === 'string' ? { etag: res.headers.etag } : prev?.etag ? { etag: prev.etag } : {}),
    ...(typeof res.headers['last-modified'] === 'string' ? { lastModified: res.headers['last-modified'] } : prev?.lastModified ? { lastModified: prev.lastModified } : {}),
    ...hash,
    checkedAt: now,
  };
  if (status === 304 && prev) {
    res.resume();
    return { kind: 'unchanged', state: { ...prev, ...state, ...(hash.md5 || hash.crc32c ? {} : { md5: prev.md5, crc32c: prev.crc32c }) } };
  }
  if (status === 404 || status === 410) {
    res.resume();
    return { kind: 'missing' };
  }
  if (status !== 200) {
    res.resume();
    const msg = `HTTP ${status}${res.statusMessage ? ` ${res.statusMessage}` : ''}`;
    if (status >= 500 || status === 408 || status === 429) throw new DistillError(url, msg, { code: 'E_NETWORK' });
    throw new Permanent(url, msg, { code: status === 401 || status === 403 ? 'E_AUTH' : 'E_NETWORK' });
  }
  if (sameObject(prev, { ...hash, ...(state.etag ? { etag: state.etag } : {}) })) {
    res.destroy();
    return { kind: 'unchanged', state };
  }
  const got = await saveBody(url, res, dest, source.timeoutMs, (n) => onProgress?.({ ecosystem: eco, received: n, total: res.headers['content-length'] ? Number(res.headers['content-length']) : undefined }));
  if (hash.md5 && hash.md5 !== got.md5) throw new DistillError(url, `MD5 mismatch: the server announced ${hash.md5}, the download hashes to ${got.md5}`, { code: 'E_DIGEST_MISMATCH' });
  return { kind: 'downloaded', state: { ...state, md5: got.md5 }, path: dest, bytes: got.bytes };
}

async function fetchZip(url: string, eco: string, prev: FetchState | undefined, dest: string, source: OsvSource, onProgress?: (p: DownloadProgress) => void): Promise<Outcome> {
  let last: unknown;
  for (let i = 0; i <= source.retries; i++) {
    try {
      return await fetchOnce(url, eco, prev, dest, source, onProgress);
    } catch (e) {
      last = e;
      await rm(dest, { force: true });
      if (e instanceof Permanent || isDistillError(e, 'E_DIGEST_MISMATCH')) break;
      if (i < source.retries) await new Promise((r) => setTimeout(r, 300 * 2 ** i));
    }
  }
  throw last;
}

/** The base ecosystems an export lists in its `ecosystems.txt` (release-suffixed lines fold into their base). */
export async function listExportEcosystems(source: OsvSource): Promise<string[]> {
  const url = `${source.url}/ecosystems.txt`;
  let text: string;
  if (url.startsWith('file:')) {
    try {
      text = await readFile(fileURLToPath(url), 'utf8');
    } catch {
      throw new DistillError(url, 'no ecosystems.txt at the OSV source', { code: 'E_NOT_FOUND' });
    }
  } else {
    const res = await request(url, {}, source.timeoutMs);
    if (res.statusCode !== 200) {
      res.resume();
      throw new DistillError(url, `HTTP ${res.statusCode}`, { code: res.statusCode === 404 ? 'E_NOT_FOUND' : 'E_NETWORK' });
    }
    const chunks: Buffer[] = [];
    for await (const c of res) chunks.push(c as Buffer);
    text = Buffer.concat(chunks).toString('utf8');
  }
  return [...new Set(text.split(/\r?\n/).map((l) => l.trim()).filter(Boolean).map(baseEcosystem))].filter(isOsvEcosystem).sort();
}

/** How one ecosystem's update went. */
export interface EcosystemUpdate {
  status: 'downloaded' | 'unchanged' | 'missing' | 'failed';
  records?: number;
  packages?: number;
  bytes?: number;
  /** One line: why it failed. */
  error?: string;
}

/** The outcome of `updateOsvDb`. */
export interface UpdateReport {
  dir: string;
  source: string;
  ecosystems: Record<string, EcosystemUpdate>;
  dbDate: string | null;
  rejected: { input: string; error: string }[];
  rejectedCount: number;
}

/** Options of an update. */
export interface UpdateOptions {
  source: OsvSource;
  dir?: string;
  /** Base ecosystems to fetch (default: those already in the DB, else DEFAULT_ECOSYSTEMS). */
  ecosystems?: string[];
  /** Every ecosystem the export's ecosystems.txt lists. */
  all?: boolean;
  /** Download even when the source says nothing changed. */
  force?: boolean;
  onProgress?: (p: DownloadProgress) => void;
}

function refuseOffline(source: OsvSource, what: string): void {
  if (source.offline && isRemote(source)) {
    throw new DistillError(what, `offline (--offline or DISTILL_OFFLINE): not fetching ${source.url}; point --from at a file:// mirror or use \`distill db import DIR|ZIP\``, { code: 'E_USAGE' });
  }
}

/**
 * Fetches the named ecosystems from the source and imports what changed, one ecosystem at a time:
 * an ecosystem that fails (unreachable, 404, 500, stalled, truncated, corrupt) keeps its previous
 * data and is reported with a one-line reason; the others are updated.
 */
export async function updateOsvDb(opts: UpdateOptions): Promise<UpdateReport> {
  const { source } = opts;
  refuseOffline(source, 'db update');
  const dir = opts.dir ?? defaultOsvDir();
  const meta = await readMeta(dir);
  const names = opts.all ? await listExportEcosystems(source) : opts.ecosystems?.length ? opts.ecosystems : meta && Object.keys(meta.ecosystems).length ? Object.keys(meta.ecosystems) : DEFAULT_ECOSYSTEMS;
  for (const n of names) {
    if (!isOsvEcosystem(n)) throw new DistillError(`--ecosystem ${n}`, 'not an OSV ecosystem (e.g. Debian, Alpine, Ubuntu, npm, PyPI, Go, Maven, crates.io, NuGet, RubyGems)', { code: 'E_USAGE' });
  }
  const ecosystems = [...new Set(names.map(baseEcosystem))];
  await mkdir(dir, { recursive: true });
  const dl = join(dir, `.download-${process.pid}-${randomBytes(3).toString('hex')}`);
  await mkdir(dl, { recursive: true });
  const report: UpdateReport = { dir, source: source.url, ecosystems: {}, dbDate: meta?.dbDate ?? null, rejected: [], rejectedCount: 0 };
  const checked: Record<string, FetchState> = {};
  try {
    for (const eco of ecosystems) {
      const url = `${source.url}/${encodeURIComponent(eco)}/all.zip`;
      const prevEntry = meta?.ecosystems[eco];
      const prev = !opts.force && prevEntry?.fetched?.url === url ? prevEntry.fetched : undefined;
      try {
        const got = await fetchZip(url, eco, prev, join(dl, 'all.zip'), source, opts.onProgress);
        if (got.kind === 'missing') {
          report.ecosystems[eco] = { status: 'missing', error: `${url}: not found at the source` };
        } else if (got.kind === 'unchanged') {
          checked[eco] = got.state;
          report.ecosystems[eco] = { status: 'unchanged' };
        } else {
          const s = await importOsv([got.path], { dir, source: source.url, only: [eco], fetched: { [eco]: got.state }, strict: true }).catch((e: unknown) => {
            // Name the URL, not the temp file the zip was saved to.
            if (e instanceof DistillError) throw new DistillError(url, e.input === got.path ? e.message : `${e.input}: ${e.message}`, { code: e.code });
            throw e;
          });
          const e = s.ecosystems[eco] ?? { records: 0, packages: 0 };
          report.ecosystems[eco] = { status: 'downloaded', records: e.records, packages: e.packages, bytes: got.bytes };
          report.dbDate = s.dbDate;
          report.rejectedCount += s.rejectedCount;
          report.rejected.push(...s.rejected.slice(0, 20 - report.rejected.length));
        }
      } catch (e) {
        const msg = e instanceof DistillError ? `${e.input}: ${e.message}` : e instanceof Error ? e.message : String(e);
        report.ecosystems[eco] = { status: 'failed', error: msg.replace(/\s*\n\s*/g, ' ') };
      } finally {
        await rm(join(dl, 'all.zip'), { force: true });
      }
    }
    await markChecked(dir, checked);
  } finally {
    await rm(dl, { recursive: true, force: true });
  }
  return report;
}

/** Age of the DB as users read it: `newest record 2025-03-01, 4 days old`. */
export function describeAge(meta: Pick<DbMeta, 'dbDate'> | null, now: Date = new Date()): string {
  if (!meta?.dbDate) return 'newest record of unknown date';
  const days = Math.floor((now.getTime() - Date.parse(meta.dbDate)) / 86_400_000);
  return `newest record ${meta.dbDate.slice(0, 10)}, ${days} day${days === 1 ? '' : 's'} old`;
}

/** The base ecosystems whose data `ensureOsvDb` should fetch or re-check now. */
export function dueEcosystems(meta: DbMeta | null, needed: string[], source: OsvSource, now: Date = new Date()): string[] {
  const out: string[] = [];
  for (const eco of new Set(needed.map(baseEcosystem))) {
    if (!isOsvEcosystem(eco)) continue;
    const have = meta?.ecosystems[eco];
    if (!have) {
      out.push(eco);
      continue;
    }
    // Imported by hand (`db import`): the user manages it; never replaced behind their back.
    if (!have.fetched) continue;
    const url = `${source.url}/${encodeURIComponent(eco)}/all.zip`;
    if (have.fetched.url !== url || now.getTime() - Date.parse(have.fetched.checkedAt) >= source.refreshMs) out.push(eco);
  }
  return out.sort();
}

/** What `ensureOsvDb` did: one-line warnings, and the update when one ran. */
export interface EnsureResult {
  warnings: string[];
  /** Ecosystems that are needed and in the DB after the call. */
  present: string[];
  /** Ecosystems that are needed and could not be had (their CVEs are not counted). */
  absent: string[];
  update?: UpdateReport;
}

/**
 * Makes the DB hold the ecosystems a scan needs: fetches missing ones, re-checks those older than
 * the refresh threshold, and otherwise leaves it alone. Offline, nothing is fetched. A source
 * that cannot be reached is a warning, never an error: the existing DB is used, with its age.
 */
export async function ensureOsvDb(needed: string[], opts: { source: OsvSource; dir?: string; now?: Date; onProgress?: (p: DownloadProgress) => void }): Promise<EnsureResult> {
  const dir = opts.dir ?? defaultOsvDir();
  const now = opts.now ?? new Date();
  const wanted = [...new Set(needed.map(baseEcosystem))].filter(isOsvEcosystem).sort();
  const meta = await readMeta(dir);
  const due = opts.source.offline && isRemote(opts.source) ? [] : dueEcosystems(meta, wanted, opts.source, now);
  const warnings: string[] = [];
  let update: UpdateReport | undefined;
  if (due.length) {
    update = await updateOsvDb({ source: opts.source, dir, ecosystems: due, ...(opts.onProgress ? { onProgress: opts.onProgress } : {}) });
    const failed = Object.entries(update.ecosystems).filter(([, u]) => u.status === 'failed');
    const missing = Object.entries(update.ecosystems).filter(([, u]) => u.status === 'missing');
    const after = await readMeta(dir);
    if (failed.length) {
      const kept = failed.filter(([e]) => after?.ecosystems[e]).map(([e]) => e);
      const lost = failed.filter(([e]) => !after?.ecosystems[e]).map(([e]) => e);
      const parts = [
        ...(kept.length ? [`using the existing data for ${kept.join(', ')} (${describeAge(after, now)})`] : []),
        ...(lost.length ? [`no DB for ${lost.join(', ')}: their CVEs are not counted; ${HOW_TO_GET_A_DB}`] : []),
      ];
      warnings.push(`cannot update the OSV data from ${opts.source.url} (${failed[0]![1].error}); ${parts.join('; ')}`);
    }
    if (missing.length) warnings.push(`the OSV source ${opts.source.url} has no data for ${missing.map(([e]) => e).join(', ')}; their CVEs are not counted`);
  }
  const final = update ? await readMeta(dir) : meta;
  const present = wanted.filter((e) => final?.ecosystems[e]);
  const absent = wanted.filter((e) => !final?.ecosystems[e]);
  if (opts.source.offline && isRemote(opts.source) && absent.length && final) {
    warnings.push(`offline: no DB for ${absent.join(', ')}: their CVEs are not counted; ${HOW_TO_GET_A_DB}`);
  }
  return { warnings, present, absent, ...(update ? { update } : {}) };
}
