import { parentPort, workerData } from 'node:worker_threads';
import sharp from 'sharp';
import { firstLineOf } from '../errors.js';
import { serveWorker } from '../util/worker-pool.js';
import type { DecodeRequest, DecodeResult, DecodeWorkerData } from './decode.js';
import { DecodeError, imageTensor } from './preprocess.js';

const { config, thumbnailSize } = workerData as DecodeWorkerData;
// One image at a time per worker: the pool, sized to the cores, is the parallelism.
sharp.concurrency(1);

serveWorker<DecodeRequest, DecodeResult>(
  parentPort!,
  async ({ file, thumbnail }) => {
    try {
      const target = thumbnail ? { file: thumbnail, size: thumbnailSize } : undefined;
      return { tensor: await imageTensor(file, config, target) };
    } catch (error) {
      return { error: error instanceof DecodeError ? error.reason : firstLineOf(error) };
    }
  },
  (result) => (result.tensor ? [result.tensor.buffer as ArrayBuffer] : []),
);
