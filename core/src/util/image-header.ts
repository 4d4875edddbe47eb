import { imageSize } from 'image-size';
import { sizeProblem } from './pixel-limit.js';

const BI_RLE8 = 1;
const BI_RLE4 = 2;

/**
 * A BMP's size from its DIB header. The width and height are signed there: a negative height
 * means rows stored top-down, which the format allows for uncompressed pixels only (RLE runs
 * bottom-up), so a negative height is returned as it is for RLE (a bogus size) and as its
 * magnitude otherwise. The OS/2 core header (12 bytes) holds unsigned 16-bit sizes.
 */
export function bmpSize(head: Uint8Array): { width: number; height: number } {
  if (head.length < 34) throw new Error(`header cut short at ${head.length} bytes`);
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  if (view.getUint32(14, true) === 12)
    return { width: view.getUint16(18, true), height: view.getUint16(20, true) };
  const width = view.getInt32(18, true);
  const height = view.getInt32(22, true);
  const compression = view.getUint32(30, true);
  const rle = compression === BI_RLE8 || compression === BI_RLE4;
  return { width, height: height < 0 && !rle ? -height : height };
}

/** Whether the bytes start as a BMP does. */
export const isBmp = (bytes: Uint8Array) => bytes.length > 2 && bytes[0] === 0x42 && bytes[1] === 0x4d;

/**
 * Why a whole encoded image must not be decoded (see sizeProblem), from its header alone, or
 * null when it may: checked before any decoder allocates for the size the header claims.
 */
export function headerProblem(bytes: Uint8Array): string | null {
  let size: { width: number; height: number; type?: string };
  try {
    size = isBmp(bytes) ? { ...bmpSize(bytes), type: 'bmp' } : imageSize(bytes);
  } catch (error) {
    return `corrupt: unreadable image header: ${(error as Error).message}`;
  }
  return sizeProblem(size.type ?? 'image', size.width, size.height);
}
