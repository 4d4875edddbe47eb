import { readFile } from 'node:fs/promises';
import { decode as decodeBmp } from 'bmp-ts';
import sharp, { type Sharp } from 'sharp';
import { firstLineOf, InputError } from '../errors.js';
import { headerProblem, isBmp } from '../util/image-header.js';
import { maxPixels } from '../util/pixel-limit.js';
import type { ModelConfig } from './model.js';

const FIT = { stretch: 'fill', crop: 'cover', pad: 'contain' } as const;
const BLACK = { r: 0, g: 0, b: 0 };

/** A file that is not a readable image; `reason` is what the sample is marked corrupt with. */
export class DecodeError extends InputError {
  constructor(
    file: string,
    readonly reason: string,
  ) {
    super(file, undefined, reason);
  }
}

/** An image's model input and, when asked for, its thumbnail (JPEG). */
export interface DecodedImage {
  tensor: Float32Array<ArrayBufferLike>;
  thumbnail?: Uint8Array;
}

/** The model input's width and height. */
export function inputSize(config: ModelConfig): [number, number] {
  return typeof config.size === 'number' ? [config.size, config.size] : config.size;
}

/**
 * One image's input tensor (without the batch axis) and, when asked, its thumbnail, from a
 * single decode (EXIF orientation applied). A picture larger than the input is decoded to the
 * smallest intermediate that covers the input and the thumbnail (so a JPEG shrinks on load:
 * 640 × 480 decodes at 320 × 240 for a 224 input and a 256 thumbnail), and sharp resizes both
 * from it. A picture no larger than the input (CIFAR's 32 × 32) is decoded as it is and enlarged
 * while its values are written, which spares a resize call that costs more than its decode.
 * Each tensor value is (pixel / range − mean) / std in the model's channel order and layout.
 */
export async function decodeImage(
  source: string | Uint8Array,
  config: ModelConfig,
  /** The thumbnail's longest side in pixels; no thumbnail when not given. */
  thumbnailSize?: number,
  /** Where to write the values (a tensor slot); a new array when not given. */
  into?: Float32Array<ArrayBufferLike>,
): Promise<DecodedImage> {
  const name = typeof source === 'string' ? source : 'image';
  const [width, height] = inputSize(config);
  try {
    const bytes =
      typeof source === 'string'
        ? await readFile(source)
        : Buffer.from(source.buffer, source.byteOffset, source.byteLength);
    const image = openImage(bytes, name);
    const { w, h, upright, jpeg } = await describe(image);
    if (w <= width && h <= height) {
      const { data, info } = await srgb(image.rotate()).toBuffer({ resolveWithObject: true });
      const thumbnail =
        thumbnailSize === undefined
          ? undefined
          : jpeg && upright && Math.max(w, h) <= thumbnailSize
            ? bytes // an upright JPEG that fits is its own thumbnail
            : await thumbnailOf(rawImage(data, info), thumbnailSize);
      return { tensor: tensorFromPixels(data, info.width, info.height, config, into), thumbnail };
    }
    const scale = Math.min(1, Math.max(width / w, height / h, (thumbnailSize ?? 0) / Math.max(w, h)));
    // Bilinear (antialiased when shrinking), as PIL's and torchvision's defaults: lanczos would
    // add a quarter to the decode.
    const { data, info } = await srgb(
      image.rotate().resize(Math.ceil(w * scale), Math.ceil(h * scale), { fit: 'fill', kernel: 'linear' }),
    ).toBuffer({ resolveWithObject: true });
    const [pixels, thumbnail] = await Promise.all([
      srgb(
        rawImage(data, info).resize(width, height, {
          fit: FIT[config.resize],
          background: BLACK,
          kernel: 'linear',
        }),
      ).toBuffer(),
      thumbnailSize === undefined ? undefined : thumbnailOf(rawImage(data, info), thumbnailSize),
    ]);
    return { tensor: tensorFromPixels(pixels, width, height, config, into), thumbnail };
  } catch (error) {
    throw decodeError(name, error);
  }
}

