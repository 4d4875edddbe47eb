import { availableParallelism } from 'node:os';
import { WorkerPool, workerScript } from '../util/worker-pool.js';
import type { ModelConfig } from './model.js';

export interface DecodeWorkerData {
  config: ModelConfig;
  thumbnailSize: number;
}

export interface DecodeRequest {
  file: string;
  /** Where to write the image's thumbnail, made from the same decode. */
  thumbnail?: string;
}

/** The model input tensor, or why the file could not be decoded. */
export interface DecodeResult {
  tensor?: Float32Array;
  error?: string;
}

/**
 * Worker threads, one per core, that read, decode and preprocess images (and write their
 * thumbnails) while the main thread feeds the model.
 */
export class DecodePool {
  private readonly pool: WorkerPool<DecodeRequest, DecodeResult>;
  readonly size: number;

  constructor(data: DecodeWorkerData, size = availableParallelism()) {
    this.size = size;
    this.pool = new WorkerPool(workerScript(import.meta.url, 'decode-worker'), size, data);
  }

  /**
   * Decodes `items` in order, keeping at most `ahead` decodes in flight or waiting to be
   * taken: work runs ahead of the consumer (overlapping its inference) with bounded memory.
   */
  async *decodeInOrder<T extends DecodeRequest>(
    items: readonly T[],
    ahead: number,
  ): AsyncGenerator<{ item: T; result: DecodeResult }> {
    const inFlight: Promise<{ item: T; result: DecodeResult }>[] = [];
    let next = 0;
    const startNext = () => {
      const item = items[next++]!;
      inFlight.push(this.pool.run(item).then((result) => ({ item, result })));
    };
    while (next < items.length && inFlight.length < ahead) startNext();
    try {
      while (inFlight.length) {
        const done = await inFlight.shift()!;
        if (next < items.length) startNext();
        yield done;
      }
    } finally {
      // A consumer that stops early (cancelled, failed) leaves no rejection unobserved.
      for (const pending of inFlight) pending.catch(() => undefined);
    }
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}
