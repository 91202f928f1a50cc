/**
 * The engine's own process (Electron `utilityProcess`), so a fill never blocks the window's main process
 * or the page. Main hands it one MessagePort per page load; each port is an `rpc.ts` channel served like
 * a serve-bridge connection (its own job ids, its jobs canceled when the page goes away).
 *   argv: [--pack DIR | --resources DIR]
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { JobEvent } from '../shared/contract.js';
import { invokeChecked, operationsFrom, type EngineApi } from '../shared/operations.js';
import { serveRpc, type RpcChannel } from '../shared/rpc.js';
import { defaultPackDir } from '../engine/paths.js';
import { createEngineService, type EngineService } from '../engine/service.js';

/** Electron's MessagePortMain, as far as it is used here. */
interface PortMain {
  on(event: 'message', listener: (e: { data: unknown }) => void): void;
  on(event: 'close', listener: () => void): void;
  postMessage(message: unknown): void;
  start(): void;
  close(): void;
}

interface ParentPort {
  on(event: 'message', listener: (e: { data: unknown; ports: PortMain[] }) => void): void;
}

const parentPort = (process as unknown as { parentPort: ParentPort }).parentPort;

function packFromArgs(): string {
  const { values } = parseArgs({ options: { pack: { type: 'string' }, resources: { type: 'string' } }, strict: false });
  if (typeof values.pack === 'string' && values.pack) return values.pack;
  for (const name of ['default', 'tiny']) {
    const dir = typeof values.resources === 'string' ? join(values.resources, 'models', name) : '';
    if (dir && existsSync(join(dir, 'manifest.json'))) return dir;
  }
  return defaultPackDir();
}

function portChannel(port: PortMain): RpcChannel {
  return {
    // Structured clone: one copy into the page (MessagePortMain transfers ports only, not buffers).
    send: (msg) => port.postMessage(msg),
    onMessage: (listener) => {
      port.on('message', (e) => listener(e.data));
      port.start();
    },
    onClose: (listener) => port.on('close', listener),
    close: () => port.close(),
  };
}

/**
 * The engine every page talks to. When the pack fails to load, every call reports why, and loading
 * another pack starts a fresh engine; job events of whichever engine is current reach every subscriber.
 */
function hostedEngine(): EngineApi {
  const listeners = new Set<(e: JobEvent) => void>();
  const start = (dir: string): Promise<EngineService> => {
    const p = createEngineService({ packDir: dir });
    p.then((engine) => engine.onJobEvent((e) => listeners.forEach((l) => l(e))), () => undefined);
    return p;
  };
  let engineP = start(packFromArgs());
  // Arguments were checked by serveRpc, where they arrived.
  const call = async (op: string, args: unknown[]): Promise<unknown> => {
    const engine = await engineP.catch((e: unknown) => {
      if (op !== 'loadPack') throw e;
      engineP = start(String(args[0]));
      return null;
    });
    return engine ? invokeChecked(engine, op, args) : (await engineP).info();
  };
  return {
    ...operationsFrom(call),
    onJobEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

function main(): void {
  const engine = hostedEngine();
  let pages = 0;
  parentPort.on('message', (e) => {
    const port = e.ports[0];
    if (port) serveRpc(engine, portChannel(port), `page${++pages}`);
  });
}

main();
