import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { type LongTaskOptions, throwIfAborted, WinnowError } from '../errors.js';
import { embeddingTable, ensureModel, listModels, stageVectors } from '../store/embeddings.js';
import { withRun } from '../store/runs.js';
import type { Dataset, Workspace } from '../store/workspace.js';
import { ImageEmbedder, imageTensor } from './embedder.js';
import { resolveModel } from './model.js';

export interface EmbedOptions extends LongTaskOptions {
  /** A built-in model's name or a model config file. */
  model: string;
  /** Images per inference call (default 32). */
  batchSize?: number;
  /** Longest side of the thumbnails (default 256). */
  thumbnailSize?: number;
}

export interface EmbedSummary {
  run_id: string;
  dataset: string;
  model: string;
  dim: number;
  /** Samples embedded by this run. */
  embedded: number;
  /** Images that already had an embedding of this model. */
  skipped: number;
  /** Images that could not be decoded: marked corrupt with the reason. */
  corrupt: { path: string; reason: string }[];
  thumbnails: string;
  seconds: number;
}

const STAGED = 'embed_vectors';

/**
 * Embeds the dataset's images that have no embedding of the model yet, batch by batch; each
 * batch's vectors are committed before the next starts, so an interrupted run loses at most
 * one batch and a re-run continues where it stopped. Every image's thumbnail (JPEG, longest side
 * `thumbnailSize`) is written under the work location's `.winnow/thumbnails/<sample_id>.jpg`
 * from the same bytes, read once.
 */
export async function embedDataset(
  ws: Workspace,
  dataset: Dataset,
  options: EmbedOptions,
): Promise<EmbedSummary> {
  if (dataset.input.kind !== 'local' || dataset.work.kind !== 'local') {
    throw new WinnowError(
      'invalid_argument',
      `dataset '${dataset.name}': embedding needs local input and work folders`,
    );
  }
  const batchSize = options.batchSize ?? 32;
  const spec = await resolveModel(options.model);
  const embedder = await ImageEmbedder.open(spec);
  const db = ws.db;
  const started = performance.now();
  const thumbnails = join(dataset.work.uri, '.winnow', 'thumbnails');
  await mkdir(thumbnails, { recursive: true });
  const config = { model: spec.name, batchSize, thumbnailSize: options.thumbnailSize ?? 256 };
  try {
    return await withRun(db, dataset.id, 'embedding', config, async (runId) => {
      const { pending, skipped } = await pendingImages(ws, dataset, spec.name);
      const summary: EmbedSummary = {
        run_id: runId,
        dataset: dataset.name,
        model: spec.name,
        dim: 0,
        embedded: 0,
        skipped,
        corrupt: [],
        thumbnails,
        seconds: 0,
      };
      for (let from = 0; from < pending.length; from += batchSize) {
        throwIfAborted(options.signal);
        const batch = pending.slice(from, from + batchSize);
        const decoded = await Promise.all(
          batch.map((s) =>
            prepare(join(dataset.input.uri, s.path), s.id, embedder, thumbnails, config.thumbnailSize),
          ),
        );
        const ok = batch.filter((_, i) => decoded[i]!.tensor);
        const failed = batch.flatMap((s, i) => {
          const reason = decoded[i]!.error;
          return reason ? [{ ...s, reason }] : [];
        });
        if (ok.length) {
          const { dim, rows } = await embedder.embedTensors(
            decoded.flatMap((d) => (d.tensor ? [d.tensor] : [])),
          );
          summary.dim = dim;
          await db.transaction(async () => {
            const model = await ensureModel(db, dataset.id, spec.name, dim, config);
            await stageVectors(db, STAGED, { ids: Int32Array.from(ok, (s) => s.id), vectors: rows, dim });
            await db.run(`INSERT INTO ${embeddingTable(model)} SELECT sample_id, vector FROM temp.${STAGED}`);
            await db.run(`DROP TABLE temp.${STAGED}`);
          });
        }
        await markCorrupt(ws, failed);
        summary.corrupt.push(...failed.map(({ path, reason }) => ({ path, reason })));
        summary.embedded += ok.length;
        options.onProgress?.({ phase: 'embed', done: from + batch.length, total: pending.length });
      }
      summary.seconds = (performance.now() - started) / 1000;
      return summary;
    });
  } finally {
    await embedder.close();
  }
}

interface PendingImage {
  id: number;
  path: string;
}

async function pendingImages(ws: Workspace, dataset: Dataset, modelName: string) {
  const model = (await listModels(ws.db, dataset.id)).find((m) => m.name === modelName);
  const done = model ? `AND sample_id NOT IN (SELECT sample_id FROM ${embeddingTable(model)})` : '';
  const pending = await ws.db.all<PendingImage>(
    `SELECT sample_id AS id, path FROM winnow.samples
     WHERE dataset_id = ? AND kind = 'image' AND status = 'ok' ${done} ORDER BY sample_id`,
    [dataset.id],
  );
  const images = await ws.db.value<number>(
    "SELECT count(*) FROM winnow.samples WHERE dataset_id = ? AND kind = 'image' AND status = 'ok'",
    [dataset.id],
  );
  return { pending, skipped: Number(images) - pending.length };
}

/** Reads the file once; makes its thumbnail and its input tensor, or says why it cannot. */
async function prepare(
  file: string,
  id: number,
  embedder: ImageEmbedder,
  thumbnails: string,
  size: number,
): Promise<{ tensor?: Float32Array; error?: string }> {
  try {
    const bytes = await readFile(file);
    const [tensor] = await Promise.all([
      imageTensor(bytes, embedder.spec.config),
      sharp(bytes)
        .rotate()
        .resize(size, size, { fit: 'inside', withoutEnlargement: true })
        .jpeg({ quality: 80 })
        .toFile(join(thumbnails, `${id}.jpg`)),
    ]);
    return { tensor };
  } catch (error) {
    return { error: (error as Error).message.split('\n')[0] };
  }
}

async function markCorrupt(ws: Workspace, failed: (PendingImage & { reason: string })[]): Promise<void> {
  for (const { id, reason } of failed) {
    await ws.db.run(
      "UPDATE winnow.samples SET status = 'corrupt', reason = ?, updated_at = now() WHERE sample_id = ?",
      [reason, id],
    );
  }
}
