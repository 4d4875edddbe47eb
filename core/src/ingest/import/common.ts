import { resolve } from 'node:path';
import { InputError, type LongTaskOptions, throwIfAborted, WinnowError } from '../../errors.js';
import type { Database } from '../../store/db.js';
import { refreshPredictionScores } from '../../store/derived.js';
import { recordAnnotationHistory } from '../../store/history.js';
import { finishRun, startRun } from '../../store/runs.js';
import type { Dataset, Workspace } from '../../store/workspace.js';

/**
 * The database side shared by every importer: the run record, matching input filenames to
 * samples, tasks and categories, and writing predictions, annotations or metadata set-wise
 * from staging tables. Importers parse and validate first, then call these inside one
 * transaction.
 */

export type ImportTarget = 'predictions' | 'annotations';

export const TASK_TYPES = [
  'classification',
  'object-detection',
  'semantic-segmentation',
  'instance-segmentation',
  'keypoint-detection',
] as const;
export type TaskType = (typeof TASK_TYPES)[number];

export interface ImportSummary {
  run_id: string;
  kind: string;
  dataset: string;
  target?: ImportTarget;
  task?: string;
  /** Samples the input named that exist in the dataset. */
  samples: number;
  /** Rows written: predictions, annotations or metadata values. */
  records: number;
  /** Filenames in the input with no sample, at most 20 listed. */
  unmatched: string[];
  unmatched_count: number;
  /** Metadata keys written. */
  fields?: string[];
  /** Embeddings: the model and its dimension. */
  model?: string;
  dim?: number;
}

export type ImportOutcome = Omit<ImportSummary, 'run_id' | 'dataset'>;

export interface RunConfig {
  format: string;
  source: string;
  as?: ImportTarget;
  task?: string;
  classes?: string;
}

/**
 * Wraps an import in a run row. The row is written in its own transactions, before and after
 * the import's, so a failed import leaves the run marked failed while its data rolls back.
 */
export async function recordRun(
  ws: Workspace,
  dataset: Dataset,
  config: RunConfig,
  work: (runId: string) => Promise<ImportOutcome>,
): Promise<ImportSummary> {
  const db = ws.db;
  const recorded = { ...config, source: resolve(config.source) };
  const runId = await db.transaction(() => startRun(db, dataset.id, 'import', recorded));
  try {
    const outcome = await work(runId);
    const summary: ImportSummary = { run_id: runId, dataset: dataset.name, ...outcome };
    await db.transaction(() => finishRun(db, runId, { status: 'done', stats: summary }));
    return summary;
  } catch (error) {
    const cancelled = error instanceof WinnowError && error.code === 'cancelled';
    const message = error instanceof Error ? error.message : String(error);
    await db.transaction(() =>
      finishRun(db, runId, { status: cancelled ? 'cancelled' : 'failed', error: message }),
    );
    throw error;
  }
}

export function reportWrite(options: LongTaskOptions, done: number, total: number): void {
  options.onProgress?.({ phase: 'write', done, total });
}

// ---------------------------------------------------------------------------------------------
// Matching input filenames to samples

/**
 * `path`: the input names a file as it is (`sub/a.jpg`). `stem`: the input names it without
 * its extension (YOLO's `sub/a.txt` labels `sub/a.jpg`, `sub/a.png`, ...).
 */
export type MatchBy = 'path' | 'stem';

export interface Matched {
  samples: number;
  unmatched: string[];
  unmatched_count: number;
}

/** One input name: `name` is what records refer to; `file` is what the user sees if it is unmatched. */
export interface InputName {
  name: string;
  file: string;
}

export const NAMES = 'import_names';
const CANDIDATES = 'import_candidates';
/** name → sample_id, width, height; what the writers below join records against. */
export const MATCHES = 'import_matches';
const UNMATCHED_LISTED = 20;

