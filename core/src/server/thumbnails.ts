import { availableParallelism } from 'node:os';
import { DecodeError } from '../embed/preprocess.js';
import { firstLineOf, WinnowError } from '../errors.js';
import type { ReadableStorage } from '../storage/types.js';
import type { WorkArea } from '../storage/work.js';
import type { Dataset, Workspace } from '../store/workspace.js';
import { headerProblem } from '../util/image-header.js';
import { maxPixels } from '../util/pixel-limit.js';
import { movable, WorkerPool, workerScript } from '../util/worker-pool.js';

/** The longest side of a thumbnail made on request: the size embed makes them at. */
const THUMBNAIL_SIZE = 256;
/** Decoding threads: a grid asks for a page of thumbnails at once, but the server has other work. */
const THREADS = Math.min(2, availableParallelism());
/** A decode still running after this (an image built to stall its decoder) costs its thread. */
const DECODE_TIMEOUT_MS = 20_000;

/** What a thumbnail thread is sent: the image's bytes (moved, not copied) and its name for errors. */
export interface ThumbnailRequest {
  bytes: Uint8Array;
  size: number;
  name: string;
}

/** The thumbnail (JPEG), or why the image may not or could not be decoded. */
export type ThumbnailResult = { thumbnail: Uint8Array<ArrayBuffer> } | { error: string };

/**
 * Thumbnails for the grid and the scatter's hover: embed makes them, and a sample not embedded yet
 * gets one made on its first request (an image only: a video's poster frame needs ffmpeg, which
 * embed runs). Samples known to have one are remembered, so a grid page costs no existence check.
 * Images are decoded in worker threads, never on the server's thread: a file whose header claims
 * more than the pixel limit (or a size no image has) is refused from its header before that, and
 * a decode that crashes or runs past DECODE_TIMEOUT_MS ends its thread, which is replaced, while
 * the server keeps answering.
 */
export class Thumbnails {
  private readonly known = new Set<string>();
  /** Started on the first thumbnail made here: most are made by embed. */
  private pool: WorkerPool<ThumbnailRequest, ThumbnailResult> | undefined;

  constructor(private readonly ws: Workspace) {
    maxPixels(); // a bad WINNOW_MAX_PIXELS stops the server at its start, not at its first thumbnail
  }

  /** The thumbnail's path in the work area, made now when there is none. */
  async ensure(dataset: Dataset, sampleId: number, input: ReadableStorage, work: WorkArea): Promise<string> {
    const path = `thumbnails/${sampleId}.jpg`;
    const key = `${dataset.id}/${sampleId}`;
    if (this.known.has(key) || (await work.exists(path))) {
      this.known.add(key);
      return path;
    }
    const sample = await this.ws.db.one<{
      path: string;
      kind: string;
      status: string;
      reason: string | null;
    }>('SELECT path, kind, status, reason FROM winnow.samples WHERE dataset_id = ? AND sample_id = ?', [
      dataset.id,
      sampleId,
    ]);
    if (sample?.status === 'corrupt')
      throw new WinnowError('invalid_input', `${sample.path}: no thumbnail: ${sample.reason ?? 'corrupt'}`);
    if (sample?.status !== 'ok' || sample.kind !== 'image') {
      throw new WinnowError(
        'not_found',
        sample?.status === 'ok'
          ? `sample ${sampleId} is a ${sample.kind}: its thumbnail comes with winnow embed`
          : `dataset '${dataset.name}' has no readable sample ${sampleId}`,
      );
    }
    const thumbnail = await this.make(await input.read(sample.path), sample.path);
    await work.write(path, thumbnail, 'image/jpeg');
    this.known.add(key);
    return path;
  }

  async close(): Promise<void> {
    await this.pool?.close();
  }

  private async make(bytes: Uint8Array, name: string): Promise<Uint8Array> {
    // The header alone (no decoding) refuses a bomb here, without a thread to start or wait for.
    const problem = headerProblem(bytes);
    if (problem) throw new DecodeError(name, `no thumbnail: ${problem}`);
    this.pool ??= new WorkerPool(workerScript(import.meta.url, 'thumbnail-worker'), THREADS, undefined, {
      timeoutMs: DECODE_TIMEOUT_MS,
    });
    let result: ThumbnailResult;
    try {
      result = await this.pool.run(
        { bytes, size: THUMBNAIL_SIZE, name },
        movable(bytes) ? [bytes.buffer] : [],
      );
    } catch (error) {
      throw new WinnowError('invalid_input', `${name}: no thumbnail: its decoder ${firstLineOf(error)}`);
    }
    if ('error' in result) throw new DecodeError(name, `no thumbnail: ${result.error}`);
    return result.thumbnail;
  }
}
