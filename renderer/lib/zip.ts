/**
 * A minimal ZIP archive (stored entries, no compression: the members are already-compressed image files
 * and raw pixels that a page-side deflate would only slow down), written and read in the page for the
 * project file (lib/project.ts). No ZIP64: an archive stays under 4 GiB and 65535 entries.
 */

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32(data: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = CRC_TABLE[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

const LIMIT = 0xffffffff;

/** The archive's bytes: each entry stored as given, in order. */
export function writeZip(entries: readonly { name: string; data: Uint8Array }[]): Uint8Array {
  const enc = new TextEncoder();
  const items = entries.map((e) => ({ name: enc.encode(e.name), data: e.data, crc: crc32(e.data) }));
  const local = items.reduce((n, it) => n + 30 + it.name.length + it.data.length, 0);
  const central = items.reduce((n, it) => n + 46 + it.name.length, 0);
  if (local + central + 22 > LIMIT || items.length > 0xffff) throw new Error('The project is too large for one file (4 GB, 65535 parts).');
  const out = new Uint8Array(local + central + 22);
  const v = new DataView(out.buffer);
  let at = 0;
  const offsets: number[] = [];
  for (const it of items) {
    offsets.push(at);
    v.setUint32(at, 0x04034b50, true);
    v.setUint16(at + 4, 20, true); // version needed
    v.setUint16(at + 6, 0x0800, true); // UTF-8 names
    v.setUint32(at + 14, it.crc, true);
    v.setUint32(at + 18, it.data.length, true);
    v.setUint32(at + 22, it.data.length, true);
    v.setUint16(at + 26, it.name.length, true);
    out.set(it.name, at + 30);
    out.set(it.data, at + 30 + it.name.length);
    at += 30 + it.name.length + it.data.length;
  }
  const cdStart = at;
  items.forEach((it, i) => {
    v.setUint32(at, 0x02014b50, true);
    v.setUint16(at + 4, 20, true);
    v.setUint16(at + 6, 20, true);
    v.setUint16(at + 8, 0x0800, true);
    v.setUint32(at + 16, it.crc, true);
    v.setUint32(at + 20, it.data.length, true);
    v.setUint32(at + 24, it.data.length, true);
    v.setUint16(at + 28, it.name.length, true);
    v.setUint32(at + 42, offsets[i]!, true);
    out.set(it.name, at + 46);
    at += 46 + it.name.length;
  });
  v.setUint32(at, 0x06054b50, true);
  v.setUint16(at + 8, items.length, true);
  v.setUint16(at + 10, items.length, true);
  v.setUint32(at + 12, at - cdStart, true);
  v.setUint32(at + 16, cdStart, true);
  return out;
}

/** True when `bytes` begin as a ZIP archive does. */
export function isZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04;
}

/**
 * The entries of an archive `writeZip` wrote (stored entries; each one's CRC checked), as views of `bytes`.
 * Throws a message naming what is wrong for anything else.
 */
export function readZip(bytes: Uint8Array): Map<string, Uint8Array> {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const bad = (why: string) => new Error(`Not a readable project file: ${why}.`);
  let end = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 0xffff); i--) {
    if (v.getUint32(i, true) === 0x06054b50) {
      end = i;
      break;
    }
  }
  if (end < 0) throw bad('its table of contents is missing (the file is cut short?)');
  const count = v.getUint16(end + 10, true);
  let at = v.getUint32(end + 16, true);
  const dec = new TextDecoder();
  const out = new Map<string, Uint8Array>();
  for (let i = 0; i < count; i++) {
    if (at + 46 > end || v.getUint32(at, true) !== 0x02014b50) throw bad('its table of contents is damaged');
    const method = v.getUint16(at + 10, true), crc = v.getUint32(at + 16, true), size = v.getUint32(at + 20, true);
    const nameLen = v.getUint16(at + 28, true), extra = v.getUint16(at + 30, true), comment = v.getUint16(at + 32, true);
    const local = v.getUint32(at + 42, true);
    const name = dec.decode(bytes.subarray(at + 46, at + 46 + nameLen));
    if (method !== 0) throw bad(`${name} is compressed (projects are written uncompressed)`);
    if (local + 30 > bytes.length || v.getUint32(local, true) !== 0x04034b50) throw bad(`${name} is missing`);
    const start = local + 30 + v.getUint16(local + 26, true) + v.getUint16(local + 28, true);
    if (start + size > bytes.length) throw bad(`${name} is cut short`);
    const data = bytes.subarray(start, start + size);
    if (crc32(data) !== crc) throw bad(`${name} is damaged (checksum)`);
    out.set(name, data);
    at += 46 + nameLen + extra + comment;
  }
  return out;
}
