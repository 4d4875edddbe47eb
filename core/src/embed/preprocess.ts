import { readFile } from 'node:fs/promises';
import { imageThumbnail, type ModelInputOptions, preprocessImage } from '@winnow-curate/native';
import { firstLineOf, InputError } from '../errors.js';
import { headerProblem } from '../util/image-header.js';
import { maxPixels } from '../util/pixel-limit.js';
import type { ModelConfig } from './model.js';

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

/** The model config's preprocessing as the native image path takes it. */
export function modelInput(config: ModelConfig): ModelInputOptions {
  const [width, height] = inputSize(config);
  const { resize, channels, range, mean, std, layout } = config;
  return { width, height, resize, channels, range, mean: [...mean], std: [...std], layout };
}

/**
 * One image's input tensor (without the batch axis) and, when asked, its thumbnail, from a
 * single decode in the Rust core (native/src/decode_image.rs: JPEG, PNG, GIF, TIFF, BMP, WebP;
 * EXIF orientation applied). The picture is placed per the config's resize mode, resampled
 * bilinearly (antialiased when shrinking, as PIL and torchvision), and each value written as
 * (pixel / range − mean) / std in the model's channel order and layout. The header is checked
 * against the pixel limit before any decoder allocates.
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
  const bytes = await readImage(source, name);
  const [width, height] = inputSize(config);
  const tensor = into ?? new Float32Array(3 * width * height);
  const { error, thumbnail } = preprocessImage(
    bytes,
    modelInput(config),
    tensor,
    thumbnailSize ?? 0,
    maxPixels(),
  );
  if (error) throw new DecodeError(name, error);
  return { tensor, thumbnail };
}

/** An image's thumbnail alone (JPEG, longest side `size`), for a sample not embedded yet. */
export async function makeThumbnail(bytes: Uint8Array, size: number, name = 'image'): Promise<Uint8Array> {
  checkHeader(bytes, name);
  const { error, thumbnail } = imageThumbnail(bytes, size, maxPixels());
  if (error || !thumbnail) throw new DecodeError(name, error ?? 'cannot decode: no thumbnail');
  return thumbnail;
}

/** One image's input tensor (see decodeImage), without a thumbnail. */
export async function imageTensor(
  source: string | Uint8Array,
  config: ModelConfig,
  into?: Float32Array<ArrayBufferLike>,
): Promise<Float32Array<ArrayBufferLike>> {
  return (await decodeImage(source, config, undefined, into)).tensor;
}

/** The file's bytes, their header checked (see checkHeader). */
async function readImage(source: string | Uint8Array, name: string): Promise<Uint8Array> {
  let bytes: Uint8Array;
  try {
    bytes = typeof source === 'string' ? await readFile(source) : source;
  } catch (error) {
    throw new DecodeError(name, `cannot read: ${firstLineOf(error)}`);
  }
  checkHeader(bytes, name);
  return bytes;
}

/**
 * Refuses a picture whose header claims no pixels or more than the pixel limit, with the
 * reasons ingest gives (the native decoders check their own headers again before allocating).
 */
function checkHeader(bytes: Uint8Array, name: string): void {
  const problem = headerProblem(bytes);
  if (problem) throw new DecodeError(name, problem);
}
