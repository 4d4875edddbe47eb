import { readFile } from 'node:fs/promises';
import { decode as decodeBmp } from 'bmp-ts';
import sharp, { type Sharp } from 'sharp';
import { firstLineOf, InputError } from '../errors.js';
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

export interface ThumbnailTarget {
  file: string;
  /** Longest side in pixels. */
  size: number;
}

/** The model input's width and height. */
export function inputSize(config: ModelConfig): [number, number] {
  return typeof config.size === 'number' ? [config.size, config.size] : config.size;
}

/**
 * One image's input tensor (without the batch axis) and, when asked, its thumbnail, from a
 * single decode: the image is decoded once (EXIF orientation applied, JPEG shrunk on load) to
 * an intermediate no smaller than both the model input and the thumbnail, and both are resized
 * from those pixels. Each tensor value is (pixel / range − mean) / std in the model's channel
 * order and layout.
 */
export async function imageTensor(
  source: string | Buffer,
  config: ModelConfig,
  thumbnail?: ThumbnailTarget,
): Promise<Float32Array> {
  const name = typeof source === 'string' ? source : 'image';
  const [width, height] = inputSize(config);
  try {
    const bytes = typeof source === 'string' ? await readFile(source) : source;
    const image = openImage(bytes);
    const [w, h] = await orientedSize(image);
    // The smallest intermediate that covers the input and the thumbnail: the smaller it is, the
    // more a JPEG shrinks on load (640 × 480 decodes at 320 × 240 for a 224 input and 256 thumbnail).
    const scale = Math.min(1, Math.max(width / w, height / h, (thumbnail?.size ?? 0) / Math.max(w, h)));
    const { data, info } = await image
      .rotate()
      .resize(Math.ceil(w * scale), Math.ceil(h * scale), { fit: 'fill' })
      .removeAlpha()
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
    const decoded = () => sharp(data, { raw: { width: info.width, height: info.height, channels: 3 } });
    const [pixels] = await Promise.all([
      // Bilinear, as torchvision's default: from a near-size intermediate lanczos buys nothing visible.
      decoded()
        .resize(width, height, { fit: FIT[config.resize], background: BLACK, kernel: 'linear' })
        .raw()
        .toBuffer(),
      thumbnail &&
        decoded()
          .resize(thumbnail.size, thumbnail.size, { fit: 'inside', withoutEnlargement: true })
          .jpeg({ quality: 80 })
          .toFile(thumbnail.file),
    ]);
    return tensorFromPixels(pixels, config);
  } catch (error) {
    throw new DecodeError(name, `cannot decode: ${firstLineOf(error)}`);
  }
}

/** Width and height as displayed: EXIF orientations 5–8 turn the picture a quarter. */
async function orientedSize(image: Sharp): Promise<[number, number]> {
  const meta = await image.metadata();
  const w = meta.width ?? 1;
  const h = meta.pageHeight ?? meta.height ?? 1;
  return (meta.orientation ?? 1) >= 5 ? [h, w] : [w, h];
}

/**
 * A sharp pipeline over the image; BMP, which libvips does not read, goes through bmp-ts. A
 * BMP's fourth byte is dropped: 24-bit files have none (bmp-ts gives 0) and 32-bit ones mostly
 * leave it unused, and as alpha it would blank the picture.
 */
function openImage(bytes: Buffer): Sharp {
  if (bytes.length > 2 && bytes[0] === 0x42 && bytes[1] === 0x4d) {
    const { data, width, height } = decodeBmp(bytes, { toRGBA: true });
    const rgb = Buffer.allocUnsafe(width * height * 3);
    for (let from = 0, to = 0; to < rgb.length; from += 4, to += 3) data.copy(rgb, to, from, from + 3);
    return sharp(rgb, { raw: { width, height, channels: 3 } });
  }
  // GIF and multi-page TIFF: the first frame or page.
  return sharp(bytes, { failOn: 'error' });
}

/** Interleaved RGB pixels of the input size → the model's input values. */
function tensorFromPixels(pixels: Buffer, config: ModelConfig): Float32Array {
  const [width, height] = inputSize(config);
  const plane = width * height;
  const scale = config.range === '0-255' ? 1 : 1 / 255;
  const order = config.channels === 'rgb' ? [0, 1, 2] : [2, 1, 0];
  const out = new Float32Array(3 * plane);
  for (let c = 0; c < 3; c++) {
    const from = order[c]!;
    const mean = config.mean[c]!;
    const std = config.std[c]!;
    const planar = config.layout === 'nchw';
    for (let p = 0; p < plane; p++) {
      out[planar ? c * plane + p : p * 3 + c] = (pixels[p * 3 + from]! * scale - mean) / std;
    }
  }
  return out;
}
