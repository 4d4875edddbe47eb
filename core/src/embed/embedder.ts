import * as ort from 'onnxruntime-node';
import { type ModelConfig, type ModelSpec, verifyModelFile } from './model.js';
import { normalizeRows } from './normalize.js';
import { imageTensor, inputSize } from './preprocess.js';
import { type Device, openSession, type ResolvedDevice, requireNames } from './session.js';

export { imageTensor };

/** An ONNX image model that turns batches of input tensors into embedding rows. */
export class ImageEmbedder {
  private constructor(
    readonly spec: ModelSpec,
    private readonly session: ort.InferenceSession,
    /** The device the model runs on, and with `auto` why a faster one was passed over. */
    readonly device: ResolvedDevice,
    readonly fallback?: string,
  ) {}

  private batch?: Float32Array;

  static async open(spec: ModelSpec, device: Device = 'cpu', cpuThreads?: number): Promise<ImageEmbedder> {
    await verifyModelFile(spec);
    const {
      session,
      device: resolved,
      fallback,
    } = await openSession(spec.path, spec.name, device, cpuThreads);
    await requireNames(session, spec.name, { inputs: [spec.config.input], outputs: [spec.config.output] });
    return new ImageEmbedder(spec, session, resolved, fallback);
  }

  /** Embeds images (files or encoded bytes): one row each, in order. */
  async embedImages(sources: (string | Buffer)[]): Promise<{ dim: number; rows: Float32Array }> {
    const tensors = await Promise.all(sources.map((s) => imageTensor(s, this.spec.config)));
    return this.embedTensors(tensors);
  }

  /**
   * Runs one batch of input tensors (each from `imageTensor`). Calls must not overlap: the batch
   * buffer is reused, since a fresh one per batch (tens of MB) fragments the heap over a long run.
   */
  async embedTensors(tensors: Float32Array[]): Promise<{ dim: number; rows: Float32Array }> {
    const { config } = this.spec;
    const [width, height] = inputSize(config);
    const size = 3 * width * height;
    if (!this.batch || this.batch.length < tensors.length * size) {
      this.batch = new Float32Array(tensors.length * size);
    }
    const batch = this.batch.subarray(0, tensors.length * size);
    for (const [i, t] of tensors.entries()) batch.set(t, i * size);
    const shape =
      config.layout === 'nchw' ? [tensors.length, 3, height, width] : [tensors.length, height, width, 3];
    const result = await this.session.run({ [config.input]: new ort.Tensor('float32', batch, shape) });
    const output = result[config.output]!;
    const rows = pooled(output.data as Float32Array, output.dims, config.pooling);
    const dim = rows.length / tensors.length;
    if (config.normalize) normalizeRows(rows, dim);
    return { dim, rows };
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}

/** [batch, c, h, w] averaged over h and w with `mean`; anything else flattened per row. */
function pooled(data: Float32Array, dims: readonly number[], pooling: ModelConfig['pooling']): Float32Array {
  if (pooling === 'none' || dims.length !== 4) return Float32Array.from(data);
  const [batch, channels, h, w] = dims as [number, number, number, number];
  const area = h * w;
  const out = new Float32Array(batch * channels);
  for (let r = 0; r < batch * channels; r++) {
    let sum = 0;
    for (let p = 0; p < area; p++) sum += data[r * area + p]!;
    out[r] = sum / area;
  }
  return out;
}
