import { describe, expect, it } from 'vitest';
import { anchorColours } from '../../electron/engine/image/anchor.js';
import type { Pixels } from '../../electron/engine/image/pixels.js';
import { colourScene, greyScene } from './scenes.js';

const W = 80;
const H = 60;

/** Known: red left half, blue right half. Hole: a wrong green with a 1-px checker (the fill's own detail). */
function scene(): { img: Pixels; mask: Uint8Array } {
  return colourScene(W, H, (x, y) => x >= 20 && x < 60 && y >= 15 && y < 45, (x, y, inHole) =>
    inHole ? [40, 200 + ((x + y) % 2 ? 20 : -20), 40] : x < W / 2 ? [220, 30, 30] : [30, 30, 220]);
}

const at = (img: Pixels, x: number, y: number) => Array.from(img.data.subarray((y * W + x) * 4, (y * W + x) * 4 + 3));

describe('colour anchoring', () => {
  it('pulls the fill toward the border colours by the weight and keeps the known pixels', () => {
    const { img, mask } = scene();
    const before = Uint8Array.from(img.data);
    expect(anchorColours(img, mask, 1)).toBe(true);
    // on the left of the hole the fill is now red-dominated, on the right blue-dominated
    const [lr, lg] = at(img, 29, 30);
    const [rr, , rb] = at(img, 50, 30);
    expect(lr).toBeGreaterThan(150);
    expect(lg).toBeLessThan(100);
    expect(rb).toBeGreaterThan(150);
    expect(rr).toBeLessThan(100);
    // the checker is the detail of a fill of the wrong colour (green where the border is red and blue): gone
    expect(Math.abs(at(img, 40, 30)[1] - at(img, 41, 30)[1])).toBeLessThan(8);
    for (let i = 0; i < W * H; i++) if (!mask[i]) for (let c = 0; c < 4; c++) expect(img.data[i * 4 + c]).toBe(before[i * 4 + c]);
  });

  it("keeps the fill's own detail where its colours agree with the border's and the border has such detail", () => {
    // the photo: grey 120 with a 1-px checker of +-20; the hole filled with the same (the fill's own detail)
    const { img, mask } = greyScene(W, H, (x, y) => x >= 20 && x < 60 && y >= 15 && y < 45, (x, y) => 120 + ((x + y) % 2 ? 20 : -20));
    anchorColours(img, mask, 1);
    // the checker (finer than the blur) survives: neighbours still differ by ~40
    expect(Math.abs(at(img, 40, 30)[0] - at(img, 41, 30)[0])).toBeGreaterThan(30);
  });

  it("drops detail a fill paints into a clear sky even where its broad colours are the sky's (a pale wisp)", () => {
    // sky (200) round a 100 x 60 box; the fill: the sky with a 2-px bright arc (250), the rim of a mass the
    // models painted there: blurred, it is within a few levels of the sky, so its detail was kept (a wisp
    // 40 levels over the sky); the border has no detail to carry in
    const w = 160, h = 120;
    const arc = (x: number, y: number) => Math.abs(Math.hypot(x - 80, y - 75) - 30) < 1 && y < 70;
    const { img, mask } = greyScene(w, h, (x, y) => x >= 30 && x < 130 && y >= 30 && y < 90, (x, y, inHole) =>
      inHole && arc(x, y) ? 250 : 200);
    const { data } = img;
    anchorColours(img, mask, 1);
    let worst = 0;
    for (let y = 30; y < 90; y++) for (let x = 30; x < 130; x++) worst = Math.max(worst, Math.abs(200 - data[(y * w + x) * 4]));
    expect(worst).toBeLessThan(4);
  });

  it('anchors every pixel of a thin scratch: neither the fill\'s colour nor its detail is kept there', () => {
    // a 4 px scratch across a red and a blue half, filled with a wrong green with a 1-px checker
    const { img, mask } = colourScene(W, H, (x, y) => x >= 5 && x < 75 && y >= 29 && y < 33, (x, y, inHole) =>
      inHole ? [40, 200 + ((x + y) % 2 ? 20 : -20), 40] : x < W / 2 ? [220, 30, 30] : [30, 30, 220]);
    anchorColours(img, mask, 1);
    for (const y of [29, 30, 31, 32]) {
      for (const [x, rgb] of [[15, [220, 30, 30]], [25, [220, 30, 30]], [55, [30, 30, 220]], [65, [30, 30, 220]]] as const) {
        at(img, x, y).forEach((v, c) => expect(Math.abs(v - rgb[c]), `${x},${y}`).toBeLessThan(4));
      }
    }
  });

  it('keeps an edge sharp where it crosses a thin scratch (the harmonic interpolation alone there)', () => {
    // a dark left half (40) and a bright right half (220) with a hard step at x = 40; a 3 px scratch across
    // it, filled with grey. The runs' blurred ends and the averaging of neighbouring runs, which a wide
    // hole needs, smeared the step over the scratch (3 px from it: 43 levels off; the harmonic alone 11-15)
    const { img, mask } = greyScene(W, H, (x, y) => x >= 5 && x < 75 && y >= 29 && y < 32, (x, y, inHole) =>
      inHole ? 128 : x < 40 ? 40 : 220);
    anchorColours(img, mask, 1);
    for (const y of [29, 30, 31]) {
      expect(Math.abs(at(img, 37, y)[0] - 40), `37,${y}`).toBeLessThan(20);
      expect(Math.abs(at(img, 42, y)[0] - 220), `42,${y}`).toBeLessThan(20);
    }
  });

  it("anchors a wide hole's edge band whatever the fill painted there, and keeps the fill's detail only deep in it", () => {
    // the photo: grey 128 with a +-20 checker; the hole (30 x 30): a pale frame (200) in its outer 2 px, the
    // checker inside (the fill's own detail)
    const frame = (x: number, y: number) => Math.min(x - 25, 54 - x, y - 15, 44 - y) < 2;
    const checker = (x: number, y: number) => 128 + ((x + y) % 2 ? 20 : -20);
    const { img, mask } = greyScene(W, H, (x, y) => x >= 25 && x < 55 && y >= 15 && y < 45, (x, y, inHole) =>
      inHole && frame(x, y) ? 200 : checker(x, y));
    anchorColours(img, mask, 1);
    // the frame is gone: the interpolation's grey (the border's checker averages to 128 a pixel in)
    for (const [x, y] of [[25, 30], [26, 22], [33, 15], [33, 16], [54, 30]]) expect(Math.abs(at(img, x, y)[0] - 128), `${x},${y}`).toBeLessThan(16);
    // 3-7 px in, the fill's checker is not kept; from 8 px in it is
    expect(Math.abs(at(img, 30, 30)[0] - at(img, 31, 30)[0])).toBeLessThan(8);
    expect(Math.abs(at(img, 40, 30)[0] - at(img, 41, 30)[0])).toBeGreaterThan(30);
  });

  it('carries a line that crosses a wide hole straight across it (a horizon behind a box)', () => {
    // known: sky (blue) above row 20, field (green) below; hole: a 64 x 44 box from row 8, so the horizon
    // crosses its upper part; the fill is a flat wrong grey
    const { img, mask } = colourScene(W, H, (x, y) => x >= 8 && x < 72 && y >= 8 && y < 52, (x, y, inHole) =>
      inHole ? [128, 128, 128] : y < 20 ? [40, 90, 230] : [60, 170, 50]);
    anchorColours(img, mask, 1);
    // the horizon in each column: the first row of the box where green passes blue. It stays at row 20-21
    // across the box; the harmonic interpolation alone, pulled by the box's field-coloured bottom edge, bent
    // it down to row 28 in the middle (rows 22, 24, 27, 28, 27, 24, 21 at these columns)
    const horizon = (x: number) => {
      for (let y = 8; y < 52; y++) if (at(img, x, y)[1] > at(img, x, y)[2]) return y;
      return -1;
    };
    for (const x of [12, 20, 30, 40, 50, 60, 68]) expect(horizon(x), `column ${x}`).toBeLessThanOrEqual(22);
  });

  it('keeps the sky out of the ground below a carried horizon where the ground differs from side to side', () => {
    // known: a pale sky above row 40; below it dark green left of column 80 and brown right of it; hole: an
    // 80 x 52 box from row 24. The horizon is joined across the hole (lines.ts); the ground's rows disagree
    // end to end, so the harmonic interpolation decides below it, and the sky over the box's top edge
    // diffused under the horizon: the blue rose to 126 (of the ground's 40, the sky's 240) 8 px and more
    // under it; 63 with the horizon held (the wide average of the rows' estimates still reaches 11 px under)
    const w = 160, h = 100;
    const { img, mask } = colourScene(w, h, (x, y) => x >= 40 && x < 120 && y >= 24 && y < 76, (x, y, inHole) =>
      inHole ? [128, 128, 128] : y < 40 ? [170, 200, 240] : x < 80 ? [60, 110, 40] : [120, 100, 40]);
    const { data } = img;
    anchorColours(img, mask, 1);
    let worst = 0;
    for (let y = 48; y < 76; y++) for (let x = 40; x < 120; x++) worst = Math.max(worst, data[(y * w + x) * 4 + 2]);
    expect(worst).toBeLessThan(75);
  });

  it("does not carry one end's colour down a hole that leaves the region (sky down a person's body)", () => {
    // known: bright sky above row 40; below it a dark left side and a grey right side (rows across the hole
    // disagree). Hole: a 40 px wide column from row 40 to the region's bottom edge, filled flat grey. Its
    // columns have one end only, the sky, which they used to carry down the whole hole at a quarter weight
    const w = 120, h = 200;
    const { img, mask } = greyScene(w, h, (x, y) => x >= 40 && x < 80 && y >= 40, (x, y, inHole) =>
      inHole ? 128 : y < 40 ? 230 : x < 60 ? 40 : 110);
    const { data } = img;
    anchorColours(img, mask, 1);
    // deep in the hole the guide is the sides' (40 and 110 on either side: about 75 in the middle), not the
    // sky's (with the sky carried down at a quarter weight: 101 and 96)
    for (const y of [140, 190]) expect(data[(y * w + 60) * 4], `row ${y}`).toBeLessThan(88);
  });

  it('carries a slanted line across a wide hole (a railing behind a person brushed out)', () => {
    // known: light grey (170) with a dark band 6 px thick that drops 12 px per 100 (darker on the left, 40,
    // than on the right, 80, as in shade and sun); hole: a 100 x 80 box, filled flat grey. No row has the
    // band at both ends, so rows and columns alone carried the light grey across and the band vanished (170
    // at its centre in the middle of the hole)
    const w = 200, h = 120;
    const centre = (x: number) => 40 + 0.12 * x;
    const { img, mask } = greyScene(w, h, (x, y) => x >= 50 && x < 150 && y >= 20 && y < 100, (x, y, inHole) =>
      inHole ? 128 : Math.abs(y - centre(x)) <= 3 ? Math.round(40 + (40 * x) / w) : 170);
    const { data } = img;
    anchorColours(img, mask, 1);
    for (const x of [70, 100, 130]) {
      const y = Math.round(centre(x));
      expect(data[(y * w + x) * 4], `band at column ${x}`).toBeLessThan(100);
      expect(data[((y - 10) * w + x) * 4], `above it`).toBeGreaterThan(155);
      expect(data[((y + 10) * w + x) * 4], `below it`).toBeGreaterThan(155);
    }
  });

  it('keeps the sky where a hole reaches up into it from a dark body below (a head brushed out)', () => {
    // known: sky (230) above row 60, dark ground (40) below; hole: a body 160 px wide from row 60 to the
    // region's bottom and a head 120 px wide from row 20 up in the sky, filled flat grey. The head's rows
    // agree (sky at both ends), but the harmonic interpolation, pulled down by the dark body, kept a fifth
    // of the say there: a grey cloud in the sky (9.9 levels under it on average over the head's upper part)
    const w = 240, h = 160;
    const { img, mask } = greyScene(w, h, (x, y) => (x >= 40 && x < 200 && y >= 60) || (x >= 60 && x < 180 && y >= 20 && y < 60), (x, y, inHole) =>
      inHole ? 128 : y < 60 ? 230 : 40);
    const { data } = img;
    anchorColours(img, mask, 1);
    let under = 0;
    for (let y = 20; y < 50; y++) for (let x = 60; x < 180; x++) under += 230 - data[(y * w + x) * 4];
    expect(under / (30 * 120)).toBeLessThan(8.5);
  });

  it('keeps an evening sky whose colour drifts across the photo where a head was brushed out of it', () => {
    // as above, but the sky brightens by 20 levels from left to right (smooth, as a sky at dusk): the head's
    // rows end 17 levels apart, and counted as disagreeing they handed the sky to the harmonic
    // interpolation, which the dark body pulls grey (a grey dome over the horizon): 10.6 levels under the
    // sky on average over the head's upper part; 6.5 with the tolerance that grows on smooth ends only, 7.3
    // with only the columns down to the region's bottom edge no longer counted as disagreeing; 2.0 with both
    const w = 360, h = 200;
    const sky = (x: number) => 210 + (20 * x) / w;
    const { img, mask } = greyScene(w, h, (x, y) => (x >= 40 && x < 320 && y >= 80) || (x >= 60 && x < 300 && y >= 20 && y < 80), (x, y, inHole) =>
      inHole ? 128 : y < 80 ? Math.round(sky(x)) : 40);
    const { data } = img;
    anchorColours(img, mask, 1);
    let under = 0;
    for (let y = 20; y < 60; y++) for (let x = 60; x < 300; x++) under += sky(x) - data[(y * w + x) * 4];
    expect(under / (40 * 240)).toBeLessThan(4);
  });

  it('leaves no trace of a dark mass the fill painted into a clear sky (no outline, no rim)', () => {
    // sky (220) all round a 100 x 60 box; the fill: a dark disc (40) on mid grey (120), as the models paint
    // a mass where the border shows sky. Its outline (detail finer than the blur) used to stay on the
    // interpolation's sky, and the short fade after the ring left half of the dark fill 3 px inside the edge
    // (at worst 46 and 51 levels off the sky without either rule; 2 with both)
    const w = 160, h = 120;
    const { img, mask } = greyScene(w, h, (x, y) => x >= 30 && x < 130 && y >= 30 && y < 90, (x, y, inHole) =>
      !inHole ? 220 : (x - 80) ** 2 + (y - 60) ** 2 < 20 ** 2 ? 40 : 120);
    const { data } = img;
    anchorColours(img, mask, 1);
    let worst = 0;
    for (let y = 30; y < 90; y++) for (let x = 30; x < 130; x++) worst = Math.max(worst, Math.abs(220 - data[(y * w + x) * 4]));
    expect(worst).toBeLessThan(12);
  });

  it('leaves no outline of a hole in a clear sky where the fill is a little off it near the edge', () => {
    // sky (230) round a 60 x 50 box; the fill: 8 levels darker per pixel into the hole, down to 36 (a decoder's
    // bluish sky). The short fade after the ring, judged against the fixed RING_FROM (20 levels), kept half
    // of the fill 3 px inside the edge: an outline round the box (a brushed-out head in the app)
    const w = 120, h = 90;
    const depth = (x: number, y: number) => Math.min(x - 30, 89 - x, y - 20, 69 - y) + 1;
    const { img, mask } = greyScene(w, h, (x, y) => x >= 30 && x < 90 && y >= 20 && y < 70, (x, y, inHole) =>
      !inHole ? 230 : 230 - Math.min(36, 8 * depth(x, y)));
    const { data } = img;
    anchorColours(img, mask, 1);
    // the band 3 px inside the edge, away from the corners (where the ramp's two sides meet): 13 levels dark
    // before, under 3 now
    let worst = 0;
    for (let x = 40; x < 80; x++) for (const y of [22, 67]) worst = Math.max(worst, Math.abs(230 - data[(y * w + x) * 4]));
    for (let y = 30; y < 60; y++) for (const x of [32, 87]) worst = Math.max(worst, Math.abs(230 - data[(y * w + x) * 4]));
    expect(worst).toBeLessThan(4);
  });

  it('does not join two edges that only share a shape (a white kite against the sky and a pale wisp)', () => {
    // the slanted band of the test above, bright (240) on dark (60) on the left and faint (180) on grey (150)
    // on the right: the shapes correlate, but no change of light turns one into the other. Joined, a bright
    // streak crossed the hole (42 levels above the grey 10 px beside it, in its middle)
    const w = 200, h = 120;
    const centre = (x: number) => 40 + 0.12 * x;
    const { img, mask } = greyScene(w, h, (x, y) => x >= 50 && x < 150 && y >= 20 && y < 100, (x, y, inHole) =>
      inHole ? 128 : Math.abs(y - centre(x)) <= 3 ? (x < w / 2 ? 240 : 180) : x < w / 2 ? 60 : 150);
    const { data } = img;
    anchorColours(img, mask, 1);
    const y = Math.round(centre(100));
    expect(data[(y * w + 100) * 4] - data[((y + 10) * w + 100) * 4]).toBeLessThan(30);
  });

  it('does not draw streaks across a wide hole from a busy border', () => {
    // known: on each side of a 160 px wide hole that runs the region's height, blocks 10 px wide and 8 high
    // of dark or bright grey, chosen at random (two across each side: no edge runs on straight far enough
    // outside the hole to be joined across it); the fill is flat grey. A row whose ends happened to agree
    // was carried across at full weight and the rows next to it were not: in the middle of the hole the guide
    // had bright and dark streaks (a range of 68 levels down the middle column)
    const w = 200, h = 120, bw = 10, bh = 8;
    let seed = 7;
    const coin = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 1;
    const blocks = Array.from({ length: (h / bh) * (w / bw) }, () => (coin() ? 200 : 50));
    const { img, mask } = greyScene(w, h, (x) => x >= 20 && x < 180, (x, y, inHole) =>
      inHole ? 128 : blocks[Math.floor(y / bh) * (w / bw) + Math.floor(x / bw)]);
    const { data } = img;
    anchorColours(img, mask, 1);
    const column = Array.from({ length: 40 }, (_, k) => data[((40 + k) * w + 100) * 4]);
    expect(Math.max(...column) - Math.min(...column)).toBeLessThan(30);
  });

  it("does not join the stripes of a repeated pattern across a hole (which continues which is a guess)", () => {
    // known: stripes 8 rows high, alternately dark and bright, on each side of a 160 px wide hole, the right
    // side's shifted by one stripe; the fill is flat grey. Each stripe's edge lines up with two on the other
    // side, 8 rows above and below, as well: joined, they drew slanted streaks across the hole
    const w = 200, h = 120;
    const { img, mask } = greyScene(w, h, (x) => x >= 20 && x < 180, (x, y, inHole) =>
      inHole ? 128 : (Math.floor(y / 8) + (x < w / 2 ? 0 : 1)) % 2 ? 200 : 50);
    const { data } = img;
    anchorColours(img, mask, 1);
    const column = Array.from({ length: 40 }, (_, k) => data[((40 + k) * w + 100) * 4]);
    expect(Math.max(...column) - Math.min(...column)).toBeLessThan(30);
  });

  it('at weight 0 changes nothing, and refuses a region with no known pixel', () => {
    const { img, mask } = scene();
    const before = Uint8Array.from(img.data);
    anchorColours(img, mask, 0);
    expect(Buffer.from(img.data).equals(Buffer.from(before))).toBe(true);
    expect(anchorColours(img, new Uint8Array(W * H).fill(1))).toBe(false);
    expect(Buffer.from(img.data).equals(Buffer.from(before))).toBe(true);
  });
});
