/** One WebSocket's calls into the engine: an `rpc.ts` channel whose messages are `wire` frames. */
import type { WebSocket } from 'ws';
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
        try {
          if (!isBinary) throw new Error('text frame');
          const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
          msg = decodeFrame(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength));
        } catch {
          ws.close(1003, 'bad frame');
          return;
        }
        listener(msg);
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

/**
 * Serves one connection. Its job ids are scoped to it: it sees the events of its own jobs only and can
 * cancel nothing else, and its jobs are canceled when it closes (the page closed or reloaded).
 */
export function handleSocket(ws: WebSocket, engine: EngineApi): void {
  // A protocol violation (oversized, unmasked or reserved-bit frame...) is reported here; ws has already
  // failed the connection with the right close code. Without a listener it would crash the process.
  ws.on('error', () => ws.terminate());
  serveRpc(engine, socketChannel(ws), `ws${++connections}`);
}
