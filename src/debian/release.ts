/**
 * A repository's `dists/SUITE/InRelease`: fetched, its cleartext OpenPGP signature verified with
 * openpgp against the repository's keyring (Signed-By, `--keyring`, or the Debian archive
 * keyring), then parsed into the SHA256 list that every index downloaded later is checked against.
 * Freshness (Valid-Until) is checked per policy: snapshot mirrors serve expired files on purpose,
 * so the default only warns.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import * as openpgp from 'openpgp';
import { asDistillError, DistillError } from '../util/errors.ts';
import { fetchText, type FetchOptions } from '../util/fetch.ts';
import { field, parseControl, type ControlFields } from './control.ts';
import type { Repository } from './sources.ts';

/** The keyring Debian installs for its archive; used when a source names none. */
export const DEFAULT_KEYRING = '/usr/share/keyrings/debian-archive-keyring.gpg';

/** One file the Release lists, with the size and SHA256 it signs. */
export interface ReleaseFile {
  path: string;
  size: number;
  sha256: string;
}

/** A verified InRelease. */
export interface Release {
  /** Where it came from. */
  url: string;
  repo: Repository;
  /** The signed fields (Origin, Suite, Codename, Date, ...). */
  fields: ControlFields;
  suite?: string;
  codename?: string;
  date?: Date;
  validUntil?: Date;
  /** SHA256 section: path relative to `dists/SUITE/` to size and hash. */
  files: Map<string, ReleaseFile>;
  /** Whether the archive serves indexes under `by-hash/SHA256/<hex>` too. */
  acquireByHash: boolean;
  /** Key ids (hex) whose signatures verified. */
  signers: string[];
  /** sha256 hex of the InRelease file as fetched. */
  sha256: string;
}

/** What to do with an expired (Valid-Until in the past) or future-dated Release. */
export type FreshnessPolicy = 'enforce' | 'warn' | 'ignore';

/** Options of `fetchRelease`. */
export interface ReleaseOptions {
  /** Keyring file overriding the source's Signed-By (`--keyring`). */
  keyring?: string;
  /** Default 'warn'. */
  freshness?: FreshnessPolicy;
  /** Clock for freshness checks (tests). */
  now?: Date;
  onWarning?: (message: string) => void;
  fetch?: FetchOptions;
}

const keyringCache = new Map<string, Promise<openpgp.Key[]>>();

/** Reads an OpenPGP keyring file, binary (`.gpg`) or ASCII-armored (`.asc`). */
export function loadKeyring(path: string): Promise<openpgp.Key[]> {
  let p = keyringCache.get(path);
  if (!p) {
    p = (async () => {
      if (!existsSync(path)) throw new DistillError(path, 'keyring not found (install debian-archive-keyring or pass --keyring FILE)', { code: 'E_NOT_FOUND' });
      const bytes = readFileSync(path);
      try {
        const keys = bytes.subarray(0, 64).toString('latin1').includes('-----BEGIN PGP')
          ? await openpgp.readKeys({ armoredKeys: bytes.toString('utf8') })
          : await openpgp.readKeys({ binaryKeys: new Uint8Array(bytes) });
        if (keys.length === 0) throw new Error('no keys in file');
        return keys;
      } catch (e) {
        throw new DistillError(path, `cannot read keyring: ${e instanceof Error ? e.message : String(e)}`, { code: 'E_INPUT' });
      }
    })();
    keyringCache.set(path, p);
    p.catch(() => keyringCache.delete(path));
  }
  return p;
}

/**
 * Verifies a cleartext-signed InRelease against `keys`; returns the signed text and the key ids
 * whose signatures verified. Throws a DistillError naming `url` on any failure.
 */
