import { WinnowError } from '../errors.js';
import { type Database, sqlString as literal } from '../store/db.js';
import type { Dataset } from '../store/workspace.js';
import type { ClassInput, ValueInput } from './config.js';
import { ITEMS, MEMBERS } from './items.js';

/**
 * The numbers strategies run on, per item: a value (scores, metadata, category counts, random)
 * or a class distribution. Each is first a per-sample SQL source, checked against the store
 * before any work, then averaged over an item's samples.
 */

/** Lightly's active-learning scores, from each prediction's probabilities (or its score as p_max of two classes). */
const UNCERTAINTY: Record<string, string> = {
  uncertainty_least_confidence: '(1 - p_max) / (1 - 1 / classes)',
  uncertainty_margin: '1 - (p_max - p_second)',
  uncertainty_entropy: 'entropy / ln(classes)',
};
const SUMMARY_SCORES = ['max_score', 'min_score', 'mean_score'];
export const SCORE_NAMES = [...SUMMARY_SCORES, ...Object.keys(UNCERTAINTY)];

export interface ResolvedValue {
  /** SQL yielding (sample_id, value) for the dataset's samples that have one. */
  sql: string;
  /** Values computed in JavaScript instead (random), from the sample id. */
  compute?: (sampleId: number) => number;
  describe: string;
}

/** Checks that a value input names what exists, and returns its source. */
export async function resolveValue(
  db: Database,
  dataset: Dataset,
  input: ValueInput,
  path: string,
): Promise<ResolvedValue> {
  const ds = Number(dataset.id);
  switch (input.type) {
    case 'METADATA': {
      const field = await metadataField(db, dataset, input.key, `${path}.input.key`);
      if (field.type === 'string') {
        throw new WinnowError(
          'invalid_argument',
          `${path}.input.key: metadata '${input.key}' holds text; WEIGHTS and THRESHOLD need numbers`,
        );
      }
      const value = field.type === 'bool' ? 'value_bool::DOUBLE' : 'value_num';
      return {
        sql: `SELECT sample_id, ${value} AS value FROM winnow.metadata WHERE dataset_id = ${ds} AND key = ${literal(input.key)}`,
        describe: `metadata ${input.key}`,
      };
    }
    case 'SCORES': {
      const taskId = await taskIdOf(db, dataset, input.task, `${path}.input.task`);
      if (SUMMARY_SCORES.includes(input.score)) {
        return {
          sql: `SELECT sample_id, ${input.score} AS value FROM winnow.prediction_scores WHERE task_id = ${taskId}`,
          describe: `${input.task} ${input.score}`,
        };
      }
      const formula = UNCERTAINTY[input.score];
      if (!formula) {
        throw new WinnowError(
          'invalid_argument',
          `${path}.input.score: '${input.score}' is not a score (scores: ${SCORE_NAMES.join(', ')})`,
        );
      }
      return { sql: uncertaintySql(taskId, formula), describe: `${input.task} ${input.score}` };
    }
    case 'CATEGORY_COUNT': {
      const taskId = await taskIdOf(db, dataset, input.task, `${path}.input.task`);
      const categoryId = await categoryIdOf(db, taskId, input, `${path}.input.category`);
      return {
        sql: `SELECT m.sample_id, count(p.sample_id)::DOUBLE AS value FROM (SELECT DISTINCT sample_id FROM temp.${MEMBERS}) m
              LEFT JOIN winnow.predictions p ON p.sample_id = m.sample_id AND p.task_id = ${taskId} AND p.category_id = ${categoryId}
              GROUP BY m.sample_id`,
        describe: `${input.task} count of ${input.category}`,
      };
    }
    case 'RANDOM':
      return { sql: '', compute: (id) => uniform(input.seed, id), describe: `random (seed ${input.seed})` };
  }
}

