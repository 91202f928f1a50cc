import { describe, expect, it } from 'vitest';
import { crc32, isZip, readZip, writeZip } from '../../renderer/lib/zip';

describe('project zip', () => {
  it('computes the standard CRC-32', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
  });

  it('reads back what it wrote, and names a damaged or cut archive', () => {
    const a = new Uint8Array(1000).map((_, i) => i * 7);
    const zip = writeZip([
      { name: 'project.json', data: new TextEncoder().encode('{}') },
      { name: 'entries/0/thumb', data: a },
    ]);
    expect(isZip(zip)).toBe(true);
    const files = readZip(zip);
    expect([...files.keys()]).toEqual(['project.json', 'entries/0/thumb']);
    expect(files.get('entries/0/thumb')).toEqual(a);
    const damaged = zip.slice();
    damaged[200] ^= 0xff;
    expect(() => readZip(damaged)).toThrow(/entries\/0\/thumb is damaged \(checksum\)/);
    expect(() => readZip(zip.subarray(0, 500))).toThrow(/table of contents is missing/);
    expect(isZip(new Uint8Array([0xff, 0xd8, 0xff, 0xe0]))).toBe(false);
  });
});
