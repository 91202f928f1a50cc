/**
 * The serve bridge: the built renderer and the engine API on 127.0.0.1, behind a random per-start token.
 * A request is let in when it carries the token, as `?token=` (the page's first load, which sets an
 * HttpOnly cookie and redirects to drop it from the address bar) or as that cookie; anything else, page,
 * asset or WebSocket, is answered 401. The engine is passed in, so tests can use a double.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { largestMessage, type EngineApi } from '../shared/operations.js';
import { CSP, RENDERER_TYPES } from '../shared/csp.js';
import { SERVE_COOKIE, SERVE_WS_PATH } from '../shared/serveProtocol.js';
import type { PackAllowList } from '../engine/packs/allowed.js';
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

/**
 * The token cookie's name carries the port: browsers scope cookies by host, not port, so under one name a
 * second serve instance on 127.0.0.1 would overwrite the first one's token (which then answers 401).
 */
function cookieName(port: number): string {
  return `${SERVE_COOKIE}_${port}`;
}

function cookieToken(req: IncomingMessage, port: number): string | null {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === cookieName(port)) return decodeURIComponent(v.join('='));
  }
  return null;
}

export async function startServe(opts: ServeOptions): Promise<ServeHandle> {
  const token = opts.token ?? randomBytes(24).toString('base64url');
  const root = resolve(opts.rendererDir);
  let port = 0;

  // The Host header must name this server: a page on another site rebound to 127.0.0.1 gets nothing.
  const hostOk = (req: IncomingMessage) => req.headers.host === `127.0.0.1:${port}` || req.headers.host === `localhost:${port}`;
  const authed = (req: IncomingMessage, url: URL) => {
    const q = url.searchParams.get('token');
    const c = cookieToken(req, port);
    return hostOk(req) && ((q !== null && same(q, token)) || (c !== null && same(c, token)));
  };

  const deny = (res: ServerResponse) => {
    res.writeHead(401, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
    res.end('401 Unauthorized: open the address printed by `npm run serve`, with its ?token=.\n');
  };

  const server: Server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      if (!authed(req, url)) return deny(res);
      if (url.searchParams.has('token')) {
        // Trade the token in the address for a cookie the page's scripts cannot read.
        res.writeHead(303, {
          'set-cookie': `${cookieName(port)}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`,
          location: url.pathname,
          'cache-control': 'no-store',
        });
        return res.end();
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { allow: 'GET, HEAD' });
        return res.end();
      }
      const rel = normalize(decodeURIComponent(url.pathname === '/' ? '/index.html' : url.pathname)).replace(/^([/\\])+/, '');
      const file = join(root, rel);
      if (file !== root && !file.startsWith(root + sep)) return deny(res);
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

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  const sockets = new Set<WebSocket>();

  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const origin = req.headers.origin;
    const originOk = origin === undefined || origin === `http://127.0.0.1:${port}` || origin === `http://localhost:${port}`;
    if (url.pathname !== SERVE_WS_PATH || !authed(req, url) || !originOk) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.add(ws);
      ws.on('close', () => sockets.delete(ws));
      handleSocket(ws, opts.engine, { resolve: (p) => opts.packs.resolve(p), others: (me) => [...sockets].filter((x) => x !== me).length });
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
    url: `http://127.0.0.1:${port}/?token=${token}`,
    close: async () => {
      for (const ws of sockets) ws.terminate(); // each connection unsubscribes from the engine on close
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((res) => server.close(() => res()));
    },
  };
}