/** Fills temp.import_names (name, file); matchStagedNames reads it. */
export async function stageNames(db: Database, names: Iterable<InputName>): Promise<void> {
  const stage = await db.stage(NAMES, { name: 'VARCHAR', file: 'VARCHAR' });
  for (const { name, file } of names) stage.append([name, file]);
  stage.close();
}

/** Stages the input's names, then matches them (see matchStagedNames). */
export async function matchNames(
  db: Database,
  datasetId: number,
  names: Iterable<InputName>,
  by: MatchBy,
  source: string,
  options: { sizes?: boolean } = {},
): Promise<Matched> {
  await stageNames(db, names);
  return matchStagedNames(db, datasetId, by, source, options);
}

/**
 * Matches temp.import_names to the dataset's samples, set-wise: by exact relative path (or
 * stem), and for names left over, by basename when it picks one sample, preferring a sample
 * whose path and the name end alike (`images/train/a.jpg` for `train/a.jpg`). A name that
 * fits no sample, or several equally, is unmatched, which is reported but not an error.
 * With `sizes`, only samples of known width and height match (normalized boxes need them).
 */
export async function matchStagedNames(
  db: Database,
  datasetId: number,
  by: MatchBy,
  source: string,
  options: { sizes?: boolean } = {},
): Promise<Matched> {
  const key = by === 'stem' ? `regexp_replace(path, '\\.[^./]*$', '')` : 'path';
  const sized = options.sizes ? ' AND width > 0 AND height > 0' : '';
  const samples = `SELECT sample_id, path, width, height, ${key} AS key
    FROM winnow.samples WHERE dataset_id = ${Number(datasetId)} AND status <> 'removed'${sized}`;
  await db.run(`CREATE OR REPLACE TEMP TABLE ${CANDIDATES} AS
    SELECT n.name, s.sample_id, s.path, s.width, s.height
    FROM temp.${NAMES} n JOIN (${samples}) s ON s.key = n.name`);
  await addBasenameCandidates(db, samples);
  await db.run(`CREATE OR REPLACE TEMP TABLE ${MATCHES} AS
    SELECT name, any_value(sample_id) AS sample_id, any_value(path) AS path,
      any_value(width) AS width, any_value(height) AS height
    FROM temp.${CANDIDATES} GROUP BY name HAVING count(*) = 1`);
  await db.run(`DROP TABLE temp.${CANDIDATES}`);
  await refuseSharedSamples(db, source);
  return matchedSummary(db);
}

/**
 * For names with no exact match only: joining every name on basename would multiply rows
 * wherever many folders hold the same file names (frame_0001.jpg...).
 */
async function addBasenameCandidates(db: Database, samples: string): Promise<void> {
  await db.run(`INSERT INTO temp.${CANDIDATES}
    WITH n AS (
      SELECT name, regexp_replace(name, '^.*/', '') AS base FROM temp.${NAMES}
      WHERE name NOT IN (SELECT name FROM temp.${CANDIDATES})
    ),
    s AS (
      SELECT *, regexp_replace(key, '^.*/', '') AS base FROM (${samples})
      WHERE regexp_replace(key, '^.*/', '') IN (SELECT base FROM n)
    ),
    c AS (
      SELECT n.name, s.sample_id, s.path, s.width, s.height,
        CASE WHEN ends_with(s.key, '/' || n.name) OR ends_with(n.name, '/' || s.key) THEN 1 ELSE 2 END AS tier
      FROM n JOIN s USING (base)
    )
    SELECT name, sample_id, path, width, height FROM c QUALIFY tier = min(tier) OVER (PARTITION BY name)`);
}

/**
 * How many names matched, and some that did not. Those are listed only when some name matched: an
 * input naming no sample at all is most likely not this dataset's (or no such input: a column of
 * any file given as a metadata table), and its names, which are that file's content, stay unsaid.
 */
