import { WinnowError } from '../errors.js';
import { WorkerPool, workerScript } from '../util/worker-pool.js';
import type { ModelSpec } from './model.js';
import type { Device, ResolvedDevice } from './session.js';

export interface InferenceWorkerData {
  spec: ModelSpec;
  device: Device;
}

export type InferenceRequest = { type: 'open' } | { type: 'embed'; tensors: Float32Array[] };
export type InferenceResponse =
  | { device: ResolvedDevice; fallback?: string }
  | { dim: number; rows: Float32Array };

/**
 * An image model running on its own thread. ONNX Runtime's `run` holds the calling thread for
 * the whole batch; off the main thread, the main thread keeps handing images to the decoders
 * and rows to DuckDB while the model works.
 */
export class InferenceThread {
  private constructor(
    private readonly thread: WorkerPool<InferenceRequest, InferenceResponse>,
    readonly device: ResolvedDevice,
    readonly fallback: string | undefined,
  ) {}

  static async open(spec: ModelSpec, device: Device): Promise<InferenceThread> {
    const thread = new WorkerPool<InferenceRequest, InferenceResponse>(
      workerScript(import.meta.url, 'inference-worker'),
      1,
      { spec, device } satisfies InferenceWorkerData,
    );
    try {
      const opened = (await thread.run({ type: 'open' })) as { device: ResolvedDevice; fallback?: string };
      return new InferenceThread(thread, opened.device, opened.fallback);
    } catch (error) {
      await thread.close();
      // The thread's error arrives as its message: the one-line WinnowError it threw.
      throw new WinnowError('invalid_input', (error as Error).message);
    }
  }

  /** One batch of input tensors (their buffers move to the thread). */
  async embedTensors(tensors: Float32Array[]): Promise<{ dim: number; rows: Float32Array }> {
    const transfer = tensors.map((t) => t.buffer as ArrayBuffer);
    return (await this.thread.run({ type: 'embed', tensors }, transfer)) as {
      dim: number;
      rows: Float32Array;
    };
  }

  close(): Promise<void> {
    return this.thread.close();
  }
}
