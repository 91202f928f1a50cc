import { describe, expect, it } from 'vitest';
import { decodeFrame, encodeFrame } from '../../electron/shared/wire';
import { latentCells } from '../../renderer/lib/latent';

describe('wire frames', () => {
  it('round-trips nested values with binary fields byte for byte, without base64', () => {
    const big = new Uint8Array(300_000).map((_, i) => i % 251);
    const value = { t: 'call', id: 7, args: [{ image: { width: 2, height: 1, data: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]) } }, big, 'x', null] };
    const frame = encodeFrame(value);
    expect(frame.byteLength).toBeLessThan(big.byteLength + 500);
    const back = decodeFrame<typeof value>(frame);
    expect(back.id).toBe(7);
    expect(back.args[0]).toEqual(value.args[0]);
    expect(back.args[1]).toEqual(big);
    expect(back.args[2]).toBe('x');
    expect(back.args[3]).toBeNull();
  });

  it('takes no value inside the data for a blob: only the head says where blobs go', () => {
    const lookalike = { $bin: 0, len: 3, args: [{ $bin: 0, len: 1 }] };
    expect(decodeFrame(encodeFrame(lookalike))).toEqual(lookalike);
    const frameOf = (head: unknown, blob = new Uint8Array([1, 2, 3])) => {
      const h = new TextEncoder().encode(JSON.stringify(head));
      const out = new Uint8Array(4 + h.length + blob.length);
      new DataView(out.buffer).setUint32(0, h.length, true);
      out.set(h, 4);
      out.set(blob, 4 + h.length);
      return out;
    };
    expect(decodeFrame(frameOf({ v: { data: null }, b: [[['data'], 3]] }))).toEqual({ data: new Uint8Array([1, 2, 3]) });
    // A blob may only fill a null slot that exists, through own properties, never __proto__.
    for (const head of [
      { v: { data: 'x' }, b: [[['data'], 3]] },
      { v: {}, b: [[['data'], 3]] },
      { v: { a: {} }, b: [[['__proto__', 'polluted'], 3]] },
      { v: { __proto__: null }, b: [[['__proto__'], 3]] },
      { v: { data: null }, b: [[['data'], 4]] },
      { v: { data: null }, b: [[['data'], -1]] },
      { v: { data: null }, b: 'data' },
      { v: { data: null } },
    ]) {
      expect(() => decodeFrame(frameOf(head)), JSON.stringify(head)).toThrow();
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('rejects truncated frames', () => {
    const frame = encodeFrame({ data: new Uint8Array(100) });
    expect(() => decodeFrame(frame.subarray(0, frame.byteLength - 10))).toThrow();
    expect(() => decodeFrame(new Uint8Array(2))).toThrow();
  });
});

describe('latent cell overlay', () => {
  it('marks the cells that hold masked pixels, in a crop around the mask', () => {
    const w = 256, h = 256;
    const data = new Uint8Array(w * h);
    for (let y = 100; y < 110; y++) for (let x = 120; x < 130; x++) data[y * w + x] = 255;
    const tiles = latentCells({ width: w, height: h, data }, 1, [16], 4, 64);
    expect(tiles).toHaveLength(1);
    const t = tiles[0]!;
    expect(t.grid).toBe(16);
    expect(t.side).toBe(64);
    // The mask lies inside the crop, and only cells under it are marked.
    expect(t.x).toBeLessThanOrEqual(120);
    expect(t.x + t.side).toBeGreaterThanOrEqual(130);
    const marked = [...t.cells].filter(Boolean).length;
    expect(marked).toBeGreaterThanOrEqual(9); // 10 px over 4 px cells: 3 or 4 cells a side
    expect(marked).toBeLessThanOrEqual(16);
  });
});
