import { throwIfAborted } from '../errors.js';
import type { ReadableStorage } from '../storage/types.js';
import type { WorkArea } from '../storage/work.js';
import { DecodePool, type DecodeResult } from './decode.js';
import type { FrameSampling } from './frames.js';
import { type InferenceThread, openInference } from './inference.js';
import type { ModelSpec } from './model.js';
import type { Device } from './session.js';

/**
 * The image path of an embedding run, without a workspace: files are read, decoded in the Rust
 * core (one decode for the tensor and the thumbnail), the thumbnails written to the work
 * location, and the tensors embedded by the model's copies in turn. `embedDataset` stores what it
 * yields in the workspace; a shard of a distributed run (`embedShard`) writes it to a part.
 */
export interface Pipeline {
  input: ReadableStorage;
  work: WorkArea;
  /** The model's copies (see openInference), which take alternate batches. */
  models: InferenceThread[];
  pool: DecodePool;
  config: { model: string; batchSize: number; thumbnailSize: number; frames: FrameSampling };
  close(): Promise<void>;
}

export interface PipelineOptions {
  device?: Device;
  batchSize?: number;
  thumbnailSize?: number;
  frames?: FrameSampling;
  /** The cores to use (default: all of the machine's), shared by the decoders and the model. */
  cores?: number;
}

/** Loads the model's copies and the decoders for `spec`, their tensor slots shared. */
export async function openPipeline(
  spec: ModelSpec,
  storage: { input: ReadableStorage; work: WorkArea },
  options: PipelineOptions,
): Promise<Pipeline> {
  const models = await openInference(spec, options.device ?? 'auto', options.cores);
  const config = {
    model: spec.name,
    batchSize: options.batchSize ?? (models[0]!.device === 'cpu' ? 32 : 128),
    thumbnailSize: options.thumbnailSize ?? 256,
    frames: options.frames ?? { every: 1 },
  };
  const pool = new DecodePool(
    spec.config,
    config.thumbnailSize,
    config.batchSize,
    models.length,
    options.cores,
  );
  const close = async () => {
    await Promise.all([...models.map((m) => m.close()), pool.close()]);
  };
  try {
    await Promise.all(models.map((m) => m.attach(pool.slots)));
  } catch (error) {
    await close();
    throw error;
  }
  return { ...storage, models, pool, config, close };
}

/** A sample to embed and where its bytes come from. */
export type SampleFile = PendingSample & { read(): Promise<Uint8Array> };

export const thumbnailPath = (id: number) => `thumbnails/${id}.jpg`;

export interface Embedded {
  ids: Int32Array;
  rows: Float32Array;
  dim: number;
  failed: (PendingSample & { reason: string })[];
}

/**
 * Thumbnails and embeddings of files, batch by batch as inference finishes, in order; each batch
 * also lists the files that could not be decoded, with why. Each copy of the model has one batch
 * at a time, handed out in turn.
 */
export async function* embedBatches(
  job: Pipeline,
  files: SampleFile[],
  signal?: AbortSignal,
): AsyncGenerator<Embedded> {
  const { batchSize } = job.config;
  const running: Promise<Embedded>[] = [];
  let turn = 0;
  const start = (batch: Decoded[]) => {
    running.push(inferBatch(job, job.models[turn++ % job.models.length]!, batch));
  };
  try {
    let batch: Decoded[] = [];
    for await (const decoded of job.pool.decodeInOrder(files)) {
      batch.push(decoded);
      if (batch.length < batchSize) continue;
      throwIfAborted(signal);
      start(batch);
      batch = [];
      // The oldest batch is done before its copy of the model is handed the next one.
      if (running.length === job.models.length) yield await running.shift()!;
    }
    if (batch.length) start(batch);
    while (running.length) yield await running.shift()!;
  } finally {
    // Stopped early (cancelled, failed): the batches still running finish before the models close.
    await Promise.allSettled(running);
  }
}

type Decoded = { item: SampleFile; slot: number; result: DecodeResult };

async function inferBatch(job: Pipeline, model: InferenceThread, batch: Decoded[]): Promise<Embedded> {
  const ids: number[] = [];
  const slots: number[] = [];
  const failed: Embedded['failed'] = [];
  for (const { item, slot, result } of batch) {
    if (result.error === undefined) {
      ids.push(item.id);
      slots.push(slot);
    } else failed.push({ id: item.id, path: item.path, reason: result.error });
  }
  // Thumbnails are stored before the vectors are committed: an embedded sample always has one.
  const thumbnails = batch.flatMap(({ item, result }) =>
    result.thumbnail ? [job.work.write(thumbnailPath(item.id), result.thumbnail, 'image/jpeg')] : [],
  );
  try {
    if (!slots.length) return { ids: new Int32Array(0), rows: new Float32Array(0), dim: 0, failed };
    const [{ dim, rows }] = await Promise.all([model.embedSlots(slots), ...thumbnails]);
    return { ids: Int32Array.from(ids), rows, dim, failed };
  } finally {
    await Promise.allSettled(thumbnails);
    job.pool.release(batch.map((d) => d.slot));
  }
}

/** All of `files` embedded (for the few of one video or one image's crops). */
export async function embedFiles(job: Pipeline, files: SampleFile[]): Promise<Embedded> {
  const parts: Embedded[] = [];
  for await (const embedded of embedBatches(job, files)) parts.push(embedded);
  return concatEmbedded(parts);
}

export function concatEmbedded(parts: Embedded[]): Embedded {
  const dim = parts.find((p) => p.dim)?.dim ?? 0;
  const ids = new Int32Array(parts.reduce((n, p) => n + p.ids.length, 0));
  const rows = new Float32Array(ids.length * dim);
  let at = 0;
  for (const part of parts) {
    ids.set(part.ids, at);
    rows.set(part.rows, at * dim);
    at += part.ids.length;
  }
  return { ids, rows, dim, failed: parts.flatMap((p) => p.failed) };
}

export interface PendingSample {
  id: number;
  path: string;
}
