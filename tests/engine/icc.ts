/**
 * A small ICC v2 display profile (matrix/TRC) with Adobe RGB (1998) primaries, white point and gamma 2.2,
 * made here so the tests need no profile file: "Adobe-RGB-ish", enough for colour management to convert
 * with it and for a test to tell converted values from stored ones.
 */
const s15 = (x: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(Math.round(x * 65536));
  return b;
};
const xyz = (x: number, y: number, z: number) => Buffer.concat([Buffer.from('XYZ \0\0\0\0', 'latin1'), s15(x), s15(y), s15(z)]);
const curve = (gamma: number) => {
  const b = Buffer.from('curv\0\0\0\0\0\0\0\x01\0\0', 'latin1');
  b.writeUInt16BE(Math.round(gamma * 256), 12);
  return b;
};
function desc(text: string): Buffer {
  const ascii = Buffer.from(`${text}\0`, 'latin1');
  const head = Buffer.alloc(12);
  head.write('desc', 0, 'latin1');
  head.writeUInt32BE(ascii.length, 8);
  // unicode language + count (0), scriptcode code + count (0) + 67 bytes
  return Buffer.concat([head, ascii, Buffer.alloc(4 + 4 + 2 + 1 + 67)]);
}
const text = (t: string) => Buffer.concat([Buffer.from('text\0\0\0\0', 'latin1'), Buffer.from(`${t}\0`, 'latin1')]);

export function adobeRgbLikeProfile(): Buffer {
  const tags: [string, Buffer][] = [
    ['desc', desc('Adobe RGB (1998) compatible, test')],
    ['cprt', text('No copyright, test data')],
    ['wtpt', xyz(0.9642, 1.0, 0.8249)],
    ['rXYZ', xyz(0.60974, 0.31111, 0.01947)],
    ['gXYZ', xyz(0.20528, 0.62567, 0.06087)],
    ['bXYZ', xyz(0.14919, 0.06322, 0.74457)],
    ['rTRC', curve(2.2)],
    ['gTRC', curve(2.2)],
    ['bTRC', curve(2.2)],
  ];
  const pad = (b: Buffer) => Buffer.concat([b, Buffer.alloc((4 - (b.length % 4)) % 4)]);
  let offset = 128 + 4 + tags.length * 12;
  const table = Buffer.alloc(4 + tags.length * 12);
  table.writeUInt32BE(tags.length, 0);
  const bodies: Buffer[] = [];
  tags.forEach(([sig, data], i) => {
    table.write(sig, 4 + i * 12, 'latin1');
    table.writeUInt32BE(offset, 8 + i * 12);
    table.writeUInt32BE(data.length, 12 + i * 12);
    const p = pad(data);
    bodies.push(p);
    offset += p.length;
  });
  const header = Buffer.alloc(128);
  header.writeUInt32BE(offset, 0);
  header.writeUInt32BE(0x02100000, 8);
  header.write('mntrRGB XYZ ', 12, 'latin1');
  header.writeUInt16BE(2024, 24);
  header.writeUInt16BE(1, 26);
  header.writeUInt16BE(1, 28);
  header.write('acsp', 36, 'latin1');
  s15(0.9642).copy(header, 68);
  s15(1.0).copy(header, 72);
  s15(0.8249).copy(header, 76);
  return Buffer.concat([header, table, ...bodies]);
}
