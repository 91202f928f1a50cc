import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, type MethodResult } from '../../electron/shared/contract';
import { HISTORY_BYTES, ResultHistory, retainedBytes, type NewEntry } from '../../renderer/state/results.svelte';

const meta: Omit<MethodResult, 'samples'> = {
  method: 'vqddm',
  timings: { encode: 1, sample: 2, decode: 3, composite: 4, detail: 0, anchor: 0, texture: 0, total: 10, modelRun: 0 },
  modelCalls: 4,
  grids: [16],
  stages: ['coarse'],
  provider: 'cpu',
  settings: { ...DEFAULT_SETTINGS },
};

/** A sample with a `patchBytes`-byte patch (and its mask) and a 16-byte thumbnail. */
function sample(seed: number, patchBytes = 400): NewEntry {
  const side = Math.sqrt(patchBytes / 4);
  return {
    sample: 0,
    samples: 1,
    result: { ...meta, settings: { ...meta.settings, seed } },
    madeAt: 0,
    patches: [{ x: 0, y: 0, image: { width: side, height: side, data: new Uint8Array(patchBytes) }, mask: new Uint8Array(side * side) }],
    thumb: { width: 2, height: 2, data: new Uint8Array(16) },
  };
}
const seeds = (h: ResultHistory) => h.entries.map((e) => e.result.settings.seed);
const full = (h: ResultHistory) => h.entries.filter((e) => e.patches).map((e) => e.result.settings.seed);

describe('ResultHistory (results history of the open photo)', () => {
  it('numbers fills, keeps every entry through further fills, and states its bound in bytes', () => {
    expect(HISTORY_BYTES).toBe(256 * 2 ** 20);
    const h = new ResultHistory();
    h.add('fill-1', [sample(1)]);
    h.add('fill-1', [sample(2)]); // the other method of the same fill
    h.add('fill-2', [sample(3), sample(4)]);
    expect(h.entries.map((e) => e.fill)).toEqual([1, 1, 2, 2]);
    expect(seeds(h)).toEqual([1, 2, 3, 4]);
    expect(h.note).toBeNull();
    // one entry: 400 bytes of patch, 100 of mask, 16 of thumbnail
    expect(retainedBytes(h.entries)).toBe(4 * 516);
  });

  it("keeps a fill's methods in the compare view's order, whichever finished first", () => {
    const h = new ResultHistory();
    const of = (seed: number, method: 'vqddm' | 'transformer'): NewEntry => ({ ...sample(seed), result: { ...sample(seed).result, method } });
    h.add('fill-1', [of(1, 'vqddm')]);
    h.add('fill-1', [of(2, 'transformer')]);
    h.add('fill-2', [of(3, 'transformer'), of(4, 'transformer')]); // the transformer first this time
    h.add('fill-2', [of(5, 'vqddm'), of(6, 'vqddm')]);
    expect(h.entries.map((e) => [e.fill, e.result.method, e.result.settings.seed])).toEqual([
      [1, 'vqddm', 1],
      [1, 'transformer', 2],
      [2, 'vqddm', 5],
      [2, 'vqddm', 6],
      [2, 'transformer', 3],
      [2, 'transformer', 4],
    ]);
  });

  it('drops the oldest entries\' full-size pixels first, keeps their thumbnails, and says so', () => {
    const h = new ResultHistory(3 * 516 + 100);
    h.add('a', [sample(1)]);
    h.add('b', [sample(2)]);
    h.add('c', [sample(3)]);
    expect(full(h)).toEqual([1, 2, 3]);
    h.add('d', [sample(4)]);
    expect(seeds(h)).toEqual([1, 2, 3, 4]);
    expect(full(h)).toEqual([2, 3, 4]);
    expect(h.entries[0]!.thumb.data.length).toBe(16);
    expect(h.note).toBe('To stay within 2 kB: 1 older result keeps only a thumbnail and settings (no Apply, Compare or sheet).');
    h.add('e', [sample(5)]);
    expect(full(h)).toEqual([3, 4, 5]);
    expect(h.note).toMatch(/^To stay within 2 kB: 2 older results keep only a thumbnail/);
    expect(h.full(h.entries.map((e) => e.id)).map((e) => e.result.settings.seed)).toEqual([3, 4, 5]);
  });

  it('removes the oldest entries whole once thumbnails alone are over, and never cuts the latest fill', () => {
    const h = new ResultHistory(1000);
    h.add('a', [sample(1, 64)]);
    h.add('b', [sample(2, 64)]);
    h.add('c', [sample(3, 2000), sample(4, 2000)]); // the latest fill alone is over the bound
    expect(seeds(h)).toEqual([3, 4]);
    expect(full(h)).toEqual([3, 4]);
    expect(h.removed).toBe(2);
    expect(h.note).toBe('To stay within 1 kB: 2 oldest results were removed.');
  });

  it('counts a buffer shared by several patches once', () => {
    const shared = new Uint8Array(1000);
    const view = (at: number): NewEntry => {
      const s = sample(at, 4);
      return { ...s, patches: [{ ...s.patches![0]!, image: { width: 1, height: 1, data: shared.subarray(at * 4, at * 4 + 4) } }] };
    };
    const h = new ResultHistory();
    h.add('a', [view(0), view(1)]);
    // the message buffer (1000) once, two masks of one byte, two thumbnails
    expect(retainedBytes(h.entries)).toBe(1000 + 2 + 32);
  });

  it('picks, dismisses (the focus moving on) and starts afresh for a new photo', () => {
    const h = new ResultHistory();
    h.add('a', [sample(1), sample(2), sample(3)]);
    const [a, b, c] = h.entries.map((e) => e.id) as [number, number, number];
    h.select(a);
    h.toggle(c);
    expect(h.selected).toEqual([a, c]);
    h.toggle(a);
    expect(h.selected).toEqual([c]);
    h.focus = b;
    h.dismiss([b]);
    expect(seeds(h)).toEqual([1, 3]);
    expect(h.focus).toBe(c);
    h.dismiss([c]);
    expect(h.focus).toBe(a);
    expect(h.selected).toEqual([]);
    h.reset();
    h.add('z', [sample(9)]);
    expect(h.entries.map((e) => e.fill)).toEqual([1]);
    expect(h.removed).toBe(0);
  });
});
