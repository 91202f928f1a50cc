/**
 * Brush size relative to the screen (issue 10): with "Brush size in screen pixels" ticked, Size counts
 * screen pixels, so the brush covers as much of the screen at any zoom (at 400 % a 40 px brush paints
 * 10 photo pixels; at 100 %, 40). Measured on the exported mask.
 */
import { describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { EditorPage } from './editorPage.js';
import { FIXTURE, skipWithoutChromium, useServeAndBrowser } from './harness.js';

/** Rows of the exported mask painted in column `fx` (a fraction of the width) between rows fy0..fy1 (fractions of the height). */
async function thickness(ed: EditorPage, name: string, fx: number, fy0: number, fy1: number): Promise<number> {
  const png = await ed.download(() => ed.saveMenu('Export mask'), name);
  const { data, info } = await sharp(png).greyscale().raw().toBuffer({ resolveWithObject: true });
  const x = Math.round(fx * info.width);
  let n = 0;
  for (let y = Math.round(fy0 * info.height); y < Math.round(fy1 * info.height); y++) if (data[y * info.width + x]! >= 128) n++;
  return n;
}

describe.skipIf(skipWithoutChromium())('brush size on screen (Chromium, serve mode)', () => {
  const env = useServeAndBrowser();

  it('paints the same screen width at any zoom when the size counts screen pixels', async () => {
    const context = await env.newContext();
    const ed = await EditorPage.load(context, env.server.url);
    const { page } = ed;
    await ed.open(FIXTURE); // 256 x 192, fitted at 400 %
    await expect.poll(() => page.title()).toMatch(/^photo\.jpg/);
    await page.getByLabel('Hardness').fill('1');
    await ed.setSize(40);
    expect(await page.getByLabel('Zoom').textContent()).toBe('400%');
    await ed.brush([[0.2, 0.3], [0.8, 0.3]]);
    expect(await thickness(ed, 'brush-photo.png', 0.5, 0.05, 0.55)).toBeGreaterThanOrEqual(38); // 40 photo px

    await page.getByLabel('Brush size in screen pixels').check();
    await ed.brush([[0.2, 0.75], [0.8, 0.75]]);
    const atFit = await thickness(ed, 'brush-screen-400.png', 0.5, 0.6, 0.9);
    expect(atFit).toBeGreaterThanOrEqual(9);
    expect(atFit).toBeLessThanOrEqual(11); // 40 screen px at 400 %: 10 photo px
    await page.getByRole('button', { name: '100%' }).click();
    await page.keyboard.press('Control+z');
    await page.keyboard.press('Control+z');
    await ed.brush([[0.4, 0.5], [0.6, 0.5]]);
    const atActual = await thickness(ed, 'brush-screen-100.png', 0.5, 0.3, 0.7);
    expect(atActual).toBeGreaterThanOrEqual(38); // 40 screen px at 100 %: 40 photo px
    expect(atActual).toBeLessThanOrEqual(42);
    await context.close();
  });

  it('remembers the screen-size choice across reloads, with the other stored preferences', async () => {
    const context = await env.newContext();
    const ed = await EditorPage.load(context, env.server.url);
    const { page } = ed;
    const box = page.getByLabel('Brush size in screen pixels');
    expect(await box.isChecked()).toBe(false);
    await box.check();
    await page.reload();
    await page.getByTestId('pack-info').waitFor();
    expect(await box.isChecked()).toBe(true);
    // and it still counts screen pixels: 40 at 400 % paints 10 photo pixels
    await ed.open(FIXTURE);
    await expect.poll(() => page.title()).toMatch(/^photo\.jpg/);
    await page.getByLabel('Hardness').fill('1');
    await ed.setSize(40);
    await ed.brush([[0.2, 0.5], [0.8, 0.5]]);
    const rows = await thickness(ed, 'brush-screen-reloaded.png', 0.5, 0, 1);
    expect(rows).toBeGreaterThanOrEqual(9);
    expect(rows).toBeLessThanOrEqual(11);
    // unticked, it stays unticked after the next reload
    await box.uncheck();
    await page.reload();
    await page.getByTestId('pack-info').waitFor();
    expect(await box.isChecked()).toBe(false);
    await context.close();
  });
});
