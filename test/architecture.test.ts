/**
 * The layering of src/: data flows one way, so the import graph between its folders has no cycle.
 * Nodes are the top-level folders of src/ (a file directly in src/, like version.ts, is a node of
 * its own), except src/dockerfile/convert/, which is a node apart: the module map makes it the
 * top-level convert/ folder above plan/, which itself reads the Dockerfile model. Edges are every
 * relative import, `import type`, `export … from`, side-effect import, literal dynamic `import('…')`
 * and `typeof import('…')`, read with TypeScript's own pre-processor (comments and strings that
 * merely look like imports are not edges).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';
import { ROOT } from './helpers/cli.ts';

const SRC = join(ROOT, 'src');

/** A folder graph: importing folder -> imported folder -> the file-level imports behind the edge. */
type Graph = Map<string, Map<string, string[]>>;

/** Every .ts file under a directory. */
function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => join(e.parentPath, e.name));
}

/** The module specifiers a source text imports or re-exports, static or literal dynamic. */
function specifiers(text: string): string[] {
  return ts.preProcessFile(text, true, true).importedFiles.map((f) => f.fileName);
}

/** The graph node of a file under src/, or null for a file outside it. */
function nodeOf(file: string): string | null {
  const rel = relative(SRC, file).split(sep);
  if (rel[0] === '..' || rel.length === 0) return null;
  if (rel.length === 1) return rel[0]!;
  if (rel[0] === 'dockerfile' && rel[1] === 'convert' && rel.length > 2) return 'dockerfile/convert';
  return rel[0]!;
}

/** The folder-level import graph of the given files (relative specifiers only: packages are leaves). */
function folderGraph(files: { path: string; text: string }[]): Graph {
  const graph: Graph = new Map();
  for (const { path, text } of files) {
    const from = nodeOf(path);
    if (!from) continue;
    for (const spec of specifiers(text)) {
      if (!spec.startsWith('.')) continue;
      const target = resolve(dirname(path), spec);
      const to = nodeOf(target);
      if (!to || to === from) continue;
      const edges = graph.get(from) ?? new Map<string, string[]>();
      graph.set(from, edges);
      const via = edges.get(to) ?? [];
      edges.set(to, via);
      via.push(`${relative(SRC, path)} imports ${relative(SRC, target)}`);
    }
  }
  return graph;
}

/** One cycle per strongly connected component of more than one node (Tarjan), as a closed path. */
function cycles(graph: Graph): string[][] {
  const nodes = new Set([...graph.keys(), ...[...graph.values()].flatMap((m) => [...m.keys()])]);
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const w of [...(graph.get(v)?.keys() ?? [])].sort()) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) components.push(component);
    }
  };
  for (const v of [...nodes].sort()) if (!index.has(v)) visit(v);
  return components.map((c) => pathThrough(graph, new Set(c)));
}

/** A closed path inside one component, starting at its first node in name order (breadth-first, so short). */
function pathThrough(graph: Graph, component: Set<string>): string[] {
  const start = [...component].sort()[0]!;
  const previous = new Map<string, string>();
  const queue = [start];
  while (queue.length) {
    const v = queue.shift()!;
    for (const w of [...(graph.get(v)?.keys() ?? [])].sort()) {
      if (!component.has(w)) continue;
      if (w === start) {
        const path = [v];
        while (path[0] !== start) path.unshift(previous.get(path[0]!)!);
        return [...path, start];
      }
      if (!previous.has(w)) {
        previous.set(w, v);
        queue.push(w);
      }
    }
  }
  throw new Error(`no cycle through ${start}`);
}

/** A cycle as the user reads it: the folder path, then one import behind each of its edges. */
function describe(graph: Graph, cycle: string[]): string {
  const edges = cycle.slice(1).map((to, i) => `  ${cycle[i]} -> ${to}: ${graph.get(cycle[i]!)!.get(to)!.join('; ')}`);
  return [cycle.join(' -> '), ...edges].join('\n');
}

test('the import reader sees static, type-only, re-export, side-effect and dynamic imports, not comments or strings', () => {
  const text = [
    `// import { a } from './commented.ts';`,
    `import type { A } from './types.ts';`,
    `import {\n  b,\n  c,\n} from '../multi.ts';`,
    `export * from './all.ts';`,
    `export { d } from './some.ts';`,
    `import './side-effect.ts';`,
    `const lazy = () => import('./lazy.ts');`,
    `type Z = typeof import('./typeof.ts');`,
    `const s = "import('./in-a-string.ts')";`,
    `import { readFile } from 'node:fs/promises';`,
  ].join('\n');
  assert.deepEqual(specifiers(text), ['./types.ts', '../multi.ts', './all.ts', './some.ts', './side-effect.ts', './lazy.ts', './typeof.ts', 'node:fs/promises']);
});

test('the cycle finder reports a folder cycle with the imports behind each edge, and none in a layered graph', () => {
  const file = (path: string, text: string) => ({ path: join(SRC, path), text });
  const layered = [
    file('cli/main.ts', `import { x } from '../report/x.ts';`),
    file('report/x.ts', `import { y } from '../oci/y.ts';\nimport { v } from '../version.ts';`),
    file('oci/y.ts', `import { z } from './z.ts';`),
    file('dockerfile/convert/c.ts', `import { m } from '../model.ts';`),
  ];
  assert.deepEqual(cycles(folderGraph(layered)), []);
  const cyclic = [...layered, file('oci/z.ts', `export type { R } from '../report/r.ts';`)];
  const graph = folderGraph(cyclic);
  assert.deepEqual(cycles(graph), [['oci', 'report', 'oci']]);
  assert.equal(describe(graph, ['oci', 'report', 'oci']), 'oci -> report -> oci\n  oci -> report: oci/z.ts imports report/r.ts\n  report -> oci: report/x.ts imports oci/y.ts');
  // dockerfile/convert is its own node: the model importing it back is a cycle between the two.
  const back = folderGraph([...layered, file('dockerfile/model.ts', `const c = await import('./convert/c.ts');`)]);
  assert.deepEqual(cycles(back), [['dockerfile', 'dockerfile/convert', 'dockerfile']]);
});

test('no import cycle between the folders of src/ (nothing below imports what is above it)', () => {
  const files = sourceFiles(SRC).map((path) => ({ path, text: readFileSync(path, 'utf8') }));
  assert.ok(files.length > 50, `found only ${files.length} source files under ${SRC}`);
  const graph = folderGraph(files);
  const found = cycles(graph);
  assert.equal(found.length, 0, `folder cycles in src/:\n${found.map((c) => describe(graph, c)).join('\n')}`);
});
