import { parentPort, workerData } from 'node:worker_threads';
import { serveWorker } from '../util/worker-pool.js';
import { type TensorSlots, tensorSlot } from './decode.js';
import { ImageEmbedder } from './embedder.js';
import type { InferenceRequest, InferenceResponse, InferenceWorkerData } from './inference.js';

const { spec, device, cpuThreads } = workerData as InferenceWorkerData;
let embedder: ImageEmbedder | undefined;
let slots: TensorSlots | undefined;

serveWorker<InferenceRequest, InferenceResponse>(
  parentPort!,
  async (request) => {
    if (request.type === 'open') {
      embedder = await ImageEmbedder.open(spec, device, cpuThreads);
      return { device: embedder.device, fallback: embedder.fallback };
    }
    if (request.type === 'attach') {
      slots = request.slots;
      return null;
    }
    return embedder!.embedTensors(request.slots.map((slot) => tensorSlot(slots!, slot)));
  },
  (response) => (response && 'rows' in response ? [response.rows.buffer as ArrayBuffer] : []),
);
