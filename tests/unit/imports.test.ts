/**
 * The source's import graph: layers run downhill and nothing imports itself round a cycle (type-only
 * imports included: a cycle of types is still two modules that cannot be read apart).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..', '..');

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.(ts|svelte)$/.test(e.name) && !e.name.endsWith('.d.ts'))
    .map((e) => relative(ROOT, join(e.parentPath, e.name)));
}

/** Relative imports of a file, resolved to repository paths (`.js` written for `.ts` files). */
function importsOf(file: string, known: Set<string>): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/(?:import|export)\s[^'"]*?from\s+'(\.[^']+)'|import\('(\.[^']+)'\)/g)) {
    const spec = m[1] ?? m[2]!;
    const base = relative(ROOT, resolve(ROOT, dirname(file), spec));
    const hit = [base, base.replace(/\.js$/, '.ts'), `${base}.ts`, `${base}/index.ts`].find((c) => known.has(c));
    if (hit) out.push(hit);
  }
  return out;
}

function graph(): Map<string, string[]> {
  const files = [...sources('electron'), ...sources('renderer')];
  const known = new Set(files);
  return new Map(files.map((f) => [f, importsOf(f, known)]));
}

/** Every cycle's files, found by depth-first search. */
function cycles(g: Map<string, string[]>): string[][] {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const found: string[][] = [];
  const visit = (f: string) => {
    state.set(f, 'open');
    stack.push(f);
    for (const d of g.get(f) ?? []) {
      if (state.get(d) === 'open') found.push([...stack.slice(stack.indexOf(d)), d]);
      else if (!state.has(d)) visit(d);
    }
    stack.pop();
    state.set(f, 'done');
  };
  for (const f of g.keys()) if (!state.has(f)) visit(f);
  return found;
}

describe('import graph', () => {
  const g = graph();

  it('reads the sources (the scan itself works)', () => {
    expect(g.size).toBeGreaterThan(80);
    expect(g.get('electron/shared/rpc.ts')).toContain('electron/shared/operations.ts');
  });

  it('has no cycles', () => {
    expect(cycles(g).map((c) => c.join(' -> '))).toEqual([]);
  });

  it('keeps electron/shared pure: it imports nothing outside itself, and no node: or electron module', () => {
    for (const [file, deps] of g) {
      if (!file.startsWith('electron/shared/')) continue;
      expect(deps.filter((d) => !d.startsWith('electron/shared/')), file).toEqual([]);
      expect(readFileSync(join(ROOT, file), 'utf8'), file).not.toMatch(/from '(node:|electron')/);
    }
  });

  it('the page reaches the engine only through electron/shared', () => {
    for (const [file, deps] of g) {
      if (!file.startsWith('renderer/')) continue;
      expect(deps.filter((d) => d.startsWith('electron/') && !d.startsWith('electron/shared/')), file).toEqual([]);
    }
  });
});
