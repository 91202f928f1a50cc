/**
 * The bad-input corpus (issue 8): files and requests a careless user or an attacker could hand the app,
 * generated here (nothing large is committed), each with how it must end on every channel that can carry
 * it: the CLI (`vqddm inpaint`: exit status, the JSON error's code and message), the engine API (the
 * service's operations in-process, and the codec for masks) and the serve bridge (the same operation over
 * the WebSocket). A channel that cannot carry a case says why (a page sends pixels, not file paths).
 * tests/e2e/bad-inputs.test.ts runs them all; docs/RELIABILITY.md lists what happened.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { DEFAULT_SETTINGS, type ErrorCode, type FillRequest } from '../../electron/shared/contract.js';
import { insertPngChunks, pngChunk } from '../../electron/engine/io/imageOutput.js';

export const W = 256, H = 192;

/** How a case must end on one channel; code 'OK': it works (an odd input that is not bad), nothing refused. */
export interface Outcome {
  code: ErrorCode | 'OK';
  /** The message, matched in full or in part. */
  message: RegExp;
  /** CLI only: the exit status (2: the input or the command line was wrong; 1: anything else). */
  exit?: number;
}

export interface BadCase {
  id: string;
  what: string;
  /** CLI: the arguments of `vqddm inpaint` (the test adds --out in an empty folder, --pack and --json). */
  cli?: { args: string[]; end: Outcome } | { skip: string };
  /** Engine API: an image file to `decodeImage`, a mask file to the codec's `decodeMask` then a fill, or a fill request. */
  api?: { input: ApiInput; end: Outcome } | { skip: string };
  /** Serve bridge: the same over the WebSocket (a page sends image files and fill requests, never paths or mask files). */
  serve?: { input: ApiInput; end: Outcome } | { skip: string };
}

export type ApiInput = { op: 'decodeImage'; bytes: Uint8Array } | { op: 'mask'; bytes: Uint8Array } | { op: 'fill'; request: FillRequest };

const NOT_A_PATH = 'a page sends the bytes of a file it opened, never a path';
const MASK_FILE = 'a page draws its mask and sends pixels, not a mask file';
const CLI_OPTION = 'a command-line option, no message carries it';

function pngHeaderOnly(width: number, height: number): Buffer {
  // signature + IHDR claiming width x height, 8-bit RGB, then one tiny IDAT and IEND: a decompression bomb's header
  const sig = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = 2;
  return Buffer.concat([sig, pngChunk('IHDR', ihdr), pngChunk('IDAT', deflateSync(Buffer.alloc(64))), pngChunk('IEND', Buffer.alloc(0))]);
}

/** A real JPEG whose frame header (SOF0) claims width x height: a decompression bomb's header. */
function jpegClaiming(jpeg: Buffer, width: number, height: number): Buffer {
  const out = Buffer.from(jpeg);
  for (let o = 2; o + 9 < out.length; ) {
    if (out[o] !== 0xff) break;
    const marker = out[o + 1]!;
    if (marker === 0xc0 || marker === 0xc2) {
      out.writeUInt16BE(height, o + 5);
      out.writeUInt16BE(width, o + 7);
      return out;
    }
    o += 2 + out.readUInt16BE(o + 2);
  }
  throw new Error('no SOF0 in the JPEG');
}

const raster = (w: number, h: number, ch: number, fill = 128) => ({ width: w, height: h, data: new Uint8Array(w * h * ch).fill(fill) });

/** A small fill request with some fields replaced, on purpose of any type (the checks are under test). */
function request(over: Omit<Partial<FillRequest>, 'settings'> & { settings?: Record<string, unknown> } = {}): FillRequest {
  const mask = raster(32, 32, 1, 0);
  mask.data.fill(255, 10 * 32, 12 * 32);
  return { image: raster(32, 32, 4), mask, ...over, settings: { ...DEFAULT_SETTINGS, steps: 2, ...(over.settings ?? {}) } } as FillRequest;
}

/**
 * Writes the corpus's files under `dir` and returns its cases. `photo`: a good 256x192 JPEG; `mask`: a
 * good mask for it (written into `dir`).
 */
