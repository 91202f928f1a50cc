/**
 * Where the serve bridge listens for the page's engine calls: a WebSocket at SERVE_WS_PATH carrying
 * `rpc.ts` messages, one `wire` frame each; the token travels in SERVE_COOKIE after the first page load.
 */
export const SERVE_WS_PATH = '/api';
export const SERVE_COOKIE = 'vqddm_token';
