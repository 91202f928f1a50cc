import { describe, expect, it } from 'vitest';
import type { MethodResult } from '../../electron/shared/contract';
import { estimateJob, estimateText, fillWork, methodUnits, rateFrom, type MethodClock } from '../../renderer/lib/eta';

const clock = (c: Partial<MethodClock>): MethodClock => ({ stage: 'queued', elapsedMs: 0, at: 0, sampleStartMs: null, sampleEndMs: null, sampleStep: 0, sampleTotal: 0, result: null, ...c });
const work = { tiles: 1, cells: 100, areaMpx: 1, grid: 16 };
const rates = {
  vqddm: { perUnitMs: 100, preMsPerMpx: 50, postMsPerMpx: 1000 }, // 10 steps: model stages 50 + 1000, then 1000 after them
  transformer: { perUnitMs: 30, preMsPerMpx: 50, postMsPerMpx: 1000 }, // 100 tokens: 50 + 3000, then 1000
};
const label = (m: string) => m;

describe('time-left estimate (whole job)', () => {
  it('counts every method and stage, the model stages in turn and each refinement beside the next method', () => {
    const plan = { work, steps: 10, rates };
    const start = estimateJob(['vqddm', 'transformer'], { vqddm: clock({}), transformer: clock({}) }, plan, 0);
    // the transformer's model stages wait for VQ-DDM's, and its refinement ends the job
    expect(start).toEqual({ ms: 1050 + 3050 + 1000, lowerBound: false, untimed: [] });
    // VQ-DDM half-way through sampling at its measured speed: 5 steps, then the transformer's turn and refinement
    const mid = estimateJob(
      ['vqddm', 'transformer'],
      { vqddm: clock({ stage: 'sampling', elapsedMs: 550, at: 1000, sampleStartMs: 150, sampleEndMs: 550, sampleStep: 5, sampleTotal: 10 }), transformer: clock({}) },
      plan,
      1000,
    );
    expect(mid.ms).toBeCloseTo(5 * 100 + 3050 + 1000);
    // VQ-DDM refining while the transformer samples: the later of the two ends
    const both = {
      vqddm: clock({ stage: 'texturing', elapsedMs: 1100, at: 2000, sampleStartMs: 150, sampleEndMs: 1050, sampleStep: 10, sampleTotal: 10 }),
      transformer: clock({ stage: 'sampling', elapsedMs: 350, at: 2000, sampleStartMs: 50, sampleEndMs: 350, sampleStep: 11, sampleTotal: 100 }),
    };
    expect(estimateJob(['vqddm', 'transformer'], both, plan, 2000).ms).toBeCloseTo(89 * 30 + 1000);
    // with a long refinement and a short turn, the first method's refinement ends the job
    const slowPost = { ...plan, rates: { ...rates, vqddm: { ...rates.vqddm, postMsPerMpx: 9000 } } };
    expect(estimateJob(['vqddm', 'transformer'], both, slowPost, 2000).ms).toBeCloseTo(9000 - 50);
    // in refinement, without events, the estimate counts down with the clock
    const refining = { vqddm: both.vqddm };
    expect(estimateJob(['vqddm'], refining, plan, 2000).ms).toBeCloseTo(1000 - 50);
    expect(estimateJob(['vqddm'], refining, plan, 2500).ms).toBeCloseTo(1000 - 550);
  });

  it('is a lower bound, said so, for a method never timed with these settings', () => {
    const e = estimateJob(['vqddm', 'transformer'], { vqddm: clock({}), transformer: clock({}) }, { work, steps: 10, rates: { vqddm: rates.vqddm } }, 0);
    expect(e).toEqual({ ms: 2050, lowerBound: true, untimed: ['transformer'] });
    expect(estimateText(e, label)).toBe('At least 2 s left: transformer not timed yet with these settings');
    expect(estimateText(estimateJob(['vqddm'], { vqddm: clock({}) }, { work, steps: 10, rates: {} }, 0), label)).toBe('Estimating the time left…');
    expect(estimateText({ ms: 12_400, lowerBound: false, untimed: [] }, label)).toBe('About 12 s left');
    expect(estimateText({ ms: 3_300, lowerBound: false, untimed: [] }, label)).toBe('About 3.5 s left');
  });

  it('measures a finished method per unit of the planned work, and plans the work from the mask', () => {
    const result = { timings: { encode: 50, sample: 1000, decode: 300, composite: 100, detail: 0, anchor: 100, texture: 500, total: 2050, modelRun: 900 } } as MethodResult;
    expect(rateFrom(result, 2100, 10, 1)).toEqual({ perUnitMs: 100, preMsPerMpx: 50, postMsPerMpx: 1050 });
    const mask = { width: 512, height: 512, data: new Uint8Array(512 * 512) };
    for (let y = 200; y < 260; y++) mask.data.fill(255, y * 512 + 200, y * 512 + 260);
    const w = fillWork(mask, { grids: [16, 32], downsample: 8, grid: 16 });
    expect(w.tiles).toBe(1);
    expect(w.cells).toBeGreaterThan(0);
    expect(methodUnits('vqddm', w, 10)).toBe(10);
    expect(methodUnits('transformer', w, 10)).toBe(w.cells);
  });
});
