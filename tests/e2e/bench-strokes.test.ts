/**
 * `npm run bench`'s editor section (electron/cli/bench/strokes.ts), called on its own: brush strokes on a
 * 24 MP photo in Chromium against serve, and the skipped section when a piece is missing. Timings are the
 * bench's figures; here only that each is measured, and the stroke commit held to its target.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { strokeBench, strokeMarkdown, type StrokeBenchOptions } from '../../electron/cli/bench/strokes.js';
import { FIXTURE, ROOT, skipWithoutChromium, TINY_PACK } from './harness.js';

const options: StrokeBenchOptions = {
  serveEntry: join(ROOT, 'out', 'serve', 'index.js'),
  rendererDir: join(ROOT, 'out', 'renderer'),
  packDir: TINY_PACK,
  photoPath: FIXTURE,
};
const empty = mkdtempSync(join(tmpdir(), 'vqddm-no-page-'));
afterAll(() => rmSync(empty, { recursive: true, force: true }));

describe('bench: strokes section when it cannot run', () => {
  it('says it was skipped and why: no Chromium, no built page', async () => {
    const noChromium = await strokeBench({ ...options, chromium: join(empty, 'chromium') });
    expect(noChromium.skipped).toContain(`no Chromium at ${join(empty, 'chromium')}`);
    expect(noChromium.cases).toEqual([]);
    expect(strokeMarkdown(noChromium).join('\n')).toContain(`Skipped: no Chromium at ${join(empty, 'chromium')}`);
    const noPage = await strokeBench({ ...options, chromium: process.execPath, rendererDir: empty });
    expect(noPage.skipped).toMatch(/the page is not built .*npx vite build/);
    expect(noPage.commit_max_ms).toBeNull();
  });
});

describe.skipIf(skipWithoutChromium())('bench: brush strokes on a 24 MP photo (Chromium, serve mode)', () => {
  it('measures each stroke commit and pointermove, and commits within the target', async () => {
    const r = await strokeBench({ ...options, strokes: 2 });
    expect(r.skipped).toBeNull();
    expect(r.photo).toMatchObject({ width: 6000, height: 4000 });
    expect(r.cases.map((c) => [c.brush_px, c.hardness, c.cells])).toEqual([[100, 0.8, false], [1000, 0.3, false], [100, 0.8, true]]);
    for (const c of r.cases) {
      expect(c.commit_ms).toHaveLength(2);
      expect(c.move_ms).toHaveLength(2);
      for (const v of [...c.commit_ms, ...c.move_ms, c.frame_gap_max_ms]) expect(v).toBeGreaterThan(0);
    }
    console.log(strokeMarkdown(r).join('\n'));
    // the figure was 1.2-1.4 s a stroke; the target 100 ms (loaded machine: twice that)
    expect(r.commit_max_ms!).toBeLessThan(2 * r.targets.commit_ms);
    const md = strokeMarkdown(r).join('\n');
    expect(md).toContain('| largest brush (1000 px, a quarter of the short side), hardness 0.3 |');
    expect(md).toMatch(/Worst stroke commit: \*\*\d+\.\d ms/);
  });
});
