import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { InputError, WinnowError } from '../errors.js';
import { type ModelConfig, type ModelSpec, verifyModelFile } from './model.js';

const FIT = { stretch: 'fill', crop: 'cover', pad: 'contain' } as const;

/**
 * One image's input tensor (without the batch axis) per the model config: decoded with EXIF
 * orientation applied, shrunk on load where the codec allows, resized, then each value
 * (pixel / range − mean) / std in the model's channel order and layout.
 */
export async function imageTensor(source: string | Buffer, config: ModelConfig): Promise<Float32Array> {
  const [width, height] = typeof config.size === 'number' ? [config.size, config.size] : config.size;
  let pixels: Buffer;
  try {
    pixels = await sharp(source, { failOn: 'error' })
      .rotate()
      .resize(width, height, { fit: FIT[config.resize], background: { r: 0, g: 0, b: 0 } })
      .removeAlpha()
      .toColourspace('srgb')
      .raw()
      .toBuffer();
  } catch (error) {
    const name = typeof source === 'string' ? source : 'image';
    throw new InputError(name, undefined, `cannot decode: ${(error as Error).message.split('\n')[0]}`);
  }
  const plane = width * height;
  const scale = config.range === '0-255' ? 1 : 1 / 255;
  const order = config.channels === 'rgb' ? [0, 1, 2] : [2, 1, 0];
  const out = new Float32Array(3 * plane);
  for (let c = 0; c < 3; c++) {
    const from = order[c]!;
    const mean = config.mean[c]!;
    const std = config.std[c]!;
    for (let p = 0; p < plane; p++) {
      const value = (pixels[p * 3 + from]! * scale - mean) / std;
      out[config.layout === 'nchw' ? c * plane + p : p * 3 + c] = value;
    }
  }
  return out;
}

/** An ONNX image model that turns batches of input tensors into embedding rows. */
export class ImageEmbedder {
  private constructor(
    readonly spec: ModelSpec,
    private readonly session: ort.InferenceSession,
  ) {}

  static async open(spec: ModelSpec): Promise<ImageEmbedder> {
    await verifyModelFile(spec);
    const session = await ort.InferenceSession.create(spec.path).catch((error: Error) => {
      throw new WinnowError('invalid_input', `model '${spec.name}': ${error.message.split('\n')[0]}`);
    });
    for (const [kind, name, names] of [
      ['input', spec.config.input, session.inputNames],
      ['output', spec.config.output, session.outputNames],
    ] as const) {
      if (!names.includes(name)) {
        throw new InputError(
          spec.name,
          kind,
          `'${name}' is not one of the model's ${kind}s: ${names.join(', ')}`,
        );
      }
    }
    return new ImageEmbedder(spec, session);
  }

  /** Embeds images (files or encoded bytes): one row each, in order. */
  async embedImages(sources: (string | Buffer)[]): Promise<{ dim: number; rows: Float32Array }> {
    const tensors = await Promise.all(sources.map((s) => imageTensor(s, this.spec.config)));
    return this.embedTensors(tensors);
  }

  /** Runs one batch of input tensors (each from `imageTensor`). */
  async embedTensors(tensors: Float32Array[]): Promise<{ dim: number; rows: Float32Array }> {
    const { config } = this.spec;
    const [width, height] = typeof config.size === 'number' ? [config.size, config.size] : config.size;
    const batch = new Float32Array(tensors.length * 3 * width * height);
    tensors.forEach((t, i) => {
      batch.set(t, i * t.length);
    });
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

function normalizeRows(rows: Float32Array, dim: number): void {
  for (let o = 0; o < rows.length; o += dim) {
    let norm = 0;
    for (let j = o; j < o + dim; j++) norm += rows[j]! * rows[j]!;
    const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
    for (let j = o; j < o + dim; j++) rows[j] = rows[j]! * scale;
  }
}
