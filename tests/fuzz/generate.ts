/**
 * Seeded generators of hostile traffic for the protocol fuzzers (tests/unit/rpc-fuzz.test.ts over the
 * in-memory rpc, tests/e2e/serve-fuzz.test.ts over the serve bridge's WebSocket): random values, calls
 * that are almost right (one field replaced, removed or made huge), mutated wire frames, and raw
 * WebSocket frames that break the protocol. Same seed, same traffic, so a failure can be replayed.
 */
import { DEFAULT_SETTINGS } from '../../electron/shared/contract.js';
import { encodeFrame } from '../../electron/shared/wire.js';

export type Rng = () => number;

/** mulberry32: a small seeded generator (uniform in [0, 1)). */
export function rng(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const int = (r: Rng, n: number) => Math.floor(r() * n);
export const pick = <T>(r: Rng, xs: readonly T[]): T => xs[int(r, xs.length)]!;

/** Numbers a schema must refuse or take with care: fractions, negatives, huge, not finite. */
const NASTY_NUMBERS = [0, -1, 1, 32.5, 2 ** 31, 2 ** 32 + 1, 2 ** 53, -(2 ** 53), 1e308, -0, 1 << 20, (1 << 20) + 1, Number.MAX_SAFE_INTEGER];
const NASTY_NUMBERS_CLONE = [...NASTY_NUMBERS, Number.NaN, Infinity, -Infinity];
const NASTY_STRINGS = ['', 'vqddm', 'both', 'png', '__proto__', 'constructor', '../../etc/passwd', '/dev/zero', 'a'.repeat(5000), '\u0000', '\ud800', 'x'.repeat(65)];

/**
 * A random value. `clone`: values a structured clone carries (MessagePort) and JSON does not: BigInt,
 * NaN, Map, Date, other typed arrays, cycles, objects without a prototype.
 */
export function randomValue(r: Rng, clone: boolean, depth = 0): unknown {
  const kinds = depth > 3 ? 6 : clone ? 14 : 10;
  switch (int(r, kinds)) {
    case 0: return null;
    case 1: return r() < 0.5;
    case 2: return pick(r, clone ? NASTY_NUMBERS_CLONE : NASTY_NUMBERS);
    case 3: return pick(r, NASTY_STRINGS);
    case 4: return new Uint8Array(pick(r, [0, 1, 3, 4, 16, 1024]));
    case 5: return int(r, 1000) - 500;
    case 6: return Array.from({ length: int(r, 4) }, () => randomValue(r, clone, depth + 1));
    case 7: return Object.fromEntries(Array.from({ length: int(r, 4) }, () => [pick(r, ['t', 'id', 'op', 'args', 'width', 'height', 'data', 'settings', 'x', '__proto__']), randomValue(r, clone, depth + 1)]));
    case 8: return { t: pick(r, ['call', 'result', 'event', 'CALL']), id: pick(r, [1, -1, 1.5, '1', 2 ** 60]), op: pick(r, ['info', 'fill', 'cancel', 'loadPack', 'decodeImage', 'encodeImage', 'toString', '__proto__', 'hasOwnProperty', 'dispose', 'onJobEvent']), args: randomValue(r, clone, depth + 1) };
    case 9: return Array.from({ length: 200 }, () => pick(r, [0, 'a', null]));
    case 10: return BigInt(int(r, 100));
    case 11: return pick(r, [new Map([[1, 2]]), new Set([1]), new Date(0), new Float32Array(4), new Uint16Array(8), new ArrayBuffer(8), /x/]);
    case 12: {
      const o: Record<string, unknown> = { a: 1 };
      o.self = o; // a cycle
      return o;
    }
    default: {
      const o = Object.create(null) as Record<string, unknown>;
      o.width = 16;
      o.height = 16;
      return o;
    }
  }
}

const raster = (w: number, h: number, ch: number) => ({ width: w, height: h, data: new Uint8Array(w * h * ch) });

/** A well-formed call of each operation (cheap ones: nothing here loads a pack or runs a fill). */
export function templates(): { op: string; args: unknown[] }[] {
  const mask = raster(16, 16, 1);
  mask.data[0] = 255;
  return [
    { op: 'info', args: [] },
    { op: 'decodeImage', args: [new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13])] },
    { op: 'encodeImage', args: [raster(16, 16, 4), 'png', 90] },
    { op: 'fill', args: [{ image: raster(16, 16, 4), mask, settings: { ...DEFAULT_SETTINGS, methods: ['vqddm'] } }, 'job-1'] },
    { op: 'cancel', args: ['job-1'] },
    { op: 'loadPack', args: ['/nonexistent/pack'] },
  ];
}

/** The keys of a value's nested objects and arrays, as paths (for picking a field to damage). */
function paths(value: unknown, at: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  if (at.length > 6) return out; // cycles and deep values: far enough
  const plain = value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype;
  if (Array.isArray(value)) value.forEach((x, i) => { out.push([...at, i]); paths(x, [...at, i], out); });
  else if (plain) for (const [k, x] of Object.entries(value)) { out.push([...at, k]); paths(x, [...at, k], out); }
  return out;
}

/** Deep copy that keeps Uint8Arrays (copied). */
function copy<T>(v: T): T {
  if (v instanceof Uint8Array) return new Uint8Array(v) as T;
  if (Array.isArray(v)) return v.map(copy) as T;
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, copy(x)])) as T;
  return v;
}

