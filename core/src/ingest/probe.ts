import { imageSize } from 'image-size';
import { bmpSize } from '../util/image-header.js';
import { sizeProblem } from '../util/pixel-limit.js';
import { type ContentFormat, formatByName } from './formats.js';

/** How much of a file the probe reads: the header (sizes live there) and the last bytes (end markers). */
export const HEAD_BYTES = 64 * 1024;
export const LARGE_HEAD_BYTES = 1024 * 1024;
export const TAIL_BYTES = 4 * 1024;
/** Bytes read at a TIFF's first IFD: its entries are sorted by tag, so the size tags come first. */
export const IFD_BYTES = 4 * 1024;

export interface ProbeResult {
  format: ContentFormat | null;
  width: number | null;
  height: number | null;
  status: 'ok' | 'corrupt';
  /** Why the file is corrupt, or a note on an ok file (for example a misleading extension). */
  reason: string | null;
  /** The header did not hold the image size: probe again with LARGE_HEAD_BYTES. */
  needsMoreHead?: boolean;
  /** The TIFF's first IFD lies past the head: probe again with these bytes of the file as `ifd`. */
  needsRange?: { offset: number; length: number };
}

const corrupt = (reason: string, format: ContentFormat | null = null): ProbeResult => ({
  format,
  width: null,
  height: null,
  status: 'corrupt',
  reason,
});

/** Recognizes a file's real format from its first bytes. */
export function sniffFormat(head: Uint8Array): ContentFormat | null {
  const ascii = (from: number, to: number) => String.fromCharCode(...head.subarray(from, to));
  if (head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return 'jpeg';
  if (head[0] === 0x89 && ascii(1, 4) === 'PNG') return 'png';
  if (ascii(0, 4) === 'GIF8') return 'gif';
  if (ascii(0, 2) === 'BM') return 'bmp';
  if (ascii(0, 4) === 'II*\0' || ascii(0, 4) === 'MM\0*') return 'tiff';
  if (ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'AVI ') return 'avi';
  const box = ascii(4, 8);
  if (box === 'ftyp') return ascii(8, 10) === 'qt' ? 'mov' : 'mp4';
  if (box === 'moov' || box === 'mdat' || box === 'wide' || box === 'free' || box === 'skip') return 'mov';
  return null;
}

const dataView = (bytes: Uint8Array) => new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);

/**
 * A classic TIFF's size, from the ImageWidth (256) and ImageLength (257) entries of its first
 * IFD. libtiff writes the IFD after the pixels, at the end of the file, so when it lies past
 * the head this returns the range to read, which the caller passes back as `ifd`.
 */
function tiffSize(
  head: Uint8Array,
  size: number,
  ifd: Uint8Array | undefined,
): { width: number; height: number } | { offset: number; length: number } | null {
  if (head.length < 8) return null;
  const little = head[0] === 0x49;
  const offset = dataView(head).getUint32(4, little);
  if (offset < 8 || offset + 2 > size) return null;
  const length = Math.min(IFD_BYTES, size - offset);
  const entries = ifd ?? (offset + length <= head.length ? head.subarray(offset, offset + length) : null);
  if (!entries) return { offset, length };
  if (entries.length < 2) return null;
  const view = dataView(entries);
  const end = Math.min(entries.length, 2 + 12 * view.getUint16(0, little));
  const found = new Map<number, number>();
  for (let at = 2; at + 12 <= end; at += 12) {
    const tag = view.getUint16(at, little);
    const type = view.getUint16(at + 2, little);
    if (tag !== 256 && tag !== 257) continue;
    if (type === 3) found.set(tag, view.getUint16(at + 8, little));
    else if (type === 4) found.set(tag, view.getUint32(at + 8, little));
  }
  const width = found.get(256);
  const height = found.get(257);
  return width && height ? { width, height } : null;
}

const isVideo = (format: ContentFormat) => format === 'mp4' || format === 'mov' || format === 'avi';

/** Checks the end marker each format has, which a cut-off transfer loses. */
function truncation(format: ContentFormat, head: Uint8Array, tail: Uint8Array, size: number): string | null {
  const has = (bytes: number[]) => indexOf(tail, bytes) >= 0;
  switch (format) {
    case 'jpeg':
      return has([0xff, 0xd9]) ? null : 'truncated: JPEG end-of-image marker missing';
    case 'png':
      return has([0x49, 0x45, 0x4e, 0x44]) ? null : 'truncated: PNG IEND chunk missing';
    case 'gif':
      return tail[tail.length - 1] === 0x3b ? null : 'truncated: GIF trailer missing';
    case 'bmp': {
      const declared = head.length >= 6 ? new DataView(head.buffer, head.byteOffset).getUint32(2, true) : 0;
      return declared > size ? `truncated: BMP declares ${declared} bytes, file has ${size}` : null;
    }
    case 'tiff': {
      // libtiff writes the directory last, so a cut-off file points past its end.
      const offset = head.length >= 8 ? dataView(head).getUint32(4, head[0] === 0x49) : 0;
      return offset >= size ? `truncated: TIFF directory at byte ${offset}, file has ${size}` : null;
    }
    default:
      return null;
  }
}

