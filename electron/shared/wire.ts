/**
 * A small binary framing for values that hold `Uint8Array`s, used by the serve bridge's WebSocket. Binary
 * fields never become base64: they are lifted out of the JSON and sent after it, byte for byte.
 *
 * Frame layout: [u32 LE head length][head: JSON utf-8][blob 0][blob 1]...; the head is
 * `{"v": value, "b": [[path, byteLength], ...]}`: the value with each binary field set to null, and where
 * each blob goes back (a path of keys and indices from the value). Nothing inside the value itself is a
 * marker, so no JSON a client sends can be taken for a blob. Pure TypeScript (the page uses it too).
 */

type Path = (string | number)[];

/** The value with every Uint8Array / ArrayBuffer replaced by null, and the blobs with where they were. */
function lift(value: unknown, path: Path, blobs: { path: Path; bytes: Uint8Array }[]): unknown {
  if (value instanceof Uint8Array || value instanceof ArrayBuffer) {
    blobs.push({ path, bytes: value instanceof Uint8Array ? value : new Uint8Array(value) });
    return null;
  }
  if (Array.isArray(value)) return value.map((x, i) => lift(x, [...path, i], blobs));
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(value)) if (x !== undefined) out[k] = lift(x, [...path, k], blobs);
    return out;
  }
  return value;
}

/** Encode any JSON-like value (plain objects, arrays, strings, numbers, booleans, null, Uint8Array). */
export function encodeFrame(value: unknown): Uint8Array<ArrayBuffer> {
  const blobs: { path: Path; bytes: Uint8Array }[] = [];
  const v = lift(value, [], blobs);
  const head = new TextEncoder().encode(JSON.stringify({ v, b: blobs.map((b) => [b.path, b.bytes.byteLength]) }));
  let total = 4 + head.byteLength;
  for (const b of blobs) total += b.bytes.byteLength;
  const out = new Uint8Array(total);
  new DataView(out.buffer).setUint32(0, head.byteLength, true);
  out.set(head, 4);
  let at = 4 + head.byteLength;
  for (const b of blobs) {
    out.set(b.bytes, at);
    at += b.bytes.byteLength;
  }
  return out;
}

const isKey = (k: unknown): k is string | number => (typeof k === 'string' && k !== '__proto__') || (Number.isSafeInteger(k) && (k as number) >= 0);

/** Decode a frame made by `encodeFrame`. Blobs are views into the frame (no copy of big images). */
export function decodeFrame<T = unknown>(frame: Uint8Array): T {
  if (frame.byteLength < 4) throw new Error('frame too short');
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const headLen = view.getUint32(0, true);
  if (4 + headLen > frame.byteLength) throw new Error('frame header overruns the frame');
  const head = JSON.parse(new TextDecoder().decode(frame.subarray(4, 4 + headLen))) as unknown;
  if (typeof head !== 'object' || head === null || !('v' in head) || !('b' in head) || !Array.isArray(head.b)) throw new Error('bad frame head');
  const root: Record<string, unknown> = { v: head.v };
  let at = 4 + headLen;
  for (const entry of head.b as unknown[]) {
    if (!Array.isArray(entry) || entry.length !== 2) throw new Error('bad blob entry');
    const [path, len] = entry as [unknown, unknown];
    if (!Array.isArray(path) || !path.every(isKey) || !Number.isSafeInteger(len) || (len as number) < 0) throw new Error('bad blob entry');
    if (at + (len as number) > frame.byteLength) throw new Error('frame blobs overrun the frame');
    // Walk own properties only, to a slot that holds null: a blob replaces nothing else.
    let target: unknown = root;
    const keys: (string | number)[] = ['v', ...path];
    for (const k of keys.slice(0, -1)) {
      if (typeof target !== 'object' || target === null || !Object.hasOwn(target, k)) throw new Error('bad blob path');
      target = (target as Record<string | number, unknown>)[k];
    }
    const last = keys[keys.length - 1]!;
    if (typeof target !== 'object' || target === null || !Object.hasOwn(target, last) || (target as Record<string | number, unknown>)[last] !== null) throw new Error('bad blob path');
    (target as Record<string | number, unknown>)[last] = frame.subarray(at, at + (len as number));
    at += len as number;
  }
  return root.v as T;
}
