/**
 * Parallel, cached .deb downloads. Each .deb is fetched from `<archive root>/<Filename>` and
 * stored content-addressed under the SHA256 the signed Packages index gives; a cached copy is
 * re-hashed on every use, a corrupted one is fetched again (or refused when refetching is off),
 * and a download that still does not match is refused. Progress goes to stderr on a TTY only.
 */
import cliProgress from 'cli-progress';
import pLimit from 'p-limit';
import { asDistillError, DistillError } from '../util/errors.ts';
import { entrySize } from '../util/cache.ts';
import { fetchToCache, type FetchOptions } from '../util/fetch.ts';

/** What a download needs to know about a package (a PackageEntry or a lockfile entry fits). */
export interface DebRef {
  name: string;
  version: string;
  architecture: string;
  /** Path relative to the archive root. */
  filename: string;
  /** sha256 hex. */
  sha256: string;
  size: number;
  /** Archive root. */
  baseUri: string;
}

/** A .deb in the cache, verified against its SHA256. */
export interface DownloadedDeb {
  ref: DebRef;
  path: string;
}

/** Options of `downloadDebs`. */
export interface DownloadOptions {
  /** Parallel downloads (default 6). */
  concurrency?: number;
  /** Progress bar on stderr (default: when stderr is a TTY). */
  progress?: boolean;
  /** Fetch a corrupted cached .deb again (default true); false refuses it instead. */
  refetch?: boolean;
  fetch?: FetchOptions;
  onWarning?: (message: string) => void;
}

/** The URL of a package's .deb. */
export function debUrl(ref: DebRef): string {
  return `${ref.baseUri.replace(/\/+$/, '')}/${ref.filename.replace(/^\/+/, '')}`;
}

/** Downloads (or takes from the cache) every .deb, verified; results in the order of `refs`. */
export async function downloadDebs(refs: readonly DebRef[], opts: DownloadOptions = {}): Promise<DownloadedDeb[]> {
  const limit = pLimit(opts.concurrency ?? 6);
  const showBar = opts.progress ?? Boolean(process.stderr.isTTY);
  const total = refs.reduce((n, r) => n + r.size, 0);
  const bar = showBar
    ? new cliProgress.SingleBar(
        { stream: process.stderr, format: 'downloading .debs [{bar}] {percentage}% | {done}/{count} packages', hideCursor: true, clearOnComplete: true },
        cliProgress.Presets.shades_classic,
      )
    : undefined;
  const perFile = new Map<string, number>();
  let done = 0;
  let value = 0;
  bar?.start(total, 0, { done, count: refs.length });
  const update = (key: string, bytes: number) => {
    value += bytes - (perFile.get(key) ?? 0);
    perFile.set(key, bytes);
    bar?.update(value, { done, count: refs.length });
  };
  let failedEarly = false;
  const results = await Promise.allSettled(
    refs.map((ref) =>
      limit(async (): Promise<DownloadedDeb> => {
        // After one failure the build is lost; queued downloads stop instead of running on.
        if (failedEarly) throw new Error('cancelled');
        const key = `${ref.name}_${ref.version}_${ref.architecture}`;
        const url = debUrl(ref);
        let path: string;
        try {
          path = await fetchToCache(url, 'debs', ref.sha256, {
            ...opts.fetch,
            size: ref.size,
            refetch: opts.refetch ?? true,
            onCorrupt: (p) => opts.onWarning?.(`cached ${key}.deb (${p}) does not match its SHA256; ${opts.refetch === false ? 'refusing it' : 'fetching it again'}`),
            onProgress: (n) => update(key, n),
          });
        } catch (e) {
          failedEarly = true;
          if (e instanceof DistillError && e.input !== url) throw e;
          const msg = e instanceof Error ? e.message : String(e);
          throw asDistillError(e, url).rewrap(url, `${ref.name} ${ref.version}: ${msg}`);
        }
        done++;
        update(key, entrySize('debs', ref.sha256) ?? ref.size);
        return { ref, path };
      }),
    ),
  );
  bar?.stop();
  const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (rejected.length) throw (rejected.find((r) => r.reason instanceof DistillError) ?? rejected[0]!).reason;
  return results.map((r) => (r as PromiseFulfilledResult<DownloadedDeb>).value);
}
