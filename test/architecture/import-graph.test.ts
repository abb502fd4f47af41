import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? sourceFiles(join(dir, e.name))
      : (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) || e.name.endsWith('.js')
        ? [join(dir, e.name)]
        : [],
  );
}

/** Relative imports of every file (type-only ones too: they couple the files as much). */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sourceFiles(SRC)) {
    const text = readFileSync(file, 'utf8');
    // A `.js` specifier names a JavaScript source where there is one, else the TypeScript one.
    const targets = [...text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)].map((m) => {
      const target = resolve(dirname(file), m[1]);
      return relative(SRC, existsSync(target) ? target : target.replace(/\.js$/, '.ts'));
    });
    graph.set(relative(SRC, file), targets);
  }
  return graph;
}

/** One cycle per strongly connected component of more than one node (Tarjan). */
function cycles(graph: Map<string, string[]>): string[][] {
  let index = 0;
  const order = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    order.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!order.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, order.get(w)!));
    }
    if (low.get(v) === order.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!order.has(v)) visit(v);
  return found;
}

describe('import graph of src/', () => {
  const graph = importGraph();

  it('resolves every relative import to a source file', () => {
    const missing = [...graph].flatMap(([file, targets]) =>
      targets.filter((t) => !graph.has(t)).map((t) => `${file} -> ${t}`),
    );
    expect(missing).toEqual([]);
  });

  it('has no cycles between files', () => {
    expect(cycles(graph)).toEqual([]);
  });

  it('has no cycles between folders (each folder is one responsibility)', () => {
    const folders = new Map<string, string[]>();
    const folder = (f: string) => (f.includes('/') ? f.slice(0, f.indexOf('/')) : '.');
    for (const [file, targets] of graph) {
      const from = folder(file);
      const edges = folders.get(from) ?? [];
      for (const t of targets)
        if (folder(t) !== from && !edges.includes(folder(t))) edges.push(folder(t));
      folders.set(from, edges);
    }
    expect(cycles(folders)).toEqual([]);
  });
});
