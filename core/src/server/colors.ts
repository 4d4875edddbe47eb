import type { ServerResponse } from 'node:http';
import {
  Dictionary,
  Int32,
  makeData,
  makeVector,
  Table,
  tableToIPC,
  Utf8,
  vectorFromArray,
} from 'apache-arrow';
import { WinnowError } from '../errors.js';
import { readVectors } from '../store/vectors.js';
import type { Dataset, Workspace } from '../store/workspace.js';
import { RESPONDED, sendBytes } from './http.js';

const NUMERIC_COLUMNS = ['width', 'height', 'size', 'duration', 'fps', 'frame_time'];
const CATEGORICAL_COLUMNS = ['kind', 'format', 'status'];

/** Each categorical field as (sample_id, value) rows of one dataset (`?` is its id). */
const CATEGORY_SQL: Record<string, string> = {
  // A sample's most confident class stands for it; its most frequent human class likewise.
  'prediction.category': `SELECT p.sample_id, arg_max(c.name, coalesce(p.score, 0)) AS value
    FROM winnow.predictions p JOIN winnow.tasks t USING (task_id)
    JOIN winnow.categories c ON c.task_id = p.task_id AND c.category_id = p.category_id
    WHERE t.dataset_id = ? GROUP BY p.sample_id`,
  'annotation.category': `SELECT a.sample_id, mode(c.name) AS value
    FROM winnow.annotations a JOIN winnow.tasks t USING (task_id)
    JOIN winnow.categories c ON c.task_id = a.task_id AND c.category_id = a.category_id
    WHERE t.dataset_id = ? GROUP BY a.sample_id`,
  tag: `SELECT m.sample_id, min(t.name) AS value FROM winnow.tag_members m JOIN winnow.tags t USING (tag_id)
    WHERE t.dataset_id = ? AND t.deleted_at IS NULL GROUP BY m.sample_id`,
};

interface ColorSource {
  /** (sample_id, value) rows; `?` is the dataset id. */
  sql: string;
  params: (string | number)[];
  categorical: boolean;
}

/**
 * A colour column for the scatter as Arrow IPC: `sample_id` int32 (every current sample, in id
 * order) and `value`, float32 for a numeric field (NaN where a sample has none) or a dictionary of
 * strings for a categorical one, the most frequent category first (null where a sample has none).
 */
export async function sendColors(ws: Workspace, dataset: Dataset, by: string, response: ServerResponse) {
  const source = await colorSource(ws, dataset, by);
  const table = source.categorical
    ? await categoricalColumn(ws, dataset, source)
    : await numericColumn(ws, dataset, source);
  sendBytes(response, tableToIPC(table, 'stream'), 'application/vnd.apache.arrow.stream');
  return RESPONDED;
}

async function colorSource(ws: Workspace, dataset: Dataset, by: string): Promise<ColorSource> {
  const id = dataset.id;
  if (NUMERIC_COLUMNS.includes(by) || CATEGORICAL_COLUMNS.includes(by)) {
    return {
      sql: `SELECT sample_id, ${by} AS value FROM winnow.samples WHERE dataset_id = ?`,
      params: [id],
      categorical: CATEGORICAL_COLUMNS.includes(by),
    };
  }
  if (CATEGORY_SQL[by]) return { sql: CATEGORY_SQL[by], params: [id], categorical: true };
  const key = by.startsWith('metadata.') ? by.slice('metadata.'.length) : by;
  const field = await ws.db.one<{ type: string }>(
    'SELECT type FROM winnow.metadata_fields WHERE dataset_id = ? AND key = ?',
    [id, key],
  );
  if (!field) {
    const known = [...NUMERIC_COLUMNS, ...CATEGORICAL_COLUMNS, ...Object.keys(CATEGORY_SQL), 'metadata.KEY'];
    throw new WinnowError(
      'invalid_argument',
      `by: '${by}' is not one of ${known.join(', ')} (nor a metadata key)`,
    );
  }
  const numeric = field.type === 'int' || field.type === 'float';
  const value = numeric ? 'value_num' : 'coalesce(value_str, value_bool::VARCHAR)';
  return {
    sql: `SELECT sample_id, ${value} AS value FROM winnow.metadata WHERE dataset_id = ? AND key = ?`,
    params: [id, key],
    categorical: !numeric,
  };
}

/**
 * The current samples in id order with one float each: `value` is an SQL expression over the
 * source's row `v` (and the optional `join`'s columns).
 */
function joined(source: ColorSource, value: string, join = ''): string {
  return `SELECT s.sample_id, [${value}]::FLOAT[1] FROM winnow.samples s
    LEFT JOIN (${source.sql}) v USING (sample_id) ${join}
    WHERE s.dataset_id = ? AND s.status <> 'removed' ORDER BY s.sample_id`;
}

/** The source's categories with their codes: the most frequent first, ties by name. */
function dictionary(source: ColorSource): string {
  return `SELECT category, (row_number() OVER (ORDER BY n DESC, category) - 1)::INTEGER AS code
    FROM (SELECT value::VARCHAR AS category, count(*) AS n FROM (${source.sql}) WHERE value IS NOT NULL GROUP BY 1)`;
}

async function readColumn(ws: Workspace, dataset: Dataset, sql: string, params: (string | number)[]) {
  const rows = Number(
    await ws.db.value("SELECT count(*) FROM winnow.samples WHERE dataset_id = ? AND status <> 'removed'", [
      dataset.id,
    ]),
  );
  return readVectors(ws.db, sql, [...params, dataset.id], 1, rows);
}

async function numericColumn(ws: Workspace, dataset: Dataset, source: ColorSource): Promise<Table> {
  const { ids, vectors } = await readColumn(
    ws,
    dataset,
    joined(source, "coalesce(v.value::DOUBLE, 'NaN'::DOUBLE)"),
    source.params,
  );
  return new Table({ sample_id: makeVector(ids), value: makeVector(vectors) });
}

async function categoricalColumn(ws: Workspace, dataset: Dataset, source: ColorSource): Promise<Table> {
  const categories = await ws.db.all<{ category: string }>(
    `${dictionary(source)} ORDER BY code`,
    source.params,
  );
  // Codes travel as floats through the vector reader: exact far beyond any category count.
  const { ids, vectors } = await readColumn(
    ws,
    dataset,
    joined(
      source,
      'coalesce(d.code, -1)',
      `LEFT JOIN (${dictionary(source)}) d ON d.category = v.value::VARCHAR`,
    ),
    [...source.params, ...source.params],
  );
  const codes = Int32Array.from(vectors);
  const valid = new Uint8Array(Math.ceil(codes.length / 8));
  let nulls = 0;
  codes.forEach((code, i) => {
    if (code >= 0) valid[i >> 3]! |= 1 << (i & 7);
    else nulls++;
  });
  const type = new Dictionary(new Utf8(), new Int32());
  const values = makeData({
    type,
    length: codes.length,
    nullCount: nulls,
    nullBitmap: valid,
    data: codes,
    dictionary: vectorFromArray(
      categories.map((row) => row.category),
      new Utf8(),
    ),
  });
  return new Table({ sample_id: makeVector(ids), value: makeVector(values) });
}
