/**
 * The serve bridge's front door: the engine's WebSocket opens only from this server's own origin (403
 * otherwise, Origin-less upgrades included) with the per-start token offered as a subprotocol (401
 * otherwise); no cookie is ever set. The renderer's files are public, behind the Host check only.
 */
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { decodeFrame, encodeFrame } from '../../electron/shared/wire.js';
import type { RpcMessage } from '../../electron/shared/rpc.js';
import { serveProtocols } from '../../electron/shared/serveProtocol.js';
import { apiSocket, ROOT, startServe, type ServeProcess } from './harness.js';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function get(port: number, path: string, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * Writes `head` (a request's lines, without the blank line that ends it) byte for byte over TCP and reads
 * until the server closes the connection, or for 5 s (then `closed` is false): no client (`URL`, fetch,
 * http.request's checks) collapses `..`, decodes `%2e`, turns `\` into `/` or adds a header first, so what
 * is tested is the server's own handling.
 */
function raw(port: number, head: string): Promise<{ status: number; raw: string; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(`${head}\r\n\r\n`));
    const chunks: Buffer[] = [];
    const done = (closed: boolean) => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('latin1');
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3}) /.exec(text)?.[1] ?? 0), raw: text, closed });
    };
    const timer = setTimeout(() => {
      done(false);
      socket.destroy();
    }, 5000);
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.on('error', reject);
    socket.on('close', () => done(true));
  });
}

const rawGet = (port: number, target: string) => raw(port, `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close`);

