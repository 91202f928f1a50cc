/**
 * `npm run dist` needs to download Electron, which this machine cannot; so the electron-builder
 * configuration is checked by what it would package, computed with electron-builder's own file matchers
 * over this checkout: the files the built app loads are in app.asar and nothing else is, the modules the
 * bundles import are packaged dependencies, every native library is unpacked from the asar, and the
 * default model pack lands where the packaged engine looks for it. Needs `npm run build` (out/).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import { basename, join, relative, sep } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../e2e/harness.js';

const require = createRequire(import.meta.url);
const configPath = join(ROOT, 'build', 'electron-builder.config.cjs');

type Filter = (file: string, stat: ReturnType<typeof statSync>) => boolean;
interface FileMatcher {
  from: string;
  to: string;
  patterns: string[];
  createFilter(): Filter;
}
const fileMatcher = require('app-builder-lib/out/fileMatcher') as {
  getMainFileMatchers(appDir: string, dest: string, expand: (s: string) => string, platformOptions: object, packager: object, outDir: string, electronCompile: boolean): FileMatcher[];
  getFileMatchers(config: object, name: 'extraResources' | 'asarUnpack', dest: string, options: object): FileMatcher[] | null;
};

const APP = join(ROOT, '.app'); // stand-ins for the packaged app's folder and its resources folder
const RESOURCES = join(ROOT, '.resources');
const expand = (s: string) => s;

/** Files under `dir` the filter lets through, as electron-builder's copy walks them (a refused folder is not entered). */
function walk(dir: string, filter: Filter, skip: (path: string) => boolean = () => false): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (skip(path)) continue;
    const st = statSync(path, { throwIfNoEntry: false });
    if (!st) continue; // a dangling link: nothing to copy
    if (!filter(path, st)) continue;
    if (st.isDirectory()) out.push(...walk(path, filter, skip));
    else out.push(path);
  }
  return out;
}

const rel = (p: string) => relative(ROOT, p).split(sep).join('/');

