/** Starts the real serve bridge (built bundle, tiny pack) and Debian's Chromium for the journeys. */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import WebSocket from 'ws';
import { SERVE_WS_PATH, serveProtocols } from '../../electron/shared/serveProtocol.js';

export const ROOT = join(import.meta.dirname, '..', '..');
export const ARTIFACTS = join(ROOT, 'artifacts', 'e2e');
export const FIXTURE = join(ROOT, 'tests', 'fixtures', 'photo.jpg');
export const TINY_PACK = join(ROOT, 'models', 'tiny');
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export interface ServeProcess {
  url: string;
  origin: string;
  token: string;
  port: number;
  /** The serve process's id (its memory is read from /proc, a fault kills it). */
  pid: number;
  lines: string[];
  /** True once the serve process has exited (crashed, or stopped). */
  exited(): boolean;
  stop(): Promise<void>;
}

/**
 * `node out/serve/index.js --port 0`, resolved once it prints its one `Serving at` line; `env` is added to
 * the process's environment (a stand-in HOME, say).
 */
export async function startServe(extraArgs: string[] = ['--pack', TINY_PACK], env: Record<string, string> = {}): Promise<ServeProcess> {
  const entry = join(ROOT, 'out', 'serve', 'index.js');
  if (!existsSync(entry) || !existsSync(join(ROOT, 'out', 'renderer', 'index.html'))) {
    throw new Error('build first: `node scripts/build-node.mjs && npx vite build`');
  }
  const child: ChildProcess = spawn(process.execPath, [entry, '--port', '0', ...extraArgs], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  const lines: string[] = [];
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start in 60 s: ${stderr}`)), 60_000);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      lines.push(line);
      const m = /^Serving at (http:\/\/127\.0\.0\.1:(\d+)\/\?token=(\S+))$/.exec(line);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.on('exit', (code) => reject(new Error(`serve exited with ${code}: ${stderr}`)));
  });
  const u = new URL(url);
  return {
    url,
    origin: u.origin,
    token: u.searchParams.get('token')!,
    port: Number(u.port),
    pid: child.pid!,
    lines,
    exited: () => child.exitCode !== null || child.signalCode !== null,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 5000).unref();
      }),
  };
}

/** A WebSocket to `s`'s engine as its page opens one: from the page's origin, the token as a subprotocol. */
export function apiSocket(s: ServeProcess): WebSocket {
  return new WebSocket(`ws://127.0.0.1:${s.port}${SERVE_WS_PATH}`, serveProtocols(s.token), { headers: { origin: s.origin } });
}

/** The same handshake's Origin and Sec-WebSocket-Protocol lines, for handshakes written byte by byte. */
export function handshakeLines(s: ServeProcess): string {
  return `Origin: ${s.origin}\r\nSec-WebSocket-Protocol: ${serveProtocols(s.token).join(', ')}\r\n`;
}

export function chromiumAvailable(): boolean {
  return existsSync(CHROMIUM);
}

/** CI is set (as `.ci/run` sets it), to anything but "", "0" or "false". */
export function inCi(): boolean {
  const ci = (process.env.CI ?? '').trim().toLowerCase();
  return ci !== '' && ci !== '0' && ci !== 'false';
}

/**
 * For a browser suite's `describe.skipIf(skipWithoutChromium())`: false when Chromium is there. Without
 * it the suite fails under CI, where it must run (the error fails its test file), and elsewhere is
 * skipped, saying so (vitest shows the message under the file's name).
 */
export function skipWithoutChromium(): boolean {
  if (chromiumAvailable()) return false;
  const why = `no Chromium at ${CHROMIUM} (install Debian's chromium, as \`bash scripts/system-deps.sh\` does, or set CHROMIUM_PATH)`;
  if (inCi()) throw new Error(`browser suite cannot run: ${why}; CI is set, so this is a failure, not a skip`);
  console.warn(`browser suite SKIPPED: ${why}. With CI set it fails instead.`);
  return true;
}

export async function launchBrowser(): Promise<Browser> {
  mkdirSync(ARTIFACTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

/** A serve process (tiny pack) and a browser for one test file: started before its tests, stopped after. */
export function useServeAndBrowser(): { readonly server: ServeProcess; readonly browser: Browser; newContext(): Promise<BrowserContext> } {
  let server: ServeProcess | undefined;
  let browser: Browser | undefined;
  beforeAll(async () => {
    server = await startServe();
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });
  return {
    get server() {
      return server as ServeProcess;
    },
    get browser() {
      return browser as Browser;
    },
    newContext: () => (browser as Browser).newContext({ viewport: { width: 1440, height: 900 }, acceptDownloads: true }),
  };
}
