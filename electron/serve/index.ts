/**
 * `npm run serve`: the engine and the built renderer on 127.0.0.1 for a browser.
 *   node out/serve/index.js [--port N] [--pack DIR]
 * Prints exactly one line to stdout, `Serving at http://127.0.0.1:PORT/?token=TOKEN`; everything else
 * goes to stderr, so scripts can read the address.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createEngineService } from '../engine/service.js';
import { defaultPackDir } from '../engine/paths.js';
import { startServe } from './server.js';

export interface ServeArgs {
  port: number;
  pack?: string;
  renderer?: string;
}

export function parseArgs(argv: string[]): ServeArgs {
  const out: ServeArgs = { port: 0 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const [flag, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const value = () => inline ?? argv[++i] ?? '';
    if (flag === '--port') {
      const n = Number(value());
      if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error('--port takes 0..65535 (0 = a free port)');
      out.port = n;
    } else if (flag === '--pack') out.pack = resolve(value());
    else if (flag === '--renderer') out.renderer = resolve(value());
    else if (flag === '--help' || flag === '-h') {
      process.stderr.write('usage: npm run serve -- [--port N (0 = free port)] [--pack DIR]\n');
      process.exit(0);
    } else throw new Error(`unknown option ${a}`);
  }
  return out;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const here = dirname(fileURLToPath(import.meta.url));
  const rendererDir = args.renderer ?? join(here, '..', 'renderer');
  if (!existsSync(join(rendererDir, 'index.html'))) {
    throw new Error(`no built renderer at ${rendererDir}: run \`npm run build\` first`);
  }
  const engine = await createEngineService({ packDir: args.pack ?? defaultPackDir() });
  const handle = await startServe({ engine, rendererDir, port: args.port });
  process.stdout.write(`Serving at ${handle.url}\n`);
  const stop = () => {
    void handle.close().finally(() => {
      void Promise.resolve(engine.dispose()).finally(() => process.exit(0));
    });
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((e: unknown) => {
  process.stderr.write(`serve: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
