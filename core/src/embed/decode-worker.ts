import { parentPort, workerData } from 'node:worker_threads';
import { preprocessJpeg } from '@winnow-curate/native';
import sharp from 'sharp';
import { firstLineOf } from '../errors.js';
import { headerProblem } from '../util/image-header.js';
import { maxPixels } from '../util/pixel-limit.js';
import { serveWorker } from '../util/worker-pool.js';
import { type DecodeRequest, type DecodeResult, type DecodeWorkerData, tensorSlot } from './decode.js';
import { DecodeError, decodeImage, inputSize } from './preprocess.js';

const { config, thumbnailSize, slots } = workerData as DecodeWorkerData;
// One image at a time per worker: the pool, sized to the cores, is the parallelism.
sharp.concurrency(1);
const [width, height] = inputSize(config);
/** The model config as the native path takes it. */
const input = {
  width,
  height,
  resize: config.resize,
  channels: config.channels,
  range: config.range,
  mean: [...config.mean],
  std: [...config.std],
  layout: config.layout,
};

serveWorker<DecodeRequest, DecodeResult>(
  parentPort!,
  async ({ bytes, slot }) => {
    try {
      const problem = headerProblem(bytes);
      if (problem) return { error: problem };
      // Upright JPEGs decode natively (one decode for the tensor and the thumbnail); the rest with sharp.
      const native = preprocessJpeg(bytes, input, tensorSlot(slots, slot), thumbnailSize, maxPixels());
      if (native.handled)
        return native.error
          ? { error: native.error }
          : { thumbnail: native.thumbnail && new Uint8Array(native.thumbnail) };
      const { thumbnail } = await decodeImage(bytes, config, thumbnailSize, tensorSlot(slots, slot));
      // A copy that owns its buffer, so it moves back to the main thread instead of being cloned.
      return { thumbnail: thumbnail && new Uint8Array(thumbnail) };
    } catch (error) {
      return { error: error instanceof DecodeError ? error.reason : firstLineOf(error) };
    }
  },
  (result) => (result.thumbnail ? [result.thumbnail.buffer as ArrayBuffer] : []),
);
