/**
 * The side-by-side comparison users otherwise fill in by hand: size, layers, packages, CVEs by
 * severity, shell?, package manager?, root?, setuid files, audit grade — with reductions against
 * the first image. Each image is read by the audit (which also counts uncompressed bytes), the
 * SBOM, and the scan: with an OSV source given, the ecosystems the images contain are fetched or
 * refreshed first; without a DB the CVE cells say `no DB`, never 0.
 */
import { auditImage, type AuditResult } from '../analyze/audit/index.ts';
import { sbomFromImage, type Sbom } from '../analyze/sbom.ts';
import { openImage } from '../oci/reference.ts';
import { compressedSize } from '../oci/layer-size.ts';
import { packageInputs } from '../vuln/image.ts';
import { scanPackages, type ScanResult } from '../vuln/scan.ts';
import type { DownloadProgress, OsvSource } from '../vuln/source.ts';
import { DistillError, isDistillError } from '../util/errors.ts';
import type { HistoryEntry } from '../oci/types.ts';
import { showUser } from '../oci/user.ts';

export interface LayerSummary {
  digest: string;
  compressed: number;
  uncompressed: number;
  createdBy?: string;
}

export interface ImageSummary {
  ref: string;
  /** A short label for tables (the tag or file name). */
  label: string;
  digest: string;
  compressed: number;
  /** True when some layer was stored uncompressed (an engine's store) and `compressed` counts it gzipped by distill. */
  compressedByDistill: boolean;
  uncompressed: number;
  layers: LayerSummary[];
  packages: number;
  /** CVEs by severity with totals (fixed / unfixed), or null when no vulnerability database is available. */
  vulnerabilities: (ScanResult['counts'] & { total: number; fixed: number; unfixed: number }) | null;
  /** The DB the counts come from: its date and whether it is stale (records older than 7 days). */
  vulnerabilityDb: { dbDate: string | null; stale: boolean } | null;
  shell: boolean;
  shells: string[];
  packageManager: boolean;
  packageManagers: string[];
  /** From the audit's resolved user (`audit.facts.resolvedUser`). */
  runsAsRoot: boolean | 'unknown';
  user: string;
  setuidFiles: number;
  grade: string;
  score: number;
  distroless: boolean;
  verdict: string;
  audit: AuditResult;
  sbom: Sbom;
  scan: ScanResult | null;
}

export interface Comparison {
  images: ImageSummary[];
  /** Per image after the first: percentage reduction against the first (positive = smaller). */
  reductions: { ref: string; compressed: number; uncompressed: number; packages: number; vulnerabilities: number | null }[];
  /** Why CVEs are missing, when they are. */
  vulnerabilityNote?: string;
  /** One-line warnings of the scans (an unreachable source, a stale DB), de-duplicated. */
  warnings: string[];
}

export interface CompareOptions {
  platform?: string;
  /** OSV database directory (default: the cache's); a missing DB gives "no vulnerability DB". */
  dbDir?: string;
  /** Labels to show instead of the references. */
  labels?: string[];
  /** Fetch or refresh the ecosystems each image needs from this source (offline: never). */
  update?: OsvSource;
  onProgress?: (p: DownloadProgress) => void;
}

function labelOf(ref: string): string {
  const m = /([^/:]+)(?::([^/:]+))?$/.exec(ref.replace(/^[a-z-]+:/, ''));
  return m ? (m[2] ? `${m[1]}:${m[2]}` : m[1]!) : ref;
}

/** Layer history entries that produced a layer (empty_layer ones are skipped). */
function layerHistory(history: HistoryEntry[] | undefined, n: number): (string | undefined)[] {
  const h = (history ?? []).filter((e) => !e.empty_layer);
  return Array.from({ length: n }, (_, i) => h[i]?.created_by);
}

const pct = (a: number, b: number) => (a === 0 ? 0 : Math.round(((a - b) / a) * 1000) / 10);

/** Summarises one image (opened from `ref`). */
export async function summarise(ref: string, opts: CompareOptions & { label?: string } = {}): Promise<ImageSummary & { noDbReason?: string }> {
  const image = await openImage(ref, { platform: opts.platform });
  const manifest = await image.manifest();
  const config = await image.config();
  const audit = await auditImage(image, { reference: ref });
  const sbom = await sbomFromImage(image, ref);
  let scan: ScanResult | null = null;
  let noDbReason: string | undefined;
  try {
    scan = await scanPackages(packageInputs(sbom).inputs, {
      ...(opts.dbDir ? { dbDir: opts.dbDir } : {}),
      ...(opts.update ? { update: opts.update } : {}),
      ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
    });
  } catch (e) {
    if (!isDistillError(e, 'E_NO_DB')) throw e;
    noDbReason = e.message;
  }
  const created = layerHistory(config.history, manifest.layers.length);
  // One at a time: an engine's plain-tar layers are gzipped to be measured, which is CPU-bound.
  const stored: { bytes: number; gzipped: boolean }[] = [];
  for (const l of await image.layers()) stored.push(await compressedSize(l));
  const layers = manifest.layers.map((l, i) => ({ digest: l.digest, compressed: stored[i]?.bytes ?? l.size, uncompressed: audit.layerTarBytes[i] ?? 0, ...(created[i] ? { createdBy: created[i] } : {}) }));
  return {
    ref,
    label: opts.label ?? labelOf(ref),
    digest: audit.digest,
    compressed: layers.reduce((n, l) => n + l.compressed, 0),
    compressedByDistill: stored.some((l) => l.gzipped),
    uncompressed: layers.reduce((n, l) => n + l.uncompressed, 0),
    layers,
    packages: sbom.packages.length,
    vulnerabilities: scan ? { ...scan.counts, ...scan.totals } : null,
    vulnerabilityDb: scan?.db ? { dbDate: scan.db.dbDate, stale: scan.db.stale } : null,
    shell: audit.facts.shells.length > 0,
    shells: audit.facts.shells,
    packageManager: audit.facts.packageManagers.length > 0,
    packageManagers: audit.facts.packageManagers,
    runsAsRoot: audit.facts.runsAsRoot,
    user: audit.facts.user,
    setuidFiles: audit.facts.setuidFiles,
    grade: audit.grade,
    score: audit.score,
    distroless: audit.distroless,
    verdict: audit.verdict,
    audit,
    sbom,
    scan,
    ...(noDbReason ? { noDbReason } : {}),
  };
}

