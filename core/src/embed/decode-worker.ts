import { parentPort, workerData } from 'node:worker_threads';
import sharp from 'sharp';
import { firstLineOf } from '../errors.js';
import { serveWorker } from '../util/worker-pool.js';
import { type DecodeRequest, type DecodeResult, type DecodeWorkerData, tensorSlot } from './decode.js';
import { DecodeError, imageTensor } from './preprocess.js';

const { config, thumbnailSize, slots } = workerData as DecodeWorkerData;
// One image at a time per worker: the pool, sized to the cores, is the parallelism.
sharp.concurrency(1);

serveWorker<DecodeRequest & { slot: number }, DecodeResult>(
  parentPort!,
  async ({ file, thumbnail, slot }) => {
    try {
      const target = thumbnail ? { file: thumbnail, size: thumbnailSize } : undefined;
      await imageTensor(file, config, target, tensorSlot(slots, slot));
      return {};
    } catch (error) {
      return { error: error instanceof DecodeError ? error.reason : firstLineOf(error) };
    }
  },
);
