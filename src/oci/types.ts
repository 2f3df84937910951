/** The JSON documents of the OCI image spec (and their Docker v2.2 twins), as TypeScript types. */
import type { Digest } from './digest.ts';
import { DistillError } from '../util/errors.ts';

export interface Platform {
  architecture: string;
  os: string;
  variant?: string;
  'os.version'?: string;
  'os.features'?: string[];
}

export interface Descriptor {
  mediaType: string;
  digest: Digest;
  size: number;
  urls?: string[];
  annotations?: Record<string, string>;
  platform?: Platform;
  artifactType?: string;
}

export interface Manifest {
  schemaVersion: 2;
  mediaType?: string;
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
  subject?: Descriptor;
  artifactType?: string;
}

export interface Index {
  schemaVersion: 2;
  mediaType?: string;
  manifests: Descriptor[];
  annotations?: Record<string, string>;
}

export interface HistoryEntry {
  created?: string;
  created_by?: string;
  author?: string;
  comment?: string;
  empty_layer?: boolean;
}

export interface HealthConfig {
  Test?: string[];
  Interval?: number;
  Timeout?: number;
  StartPeriod?: number;
  Retries?: number;
}

/** The runtime part of an image config (`config` in the JSON). */
export interface RunConfig {
  User?: string;
  ExposedPorts?: Record<string, Record<string, never>>;
  Env?: string[];
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  Volumes?: Record<string, Record<string, never>>;
  WorkingDir?: string;
  Labels?: Record<string, string>;
  StopSignal?: string;
  Healthcheck?: HealthConfig;
  Shell?: string[];
  OnBuild?: string[] | null;
}

export interface ImageConfig {
  created?: string;
  author?: string;
  architecture: string;
  os: string;
  variant?: string;
  config?: RunConfig;
  rootfs: { type: 'layers'; diff_ids: Digest[] };
  history?: HistoryEntry[];
  [extra: string]: unknown;
}

/** `linux/amd64`, `linux/arm64/v8` style string of a platform. */
export function platformString(p: Platform | undefined): string {
  if (!p) return 'unknown';
  return [p.os, p.architecture, p.variant].filter(Boolean).join('/');
}

const PLATFORM_PART = /^[a-z0-9][a-z0-9._-]*$/i;

/** Parses `os/arch[/variant]`: two or three non-empty parts of letters, digits, `.`, `_`, `-`. */
export function parsePlatform(s: string): Platform {
  const parts = s.split('/');
  if (parts.length < 2 || parts.length > 3 || !parts.every((p) => PLATFORM_PART.test(p))) {
    throw new DistillError('--platform', `platform must be os/arch[/variant], got ${JSON.stringify(s)}`, { code: 'E_USAGE' });
  }
  const [os, architecture, variant] = parts as [string, string, string?];
  return variant ? { os, architecture, variant } : { os, architecture };
}

/** Whether `have` satisfies the requested platform `want` (variant only compared when asked). */
export function platformMatches(have: Platform | undefined, want: Platform): boolean {
  if (!have) return false;
  if (have.os !== want.os || have.architecture !== want.architecture) return false;
  if (want.variant && have.variant && want.variant !== have.variant) return false;
  return true;
}
