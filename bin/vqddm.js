#!/usr/bin/env node
// `vqddm` command: the bundled CLI (built by `npm install`'s prepare step, or `npm run build`).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../out/cli/index.js', import.meta.url));
if (!existsSync(cli)) {
  console.error('vqddm: the CLI is not built; run `npm run build` first');
  process.exit(1);
}
await import(cli);
