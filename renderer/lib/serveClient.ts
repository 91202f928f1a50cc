import { ApiError, type EngineApi, type JobEvent } from '../../electron/shared/contract';
import { decodeFrame, encodeFrame } from '../../electron/shared/wire';
import { SERVE_OPS, type ServeMessage, type ServeOp } from '../../electron/shared/serveProtocol';

/**
 * The engine API over the serve bridge's WebSocket. Authentication is the HttpOnly cookie the server set
 * when the page was first loaded with `?token=`; the browser sends it with the WebSocket handshake.
 */
export function createServeClient(url: string): EngineApi {
  let socket: WebSocket | null = null;
  let opening: Promise<WebSocket> | null = null;
  let nextId = 1;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  const listeners = new Set<(e: JobEvent) => void>();

  const failAll = (why: string) => {
    for (const p of pending.values()) p.reject(new ApiError('ENGINE_FAILURE', why));
    pending.clear();
  };

  const connect = (): Promise<WebSocket> => {
    if (socket && socket.readyState === WebSocket.OPEN) return Promise.resolve(socket);
    if (opening) return opening;
    opening = new Promise<WebSocket>((resolve, reject) => {
      const ws = new WebSocket(url);
      ws.binaryType = 'arraybuffer';
      ws.onopen = () => {
        socket = ws;
        opening = null;
        resolve(ws);
      };
      ws.onerror = () => {
        opening = null;
        reject(new ApiError('ENGINE_FAILURE', 'Cannot reach the engine server (is `npm run serve` still running?)'));
      };
      ws.onclose = () => {
        socket = null;
        failAll('The connection to the engine server closed.');
      };
      ws.onmessage = (ev: MessageEvent<ArrayBuffer>) => {
        const msg = decodeFrame<ServeMessage>(new Uint8Array(ev.data));
        if (msg.t === 'event') {
          for (const l of listeners) l(msg.event);
        } else if (msg.t === 'result') {
          const p = pending.get(msg.id);
          if (!p) return;
          pending.delete(msg.id);
          if (msg.ok) p.resolve(msg.value);
          else p.reject(ApiError.from(msg.error));
        }
      };
    });
    return opening;
  };

  const call = async <T>(op: ServeOp, ...args: unknown[]): Promise<T> => {
    const ws = await connect();
    const id = nextId++;
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      ws.send(encodeFrame({ t: 'call', id, op, args } satisfies ServeMessage));
    });
  };

  // Events flow only while a socket is open; open it as soon as someone listens.
  const api: EngineApi = {
    info: () => call(SERVE_OPS.info),
    decodeImage: (bytes) => call(SERVE_OPS.decodeImage, bytes),
    encodeImage: (image, format, quality) => call(SERVE_OPS.encodeImage, image, format, quality),
    fill: (request) => call(SERVE_OPS.fill, request),
    cancel: (jobId) => call(SERVE_OPS.cancel, jobId),
    loadPack: (dir) => call(SERVE_OPS.loadPack, dir),
    onJobEvent: (listener) => {
      listeners.add(listener);
      void connect().catch(() => undefined);
      return () => listeners.delete(listener);
    },
  };
  return api;
}
