/**
 * The engine's own process (Electron `utilityProcess`), so a fill never blocks the window's main process
 * or the page. Main hands it one MessagePort per page load; each port is an `rpc.ts` channel served like
 * a serve-bridge connection (its own job ids, its jobs canceled when the page goes away).
 *   argv: [--pack DIR | --resources DIR]
 *
 * Packs: a page's loadPack is accepted only for the shipped packs, the pack it started with and the
 * folders main vouches for (`{t: 'allowPack', path}` on the parent port, sent when the person picks one in
 * the folder dialog, acknowledged with `{t: 'packAllowed', id}`): the page talks to this process directly,
 * so main cannot check its calls, but it can say which folders came from its dialog.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { BatchEvent } from '../shared/batch.js';
import type { JobEvent } from '../shared/contract.js';
import { invokeChecked, operationsFrom, type EngineApi } from '../shared/operations.js';
import { serveRpc, type RpcChannel } from '../shared/rpc.js';
import { PackAllowList } from '../engine/packs/allowed.js';
import { appRoot, defaultPackDir } from '../engine/paths.js';
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
  postMessage(message: unknown): void;
}

const parentPort = (process as unknown as { parentPort: ParentPort }).parentPort;

function packArgs(): { pack: string; shipped: string[] } {
  const { values } = parseArgs({ options: { pack: { type: 'string' }, resources: { type: 'string' } }, strict: false });
  const roots = [typeof values.resources === 'string' ? values.resources : null, appRoot()].filter((r): r is string => r !== null);
  const shipped = roots.flatMap((root) => ['default', 'tiny'].map((name) => join(root, 'models', name)));
  if (typeof values.pack === 'string' && values.pack) return { pack: values.pack, shipped };
  const found = shipped.find((dir) => existsSync(join(dir, 'manifest.json')));
  return { pack: found ?? defaultPackDir(), shipped };
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
function hostedEngine(first: string, packs: Promise<PackAllowList>): EngineApi {
  const listeners = new Set<(e: JobEvent) => void>();
  const batchListeners = new Set<(e: BatchEvent) => void>();
  const start = (dir: string): Promise<EngineService> => {
    // The desktop's batch folders come from main's folder dialog: any folder (batchRoot null).
    const p = createEngineService({ packDir: dir, batchRoot: null });
    p.then((engine) => {
      engine.onJobEvent((e) => listeners.forEach((l) => l(e)));
      engine.onBatchEvent((e) => batchListeners.forEach((l) => l(e)));
    }, () => undefined);
    return p;
  };
  let engineP = start(first);
  // Arguments were checked by serveRpc, where they arrived; a pack folder is checked here, resolved.
  const call = async (op: string, argsIn: unknown[]): Promise<unknown> => {
    const args = op === 'loadPack' ? [await (await packs).resolve(String(argsIn[0]))] : argsIn;
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
    onBatchEvent(listener) {
      batchListeners.add(listener);
      return () => batchListeners.delete(listener);
    },
  };
}

function main(): void {
  const { pack, shipped } = packArgs();
  const packs = PackAllowList.create({
    packs: [pack, ...shipped],
    rule: 'the app loads only the shipped packs and folders chosen with "Choose pack folder…" in this session; choose it there again',
  });
  const engine = hostedEngine(pack, packs);
  let pages = 0;
  parentPort.on('message', (e) => {
    const port = e.ports[0];
    if (port) {
      serveRpc(engine, portChannel(port), `page${++pages}`);
      return;
    }
    const m = e.data as { t?: unknown; id?: unknown; path?: unknown } | null;
    if (m?.t === 'allowPack' && typeof m.path === 'string') {
      const id = m.id;
      void packs.then((list) => list.allow(m.path as string)).finally(() => parentPort.postMessage({ t: 'packAllowed', id }));
    }
  });
}

main();
