/**
 * The serve bridge: the built renderer and the engine API on 127.0.0.1. The engine, the WebSocket at
 * SERVE_WS_PATH, is behind a random per-start token, which the page takes from the address it was opened
 * with and offers as a subprotocol (shared/serveProtocol.ts); an upgrade without it is answered 401, one
 * without this server's Origin 403. The renderer's files are the app's own code, with nothing secret in
 * them, so they are served without the token: a page reloaded after dropping `?token=` from its address
 * must load, and script and style requests cannot carry a token. Every request must name this server in
 * its Host header. The engine is passed in, so tests can use a double.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { largestMessage, type EngineApi } from '../shared/operations.js';
import { CSP, RENDERER_TYPES } from '../shared/csp.js';
import { SERVE_PROTOCOL, SERVE_TOKEN_PARAM, SERVE_WS_PATH, tokenFromProtocols } from '../shared/serveProtocol.js';
import type { PackAllowList } from '../engine/packs/allowed.js';
import { SERVE_LIMITS, type ConnectionLimits } from './limits.js';
import { handleSocket } from './rpc.js';

export interface ServeOptions {
  engine: EngineApi;
  /** Folder with the built renderer (index.html). */
  rendererDir: string;
  /** 0 = any free port. */
  port?: number;
  /** The pack folders pages may load (serve `--packs`, the shipped packs, the pack given at start). */
  packs: PackAllowList;
  token?: string;
  /** Bytes one connection may make the server hold (default SERVE_LIMITS; tests pass small ones). */
  limits?: ConnectionLimits;
}

export interface ServeHandle {
  port: number;
  token: string;
  url: string;
  close(): Promise<void>;
}

const TYPES = RENDERER_TYPES;
export { CSP };

/**
 * The cap on one message: the largest operation's limit (a 100 MP photo's RGBA and mask for `fill`, a
 * 512 MiB file for `decodeImage`); each operation's own limit is checked as its message arrives
 * (shared/operations.ts `maxBytes`), so an `info` call of 100 MB is refused too.
 */
const MAX_MESSAGE_BYTES = largestMessage();

function same(a: string, b: string): boolean {
  const x = Buffer.from(a), y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Ends a refused upgrade: a status line, no body, the connection closed. */
function refuse(socket: Duplex, status: string): void {
  socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
}

export async function startServe(opts: ServeOptions): Promise<ServeHandle> {
  const token = opts.token ?? randomBytes(24).toString('base64url');
  const root = resolve(opts.rendererDir);
  let port = 0;

  // The Host header must name this server: a page on another site rebound to 127.0.0.1 gets nothing.
  const hostOk = (req: IncomingMessage) => req.headers.host === `127.0.0.1:${port}` || req.headers.host === `localhost:${port}`;
  // A browser always sends Origin with an upgrade; only this server's own pages may open the engine.
  const originOk = (req: IncomingMessage) => req.headers.origin === `http://127.0.0.1:${port}` || req.headers.origin === `http://localhost:${port}`;
  const tokenOk = (req: IncomingMessage) => {
    const offered = tokenFromProtocols(req.headers['sec-websocket-protocol']);
    return offered !== null && same(offered, token);
  };

  const deny = (res: ServerResponse, status: number, text: string) => {
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
    res.end(`${text}\n`);
  };

  const server: Server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      if (!hostOk(req)) return deny(res, 403, '403 Forbidden: this server answers only to 127.0.0.1 and localhost at its own port.');
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { allow: 'GET, HEAD' });
        return res.end();
      }
      const rel = normalize(decodeURIComponent(url.pathname === '/' ? '/index.html' : url.pathname)).replace(/^([/\\])+/, '');
      const file = join(root, rel);
      if (file !== root && !file.startsWith(root + sep)) return deny(res, 404, 'not found');
      const st = await stat(file).catch(() => null);
      if (!st?.isFile()) {
        res.writeHead(404, { 'content-type': 'text/plain' });
        return res.end('not found');
      }
      res.writeHead(200, {
        'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
        'content-length': st.size,
        'content-security-policy': CSP,
        'x-content-type-options': 'nosniff',
        'cache-control': 'no-store',
      });
      if (req.method === 'HEAD') return res.end();
      createReadStream(file).pipe(res);
    })().catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });

  // The token is offered as a subprotocol beside SERVE_PROTOCOL; the server selects SERVE_PROTOCOL, never
  // the token, so it is not echoed back.
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES, handleProtocols: (offered) => (offered.has(SERVE_PROTOCOL) ? SERVE_PROTOCOL : false) });
  const sockets = new Set<WebSocket>();

  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname !== SERVE_WS_PATH) return refuse(socket, '404 Not Found');
    if (!hostOk(req) || !originOk(req)) return refuse(socket, '403 Forbidden');
    if (!tokenOk(req)) return refuse(socket, '401 Unauthorized');
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.add(ws);
      ws.on('close', () => sockets.delete(ws));
      handleSocket(ws, opts.engine, { resolve: (p) => opts.packs.resolve(p), others: (me) => [...sockets].filter((x) => x !== me).length }, opts.limits ?? SERVE_LIMITS);
    });
  });

  await new Promise<void>((res, rej) => {
    server.once('error', rej);
    server.listen(opts.port ?? 0, '127.0.0.1', () => res());
  });
  port = (server.address() as AddressInfo).port;

  return {
    port,
    token,
    url: `http://127.0.0.1:${port}/?${SERVE_TOKEN_PARAM}=${token}`,
    close: async () => {
      for (const ws of sockets) ws.terminate(); // each connection unsubscribes from the engine on close
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((res) => server.close(() => res()));
    },
  };
}
