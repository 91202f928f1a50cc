/**
 * Hold-to-compare in the editor (issue 10, IOPaint's gesture): after a result is applied, holding O or the
 * Original button shows the photo as it was under it; the Wipe slider shows the original left of a line
 * across the photo and the result right of it. Checked on the canvas's own pixels. Screenshots:
 * artifacts/e2e/before-after-*.png; docs/images/before-after.png is before-after-docs.png.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { EditorPage } from './editorPage.js';
import { ARTIFACTS, FIXTURE, skipWithoutChromium, useServeAndBrowser } from './harness.js';

describe.skipIf(skipWithoutChromium())('hold to compare with the original (Chromium, serve mode)', () => {
  const env = useServeAndBrowser();

  it('shows the original while O or the button is held, and left of the wipe line', async () => {
    const context = await env.newContext();
    const ed = await EditorPage.load(context, env.server.url);
    const { page } = ed;
    await ed.open(FIXTURE);
    await expect.poll(() => page.title()).toMatch(/^photo\.jpg/);
    await page.getByLabel('Overlay').fill('0'); // the mask out of the pictures compared
    const away = async () => page.mouse.move(2, 2); // no brush cursor on the photo

    /** Mean absolute difference (levels) of two canvas shots within image fractions [x0, x1) x [y0, y1). */
    const box = async () => (await ed.canvas.boundingBox())!;
    async function region(shot: Buffer, x0: number, x1: number, y0: number, y1: number): Promise<Buffer> {
      const b = await box();
      const [a, c] = [await ed.at(x0, y0), await ed.at(x1, y1)];
      const left = Math.round(a.x - b.x), top = Math.round(a.y - b.y);
      return sharp(shot).extract({ left, top, width: Math.round(c.x - a.x), height: Math.round(c.y - a.y) }).removeAlpha().raw().toBuffer();
    }
    async function diff(s: Buffer, t: Buffer, x0: number, x1: number): Promise<number> {
      const [p, q] = [await region(s, x0, x1, 0.42, 0.48), await region(t, x0, x1, 0.42, 0.48)];
      let sum = 0;
      for (let i = 0; i < p.length; i++) sum += Math.abs(p[i]! - q[i]!);
      return sum / p.length;
    }
    const shot = async (name?: string) => ed.canvas.screenshot(name ? { path: join(ARTIFACTS, `before-after-${name}.png`) } : {});

    await away();
    const original = await shot();
    await ed.setSize(30);
    await ed.brush([[0.3, 0.45], [0.7, 0.45]]);
    await page.getByRole('button', { name: 'Fill', exact: true }).click();
    await page.getByTestId('panel-transformer').waitFor({ timeout: 120_000 });
    await page.getByRole('button', { name: 'Apply VQ-DDM' }).click();
    await away();
    const result = await shot('01-result');
    expect(await diff(result, original, 0.35, 0.65)).toBeGreaterThan(5); // the fill changed the strip

    // hold O: the original; let go: the result again
    await page.keyboard.down('o');
    const held = await shot('02-hold');
    await page.keyboard.up('o');
    expect(await diff(held, original, 0.35, 0.65)).toBeLessThan(1);
    expect(await diff(await shot(), result, 0.35, 0.65)).toBeLessThan(1);

    // the same with the mouse held on the button
    const button = page.getByRole('button', { name: /Hold for the original/ });
    await button.hover();
    await page.mouse.down();
    expect(await diff(await shot(), original, 0.35, 0.65)).toBeLessThan(1);
    await page.mouse.up();
    expect(await diff(await shot(), result, 0.35, 0.65)).toBeLessThan(1);

    // the wipe: the original left of the middle of the photo, the result right of it
    await page.getByLabel('Wipe').fill('0.5');
    await away();
    const wiped = await shot('03-wipe');
    expect(await diff(wiped, original, 0.36, 0.48)).toBeLessThan(1);
    expect(await diff(wiped, result, 0.52, 0.64)).toBeLessThan(1);
    await page.getByLabel('Overlay').fill('0.5');
    await page.screenshot({ path: join(ARTIFACTS, 'before-after-04-page.png') });
    await sharp(join(ARTIFACTS, 'before-after-04-page.png')).resize(1200).png({ palette: true }).toFile(join(ARTIFACTS, 'before-after-docs.png'));

    // with no applied result left, there is nothing to compare with
    await page.keyboard.press('Control+z');
    await button.waitFor({ state: 'detached' });
    await context.close();
  });
});
