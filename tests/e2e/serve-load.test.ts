/**
 * The serve bridge under load (issue 8's figures, recorded for docs/RELIABILITY.md): the serve process's
 * resident memory over many fills on one connection, and 50 connections at once, each answered and each
 * filling.
 *
 * Memory: over 1000 tiny fills the growth after a 10-fill warm-up stays under 50 MB at fill 200 (the
 * issue's figure), and the last 500 fills add less than 8 MB: the resident size levels off (a process
 * probe with --expose-gc found the JS heap flat at 9 MB and the growth native: the allocator's arenas for
 * onnxruntime's and libuv's threads filling up, level from about fill 150). A leak of the 0.13 MB a fill
 * first seen would add 65 MB there. Then the default pack on a 12 MP photo, sent as the page sends it
 * (the window around the hole, as renderer/lib/fillRequest.ts builds it), both methods at their default steps.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, type FillRequest, type FillSettings, type MaskImage, type RgbaImage } from '../../electron/shared/contract.js';
import { cropOptionsFor, fillWindow } from '../../electron/shared/regions.js';
import { ROOT, startServe, type ServeProcess } from './harness.js';
import { client, rssMb, smallFill } from './serve-client.js';
import { recordFigures } from '../reliability/record.js';

const FILLS = 1000;
const WARM_UP = 10;
/** The figure: growth after warm-up at fill 200. */
const AT = 200;
const GROWTH_LIMIT_MB = 50;
/** Growth over the last half of the run: a level resident size, not a steady climb. */
const LEVEL_LIMIT_MB = 8;
const CONNECTIONS = 50;
const PHOTO_W = 4032, PHOTO_H = 3024;
const PHOTO_FILLS = 40;
/**
 * The 12 MP run's resident size is sampled every 5 fills and its growth taken between the means of the
 * first three samples after warm-up (fills 10-20) and the last three (30-40): one sample swings by tens of
 * MB with where the allocator's arenas stand (a clean CI run measured +58 MB from fill 10 to 40, its rerun
 * -11 MB). What it catches is a leak of photo-sized buffers: a buffer kept per fill in the service (tried
 * once, docs/RELIABILITY.md) of 8 MB measured +151 MB and failed, one of 4 MB +49 MB and passed (the 80 MB
 * kept partly reuses memory the arenas already hold). Smaller per-fill leaks are the 1000-fill run's to
 * catch: 2.5 MB a fill there measured +465 MB.
 */
const PHOTO_EVERY = 5;

/** The request the page sends for a photo and its mask (renderer/lib/fillRequest.ts): the window the fill reads, framed in the photo. */
function pageRequest(image: RgbaImage, mask: MaskImage, settings: FillSettings, imageSize: number): FillRequest {
  const win = fillWindow(mask, cropOptionsFor(imageSize))!;
  const w = win.x1 - win.x0, h = win.y1 - win.y0;
  const img = new Uint8Array(w * h * 4), m = new Uint8Array(w * h);
  for (let r = 0; r < h; r++) {
    const row = (win.y0 + r) * image.width + win.x0;
    img.set(image.data.subarray(row * 4, (row + w) * 4), r * w * 4);
    m.set(mask.data.subarray(row, row + w), r * w);
  }
  return { image: { width: w, height: h, data: img }, mask: { width: w, height: h, data: m }, settings, frame: { x: win.x0, y: win.y0, width: image.width, height: image.height } };
}

let s: ServeProcess;
const figures: Record<string, unknown> = {};
beforeAll(async () => {
  s = await startServe();
});
afterAll(async () => {
  recordFigures('serve-load', figures);
  await s?.stop();
});