/** An image's thumbnail alone (JPEG, longest side `size`), for a sample not embedded yet. */
export async function makeThumbnail(bytes: Uint8Array, size: number, name = 'image'): Promise<Uint8Array> {
  try {
    const image = openImage(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), name);
    return await thumbnailOf(srgb(image.rotate()), size);
  } catch (error) {
    throw decodeError(name, error);
  }
}

/** The error a failed decode reports: the header check's own, else the decoder's first line. */
function decodeError(name: string, error: unknown): DecodeError {
  return error instanceof DecodeError ? error : new DecodeError(name, `cannot decode: ${firstLineOf(error)}`);
}

/** One image's input tensor (see decodeImage), without a thumbnail. */
export async function imageTensor(
  source: string | Uint8Array,
  config: ModelConfig,
  into?: Float32Array<ArrayBufferLike>,
): Promise<Float32Array<ArrayBufferLike>> {
  return (await decodeImage(source, config, undefined, into)).tensor;
}

function rawImage(data: Buffer, info: { width: number; height: number; channels: number }): Sharp {
  return sharp(data, {
    raw: { width: info.width, height: info.height, channels: info.channels as 3 },
    limitInputPixels: maxPixels(),
  });
}

function thumbnailOf(image: Sharp, size: number): Promise<Buffer> {
  return image
    .resize(size, size, { fit: 'inside', withoutEnlargement: true })
    .jpeg({ quality: 80 })
    .toBuffer();
}

/** Size as displayed (EXIF orientations 5–8 turn the picture a quarter), and whether it is an upright JPEG. */
async function describe(image: Sharp): Promise<{ w: number; h: number; upright: boolean; jpeg: boolean }> {
  const meta = await image.metadata();
  const w = meta.width ?? 1;
  const h = meta.pageHeight ?? meta.height ?? 1;
  const orientation = meta.orientation ?? 1;
  const [shownW, shownH] = orientation >= 5 ? [h, w] : [w, h];
  return { w: shownW, h: shownH, upright: orientation === 1, jpeg: meta.format === 'jpeg' };
}

/** 8-bit sRGB pixels, 3 channels, as raw bytes. */
function srgb(image: Sharp): Sharp {
  return image.removeAlpha().toColourspace('srgb').raw();
}

/**
 * A sharp pipeline over the image; BMP, which libvips does not read, goes through bmp-ts. A
 * BMP's fourth byte is dropped: 24-bit files have none (bmp-ts gives 0) and 32-bit ones mostly
 * leave it unused, and as alpha it would blank the picture. The header's size is checked first
 * (a decompression bomb is refused before any decoder allocates for it), and sharp's own pixel
 * limit is the same, in case a header parser and a decoder disagree.
 */
function openImage(bytes: Buffer, name: string): Sharp {
  const problem = headerProblem(bytes);
  if (problem) throw new DecodeError(name, problem);
  const limitInputPixels = maxPixels();
  if (isBmp(bytes)) {
    const { data, width, height } = decodeBmp(bytes, { toRGBA: true });
    const rgb = Buffer.allocUnsafe(width * height * 3);
    for (let from = 0, to = 0; to < rgb.length; from += 4, to += 3) data.copy(rgb, to, from, from + 3);
    return sharp(rgb, { raw: { width, height, channels: 3 }, limitInputPixels });
  }
  // GIF and multi-page TIFF: the first frame or page.
  return sharp(bytes, { failOn: 'error', limitInputPixels });
}

/**
 * Interleaved RGB pixels (`srcW` × `srcH`) → the model's input values. When the sizes differ,
 * each value is sampled bilinearly with pixel centres aligned (as PIL and torch with
 * align_corners=false), the picture placed per the resize mode: stretched, scaled to cover and
 * centred (crop), or scaled to fit and centred on black (pad). Only ever enlarges: sharp shrinks.
 */