async function matchedSummary(db: Database): Promise<Matched> {
  const unmatchedSql = `FROM temp.${NAMES} WHERE name NOT IN (SELECT name FROM temp.${MATCHES})`;
  const samples = await db.value<number>(`SELECT count(*) FROM temp.${MATCHES}`);
  const unmatched = samples
    ? await db.all<{ file: string }>(`SELECT file ${unmatchedSql} ORDER BY file LIMIT ${UNMATCHED_LISTED}`)
    : [];
  return {
    samples,
    unmatched: unmatched.map((row) => row.file),
    unmatched_count: await db.value<number>(`SELECT count(*) ${unmatchedSql}`),
  };
}

/** Two names that land on one sample are an error: their records would pile onto it. */
async function refuseSharedSamples(db: Database, source: string): Promise<void> {
  // Grouping integers alone is cheap; the names are fetched only when there is a clash.
  const shared = await db.value<number | undefined>(
    `SELECT sample_id FROM temp.${MATCHES} GROUP BY sample_id HAVING count(*) > 1 LIMIT 1`,
  );
  if (shared === undefined) return;
  const names = await db.all<{ name: string; path: string }>(
    `SELECT name, path FROM temp.${MATCHES} WHERE sample_id = ? ORDER BY name LIMIT 2`,
    [shared],
  );
  throw new InputError(
    source,
    undefined,
    `'${names[0]!.name}' and '${names[1]!.name}' both name sample '${names[0]!.path}'`,
  );
}

