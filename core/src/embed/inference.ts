import { availableParallelism } from 'node:os';
import { WinnowError } from '../errors.js';
import { WorkerPool, workerScript } from '../util/worker-pool.js';
import type { TensorSlots } from './decode.js';
import type { ModelSpec } from './model.js';
import type { Device, ResolvedDevice } from './session.js';

export interface InferenceWorkerData {
  spec: ModelSpec;
  device: Device;
  /** ONNX Runtime's threads on the CPU; all cores when not given. */
  cpuThreads?: number;
}

export type InferenceRequest =
  | { type: 'open' }
  | { type: 'attach'; slots: TensorSlots }
  | { type: 'embed'; slots: number[] };
export type InferenceResponse =
  | { device: ResolvedDevice; fallback?: string }
  | { dim: number; rows: Float32Array }
  | null;

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

  static async open(spec: ModelSpec, device: Device, cpuThreads?: number): Promise<InferenceThread> {
    const thread = new WorkerPool<InferenceRequest, InferenceResponse>(
      workerScript(import.meta.url, 'inference-worker'),
      1,
      { spec, device, cpuThreads } satisfies InferenceWorkerData,
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

  /** The decoders' tensor slots, which `embedSlots` reads (shared memory: nothing is copied). */
  async attach(slots: TensorSlots): Promise<void> {
    await this.thread.run({ type: 'attach', slots });
  }

  /** One batch: the tensors in these slots, in order. */
  async embedSlots(slots: number[]): Promise<{ dim: number; rows: Float32Array }> {
    return (await this.thread.run({ type: 'embed', slots })) as { dim: number; rows: Float32Array };
  }

  close(): Promise<void> {
    return this.thread.close();
  }
}

/**
 * The model on the device asked for, on as many threads as run it best: on a GPU one; on a CPU
 * with two cores or more, two copies, each with half the cores, which take alternate batches.
 * Measured with MobileNetV2 on 2 cores (issue 18): two one-thread sessions side by side ran
 * 478–495 images/s against 420 for one two-thread session, whose threads wait for each other
 * at every operator; and when a decoder takes a core, the other copy keeps going.
 */
export async function openInference(
  spec: ModelSpec,
  device: Device,
  cores = availableParallelism(),
): Promise<InferenceThread[]> {
  // Half the cores each (all of them when there is one): a GPU session uses them only for
  // what runs beside the GPU.
  const share = Math.max(1, Math.floor(cores / 2));
  const first = await InferenceThread.open(spec, device, share);
  if (first.device !== 'cpu' || cores < 2) return [first];
  try {
    return [first, await InferenceThread.open(spec, 'cpu', share)];
  } catch (error) {
    await first.close();
    throw error;
  }
}
