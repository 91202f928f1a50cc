// Bundles the node-side entry points (CLI; Electron main/preload/serve are added beside it) with esbuild.
// Native packages stay external: they load their own shared libraries at run time.
import { build } from 'esbuild';

const external = ['onnxruntime-node', 'sharp', 'electron', 'ws'];

async function buildCli() {
  await build({
    entryPoints: ['electron/cli/index.ts'],
    outfile: 'out/cli/index.js',
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: true,
    external,
    logLevel: 'warning',
  });
}

await buildCli();
