import { parentPort } from 'node:worker_threads';
import { DecodeError, makeThumbnail } from '../embed/preprocess.js';
import { serveWorker } from '../util/worker-pool.js';
import type { ThumbnailRequest, ThumbnailResult } from './thumbnails.js';

serveWorker<ThumbnailRequest, ThumbnailResult>(
  parentPort!,
  async ({ bytes, size, name }) => {
    try {
      // A copy that owns its buffer, so it moves back to the main thread instead of being cloned.
      return { thumbnail: new Uint8Array(await makeThumbnail(bytes, size, name)) };
    } catch (error) {
      if (error instanceof DecodeError) return { error: error.reason };
      throw error;
    }
  },
  (result) => ('thumbnail' in result ? [result.thumbnail.buffer] : []),
);