/** A call of one operation with one to three fields replaced, removed, or given huge claimed sizes. */
export function mutatedCall(r: Rng, clone: boolean, id: number): unknown {
  const t = pick(r, templates());
  const call: Record<string, unknown> = { t: 'call', id, op: t.op, args: copy(t.args) };
  const edits = 1 + int(r, 3);
  for (let e = 0; e < edits; e++) {
    const all = paths(call.args, ['args']).filter(() => true);
    if (all.length === 0 || r() < 0.15) {
      // damage the envelope instead
      const k = pick(r, ['t', 'id', 'op', 'args']);
      if (r() < 0.5) delete call[k];
      else call[k] = randomValue(r, clone);
      continue;
    }
    const path = pick(r, all);
    let parent: Record<string | number, unknown> = call;
    for (const k of path.slice(0, -1)) parent = parent[k] as Record<string | number, unknown>;
    const last = path[path.length - 1]!;
    const how = int(r, 4);
    if (how === 0) delete parent[last];
    else if (how === 1 && (last === 'width' || last === 'height')) parent[last] = pick(r, [2 ** 20, 2 ** 31, 32.5, -16, 0, 1e9]);
    else parent[last] = randomValue(r, clone);
  }
  return call;
}

/** A serve-bridge message (the payload of one binary WebSocket frame): a wire frame, often broken. */
export function wirePayload(r: Rng, id: number): Uint8Array {
  const kind = int(r, 8);
  if (kind === 0) return Uint8Array.from({ length: int(r, 64) }, () => int(r, 256)); // noise
  if (kind === 1) return encodeFrame(randomValue(r, false));
  const good = encodeFrame(mutatedCall(r, false, id));
  const bytes = new Uint8Array(good);
  const view = new DataView(bytes.buffer);
  switch (kind) {
    case 2: // flip bytes anywhere
      for (let i = 0, n = 1 + int(r, 6); i < n; i++) bytes[int(r, bytes.length)] ^= 1 << int(r, 8);
      return bytes;
    case 3: // head length claims more than there is (up to 4 GiB)
      view.setUint32(0, pick(r, [0xffffffff, 0x7fffffff, bytes.length, bytes.length + 1]), true);
      return bytes;
    case 4: // truncated
      return bytes.subarray(0, int(r, bytes.length));
    case 5: { // a blob entry claiming a huge length or a strange path
      const head = JSON.stringify({ v: { t: 'call', id, op: 'decodeImage', args: [null] }, b: [[pick(r, [['args', 0], ['__proto__'], ['args', -1], [], ['args', 0, 'x']]), pick(r, [2 ** 31, 2 ** 53, -1, 1.5, 3])]] });
      const h = new TextEncoder().encode(head);
      const out = new Uint8Array(4 + h.length + 3);
      new DataView(out.buffer).setUint32(0, h.length, true);
      out.set(h, 4);
      return out;
    }
    case 6: { // the head is JSON of the wrong shape, or deeply nested
      const text = pick(r, ['null', '[]', '{"v":1}', '{"b":[]}', '{"v":null,"b":{}}', `${'['.repeat(100000)}${']'.repeat(100000)}`, '{"v":{"t":"call"},"b":[[["v"],0]]}']);
      const h = new TextEncoder().encode(text);
      const out = new Uint8Array(4 + h.length);
      new DataView(out.buffer).setUint32(0, h.length, true);
      out.set(h, 4);
      return out;
    }
    default:
      return good; // a well-formed frame of a damaged call
  }
}

/**
 * A raw WebSocket frame (RFC 6455) a client could write after the handshake, usually breaking the
 * protocol: reserved bits and opcodes, unmasked, lengths up to 2^63, oversized or fragmented control
 * frames, continuation without a start, invalid UTF-8 text, bad close codes.
 */
export function rawFrame(r: Rng): Buffer {
  const maskKey = Buffer.from([int(r, 256), int(r, 256), int(r, 256), int(r, 256)]);
  const payload = Buffer.from(Array.from({ length: int(r, 40) }, () => int(r, 256)));
  const fin = r() < 0.8 ? 0x80 : 0;
  const rsv = r() < 0.3 ? pick(r, [0x40, 0x20, 0x10]) : 0;
  const opcode = pick(r, [0x0, 0x1, 0x2, 0x3, 0x7, 0x8, 0x9, 0xa, 0xb, 0xf]);
  const masked = r() < 0.85;
  const claim = pick(r, ['exact', 'exact', 'huge16', 'huge64', 'max64', 'short']);
  const header: number[] = [fin | rsv | opcode];
  const m = masked ? 0x80 : 0;
  if (claim === 'huge16') header.push(m | 126, 0xff, 0xff);
  else if (claim === 'huge64') header.push(m | 127, 0, 0, 0, 0, 0x80, 0, 0, 0); // 2 GiB
  else if (claim === 'max64') header.push(m | 127, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff);
  else if (claim === 'short') header.push(m | (payload.length + 5));
  else header.push(m | payload.length);
  const body = masked ? Buffer.concat([maskKey, Buffer.from(payload.map((b, i) => b ^ maskKey[i % 4]!))]) : payload;
  return Buffer.concat([Buffer.from(header), body]);
}
