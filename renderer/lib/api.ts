import { ENGINE_PORT_TAG } from '../../electron/shared/contract';
import { hostFromBridge, type Api, type BridgeApi } from '../../electron/shared/host';
import { createRpcClient, type RpcChannel } from '../../electron/shared/rpc';
import { SERVE_WS_PATH } from '../../electron/shared/serveProtocol';
import { browserHost } from './browserHost';
import { createServeClient } from './serveClient';
import { takeServeToken } from './serveToken';

declare global {
  interface Window {
    /** Set by the Electron preload script; absent in a plain browser. */
    api?: BridgeApi;
  }
}

/**
 * The desktop's engine channel: a MessagePort straight to the engine process, which main hands over
 * (through the preload, as a window message) at start and again whenever the engine process restarts.
 * Results arrive by structured clone with their pixel buffers transferred, not copied.
 */
function enginePorts(bridge: BridgeApi): () => Promise<RpcChannel> {
  let latest: MessagePort | null = null;
  const waiting: ((p: MessagePort) => void)[] = [];
  let current: { port: MessagePort; closed: () => void } | null = null;
  window.addEventListener('message', (e: MessageEvent) => {
    if (e.source !== window || e.data !== ENGINE_PORT_TAG || !e.ports[0]) return;
    // A new port means the engine process restarted: calls on the old one will never be answered.
    current?.closed();
    current = null;
    latest = e.ports[0];
    for (const w of waiting.splice(0)) w(latest);
  });
  bridge.requestEnginePort();
  return async () => {
    const port = latest ?? (await new Promise<MessagePort>((resolve) => waiting.push(resolve)));
    latest = null;
    let onClose = () => undefined as void;
    current = { port, closed: () => onClose() };
    return {
      send: (msg) => port.postMessage(msg),
      onMessage: (listener) => {
        port.onmessage = (ev) => listener(ev.data);
        port.start();
      },
      onClose: (listener) => (onClose = listener),
      close: () => port.close(),
    };
  };
}

let cached: Api | null = null;

/** The one API the renderer uses: the engine (over a MessagePort on the desktop, a WebSocket in a browser) and its host. */
export function getApi(): Api {
  if (cached) return cached;
  if (window.api) {
    cached = { ...createRpcClient(enginePorts(window.api), 'The engine process stopped; it is being restarted.'), host: hostFromBridge(window.api) };
  } else {
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    cached = { ...createServeClient(`${proto}//${location.host}${SERVE_WS_PATH}`, takeServeToken()), host: browserHost };
  }
  return cached;
}