function uncertaintySql(taskId: number, formula: string): string {
  // Per prediction: p_max, p_second and entropy over its probabilities; a bare score s counts as [s, 1 - s].
  return `WITH p AS (
      SELECT sample_id,
        coalesce(probabilities, [score, 1 - score]) AS probs
      FROM winnow.predictions WHERE task_id = ${taskId} AND (probabilities IS NOT NULL OR score IS NOT NULL)),
    q AS (
      SELECT sample_id, len(probs) AS classes, list_sort(probs, 'DESC') AS sorted,
        -list_sum(list_transform(probs, x -> CASE WHEN x > 0 THEN x * ln(x) ELSE 0 END)) AS entropy
      FROM p WHERE len(probs) >= 2),
    r AS (SELECT sample_id, classes, sorted[1] AS p_max, sorted[2] AS p_second, entropy FROM q)
    SELECT sample_id, avg(${formula}) AS value FROM r GROUP BY sample_id`;
}

/** A uniform number in (0, 1] from the seed and the sample id (SplitMix32-style mixing): stable as the dataset grows. */
export function uniform(seed: number, sampleId: number): number {
  let h = (Math.imul(seed | 0, 0x9e3779b1) ^ Math.imul(sampleId | 0, 0x85ebca6b)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b) >>> 0;
  h = (h ^ (h >>> 16)) >>> 0;
  return (h + 1) / 4294967296;
}

export interface ResolvedClasses {
  /** SQL yielding (sample_id, class, value): the sample's weight on each class (0-based). */
  sql: string;
  classes: string[];
  describe: string;
}

/** Checks a class input and returns its per-sample class distribution source and class names. */
export async function resolveClasses(
  db: Database,
  dataset: Dataset,
  input: ClassInput,
  path: string,
): Promise<ResolvedClasses> {
  if (input.type === 'METADATA') {
    const field = await metadataField(db, dataset, input.key, `${path}.input.key`);
    const value =
      field.type === 'string'
        ? 'value_str'
        : field.type === 'bool'
          ? 'value_bool::VARCHAR'
          : 'value_num::VARCHAR';
    const source = `SELECT sample_id, ${value} AS label FROM winnow.metadata WHERE dataset_id = ${Number(dataset.id)} AND key = ${literal(input.key)} AND ${value} IS NOT NULL`;
    const classes = (
      await db.all<{ label: string }>(`SELECT DISTINCT label FROM (${source}) ORDER BY label`)
    ).map((r) => r.label);
    return {
      sql: `SELECT s.sample_id, c.class, 1.0 AS value FROM (${source}) s
            JOIN (SELECT unnest(${literal(JSON.stringify(classes))}::VARCHAR[]) AS label, generate_subscripts(${literal(JSON.stringify(classes))}::VARCHAR[], 1) - 1 AS class) c USING (label)`,
      classes,
      describe: `metadata ${input.key}`,
    };
  }
  const taskId = await taskIdOf(db, dataset, input.task, `${path}.input.task`);
  const categories = await db.all<{ category_id: number; name: string }>(
    'SELECT category_id, name FROM winnow.categories WHERE task_id = ? ORDER BY category_id',
    [taskId],
  );
  const index = `(SELECT category_id, (row_number() OVER (ORDER BY category_id) - 1) AS class FROM winnow.categories WHERE task_id = ${taskId})`;
  // Classification with probabilities: the probabilities (stored in category id order); otherwise
  // each sample's predictions counted per class, as fractions of its predictions.
  return {
    sql: `SELECT sample_id, generate_subscripts(probabilities, 1) - 1 AS class, unnest(probabilities) AS value
        FROM winnow.predictions WHERE task_id = ${taskId} AND probabilities IS NOT NULL
      UNION ALL
      SELECT sample_id, i.class, count(*) / sum(count(*)) OVER (PARTITION BY sample_id) AS value
        FROM winnow.predictions JOIN ${index} i USING (category_id)
        WHERE task_id = ${taskId} AND probabilities IS NULL GROUP BY sample_id, i.class`,
    classes: categories.map((c) => c.name),
    describe: `${input.task} class distribution`,
  };
}

/** Per position (0..n-1), the mean of the item's samples' values; NaN where none has one. */
export async function itemValues(db: Database, value: ResolvedValue, n: number): Promise<Float64Array> {
  const out = new Float64Array(n).fill(Number.NaN);
  if (value.compute) {
    const rows = await db.all<{ position: number; ids: number[] }>(
      'SELECT position, list(sample_id ORDER BY sample_id) AS ids FROM temp.select_positions GROUP BY position',
    );
    for (const r of rows)
      out[r.position] = r.ids.reduce((sum, id) => sum + value.compute!(id), 0) / r.ids.length;
    return out;
  }
  const rows = await db.all<{ position: number; value: number | null }>(
    `SELECT p.position, avg(v.value) AS value FROM temp.select_positions p JOIN (${value.sql}) v USING (sample_id)
     GROUP BY p.position`,
  );
  for (const r of rows) if (r.value !== null) out[r.position] = r.value;
  return out;
}

