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

/** A JPEG's frame header (SOF marker): size and components (1 grey, 3 colour, 4 CMYK/YCCK); null if none. */
export function jpegFrame(b: Uint8Array): { width: number; height: number; components: number } | null {
  let i = 2;
  while (i + 9 < b.length) {
    if (b[i] !== 0xff) return null;
    const marker = b[i + 1]!;
    if (marker === 0xff) {
      i++; // fill byte
      continue;
    }
    if (SOF.has(marker)) return { height: u16be(b, i + 5), width: u16be(b, i + 7), components: b[i + 9]! };
    if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      i += 2;
      continue;
    }
    if (marker === 0xda || marker === 0xd9) return null;
    i += 2 + u16be(b, i + 2);
  }
  return null;
}

const u16be = (b: Uint8Array, i: number) => (b[i]! << 8) | b[i + 1]!;
const u16le = (b: Uint8Array, i: number) => b[i]! | (b[i + 1]! << 8);
const u24le = (b: Uint8Array, i: number) => u16le(b, i) | (b[i + 2]! << 16);
const u32be = (b: Uint8Array, i: number) => ((b[i]! << 24) >>> 0) + (b[i + 1]! << 16) + (b[i + 2]! << 8) + b[i + 3]!;

/**
 * The size a file declares in its header, before any pixel is decoded (as stored, before EXIF rotation),
 * for the kinds `pageDecodable` accepts; null otherwise. The page checks it against the engine's pixel
 * limit first, so a decompression bomb is never decoded in the page.
 */
export function declaredSize(b: Uint8Array): { width: number; height: number } | null {
  if (b.length < 32) return null;
  if (b[0] === 0xff && b[1] === 0xd8) {
    const f = jpegFrame(b);
    return f && { width: f.width, height: f.height };
  }
  if (b[0] === 0x89 && ascii(b, 1, 'PNG') && ascii(b, 12, 'IHDR')) return { width: u32be(b, 16), height: u32be(b, 20) };
  if (ascii(b, 0, 'GIF8')) return { width: u16le(b, 6), height: u16le(b, 8) };
  if (ascii(b, 0, 'RIFF') && ascii(b, 8, 'WEBP')) {
    if (ascii(b, 12, 'VP8X')) return { width: u24le(b, 24) + 1, height: u24le(b, 27) + 1 };
    if (ascii(b, 12, 'VP8L')) {
      const bits = b[21]! | (b[22]! << 8) | (b[23]! << 16) | (b[24]! << 24);
      return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
    }
    if (ascii(b, 12, 'VP8 ')) return { width: u16le(b, 26) & 0x3fff, height: u16le(b, 28) & 0x3fff };
  }
  return null;
}

export function pageDecodable(b: Uint8Array): boolean {
  if (b.length < 32) return false;
  if (b[0] === 0xff && b[1] === 0xd8) {
    const n = jpegFrame(b)?.components;
    return n === 1 || n === 3;
  }
  // PNG: the IHDR chunk comes first; its bit depth is byte 24.
  if (b[0] === 0x89 && ascii(b, 1, 'PNG') && ascii(b, 12, 'IHDR')) return b[24]! <= 8;
  if (ascii(b, 0, 'RIFF') && ascii(b, 8, 'WEBP')) return true;
  return ascii(b, 0, 'GIF8');
}

/**
 * The format a file is best saved back as, from its header: a JPEG as JPEG (a photo as a 4-channel PNG
 * is several times larger), a PNG as PNG, a WebP as WebP; null for the rest (TIFF, AVIF, GIF...), which
 * take the format last chosen.
 */
export function savableFormat(b: Uint8Array): 'jpeg' | 'png' | 'webp' | null {
  if (b.length < 12) return null;
  if (b[0] === 0xff && b[1] === 0xd8) return 'jpeg';
  if (b[0] === 0x89 && ascii(b, 1, 'PNG')) return 'png';
  if (ascii(b, 0, 'RIFF') && ascii(b, 8, 'WEBP')) return 'webp';
  return null;
}

/**
 * The file carries an ICC profile (PNG iCCP, JPEG APP2 ICC_PROFILE, WebP VP8X's ICC flag), for the kinds
 * the page decodes: the page's pixels are then converted to sRGB, and Save (the engine's `encodeEdited`,
 * which writes the edits into the file in its own colour space) says the profile was kept.
 */
export function embeddedProfile(b: Uint8Array): boolean {
  if (b.length < 32) return false;
  if (b[0] === 0xff && b[1] === 0xd8) {
    for (let i = 2; i + 4 <= b.length && b[i] === 0xff; ) {
      const marker = b[i + 1]!;
      if (marker === 0xff) {
        i++;
        continue;
      }
      if (marker === 0xda || marker === 0xd9) return false; // start of scan: the headers are over
      if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
        i += 2;
        continue;
      }
      if (marker === 0xe2 && ascii(b, i + 4, 'ICC_PROFILE\0')) return true;
      i += 2 + u16be(b, i + 2);
    }
    return false;
  }
  if (b[0] === 0x89 && ascii(b, 1, 'PNG')) {
    for (let o = 8; o + 8 <= b.length; o += 12 + u32be(b, o)) {
      if (ascii(b, o + 4, 'iCCP')) return true;
      if (ascii(b, o + 4, 'IDAT')) return false; // iCCP must come before the image data
    }
    return false;
  }
  if (ascii(b, 0, 'RIFF') && ascii(b, 8, 'WEBP') && ascii(b, 12, 'VP8X')) return (b[20]! & 0x20) !== 0;
  return false;
}
