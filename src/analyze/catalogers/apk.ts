/**
 * Alpine packages from `/lib/apk/db/installed`: one stanza per package of single-letter fields
 * (P name, V version, A arch, L license, o origin, F/R file lists we do not need). Hand-written:
 * the format is a handful of `X:value` lines (apk-tools' "installed database").
 */
import { distroQualifier, purl, type CatalogContext, type Cataloger, type Package } from '../package.ts';

export const APK_INSTALLED = '/lib/apk/db/installed';

/** Packages from the text of an apk installed database. */
export function parseApkInstalled(text: string, path: string, ctx: CatalogContext): Package[] {
  const out: Package[] = [];
  let cur: Record<string, string> = {};
  const flush = (): void => {
    const name = cur.P;
    const version = cur.V;
    if (name && version) {
      const arch = cur.A;
      out.push({
        name,
        version,
        type: 'apk',
        purl: purl('apk', ctx.distro?.id ?? 'alpine', name, version, { arch, distro: distroQualifier(ctx.distro) }),
        ...(cur.L ? { licenses: [cur.L] } : {}),
        ...(arch ? { arch } : {}),
        ...(cur.o ? { sourceName: cur.o, sourceVersion: version } : {}),
        locations: [path],
        cataloger: 'apk',
      });
    }
    cur = {};
  };
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (line === '') {
      flush();
      continue;
    }
    if (line.length < 2 || line[1] !== ':') continue;
    const k = line[0]!;
    // File-list letters repeat; only the first value of a package field matters.
    if (!(k in cur)) cur[k] = line.slice(2);
  }
  flush();
  return out;
}

export const apkCataloger: Cataloger = {
  name: 'apk',
  needsDistro: true,
  wants: (path) => path === APK_INSTALLED,
  parse: (path, content, ctx) => parseApkInstalled(content.toString('utf8'), path, ctx),
};
