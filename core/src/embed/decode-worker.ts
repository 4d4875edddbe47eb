import { parentPort, workerData } from 'node:worker_threads';
import { firstLineOf } from '../errors.js';
import { serveWorker } from '../util/worker-pool.js';
import { type DecodeRequest, type DecodeResult, type DecodeWorkerData, tensorSlot } from './decode.js';
import { DecodeError, decodeImage } from './preprocess.js';

const { config, thumbnailSize, slots } = workerData as DecodeWorkerData;

serveWorker<DecodeRequest, DecodeResult>(
  parentPort!,
  async ({ bytes, slot }) => {
    try {
      const { thumbnail } = await decodeImage(bytes, config, thumbnailSize, tensorSlot(slots, slot));
      // A copy that owns its buffer, so it moves back to the main thread instead of being cloned.
      return { thumbnail: thumbnail && new Uint8Array(thumbnail) };
    } catch (error) {
      return { error: error instanceof DecodeError ? error.reason : firstLineOf(error) };
    }
  },
  (result) => (result.thumbnail ? [result.thumbnail.buffer as ArrayBuffer] : []),
);
