/**
 * The user the runtime image runs as. A non-root USER the author chose is kept; only root (or no
 * USER at all) becomes the distroless nonroot user 65532. A distroless base has no passwd entry
 * for the author's names, so a name is written as the uid it stands for: one the Dockerfile
 * creates (`useradd -u 1001 app`, `adduser --uid 1001 app`), one the base image documents
 * (`node` is 1000 in the node images, `app` 1654 in .NET 8+), else 65532 with the reason.
 */
import { splitImage } from '../oci/docker-ref.ts';
import { joinPath, runCommands, stageChain } from '../dockerfile/parse.ts';
import type { Stage } from '../dockerfile/model.ts';

/** The distroless nonroot user and group, by number so Kubernetes runAsNonRoot can verify it. */
export const NONROOT = '65532:65532';

/** The runtime user: `uid[:gid]` as it goes on the USER line, and why when it differs from the input. */
export interface RuntimeUser {
  user: string;
  /** Why the USER differs from what the author wrote (null when kept as written). */
  note: string | null;
}

/** Users the official images create, by image name: uid and gid. */
const IMAGE_USERS: { image: RegExp; tag?: RegExp; name: string; id: string }[] = [
  { image: /(^|\/)node$/, name: 'node', id: '1000:1000' },
  { image: /^mcr\.microsoft\.com\/dotnet\//, tag: /^([89]|[1-9]\d)\./, name: 'app', id: '1654:1654' },
  { image: /(^|\/)(gradle)$/, name: 'gradle', id: '1000:1000' },
  { image: /^(gcr\.io\/distroless|cgr\.dev\/chainguard)\//, name: 'nonroot', id: '65532:65532' },
];

/** Names the stage chain creates with an explicit id: users (useradd/adduser -u) and groups (groupadd/addgroup -g). */
function createdIds(stage: Stage): { users: Map<string, string>; groups: Map<string, string> } {
  const users = new Map<string, string>();
  const groups = new Map<string, string>();
  for (const st of stageChain(stage)) {
    for (const i of st.instructions) {
      if (i.keyword !== 'RUN') continue;
      for (const c of runCommands(i)) {
        const tool = c.argv[0] ?? '';
        const isUser = tool === 'useradd' || tool === 'adduser';
        const isGroup = tool === 'groupadd' || tool === 'addgroup';
        if (!isUser && !isGroup) continue;
        const idFlags = isUser ? ['-u', '--uid'] : ['-g', '--gid'];
        let id: string | undefined;
        const names: string[] = [];
        for (let k = 1; k < c.argv.length; k++) {
          const w = c.argv[k]!;
          const eq = /^(--uid|--gid)=(\d+)$/.exec(w);
          if (eq && idFlags.includes(eq[1]!)) id = eq[2];
          else if (idFlags.includes(w)) id = c.argv[++k];
          else if (/^-/.test(w)) {
            // Flags with a value: skip it so it is not read as the name.
            if (/^(-[gGdsckKpefh]|--(gid|groups|home|home-dir|shell|comment|gecos|ingroup|group|key|password|expiredate|firstuid|lastuid))$/.test(w)) k++;
          } else names.push(w);
        }
        // `adduser NAME GROUP` adds an existing user to a group; only the first word is created.
        const name = names[0];
        if (!name || !id || !/^\d+$/.test(id)) continue;
        (isUser ? users : groups).set(name, id);
      }
    }
  }
  return { users, groups };
}

/** The uid or gid a USER word stands for, or null when it cannot be told. */
function idOf(word: string, created: Map<string, string>, baseImage: string, kind: 'user' | 'group'): string | null {
  if (/^\d+$/.test(word)) return String(Number(word));
  const made = created.get(word);
  if (made) return made;
  const { name, tag } = splitImage(baseImage);
  const known = IMAGE_USERS.find((u) => u.image.test(name) && (!u.tag || u.tag.test(tag ?? '')) && u.name === word);
  if (known) return kind === 'user' ? known.id.split(':')[0]! : known.id.split(':')[1]!;
  return null;
}

/** The USER the runtime image gets, from the final stage's (inherited) USER. */
export function runtimeUser(final: Stage): RuntimeUser {
  const written = final.config.user?.trim();
  if (!written) return { user: NONROOT, note: `USER ${NONROOT} added: without USER the image runs as root; numeric so Kubernetes runAsNonRoot can verify it` };
  const [u = '', g] = written.split(':');
  const created = createdIds(final);
  const uid = idOf(u, created.users, final.baseImage, 'user');
  if (u === 'root' || uid === '0') return { user: NONROOT, note: `USER ${written} -> ${NONROOT}: root is replaced by the distroless nonroot user, numeric so Kubernetes runAsNonRoot can verify it` };
  if (uid === null) return { user: NONROOT, note: `USER ${written} -> ${NONROOT}: the distroless base has no passwd entry for \`${u}\` and the Dockerfile does not say its uid, so the distroless nonroot user is used` };
  // A name's primary group comes from passwd, which distroless lacks: its group (of the same
  // name, else the uid) is written out so the process keeps the gid it had.
  const named = !/^\d+$/.test(u);
  const gid = g !== undefined ? idOf(g, created.groups, final.baseImage, 'group') : named ? (idOf(u, created.groups, final.baseImage, 'group') ?? uid) : undefined;
  const user = gid === undefined ? uid : `${uid}:${gid ?? uid}`;
  if (user === written) return { user, note: null };
  return { user, note: `USER ${written} -> ${user}: the author's non-root user kept, by number (the distroless base has no passwd entry for its name)` };
}

/** Paths the app writes at run time, as the Dockerfile says it: the targets of `chown` in the final stage and the stages it is built FROM. */
export function writablePaths(final: Stage): string[] {
  const out: string[] = [];
  for (const st of stageChain(final)) {
    for (const i of st.instructions) {
      if (i.keyword !== 'RUN') continue;
      for (const c of runCommands(i)) {
        if (c.argv[0] !== 'chown') continue;
        const words = c.argv.slice(1).filter((w) => !w.startsWith('-'));
        for (const p of words.slice(1)) {
          const abs = joinPath(i.workdir, p);
          if (abs !== '/' && !/[*?$]/.test(abs) && !out.includes(abs)) out.push(abs);
        }
      }
    }
  }
  return out;
}
