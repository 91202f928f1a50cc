/**
 * The app's first fill after start, through its own engine bridge: the serve process (the engine and the
 * bridge the page talks to) spawned, and the moment it is ready a client on its WebSocket asks for a fill
 * with the app's default settings (both methods, every stage). That is the worst case for a person: a fill
 * asked for before the engine's warm-up has finished (a person opening a photo and painting gives it
 * seconds). The page's drawing of the result is not included. Timed once with an empty cache folder, then
 * `runs` times with it filled, as every later start is.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { DEFAULT_SETTINGS, type FillRequest, type JobEvent, type MaskImage, type Method } from '../../shared/contract.js';
import type { RpcMessage } from '../../shared/rpc.js';
import { SERVE_TOKEN_PARAM, SERVE_WS_PATH, serveProtocols } from '../../shared/serveProtocol.js';
import { decodeFrame, encodeFrame } from '../../shared/wire.js';
import type { Pixels } from '../../engine/image/pixels.js';
import { spawnServe } from './serveProcess.js';
import { median } from './median.js';

interface Start {
  /** Spawn to the address printed (engine open, pack checked, bridge listening). */
  ready_ms: number;
  /** Fill asked for to its last method's result received. */
  fill_ms: number;
  /** Fill asked for to each method's result received. */
  method_ms: Partial<Record<Method, number>>;
}

export interface AppFirstFill {
  /** Medians over `runs` starts with the cache filled. */
  ready_ms: number;
  first_fill_ms: number;
  start_to_result_ms: number;
  method_ms: Partial<Record<Method, number>>;
  /** The first start ever (empty cache folder): spawn to the fill's last result. */
  first_start_to_result_ms: number;
  runs: number;
}

async function oneStart(serveEntry: string, rendererDir: string, packDir: string, env: NodeJS.ProcessEnv, request: FillRequest): Promise<Start> {
  const t0 = performance.now();
  const { child, ready: served } = spawnServe(serveEntry, packDir, rendererDir, env);
  try {
    const url = await served;
    const ready = performance.now();
    const ws = new WebSocket(`ws://${url.host}${SERVE_WS_PATH}`, serveProtocols(url.searchParams.get(SERVE_TOKEN_PARAM) ?? ''), { headers: { origin: url.origin } });
    const asked = await new Promise<number>((resolve, reject) => {
      ws.on('error', reject);
      ws.on('open', () => {
        ws.send(encodeFrame({ t: 'call', id: 1, op: 'fill', args: [request, 'bench-first-fill'] }));
        resolve(performance.now());
      });
    });
    const method_ms: Partial<Record<Method, number>> = {};
    const finished = await new Promise<number>((resolve, reject) => {
      // serve gone mid-fill (its 'exit' rejects only before it is ready): fail, not wait for ever
      ws.on('close', (code) => reject(new Error(`serve closed the connection (${code}) before the fill finished`)));
      ws.on('message', (d: Buffer) => {
        const m = decodeFrame<RpcMessage>(new Uint8Array(d));
        if (m.t === 'result' && !m.ok) reject(new Error(`fill refused: ${m.error.message}`));
        if (m.t !== 'event') return;
        const e: JobEvent = m.event;
        if (e.stage === 'done') method_ms[e.method] = performance.now() - asked;
        else if (e.stage === 'finished') resolve(performance.now());
        else if (e.stage === 'error') reject(new Error(`fill failed: ${e.error.message}`));
      });
    });
    ws.close();
    return { ready_ms: ready - t0, fill_ms: finished - asked, method_ms };
  } finally {
    child.kill('SIGTERM');
  }
}

/** `serveEntry`: the serve bundle (out/serve/index.js). A stand-in page folder is given to it: no page loads. */
export async function appFirstFill(serveEntry: string, packDir: string, photo: Pixels, mask: MaskImage, runs = 3): Promise<AppFirstFill> {
  const dir = await mkdtemp(join(tmpdir(), 'vqddm-app-'));
  try {
    const rendererDir = join(dir, 'renderer');
    await mkdir(rendererDir);
    await writeFile(join(rendererDir, 'index.html'), '<!doctype html><title>bench</title>');
    const env = { ...process.env, VQDDM_CACHE_DIR: join(dir, 'cache') };
    if (!(photo.data instanceof Uint8Array)) throw new Error('the app is sent 8-bit photos');
    const request: FillRequest = { image: { width: photo.width, height: photo.height, data: photo.data }, mask, settings: { ...DEFAULT_SETTINGS, seed: 1 } };
    const first = await oneStart(serveEntry, rendererDir, packDir, env, request);
    const starts: Start[] = [];
    for (let r = 0; r < runs; r++) starts.push(await oneStart(serveEntry, rendererDir, packDir, env, request));
    const methods = request.settings.methods; // in the settings' order, whichever finished first
    return {
      ready_ms: median(starts.map((s) => s.ready_ms)),
      first_fill_ms: median(starts.map((s) => s.fill_ms)),
      start_to_result_ms: median(starts.map((s) => s.ready_ms + s.fill_ms)),
      method_ms: Object.fromEntries(methods.map((m) => [m, median(starts.map((s) => s.method_ms[m] ?? NaN))])),
      first_start_to_result_ms: first.ready_ms + first.fill_ms,
      runs,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
