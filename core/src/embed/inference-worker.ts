import { parentPort, workerData } from 'node:worker_threads';
import { serveWorker } from '../util/worker-pool.js';
import { ImageEmbedder } from './embedder.js';
import type { InferenceRequest, InferenceResponse, InferenceWorkerData } from './inference.js';

const { spec, device } = workerData as InferenceWorkerData;
let embedder: ImageEmbedder | undefined;

serveWorker<InferenceRequest, InferenceResponse>(
  parentPort!,
  async (request) => {
    if (request.type === 'open') {
      embedder = await ImageEmbedder.open(spec, device);
      return { device: embedder.device, fallback: embedder.fallback };
    }
    return embedder!.embedTensors(request.tensors);
  },
  (response) => ('rows' in response ? [response.rows.buffer as ArrayBuffer] : []),
);
