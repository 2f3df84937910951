/**
 * Pure functions Image -> Image (go-containerregistry's mutate): append layers, change the run
 * config, set `created`, annotate. Nothing is written; the new manifest and config are computed
 * when asked, and layers are shared with the base image.
 */
import { sha256, type Digest } from '../oci/digest.ts';
import type { Image, Layer } from '../oci/image.ts';
import { MediaType } from '../oci/mediatypes.ts';
import type { HistoryEntry, ImageConfig, Manifest, RunConfig } from '../oci/types.ts';

export interface Addendum {
  layer: Layer;
  history?: HistoryEntry;
}

type Edit = {
  layers?: Addendum[];
  config?: (c: ImageConfig) => ImageConfig;
  annotations?: Record<string, string>;
};

/** Docker layer media types mapped to their OCI twins, so mutated images are plain OCI. */
const TO_OCI: Record<string, string> = {
  [MediaType.DockerLayerGzip]: MediaType.OciLayerGzip,
  [MediaType.DockerLayer]: MediaType.OciLayer,
  [MediaType.DockerForeignLayerGzip]: MediaType.OciLayerNondistributableGzip,
};

class MutatedImage implements Image {
  private computed?: Promise<{ config: ImageConfig; rawConfig: Uint8Array; manifest: Manifest; raw: Uint8Array; layers: Layer[] }>;

  constructor(
    private readonly base: Image,
    private readonly edit: Edit,
  ) {}

  private compute() {
    this.computed ??= (async () => {
      const baseLayers = await this.base.layers();
      const baseManifest = await this.base.manifest();
      let config: ImageConfig = structuredClone(await this.base.config());
      const added = this.edit.layers ?? [];
      if (added.length) {
        config.rootfs = { type: 'layers', diff_ids: [...config.rootfs.diff_ids, ...added.map((a) => a.layer.diffId)] };
        const history = config.history ? [...config.history] : [];
        for (const a of added) history.push(a.history ?? { created: config.created, created_by: 'distill' });
        config.history = history;
      }
      if (this.edit.config) config = this.edit.config(config);
      const rawConfig = Buffer.from(JSON.stringify(config));
      const layers = [...baseLayers, ...added.map((a) => a.layer)];
      const annotations = { ...(baseManifest.annotations ?? {}), ...(this.edit.annotations ?? {}) };
      const manifest: Manifest = {
        schemaVersion: 2,
        mediaType: MediaType.OciManifest,
        config: { mediaType: MediaType.OciConfig, digest: sha256(rawConfig), size: rawConfig.length },
        layers: layers.map((l) => ({ mediaType: TO_OCI[l.mediaType] ?? l.mediaType, digest: l.digest, size: l.size })),
        ...(Object.keys(annotations).length ? { annotations } : {}),
      };
      const raw = Buffer.from(JSON.stringify(manifest));
      return { config, rawConfig, manifest, raw, layers };
    })();
    return this.computed;
  }

  async manifest() {
    return (await this.compute()).manifest;
  }
  async rawManifest() {
    return (await this.compute()).raw;
  }
  async digest(): Promise<Digest> {
    return sha256((await this.compute()).raw);
  }
  async config() {
    return structuredClone((await this.compute()).config);
  }
  async rawConfig() {
    return (await this.compute()).rawConfig;
  }
  async layers() {
    return (await this.compute()).layers;
  }
}

/** A new image with `adds` appended on top of `base`. */
export function appendLayers(base: Image, ...adds: Addendum[]): Image {
  return new MutatedImage(base, { layers: adds });
}

/** A new image whose whole config is `fn(config)` (history and rootfs included). */
export function editConfig(base: Image, fn: (c: ImageConfig) => ImageConfig): Image {
  return new MutatedImage(base, { config: fn });
}

/** Fields of the run config a caller may set; `undefined` leaves a field as it is. */
export interface RunConfigPatch {
  user?: string;
  entrypoint?: string[] | null;
  cmd?: string[] | null;
  env?: Record<string, string>;
  workdir?: string;
  labels?: Record<string, string>;
  exposedPorts?: string[];
  stopSignal?: string;
}

