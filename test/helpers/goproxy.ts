/**
 * A loopback Go module proxy (the GOPROXY protocol: /<module>/@v/list, .info, .mod, .zip) over
 * modules the test writes; zips are made with python3's zipfile (files only, every name under
 * module@version/, as `go mod download` expects).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, join } from 'node:path';

/** One module version to serve: its path, version and files (go.mod among them). */
export interface ProxyModule {
  path: string;
  version: string;
  files: Record<string, string>;
}

/** A running proxy: its URL (for GOPROXY), the paths it was asked for, and close(). */
export interface GoProxy {
  url: string;
  requests: string[];
  close(): Promise<void>;
}

const ZIP = `import sys, zipfile
out, root, prefix = sys.argv[1], sys.argv[2], sys.argv[3]
with zipfile.ZipFile(out, "w") as z:
    for name in sys.argv[4:]:
        z.write(root + "/" + name, prefix + "/" + name)
`;

/** Serves `modules` on 127.0.0.1 under `work` (where the zips are written). */
export async function serveGoProxy(modules: ProxyModule[], work: string): Promise<GoProxy> {
  const files = new Map<string, Buffer | string>();
  for (const m of modules) {
    const src = join(work, `${m.path.replace(/\//g, '_')}@${m.version}`);
    for (const [name, text] of Object.entries(m.files)) {
      mkdirSync(dirname(join(src, name)), { recursive: true });
      writeFileSync(join(src, name), text);
    }
    const zip = `${src}.zip`;
    execFileSync('python3', ['-c', ZIP, zip, src, `${m.path}@${m.version}`, ...Object.keys(m.files).sort()]);
    const base = `/${m.path}/@v/${m.version}`;
    files.set(`/${m.path}/@v/list`, `${modules.filter((x) => x.path === m.path).map((x) => x.version).join('\n')}\n`);
    files.set(`${base}.info`, JSON.stringify({ Version: m.version, Time: '2024-01-02T03:04:05Z' }));
    files.set(`${base}.mod`, m.files['go.mod']!);
    files.set(`${base}.zip`, readFileSync(zip));
  }
  const requests: string[] = [];
  const server = createServer((req, res) => {
    const path = decodeURIComponent((req.url ?? '/').split('?')[0]!);
    requests.push(path);
    const body = files.get(path);
    if (body === undefined) return void res.writeHead(404).end('not found');
    res.writeHead(200).end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return { url: `http://127.0.0.1:${port}`, requests, close: () => new Promise((r) => server.close(() => r())) };
}
