// Bundles the node-side entry points (CLI; Electron main/preload/serve are added beside it) with esbuild.
// Native packages stay external: they load their own shared libraries at run time.
import { build } from 'esbuild';

// playwright-core: a dev dependency the bench's editor section loads when it is there (bench/strokes.ts).
const external = ['onnxruntime-node', 'sharp', 'electron', 'ws', 'playwright-core'];
const common = { bundle: true, platform: 'node', target: 'node20', sourcemap: true, external, logLevel: 'warning' };

async function buildCli() {
  await build({ ...common, entryPoints: ['electron/cli/index.ts'], outfile: 'out/cli/index.js', format: 'esm' });
}

await buildCli();

// The refinement workers' script (electron/engine/jobs/refinePool.ts), beside every bundle that holds the
// engine: each finds it next to itself, and electron-builder packs out/main/ whole.
async function buildRefineWorkers() {
  await Promise.all(['cli', 'serve', 'main'].map((dir) =>
    build({ ...common, entryPoints: ['electron/engine/image/refineWorker.ts'], outfile: `out/${dir}/refine-worker.mjs`, format: 'esm' })));
}

await buildRefineWorkers();

// ---- Desktop and serve bundles (editor engineer's part) ------------------------------------------------
// main and preload are CommonJS (a sandboxed preload must be one self-contained CJS file); the serve
// bridge and the engine's utility process are ESM because the engine finds its packs via import.meta.url.
async function buildDesktop() {
  await Promise.all([
    build({ ...common, entryPoints: ['electron/serve/index.ts'], outfile: 'out/serve/index.js', format: 'esm' }),
    build({ ...common, entryPoints: ['electron/engine-process/index.ts'], outfile: 'out/main/engine-process.mjs', format: 'esm' }),
    build({ ...common, entryPoints: ['electron/main/index.ts'], outfile: 'out/main/index.cjs', format: 'cjs' }),
    build({ ...common, entryPoints: ['electron/preload/index.ts'], outfile: 'out/preload/index.cjs', format: 'cjs' }),
  ]);
}

await buildDesktop();
