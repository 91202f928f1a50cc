/**
 * Photos in serve mode: a rotated JPEG opens upright, decoded in the page; a 24 MP photo opens and a small
 * mask on it fills without the whole photo crossing the WebSocket. What the page sends is recorded in the
 * page (op name and bytes of each frame), so recording costs nothing; open and fill times are printed.
 */
import { describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { EditorPage } from './editorPage.js';
import { FIXTURE, skipWithoutChromium, useServeAndBrowser } from './harness.js';
import { decodeImage } from '../../electron/engine/image/codec.js';
import type { Pixels } from '../../electron/engine/image/pixels.js';
import type { FillRequest } from '../../electron/shared/contract.js';
import { decodeFrame } from '../../electron/shared/wire.js';

const W = 6000, H = 4000;

/** Page script: wraps WebSocket.send to note each frame's op (from the wire header) and size, and keep the last fill's frame. */
const RECORD_SENDS = `(() => {
  const sent = (window.__sent = []);
  const send = WebSocket.prototype.send;
  WebSocket.prototype.send = function (data) {
    try {
      const bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
      const len = new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, true);
      const head = JSON.parse(new TextDecoder().decode(bytes.subarray(4, 4 + len))).v;
      sent.push({ op: head.op, bytes: bytes.byteLength, args: head.op === 'fill' ? head.args : undefined });
      if (head.op === 'fill') window.__fillFrame = Array.from(bytes); // the pixels the page holds, sent to fill
    } catch { sent.push({ op: '?', bytes: 0 }); }
    return send.call(this, data);
  };
})()`;

interface Sent {
  op: string;
  bytes: number;
  args?: { frame?: { x: number; y: number; width: number; height: number }; image: { width: number; height: number } }[];
}

describe.skipIf(skipWithoutChromium())('photos to and from the engine', () => {
  const env = useServeAndBrowser();

  it('opens a rotated JPEG upright in the page, with the pixels the engine decodes', async () => {
    // 48x24 stored, EXIF orientation 6 (rotate 90 degrees clockwise): shown 24x48. Left half red, right
    // half blue as stored, so after the turn red is on top.
    const stored = Buffer.alloc(48 * 24 * 3);
    for (let i = 0; i < 48 * 24; i++) stored.set(i % 48 < 24 ? [220, 30, 30] : [30, 30, 220], i * 3);
    const jpeg = await sharp(stored, { raw: { width: 48, height: 24, channels: 3 } }).jpeg({ quality: 95 }).withMetadata({ orientation: 6 }).toBuffer();
    const context = await env.newContext();
    await context.addInitScript(RECORD_SENDS);
    const ed = await EditorPage.load(context, env.server.url);
    const { page } = ed;
    await ed.open({ name: 'rotated.jpg', mimeType: 'image/jpeg', buffer: jpeg });
    await expect.poll(() => page.title()).toContain('rotated.jpg');
    expect([await ed.canvas.getAttribute('data-width'), await ed.canvas.getAttribute('data-height')]).toEqual(['24', '48']);
    const sent = (await page.evaluate('window.__sent')) as Sent[];
    expect(sent.map((s) => s.op)).not.toContain('decodeImage');
    // Saved losslessly, the page's pixels match the engine's own decode of the file (sharp, auto-oriented).
    await ed.pickFormat('png'); // exact pixels (a JPEG is offered as JPEG)
    const saved = await ed.download(() => ed.saveMenu('Save image'), 'rotated.png');
    const got = await sharp(saved).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
    const want = await sharp(jpeg).autoOrient().ensureAlpha().raw().toBuffer({ resolveWithObject: true });
    expect([got.info.width, got.info.height]).toEqual([24, 48]);
    let maxDiff = 0;
    for (let i = 0; i < want.data.length; i++) maxDiff = Math.max(maxDiff, Math.abs(got.data[i]! - want.data[i]!));
    console.log(`rotated JPEG: page decode vs engine decode, largest difference ${maxDiff}`);
    expect(maxDiff).toBeLessThanOrEqual(2);
    expect(got.data[0]).toBeGreaterThan(150); // red at the top left
    expect(got.data[(47 * 24) * 4 + 2]).toBeGreaterThan(150); // blue at the bottom left
    await context.close();
  });

  it('opens each kind of file with the engine\'s pixels, decoding in the page what the page decodes alike', async () => {
    const f = () => sharp(FIXTURE);
    // [name, decoded by, largest difference allowed between what the page shows and the engine's decode]
    const files: [string, Buffer, 'page' | 'engine', number][] = [
      ['plain.jpg', await f().jpeg({ quality: 80 }).toBuffer(), 'page', 0],
      ['lossless.webp', await f().webp({ lossless: true }).toBuffer(), 'page', 0],
      ['anim.gif', await f().gif().toBuffer(), 'page', 0],
      // Both convert to sRGB, with different colour engines.
      ['p3.jpg', await f().withIccProfile('p3').jpeg({ quality: 90 }).toBuffer(), 'page', 1],
      ['translucent.png', await f().ensureAlpha(0.5).png().toBuffer(), 'engine', 0],
      ['cmyk.jpg', await f().toColourspace('cmyk').jpeg().toBuffer(), 'engine', 0],
      // 16 bits a channel; libvips made them from the fixture's 8 as v << 8, so about a third are not the
      // nearest of any 8-bit level (0xAC00 is 171.33 levels: shown as 171).
      ['deep.png', await f().toColourspace('rgb16').png().toBuffer(), 'engine', 0],
      ['scan.tif', await f().tiff().toBuffer(), 'engine', 0],
    ];
    const context = await env.newContext();
    await context.addInitScript(RECORD_SENDS);
    const ed = await EditorPage.load(context, env.server.url);
    await ed.page.getByRole('checkbox', { name: 'Transformer', exact: true }).uncheck();
    // The 8-bit level nearest each value: v * 255 / 65535 rounded (the PNG specification's rescaling), not
    // libvips' v >> 8, which truncates; written out here so the test does not share the page's conversion.
    const nearest8 = (p: Pixels) => (p.data instanceof Uint16Array ? Uint8Array.from(p.data, (v) => Math.round(v / 257)) : p.data);
    const largest = (a: ArrayLike<number>, b: ArrayLike<number>) => {
      expect(a.length).toBe(b.length);
      let d = 0;
      for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
      return d;
    };
    for (const [name, buffer, by, tolerance] of files) {
      await ed.page.evaluate('window.__sent.length = 0; window.__fillFrame = null');
      await ed.open({ name, mimeType: 'application/octet-stream', buffer });
      await expect.poll(() => ed.page.title()).toContain(name);
      const sent = (await ed.page.evaluate('window.__sent')) as Sent[];
      expect(sent.some((s) => s.op === 'decodeImage') ? 'engine' : 'page', name).toBe(by);
      const engine = (await decodeImage(new Uint8Array(buffer))).pixels;
      // What the page shows: its pixels of the whole photo, as a fill of everything sends them to the
      // engine (an empty mask inverted; VQ-DDM alone, which makes up a picture of its own).
      // Save cannot show them: it writes the file as opened, taking from the page only pixels it changed.
      await ed.page.getByRole('button', { name: 'Invert' }).click();
      await ed.page.getByRole('button', { name: 'Fill', exact: true }).click();
      await expect.poll(() => ed.page.evaluate('window.__fillFrame !== null')).toBe(true);
      const [req] = decodeFrame<{ args: [FillRequest, string] }>(new Uint8Array((await ed.page.evaluate('window.__fillFrame')) as number[])).args;
      expect([req.frame?.x ?? 0, req.frame?.y ?? 0, req.image.width, req.image.height], name).toEqual([0, 0, engine.width, engine.height]);
      expect(largest(req.image.data, nearest8(engine)), `${name}: shown vs file`).toBeLessThanOrEqual(tolerance);
      await ed.page.getByTestId('panel-vqddm').waitFor({ timeout: 120_000 }); // the fill done before Save
      // Save, with nothing changed, writes the file's own pixels at its own depth (16 bits stay 16 in PNG),
      // read back with the engine's decoder (libvips' own 8-bit reading of a 16-bit file truncates, v >> 8,
      // where the page rounds to the nearest level, v / 257).
      await ed.pickFormat('png'); // exact pixels, whatever the file's own format
      const saved = (await decodeImage(new Uint8Array(await ed.download(() => ed.saveMenu('Save image'), 'kinds.png')))).pixels;
      expect(saved.data.BYTES_PER_ELEMENT, `${name}: saved depth`).toBe(engine.data.BYTES_PER_ELEMENT);
      expect(largest(saved.data, engine.data), `${name}: saved vs file`).toBe(0);
    }
    // A PNG whose header claims 60000x60000 (a decompression bomb) is not decoded in the page: the
    // engine reads its header and says why.
    const bomb = await f().png().toBuffer();
    bomb.writeUInt32BE(60000, 16);
    bomb.writeUInt32BE(60000, 20);
    await ed.page.evaluate('window.__sent.length = 0');
    await ed.open({ name: 'bomb.png', mimeType: 'image/png', buffer: bomb });
    await expect.poll(() => ed.page.getByRole('alert').textContent()).toMatch(/60000x60000.*IMAGE_TOO_LARGE/);
    expect(((await ed.page.evaluate('window.__sent')) as Sent[]).map((s) => s.op)).toContain('decodeImage');
    await context.close();
  });

  it('opens and fills a small mask without sending the whole photo', async () => {
    // The fixture upscaled: a smooth photo-like JPEG of a realistic size for 24 MP.
    const jpeg = await sharp(FIXTURE).resize(W, H).jpeg({ quality: 90 }).toBuffer();
    const context = await env.newContext();
    await context.addInitScript(RECORD_SENDS);
    const ed = await EditorPage.load(context, env.server.url);
    const { page } = ed;
    await page.getByRole('checkbox', { name: 'Transformer', exact: true }).uncheck();

    let t = Date.now();
    await ed.open({ name: 'large.jpg', mimeType: 'image/jpeg', buffer: jpeg });
    await expect.poll(() => page.title(), { timeout: 60_000 }).toContain('large.jpg');
    await expect.poll(() => ed.canvas.getAttribute('data-width')).toBe(String(W));
    const openMs = Date.now() - t;

    await page.getByRole('radio', { name: 'Brush' }).click();
    await ed.setSize(12);
    await ed.brush([[0.48, 0.5], [0.5, 0.51]]);
    t = Date.now();
    await page.getByRole('button', { name: 'Fill', exact: true }).click();
    await page.getByTestId('panel-vqddm').waitFor({ timeout: 120_000 });
    await expect.poll(() => page.getByTestId('info-vqddm').textContent()).toMatch(/total/);
    const fillMs = Date.now() - t;
    const engine = (await page.getByTestId('info-vqddm').locator('.timing strong').textContent()) ?? '';
    await ed.shot('large-compare');

    const sent = (await page.evaluate('window.__sent')) as Sent[];
    const fill = sent.find((s) => s.op === 'fill')!;
    const mb = (n: number) => (n / 1e6).toFixed(1);
    console.log(`24 MP: open ${openMs} ms, fill round trip ${fillMs} ms (engine ${engine}), fill request ${mb(fill.bytes)} MB, sent ${sent.map((s) => `${s.op}:${mb(s.bytes)}MB`).join(' ')}`);

    // The browser decodes the JPEG itself: no decode call, and nothing like 96 MB of RGBA goes out.
    expect(sent.some((s) => s.op === 'decodeImage')).toBe(false);
    // The fill carries the window its crops read, framed in the photo, not the photo.
    expect(fill.bytes).toBeLessThan(2e6);
    const req = fill.args![0]!;
    expect(req.frame).toMatchObject({ width: W, height: H });
    expect(req.image.width * req.image.height).toBeLessThan((W * H) / 50);

    // (Where patches land is checked byte for byte by the journeys on the small photo, also windowed.)
    await page.getByRole('button', { name: 'Apply VQ-DDM' }).click();
    await page.getByLabel('Compare results').waitFor({ state: 'detached' });
    await ed.shot('large-applied');

    // Saving sends the engine the file as opened and the region the fill changed, not the 24 MP photo's pixels.
    t = Date.now();
    await ed.pickFormat('png');
    const saved = await ed.download(() => ed.saveMenu('Save image'), 'large-saved.png');
    const saveMs = Date.now() - t;
    const saves = ((await page.evaluate('window.__sent')) as Sent[]).filter((s) => s.op === 'encodeEdited' || s.op === 'encodeImage');
    console.log(`24 MP: save as PNG ${saveMs} ms, sent ${saves.map((s) => `${s.op}:${mb(s.bytes)}MB`).join(' ')} (the file is ${mb(jpeg.length)} MB)`);
    expect(saves.map((s) => s.op)).toEqual(['encodeEdited']);
    expect(saves[0]!.bytes).toBeLessThan(jpeg.length + 2e6);
    const meta = await sharp(saved).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['png', W, H]);
    await context.close();
  });
});
