/**
 * Decompression bombs and bogus headers, written byte by byte: tiny files whose headers claim
 * sizes no decoder should allocate for. Shared by the tests and bench/bombs.mjs.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';

/**
 * A BMP: the 14-byte file header, a 40-byte BITMAPINFOHEADER (`width`, `height` signed, as the
 * format stores them), a palette of `colours` entries, then `pixels` as they are.
 */
export function bmp({ width, height, bitsPerPixel, compression, colours = 0, pixels = new Uint8Array(0) }) {
  const offset = 14 + 40 + 4 * colours;
  const file = Buffer.alloc(offset + pixels.length);
  file.write('BM', 0, 'latin1');
  file.writeUInt32LE(file.length, 2);
  file.writeUInt32LE(offset, 10);
  file.writeUInt32LE(40, 14);
  file.writeInt32LE(width, 18);
  file.writeInt32LE(height, 22);
  file.writeUInt16LE(1, 26);
  file.writeUInt16LE(bitsPerPixel, 28);
  file.writeUInt32LE(compression, 30);
  file.writeUInt32LE(pixels.length, 34);
  file.writeUInt32LE(colours, 46);
  file.set(pixels, offset);
  return file;
}

const BI_RGB = 0;
const BI_RLE8 = 1;
const BI_RLE4 = 2;
/** RLE's end-of-bitmap escape: the rest of the picture is left unset. */
const END_OF_BITMAP = Uint8Array.of(0, 1);

/**
 * 1,080 bytes: an 8-bit RLE BMP claiming `side` × `side` (default 20000: 400 megapixels) whose
 * pixels end at once; bmp-ts still allocates and walks the whole picture.
 */
export const rle8Bomb = (side = 20000) =>
  bmp({
    width: side,
    height: side,
    bitsPerPixel: 8,
    compression: BI_RLE8,
    colours: 256,
    pixels: END_OF_BITMAP,
  });

/** 118 bytes: a 4-bit RLE BMP claiming 30000 × 30000 (900 megapixels), a palette and no pixels. */
export const rle4Bomb = () =>
  bmp({ width: 30000, height: 30000, bitsPerPixel: 4, compression: BI_RLE4, colours: 16 });

/** A BMP claiming 0 × 0. */
export const emptyBmp = () => bmp({ width: 0, height: 0, bitsPerPixel: 24, compression: BI_RGB });

/**
 * A 24-bit BMP of `width` × `height` whose rows are stored top-down (a negative height, which
 * uncompressed BMPs may have): a grey ramp, left to right.
 */
export function topDownBmp(width, height) {
  const stride = Math.ceil((width * 3) / 4) * 4;
  const pixels = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      pixels.fill(Math.round((255 * x) / (width - 1)), y * stride + 3 * x, y * stride + 3 * x + 3);
  return bmp({ width, height: -height, bitsPerPixel: 24, compression: BI_RGB, pixels });
}

/**
 * An RLE BMP with a negative height: top-down rows, which the format allows for uncompressed
 * BMPs only, so no decoder should be trusted with it.
 */
export const negativeHeightBmp = () =>
  bmp({ width: 64, height: -64, bitsPerPixel: 8, compression: BI_RLE8, colours: 256, pixels: END_OF_BITMAP });

function chunk(type, data) {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  out.set(data, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

/** 69 bytes: a PNG whose IHDR (valid CRC) claims 60000 × 60000 RGB, then a tiny IDAT and IEND. */
export function pngBomb() {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(60000, 0);
  header.writeUInt32BE(60000, 4);
  header.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(Buffer.alloc(1), { level: 0 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** Every bomb and bogus header, by file name, with the reason ingest gives it. */
export const BOMBS = {
  'rle8-20000.bmp': { bytes: () => rle8Bomb(), reason: 'too_large' },
  'rle4-30000.bmp': { bytes: () => rle4Bomb(), reason: 'too_large' },
  'png-60000.png': { bytes: () => pngBomb(), reason: 'too_large' },
  'empty-0x0.bmp': { bytes: () => emptyBmp(), reason: 'corrupt' },
  'negative-height.bmp': { bytes: () => negativeHeightBmp(), reason: 'corrupt' },
};

/** Writes every file of BOMBS into `dir`. */
export function writeBombs(dir) {
  for (const [name, { bytes }] of Object.entries(BOMBS)) writeFileSync(join(dir, name), bytes());
}
