/**
 * A loopback PyPI "simple" index (PEP 503) over wheels the test builds with `pip wheel` from small
 * local packages: one pure Python, one with a C extension compiled here. The builder is the first
 * python3 on this machine with setuptools, wheel and Python.h (pyenv's or Debian's).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';

/** pip's environment for tests: no user or site pip.conf, no find-links or extra index of this machine. */
export function isolatedPipEnv(cacheDir: string): NodeJS.ProcessEnv {
  return { PIP_CONFIG_FILE: '/dev/null', PIP_FIND_LINKS: '', PIP_EXTRA_INDEX_URL: '', PIP_CONSTRAINT: '', PIP_CACHE_DIR: cacheDir, PIP_NO_INPUT: '1' };
}

/** A python3 that can build C-extension wheels offline, with its X.Y; undefined when none can. */
export function wheelBuilder(): { python: string; version: string } | undefined {
  for (const python of ['python3', '/usr/bin/python3']) {
    const r = spawnSync(python, ['-c', 'import setuptools, wheel, sysconfig, os, sys; assert os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")); print("%d.%d" % sys.version_info[:2])'], { encoding: 'utf8' });
    if (r.status === 0) return { python, version: r.stdout.trim() };
  }
  return undefined;
}

/** Writes the two sample projects under `dir`: `greeting` (pure, depends on fastsum) and `fastsum` (C extension). */
export function writeSamplePackages(dir: string): { greeting: string; fastsum: string } {
  const greeting = join(dir, 'greeting');
  mkdirSync(join(greeting, 'greeting'), { recursive: true });
  writeFileSync(join(greeting, 'pyproject.toml'), '[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n\n[project]\nname = "greeting"\nversion = "1.2.0"\ndependencies = ["fastsum>=0.1"]\n');
  writeFileSync(join(greeting, 'greeting', '__init__.py'), 'import fastsum\n\n\ndef hello(name):\n    return "hello %s (%d)" % (name, fastsum.add(40, 2))\n');
  const fastsum = join(dir, 'fastsum');
  mkdirSync(fastsum, { recursive: true });
  writeFileSync(join(fastsum, 'setup.py'), 'from setuptools import setup, Extension\n\nsetup(name="fastsum", version="0.1.0", ext_modules=[Extension("fastsum", ["fastsum.c"])])\n');
  writeFileSync(
    join(fastsum, 'fastsum.c'),
    `#define PY_SSIZE_T_CLEAN
#include <Python.h>

static PyObject *add(PyObject *self, PyObject *args) {
    long a, b;
    if (!PyArg_ParseTuple(args, "ll", &a, &b)) return NULL;
    return PyLong_FromLong(a + b);
}

static PyMethodDef methods[] = {{"add", add, METH_VARARGS, "a + b"}, {NULL, NULL, 0, NULL}};
static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "fastsum", NULL, -1, methods};
PyMODINIT_FUNC PyInit_fastsum(void) { return PyModule_Create(&module); }
`,
  );
  return { greeting, fastsum };
}

/**
 * Builds wheels of `projects` into `out` with `pip wheel` (no index, no build isolation). A wheel
 * built against this glibc (Debian 12's 2.36) is tagged manylinux_2_36 as auditwheel would tag it.
 */
export function buildWheels(python: string, projects: string[], out: string, env: NodeJS.ProcessEnv): string[] {
  mkdirSync(out, { recursive: true });
  for (const p of projects) {
    execFileSync(python, ['-m', 'pip', 'wheel', '--no-build-isolation', '--no-deps', '--no-index', '-q', '-w', out, p], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  }
  for (const f of readdirSync(out)) if (f.endsWith('-linux_x86_64.whl')) renameSync(join(out, f), join(out, f.replace(/-linux_x86_64\.whl$/, '-manylinux_2_36_x86_64.whl')));
  return readdirSync(out).filter((f) => f.endsWith('.whl')).sort();
}

/** sha256 hex of a file. */
export function sha256(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/** A running index: its /simple/ URL, the files it served, and close(). */
export interface PypiIndex {
  url: string;
  served: string[];
  close(): Promise<void>;
}

/** Serves the wheels in `dir` as a PEP 503 index on 127.0.0.1 (project pages link files with #sha256=). */
export async function servePypi(dir: string): Promise<PypiIndex> {
  const projects = new Map<string, string[]>();
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.whl')).sort()) {
    const name = f.split('-')[0]!.toLowerCase().replace(/[-_.]+/g, '-');
    projects.set(name, [...(projects.get(name) ?? []), f]);
  }
  const served: string[] = [];
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent((req.url ?? '/').split('?')[0]!);
    const page = (body: string) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(`<!DOCTYPE html><html><body>\n${body}</body></html>\n`);
    };
    if (path === '/simple/') return page([...projects.keys()].map((p) => `<a href="/simple/${p}/">${p}</a><br/>\n`).join(''));
    const proj = /^\/simple\/([^/]+)\/$/.exec(path);
    if (proj && projects.has(proj[1]!)) return page(projects.get(proj[1]!)!.map((f) => `<a href="/files/${f}#sha256=${sha256(join(dir, f))}">${f}</a><br/>\n`).join(''));
    const file = /^\/files\/([^/]+\.whl)$/.exec(path);
    if (file && [...projects.values()].some((fs) => fs.includes(file[1]!))) {
      served.push(file[1]!);
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      return res.end(readFileSync(join(dir, file[1]!)));
    }
    res.writeHead(404).end('not found');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return { url: `http://127.0.0.1:${port}/simple/`, served, close: () => new Promise((r) => server.close(() => r())) };
}
