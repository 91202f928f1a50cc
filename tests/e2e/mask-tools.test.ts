/** Mask tools with real mouse and keyboard events, checked on the exported mask's pixels. */
import { describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { EditorPage } from './editorPage.js';
import { FIXTURE, skipWithoutChromium, useServeAndBrowser } from './harness.js';

describe.skipIf(skipWithoutChromium())('mask tools', () => {
  const env = useServeAndBrowser();

  it('rectangle, eraser, invert, lasso, undo, size keys and wheel zoom', async () => {
    const context = await env.newContext();
    const ed = await EditorPage.load(context, env.server.url);
    const { page } = ed;
    await ed.open(FIXTURE);
    await expect.poll(() => page.title()).toContain('photo.jpg');

    /** The exported mask's value at image fractions (fx, fy). */
    let n = 0;
    const maskAt = async (points: [number, number][]) => {
      const png = await ed.download(() => ed.saveMenu('Export mask'), `tools-mask-${++n}.png`);
      const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
      return points.map(([fx, fy]) => data[(Math.floor(fy * info.height) * info.width + Math.floor(fx * info.width)) * info.channels]!);
    };

    await page.keyboard.press('r');
    await ed.brush([[0.1, 0.1], [0.5, 0.5]]);
    expect(await maskAt([[0.3, 0.3], [0.7, 0.7]])).toEqual([255, 0]);

    await page.keyboard.press('e');
    await ed.setSize(20);
    await ed.brush([[0.05, 0.3], [0.55, 0.3]]);
    expect(await maskAt([[0.3, 0.3], [0.3, 0.15]])).toEqual([0, 255]);

    await page.getByRole('button', { name: 'Invert' }).click();
    expect(await maskAt([[0.3, 0.3], [0.3, 0.15], [0.8, 0.8]])).toEqual([255, 0, 255]);
    await page.keyboard.press('Control+z');
    expect(await maskAt([[0.8, 0.8]])).toEqual([0]);

    await page.keyboard.press('l');
    await ed.brush([[0.7, 0.6], [0.9, 0.6], [0.8, 0.9]]);
    expect(await maskAt([[0.8, 0.7], [0.95, 0.95]])).toEqual([255, 0]);
    await page.getByLabel('Overlay').fill('0.8');
    await ed.shot('11-mask-tools');

    // `[` and `]` resize the brush; the wheel zooms around the pointer.
    await page.keyboard.press('b');
    const size = async () => Number(await page.getByLabel(/^Size/).inputValue());
    const s0 = await size();
    await page.keyboard.press(']');
    expect(await size()).toBeGreaterThan(s0);
    await page.keyboard.press('[');
    await page.keyboard.press('[');
    expect(await size()).toBeLessThan(s0);
    const zoom = () => page.getByLabel('Zoom').textContent();
    const z0 = await zoom();
    const c = await ed.at(0.5, 0.5);
    await page.mouse.move(c.x, c.y);
    await page.mouse.wheel(0, -300);
    await expect.poll(zoom).not.toBe(z0);
    const after = await ed.at(0.5, 0.5);
    expect(Math.abs(after.x - c.x)).toBeLessThan(2);
    await page.getByRole('button', { name: 'Clear mask' }).click();
    // an empty mask is not exported: the person is told why instead of getting a black file
    let downloads = 0;
    page.on('download', () => downloads++);
    await ed.saveMenu('Export mask');
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/The mask is empty/);
    expect(downloads).toBe(0);
    await context.close();
  });
});