describe('serve bridge under load', () => {
  it(`memory over ${FILLS} fills on one connection: under ${GROWTH_LIMIT_MB} MB growth after ${WARM_UP} at fill ${AT}, level (under ${LEVEL_LIMIT_MB} MB) over the last half`, async () => {
    const a = await client(s);
    const start = await rssMb(s.pid);
    const samples: { fills: number; rssMb: number }[] = [];
    const t0 = Date.now();
    for (let i = 1; i <= FILLS; i++) {
      expect(await a.call('fill', [smallFill(2), `f${i}`])).toMatchObject({ ok: true });
      expect((await a.ended(`f${i}`)).stage).toBe('finished');
      if (i === WARM_UP || i % 50 === 0) samples.push({ fills: i, rssMb: Math.round(await rssMb(s.pid)) });
    }
    a.ws.close();
    const at = (n: number) => samples.find((x) => x.fills === n)!.rssMb;
    const warm = at(WARM_UP);
    const peak = Math.max(...samples.map((x) => x.rssMb));
    const lastHalf = at(FILLS) - at(FILLS / 2);
    figures.memory = { fills: AT, warmUp: WARM_UP, startMb: Math.round(start), warmMb: warm, endMb: at(AT), growthMb: at(AT) - warm, limitMb: GROWTH_LIMIT_MB, total: FILLS, totalEndMb: at(FILLS), peakMb: peak, lastHalfMb: lastHalf, levelLimitMb: LEVEL_LIMIT_MB, seconds: Math.round((Date.now() - t0) / 1000), samples };
    expect(at(AT) - warm).toBeLessThan(GROWTH_LIMIT_MB);
    expect(lastHalf).toBeLessThan(LEVEL_LIMIT_MB);
  }, 600_000);

  it(`memory over ${PHOTO_FILLS} fills of a ${PHOTO_W}x${PHOTO_H} photo with the default pack, both methods, as the page sends them`, async () => {
    const d = await startServe(['--pack', join(ROOT, 'models', 'default')]);
    try {
      const a = await client(d);
      const info = (await a.call('info', [])) as { ok: boolean; value: { grid: number; downsample: number } };
      const image = { width: PHOTO_W, height: PHOTO_H, data: new Uint8Array(PHOTO_W * PHOTO_H * 4) };
      for (let i = 0; i < image.data.length; i += 4) {
        const p = i / 4, x = p % PHOTO_W, y = (p - x) / PHOTO_W;
        image.data.set([(x * 3 + y) % 256, (y * 5) % 256, ((x ^ y) * 7) % 256, 255], i);
      }
      const start = await rssMb(d.pid);
      const samples: { fills: number; rssMb: number }[] = [];
      const t0 = Date.now();
      let sent = 0;
      for (let i = 1; i <= PHOTO_FILLS; i++) {
        // A stroke-sized hole (about 300x200) that moves over the photo, so each fill reads another window.
        const mask: MaskImage = { width: PHOTO_W, height: PHOTO_H, data: new Uint8Array(PHOTO_W * PHOTO_H) };
        const x0 = 200 + ((i * 397) % (PHOTO_W - 700)), y0 = 200 + ((i * 251) % (PHOTO_H - 600));
        for (let y = y0; y < y0 + 200; y++) mask.data.fill(255, y * PHOTO_W + x0, y * PHOTO_W + x0 + 300);
        const req = pageRequest(image, mask, { ...DEFAULT_SETTINGS, methods: ['vqddm', 'transformer'] }, info.value.grid * info.value.downsample);
        sent += req.image.data.length + req.mask.data.length;
        expect(await a.call('fill', [req, `p${i}`])).toMatchObject({ ok: true });
        expect((await a.ended(`p${i}`, 120_000)).stage).toBe('finished');
        if (i >= WARM_UP && i % PHOTO_EVERY === 0) samples.push({ fills: i, rssMb: Math.round(await rssMb(d.pid)) });
      }
      a.ws.close();
      const mean = (xs: typeof samples) => Math.round(xs.reduce((t, x) => t + x.rssMb, 0) / xs.length);
      const warm = mean(samples.slice(0, 3));
      const end = mean(samples.slice(-3));
      figures.photoMemory = {
        pack: 'default', width: PHOTO_W, height: PHOTO_H, hole: '300x200', methods: ['vqddm', 'transformer'], steps: DEFAULT_SETTINGS.steps, fills: PHOTO_FILLS, warmUp: WARM_UP,
        mbSentPerFill: Math.round(sent / PHOTO_FILLS / 1e5) / 10, startMb: Math.round(start), warmMb: warm, endMb: end, growthMb: end - warm,
        peakMb: Math.max(...samples.map((x) => x.rssMb)), limitMb: GROWTH_LIMIT_MB, seconds: Math.round((Date.now() - t0) / 1000), samples,
      };
      expect(samples.map((x) => x.fills)).toEqual([10, 15, 20, 25, 30, 35, 40]);
      expect(end - warm).toBeLessThan(GROWTH_LIMIT_MB);
    } finally {
      await d.stop();
    }
  }, 600_000);

  it(`${CONNECTIONS} connections at once: each answered and each fill finished`, async () => {
    const t0 = Date.now();
    const clients = await Promise.all(Array.from({ length: CONNECTIONS }, () => client(s)));
    const infos = await Promise.all(clients.map((c) => c.call('info', [])));
    expect(infos.every((r) => r.t === 'result' && r.ok)).toBe(true);
    const started = await Promise.all(clients.map((c, i) => c.call('fill', [smallFill(2), `c${i}`])));
    expect(started.every((r) => r.t === 'result' && r.ok)).toBe(true);
    const ends = await Promise.all(clients.map((c, i) => c.ended(`c${i}`, 300_000)));
    const finished = ends.filter((e) => e.stage === 'finished').length;
    // Each connection saw only its own job's events.
    const foreign = clients.reduce((n, c, i) => n + c.events.filter((e) => e.jobId !== `c${i}`).length, 0);
    clients.forEach((c) => c.ws.close());
    figures.connections = { connections: CONNECTIONS, answered: infos.length, fillsFinished: finished, foreignEvents: foreign, seconds: Math.round((Date.now() - t0) / 1000), serverUp: !s.exited() };
    expect(finished).toBe(CONNECTIONS);
    expect(foreign).toBe(0);
    expect(s.exited()).toBe(false);
  }, 400_000);
}, 600_000);