export async function verifyInRelease(text: string, keys: openpgp.Key[], url: string): Promise<{ text: string; signers: string[] }> {
  let message;
  try {
    message = await openpgp.readCleartextMessage({ cleartextMessage: text });
  } catch (e) {
    throw new DistillError(url, `InRelease is not a cleartext-signed OpenPGP message: ${e instanceof Error ? e.message : String(e)}`, { code: 'E_UNTRUSTED' });
  }
  const result = await openpgp.verify({ message, verificationKeys: keys });
  const signers: string[] = [];
  const failures: string[] = [];
  for (const s of result.signatures) {
    try {
      await s.verified;
      signers.push(s.keyID.toHex());
    } catch (e) {
      failures.push(`${s.keyID.toHex()}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  if (signers.length === 0) {
    const why = failures.length ? failures.join('; ') : 'no signatures';
    throw new DistillError(url, `bad InRelease signature: none verifies against the keyring (${why})`, { code: 'E_UNTRUSTED' });
  }
  return { text: String(result.data), signers };
}

/** Parses a Release's signed text. */
export function parseRelease(text: string, url: string, repo: Repository): Omit<Release, 'signers' | 'sha256'> {
  let paragraphs;
  try {
    paragraphs = parseControl(text, url);
  } catch (e) {
    throw asDistillError(e, url);
  }
  if (paragraphs.length !== 1) throw new DistillError(url, `expected one Release paragraph, found ${paragraphs.length}`, { code: 'E_INPUT' });
  const fields = paragraphs[0]!;
  const files = new Map<string, ReleaseFile>();
  for (const line of (field(fields, 'SHA256') ?? '').split('\n')) {
    const t = line.trim();
    if (t === '') continue;
    const m = /^([a-f0-9]{64})\s+(\d+)\s+(\S+)$/.exec(t);
    if (!m) throw new DistillError(url, `bad SHA256 line in Release: ${JSON.stringify(t.slice(0, 80))}`, { code: 'E_INPUT' });
    files.set(m[3]!, { sha256: m[1]!, size: Number(m[2]), path: m[3]! });
  }
  if (files.size === 0) throw new DistillError(url, 'Release has no SHA256 section (apt refuses such repositories too)', { code: 'E_UNTRUSTED' });
  const date = parseDate(field(fields, 'Date'), url, 'Date');
  const validUntil = parseDate(field(fields, 'Valid-Until'), url, 'Valid-Until');
  const r: Omit<Release, 'signers' | 'sha256'> = {
    url,
    repo,
    fields,
    files,
    acquireByHash: /^yes$/i.test(field(fields, 'Acquire-By-Hash') ?? ''),
  };
  const suite = field(fields, 'Suite');
  const codename = field(fields, 'Codename');
  if (suite) r.suite = suite;
  if (codename) r.codename = codename;
  if (date) r.date = date;
  if (validUntil) r.validUntil = validUntil;
  return r;
}

/** Fetches, verifies and parses `dists/SUITE/InRelease` of `repo`. */
export async function fetchRelease(repo: Repository, opts: ReleaseOptions = {}): Promise<Release> {
  const url = `${repo.uri}/dists/${repo.suite}/InRelease`;
  const keyringPath = opts.keyring ?? repo.signedBy ?? DEFAULT_KEYRING;
  const [keys, raw] = await Promise.all([loadKeyring(keyringPath), fetchText(url, opts.fetch)]);
  const { text, signers } = await verifyInRelease(raw, keys, url);
  const rel = parseRelease(text, url, repo);
  if (rel.suite !== repo.suite && rel.codename !== repo.suite) {
    // A validly signed Release of another suite must not stand in for the one asked for.
    throw new DistillError(url, `Release is for suite ${rel.suite ?? '?'} (codename ${rel.codename ?? '?'}), not ${repo.suite}`, { code: 'E_UNTRUSTED' });
  }
  checkFreshness(rel, url, opts);
  return { ...rel, signers, sha256: createHash('sha256').update(raw).digest('hex') };
}

function checkFreshness(rel: Omit<Release, 'signers' | 'sha256'>, url: string, opts: ReleaseOptions): void {
  const policy = opts.freshness ?? 'warn';
  if (policy === 'ignore') return;
  const now = opts.now ?? new Date();
  const problems: string[] = [];
  if (rel.validUntil && rel.validUntil.getTime() < now.getTime()) {
    problems.push(`Release expired at ${rel.validUntil.toISOString()} (Valid-Until)`);
  }
  // Allow for clock skew before calling a Date "in the future".
  if (rel.date && rel.date.getTime() > now.getTime() + 10 * 60_000) {
    problems.push(`Release is dated in the future (${rel.date.toISOString()})`);
  }
  if (problems.length === 0) return;
  const msg = problems.join('; ');
  if (policy === 'enforce') throw new DistillError(url, `${msg}; a replayed or stale mirror? (use --release-freshness warn for snapshot mirrors)`, { code: 'E_UNTRUSTED' });
  opts.onWarning?.(`${url}: ${msg}`);
}

function parseDate(v: string | undefined, url: string, name: string): Date | undefined {
  if (!v) return undefined;
  const d = new Date(v.replace(/\bUTC\b/, 'GMT'));
  if (Number.isNaN(d.getTime())) throw new DistillError(url, `unparseable ${name}: ${v}`, { code: 'E_INPUT' });
  return d;
}
