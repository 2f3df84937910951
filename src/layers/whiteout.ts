/**
 * OCI whiteouts (image-spec layer.md): `DIR/.wh.NAME` deletes NAME from lower layers, and
 * `DIR/.wh..wh..opq` makes DIR opaque (everything lower layers put under it is hidden).
 * Whiteouts only ever apply to lower layers, never to entries of their own layer.
 */
export const WHITEOUT_PREFIX = '.wh.';
export const OPAQUE = '.wh..wh..opq';

export type Whiteout =
  | { kind: 'remove'; target: string }
  | { kind: 'opaque'; dir: string }
  /** `.wh.`, `.wh..`, `.wh...`: would whiteout the directory itself or its parent; an error, never a file. */
  | { kind: 'invalid'; path: string };

/** What a normalised path means as a whiteout, or undefined for an ordinary entry. */
/** The error for a whiteout entry that names no file (`.wh.`, `.wh..`, `.wh...`). */
export function invalidWhiteoutMessage(path: string): string {
  return `whiteout ${JSON.stringify(path)} names no file (it would delete its own directory or the parent)`;
}

/** What a normalised path means as a whiteout, or undefined for an ordinary entry. */
export function parseWhiteout(path: string): Whiteout | undefined {
  const slash = path.lastIndexOf('/');
  const base = path.slice(slash + 1);
  if (!base.startsWith(WHITEOUT_PREFIX)) return undefined;
  const dir = slash === -1 ? '' : path.slice(0, slash);
  if (base === OPAQUE) return { kind: 'opaque', dir };
  const name = base.slice(WHITEOUT_PREFIX.length);
  // `.wh.` alone or `.wh..`/`.wh...` would whiteout the directory itself or its parent.
  if (name === '' || name === '.' || name === '..') return { kind: 'invalid', path };
  return { kind: 'remove', target: dir ? `${dir}/${name}` : name };
}
