/**
 * `vqddm bench --batch` (electron/cli/bench/batch.ts) on the tiny pack with a few items: the generated
 * photo set, both throughput figures and the long run's memory, and the markdown section reporting them.
 * Timings are not asserted (they are the bench's own figures), only that they are measured.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { batchBench, batchMarkdown } from '../../electron/cli/bench/batch.js';
import { makePhotoSet, SMALL_BOX } from '../../electron/cli/bench/photoSet.js';
import { PHOTO, tempDir, TINY_PACK } from './helpers.js';

describe('the batch bench', () => {
  it('makes the same 0.3-1 MP photos with a box mask each (3-8 % of the photo, and a small one), every time', async () => {
    const [a, b] = [tempDir(), tempDir()];
    try {
      const [sa, sb] = [await makePhotoSet(a.dir, 4, PHOTO), await makePhotoSet(b.dir, 4, PHOTO)];
      expect(readdirSync(sa.images)).toEqual(['p000.jpg', 'p001.jpg', 'p002.jpg', 'p003.jpg']);
      expect(readdirSync(sa.masks)).toEqual(['p000.png', 'p001.png', 'p002.png', 'p003.png']);
      expect(sb.megapixels).toEqual(sa.megapixels);
      for (const [i, mp] of sa.megapixels.entries()) {
        expect(mp).toBeGreaterThanOrEqual(0.3);
        expect(mp).toBeLessThanOrEqual(1);
        const photo = await sharp(join(sa.images, `p00${i}.jpg`)).metadata();
        const mask = await sharp(join(sa.masks, `p00${i}.png`)).raw().toBuffer({ resolveWithObject: true });
        expect([mask.info.width, mask.info.height]).toEqual([photo.width, photo.height]);
        const white = mask.data.filter((v) => v === 255).length / mask.info.channels;
        expect(white / (photo.width! * photo.height!)).toBeCloseTo(sa.maskFractions[i], 6);
        expect(sa.maskFractions[i]).toBeGreaterThan(0.02);
        expect(sa.maskFractions[i]).toBeLessThan(0.09);
        const small = await sharp(join(sa.smallMasks, `p00${i}.png`)).raw().toBuffer({ resolveWithObject: true });
        expect([small.info.width, small.info.height]).toEqual([photo.width, photo.height]);
        expect(small.data.filter((v) => v === 255).length / small.info.channels).toBe(SMALL_BOX * SMALL_BOX);
      }
    } finally {
      a.cleanup();
      b.cleanup();
    }
  });

  it('measures items per minute pipelined and one at a time, and memory after the first and the last item of a long run; the markdown reports them', async () => {
    const lines: string[] = [];
    const r = await batchBench({ pack: TINY_PACK, device: 'cpu', items: 3, memoryAt: [2, 4], log: (l) => lines.push(l) });
    expect(r.pack).toBe('tiny');
    expect(r.methods).toEqual(['vqddm', 'transformer']);
    for (const run of [r.pipelined, r.one_at_a_time]) {
      expect(run.items).toBe(3);
      expect(run.items_per_minute).toBeGreaterThan(0);
      expect(run.items_per_minute).toBeCloseTo(3 / (run.ms / 60_000), 6);
    }
    expect(r.pipelining_gain).toBeCloseTo(r.pipelined.items_per_minute / r.one_at_a_time.items_per_minute, 6);
    expect(r.photos.items).toBe(3);
    expect(r.photos.min_mp).toBeGreaterThanOrEqual(0.3);
    expect(r.memory).toMatchObject({ items: 4, mask_side: SMALL_BOX });
    expect(r.memory.points.map((p) => p.items)).toEqual([2, 4]);
    for (const p of r.memory.points) {
      expect(p.rss_mib).toBeGreaterThan(10);
      expect(p.heap_used_mib).toBeGreaterThan(1);
    }
    expect(r.memory.rss_growth_mib).toBeCloseTo(r.memory.points[1].rss_mib - r.memory.points[0].rss_mib, 6);
    expect(lines.join('\n')).toMatch(/one at a time[\s\S]*pipelined[\s\S]*memory over 4 items/);

    const md = batchMarkdown(r).join('\n');
    expect(md).toMatch(/^## Batch: throughput and memory/);
    expect(md).toContain(`| pipelined (the next photo read, decoded and planned while the current one samples) | 3 | ${(r.pipelined.ms / 1000).toFixed(1)} | ${r.pipelined.items_per_minute.toFixed(1)} |`);
    expect(md).toContain(`| one item at a time | 3 | ${(r.one_at_a_time.ms / 1000).toFixed(1)} | ${r.one_at_a_time.items_per_minute.toFixed(1)} |`);
    expect(md).toContain(`**${r.pipelining_gain.toFixed(2)}x**`);
    expect(md).toContain('a long run of 4 items');
    expect(md).toContain('on pack `tiny`: the same kind of photos with a small mask each (a 32x32 box');
    expect(md).toContain(`| 2 | ${r.memory.points[0].rss_mib.toFixed(1)} | ${r.memory.points[0].heap_used_mib.toFixed(1)} |`);
    expect(md).toContain(`| 4 | ${r.memory.points[1].rss_mib.toFixed(1)} | ${r.memory.points[1].heap_used_mib.toFixed(1)} |`);
  }, 120_000);
});
