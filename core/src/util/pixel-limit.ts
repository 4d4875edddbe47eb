import { WinnowError } from '../errors.js';
import { envSetting } from '../settings.js';

/** The most pixels an image may claim before Winnow decodes it, unless WINNOW_MAX_PIXELS says otherwise. */
export const DEFAULT_MAX_PIXELS = 100_000_000;

/**
 * The pixel limit: WINNOW_MAX_PIXELS, else DEFAULT_MAX_PIXELS. Read on each call, so the worker
 * threads (which inherit the environment) and the main thread agree.
 */
export function maxPixels(): number {
  const text = envSetting('WINNOW_MAX_PIXELS');
  if (text === undefined) return DEFAULT_MAX_PIXELS;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 1)
    throw new WinnowError(
      'invalid_argument',
      `WINNOW_MAX_PIXELS: expected a whole number of pixels above 0 (e.g. 100000000), got '${text}'`,
    );
  return value;
}

/**
 * Why an image whose header claims `width` × `height` must not be decoded, or null when it may:
 * `corrupt` for a size no image has (zero, negative), `too_large` past the pixel limit (a
 * decompression bomb: a small file whose decoder would allocate gigabytes).
 */
export function sizeProblem(format: string, width: number, height: number): string | null {
  if (!(Number.isSafeInteger(width) && Number.isSafeInteger(height) && width > 0 && height > 0))
    return `corrupt: the ${format.toUpperCase()} header claims ${width}×${height} pixels`;
  const limit = maxPixels();
  if (width * height <= limit) return null;
  return `too_large: ${width}×${height} is ${inWords(width * height)}, over the limit of ${inWords(limit)} (WINNOW_MAX_PIXELS)`;
}

const inWords = (pixels: number) =>
  pixels >= 100_000 ? `${Math.round(pixels / 1e5) / 10} megapixels` : `${pixels} pixels`;
