import { WinnowError } from '../errors.js';
import { runQuery } from '../query/run.js';
import type { QuerySlots } from '../query/slots.js';
import type { Dataset, Workspace } from '../store/workspace.js';
import { viewScope } from './samples.js';

/** A numeric field's distribution: `bins` equal-width counts between `lo` and `hi`. */
export interface Histogram {
  field: string;
  kind: 'histogram';
  lo: number | null;
  hi: number | null;
  counts: number[];
}

/** A categorical field's values with their counts, most frequent first (at most 100). */
export interface Counts {
  field: string;
  kind: 'counts';
  values: { value: unknown; count: number }[];
}

const NUMERIC = ['width', 'height', 'size', 'duration', 'fps', 'frame_time'];
const CATEGORICAL = ['kind', 'format', 'status'];
/** Class distributions: the view holding the labels of the samples. */
const LABELS: Record<string, string> = {
  'prediction.category': 'predictions',
  'annotation.category': 'annotations',
};
const MAX_BINS = 200;

/**
 * What the query bar's charts show: a field's distribution over the samples that meet `where`
 * (a read-only SQL condition over the `samples` view), computed in DuckDB.
 */
export async function facet(
  ws: Workspace,
  dataset: Dataset,
  field: string,
  where = 'true',
  bins = 20,
  slots?: QuerySlots,
): Promise<Histogram | Counts> {
  const scope = viewScope(dataset, where, slots);
  const chosen = `SELECT sample_id FROM samples WHERE (${where})`;
  if (NUMERIC.includes(field)) {
    if (!Number.isInteger(bins) || bins < 1 || bins > MAX_BINS) {
      throw new WinnowError('invalid_argument', `bins: an integer from 1 to ${MAX_BINS}`);
    }
    const result = await runQuery(
      ws,
      `WITH v AS (SELECT ${field}::DOUBLE AS v FROM samples WHERE (${where}) AND ${field} IS NOT NULL),
            r AS (SELECT min(v) AS lo, max(v) AS hi FROM v)
       SELECT least(${bins - 1}, CASE WHEN r.hi > r.lo THEN floor((v.v - r.lo) / (r.hi - r.lo) * ${bins}) ELSE 0 END)::INTEGER AS bin,
              count(*) AS count, any_value(r.lo) AS lo, any_value(r.hi) AS hi
       FROM v, r GROUP BY bin ORDER BY bin`,
      scope,
    );
    const counts = new Array<number>(bins).fill(0);
    for (const row of result.rows) counts[Number(row.bin)] = Number(row.count);
    const [first] = result.rows;
    return {
      field,
      kind: 'histogram',
      lo: first ? Number(first.lo) : null,
      hi: first ? Number(first.hi) : null,
      counts,
    };
  }
  const labels = LABELS[field];
  if (!CATEGORICAL.includes(field) && !labels) {
    const known = [...NUMERIC, ...CATEGORICAL, ...Object.keys(LABELS)].join(', ');
    throw new WinnowError('invalid_argument', `field '${field}': not one of ${known}`);
  }
  const sql = labels
    ? `SELECT category AS value, count(*) AS count FROM ${labels} WHERE sample_id IN (${chosen}) GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 100`
    : `SELECT ${field} AS value, count(*) AS count FROM samples WHERE (${where}) GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 100`;
  const result = await runQuery(ws, sql, scope);
  return {
    field,
    kind: 'counts',
    values: result.rows.map((row) => ({ value: row.value, count: Number(row.count) })),
  };
}