function tensorFromPixels(
  pixels: Buffer,
  srcW: number,
  srcH: number,
  config: ModelConfig,
  into?: Float32Array<ArrayBufferLike>,
): Float32Array<ArrayBufferLike> {
  const [width, height] = inputSize(config);
  const out = into ?? new Float32Array(3 * width * height);
  const [scaleX, scaleY] = placementScale(srcW, srcH, width, height, config.resize);
  const columns = samplingAxis(width, srcW, scaleX);
  const rows = samplingAxis(height, srcH, scaleY);
  // Separable: each source row is first resampled to the output width (a few rows when
  // enlarging); a picture already as wide as the input is its own.
  const wide = srcW === width && scaleX === 1 ? pixels : widen(pixels, srcW, srcH, width, columns);
  const plane = width * height;
  const range = config.range === '0-255' ? 1 : 1 / 255;
  const order = config.channels === 'rgb' ? [0, 1, 2] : [2, 1, 0];
  const planar = config.layout === 'nchw';
  const step = planar ? 1 : 3;
  const insideX = columns.inside;
  for (let c = 0; c < 3; c++) {
    const from = order[c]!;
    // (pixel × range − mean) / std as one multiply-add; outside the picture (pad) is black.
    const mul = range / config.std[c]!;
    const add = -config.mean[c]! / config.std[c]!;
    for (let y = 0; y < height; y++) {
      let q = planar ? c * plane + y * width : y * width * 3 + c;
      if (!rows.inside[y]) {
        for (let x = 0; x < width; x++, q += step) out[q] = add;
        continue;
      }
      const top = rows.near[y]! * width * 3 + from;
      const bottom = rows.far[y]! * width * 3 + from;
      const wy = rows.weight[y]!;
      for (let x = 0, i = 0; x < width; x++, i += 3, q += step) {
        const upper = wide[top + i]!;
        out[q] = insideX[x] ? (upper + (wide[bottom + i]! - upper) * wy) * mul + add : add;
      }
    }
  }
  return out;
}

function widen(
  pixels: Buffer,
  srcW: number,
  srcH: number,
  width: number,
  columns: ReturnType<typeof samplingAxis>,
): Float32Array {
  const wide = new Float32Array(srcH * width * 3);
  for (let r = 0, o = 0; r < srcH; r++) {
    for (let x = 0; x < width; x++) {
      const near = (r * srcW + columns.near[x]!) * 3;
      const far = (r * srcW + columns.far[x]!) * 3;
      const wx = columns.weight[x]!;
      for (let ch = 0; ch < 3; ch++, o++)
        wide[o] = pixels[near + ch]! + (pixels[far + ch]! - pixels[near + ch]!) * wx;
    }
  }
  return wide;
}

/** Output pixels per source pixel along x and y for each resize mode. */
function placementScale(
  srcW: number,
  srcH: number,
  width: number,
  height: number,
  resize: ModelConfig['resize'],
): [number, number] {
  if (resize === 'stretch') return [width / srcW, height / srcH];
  const scale = (resize === 'crop' ? Math.max : Math.min)(width / srcW, height / srcH);
  return [scale, scale];
}

/** For each output position along one axis: the two source pixels around it, the weight of the far one, and whether it falls on the picture. */
function samplingAxis(size: number, srcSize: number, scale: number) {
  const near = new Int32Array(size);
  const far = new Int32Array(size);
  const weight = new Float32Array(size);
  const inside = new Uint8Array(size);
  // The picture, `srcSize × scale` wide, is centred: a negative shift crops, a positive one pads.
  const shift = (size - srcSize * scale) / 2;
  for (let i = 0; i < size; i++) {
    const placed = i + 0.5 - shift;
    inside[i] = placed >= 0 && placed <= srcSize * scale ? 1 : 0;
    const at = Math.min(Math.max(placed / scale - 0.5, 0), srcSize - 1);
    near[i] = Math.floor(at);
    far[i] = Math.min(near[i]! + 1, srcSize - 1);
    weight[i] = at - near[i]!;
  }
  return { near, far, weight, inside };
}
