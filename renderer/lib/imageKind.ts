/**
 * Which files the page decodes itself (decode.ts) and which go to the engine. Chromium's decoders give
 * the engine's pixels exactly for 8-bit JPEG (RGB, grey), PNG, WebP and GIF; within one level for
 * ICC-tagged files (both convert to sRGB, with different colour engines). They differ for CMYK JPEGs (up
 * to 32 levels), 16-bit PNGs and AVIF (a level: truncation and YUV conversion), so those, and anything
 * else, are decoded by the engine. Pure: reads a few header bytes.
 */

const SOF = new Set([0xc0, 0xc1, 0xc2, 0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf]);

function ascii(b: Uint8Array, at: number, s: string): boolean {
  for (let i = 0; i < s.length; i++) if (b[at + i] !== s.charCodeAt(i)) return false;
  return true;
}

/** Components of a JPEG's frame (1 grey, 3 colour, 4 CMYK/YCCK), from its SOF marker; 0 if not found. */
export function jpegComponents(b: Uint8Array): number {
  let i = 2;
  while (i + 9 < b.length) {
    if (b[i] !== 0xff) return 0;
    const marker = b[i + 1]!;
    if (marker === 0xff) {
      i++; // fill byte
      continue;
    }
    if (SOF.has(marker)) return b[i + 9]!;
    if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      i += 2;
      continue;
    }
    if (marker === 0xda || marker === 0xd9) return 0;
    i += 2 + ((b[i + 2]! << 8) | b[i + 3]!);
  }
  return 0;
}

export function pageDecodable(b: Uint8Array): boolean {
  if (b.length < 32) return false;
  if (b[0] === 0xff && b[1] === 0xd8) {
    const n = jpegComponents(b);
    return n === 1 || n === 3;
  }
  // PNG: the IHDR chunk comes first; its bit depth is byte 24.
  if (b[0] === 0x89 && ascii(b, 1, 'PNG') && ascii(b, 12, 'IHDR')) return b[24]! <= 8;
  if (ascii(b, 0, 'RIFF') && ascii(b, 8, 'WEBP')) return true;
  return ascii(b, 0, 'GIF8');
}
