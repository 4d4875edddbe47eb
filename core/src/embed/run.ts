import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { cropImage } from '@winnow-curate/native';
import { type LongTaskOptions, throwIfAborted } from '../errors.js';
import { type DatasetSecrets, openDatasetStorage } from '../storage/open.js';
import { withToolInput } from '../storage/tool-input.js';
import type { ReadableStorage } from '../storage/types.js';
import { requirePermissions, verifyInput, verifyWork } from '../storage/verify.js';
import type { WorkArea } from '../storage/work.js';
import {
  embeddingTable,
  ensureModel,
  listModels,
  replaceVectorsFrom,
  stageVectors,
} from '../store/embeddings.js';
import { withRun } from '../store/runs.js';
import type { Dataset, Workspace } from '../store/workspace.js';
import { headerProblem } from '../util/image-header.js';
import { maxPixels } from '../util/pixel-limit.js';
import { type ExtractedFrame, extractFrames, type FrameSampling } from './frames.js';
import type { InferenceThread } from './inference.js';
import { BUILTIN_MODELS, DEFAULT_MODEL, resolveModel } from './model.js';
import { rememberModelDir, workspaceModelDir } from './model-folder.js';
import { normalizeRows } from './normalize.js';
import {
  concatEmbedded,
  type Embedded,
  embedBatches,
  embedFiles,
  openPipeline,
  type PendingSample,
  type Pipeline,
  type SampleFile,
  thumbnailPath,
} from './pipeline.js';
import type { Device, ResolvedDevice } from './session.js';

export interface EmbedOptions extends LongTaskOptions {
  /** A registry model's name, a model config file, or an .onnx file with `modelConfig` (default: DEFAULT_MODEL). */
  model?: string;
  /** The config file for an .onnx `model`. */
  modelConfig?: string;
  /** Where the model runs (default auto: CUDA, then WebGPU, then the CPU). */
  device?: Device;
  /** Images per inference call (default 32 on the CPU, 128 on a GPU). */
  batchSize?: number;
  /** Longest side of the thumbnails (default 256). */
  thumbnailSize?: number;
  /** Which frames to take from each video (default: one a second). */
  frames?: FrameSampling;
  /** Also embed object crops from these boxes (of `task`, else of every task). */
  crops?: 'annotations' | 'predictions';
  task?: string;
  /** Credentials held in memory only (the local server's), never stored. */
  secrets?: DatasetSecrets;
}

export interface EmbedSummary {
  run_id: string;
  dataset: string;
  model: string;
  device: ResolvedDevice;
  /** With device auto, why a faster device was passed over. */
  fallback?: string;
  dim: number;
  /** Samples embedded by this run. */
  embedded: number;
  /** Images and videos that already had an embedding of this model. */
  skipped: number;
  /** Videos embedded by this run, and the frames taken from them. */
  videos: number;
  frames: number;
  /** Object crops embedded by this run. */
  crops: number;
  /** Images that could not be decoded: marked corrupt with the reason. */
  corrupt: { path: string; reason: string }[];
  /** Where the thumbnails are: a folder, or a URL under the work bucket's `.winnow/`. */
  thumbnails: string;
  seconds: number;
}

const STAGED = 'embed_vectors';

/**
 * Embeds the dataset's images and videos that have no embedding of the model yet. Images flow
 * through a pool of decoding threads that runs ahead of inference (bounded), and their vectors
 * are committed every COMMIT_ROWS rows or COMMIT_MS, and when the run stops, so a re-run
 * continues where it stopped. A video becomes frame samples (`frames` says which; images under
 * `.winnow/frames/<video id>/`), each embedded, and the video's own embedding is the mean of its
 * frames'; a video is stored whole or not at all. Every image and frame gets a thumbnail (JPEG,
 * longest side `thumbnailSize`) at `.winnow/thumbnails/<sample_id>.jpg` in the work location,
 * made from the same decode as its tensor (each file is read once). Input and work locations may
 * be folders or buckets: the run refuses to start unless it may read the one and write the other.
 */