/** Merges `env` into a Docker-style `KEY=value` list, replacing keys that exist. */
export function mergeEnv(list: string[] | undefined, env: Record<string, string>): string[] {
  const out = [...(list ?? [])];
  for (const [k, v] of Object.entries(env)) {
    const i = out.findIndex((e) => e.split('=', 1)[0] === k);
    if (i >= 0) out[i] = `${k}=${v}`;
    else out.push(`${k}=${v}`);
  }
  return out;
}

/** A new image with run-config fields set (user, entrypoint, cmd, env, workdir, labels, ports). */
export function setConfig(base: Image, patch: RunConfigPatch): Image {
  return editConfig(base, (c) => {
    const rc: RunConfig = { ...(c.config ?? {}) };
    if (patch.user !== undefined) rc.User = patch.user;
    if (patch.entrypoint !== undefined) rc.Entrypoint = patch.entrypoint;
    // Docker resets Cmd when Entrypoint changes; follow it so an old Cmd is not fed to a new binary.
    if (patch.entrypoint !== undefined && patch.cmd === undefined) rc.Cmd = null;
    if (patch.cmd !== undefined) rc.Cmd = patch.cmd;
    if (patch.env) rc.Env = mergeEnv(rc.Env, patch.env);
    if (patch.workdir !== undefined) rc.WorkingDir = patch.workdir;
    if (patch.labels) rc.Labels = { ...(rc.Labels ?? {}), ...patch.labels };
    if (patch.exposedPorts) {
      rc.ExposedPorts = { ...(rc.ExposedPorts ?? {}) };
      for (const p of patch.exposedPorts) rc.ExposedPorts[p.includes('/') ? p : `${p}/tcp`] = {};
    }
    if (patch.stopSignal !== undefined) rc.StopSignal = patch.stopSignal;
    return { ...c, config: rc };
  });
}

/** The timestamp reproducible builds use: SOURCE_DATE_EPOCH if set, else the Unix epoch. */
export function reproducibleTime(env: NodeJS.ProcessEnv = process.env): Date {
  const s = env.SOURCE_DATE_EPOCH;
  if (s !== undefined && /^\d+$/.test(s.trim())) return new Date(Number(s.trim()) * 1000);
  return new Date(0);
}

/** A new image whose `created` (and every history entry's) is `when`. */
export function setCreated(base: Image, when: Date = reproducibleTime()): Image {
  const iso = when.toISOString().replace(/\.000Z$/, 'Z');
  return editConfig(base, (c) => ({
    ...c,
    created: iso,
    ...(c.history ? { history: c.history.map((h) => ({ ...h, created: iso })) } : {}),
  }));
}

/** A new image with manifest annotations added. */
export function annotate(base: Image, annotations: Record<string, string>): Image {
  return new MutatedImage(base, { annotations });
}

/** An image with no layers (FROM scratch) for `platform`. */
export function emptyImage(platform: { os: string; architecture: string; variant?: string } = { os: 'linux', architecture: 'amd64' }): Image {
  const config: ImageConfig = {
    architecture: platform.architecture,
    os: platform.os,
    ...(platform.variant ? { variant: platform.variant } : {}),
    config: {},
    rootfs: { type: 'layers', diff_ids: [] },
  };
  const rawConfig = Buffer.from(JSON.stringify(config));
  const manifest: Manifest = {
    schemaVersion: 2,
    mediaType: MediaType.OciManifest,
    config: { mediaType: MediaType.OciConfig, digest: sha256(rawConfig), size: rawConfig.length },
    layers: [],
  };
  const raw = Buffer.from(JSON.stringify(manifest));
  return {
    manifest: async () => structuredClone(manifest),
    rawManifest: async () => raw,
    digest: async () => sha256(raw),
    config: async () => structuredClone(config),
    rawConfig: async () => rawConfig,
    layers: async () => [],
  };
}
