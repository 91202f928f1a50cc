/** One WebSocket's calls into the engine: an `rpc.ts` channel whose messages are `wire` frames. */
import type { WebSocket } from 'ws';
import { ApiError } from '../shared/contract.js';
import type { EngineApi } from '../shared/operations.js';
import { serveRpc, type RpcChannel, type RpcMessage } from '../shared/rpc.js';
import { decodeFrame, encodeFrame } from '../shared/wire.js';
import { PendingCalls, unsentReason, type ConnectionLimits } from './limits.js';

let connections = 0;

/** The id and operation of what looks like a call; anything else is left to `serveRpc`, which closes the channel. */
function callOf(msg: unknown): { id: number; op: string } | null {
  if (typeof msg !== 'object' || msg === null) return null;
  const m = msg as Record<string, unknown>;
  return m.t === 'call' && Number.isSafeInteger(m.id) ? { id: m.id as number, op: typeof m.op === 'string' ? m.op.slice(0, 64) : 'call' } : null;
}

/**
 * The channel holds the connection to its limits (`limits.ts`): a call that would pass the bytes awaiting
 * replies is answered here and never reaches the engine; a message due while the connection's unsent queue
 * is past its limit closes the connection instead of growing the queue.
 */
function socketChannel(ws: WebSocket, limits: ConnectionLimits): RpcChannel {
  const pending = new PendingCalls(limits.pendingBytes);
  const send = (msg: RpcMessage) => {
    if (msg.t === 'result') pending.release(msg.id);
    if (ws.readyState !== ws.OPEN) return;
    if (ws.bufferedAmount > limits.unsentBytes) return ws.close(1008, unsentReason(limits.unsentBytes));
    ws.send(encodeFrame(msg));
  };
  return {
    send,
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
        const call = callOf(msg);
        const refused = call && pending.admit(call.op, call.id, bytes);
        if (call && refused) return send({ t: 'result', id: call.id, ok: false, error: { code: 'BAD_REQUEST', message: refused } });
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
export function handleSocket(ws: WebSocket, engine: EngineApi, gate: PackGate, limits: ConnectionLimits): void {
  // A protocol violation (oversized, unmasked or reserved-bit frame...) is reported here; ws has already
  // failed the connection with the right close code. Without a listener it would crash the process.
  ws.on('error', () => ws.terminate());
  serveRpc(connectionEngine(engine, ws, gate), socketChannel(ws, limits), `ws${++connections}`);
}
