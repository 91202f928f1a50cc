import { fromBridge, type Api, type BridgeApi } from '../../electron/shared/host';
import { SERVE_WS_PATH } from '../../electron/shared/serveProtocol';
import { browserHost } from './browserHost';
import { createServeClient } from './serveClient';

declare global {
  interface Window {
    /** Set by the Electron preload script; absent in a plain browser. */
    api?: BridgeApi;
  }
}

let cached: Api | null = null;

/** The one API the renderer uses: Electron's preload bridge, or the serve bridge in a browser. */
export function getApi(): Api {
  if (cached) return cached;
  if (window.api) {
    cached = fromBridge(window.api);
  } else {
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    cached = { ...createServeClient(`${proto}//${location.host}${SERVE_WS_PATH}`), host: browserHost };
  }
  return cached;
}
