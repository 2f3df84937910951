/**
 * The image's /etc/passwd and /etc/group, read from its merged filesystem so every command
 * resolves `User` (src/oci/user.ts) against the same text: walk hooks for a pass that is made
 * anyway (inspect; audit's collector uses `isUserFile`), and a reader for callers that make none
 * (verify, policy). Only the final version counts, and only a regular file of at most 256 KiB: a
 * symlinked or huge passwd counts as absent, so names stay unresolved rather than guessed.
 */
import type { Image } from '../oci/image.ts';
import { resolveUser, type UserFiles, type UserResolution } from '../oci/user.ts';
import { walkImage, type MergedFs, type WalkOptions } from '../layers/filesystem.ts';

const MAX_USER_FILE = 256 * 1024;

/** Whether an absolute path and size is a passwd/group file the resolver reads. */
export function isUserFile(path: string, size: number): boolean {
  return (path === '/etc/passwd' || path === '/etc/group') && size <= MAX_USER_FILE;
}

/** The passwd/group text among files read by absolute path (audit's collector keeps final versions only). */
export function userFilesFrom(contents: Map<string, Buffer>): UserFiles {
  const passwd = contents.get('/etc/passwd');
  const group = contents.get('/etc/group');
  return { ...(passwd ? { passwd: passwd.toString('utf8') } : {}), ...(group ? { group: group.toString('utf8') } : {}) };
}

/** Hooks that collect passwd/group during a `walkImage` pass, and the final versions once it is done. */
export function userFilesCollector(): { walk: Pick<WalkOptions, 'wantContent' | 'onContent'>; files(fs: MergedFs): UserFiles } {
  const seen = new Map<string, { layer: number; data: Buffer }>();
  return {
    walk: {
      wantContent: (p, e) => isUserFile(`/${p}`, e.size),
      async onContent(p, layer, body) {
        const chunks: Buffer[] = [];
        for await (const c of body) chunks.push(c as Buffer);
        seen.set(`/${p}`, { layer, data: Buffer.concat(chunks) });
      },
    },
    files(fs) {
      const final = new Map<string, Buffer>();
      for (const [p, c] of seen) {
        const e = fs.entries.get(p.slice(1));
        // A later layer may have replaced the file by a symlink or removed it: then it is absent.
        if (e?.type === 'file' && e.layerIndex === c.layer) final.set(p, c.data);
      }
      return userFilesFrom(final);
    },
  };
}

/** The final /etc/passwd and /etc/group of `image`, in one pass over its layers. */
export async function readUserFiles(image: Image): Promise<UserFiles> {
  const c = userFilesCollector();
  return c.files(await walkImage(image, c.walk));
}

/** What user `image` claims to run as: its config `User` resolved against its own passwd/group. */
export async function imageUser(image: Image): Promise<UserResolution> {
  const config = await image.config();
  return resolveUser(config.config?.User, await readUserFiles(image));
}
