import * as native from '@winnow-curate/native';
import { type LongTaskOptions, throwIfAborted, WinnowError } from '../errors.js';
import type { Database } from '../store/db.js';
import { type EmbeddingModel, embeddingTable, findModel, loadVectors } from '../store/embeddings.js';
import { withRun } from '../store/runs.js';
import type { Dataset, Workspace } from '../store/workspace.js';

/**
 * Analyses over a model's embeddings that feed the UI and later selections: typicality (stored
 * as metadata), a 2-D PaCMAP layout (stored as a projection) and near-duplicate groups. Each
 * run covers the dataset's current samples that have a vector, and replaces that analysis's
 * earlier result.
 */
export interface AnalyzeOptions extends LongTaskOptions {
  model?: string;
  /** Store typicality as this metadata key (`typicality` by default). */
  typicality?: boolean | string;
  /** Store a PaCMAP layout under this projection name (`<model>-pacmap` by default). */
  projection?: boolean | string;
  /** Group samples closer than this cosine distance. */
  duplicates?: number;
  seed?: number;
}

export interface AnalyzeSummary {
  run_id: string;
  dataset: string;
  model: string;
  samples: number;
  typicality?: { key: string; mean: number };
  projection?: { name: string; points: number };
  duplicates?: { threshold: number; groups: number; samples: number };
  seconds: number;
}

export async function analyze(
  ws: Workspace,
  dataset: Dataset,
  options: AnalyzeOptions,
): Promise<AnalyzeSummary> {
  const started = performance.now();
  if (!options.typicality && !options.projection && options.duplicates === undefined) {
    throw new WinnowError(
      'invalid_argument',
      'choose at least one of --typicality, --projection, --duplicates',
    );
  }
  if (options.duplicates !== undefined && !(options.duplicates >= 0 && Number.isFinite(options.duplicates))) {
    throw new WinnowError('invalid_argument', `--duplicates ${options.duplicates}: give a distance >= 0`);
  }
  const db = ws.db;
  const model = await findModel(db, dataset, options.model);
  const config = { ...options, model: model.name, onProgress: undefined, signal: undefined };
  const progress = (phase: string) => (done: number, total: number) =>
    options.onProgress?.({ phase, done, total });
  return withRun(db, dataset.id, 'analysis', config, async (runId) => {
    const { ids, vectors } = await samplesWithVectors(db, dataset, model);
    if (ids.length < 2) {
      throw new WinnowError(
        'invalid_input',
        `dataset '${dataset.name}' has ${ids.length} samples with ${model.name} embeddings; analyses need 2 or more`,
      );
    }
    const summary: AnalyzeSummary = {
      run_id: runId,
      dataset: dataset.name,
      model: model.name,
      samples: ids.length,
      seconds: 0,
    };
    const signal = options.signal;
    if (options.typicality) {
      const key = typeof options.typicality === 'string' ? options.typicality : 'typicality';
      const k = Math.min(20, ids.length - 1);
      const values = await native.typicality(
        vectors,
        model.dim,
        { k, onProgress: progress('typicality') },
        signal,
      );
      throwIfAborted(signal);
      await db.transaction(() => storeMetadataValues(db, dataset.id, key, ids, values));
      summary.typicality = { key, mean: values.reduce((a, b) => a + b, 0) / values.length };
    }
    if (options.projection) {
      const name = typeof options.projection === 'string' ? options.projection : `${model.name}-pacmap`;
      const seed = options.seed ?? 0;
      const xy = await native.pacmap(
        vectors,
        model.dim,
        { seed, onProgress: progress('projection') },
        signal,
      );
      throwIfAborted(signal);
      await db.transaction(() =>
        storeProjection(db, dataset.id, model, name, runId, { method: 'pacmap', seed }, ids, xy),
      );
      summary.projection = { name, points: ids.length };
    }
    if (options.duplicates !== undefined) {
      const threshold = options.duplicates;
      const groups = await native.duplicateGroups(
        vectors,
        model.dim,
        threshold,
        { metric: 'cosine', onProgress: progress('duplicates') },
        signal,
      );
      throwIfAborted(signal);
      const members = await db.transaction(() =>
        storeDuplicates(db, dataset.id, model, runId, threshold, ids, groups),
      );
      summary.duplicates = { threshold, groups: groups.representatives.length, samples: members };
    }
    summary.seconds = (performance.now() - started) / 1000;
    return summary;
  });
}