function indexOf(haystack: Uint8Array, needle: number[]): number {
  outer: for (let i = haystack.length - needle.length; i >= 0; i--) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/**
 * Reads what the index needs from a file's first and last bytes, without decoding pixels:
 * its real format, its size in pixels (as displayed, after EXIF orientation) and whether
 * it is complete. `head` is the file's start (the whole file when small), `tail` its end,
 * `ifd` the range a TIFF asked for with `needsRange`.
 */
export function probeBytes(
  path: string,
  head: Uint8Array,
  tail: Uint8Array,
  size: number,
  ifd?: Uint8Array,
): ProbeResult {
  const claimed = formatByName(path);
  if (size === 0) return corrupt('empty file (0 bytes)', claimed?.format ?? null);
  const format = sniffFormat(head);
  if (!format)
    return corrupt(`not a ${claimed?.format.toUpperCase() ?? 'supported'} file: content not recognized`);
  const note =
    claimed && claimed.format !== format && !(isVideo(claimed.format) && isVideo(format))
      ? `named .${path.slice(path.lastIndexOf('.') + 1)} but the content is ${format.toUpperCase()}`
      : null;
  if (claimed && isVideo(claimed.format) !== isVideo(format))
    return corrupt(note ?? 'content does not match name', format);
  if (isVideo(format)) return { format, width: null, height: null, status: 'ok', reason: note };
  const truncated = truncation(format, head, tail, size);
  if (truncated) return corrupt(truncated, format);
  if (format === 'tiff') {
    const found = tiffSize(head, size, ifd);
    if (!found) return corrupt('unreadable TIFF header: no image size in the first IFD', format);
    if ('offset' in found) return { ...corrupt('header incomplete', format), needsRange: found };
    return checked(format, found.width, found.height, note);
  }
  try {
    if (format === 'bmp') {
      const { width, height } = bmpSize(head);
      return checked(format, width, height, note);
    }
    const dimensions = imageSize(head);
    const rotated = (dimensions.orientation ?? 1) >= 5;
    return rotated
      ? checked(format, dimensions.height, dimensions.width, note)
      : checked(format, dimensions.width, dimensions.height, note);
  } catch (error) {
    if (head.length < size) return { ...corrupt('header incomplete', format), needsMoreHead: true };
    return corrupt(`unreadable ${format.toUpperCase()} header: ${(error as Error).message}`, format);
  }
}

/** An image of the size its header claims, or corrupt when no decoder may be trusted with that size. */
function checked(format: ContentFormat, width: number, height: number, note: string | null): ProbeResult {
  const problem = sizeProblem(format, width, height);
  return problem ? corrupt(problem, format) : { format, width, height, status: 'ok', reason: note };
}

/** Reads `length` bytes of the file at `offset` (fewer at its end), in this thread or over the network. */
export type ReadAt = (offset: number, length: number) => Uint8Array | Promise<Uint8Array>;

/**
 * Probes one file through `readAt`: its head and tail first (one read when it is small), then
 * the TIFF directory or a larger head when the first bytes did not hold the size.
 */
export async function probeFile(path: string, size: number, readAt: ReadAt): Promise<ProbeResult> {
  const [head, tail] = await headAndTail(size, HEAD_BYTES, readAt);
  const result = probeBytes(path, head, tail, size);
  if (result.needsRange) {
    const ifd = await readAt(result.needsRange.offset, result.needsRange.length);
    return probeBytes(path, head, tail, size, ifd);
  }
  if (!result.needsMoreHead) return result;
  const [larger] = await headAndTail(size, LARGE_HEAD_BYTES, readAt, tail);
  const { needsMoreHead: _, ...final } = probeBytes(path, larger, tail, size);
  return final.reason === 'header incomplete'
    ? { ...final, reason: 'image size not found in the first 1 MiB' }
    : final;
}

async function headAndTail(
  size: number,
  headBytes: number,
  readAt: ReadAt,
  knownTail?: Uint8Array,
): Promise<[Uint8Array, Uint8Array]> {
  if (size <= headBytes) {
    const whole = await readAt(0, size);
    return [whole, whole.subarray(Math.max(0, whole.length - TAIL_BYTES))];
  }
  const tailBytes = Math.min(size, TAIL_BYTES);
  return Promise.all([readAt(0, headBytes), knownTail ?? readAt(size - tailBytes, tailBytes)]);
}
