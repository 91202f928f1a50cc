import { describe, expect, it } from 'vitest';
import { borderError } from '../../electron/engine/image/blend.js';

const S = 32;

/** Planar RGB [3, S, S] of one value, and a square hole [S * S] from 12 to 20. */
function plane(v: number): Float32Array {
  return new Float32Array(3 * S * S).fill(v);
}
const hole = new Uint8Array(S * S).map((_, i) => (i % S >= 12 && i % S < 20 && Math.floor(i / S) >= 12 && Math.floor(i / S) < 20 ? 1 : 0));

describe('best-of rerank score (borderError)', () => {
  it('is zero when the decoding matches the known pixels, whatever it puts in the hole', () => {
    const decoded = plane(0.2);
    for (let i = 0; i < S * S; i++) if (hole[i]) for (let c = 0; c < 3; c++) decoded[c * S * S + i] = -0.9;
    expect(borderError(plane(0.2), 0, decoded, 0, hole, S, 4)).toBe(0);
  });

  it('counts known pixels within the ring only, as a mean squared difference', () => {
    const decoded = plane(0.2);
    // Off by 0.5 in one channel on a known pixel 2 px from the hole (inside a 4 px ring) ...
    decoded[(12 * S + 10)] = 0.7;
    const near = borderError(plane(0.2), 0, decoded, 0, hole, S, 4);
    expect(near).toBeGreaterThan(0);
    // ... counted once over the ring's pixels: (16x16 box minus the 8x8 hole) = 192 pixels.
    expect(near).toBeCloseTo(0.25 / 192, 9);
    // A pixel 6 px away is outside a 4 px ring.
    const far = plane(0.2);
    far[12 * S + 6] = 0.7;
    expect(borderError(plane(0.2), 0, far, 0, hole, S, 4)).toBe(0);
  });
});