async function samplesWithVectors(db: Database, dataset: Dataset, model: EmbeddingModel) {
  await db.run(
    `CREATE OR REPLACE TEMP TABLE analyze_samples AS
     SELECT s.sample_id, s.sample_id AS position FROM winnow.samples s
     WHERE s.dataset_id = ? AND s.status = 'ok' AND s.sample_id IN (SELECT sample_id FROM ${embeddingTable(model)})`,
    [dataset.id],
  );
  const rows = await loadVectors(db, model, 'analyze_samples');
  await db.run('DROP TABLE temp.analyze_samples');
  return rows;
}

/** Replaces metadata `key` (a float) with one value per sample. */
async function storeMetadataValues(
  db: Database,
  datasetId: number,
  key: string,
  ids: Int32Array,
  values: Float32Array,
) {
  const type = await db.value<string | undefined>(
    'SELECT type FROM winnow.metadata_fields WHERE dataset_id = ? AND key = ?',
    [datasetId, key],
  );
  if (type !== undefined && type !== 'float') {
    throw new WinnowError(
      'invalid_argument',
      `metadata '${key}' already holds ${type} values; store typicality under another key`,
    );
  }
  if (type === undefined) {
    await db.run("INSERT INTO winnow.metadata_fields VALUES (?, ?, 'float', false)", [datasetId, key]);
  }
  await db.run('DELETE FROM winnow.metadata WHERE dataset_id = ? AND key = ?', [datasetId, key]);
  const stage = await db.stage('analyze_values', { sample_id: 'INTEGER', value: 'DOUBLE' });
  for (const [i, id] of ids.entries()) stage.append([id, values[i]!]);
  stage.close();
  await db.run(
    `INSERT INTO winnow.metadata (dataset_id, sample_id, key, value_num)
     SELECT ?, sample_id, ?, value FROM temp.analyze_values ORDER BY sample_id`,
    [datasetId, key],
  );
  await stage.drop();
}

async function storeProjection(
  db: Database,
  datasetId: number,
  model: EmbeddingModel,
  name: string,
  runId: string,
  params: unknown,
  ids: Int32Array,
  xy: Float32Array,
) {
  const old = await db.value<number | undefined>(
    'SELECT projection_id FROM winnow.projections WHERE dataset_id = ? AND name = ?',
    [datasetId, name],
  );
  if (old !== undefined) {
    await db.run('DELETE FROM winnow.coordinates WHERE projection_id = ?', [old]);
    await db.run('DELETE FROM winnow.projections WHERE projection_id = ?', [old]);
  }
  const id = await db.value<number>(
    `INSERT INTO winnow.projections (dataset_id, model_id, name, method, params, run_id) VALUES (?, ?, ?, 'pacmap', ?, ?) RETURNING projection_id`,
    [datasetId, model.id, name, JSON.stringify(params), runId],
  );
  const stage = await db.stage('analyze_xy', { sample_id: 'INTEGER', x: 'DOUBLE', y: 'DOUBLE' });
  for (const [i, sample] of ids.entries()) stage.append([sample, xy[2 * i]!, xy[2 * i + 1]!]);
  stage.close();
  await db.run(
    'INSERT INTO winnow.coordinates SELECT ?, sample_id, x, y FROM temp.analyze_xy ORDER BY sample_id',
    [id],
  );
  await stage.drop();
}

/** Replaces the model's duplicate groups; returns how many samples are in a group. */
async function storeDuplicates(
  db: Database,
  datasetId: number,
  model: EmbeddingModel,
  runId: string,
  threshold: number,
  ids: Int32Array,
  groups: { groupOf: Int32Array; representatives: Uint32Array },
): Promise<number> {
  await db.run('DELETE FROM winnow.duplicate_groups WHERE dataset_id = ? AND model_id = ?', [
    datasetId,
    model.id,
  ]);
  const stage = await db.stage('analyze_groups', {
    group_id: 'INTEGER',
    sample_id: 'INTEGER',
    representative: 'BOOLEAN',
  });
  let members = 0;
  groups.groupOf.forEach((group, i) => {
    if (group < 0) return;
    members++;
    stage.append([group, ids[i]!, groups.representatives[group] === i]);
  });
  stage.close();
  await db.run(
    `INSERT INTO winnow.duplicate_groups SELECT ?, ?, ?, ?, group_id, sample_id, representative FROM temp.analyze_groups ORDER BY group_id, sample_id`,
    [datasetId, model.id, runId, threshold],
  );
  await stage.drop();
  return members;
}