/** Per item (by item number, not position): its mean value, as a temp table for filtering. */
export async function stageItemValues(db: Database, value: ResolvedValue, table: string): Promise<void> {
  if (value.compute) {
    const rows = await db.all<{ item: number; ids: number[] }>(
      `SELECT item, list(sample_id) AS ids FROM temp.${MEMBERS} JOIN temp.${ITEMS} USING (item) GROUP BY item`,
    );
    const stage = await db.stage(table, { item: 'INTEGER', value: 'DOUBLE' });
    for (const r of rows)
      stage.append([r.item, r.ids.reduce((s, id) => s + value.compute!(id), 0) / r.ids.length]);
    stage.close();
    return;
  }
  await db.run(`CREATE OR REPLACE TEMP TABLE ${table} AS
    SELECT m.item, avg(v.value) AS value FROM temp.${MEMBERS} m JOIN temp.${ITEMS} USING (item)
    JOIN (${value.sql}) v USING (sample_id) GROUP BY m.item`);
}

/** n × classes, row-major: each item's class distribution, the mean of its samples'. */
export async function itemClassRows(
  db: Database,
  classes: ResolvedClasses,
  n: number,
): Promise<Float32Array> {
  const width = classes.classes.length;
  const out = new Float32Array(n * width);
  const rows = await db.all<{ position: number; class: number; value: number }>(
    `SELECT p.position, c.class, sum(c.value) / any_value(k.members) AS value
     FROM temp.select_positions p JOIN (${classes.sql}) c USING (sample_id)
     JOIN (SELECT position, count(*) AS members FROM temp.select_positions GROUP BY position) k USING (position)
     GROUP BY p.position, c.class`,
  );
  for (const r of rows) out[r.position * width + r.class] = r.value;
  return out;
}

async function metadataField(
  db: Database,
  dataset: Dataset,
  key: string,
  path: string,
): Promise<{ type: 'int' | 'float' | 'string' | 'bool' }> {
  const field = await db.one<{ type: 'int' | 'float' | 'string' | 'bool' }>(
    'SELECT type FROM winnow.metadata_fields WHERE dataset_id = ? AND key = ?',
    [dataset.id, key],
  );
  if (field) return field;
  const keys = await db.all<{ key: string }>(
    'SELECT key FROM winnow.metadata_fields WHERE dataset_id = ? ORDER BY key',
    [dataset.id],
  );
  throw new WinnowError(
    'not_found',
    `${path}: dataset '${dataset.name}' has no metadata '${key}'${keys.length ? ` (keys: ${keys.map((k) => k.key).join(', ')})` : ''}`,
  );
}

async function taskIdOf(db: Database, dataset: Dataset, task: string, path: string): Promise<number> {
  const id = await db.value<number | undefined>(
    'SELECT task_id FROM winnow.tasks WHERE dataset_id = ? AND name = ?',
    [dataset.id, task],
  );
  if (id !== undefined) return id;
  const tasks = await db.all<{ name: string }>(
    'SELECT name FROM winnow.tasks WHERE dataset_id = ? ORDER BY name',
    [dataset.id],
  );
  throw new WinnowError(
    'not_found',
    `${path}: dataset '${dataset.name}' has no task '${task}'${tasks.length ? ` (tasks: ${tasks.map((t) => t.name).join(', ')})` : ''}`,
  );
}

async function categoryIdOf(
  db: Database,
  taskId: number,
  input: { task: string; category: string },
  path: string,
): Promise<number> {
  const id = await db.value<number | undefined>(
    'SELECT category_id FROM winnow.categories WHERE task_id = ? AND name = ?',
    [taskId, input.category],
  );
  if (id !== undefined) return id;
  throw new WinnowError('not_found', `${path}: task '${input.task}' has no category '${input.category}'`);
}