export async function embedDataset(
  ws: Workspace,
  dataset: Dataset,
  options: EmbedOptions,
): Promise<EmbedSummary> {
  const { input, work, modelName, spec } = await prepareRun(ws, dataset, options);
  const pipeline = await openPipeline(spec, { input, work }, options);
  const [model] = pipeline.models as [InferenceThread];
  if (BUILTIN_MODELS[modelName]) await rememberModelDir(ws);
  const started = performance.now();
  const { config } = pipeline;
  const job: Job = { ...pipeline, ws, dataset };
  let restoreMemory: (() => Promise<void>) | undefined;
  try {
    restoreMemory = await capDatabaseMemory(ws);
    return await withRun(ws.db, dataset.id, 'embedding', config, async (runId) => {
      const { images, videos, skipped } = await pendingSamples(ws, dataset, spec.name);
      const summary: EmbedSummary = {
        run_id: runId,
        dataset: dataset.name,
        model: spec.name,
        device: model.device,
        fallback: model.fallback,
        dim: 0,
        embedded: 0,
        skipped,
        videos: 0,
        frames: 0,
        crops: 0,
        corrupt: [],
        thumbnails: work.uri('thumbnails'),
        seconds: 0,
      };
      const total = images.length + videos.length;
      const progress = (done: number) => options.onProgress?.({ phase: 'embed', done, total });
      const files = images.map((s) => ({ ...s, read: () => input.read(s.path) }));
      await embedImages(job, files, options.signal, progress, (embedded) => {
        summary.dim = embedded.dim || summary.dim;
        summary.embedded += embedded.ids.length;
        summary.corrupt.push(...embedded.failed.map(({ path, reason }) => ({ path, reason })));
      });
      for (const [i, video] of videos.entries()) {
        throwIfAborted(options.signal);
        const frames = await embedVideo(job, video);
        summary.dim = frames.dim || summary.dim;
        summary.videos += 1;
        summary.frames += frames.ids.length;
        progress(images.length + i + 1);
      }
      if (options.crops) {
        const crops = await embedCrops(job, options.crops, options.task, options.signal);
        summary.dim = crops.dim || summary.dim;
        summary.crops = crops.ids.length;
        summary.corrupt.push(...crops.failed.map(({ path, reason }) => ({ path, reason })));
      }
      summary.seconds = (performance.now() - started) / 1000;
      return summary;
    });
  } finally {
    await Promise.all([pipeline.close(), restoreMemory?.()]);
  }
}

/**
 * What every embedding run starts with, here or over a cluster: the pixel limit read (a bad
 * WINNOW_MAX_PIXELS stops the run before any image is checked against it), the dataset's
 * locations opened and their permissions checked, the model resolved (downloaded on first use).
 */
export async function prepareRun(ws: Workspace, dataset: Dataset, options: EmbedOptions) {
  maxPixels();
  const { input, work } = await openDatasetStorage(dataset, options.secrets);
  await checkPermissions(input, work);
  const modelName = options.model ?? options.modelConfig ?? DEFAULT_MODEL;
  const spec = await resolveModel(modelName, {
    config: options.modelConfig,
    modelDir: await workspaceModelDir(ws),
    onProgress: options.onProgress,
    signal: options.signal,
  });
  return { input, work, modelName, spec };
}

/** Embedding reads the input and writes (and rewrites) thumbnails, frames and crops in the work location. */
async function checkPermissions(input: ReadableStorage, work: WorkArea): Promise<void> {
  const [reading, writing] = await Promise.all([
    input.kind === 'local' ? undefined : verifyInput(input),
    verifyWork(work.storage),
  ]);
  if (reading) requirePermissions('embed', reading, ['read'], input.uri);
  requirePermissions('embed', writing, ['write', 'overwrite'], work.uri());
}

/** DuckDB's memory during a run, unless the user chose a limit for the workspace. */
const EMBEDDING_MEMORY_LIMIT = '512MB';

