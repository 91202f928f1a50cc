/** One WebSocket's calls into the engine: an `rpc.ts` channel whose messages are `wire` frames. */
import type { WebSocket } from 'ws';
import { ApiError } from '../shared/contract.js';
import type { EngineApi } from '../shared/operations.js';
import { serveRpc, type RpcChannel } from '../shared/rpc.js';
import { decodeFrame, encodeFrame } from '../shared/wire.js';

let connections = 0;

function socketChannel(ws: WebSocket): RpcChannel {
  return {
    send(msg) {
      if (ws.readyState === ws.OPEN) ws.send(encodeFrame(msg));
    },
    onMessage(listener) {
      ws.on('message', (data, isBinary) => {
        let msg: unknown;
        let bytes = 0;
        try {
          if (!isBinary) throw new Error('text frame');
          const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
          bytes = buf.byteLength;
          msg = decodeFrame(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength));
        } catch {
          ws.close(1003, 'bad frame');
          return;
        }
        // The size goes with the message: each operation has its own limit (shared/operations.ts).
        listener(msg, bytes);
      });
    },
    onClose(listener) {
      ws.on('close', listener);
    },
    close(reason) {
      ws.close(1008, reason);
    },
  };
}

/** What a connection may do about packs: which folders it may load, and whether others would be affected. */
export interface PackGate {
  /** The real path to load for a requested folder, or BAD_PACK naming the rule (serve `--packs`). */
  resolve(requested: string): Promise<string>;
  /** Connections open besides `ws`. */
  others(ws: WebSocket): number;
}

/**
 * The engine as one connection sees it. A pack switch is refused while other pages are connected: every
 * connection shares the one engine (one model in memory, one job at a time on the CPU), so switching
 * would change the other pages' engine under them; a per-connection engine would hold one set of model
 * sessions per page and run their fills side by side, which this loopback tool for one person does not
 * need. Allowed folders are resolved (realpath) before loading, and the resolved path is what is loaded.
 */
function connectionEngine(engine: EngineApi, ws: WebSocket, gate: PackGate): EngineApi {
  // Every other operation is the engine's own (inherited), whatever the table holds.
  const view = Object.create(engine) as EngineApi;
  return Object.assign(view, {
    async loadPack(requested: string) {
      const dir = await gate.resolve(requested); // a folder that may not be loaded is refused as such first
      const others = gate.others(ws);
      if (others > 0) {
        throw new ApiError('BAD_REQUEST', `cannot switch packs while ${others} other page${others === 1 ? ' is' : 's are'} connected to this server: the pack is shared by every page; close the other tabs and try again`);
      }
      return engine.loadPack(dir);
    },
  });
}

/**
 * Serves one connection. Its job ids are scoped to it: it sees the events of its own jobs only and can
 * cancel nothing else, and its jobs are canceled when it closes (the page closed or reloaded).
 */
export function handleSocket(ws: WebSocket, engine: EngineApi, gate: PackGate): void {
  // A protocol violation (oversized, unmasked or reserved-bit frame...) is reported here; ws has already
  // failed the connection with the right close code. Without a listener it would crash the process.
  ws.on('error', () => ws.terminate());
  serveRpc(connectionEngine(engine, ws, gate), socketChannel(ws), `ws${++connections}`);
}
