/**
 * Java archives (.jar, .war, .ear): one package per `META-INF/maven/<group>/<artifact>/pom.properties`
 * (shaded jars carry several), else one from `META-INF/MANIFEST.MF` (Implementation-Title/Version,
 * Bundle-SymbolicName/Version), else from the file name `name-1.2.3.jar`. Nested archives
 * (Spring Boot `BOOT-INF/lib/*.jar`, `WEB-INF/lib/*.jar`) are read recursively, at most 3 deep and
 * 64 MiB each; the outer archive is read whole (up to 512 MiB) because zip needs random access.
 */
import { createRequire } from 'node:module';
import type yauzlTypes from 'yauzl';
import { purl, type CatalogContext, type Cataloger, type Package } from '../package.ts';

const MAX_DEPTH = 3;
const MAX_NESTED = 64 * 1024 * 1024;
const ARCHIVE = /\.(jar|war|ear|jpi|hpi|par|sar|nar|kar|rar)$/i;

/** Parses a JAR manifest's main section: `Key: value` with single-space continuation lines. */
export function parseManifest(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  let last: string | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (line === '') break;
    if (line.startsWith(' ') && last) {
      out[last] += line.slice(1);
      continue;
    }
    const c = line.indexOf(':');
    if (c <= 0) continue;
    last = line.slice(0, c).trim();
    out[last] = line.slice(c + 1).trim();
  }
  return out;
}

/** Parses a Java .properties file (the simple `key=value` subset Maven writes). */
export function parseProperties(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith('!')) continue;
    const m = /^([^=:\s]+)\s*[=:\s]\s*(.*)$/.exec(line);
    if (m) out[m[1]!] = m[2]!;
  }
  return out;
}

interface ZipEntryData {
  name: string;
  data: Buffer;
}

/** Reads the entries a predicate selects from a zip held in memory. */
function readZip(buf: Buffer, want: (name: string, size: number) => boolean): Promise<ZipEntryData[]> {
  // Loaded on the first jar: most images have none.
  const yauzl = createRequire(import.meta.url)('yauzl') as typeof yauzlTypes;
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(buf, { lazyEntries: true, decodeStrings: true, validateEntrySizes: true }, (err, zip) => {
      if (err || !zip) return reject(err ?? new Error('not a zip'));
      const out: ZipEntryData[] = [];
      zip.on('error', reject);
      zip.on('end', () => resolve(out));
      zip.on('entry', (e: yauzlTypes.Entry) => {
        if (e.fileName.endsWith('/') || !want(e.fileName, e.uncompressedSize)) return zip.readEntry();
        zip.openReadStream(e, (err2, s) => {
          if (err2 || !s) return reject(err2 ?? new Error('unreadable entry'));
          const chunks: Buffer[] = [];
          s.on('data', (c: Buffer) => chunks.push(c));
          s.on('error', reject);
          s.on('end', () => {
            out.push({ name: e.fileName, data: Buffer.concat(chunks) });
            zip.readEntry();
          });
        });
      });
      zip.readEntry();
    });
  });
}

function mavenPackage(group: string | undefined, artifact: string, version: string, location: string, extra: Record<string, unknown>, licenses?: string[]): Package {
  return {
    name: group ? `${group}:${artifact}` : artifact,
    version,
    type: 'maven',
    // purl's maven type requires a group; without one we know no more than a generic name.
    purl: group ? purl('maven', group, artifact, version) : purl('generic', undefined, artifact, version),
    ...(licenses ? { licenses } : {}),
    locations: [location],
    cataloger: 'java',
    metadata: { ...(group ? { groupId: group } : {}), artifactId: artifact, ...extra },
  };
}

/** Packages of one archive (and the archives nested in it); `location` is `outer.jar!/inner.jar`. */
export async function parseJar(buf: Buffer, location: string, ctx: CatalogContext, depth = 0): Promise<Package[]> {
  let entries: ZipEntryData[];
  try {
    entries = await readZip(
      buf,
      (n, size) =>
        n === 'META-INF/MANIFEST.MF' ||
        /^META-INF\/maven\/[^/]+\/[^/]+\/pom\.properties$/.test(n) ||
        (depth < MAX_DEPTH && ARCHIVE.test(n) && size <= MAX_NESTED),
    );
  } catch (e) {
    ctx.warn(`${location}: not a readable Java archive (${(e as Error).message})`);
    return [];
  }
  const out: Package[] = [];
  const manifestEntry = entries.find((e) => e.name === 'META-INF/MANIFEST.MF');
  const manifest = manifestEntry ? parseManifest(manifestEntry.data.toString('utf8')) : {};
  const license = manifest['Bundle-License'] ? [manifest['Bundle-License']] : undefined;
  const poms = entries.filter((e) => e.name.endsWith('/pom.properties'));
  for (const pe of poms) {
    const p = parseProperties(pe.data.toString('utf8'));
    if (p.artifactId && p.version) out.push(mavenPackage(p.groupId, p.artifactId, p.version, location, { source: pe.name }, poms.length === 1 ? license : undefined));
  }
  if (!poms.length) {
    const base = location.split('!/').pop()!.split('/').pop()!.replace(ARCHIVE, '');
    const fromName = /^(.+?)-(\d[\w.+-]*)$/.exec(base);
    const title = manifest['Implementation-Title'] ?? manifest['Bundle-Name'];
    const symbolic = manifest['Bundle-SymbolicName']?.split(';')[0]?.trim();
    const version = manifest['Implementation-Version'] ?? manifest['Bundle-Version'] ?? fromName?.[2];
    const artifact = fromName?.[1] ?? title ?? symbolic?.split('.').pop();
    const group =
      manifest['Implementation-Vendor-Id'] ??
      (symbolic && artifact && symbolic.endsWith(`.${artifact}`) ? symbolic.slice(0, -artifact.length - 1) : undefined);
    if (artifact && version) out.push(mavenPackage(group, artifact, version, location, { source: manifestEntry ? 'MANIFEST.MF' : 'file name' }, license));
  }
  for (const e of entries) {
    if (!ARCHIVE.test(e.name)) continue;
    out.push(...(await parseJar(e.data, `${location}!/${e.name}`, ctx, depth + 1)));
  }
  return out;
}

export const javaCataloger: Cataloger = {
  name: 'java',
  maxSize: 512 * 1024 * 1024,
  magic: Buffer.from('PK'),
  wants: (path) => ARCHIVE.test(path),
  parse: (path, content, ctx) => parseJar(content, path, ctx),
};