/** Bare module names a bundle loads at run time (its externals), without Node's built-ins. */
function externals(bundle: string): string[] {
  const code = readFileSync(bundle, 'utf8');
  const names = new Set<string>();
  for (const m of code.matchAll(/\brequire\(\s*"([^"]+)"\s*\)|\bfrom\s*"([^"]+)"|\bimport\(\s*"([^"]+)"\s*\)|^import\s*"([^"]+)"/gm)) {
    const spec = m[1] ?? m[2] ?? m[3] ?? m[4]!;
    if (spec.startsWith('.') || spec.startsWith('/') || spec.startsWith('node:') || builtinModules.includes(spec.split('/')[0]!)) continue;
    names.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
  }
  return [...names].sort();
}

describe('electron-builder configuration', () => {
  // A copy: electron-builder normalises the loaded module's object in place.
  const config = structuredClone(require(configPath)) as object;
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { main: string; dependencies: Record<string, string> };
  const options = { macroExpander: expand, customBuildOptions: {}, globalOutDir: join(ROOT, 'dist'), defaultSrc: ROOT };
  /** Project files that go into app.asar (node_modules aside: electron-builder adds the production dependencies). */
  let packaged: string[] = [];

  beforeAll(() => {
    for (const f of [pkg.main, 'out/renderer/index.html']) {
      if (!existsSync(join(ROOT, f))) throw new Error(`${f} is missing: build first (\`node scripts/build-node.mjs && npx vite build\`)`);
    }
    const packager = { info: { projectDir: ROOT, buildResourcesDir: join(ROOT, 'build'), config, isPrepackedAppAsar: false, debugLogger: { isEnabled: false, add() {} } } };
    const [main] = fileMatcher.getMainFileMatchers(ROOT, APP, expand, {}, packager, join(ROOT, 'dist'), false);
    const filter = main!.createFilter();
    packaged = walk(ROOT, filter, (p) => p === join(ROOT, 'node_modules') || p === join(ROOT, '.git')).map(rel).sort();
  });

  it('passes electron-builder validation', async () => {
    const { getConfig, validateConfiguration } = require('app-builder-lib/out/util/config/config') as {
      getConfig(dir: string, path: string, extra: null): Promise<unknown>;
      validateConfiguration(c: unknown, logger: unknown): Promise<void>;
    };
    const { DebugLogger } = require('builder-util') as { DebugLogger: new (enabled: boolean) => unknown };
    const loaded = await getConfig(ROOT, configPath, null);
    await expect(validateConfiguration(loaded, new DebugLogger(false))).resolves.toBeUndefined();
  });

  it('packages what the built app loads: its main, the files main starts (engine process, preload, page) and the page\'s assets', () => {
    expect(packaged).toContain('package.json');
    expect(packaged).toContain(pkg.main);
    // Every script or page main names (the engine's utility process, the preload, the window's page),
    // read from the main bundle itself, so a renamed or moved entry point is checked too.
    const named = [...readFileSync(join(ROOT, pkg.main), 'utf8').matchAll(/"([\w.-]+\.(?:mjs|cjs|js|html))"/g)].map((m) => m[1]!);
    expect(named).toEqual(expect.arrayContaining(['index.cjs', 'index.html']));
    expect(named.length).toBeGreaterThanOrEqual(3);
    const missing = [...new Set(named)].filter((name) => !packaged.some((f) => basename(f) === name));
    expect(missing, `files ${pkg.main} loads that app.asar would not have`).toEqual([]);
    // The page's scripts and styles, as index.html names them.
    const html = readFileSync(join(ROOT, 'out', 'renderer', 'index.html'), 'utf8');
    const assets = [...html.matchAll(/(?:src|href)="\.\/([^"]+)"/g)].map((m) => `out/renderer/${m[1]}`);
    expect(assets.length).toBeGreaterThan(0);
    expect(assets.filter((a) => !packaged.includes(a)), 'assets index.html loads that app.asar would not have').toEqual([]);
  });

  it('ships nothing else: no sources, tests, scripts, source maps, models or training code in app.asar', () => {
    const shipped = /^(package\.json|out\/(main|preload|renderer)\/.+)$/;
    expect(packaged.filter((f) => !shipped.test(f) || f.endsWith('.map')), 'files app.asar would have that the app does not run').toEqual([]);
  });

  it("imports, at run time, only modules the packaged app has: package.json's dependencies (or Electron's own)", () => {
    const bundles = packaged.filter((f) => /^out\/(main|preload)\/.+\.(c|m)?js$/.test(f));
    expect(bundles.length).toBeGreaterThanOrEqual(3);
    for (const b of bundles) {
      const missing = externals(join(ROOT, b)).filter((name) => name !== 'electron' && !(name in pkg.dependencies));
      expect(missing, `${b} loads modules electron-builder would not package`).toEqual([]);
    }
    // A sandboxed preload can require nothing but electron: it must be one self-contained file.
    for (const b of bundles.filter((f) => f.startsWith('out/preload/'))) expect(externals(join(ROOT, b)), b).toEqual(['electron']);
  });

  it("unpacks every native library of the production dependencies (onnxruntime-node's and sharp's) from the asar", () => {
    const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean }> };
    const production = Object.entries(lock.packages)
      .filter(([key, p]) => key.startsWith('node_modules/') && !p.dev && existsSync(join(ROOT, key)))
      .map(([key]) => join(ROOT, key));
    expect(production.map(rel)).toEqual(expect.arrayContaining(['node_modules/onnxruntime-node', 'node_modules/sharp']));
    const all = () => true;
    const native = production.flatMap((dir) => walk(dir, all, (p) => basename(p) === 'node_modules')).filter((f) => /\.(node|dll|dylib)$|\.so(\.\d+)*$/.test(f));
    // The native code this machine has: at least the engine's and the codec's Node addons.
    expect(native.filter((f) => f.endsWith('.node')).map((f) => rel(f).split('/')[1])).toEqual(expect.arrayContaining(['onnxruntime-node', '@img']));
    const unpack = fileMatcher.getFileMatchers(config, 'asarUnpack', APP, options);
    const inAsar = native.filter((f) => !unpack?.some((m) => m.createFilter()(f, statSync(f))));
    expect(inAsar.map(rel), 'native libraries that would stay inside app.asar, where they cannot be loaded').toEqual([]);
  });

  it('ships the default model pack where the packaged engine looks for it (resources/models/default), and no other pack or training code', () => {
    const copied = (fileMatcher.getFileMatchers(config, 'extraResources', RESOURCES, options) ?? []).flatMap((m) =>
      walk(m.from, m.createFilter()).map((f) => relative(RESOURCES, join(m.to, relative(m.from, f))).split(sep).join('/')),
    );
    // The engine process opens resources/models/default when packaged (packFromArgs in its entry point).
    const manifest = JSON.parse(readFileSync(join(ROOT, 'models', 'default', 'manifest.json'), 'utf8')) as { files: Record<string, { path: string }> };
    const needed = ['manifest.json', ...Object.values(manifest.files).map((f) => f.path)].map((f) => `models/default/${f}`);
    expect(copied).toEqual(expect.arrayContaining(needed));
    expect(copied.filter((f) => !f.startsWith('models/default/') || f.endsWith('.py')), 'resources that are not the default pack').toEqual([]);
  });
});
