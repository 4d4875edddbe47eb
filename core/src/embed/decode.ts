import { availableParallelism } from 'node:os';
import { WinnowError } from '../errors.js';
import { unreadableObject } from '../storage/failure.js';
import { movable, WorkerPool, workerScript } from '../util/worker-pool.js';
import type { ModelConfig } from './model.js';
import { inputSize } from './preprocess.js';

/**
 * Input tensors travel through shared memory: a fixed set of slots, each one image's tensor.
 * Decoders write a slot, the inference thread reads it, and nothing is allocated per image, so
 * memory stays flat over millions of images (a fresh buffer per image fragments the heap).
 */
export interface TensorSlots {
  buffer: SharedArrayBuffer;
  /** Floats per slot: one input tensor. */
  size: number;
}

export function tensorSlot(slots: TensorSlots, slot: number): Float32Array {
  return new Float32Array(slots.buffer, slot * slots.size * 4, slots.size);
}

export interface DecodeWorkerData {
  config: ModelConfig;
  thumbnailSize: number;
  slots: TensorSlots;
}

/** An image to decode: its bytes come from `read` (a bucket, a folder, memory) on the main thread. */
export interface DecodeItem {
  read(): Promise<Uint8Array>;
}

/** What a decoder thread is sent: the image's bytes, moved rather than copied. */
export interface DecodeRequest {
  bytes: Uint8Array;
  slot: number;
}

/** The image's thumbnail (JPEG, from the same decode), or why it could not be read or decoded. */
export interface DecodeResult {
  error?: string;
  thumbnail?: Uint8Array;
}

/**
 * Worker threads, one per core, that read, decode and preprocess images (and write their
 * thumbnails) into tensor slots while the main thread feeds the model. At most `ahead` images
 * are decoded or waiting to be taken, and at most `batch` more are held by each copy of the model.
 */
export class DecodePool {
  private readonly pool: WorkerPool<DecodeRequest, DecodeResult>;
  private readonly free: number[];
  readonly slots: TensorSlots;
  private readonly ahead: number;

  constructor(
    config: ModelConfig,
    thumbnailSize: number,
    batch: number,
    /** Batches the model holds at once (one per copy of it). */
    inference = 1,
    threads = availableParallelism(),
  ) {
    const [width, height] = inputSize(config);
    this.ahead = 2 * batch + threads;
    const count = this.ahead + inference * batch;
    this.slots = { buffer: new SharedArrayBuffer(count * 3 * width * height * 4), size: 3 * width * height };
    this.free = Array.from({ length: count }, (_, i) => count - 1 - i);
    const data: DecodeWorkerData = { config, thumbnailSize, slots: this.slots };
    this.pool = new WorkerPool(workerScript(import.meta.url, 'decode-worker'), threads, data);
  }

  /**
   * Decodes `items` in order into slots, running ahead of the consumer (overlapping its
   * inference) with bounded memory. The consumer gives each slot back with `release`.
   */
  async *decodeInOrder<T extends DecodeItem>(
    items: readonly T[],
  ): AsyncGenerator<{ item: T; slot: number; result: DecodeResult }> {
    const inFlight: Promise<{ item: T; slot: number; result: DecodeResult }>[] = [];
    let next = 0;
    const startNext = () => {
      const item = items[next++]!;
      const slot = this.free.pop();
      if (slot === undefined) throw new WinnowError('internal', 'decode: no free tensor slot');
      inFlight.push(this.decode(item, slot).then((result) => ({ item, slot, result })));
    };
    while (next < items.length && inFlight.length < this.ahead) startNext();
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

  /**
   * Reads the item and has a thread decode it. An object that vanished or may not be read is a
   * failed item like an undecodable one; a store that cannot be reached fails the run.
   */
  private async decode(item: DecodeItem, slot: number): Promise<DecodeResult> {
    let bytes: Uint8Array;
    try {
      bytes = await item.read();
    } catch (error) {
      const reason = unreadableObject(error);
      if (reason === undefined) throw error;
      return { error: reason };
    }
    return this.pool.run({ bytes, slot }, movable(bytes) ? [bytes.buffer] : []);
  }

  release(slots: readonly number[]): void {
    this.free.push(...slots);
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}
