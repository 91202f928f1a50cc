/**
 * The engine's own process (Electron `utilityProcess`), so a fill never blocks the window's main
 * process. Talks to main over `process.parentPort` with the serve bridge's message shapes; binary data
 * crosses by structured clone (no base64).
 *   argv: [--pack DIR]
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { defaultPackDir } from '../engine/paths.js';
import { createEngineService, type EngineService } from '../engine/service.js';
import { dispatch, toErrorShape } from '../serve/rpc.js';
import type { ServeMessage } from '../shared/serveProtocol.js';

interface ParentPort {
  on(event: 'message', listener: (e: { data: ServeMessage }) => void): void;
  postMessage(message: ServeMessage | { t: 'ready' }): void;
}

const port = (process as unknown as { parentPort: ParentPort }).parentPort;

function packFromArgs(): string {
  const i = process.argv.indexOf('--pack');
  if (i >= 0 && process.argv[i + 1]) return process.argv[i + 1]!;
  const res = process.argv.indexOf('--resources');
  const resources = res >= 0 ? process.argv[res + 1] : undefined;
  for (const name of ['default', 'tiny']) {
    const dir = resources ? join(resources, 'models', name) : '';
    if (dir && existsSync(join(dir, 'manifest.json'))) return dir;
  }
  return defaultPackDir();
}

/** Open a pack and forward its job events to main. */
function start(dir: string): Promise<EngineService> {
  const p = createEngineService({ packDir: dir });
  p.then((engine) => engine.onJobEvent((event) => port.postMessage({ t: 'event', event })), () => undefined);
  return p;
}

function main(): void {
  // Calls that arrive while the engine loads wait for it. When the pack fails to load, every call reports
  // why, and choosing another pack starts a fresh engine.
  let engineP = start(packFromArgs());
  port.on('message', ({ data: msg }) => {
    if (msg.t !== 'call') return;
    const { id, op, args } = msg;
    engineP
      .then(
        (engine) => dispatch(engine, op, args),
        (e: unknown) => {
          if (op !== 'loadPack') throw e;
          engineP = start(String(args[0]));
          return engineP.then((engine) => engine.info());
        },
      )
      .then(
        (value) => port.postMessage({ t: 'result', id, ok: true, value: value ?? null }),
        (e: unknown) => port.postMessage({ t: 'result', id, ok: false, error: toErrorShape(e) }),
      );
  });
  port.postMessage({ t: 'ready' });
}

main();