/** Compares images; the first is the baseline for reductions. */
export async function compareImages(refs: string[], opts: CompareOptions = {}): Promise<Comparison> {
  if (refs.length < 1) throw new DistillError('distill compare', 'name at least one image', { code: 'E_USAGE' });
  const images: ImageSummary[] = [];
  let noDbReason: string | undefined;
  for (const [i, ref] of refs.entries()) {
    const { noDbReason: why, ...im } = await summarise(ref, { ...opts, label: opts.labels?.[i] });
    noDbReason ??= why;
    images.push(im);
  }
  const [first] = images;
  const reductions = images.slice(1).map((im) => ({
    ref: im.ref,
    compressed: pct(first!.compressed, im.compressed),
    uncompressed: pct(first!.uncompressed, im.uncompressed),
    packages: pct(first!.packages, im.packages),
    vulnerabilities: first!.vulnerabilities && im.vulnerabilities ? pct(first!.vulnerabilities.total, im.vulnerabilities.total) : null,
  }));
  const noDb = images.some((im) => im.vulnerabilities === null);
  const warnings = [...new Set(images.flatMap((im) => im.scan?.warnings ?? []))];
  return { images, reductions, warnings, ...(noDb ? { vulnerabilityNote: `CVEs not counted: ${noDbReason ?? 'no DB'}` } : {}) };
}

/** The "runs as root?" cell, from the audit's resolved user: yes, no (user U), or unknown (why). */
export function rootCell(im: Pick<ImageSummary, 'audit'>): string {
  const u = im.audit.facts.resolvedUser;
  const user = u.raw === '' ? 'unset' : showUser(u.raw);
  if (u.root === 'unknown') return `unknown (user ${user}: ${u.reason})`;
  return u.root ? (u.raw === '' ? 'yes' : `yes (user ${user})`) : `no (user ${user})`;
}

/** The rows of the comparison table: metric name, then one cell per image. */
export function comparisonRows(c: Comparison, fmt: { bytes: (n: number) => string }): string[][] {
  const yes = (b: boolean | 'unknown', what?: string[]) => (b === 'unknown' ? 'unknown' : b ? `yes${what?.length ? ` (${what.slice(0, 2).map((p) => p.slice(p.lastIndexOf('/') + 1)).join(', ')}${what.length > 2 ? ', …' : ''})` : ''}` : 'no');
  const red = (i: number, key: 'compressed' | 'uncompressed' | 'packages' | 'vulnerabilities') => {
    if (i === 0) return '';
    const v = c.reductions[i - 1]![key];
    return v === null ? '' : ` (${v >= 0 ? '-' : '+'}${Math.abs(v)}%)`;
  };
  const stale = (im: ImageSummary) => (im.vulnerabilityDb?.stale ? ' (stale DB)' : '');
  const vulns = (im: ImageSummary, f: (v: NonNullable<ImageSummary['vulnerabilities']>) => string) => (im.vulnerabilities ? f(im.vulnerabilities) + stale(im) : 'no DB');
  const rows: [string, (im: ImageSummary, i: number) => string][] = [
    ['size (compressed)', (im, i) => fmt.bytes(im.compressed) + (im.compressedByDistill ? ' (gzipped here)' : '') + red(i, 'compressed')],
    ['size (uncompressed)', (im, i) => fmt.bytes(im.uncompressed) + red(i, 'uncompressed')],
    ['layers', (im) => String(im.layers.length)],
    ['packages', (im, i) => String(im.packages) + red(i, 'packages')],
    ['critical CVEs', (im) => vulns(im, (v) => String(v.critical))],
    ['total CVEs', (im, i) => vulns(im, (v) => String(v.total)) + (im.vulnerabilities ? red(i, 'vulnerabilities') : '')],
    ['CVEs by severity', (im) => vulns(im, (v) => `C${v.critical} H${v.high} M${v.medium} L${v.low} U${v.unknown} (${v.unfixed} unfixed)`)],
    ['shell?', (im) => yes(im.shell, im.shells)],
    ['package manager?', (im) => yes(im.packageManager, im.packageManagers)],
    ['runs as root?', rootCell],
    ['setuid files', (im) => String(im.setuidFiles)],
    ['audit grade', (im) => `${im.grade} (${im.score})`],
  ];
  return rows.map(([name, f]) => [name, ...c.images.map((im, i) => f(im, i))]);
}

/** The comparison as a Markdown table. */
export function comparisonMarkdown(c: Comparison, bytes: (n: number) => string): string {
  const head = ['', ...c.images.map((im) => `\`${im.label}\``)];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  // A `|` inside a cell would split it (the image user comes from an untrusted image).
  for (const r of comparisonRows(c, { bytes })) lines.push(`| ${r.map((cell) => cell.replace(/\|/g, '\\|')).join(' | ')} |`);
  if (c.vulnerabilityNote) lines.push('', `_${c.vulnerabilityNote}_`);
  return lines.join('\n') + '\n';
}
