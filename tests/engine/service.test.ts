import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FillRequest, JobEvent } from '../../electron/shared/contract.js';
import { createEngineService, type EngineService } from '../../electron/engine/service.js';
import { photo, rectMask, TINY_PACK } from './helpers.js';

let service: EngineService;
let request: FillRequest;
const events: JobEvent[] = [];

beforeAll(async () => {
  service = await createEngineService({ packDir: TINY_PACK, device: 'cpu' });
  service.onJobEvent((e) => events.push(e));
  const image = await photo();
  request = {
    image: { width: image.width, height: image.height, data: image.data as Uint8Array },
    mask: rectMask(image.width, image.height, 100, 70, 30, 24),
    settings: { methods: ['vqddm', 'transformer'], steps: 5, samples: 2, bestOf: 1, seed: 3, temperature: 1, truncation: 1, topK: 50, textureStrength: 1, guidedDecoder: true, detailPass: false, anchorColours: true, photoTexture: true },
  };
});
afterAll(() => service.dispose());

let jobs = 0;
/** Queues a fill under a new job id of the test's choosing, as a client does. */
async function fill(req: FillRequest): Promise<string> {
  const jobId = `t${++jobs}`;
  await service.fill(req, jobId);
  return jobId;
}

function until(jobId: string, stage: JobEvent['stage']): Promise<JobEvent> {
  return new Promise((resolve) => {
    const found = events.find((e) => e.jobId === jobId && e.stage === stage);
    if (found) return resolve(found);
    const off = service.onJobEvent((e) => {
      if (e.jobId === jobId && e.stage === stage) {
        off();
        resolve(e);
      }
    });
  });
}

describe('engine service (the API the app calls)', () => {
  it('runs a fill as a job: progress per method, a result per method, then finished', async () => {
    const jobId = await fill(request);
    await until(jobId, 'finished');
    const mine = events.filter((e) => e.jobId === jobId);
    const sampling = mine.filter((e) => e.stage === 'sampling' && e.method === 'vqddm');
    expect(sampling.map((e) => (e as { step: number }).step)).toEqual([1, 2, 3, 4, 5]);
    const done = mine.filter((e) => e.stage === 'done');
    // the two methods run side by side (Engine.runEach), each reporting when it is done, in either order
    expect(done.map((e) => e.method).sort()).toEqual(['transformer', 'vqddm']);
    for (const d of done) {
      if (d.stage !== 'done') continue;
      expect(d.result.samples).toHaveLength(2);
      expect(d.result.provider).toBe('cpu');
      const patch = d.result.samples[0].patches[0];
      expect(patch.image.data.length).toBe(patch.image.width * patch.image.height * 4);
    }
  });

  it('a window of the photo (with its frame) gives the same patches as the whole photo', async () => {
    const { cropOptionsFor, fillWindow } = await import('../../electron/shared/regions.js');
    const settings = { ...request.settings, methods: ['vqddm' as const], samples: 1 };
    const win = fillWindow(request.mask, cropOptionsFor((await service.info()).grid * (await service.info()).downsample))!;
    const w = win.x1 - win.x0;
    const h = win.y1 - win.y0;
    expect(w * h).toBeLessThan(request.image.width * request.image.height / 4);
    const crop = (data: Uint8Array, channels: number) => {
      const out = new Uint8Array(w * h * channels);
      for (let y = 0; y < h; y++) out.set(data.subarray(((win.y0 + y) * request.image.width + win.x0) * channels, ((win.y0 + y) * request.image.width + win.x0 + w) * channels), y * w * channels);
      return out;
    };
    const result = async (req: FillRequest) => {
      const jobId = await fill(req);
      const done = await until(jobId, 'done');
      return done.stage === 'done' ? done.result.samples[0].patches : [];
    };
    const whole = await result({ ...request, settings });
    const part = await result({
      image: { width: w, height: h, data: crop(request.image.data, 4) },
      mask: { width: w, height: h, data: crop(request.mask.data, 1) },
      settings,
      frame: { x: win.x0, y: win.y0, width: request.image.width, height: request.image.height },
    });
    expect(part.map((p) => [p.x, p.y, p.image.width, p.image.height])).toEqual(whole.map((p) => [p.x, p.y, p.image.width, p.image.height]));
    expect(Buffer.from(part[0].image.data)).toEqual(Buffer.from(whole[0].image.data));
    await expect(fill({ ...request, frame: { x: 5, y: 5, width: 10, height: 10 } })).rejects.toMatchObject({ code: 'BAD_IMAGE', message: expect.stringMatching(/does not hold/) });
  });

  it('rejects a bad request at once with a typed error', async () => {
    await expect(fill({ ...request, mask: rectMask(request.image.width, request.image.height, 0, 0, 0, 0) })).rejects.toMatchObject({ code: 'EMPTY_MASK' });
    await expect(fill({ ...request, settings: { ...request.settings, steps: 0 } })).rejects.toMatchObject({ code: 'BAD_SETTINGS' });
  });

  it('refuses a job id that a job not yet ended holds', async () => {
    const slow = { ...request, settings: { ...request.settings, methods: ['vqddm' as const], steps: 20, samples: 1 } };
    await service.fill(slow, 'twice');
    await expect(service.fill(slow, 'twice')).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(/twice is already in use/) });
    await service.cancel('twice');
    await until('twice', 'canceled');
  });

  it('queues jobs one at a time and cancels the running one and a queued one', async () => {
    const slow = { ...request, settings: { ...request.settings, methods: ['vqddm' as const], steps: 20, samples: 1 } };
    const first = await fill(slow);
    const second = await fill(slow);
    const third = await fill(slow);
    await until(first, 'sampling');
    await service.cancel(first);
    await service.cancel(third);
    await until(first, 'canceled');
    await until(third, 'canceled');
    await until(second, 'finished');
    expect(events.some((e) => e.jobId === third && e.stage === 'sampling')).toBe(false);
    await expect(service.cancel('job-nope')).rejects.toMatchObject({ code: 'UNKNOWN_JOB' });
  });

  it('decodes and encodes images', async () => {
    const png = await service.encodeImage(request.image, 'png', 90);
    const back = await service.decodeImage(png);
    expect(Buffer.from(back.data)).toEqual(Buffer.from(request.image.data));
    await expect(service.decodeImage(new Uint8Array([1, 2, 3]))).rejects.toMatchObject({ code: 'BAD_IMAGE' });
  });

  it('loads another pack and refuses a bad one with BAD_PACK', async () => {
    expect((await service.loadPack(TINY_PACK)).grid).toBe(16);
    await expect(service.loadPack('/nonexistent')).rejects.toMatchObject({ code: 'BAD_PACK' });
  });
});
