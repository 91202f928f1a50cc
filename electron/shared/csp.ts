/**
 * The page's Content-Security-Policy, sent as a response header by both hosts of the renderer: the serve
 * bridge (every HTTP response) and the desktop's `app://` protocol (electron/main/protocol.ts). The meta
 * tag in renderer/index.html states the same policy for hosts that send none (it cannot hold
 * frame-ancestors, which only a header can). Pure TypeScript.
 */
export const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' blob: data:; " +
  "connect-src 'self'; worker-src 'self' blob:; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** Content types of the built renderer's files, by extension. */
export const RENDERER_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};
