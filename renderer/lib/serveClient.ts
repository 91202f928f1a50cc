import { ApiError } from '../../electron/shared/contract';
import type { EngineApi } from '../../electron/shared/operations';
import { createRpcClient, type RpcChannel } from '../../electron/shared/rpc';
import { serveProtocols } from '../../electron/shared/serveProtocol';
import { decodeFrame, encodeFrame } from '../../electron/shared/wire';

const OPEN_PRINTED = 'open the address `npm run serve` printed, with its ?token=';

/** A browser WebSocket as an rpc channel, one `wire` frame per message; the token goes as a subprotocol. */
function openSocket(url: string, token: string | null): Promise<RpcChannel> {
  return new Promise((resolve, reject) => {
    if (token === null) return reject(new ApiError('ENGINE_FAILURE', `This page has no token for the engine server: ${OPEN_PRINTED}.`));
    const ws = new WebSocket(url, serveProtocols(token));
    ws.binaryType = 'arraybuffer';
    // A browser does not tell a refused token (401) from a server that is gone: the message names both.
    ws.onerror = () => reject(new ApiError('ENGINE_FAILURE', `Cannot reach the engine server: is \`npm run serve\` still running? If it was restarted, ${OPEN_PRINTED}.`));
    ws.onopen = () =>
      resolve({
        send: (msg) => ws.send(encodeFrame(msg)),
        onMessage: (listener) => (ws.onmessage = (ev: MessageEvent<ArrayBuffer>) => listener(decodeFrame(new Uint8Array(ev.data)))),
        onClose: (listener) => (ws.onclose = listener),
        close: () => ws.close(),
      });
  });
}

/** The engine API over the serve bridge's WebSocket, authenticated by the token the page was opened with. */
export function createServeClient(url: string, token: string | null): EngineApi {
  return createRpcClient(() => openSocket(url, token), 'The connection to the engine server closed.');
}
