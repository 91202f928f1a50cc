import { ApiError } from '../../electron/shared/contract';
import type { EngineApi } from '../../electron/shared/operations';
import { createRpcClient, type RpcChannel } from '../../electron/shared/rpc';
import { decodeFrame, encodeFrame } from '../../electron/shared/wire';

/** A browser WebSocket as an rpc channel, one `wire` frame per message. */
function openSocket(url: string): Promise<RpcChannel> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.binaryType = 'arraybuffer';
    ws.onerror = () => reject(new ApiError('ENGINE_FAILURE', 'Cannot reach the engine server (is `npm run serve` still running?)'));
    ws.onopen = () =>
      resolve({
        send: (msg) => ws.send(encodeFrame(msg)),
        onMessage: (listener) => (ws.onmessage = (ev: MessageEvent<ArrayBuffer>) => listener(decodeFrame(new Uint8Array(ev.data)))),
        onClose: (listener) => (ws.onclose = listener),
        close: () => ws.close(),
      });
  });
}

/**
 * The engine API over the serve bridge's WebSocket. Authentication is the HttpOnly cookie the server set
 * when the page was first loaded with `?token=`; the browser sends it with the WebSocket handshake.
 */
export function createServeClient(url: string): EngineApi {
  return createRpcClient(() => openSocket(url), 'The connection to the engine server closed.');
}