export async function dropImportTables(db: Database): Promise<void> {
  for (const table of [NAMES, CANDIDATES, MATCHES, LABELS, VALUES]) {
    await db.run(`DROP TABLE IF EXISTS temp.${table}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Tasks and categories

export interface TaskSpec {
  name: string;
  type: TaskType;
  categories: ReadonlyMap<number, string>;
  /** Where the categories came from, for messages: file and field. */
  file: string;
  field: string;
}

/**
 * The task's id, creating it and any categories it lacks. An existing category under a
 * different name is refused: labels already stored under that id would silently change
 * meaning.
 */
export async function ensureTask(db: Database, datasetId: number, spec: TaskSpec): Promise<number> {
  const existing = await db.one<{ task_id: number; type: string }>(
    'SELECT task_id, type FROM winnow.tasks WHERE dataset_id = ? AND name = ?',
    [datasetId, spec.name],
  );
  if (existing && existing.type !== spec.type) {
    throw new WinnowError(
      'invalid_argument',
      `task '${spec.name}' holds ${existing.type} labels; ${spec.file} has ${spec.type} labels (import them under another task name)`,
    );
  }
  const taskId =
    existing?.task_id ??
    (await db.value<number>(
      'INSERT INTO winnow.tasks (dataset_id, name, type) VALUES (?, ?, ?) RETURNING task_id',
      [datasetId, spec.name, spec.type],
    ));
  const stored = new Map(
    (
      await db.all<{ category_id: number; name: string }>(
        'SELECT category_id, name FROM winnow.categories WHERE task_id = ?',
        [taskId],
      )
    ).map((row) => [row.category_id, row.name]),
  );
  const missing: [number, string][] = [];
  for (const [id, name] of spec.categories) {
    const storedName = stored.get(id);
    if (storedName === undefined) missing.push([id, name]);
    else if (storedName !== name) {
      throw new InputError(
        spec.file,
        spec.field,
        `category ${id} is '${name}' here but '${storedName}' in task '${spec.name}'`,
      );
    }
  }
  await insertCategories(db, taskId, missing);
  return taskId;
}

async function insertCategories(db: Database, taskId: number, categories: [number, string][]): Promise<void> {
  const CHUNK = 500;
  for (let start = 0; start < categories.length; start += CHUNK) {
    const chunk = categories.slice(start, start + CHUNK);
    await db.run(
      `INSERT INTO winnow.categories (task_id, category_id, name) VALUES ${chunk.map(() => '(?, ?, ?)').join(', ')}`,
      chunk.flatMap(([id, name]) => [taskId, id, name]),
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Predictions and annotations

export interface LabelRecord {
  /** The input name, as matched by matchNames. */
  name: string;
  category: number;
  score?: number | null;
  probabilities?: readonly number[] | null;
  box?: readonly number[] | null;
  segmentation?: readonly number[] | null;
  keypoints?: readonly number[] | null;
}

/** `pixels`: [x, y, w, h] from the top-left. `normalized-center`: YOLO's [cx, cy, w, h] in 0–1. */
export type BoxUnit = 'pixels' | 'normalized-center';

const LABELS = 'import_labels';

/** Stages records for writeLabels; list columns travel as JSON text and are cast in SQL. */
export async function stageLabels(db: Database, records: Iterable<LabelRecord>): Promise<void> {
  const stage = await db.stage(LABELS, {
    name: 'VARCHAR',
    category_id: 'INTEGER',
    score: 'DOUBLE',
    probabilities: 'VARCHAR',
    x: 'DOUBLE',
    y: 'DOUBLE',
    w: 'DOUBLE',
    h: 'DOUBLE',
    segmentation: 'VARCHAR',
    keypoints: 'VARCHAR',
  });
  const json = (list: readonly number[] | null | undefined) => (list ? JSON.stringify(list) : null);
  for (const r of records) {
    const box = r.box ?? [];
    stage.append([
      r.name,
      r.category,
      r.score ?? null,
      json(r.probabilities),
      box[0],
      box[1],
      box[2],
      box[3],
      json(r.segmentation),
      json(r.keypoints),
    ]);
  }
  stage.close();
}

function boxSql(unit: BoxUnit): string {
  const box =
    unit === 'pixels'
      ? '[l.x, l.y, l.w, l.h]'
      : '[(l.x - l.w / 2) * m.width, (l.y - l.h / 2) * m.height, l.w * m.width, l.h * m.height]';
  return `CASE WHEN l.x IS NULL THEN NULL ELSE ${box}::FLOAT[4] END`;
}

/** Staged records of matched samples, in the shape both label tables take. */
function labelsSelect(unit: BoxUnit): string {
  return `SELECT m.sample_id, l.category_id, l.score, CAST(l.probabilities AS FLOAT[]) AS probabilities,
      ${boxSql(unit)} AS box, CAST(l.segmentation AS INTEGER[]) AS segmentation,
      CAST(l.keypoints AS FLOAT[]) AS keypoints
    FROM temp.${LABELS} l JOIN temp.${MATCHES} m USING (name)`;
}

export interface LabelWrite {
  target: ImportTarget;
  taskId: number;
  boxes: BoxUnit;
  /** Stored with an annotation version, to say where it came from. */
  detail: Record<string, unknown>;
}

/**
 * Replaces the task's predictions or annotations with the staged records. Annotations keep
 * their history: the old set is recorded as deleted and the new one as added, both under one
 * new version, so the task's labels as of any earlier version can be read back.
 */
export async function writeLabels(db: Database, write: LabelWrite): Promise<number> {
  const taskId = Number(write.taskId);
  if (write.target === 'predictions') {
    await db.run('DELETE FROM winnow.predictions WHERE task_id = ?', [taskId]);
    // Stored by class and score: the zone maps then skip most of a task's rows for the usual
    // "class C below score s" filters (bench/queries.mjs, query d).
    const written = await db.value<number>(
      `INSERT INTO winnow.predictions (sample_id, task_id, category_id, score, probabilities, box, segmentation, keypoints)
       SELECT sample_id, ${taskId}, category_id, score, probabilities, box, segmentation, keypoints
       FROM (${labelsSelect(write.boxes)}) ORDER BY category_id, score, sample_id`,
    );
    await refreshPredictionScores(db, taskId);
    return written;
  }
  const version =
    (await db.value<number>(
      'SELECT coalesce(max(version), 0) + 1 FROM winnow.annotation_versions WHERE task_id = ?',
      [taskId],
    )) ?? 1;
  const deleted = await db.value<number>('SELECT count(*) FROM winnow.annotations WHERE task_id = ?', [
    taskId,
  ]);
  await recordAnnotationHistory(db, taskId, version, 'delete', `task_id = ${taskId}`);
  await db.run('DELETE FROM winnow.annotations WHERE task_id = ?', [taskId]);
  const written = await db.value<number>(
    `INSERT INTO winnow.annotations (annotation_id, sample_id, task_id, category_id, box, segmentation, keypoints, version)
     SELECT nextval('winnow.annotation_ids'), sample_id, ${taskId}, category_id, box, segmentation, keypoints, ${version}
     FROM (${labelsSelect(write.boxes)})`,
  );
  await recordAnnotationHistory(db, taskId, version, 'add', `task_id = ${taskId} AND version = ${version}`);
  await db.run(
    "INSERT INTO winnow.annotation_versions (task_id, version, operation, detail) VALUES (?, ?, 'import', ?)",
    [taskId, version, JSON.stringify({ ...write.detail, added: written, deleted })],
  );
  return written;
}

// ---------------------------------------------------------------------------------------------
// Metadata

export type FieldType = 'int' | 'float' | 'string' | 'bool';

export interface FieldSpec {
  key: string;
  type: FieldType;
  categorical: boolean;
  /** Where the field is declared, for messages. */
  file: string;
  field: string;
}

export interface MetadataValue {
  name: string;
  key: string;
  num?: number | null;
  str?: string | null;
  bool?: boolean | null;
}

/** name, key, value_num, value_str, value_bool: one row per value, as winnow.metadata holds them. */
export const VALUES = 'import_values';

export async function stageValues(db: Database, values: Iterable<MetadataValue>): Promise<void> {
  const stage = await db.stage(VALUES, {
    name: 'VARCHAR',
    key: 'VARCHAR',
    value_num: 'DOUBLE',
    value_str: 'VARCHAR',
    value_bool: 'BOOLEAN',
  });
  for (const v of values) stage.append([v.name, v.key, v.num ?? null, v.str ?? null, v.bool ?? null]);
  stage.close();
}

/**
 * Declares the fields, then replaces the values of those keys on the matched samples with the
 * staged ones. Samples the input does not name keep theirs, so a table can be imported in parts.
 */
export async function writeMetadata(
  db: Database,
  datasetId: number,
  fields: readonly FieldSpec[],
): Promise<number> {
  await declareFields(db, datasetId, fields);
  const keys = fields.map((f) => f.key);
  if (keys.length === 0) return 0;
  const inKeys = `key IN (${keys.map(() => '?').join(', ')})`;
  await db.run(
    `DELETE FROM winnow.metadata WHERE dataset_id = ? AND ${inKeys}
     AND sample_id IN (SELECT sample_id FROM temp.${MATCHES})`,
    [datasetId, ...keys],
  );
  // An INSERT answers with the number of rows it wrote. Rows go in by key and value, so a range
  // filter on one key reads few row groups (bench/queries.mjs, query a).
  return db.value<number>(
    `INSERT INTO winnow.metadata (dataset_id, sample_id, key, value_num, value_str, value_bool)
     SELECT ${Number(datasetId)}, m.sample_id, v.key, v.value_num, v.value_str, v.value_bool
     FROM temp.${VALUES} v JOIN temp.${MATCHES} m USING (name)
     WHERE v.value_num IS NOT NULL OR v.value_str IS NOT NULL OR v.value_bool IS NOT NULL
     ORDER BY v.key, v.value_num, v.value_str, v.value_bool, m.sample_id`,
  );
}

/**
 * A key keeps one type across imports, because filters and charts read one value column.
 * An int field meeting floats (or the reverse) becomes float: both live in value_num.
 */
async function declareFields(db: Database, datasetId: number, fields: readonly FieldSpec[]): Promise<void> {
  const stored = new Map(
    (
      await db.all<{ key: string; type: FieldType }>(
        'SELECT key, type FROM winnow.metadata_fields WHERE dataset_id = ?',
        [datasetId],
      )
    ).map((row) => [row.key, row.type]),
  );
  const numeric = (type: FieldType) => type === 'int' || type === 'float';
  for (const field of fields) {
    const before = stored.get(field.key);
    if (before === undefined) {
      await db.run(
        'INSERT INTO winnow.metadata_fields (dataset_id, key, type, categorical) VALUES (?, ?, ?, ?)',
        [datasetId, field.key, field.type, field.categorical],
      );
      continue;
    }
    if (before !== field.type && !(numeric(before) && numeric(field.type))) {
      throw new InputError(
        field.file,
        field.field,
        `'${field.key}' is stored as ${before} in this dataset; this input has ${field.type}`,
      );
    }
    await db.run(
      'UPDATE winnow.metadata_fields SET type = ?, categorical = ? WHERE dataset_id = ? AND key = ?',
      [before === field.type ? before : 'float', field.categorical, datasetId, field.key],
    );
  }
}

// ---------------------------------------------------------------------------------------------
// The write phase of an import, in one transaction

export interface LabelSet {
  task: TaskSpec;
  records: readonly LabelRecord[];
}

export interface LabelImport {
  names: Iterable<InputName>;
  by: MatchBy;
  sizes?: boolean;
  /** The input as a whole, for messages that concern no single file. */
  source: string;
  target: ImportTarget;
  boxes: BoxUnit;
  sets: readonly LabelSet[];
  detail: Record<string, unknown>;
}

/** Writes parsed labels for one or more tasks: all of them, or (on any error) none. */
export async function storeLabels(
  db: Database,
  datasetId: number,
  input: LabelImport,
  options: LongTaskOptions,
): Promise<Matched & { records: number }> {
  return db.transaction(async () => {
    const matched = await matchNames(db, datasetId, input.names, input.by, input.source, input);
    let records = 0;
    for (const [i, set] of input.sets.entries()) {
      throwIfAborted(options.signal);
      reportWrite(options, i, input.sets.length);
      const taskId = await ensureTask(db, datasetId, set.task);
      await stageLabels(db, set.records);
      records += await writeLabels(db, {
        target: input.target,
        taskId,
        boxes: input.boxes,
        detail: input.detail,
      });
    }
    throwIfAborted(options.signal);
    await dropImportTables(db);
    reportWrite(options, input.sets.length, input.sets.length);
    return { ...matched, records };
  });
}

/**
 * Writes metadata values. `stage` fills temp.import_names and temp.import_values (from parsed
 * records, or in SQL straight from a table) and says which fields they hold; it runs inside
 * the transaction, so a table it loads and rejects leaves nothing behind.
 */
export async function storeMetadata(
  db: Database,
  datasetId: number,
  input: { by: MatchBy; source: string },
  stage: () => Promise<readonly FieldSpec[]>,
  options: LongTaskOptions,
): Promise<Matched & { records: number; fields: string[] }> {
  return db.transaction(async () => {
    reportWrite(options, 0, 2);
    const fields = await stage();
    throwIfAborted(options.signal);
    reportWrite(options, 1, 2);
    const matched = await matchStagedNames(db, datasetId, input.by, input.source);
    const records = await writeMetadata(db, datasetId, fields);
    throwIfAborted(options.signal);
    await dropImportTables(db);
    reportWrite(options, 2, 2);
    return { ...matched, records, fields: fields.map((f) => f.key) };
  });
}

// ---------------------------------------------------------------------------------------------
// Options shared by the label importers

export function labelTarget(as: unknown): ImportTarget {
  if (as === 'predictions' || as === 'annotations') return as;
  throw new WinnowError('invalid_argument', `as: '${String(as)}' is not one of predictions, annotations`);
}

export function taskName(name: string): string {
  const trimmed = name.trim();
  if (!trimmed) throw new WinnowError('invalid_argument', 'task: the task name is empty');
  return trimmed;
}
