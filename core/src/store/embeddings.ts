import { WinnowError } from '../errors.js';
import type { Database } from './db.js';
import { appendVectors, readVectors, type VectorRows } from './vectors.js';

/**
 * Embeddings are stored per model, in a table of their own with a fixed-size `FLOAT[dim]`
 * column: DuckDB keeps such arrays contiguous, and they come back as one `Float32Array`
 * for the native core (store/vectors.ts).
 */
export interface EmbeddingModel {
  id: number;
  datasetId: number;
  name: string;
  dim: number;
}

const MODEL_NAME = /^[A-Za-z0-9][A-Za-z0-9._:/@+-]{0,127}$/;

/** The table holding a model's vectors: (sample_id INTEGER, vector FLOAT[dim]). */
export function embeddingTable(model: EmbeddingModel): string {
  return `winnow.embeddings_${Number(model.id)}`;
}

export async function listModels(db: Database, datasetId: number): Promise<EmbeddingModel[]> {
  const rows = await db.all<{ model_id: number; name: string; dim: number }>(
    'SELECT model_id, name, dim FROM winnow.embedding_models WHERE dataset_id = ? ORDER BY name',
    [datasetId],
  );
  return rows.map((r) => ({ id: r.model_id, datasetId, name: r.name, dim: r.dim }));
}

/**
 * The model `name` of a dataset; without a name, the dataset's only model. The error names
 * what there is to choose from.
 */
export async function findModel(
  db: Database,
  dataset: { id: number; name: string },
  name?: string,
): Promise<EmbeddingModel> {
  const models = await listModels(db, dataset.id);
  const found =
    name === undefined ? (models.length === 1 ? models[0] : undefined) : models.find((m) => m.name === name);
  if (found) return found;
  if (models.length === 0) {
    throw new WinnowError(
      'not_found',
      `dataset '${dataset.name}' has no embeddings yet; load them with: winnow import --dataset ${dataset.name} --embeddings FILE`,
    );
  }
  const names = models.map((m) => m.name).join(', ');
  throw new WinnowError(
    name === undefined ? 'invalid_argument' : 'not_found',
    name === undefined
      ? `dataset '${dataset.name}' has embeddings of several models (${names}); name one`
      : `dataset '${dataset.name}' has no embeddings of model '${name}' (models: ${names})`,
  );
}

/**
 * The model `name`, created when new. A model's dimension is fixed: vectors of another size
 * belong to another model. Call inside a transaction.
 */
export async function ensureModel(
  db: Database,
  datasetId: number,
  name: string,
  dim: number,
  source: unknown,
): Promise<EmbeddingModel> {
  if (!MODEL_NAME.test(name)) {
    throw new WinnowError(
      'invalid_argument',
      `--model '${name}': use letters, digits and . _ : / @ + - (at most 128, starting with a letter or digit)`,
    );
  }
  const existing = (await listModels(db, datasetId)).find((m) => m.name === name);
  if (existing) {
    if (existing.dim !== dim) {
      throw new WinnowError(
        'invalid_argument',
        `model '${name}' holds ${existing.dim}-dimensional embeddings, these have ${dim}: give them another --model name`,
      );
    }
    await db.run('UPDATE winnow.embedding_models SET source = ?, updated_at = now() WHERE model_id = ?', [
      JSON.stringify(source),
      existing.id,
    ]);
    return existing;
  }
  const id = await db.value<number>(
    'INSERT INTO winnow.embedding_models (dataset_id, name, dim, source) VALUES (?, ?, ?, ?) RETURNING model_id',
    [datasetId, name, dim, JSON.stringify(source)],
  );
  const model = { id, datasetId, name, dim };
  await db.run(
    `CREATE TABLE ${embeddingTable(model)} (sample_id INTEGER NOT NULL, vector FLOAT[${dim}] NOT NULL)`,
  );
  return model;
}

/**
 * Stores vectors for the samples in `temp.<table>` (sample_id, vector), replacing the model's
 * earlier vectors of those samples. Call inside a transaction.
 */
export async function replaceVectorsFrom(
  db: Database,
  model: EmbeddingModel,
  table: string,
): Promise<number> {
  const target = embeddingTable(model);
  await db.run(`DELETE FROM ${target} WHERE sample_id IN (SELECT sample_id FROM temp.${table})`);
  await db.run(`INSERT INTO ${target} SELECT sample_id, vector FROM temp.${table} ORDER BY sample_id`);
  return db.value<number>(`SELECT count(*) FROM temp.${table}`);
}

/** Stages vectors held in JavaScript as temp.<table> (sample_id, vector), for replaceVectorsFrom. */
export async function stageVectors(db: Database, table: string, rows: VectorRows): Promise<void> {
  await db.run(
    `CREATE OR REPLACE TEMP TABLE ${table} (sample_id INTEGER NOT NULL, vector FLOAT[${rows.dim}] NOT NULL)`,
  );
  await appendVectors(db, table, rows);
}

/**
 * The vectors of the samples listed in `temp.<candidates>` (columns sample_id, position), in
 * position order; samples without a vector are left out (`ids` says which rows came back).
 */
export async function loadVectors(
  db: Database,
  model: EmbeddingModel,
  candidates: string,
): Promise<VectorRows> {
  const from = `FROM temp.${candidates} c JOIN ${embeddingTable(model)} e USING (sample_id)`;
  const rows = await db.value<number>(`SELECT count(*) ${from}`);
  return readVectors(db, `SELECT c.sample_id, e.vector ${from} ORDER BY c.position`, [], model.dim, rows);
}