/**
 * Caps DuckDB's memory for the run and returns what restores it. The run writes vectors nobody
 * reads during it, and DuckDB would keep every block it wrote (up to 80 % of memory by default):
 * 100,000 images × 1,280 dimensions would hold half a gigabyte for nothing.
 */
async function capDatabaseMemory(ws: Workspace): Promise<(() => Promise<void>) | undefined> {
  if (ws.memoryLimit) return undefined;
  await ws.db.run(`SET memory_limit = '${EMBEDDING_MEMORY_LIMIT}'`);
  return () => ws.db.run('RESET memory_limit');
}

/** An embedding run in a workspace: the image path, and where its results go. */
interface Job extends Pipeline {
  ws: Workspace;
  dataset: Dataset;
}

/** Vectors are committed this often (rows or milliseconds), so a stop loses at most that much. */
const COMMIT_ROWS = 1024;
const COMMIT_MS = 2000;

/**
 * Embeds images as one stream (decoding runs ahead of inference) and commits what is done
 * every COMMIT_ROWS rows or COMMIT_MS, and on the way out, cancelled or failed, too. A commit
 * runs beside the next batches' inference (at most one at a time, in order), so the model never
 * waits for DuckDB.
 */
async function embedImages(
  job: Job,
  files: SampleFile[],
  signal: AbortSignal | undefined,
  onDone: (files: number) => void,
  onCommitted: (embedded: Embedded) => void,
): Promise<void> {
  let done = 0;
  let pending: Embedded[] = [];
  let pendingFiles = 0;
  let since = performance.now();
  let committing: Promise<void> | undefined;
  const store = async (embedded: Embedded) => {
    await job.ws.db.transaction(async () => {
      await storeVectors(job, embedded);
      await markCorrupt(job.ws, embedded.failed);
    });
    onCommitted(embedded);
  };
  const commit = async () => {
    await committing;
    const embedded = concatEmbedded(pending);
    pending = [];
    pendingFiles = 0;
    since = performance.now();
    committing = store(embedded);
  };
  try {
    for await (const embedded of embedBatches(job, files, signal)) {
      const files = embedded.ids.length + embedded.failed.length;
      pending.push(embedded);
      pendingFiles += files;
      done += files;
      onDone(done);
      if (pendingFiles >= COMMIT_ROWS || performance.now() - since >= COMMIT_MS) await commit();
    }
  } finally {
    if (pending.length) await commit();
    await committing;
  }
}

/** Stores vectors of the job's model for these samples (their earlier ones replaced). Call inside a transaction. */
async function storeVectors(job: Job, embedded: Pick<Embedded, 'ids' | 'rows' | 'dim'>): Promise<void> {
  if (!embedded.ids.length) return;
  const { ws, dataset, config } = job;
  const model = await ensureModel(ws.db, dataset.id, config.model, embedded.dim, config);
  await stageVectors(ws.db, STAGED, { ids: embedded.ids, vectors: embedded.rows, dim: embedded.dim });
  await replaceVectorsFrom(ws.db, model, STAGED);
  await ws.db.run(`DROP TABLE temp.${STAGED}`);
}

/**
 * Frames → samples, thumbnails and embeddings; the video's embedding is their mean. ffmpeg reads
 * the video where it is (a bucket's through a signed URL, see withToolInput) and writes the
 * frames to a local temporary folder; each is stored under `.winnow/frames/<video id>/` as it is
 * embedded.
 */
