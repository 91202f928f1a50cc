/**
 * The editor keeps a 16-bit PNG at 16 bits (issue 8), proven from outside: a 16-bit PNG whose values 8
 * bits cannot hold is opened in Chromium (serve mode), filled and applied, saved, and the downloaded file
 * read back: 16 bits per channel, every pixel outside the painted mask identical to the file's, pixels
 * inside it changed. Saving it as JPEG asks first (JPEG holds 8 bits); Cancel writes nothing.
 */
import { deflateSync } from 'node:zlib';
import sharp from 'sharp';
import type { BrowserContext, Page } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { pngChunk } from '../../electron/engine/io/imageOutput.js';
import { EditorPage } from './editorPage.js';
import { skipWithoutChromium, useServeAndBrowser } from './harness.js';

const W = 160, H = 120;

/** RGB at 16 bits: smooth colours plus low bytes no 8-bit value scales to (v * 257 has equal bytes). */
function deepPixels(): Uint16Array {
  const px = new Uint16Array(W * H * 3);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const i = (y * W + x) * 3;
      px[i] = Math.round((x / W) * 60000) + 37;
      px[i + 1] = Math.round((y / H) * 60000) + 1001;
      px[i + 2] = 30000 + ((x * 131 + y * 71) % 5000);
    }
  }
  return px;
}

/** A 16-bit RGB PNG written by hand (no library on the way that might round). */
function png16(px: Uint16Array): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(W, 0);
  ihdr.writeUInt32BE(H, 4);
  ihdr.set([16, 2, 0, 0, 0], 8); // depth 16, colour type 2 (RGB)
  const raw = Buffer.alloc(H * (1 + W * 6));
  for (let y = 0; y < H; y++) for (let k = 0; k < W * 3; k++) raw.writeUInt16BE(px[y * W * 3 + k]!, y * (1 + W * 6) + 1 + k * 2);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), pngChunk('IHDR', ihdr), pngChunk('IDAT', deflateSync(raw)), pngChunk('IEND', Buffer.alloc(0))]);
}

async function read16(file: Buffer): Promise<{ depth: string | undefined; data: Uint16Array; channels: number }> {
  const meta = await sharp(file).metadata();
  const { data, info } = await sharp(file).toColourspace('rgb16').removeAlpha().raw({ depth: 'ushort' }).toBuffer({ resolveWithObject: true });
  expect([info.width, info.height]).toEqual([W, H]);
  return { depth: meta.depth, data: new Uint16Array(data.buffer, data.byteOffset, data.length / 2), channels: info.channels };
}

describe.skipIf(skipWithoutChromium())('Save keeps a 16-bit PNG at 16 bits (Chromium, serve mode)', () => {
  const env = useServeAndBrowser();
  let context: BrowserContext | undefined;
  afterEach(async () => context?.close());

  async function openDeep(): Promise<{ ed: EditorPage; page: Page; original: Uint16Array }> {
    context = await env.newContext();
    const ed = await EditorPage.load(context, env.server.url);
    const original = deepPixels();
    await ed.open({ name: 'deep.png', mimeType: 'image/png', buffer: png16(original) });
    await expect.poll(() => ed.page.title()).toContain('deep.png');
    return { ed, page: ed.page, original };
  }

  it('a 16-bit PNG filled and saved stays 16-bit, unmasked pixels identical, masked ones changed', async () => {
    const { ed, page, original } = await openDeep();
    await page.getByRole('checkbox', { name: 'Transformer', exact: true }).uncheck();
    await page.getByRole('radio', { name: 'Brush' }).click();
    await ed.setSize(14);
    await ed.brush([[0.35, 0.45], [0.6, 0.5]]);
    const mask = await sharp(await ed.download(() => ed.saveMenu('Export mask'), 'deep-mask.png')).greyscale().raw().toBuffer();
    await page.getByRole('button', { name: 'Fill', exact: true }).click();
    await page.getByTestId('panel-vqddm').waitFor({ timeout: 120_000 });
    await page.getByRole('button', { name: 'Apply VQ-DDM' }).click();
    await page.getByLabel('Compare results').waitFor({ state: 'detached' });

    const saved = await ed.download(() => ed.saveMenu('Save image'), 'deep-filled.png');
    await expect.poll(() => page.getByText(/Saved deep-filled\.png \(16 bits per channel, as opened\)/).count()).toBe(1);
    const out = await read16(saved);
    expect(out.depth).toBe('ushort');
    expect(out.channels).toBe(3);
    let masked = 0, changedInside = 0;
    const changedOutside: number[] = [];
    for (let p = 0; p < W * H; p++) {
      const same = [0, 1, 2].every((c) => out.data[p * 3 + c] === original[p * 3 + c]);
      if (mask[p]! >= 128) {
        masked++;
        if (!same) changedInside++;
      } else if (!same) changedOutside.push(p);
    }
    expect(masked).toBeGreaterThan(200);
    expect(changedOutside).toEqual([]);
    expect(changedInside).toBeGreaterThan(masked / 2);
  });

  it('saving it as JPEG asks first (8 bits); Cancel writes nothing, "Save at 8 bits" writes a JPEG', async () => {
    const { ed, page } = await openDeep();
    const asked = await ed.cancelEightBitJpeg();
    expect(asked.text).toMatch(/deep\.png stores 16 bits per channel\. JPEG images hold 8 bits per channel/);
    expect(asked.downloads).toBe(0);
    const jpeg = await ed.download(async () => {
      await ed.saveMenu('Save image');
      await page.getByRole('alertdialog', { name: 'Save as JPEG image at 8 bits?' }).getByRole('button', { name: 'Save at 8 bits' }).click();
    }, 'deep-8bit.jpg');
    expect((await sharp(jpeg).metadata()).format).toBe('jpeg');
  });
});
