/**
 * A small binary framing for values that hold `Uint8Array`s, used by the serve bridge (WebSocket) and
 * the engine utility process. Binary fields never become base64: they are lifted out of the JSON and sent
 * after it, byte for byte.
 *
 * Frame layout: [u32 LE json length][json utf-8][blob 0][blob 1]...; the JSON refers to blob i as
 * `{"$bin": i, "len": n}`. Pure TypeScript (no `node:` imports) so the renderer can use it.
 */

interface BinRef {
  $bin: number;
  len: number;
}

function isBinRef(v: unknown): v is BinRef {
  return typeof v === 'object' && v !== null && typeof (v as BinRef).$bin === 'number' && Object.keys(v).length === 2;
}

/** Encode any JSON-like value (plain objects, arrays, strings, numbers, booleans, null, Uint8Array). */
export function encodeFrame(value: unknown): Uint8Array<ArrayBuffer> {
  const blobs: Uint8Array[] = [];
  const json = JSON.stringify(value, function (this: unknown, _key, v: unknown) {
    if (v instanceof Uint8Array) {
      blobs.push(v);
      return { $bin: blobs.length - 1, len: v.byteLength } satisfies BinRef;
    }
    if (v instanceof ArrayBuffer) {
      blobs.push(new Uint8Array(v));
      return { $bin: blobs.length - 1, len: v.byteLength } satisfies BinRef;
    }
    return v;
  });
  const head = new TextEncoder().encode(json);
  let total = 4 + head.byteLength;
  for (const b of blobs) total += b.byteLength;
  const out = new Uint8Array(total);
  new DataView(out.buffer).setUint32(0, head.byteLength, true);
  out.set(head, 4);
  let at = 4 + head.byteLength;
  for (const b of blobs) {
    out.set(b, at);
    at += b.byteLength;
  }
  return out;
}

/** Decode a frame made by `encodeFrame`. Blobs are views into the frame (no copy of big images). */
export function decodeFrame<T = unknown>(frame: Uint8Array): T {
  if (frame.byteLength < 4) throw new Error('frame too short');
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const headLen = view.getUint32(0, true);
  if (4 + headLen > frame.byteLength) throw new Error('frame header overruns the frame');
  const json = new TextDecoder().decode(frame.subarray(4, 4 + headLen));
  // Blob offsets follow the order of `$bin` indices.
  const refs: BinRef[] = [];
  const parsed = JSON.parse(json, (_key, v: unknown) => {
    if (isBinRef(v)) refs.push(v);
    return v;
  }) as unknown;
  const offsets: number[] = [];
  let at = 4 + headLen;
  const lens = new Map<number, number>();
  for (const r of refs) lens.set(r.$bin, r.len);
  for (let i = 0; i < lens.size; i++) {
    offsets.push(at);
    at += lens.get(i) ?? 0;
  }
  if (at > frame.byteLength) throw new Error('frame blobs overrun the frame');
  const revive = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(revive);
    if (typeof v === 'object' && v !== null) {
      if (isBinRef(v)) {
        const start = offsets[v.$bin];
        if (start === undefined) throw new Error('bad blob reference');
        return frame.subarray(start, start + v.len);
      }
      const o: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) o[k] = revive(x);
      return o;
    }
    return v;
  };
  return revive(parsed) as T;
}