export async function makeCorpus(dir: string, photo: string): Promise<BadCase[]> {
  mkdirSync(dir, { recursive: true });
  const file = (name: string, data: Uint8Array | string) => {
    const p = join(dir, name);
    writeFileSync(p, data);
    return p;
  };
  const goodJpeg = readFileSync(photo);
  const goodPng = await sharp(photo).png().toBuffer();
  const goodMaskRaw = Buffer.alloc(W * H);
  for (let y = 60; y < 90; y++) goodMaskRaw.fill(255, y * W + 90, y * W + 130);
  const mask = file('mask.png', await sharp(goodMaskRaw, { raw: { width: W, height: H, channels: 1 } }).png().toBuffer());

  const cases: BadCase[] = [];
  /** An image file that must be refused the same way everywhere. */
  const image = (id: string, what: string, bytes: Uint8Array, code: Outcome['code'], message: RegExp) => {
    const p = file(id, bytes);
    const end = { code, message };
    cases.push({ id, what, cli: { args: ['--image', p, '--mask', mask], end: { ...end, exit: 2 } }, api: { input: { op: 'decodeImage', bytes }, end }, serve: { input: { op: 'decodeImage', bytes }, end } });
  };
  const NOT_IMAGE = /is not a readable image \(expected PNG, JPEG, WebP, TIFF, AVIF or GIF\)$/;
  const CORRUPT = /could not be decoded \(truncated or corrupt file: /;

  image('empty.png', 'an empty file', new Uint8Array(0), 'BAD_IMAGE', /is empty \(0 bytes\)$/);
  image('text.png', 'a text file named .png', Buffer.from('this is not a PNG, only words\n'), 'BAD_IMAGE', NOT_IMAGE);
  image('noise.jpg', '4 KB of random bytes', Uint8Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 251), 'BAD_IMAGE', NOT_IMAGE);
  image('sig-noise.png', "a PNG signature, then noise", Buffer.concat([goodPng.subarray(0, 8), Buffer.alloc(200, 0x5a)]), 'BAD_IMAGE', NOT_IMAGE);
  image('half.jpg', 'a JPEG cut in half', goodJpeg.subarray(0, goodJpeg.length >> 1), 'BAD_IMAGE', CORRUPT);
  image('half.png', 'a PNG cut in half', goodPng.subarray(0, goodPng.length >> 1), 'BAD_IMAGE', CORRUPT);
  image('soi-eoi.jpg', 'a JPEG of only start and end markers', Buffer.from([0xff, 0xd8, 0xff, 0xd9]), 'BAD_IMAGE', NOT_IMAGE);
  const webp = await sharp(photo).webp().toBuffer();
  image('half.webp', 'a WebP cut in half', webp.subarray(0, webp.length >> 1), 'BAD_IMAGE', /could not be decoded|is not a readable image/);
  const tiff = await sharp(photo).tiff().toBuffer();
  image('half.tif', 'a TIFF cut in half', tiff.subarray(0, tiff.length >> 1), 'BAD_IMAGE', /could not be decoded|is not a readable image/);
  const gif = await sharp(photo).gif().toBuffer();
  image('half.gif', 'a GIF cut in half', gif.subarray(0, gif.length >> 1), 'BAD_IMAGE', /could not be decoded|is not a readable image/);
  image('tiny.png', 'a 1x1 PNG', await sharp({ create: { width: 1, height: 1, channels: 3, background: '#808080' } }).png().toBuffer(), 'BAD_IMAGE', /is 1x1; images must be at least 16x16 pixels$/);
  image('thin.png', 'a 15x400 PNG', await sharp({ create: { width: 15, height: 400, channels: 3, background: '#808080' } }).png().toBuffer(), 'BAD_IMAGE', /is 15x400; images must be at least 16x16 pixels$/);
  image('line.png', 'a 1x100000 PNG (header only)', pngHeaderOnly(1, 100000), 'BAD_IMAGE', /is 1x100000; images must be at least 16x16 pixels$/);
  image('bomb.png', 'a PNG header claiming 50000x50000 (2.5 GP) in 100 bytes', pngHeaderOnly(50000, 50000), 'IMAGE_TOO_LARGE', /is 50000x50000 = 2500\.0 MP, above the limit of 100 MP$/);
  image('over.png', 'a PNG header claiming 10001x10000, just above 100 MP', pngHeaderOnly(10001, 10000), 'IMAGE_TOO_LARGE', /is 10001x10000 = 100\.0 MP, above the limit of 100 MP$/);
  image('bomb.jpg', 'a JPEG whose header claims 65000x65000', jpegClaiming(goodJpeg, 65000, 65000), 'IMAGE_TOO_LARGE', /is 65000x65000 = 4225\.0 MP, above the limit of 100 MP$/);
  image('image.svg', 'an SVG image', Buffer.from('<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="256" height="192"><rect width="256" height="192" fill="red"/></svg>\n'), 'BAD_IMAGE', /is an SVG image: vector images are unsupported \(export it as PNG, JPEG or WebP first\)$/);
  const bomb = ['<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="100000" height="100000"><g id="a0"><rect width="10" height="10"/></g>'];
  for (let i = 1; i < 12; i++) bomb.push(`<g id="a${i}">${Array.from({ length: 10 }, () => `<use xlink:href="#a${i - 1}"/>`).join('')}</g>`);
  bomb.push('<use xlink:href="#a11"/></svg>');
  image('bomb.svg', 'an SVG bomb (10^11 nested uses, 100000x100000)', Buffer.from(bomb.join('')), 'BAD_IMAGE', /is an SVG image: vector images are unsupported/);
  image('bare.svg', 'an SVG without an XML declaration, a BOM first', Buffer.from('\ufeff<svg width="64" height="64" xmlns="http://www.w3.org/2000/svg"></svg>'), 'BAD_IMAGE', /is an SVG image: vector images are unsupported/);
  image('doc.pdf', 'a PDF document', Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n'), 'BAD_IMAGE', /is a PDF document: vector images are unsupported/);
  image('fake.avif', 'an AVIF header, then junk', Buffer.concat([Buffer.from([0, 0, 0, 0x1c]), Buffer.from('ftypavif\0\0\0\0avifmif1miaf'), Buffer.alloc(300, 7)]), 'BAD_IMAGE', /is not a readable image|could not be decoded/);
  image('fake.heic', 'a HEIC header, then junk', Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from('ftypheic\0\0\0\0mif1heic'), Buffer.alloc(300, 9)]), 'BAD_IMAGE', /is not a readable image|could not be decoded/);
  image('image.bmp', 'a BMP (not a supported format)', Buffer.concat([Buffer.from('BM'), Buffer.alloc(60, 0)]), 'BAD_IMAGE', NOT_IMAGE);
  image('archive.png', 'a gzip stream named .png', deflateSync(goodPng), 'BAD_IMAGE', NOT_IMAGE);
  image('utf16.png', 'UTF-16 text', Buffer.from('\ufeffnot an image at all', 'utf16le'), 'BAD_IMAGE', NOT_IMAGE);
  const badCrc = Buffer.from(goodPng);
  badCrc[40] ^= 0xff; // inside the first chunks: a damaged header or CRC
  image('crc.png', 'a PNG with a damaged byte in its header chunks', badCrc, 'BAD_IMAGE', /is not a readable image|could not be decoded/);
  // Odd but not bad: these must work (the CLI writes its one output, the operations answer).
  const OK = /^$/;
  image('junk-icc.png', 'a PNG whose ICC profile is garbage (the profile is ignored)', insertPngChunks(Buffer.from(goodPng), [pngChunk('iCCP', Buffer.concat([Buffer.from('junk\0\0', 'latin1'), deflateSync(Buffer.alloc(500, 3))]))]), 'OK', OK);
  image('cmyk.jpg', 'a CMYK JPEG', await sharp(photo).toColourspace('cmyk').jpeg().toBuffer(), 'OK', OK);
  image('grey16.png', 'a 16-bit grey PNG', await sharp(photo).greyscale().toColourspace('grey16').png().toBuffer(), 'OK', OK);
  image('palette.png', 'a palette PNG with transparency', await sharp(photo).ensureAlpha(0.5).png({ palette: true }).toBuffer(), 'OK', OK);

  // Masks: the CLI reads a mask file; the engine API decodes it with the codec and fills with it; a page
  // sends a drawn mask as pixels, so serve gets the pixel cases only.
  const maskCase = (id: string, what: string, bytes: Uint8Array, end: Outcome, serve?: { request: FillRequest; end?: Outcome }) => {
    const p = file(id, bytes);
    cases.push({
      id,
      what,
      cli: { args: ['--image', photo, '--mask', p], end: { ...end, exit: 2 } },
      api: { input: { op: 'mask', bytes }, end },
      serve: serve ? { input: { op: 'fill', request: serve.request }, end: serve.end ?? end } : { skip: MASK_FILE },
    });
  };
  maskCase('mask-empty.png', 'an empty mask file', new Uint8Array(0), { code: 'BAD_IMAGE', message: /the mask is empty \(0 bytes\)$/ });
  maskCase('mask-text.png', 'a mask that is a text file', Buffer.from('mask? no.'), { code: 'BAD_IMAGE', message: /the mask is not a readable image/ });
  maskCase('mask-black.png', 'an all-black mask (nothing to fill)', await sharp({ create: { width: W, height: H, channels: 3, background: '#000' } }).png().toBuffer(), { code: 'EMPTY_MASK', message: /nothing to fill: the mask is empty$/ }, { request: request({ mask: raster(32, 32, 1, 0) }) });
  maskCase('mask-clear.png', 'a white mask that is fully transparent', await sharp({ create: { width: W, height: H, channels: 4, background: { r: 255, g: 255, b: 255, alpha: 0 } } }).png().toBuffer(), { code: 'EMPTY_MASK', message: /nothing to fill: the mask is empty$/ });
  maskCase('mask-size.png', 'a mask of another size (100x100)', await sharp({ create: { width: 100, height: 100, channels: 3, background: '#fff' } }).png().toBuffer(), { code: 'MASK_SIZE_MISMATCH', message: /the mask is 100x100 but the image is 256x192/ }, { request: request({ mask: raster(16, 16, 1, 255) }), end: { code: 'MASK_SIZE_MISMATCH', message: /the mask is 16x16 but the image is 32x32/ } });
  maskCase('mask-turned.png', 'a mask of the right size stored turned, with EXIF orientation 6', await sharp(goodMaskRaw, { raw: { width: W, height: H, channels: 1 } }).withMetadata({ orientation: 6 }).png().toBuffer(), { code: 'MASK_SIZE_MISMATCH', message: /the mask is 192x256 but the image is 256x192/ });
  maskCase('mask-bomb.png', 'a mask header claiming 50000x50000', pngHeaderOnly(50000, 50000), { code: 'IMAGE_TOO_LARGE', message: /the mask is 50000x50000 = 2500\.0 MP, above the limit of 100 MP$/ });

  // Paths: only the CLI opens files by name.
  const fsCase = (id: string, what: string, path: string, end: Outcome) => cases.push({ id, what, cli: { args: ['--image', path, '--mask', mask], end }, api: { skip: NOT_A_PATH }, serve: { skip: NOT_A_PATH } });
  fsCase('missing', 'a path that does not exist', join(dir, 'nope.jpg'), { code: 'IO_ERROR', exit: 2, message: /cannot read image .*nope\.jpg \(ENOENT\)$/ });
  mkdirSync(join(dir, 'folder.jpg'), { recursive: true });
  fsCase('folder', 'a folder named .jpg', join(dir, 'folder.jpg'), { code: 'BAD_IMAGE', exit: 2, message: /the image .*folder\.jpg is not a regular file$/ });
  fsCase('dev-zero', '/dev/zero (endless)', '/dev/zero', { code: 'BAD_IMAGE', exit: 2, message: /the image \/dev\/zero is not a regular file$/ });
  execFileSync('mkfifo', [join(dir, 'fifo.png')]);
  fsCase('fifo', 'a FIFO (would block a reader forever)', join(dir, 'fifo.png'), { code: 'BAD_IMAGE', exit: 2, message: /the image .*fifo\.png is not a regular file$/ });
  const sparse = file('huge.png', goodPng);
  truncateSync(sparse, 1.5 * 2 ** 30); // 1.5 GiB, sparse: no disk used
  fsCase('huge', 'a 1.5 GiB file (sparse)', sparse, { code: 'IMAGE_TOO_LARGE', exit: 2, message: /the image .*huge\.png is 1\.5 GiB, above the 1 GiB limit$/ });
  symlinkSync('/dev/zero', join(dir, 'link-zero.png'));
  fsCase('link-zero', 'a symbolic link to /dev/zero', join(dir, 'link-zero.png'), { code: 'BAD_IMAGE', exit: 2, message: /link-zero\.png is not a regular file$/ });

  // Options: the command line's, and where a request carries the same setting, the request's.
  const optCase = (id: string, what: string, args: string[], message: RegExp, api?: FillRequest, apiMessage?: RegExp) => {
    const end: Outcome = { code: 'BAD_SETTINGS', exit: 2, message };
    const carried = api ? { input: { op: 'fill' as const, request: api }, end: { code: 'BAD_SETTINGS' as const, message: apiMessage ?? message } } : { skip: CLI_OPTION };
    cases.push({ id, what, cli: { args: ['--image', photo, '--mask', mask, ...args], end }, api: carried, serve: carried });
  };
  optCase('steps-negative', '--steps -1', ['--steps', '-1'], /steps must be an integer from 1 to \d+( \(the pack's T\))?, got -1/, request({ settings: { steps: -1 } }));
  optCase('steps-fraction', '--steps 2.5', ['--steps', '2.5'], /--steps must be an integer, got "2\.5"/, request({ settings: { steps: 2.5 } }), /steps must be an integer from 1 to \d+, got 2\.5/);
  optCase('steps-huge', '--steps 100000 (above the pack\'s T)', ['--steps', '100000'], /steps must be an integer from 1 to \d+( \(the pack's T\))?, got 100000/, request({ settings: { steps: 100000 } }));
  optCase('samples-zero', '--samples 0', ['--samples', '0'], /samples must be an integer from 1 to 16, got 0/, request({ settings: { samples: 0 } }));
  optCase('samples-many', '--samples 17', ['--samples', '17'], /samples must be an integer from 1 to 16, got 17/, request({ settings: { samples: 17 } }));
  optCase('temperature-nan', '--temperature NaN', ['--temperature', 'NaN'], /--temperature must be a number, got "NaN"/, request({ settings: { temperature: Number.NaN } }), /temperature must be a number from 0\.05 to 5, got null/);
  optCase('method-unknown', '--method gan', ['--method', 'gan'], /unknown method "gan" \(use vqddm, transformer or both\)/, request({ settings: { methods: ['gan'] } }), /unknown method "gan"/);
  optCase('quality-zero', '--quality 0', ['--quality', '0'], /--quality must be from 1 to 100, got 0/);
  optCase('out-gif', '--out x.gif (no such output format)', ['--out-name', 'x.gif'], /--out must end in \.png, \.jpg, \.jpeg or \.webp, got ".*x\.gif"/);
  optCase('out-missing-folder', '--out into a folder that does not exist', ['--out-name', 'no/such/folder/x.png'], /the output folder .*no\/such\/folder does not exist/);
  optCase('out-is-input', '--out naming the photo itself', ['--out-path', photo], /--out would overwrite the input image/);
  optCase('out-exists', '--out naming a file that exists (no --overwrite)', ['--out-path', file('exists.png', 'an earlier result')], /--out: .*exists\.png exists; choose another name or pass --overwrite to replace it$/);
  optCase('unknown-option', 'an option that does not exist (--stpes 4)', ['--stpes', '4'], /Unknown option '--stpes'/);

  // Requests only a message carries: pixels whose size does not match, frames, duplicates.
  const reqCase = (id: string, what: string, req: FillRequest, end: Outcome) => cases.push({ id, what, cli: { skip: 'a request the CLI builds itself from files' }, api: { input: { op: 'fill', request: req }, end }, serve: { input: { op: 'fill', request: req }, end } });
  reqCase('bytes-short', 'image data shorter than width x height x 4', request({ image: { width: 32, height: 32, data: new Uint8Array(100) } }), { code: 'BAD_IMAGE', message: /image data has 100 bytes, expected 4096 for 32x32/ });
  reqCase('width-fraction', 'a width of 32.5', request({ image: { width: 32.5, height: 32, data: new Uint8Array(4160) } }), { code: 'BAD_IMAGE', message: /argument 0\.image\.width/ });
  reqCase('claims-huge', 'a 1048576x1048576 image with 4 KB of data', request({ image: { width: 1 << 20, height: 1 << 20, data: new Uint8Array(4096) } }), { code: 'BAD_IMAGE', message: /image data has 4096 bytes, expected 4398046511104 for 1048576x1048576/ });
  reqCase('frame-outside', 'a frame that does not hold the image', request({ frame: { x: 100, y: 0, width: 64, height: 64 } }), { code: 'BAD_IMAGE', message: /the frame \(100, 0\) of a 64x64 photo does not hold the 32x32 image/ });
  reqCase('methods-twice', 'the same method listed twice', request({ settings: { methods: ['vqddm', 'vqddm'] } }), { code: 'BAD_SETTINGS', message: /each method may be asked for once, got vqddm, vqddm/ });
  reqCase('methods-none', 'no method at all', request({ settings: { methods: [] } }), { code: 'BAD_SETTINGS', message: /choose at least one method/ });
  reqCase('tiny-image', 'an 8x8 image', request({ image: raster(8, 8, 4), mask: { width: 8, height: 8, data: new Uint8Array(64).fill(255) } }), { code: 'BAD_IMAGE', message: /the image is 8x8; images must be at least 16x16 pixels/ });
  return cases;
}
