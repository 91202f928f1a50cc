// `node scripts/memory-probe.mjs [pack] [fills] [WxH] [method]`: bundles tests/reliability/memoryProbe.ts
// (the engine service in one process, fills as the serve-load suite sends them) and runs it with
// --expose-gc, printing resident size, JS heap, external and ArrayBuffer memory as the fills go on.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';

const dir = mkdtempSync(join('out', 'memory-probe-'));
try {
  const outfile = join(dir, 'probe.mjs');
  await build({
    entryPoints: ['tests/reliability/memoryProbe.ts'],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: ['onnxruntime-node', 'sharp', 'ws'],
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
    logLevel: 'warning',
  });
  const r = spawnSync(process.execPath, ['--expose-gc', outfile, ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exitCode = r.status ?? 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