/** An upgrade to /api with the given extra header lines; resolves once the server has closed the connection. */
const rawUpgrade = (port: number, lines: string[]) =>
  raw(port, [`GET /api HTTP/1.1`, `Host: 127.0.0.1:${port}`, 'Upgrade: websocket', 'Connection: Upgrade', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Version: 13', ...lines].join('\r\n'));

/** Resolves with the HTTP status of a refused upgrade by a `ws` client, or 101 when the socket opens. */
function upgrade(port: number, protocols: string[], headers: Record<string, string>, path = '/api'): Promise<{ status: number; ws?: WebSocket }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`, protocols, { headers });
    ws.on('unexpected-response', (_req, res) => resolve({ status: res.statusCode ?? 0 }));
    ws.on('open', () => resolve({ status: 101, ws }));
    ws.on('error', reject);
  });
}

function nextMessage(ws: WebSocket): Promise<RpcMessage> {
  return new Promise((resolve) => ws.once('message', (d: Buffer) => resolve(decodeFrame<RpcMessage>(new Uint8Array(d)))));
}

describe('serve mode token', () => {
  let s: ServeProcess;
  let asset: string;
  beforeAll(async () => {
    s = await startServe();
    asset = /src="\.\/(assets\/[^"]+\.js)"/.exec(readFileSync(join(ROOT, 'out', 'renderer', 'index.html'), 'utf8'))![1]!;
  });
  afterAll(() => s?.stop());

  it('prints exactly one line, the address with its token', () => {
    expect(s.lines).toEqual([`Serving at http://127.0.0.1:${s.port}/?token=${s.token}`]);
    expect(s.token.length).toBeGreaterThanOrEqual(32);
  });

  it('serves the page and its assets without a token and never sets a cookie; a foreign Host gets 403', async () => {
    // The page must load after it has dropped ?token= from its address (a reload), and its script and
    // style requests cannot carry a token: the renderer's files are public, the engine is not.
    for (const path of ['/', `/?token=${s.token}`, `/?token=wrong`]) {
      const page = await get(s.port, path);
      expect(page.status).toBe(200);
      expect(page.body).toContain('<div id="app">');
      expect(String(page.headers['content-security-policy'])).toContain("script-src 'self'");
      expect(page.headers['set-cookie']).toBeUndefined(); // a cookie would go to every port of 127.0.0.1
    }
    expect((await get(s.port, `/${asset}`)).status).toBe(200);
    expect((await get(s.port, '/nope')).status).toBe(404);
    // A foreign Host header (DNS rebinding) gets nothing.
    expect((await get(s.port, '/', { host: 'evil.example' })).status).toBe(403);
    expect((await get(s.port, `/${asset}`, { host: 'evil.example' })).status).toBe(403);
  });

  it('serves nothing outside the renderer folder, however the path is spelled on the wire', async () => {
    // Files that exist outside out/renderer (the server's root): the project's package.json two levels
    // up, the main bundle beside it, and /etc/passwd. Each reply must hold none of their bytes.
    const secrets = [join(ROOT, 'package.json'), join(ROOT, 'out', 'main', 'index.cjs'), '/etc/passwd'].map((f) => readFileSync(f, 'latin1').slice(0, 120));
    const up = (sep: string, n: number) => Array.from({ length: n }, () => `..${sep}`).join('');
    const targets = [
      `/${up('/', 2)}package.json`, // plain dot segments, as sent (a client's URL would have collapsed them)
      `/${up('/', 1)}main/index.cjs`,
      `/${up('/', 12)}etc/passwd`,
      `/assets/${up('/', 3)}package.json`,
      `//..//..//package.json`,
      `/%2e%2e/%2e%2e/package.json`, // encoded dots
      `/%2E%2E/%2E%2E/package.json`,
      `/.%2e/.%2e/package.json`,
      `/${up('%2f', 2)}package.json`, // encoded slashes: one segment on the wire, three after decoding
      `/${up('%2F', 1)}main%2Findex.cjs`,
      `/%2e%2e%2f%2e%2e%2fpackage.json`,
      `/assets/${up('%2f', 3)}package.json`,
      `/${up('%2f', 12)}etc%2fpasswd`,
      `/${up('\\', 2)}package.json`, // backslashes, raw and encoded
      `/${up('%5c', 2)}package.json`,
      `/${up('%5C', 1)}main%5Cindex.cjs`,
      `/%252e%252e/%252e%252e/package.json`, // double-encoded: decoded once, these are names, not dot segments
      `/${up('%252f', 2)}package.json`,
      `/%252e%252e%252f%252e%252e%252fpackage.json`,
    ];
    // 404: the guard's refusal, or a name inside the root that does not exist; either way the request
    // reached the file handler (a 400 would mean the HTTP parser refused it, testing nothing) and got
    // nothing back. Every spelling that does otherwise is listed.
    const wrong: string[] = [];
    for (const target of targets) {
      const r = await rawGet(s.port, target);
      const leaked = secrets.some((secret) => r.raw.includes(secret));
      if (r.status !== 404 || leaked) wrong.push(`${target} -> ${r.status}${leaked ? ', with the bytes of a file outside the root' : ''}`);
    }
    expect(wrong).toEqual([]);
    // The same connection code does serve what is inside the root, so the refusals above are the guard's.
    const ok = await rawGet(s.port, `/${asset}`);
    expect(ok.status).toBe(200);
    expect(ok.raw).toContain(readFileSync(join(ROOT, 'out', 'renderer', asset), 'latin1').slice(0, 120));
  });

  it('refuses WebSocket upgrades without an Origin or from another origin with 403, and closes the connection', async () => {
    const token = `Sec-WebSocket-Protocol: ${serveProtocols(s.token).join(', ')}`;
    // Raw handshakes: the status line, then the server ends the connection.
    const refused = { status: 403, closed: true };
    expect(await rawUpgrade(s.port, [token])).toMatchObject(refused); // no Origin: not a page of this server
    expect(await rawUpgrade(s.port, [token, 'Origin: http://evil.example'])).toMatchObject(refused);
    expect(await rawUpgrade(s.port, [token, `Origin: http://127.0.0.1:${s.port + 1}`])).toMatchObject(refused); // another local server's page
    expect(await rawUpgrade(s.port, [token, 'Origin: null'])).toMatchObject(refused);
    // The same through a `ws` client, which sends no Origin unless told to.
    expect((await upgrade(s.port, serveProtocols(s.token), {})).status).toBe(403);
    expect((await upgrade(s.port, serveProtocols(s.token), { origin: 'http://evil.example' })).status).toBe(403);
    expect((await upgrade(s.port, serveProtocols(s.token), { origin: s.origin, host: 'evil.example' })).status).toBe(403);
  });

  it('refuses WebSocket upgrades from its own origin without the token as a subprotocol with 401', async () => {
    const origin = { origin: s.origin };
    expect(await rawUpgrade(s.port, [`Origin: ${s.origin}`])).toMatchObject({ status: 401, closed: true });
    expect((await upgrade(s.port, [], origin)).status).toBe(401);
    expect((await upgrade(s.port, serveProtocols('wrong'), origin)).status).toBe(401);
    expect((await upgrade(s.port, serveProtocols(s.token.slice(1)), origin)).status).toBe(401);
    // Where the token used to travel: the address and a cookie. Neither opens the engine now.
    expect((await upgrade(s.port, ['vqddm'], origin, `/api?token=${s.token}`)).status).toBe(401);
    expect((await upgrade(s.port, ['vqddm'], { ...origin, cookie: `vqddm_token_${s.port}=${s.token}` })).status).toBe(401);
  });

  it('opens the engine to its own origin with the token, selecting the app protocol, not the token', async () => {
    for (const origin of [s.origin, `http://localhost:${s.port}`]) {
      const ok = await upgrade(s.port, serveProtocols(s.token), { origin });
      expect(ok.status).toBe(101);
      ok.ws!.close();
    }
    const ws = apiSocket(s);
    await new Promise((resolve, reject) => { ws.on('open', resolve); ws.on('error', reject); });
    expect(ws.protocol).toBe('vqddm');
    let reply = nextMessage(ws);
    ws.send(encodeFrame({ t: 'call', id: 1, op: 'info', args: [] }));
    expect(await reply).toMatchObject({ t: 'result', id: 1, ok: true, value: { packName: 'tiny' } });
    reply = nextMessage(ws);
    ws.send(encodeFrame({ t: 'call', id: 2, op: 'decodeImage', args: [new Uint8Array([1, 2, 3])] }));
    expect(await reply).toMatchObject({ t: 'result', id: 2, ok: false, error: { code: 'BAD_IMAGE' } });
    ws.close();
  });
});
