/**
 * The Debian archive and npm registry the tests need, served on loopback. Setup
 * (scripts/prepare-test-images.ts) runs this server in record mode: each request for
 * `/<scheme>/<host>/<path>` (an apt source of this machine) or `/npm/<path>` (npm's configured
 * registry) is fetched upstream once and kept under test-output/mirror/, byte for byte, so the
 * signed InRelease files still verify against the system keyring. Tests run it in replay mode
 * (started by the network guard): recorded files only, anything else is a 404 that names the
 * file and says to record it at setup. npm packuments name their tarballs by the upstream URL, so
 * replay rewrites that prefix to its own.
 *
 * Hand-written (no library): a few dozen lines of node:http, in plain JavaScript so the guard,
 * which node children load without a TypeScript loader, can start it.
 */
import { createReadStream, createWriteStream, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, join, normalize } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** The file naming the npm registry a recording was made from (absent: npm was not recorded). */
const NPM_UPSTREAM = 'npm-upstream.txt';

/** Where setup records and tests replay, under the checkout. */
export function mirrorDir(root) {
  return join(root, 'test-output', 'mirror');
}

/** The recorded file for a request path, or undefined when the path leaves the mirror. */
function fileOf(dir, urlPath) {
  const p = normalize(decodeURIComponent(urlPath.split('?')[0]));
  if (!p.startsWith('/') || p.includes('\0') || p.split('/').includes('..')) return undefined;
  // A directory URL (`/npm/`) and a file inside it cannot both be files: keep bodies apart from paths.
  return join(dir, 'files', `${p}.body`);
}

/** The upstream URL of a request path: `/http/deb.debian.org/debian/...` or `/npm/...`. */
function upstreamOf(urlPath, npm) {
  const npmPath = /^\/npm\/(.*)$/.exec(urlPath);
  if (npmPath) return npm ? `${npm}${npmPath[1]}` : undefined;
  const m = /^\/(https?)\/([^/]+)(\/.*)$/.exec(urlPath);
  return m ? `${m[1]}://${m[2]}${m[3]}` : undefined;
}

/**
 * Starts the mirror on 127.0.0.1. `record`: fetch what is missing (`dists/` and npm packuments
 * always, since they change; pool files and tarballs once). Resolves to { url, close, missing }.
 */
export async function startMirror({ dir, record = false, npmUpstream }) {
  mkdirSync(join(dir, 'files'), { recursive: true });
  const upstreamFile = join(dir, NPM_UPSTREAM);
  if (record && npmUpstream) writeFileSync(upstreamFile, npmUpstream);
  const npm = npmUpstream ?? (existsSync(upstreamFile) ? readFileSync(upstreamFile, 'utf8').trim() : undefined);
  const missing = [];
  const refreshed = new Set();
  let base = '';

  async function fetchUpstream(urlPath, file) {
    const url = upstreamOf(urlPath, npm);
    if (!url) return 404;
    const res = await fetch(url, { headers: { 'accept-encoding': 'identity', ...(urlPath.startsWith('/npm/') ? { accept: 'application/json' } : {}) } });
    if (!res.ok || !res.body) return res.status;
    mkdirSync(dirname(file), { recursive: true });
    const tmp = `${file}.tmp-${process.pid}`;
    await pipeline(Readable.fromWeb(res.body), createWriteStream(tmp));
    renameSync(tmp, file);
    return 200;
  }

  const volatile = (urlPath) => /\/dists\//.test(urlPath) || (/^\/npm\//.test(urlPath) && !/\.tgz$/.test(urlPath));

  async function answer(req, res) {
    const urlPath = (req.url ?? '/').split('?')[0];
    const file = fileOf(dir, urlPath);
    if (!file || (req.method !== 'GET' && req.method !== 'HEAD')) return res.writeHead(400).end('bad request\n');
    if (record && (!existsSync(file) || (volatile(urlPath) && !refreshed.has(urlPath)))) {
      refreshed.add(urlPath);
      const status = await fetchUpstream(urlPath, file);
      if (status !== 200) {
        rmSync(file, { force: true });
        return res.writeHead(status).end(`upstream answered ${status}\n`);
      }
    }
    if (!existsSync(file)) {
      missing.push(urlPath);
      return res.writeHead(404).end(`${urlPath} was not recorded at setup: record it in scripts/prepare-test-images.ts\n`);
    }
    if (npm && /^\/npm\//.test(urlPath) && !/\.tgz$/.test(urlPath)) {
      const body = Buffer.from(readFileSync(file, 'utf8').split(npm).join(`${base}/npm/`));
      return res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length }).end(req.method === 'HEAD' ? undefined : body);
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': statSync(file).size });
    if (req.method === 'HEAD') return res.end();
    createReadStream(file).pipe(res);
  }

  const server = createServer((req, res) => {
    answer(req, res).catch((e) => {
      if (!res.headersSent) res.writeHead(502).end(`${String(e?.message ?? e)}\n`);
      else res.destroy();
    });
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  base = `http://127.0.0.1:${server.address().port}`;
  return {
    url: base,
    server,
    missing,
    close: () => new Promise((ok) => server.close(() => ok())),
  };
}

/**
 * Writes `out` as a copy of this machine's /etc/apt sources (sources.list, sources.list.d/*.list
 * and *.sources) whose http(s) URIs name the mirror instead: suites, components and Signed-By
 * keyrings as they are. DISTILL_APT_DIR points distill at it.
 */
export function writeMirrorAptDir(base, out, etc = '/etc/apt') {
  const rewrite = (text) =>
    text
      .split('\n')
      .map((l) => (/^\s*(URIs:|deb(-src)?\s)/.test(l) ? l.replace(/\b(https?):\/\//g, `${base}/$1/`) : l))
      .join('\n');
  mkdirSync(join(out, 'sources.list.d'), { recursive: true });
  if (existsSync(join(etc, 'sources.list'))) writeFileSync(join(out, 'sources.list'), rewrite(readFileSync(join(etc, 'sources.list'), 'utf8')));
  const d = join(etc, 'sources.list.d');
  for (const f of existsSync(d) ? readdirSync(d) : []) {
    if (/\.(list|sources)$/.test(f)) writeFileSync(join(out, 'sources.list.d', f), rewrite(readFileSync(join(d, f), 'utf8')));
  }
  return out;
}

/** Whether npm registry files were recorded. */
export function hasNpmRecording(dir) {
  return existsSync(join(dir, NPM_UPSTREAM));
}

/** Whether anything was recorded. */
export function hasRecording(dir) {
  return existsSync(join(dir, 'files')) && readdirSync(join(dir, 'files')).length > 0;
}
