/** Picking one image out of a multi-platform index. */
import { isIndexType, isManifestType } from './mediatypes.ts';
import { parseJson } from './layer.ts';
import { checkDescriptor } from './manifest-image.ts';
import { parsePlatform, platformMatches, platformString, type Descriptor, type Index } from './types.ts';
import { DistillError } from '../util/errors.ts';
import type { Image } from './image.ts';

export const DEFAULT_PLATFORM = 'linux/amd64';

/** Parses and validates index bytes. */
export function parseIndex(raw: Uint8Array, what: string): Index {
  const idx = parseJson<Index>(raw, what);
  if (idx.schemaVersion !== 2) throw new DistillError(what, `unsupported index schemaVersion ${JSON.stringify(idx.schemaVersion)}`, { code: 'E_UNSUPPORTED' });
  if (!Array.isArray(idx.manifests)) throw new DistillError(what, 'index has no manifests array', { code: 'E_INPUT' });
  idx.manifests.forEach((d, i) => checkDescriptor(d, `${what} manifests[${i}]`));
  return idx;
}

/**
 * The manifest descriptor for `platform` in `index`. Attestation manifests (unknown/unknown) are
 * never picked. When nothing matches, the error lists the platforms that exist.
 */
export function selectPlatform(index: Index, platform: string | undefined, what: string): Descriptor {
  const want = parsePlatform(platform ?? DEFAULT_PLATFORM);
  const candidates = index.manifests.filter((d) => isManifestType(d.mediaType) || isIndexType(d.mediaType));
  const match = candidates.find((d) => platformMatches(d.platform, want));
  if (match) return match;
  // An index whose entries carry no platform at all (single-image layouts) — take the only one.
  if (candidates.length === 1 && !candidates[0]!.platform && platform === undefined) return candidates[0]!;
  const have = candidates.map((d) => platformString(d.platform)).filter((p) => p !== 'unknown/unknown');
  throw new DistillError(
    what,
    `no image for platform ${platformString(want)}; available: ${have.length ? [...new Set(have)].join(', ') : 'none'}`,
    { code: 'E_NOT_FOUND' },
  );
}

/**
 * Refuses an image that is not for `platform` when one was asked for: a single-platform image
 * opened with `--platform linux/s390x` must not pass for an s390x one. The variant is compared only
 * when both sides name one, as in index selection.
 */
export async function checkPlatform(image: Image, platform: string | undefined, what: string): Promise<Image> {
  if (platform === undefined) return image;
  const want = parsePlatform(platform);
  const cfg = await image.config();
  const have = { os: cfg.os, architecture: cfg.architecture, ...(cfg.variant ? { variant: cfg.variant } : {}) };
  if (!platformMatches(have, want)) {
    throw new DistillError(what, `the image is for ${platformString(have)}, not the ${platformString(want)} asked for`, { code: 'E_NOT_FOUND' });
  }
  return image;
}
