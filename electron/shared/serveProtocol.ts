/**
 * Where the serve bridge listens for the page's engine calls: a WebSocket at SERVE_WS_PATH carrying
 * `rpc.ts` messages, one `wire` frame each. The per-start token comes in the address `npm run serve`
 * prints (`?token=`); the page keeps it and offers it as a WebSocket subprotocol, beside SERVE_PROTOCOL,
 * which the server selects. Not a cookie: browsers send cookies to every port of a host, so another local
 * server would receive the token, and a second serve instance would overwrite the first one's.
 */
export const SERVE_WS_PATH = '/api';
export const SERVE_TOKEN_PARAM = 'token';
export const SERVE_PROTOCOL = 'vqddm';
const TOKEN_PREFIX = `${SERVE_PROTOCOL}.token.`;

/** The subprotocols a client offers: the one the server selects, and the token (base64url is a valid protocol name). */
export function serveProtocols(token: string): string[] {
  return [SERVE_PROTOCOL, TOKEN_PREFIX + token];
}

/** The token among offered subprotocols (a `Sec-WebSocket-Protocol` header's list), or null. */
export function tokenFromProtocols(header: string | undefined): string | null {
  for (const p of (header ?? '').split(',')) {
    const name = p.trim();
    if (name.startsWith(TOKEN_PREFIX)) return name.slice(TOKEN_PREFIX.length);
  }
  return null;
}
