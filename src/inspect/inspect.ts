/**
 * `inspectImage`: what an image is made of, from one streaming pass over its layers — run config
 * (with a plain answer to "does it run as root?", from the image's own /etc/passwd), each layer with its size, history line and
 * file changes, totals, efficiency (honest wasted bytes) and the largest files.
 */
import type { Image } from '../oci/image.ts';
import { platformString, type HistoryEntry } from '../oci/types.ts';
import { efficiency, largestFiles } from '../analyze/efficiency.ts';
import { walkImage, type WalkOptions } from '../layers/filesystem.ts';
import { userFilesCollector } from '../analyze/user-files.ts';
import { resolveUser, type UserResolution } from '../oci/user.ts';
import { maskEnv, maskText } from '../util/mask.ts';

export interface InspectLayer {
  index: number;
  digest: string;
  diffId: string;
  mediaType: string;
  /** Stored (compressed) size. */
  size: number;
  /** Bytes of the uncompressed tar. */
  uncompressedSize: number;
  fileBytes: number;
  /** `created_by` of the history entry of this layer (history entries with empty_layer skipped); null when unknown. */
  createdBy: string | null;
  added: number;
  modified: number;
  removed: number;
  wastedBytes: number;
}

export interface InspectReport {
  schemaVersion: 1;
  reference: string | null;
  digest: string;
  mediaType: string | null;
  platform: string;
  created: string | null;
  config: {
    user: string;
    /** Whether the uid is 0 ('unknown' when it cannot be known), from `resolvedUser`. */
    runsAsRoot: boolean | 'unknown';
    /** `User` resolved against the image's /etc/passwd and /etc/group (src/oci/user.ts). */
    resolvedUser: UserResolution;
    entrypoint: string[] | null;
    cmd: string[] | null;
    env: string[];
    exposedPorts: string[];
    workdir: string | null;
    labels: Record<string, string>;
    stopSignal: string | null;
  };
  layers: InspectLayer[];
  totals: {
    layers: number;
    /** Sum of stored layer sizes (what a pull downloads, config and manifest aside). */
    compressedSize: number;
    uncompressedSize: number;
    /** Entries of the final filesystem (directories included) and regular files among them. */
    entries: number;
    files: number;
    /** Bytes of the regular files of the final filesystem. */
    finalFileBytes: number;
  };
  efficiency: {
    score: number;
    totalFileBytes: number;
    wastedBytes: number;
    wasted: { path: string; count: number; bytes: number }[];
  };
  largestFiles: { path: string; size: number; layerIndex: number }[];
  warnings: string[];
}

/** History entries of non-empty layers, in order; undefined when they cannot be matched. */
function layerHistory(history: HistoryEntry[] | undefined, layers: number): (HistoryEntry | undefined)[] {
  const h = (history ?? []).filter((e) => !e.empty_layer);
  // Without a one-to-one match a guess would attribute commands to the wrong layers.
  if (h.length !== layers) return Array.from({ length: layers }, () => undefined);
  return h;
}

export interface InspectOptions {
  reference?: string;
  top?: number;
  walk?: Pick<WalkOptions, 'maxEntrySize'>;
}

/** Inspects an image in one pass over its layers. */
export async function inspectImage(image: Image, opts: InspectOptions = {}): Promise<InspectReport> {
  const [manifest, config, digest, layers] = await Promise.all([image.manifest(), image.config(), image.digest(), image.layers()]);
  const users = userFilesCollector();
  const fs = await walkImage(image, { ...opts.walk, ...users.walk });
  const resolvedUser = resolveUser(config.config?.User, users.files(fs));
  const hist = layerHistory(config.history, layers.length);
  const rc = config.config ?? {};
  const top = opts.top ?? 20;
  let files = 0;
  let finalFileBytes = 0;
  for (const e of fs.entries.values()) {
    if (e.type === 'file') {
      files++;
      finalFileBytes += e.size;
    }
  }
  const warnings = [...fs.warnings];
  if (config.history && hist.every((h) => h === undefined) && layers.length > 0) {
    warnings.push(`history has ${config.history.filter((e) => !e.empty_layer).length} non-empty entries for ${layers.length} layers; created-by not shown`);
  }
  const eff = efficiency(fs, top);
  return {
    schemaVersion: 1,
    reference: opts.reference ?? null,
    digest,
    mediaType: manifest.mediaType ?? null,
    platform: platformString({ os: config.os, architecture: config.architecture, ...(config.variant ? { variant: config.variant } : {}) }),
    created: config.created ?? null,
    config: {
      user: rc.User ?? '',
      runsAsRoot: resolvedUser.root,
      resolvedUser,
      entrypoint: rc.Entrypoint ?? null,
      cmd: rc.Cmd ?? null,
      // Secrets are masked as audit masks them, in text and JSON alike.
      env: (rc.Env ?? []).map(maskEnv),
      exposedPorts: Object.keys(rc.ExposedPorts ?? {}).sort(),
      workdir: rc.WorkingDir || null,
      labels: rc.Labels ?? {},
      stopSignal: rc.StopSignal ?? null,
    },
    layers: fs.layers.map((s, i) => ({
      index: i,
      digest: s.digest,
      diffId: s.diffId,
      mediaType: layers[i]!.mediaType,
      size: layers[i]!.size,
      uncompressedSize: s.tarBytes,
      fileBytes: s.fileBytes,
      createdBy: hist[i]?.created_by === undefined ? null : maskText(hist[i]!.created_by!),
      added: s.added,
      modified: s.modified,
      removed: s.removed,
      wastedBytes: s.wastedBytes,
    })),
    totals: {
      layers: layers.length,
      compressedSize: layers.reduce((a, l) => a + l.size, 0),
      uncompressedSize: fs.layers.reduce((a, l) => a + l.tarBytes, 0),
      entries: fs.entries.size,
      files,
      finalFileBytes,
    },
    efficiency: { ...eff, wasted: eff.wasted.map((w) => ({ ...w, path: `/${w.path}` })) },
    largestFiles: largestFiles(fs, top).map((e) => ({ path: `/${e.path}`, size: e.size, layerIndex: e.layerIndex })),
    warnings,
  };
}
