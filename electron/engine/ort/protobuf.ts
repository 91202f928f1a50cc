/**
 * Just enough of the protobuf wire format to read a graph's signature and nodes out of an ONNX file and to
 * write a one-node ONNX model, without a protobuf dependency (onnxGraph.ts). Wire format: https://protobuf.dev/programming-guides/encoding/.
 */

/** One field of a message: its number, and the bytes of a length-delimited field or a varint's value. */
export interface Field {
  field: number;
  bytes: Uint8Array | null;
  value: number;
}

/** The fields of one message, in order. Throws on a truncated or malformed message. */
export function readFields(buf: Uint8Array): Field[] {
  const out: Field[] = [];
  let pos = 0;
  const varint = (): number => {
    let v = 0;
    let mul = 1;
    for (;;) {
      if (pos >= buf.length) throw new Error('protobuf: truncated varint');
      const b = buf[pos++];
      v += (b & 0x7f) * mul;
      if (b < 0x80) return v;
      mul *= 128;
      if (mul > 2 ** 63) throw new Error('protobuf: varint too long');
    }
  };
  while (pos < buf.length) {
    const tag = varint();
    const field = Math.floor(tag / 8);
    const wire = tag % 8;
    if (wire === 0) {
      out.push({ field, bytes: null, value: varint() });
    } else if (wire === 2) {
      const len = varint();
      if (pos + len > buf.length) throw new Error('protobuf: field runs past the end of the message');
      out.push({ field, bytes: buf.subarray(pos, pos + len), value: len });
      pos += len;
    } else if (wire === 1 || wire === 5) {
      pos += wire === 1 ? 8 : 4;
      out.push({ field, bytes: null, value: 0 });
    } else {
      throw new Error(`protobuf: unsupported wire type ${wire}`);
    }
  }
  if (pos !== buf.length) throw new Error('protobuf: truncated fixed-size field');
  return out;
}

const encoder = new TextEncoder();

function varintBytes(v: number): number[] {
  const out: number[] = [];
  while (v >= 0x80) {
    out.push((v % 128) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}

/** A message from its fields: numbers become varints, strings and nested messages length-delimited. */
export function message(fields: [number, number | string | Uint8Array][]): Uint8Array {
  const parts: number[] = [];
  for (const [field, value] of fields) {
    if (typeof value === 'number') {
      parts.push(...varintBytes(field * 8), ...varintBytes(value));
    } else {
      const bytes = typeof value === 'string' ? encoder.encode(value) : value;
      parts.push(...varintBytes(field * 8 + 2), ...varintBytes(bytes.length), ...bytes);
    }
  }
  return Uint8Array.from(parts);
}
