/**
 * `npm run serve`: the engine and the built renderer on 127.0.0.1 for a browser.
 *   node out/serve/index.js [--port N] [--pack DIR] [--packs DIR]
 * Prints exactly one line to stdout, `Serving at http://127.0.0.1:PORT/?token=TOKEN`; everything else
 * goes to stderr, so scripts can read the address.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createEngineService } from '../engine/service.js';
import { PackAllowList } from '../engine/packs/allowed.js';
import { appRoot, defaultPackDir } from '../engine/paths.js';
import { startServe } from './server.js';

export interface ServeArgs {
  port: number;
  pack?: string;
  /** The folder whose sub-folders pages may load as packs (default: the app's models/ folder). */
  packs?: string;
  renderer?: string;
}

const SERVE_USAGE = `usage: npm run serve -- [--port N (0 = a free port)] [--pack DIR] [--packs DIR]
  --pack DIR    the pack to start with (default: the shipped one)
  --packs DIR   the folder whose sub-folders pages may load as packs (default: the app's models/ folder);
                the shipped packs and --pack may always be loaded, nothing else`;

export function parseServeArgs(argv: string[]): ServeArgs {
  const { values } = parseArgs({
    args: argv,
    options: { port: { type: 'string' }, pack: { type: 'string' }, packs: { type: 'string' }, renderer: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    strict: true,
  });
  if (values.help) {
    process.stderr.write(`${SERVE_USAGE}\n`);
    process.exit(0);
  }
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!/^\d+$/.test(values.port ?? '0') || port > 65535) throw new Error('--port takes 0..65535 (0 = a free port)');
  const path = (x: string | undefined) => (x === undefined ? undefined : resolve(x));
  return { port, pack: path(values.pack), packs: path(values.packs), renderer: path(values.renderer) };
}

async function main(): Promise<void> {
  const args = parseServeArgs(process.argv.slice(2));
  const here = dirname(fileURLToPath(import.meta.url));
  const rendererDir = args.renderer ?? join(here, '..', 'renderer');
  if (!existsSync(join(rendererDir, 'index.html'))) {
    throw new Error(`no built renderer at ${rendererDir}: run \`npm run build\` first`);
  }
  const packDir = args.pack ?? defaultPackDir();
  const packsDir = args.packs ?? join(appRoot(), 'models');
  if (args.packs !== undefined && !existsSync(packsDir)) throw new Error(`--packs ${packsDir}: no such folder`);
  const shipped = ['default', 'tiny'].map((name) => join(appRoot(), 'models', name));
  const packs = await PackAllowList.create({
    root: packsDir,
    packs: [...shipped, packDir],
    rule: `pages may load only folders under ${packsDir} (serve --packs) and the shipped packs`,
  });
  const engine = await createEngineService({ packDir });
  const handle = await startServe({ engine, rendererDir, port: args.port, packs });
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