async function embedVideo(job: Job, video: PendingSample): Promise<Embedded> {
  const dir = await mkdtemp(join(tmpdir(), 'winnow-frames-'));
  try {
    const extracted = await withToolInput(
      job.input,
      video.path,
      (input) => extractFrames(input, dir, job.config.frames),
      { download: true },
    );
    return await storeVideo(job, video, extracted ?? []);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function storeVideo(job: Job, video: PendingSample, extracted: ExtractedFrame[]): Promise<Embedded> {
  const { ws, dataset } = job;
  return ws.db.transaction(async () => {
    // Frames another model already took (same times) keep their samples and ids.
    const existing = await ws.db.all<{ id: number; time: number }>(
      "SELECT sample_id AS id, frame_time AS time FROM winnow.samples WHERE parent_id = ? AND kind = 'frame'",
      [video.id],
    );
    const idAt = new Map(existing.map((f) => [f.time, f.id]));
    const frames: SampleFile[] = [];
    for (const frame of extracted) {
      const path = `${video.path}#t=${frame.time}`;
      const id =
        idAt.get(frame.time) ??
        (await ws.db.value<number>(
          `INSERT INTO winnow.samples (sample_id, dataset_id, kind, path, format, parent_id, frame_time, status)
           VALUES (nextval('winnow.sample_ids'), ?, 'frame', ?, 'jpeg', ?, ?, 'ok') RETURNING sample_id`,
          [dataset.id, path, video.id, frame.time],
        ));
      const read = async () => {
        const bytes = await readFile(frame.file);
        await job.work.write(`frames/${video.id}/${basename(frame.file)}`, bytes, 'image/jpeg');
        return bytes;
      };
      frames.push({ id, path, read });
    }
    const embedded = await embedFiles(job, frames);
    if (!embedded.ids.length) {
      await markCorrupt(ws, [{ ...video, reason: 'no frame could be decoded' }]);
      return embedded;
    }
    const poster = await job.work.read(thumbnailPath(frames[0]!.id));
    await job.work.write(thumbnailPath(video.id), poster, 'image/jpeg');
    await storeVectors(job, embedded);
    await storeVectors(job, { ids: Int32Array.of(video.id), rows: meanRow(embedded), dim: embedded.dim });
    return embedded;
  });
}

interface Box {
  image: number;
  path: string;
  box: number[];
  /** The crop sample made earlier for this box, if any. */
  crop: number | null;
}

/**
 * Crops of the images' boxes (`[x, y, w, h]` in pixels, clipped to the image) that have no
 * embedding of the model yet: each becomes a crop sample (its image as parent, its box, path
 * `<image>#xywh=x,y,w,h`) with its picture under `.winnow/crops/<sample_id>.jpg`, and is
 * embedded. Each image's crops are stored together; an image with no pending box is not read.
 */
async function embedCrops(
  job: Job,
  source: 'annotations' | 'predictions',
  task: string | undefined,
  signal: AbortSignal | undefined,
): Promise<Pick<Embedded, 'ids' | 'dim' | 'failed'>> {
  const { ws, dataset } = job;
  // A box whose crop sample exists (same image, same box) and has this model's vector is done.
  const model = (await listModels(ws.db, dataset.id)).find((m) => m.name === job.config.model);
  const pending = model
    ? `AND (c.sample_id IS NULL OR c.sample_id NOT IN (SELECT sample_id FROM ${embeddingTable(model)}))`
    : '';
  const boxes = await ws.db.all<Box>(
    `SELECT DISTINCT s.sample_id AS image, s.path, b.box::DOUBLE[] AS box, c.sample_id AS crop
     FROM winnow.${source} b JOIN winnow.tasks t USING (task_id) JOIN winnow.samples s USING (sample_id)
     LEFT JOIN winnow.samples c ON c.parent_id = s.sample_id AND c.kind = 'crop' AND c.box = b.box
     WHERE s.dataset_id = ? AND s.kind = 'image' AND s.status = 'ok' AND b.box IS NOT NULL
       AND (? IS NULL OR t.name = ?) ${pending}
     ORDER BY s.sample_id, box`,
    [dataset.id, task ?? null, task ?? null],
  );
  const ids: number[] = [];
  const failed: Embedded['failed'] = [];
  let dim = 0;
  const byImage = new Map<number, Box[]>();
  for (const b of boxes) byImage.set(b.image, [...(byImage.get(b.image) ?? []), b]);
  for (const imageBoxes of byImage.values()) {
    throwIfAborted(signal);
    const done = await ws.db.transaction(async () => {
      const crops = await cropSamples(job, imageBoxes);
      if ('reason' in crops) {
        await markCorrupt(ws, [crops]);
        return { ids: [], dim: 0, failed: [crops] };
      }
      const embedded = await embedFiles(job, crops);
      await storeVectors(job, embedded);
      return embedded;
    });
    ids.push(...done.ids);
    failed.push(...done.failed);
    dim = done.dim || dim;
  }
  return { ids: Int32Array.from(ids), dim, failed };
}

/** The JPEG quality crops are stored at: they are embedded again, so they keep more than thumbnails. */
const CROP_QUALITY = 90;

/**
 * The crop samples of one image's boxes that still need an embedding, their pictures written;
 * or, for an image that cannot be decoded (its header claims a size no decoder may be trusted
 * with, or its pixels are broken), why.
 */
async function cropSamples(job: Job, boxes: Box[]): Promise<SampleFile[] | Embedded['failed'][number]> {
  const { ws, dataset } = job;
  const first = boxes[0]!;
  const bytes = await job.input.read(first.path);
  const problem = headerProblem(bytes);
  if (problem) return { id: first.image, path: first.path, reason: problem };
  // Decoded once; every crop is cut from the same pixels.
  const cut = cropImage(
    bytes,
    boxes.map(({ box }) => [...box]),
    CROP_QUALITY,
    maxPixels(),
  );
  if (cut.error) return { id: first.image, path: first.path, reason: cut.error };
  const crops: SampleFile[] = [];
  for (const [i, { image: parent, path, box, crop }] of boxes.entries()) {
    const picture = cut.crops[i];
    if (!picture) continue; // nothing of the box inside the picture
    const cropPath = `${path}#xywh=${box.map((v) => Math.round(v * 100) / 100).join(',')}`;
    const id =
      crop ??
      (await ws.db.value<number>(
        `INSERT INTO winnow.samples (sample_id, dataset_id, kind, path, format, width, height, parent_id, box, status)
       VALUES (nextval('winnow.sample_ids'), ?, 'crop', ?, 'jpeg', ?, ?, ?, ?::FLOAT[4], 'ok') RETURNING sample_id`,
        [dataset.id, cropPath, picture.width, picture.height, parent, JSON.stringify(box)],
      ));
    await job.work.write(`crops/${id}.jpg`, picture.jpeg, 'image/jpeg');
    crops.push({ id, path: cropPath, read: async () => new Uint8Array(picture.jpeg) });
  }
  return crops;
}

function meanRow({ rows, dim, ids }: Embedded): Float32Array {
  const mean = new Float32Array(dim);
  for (let o = 0; o < rows.length; o += dim)
    for (let j = 0; j < dim; j++) mean[j]! += rows[o + j]! / ids.length;
  normalizeRows(mean, dim);
  return mean;
}

async function pendingSamples(ws: Workspace, dataset: Dataset, modelName: string) {
  const model = (await listModels(ws.db, dataset.id)).find((m) => m.name === modelName);
  const done = model ? `AND sample_id NOT IN (SELECT sample_id FROM ${embeddingTable(model)})` : '';
  const pending = (kind: string) =>
    ws.db.all<PendingSample>(
      `SELECT sample_id AS id, path FROM winnow.samples
       WHERE dataset_id = ? AND kind = ? AND status = 'ok' ${done} ORDER BY sample_id`,
      [dataset.id, kind],
    );
  const [images, videos] = [await pending('image'), await pending('video')];
  const all = await ws.db.value<number>(
    "SELECT count(*) FROM winnow.samples WHERE dataset_id = ? AND kind IN ('image', 'video') AND status = 'ok'",
    [dataset.id],
  );
  return { images, videos, skipped: Number(all) - images.length - videos.length };
}

async function markCorrupt(ws: Workspace, failed: (PendingSample & { reason: string })[]): Promise<void> {
  for (const { id, reason } of failed) {
    await ws.db.run(
      "UPDATE winnow.samples SET status = 'corrupt', reason = ?, updated_at = now() WHERE sample_id = ?",
      [reason, id],
    );
  }
}
