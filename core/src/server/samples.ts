import { WinnowError } from '../errors.js';
import { Captions } from '../labels/captions.js';
import { Labels } from '../labels/labels.js';
import { type QueryOptions, runIdQuery, runQuery } from '../query/run.js';
import type { QuerySlots } from '../query/slots.js';
import type { Dataset, Workspace } from '../store/workspace.js';

export const PAGE_LIMIT = 1000;
/** The time limit of a view's request (a page, ids, a facet). */
const VIEW_TIME_LIMIT_MS = 10_000;

/**
 * How a view's query runs: a request with a user's `where` condition waits its turn among the
 * user queries (`slots`); one without (a plain grid page) runs at once, so the grid keeps its
 * pace while heavy user queries run.
 */
export function viewScope(dataset: Dataset, where: string, slots?: QuerySlots): QueryOptions {
  return { dataset, timeoutMs: VIEW_TIME_LIMIT_MS, slots: where === 'true' ? undefined : slots };
}

const SAMPLE_COLUMNS = 'sample_id, kind, filename, format, size, width, height, status, reason';
/** The columns a page may be sorted by: each has an index-friendly meaning and no user SQL. */
const SORTABLE = ['sample_id', 'filename', 'size', 'mtime', 'width', 'height', 'duration', 'added_at'];

export interface PageQuery {
  offset: number;
  limit: number;
  /** A read-only SQL condition over the `samples` view. */
  where: string;
  /** `column` or `column desc`, a column of SORTABLE. */
  order?: string;
}

/** A page of the samples meeting `where`, with their total. */
export async function samplePage(ws: Workspace, dataset: Dataset, page: PageQuery, slots?: QuerySlots) {
  const scope = viewScope(dataset, page.where, slots);
  const order = orderBy(page.order);
  // The page's ids first, then their columns: sorting ids alone is several times faster than
  // carrying filenames through the sort (bench/server.mjs).
  const [count, rows] = await Promise.all([
    runQuery(ws, `SELECT count(*) AS total FROM samples WHERE (${page.where})`, scope),
    runQuery(
      ws,
      `WITH page AS (SELECT sample_id FROM samples WHERE (${page.where})
         ORDER BY ${order} LIMIT ${page.limit} OFFSET ${page.offset})
       SELECT ${SAMPLE_COLUMNS} FROM samples WHERE sample_id IN (SELECT sample_id FROM page) ORDER BY ${order}`,
      scope,
    ),
  ]);
  return {
    total: Number(count.rows[0]?.total ?? 0),
    offset: page.offset,
    limit: page.limit,
    samples: rows.rows,
  };
}

function orderBy(order: string | undefined): string {
  if (!order) return 'sample_id';
  const [column, direction = 'asc', ...rest] = order.trim().toLowerCase().split(/\s+/);
  if (!SORTABLE.includes(column!) || !['asc', 'desc'].includes(direction) || rest.length > 0) {
    throw new WinnowError(
      'invalid_argument',
      `order: expected one of ${SORTABLE.join(', ')}, then asc or desc`,
    );
  }
  // The id breaks ties, so pages of an order never overlap or skip.
  return `${column} ${direction} NULLS LAST, sample_id`;
}

/** The ids of every sample meeting `where`, in id order (the scatter shows the query with them). */
export function matchingIds(
  ws: Workspace,
  dataset: Dataset,
  where: string,
  slots?: QuerySlots,
): Promise<Int32Array> {
  return runIdQuery(
    ws,
    `SELECT sample_id FROM samples WHERE (${where}) ORDER BY sample_id`,
    viewScope(dataset, where, slots),
  );
}

/** Samples by id in the order given (ids that name no current sample are left out). */
export async function samplesById(ws: Workspace, dataset: Dataset, given: unknown) {
  const ids = sampleIds(given, 'ids');
  if (ids.length > PAGE_LIMIT) {
    throw new WinnowError('invalid_argument', `ids: at most ${PAGE_LIMIT} at a time, got ${ids.length}`);
  }
  if (ids.length === 0) return { samples: [] };
  const result = await runQuery(
    ws,
    `SELECT ${SAMPLE_COLUMNS} FROM samples WHERE sample_id IN (${ids.join(', ')})`,
    { dataset, timeoutMs: VIEW_TIME_LIMIT_MS },
  );
  const byId = new Map(result.rows.map((row) => [Number(row.sample_id), row]));
  return { samples: ids.flatMap((id) => byId.get(id) ?? []) };
}

/** One sample with what the detail panel shows: its predictions, human labels, caption and tags. */
export async function sampleDetail(ws: Workspace, dataset: Dataset, sampleId: number) {
  const scope = { dataset, timeoutMs: VIEW_TIME_LIMIT_MS };
  const [sample, predictions, tags] = await Promise.all([
    runQuery(ws, `SELECT ${SAMPLE_COLUMNS} FROM samples WHERE sample_id = ${sampleId}`, scope),
    runQuery(
      ws,
      `SELECT task, category, score, box FROM predictions WHERE sample_id = ${sampleId} ORDER BY task, score DESC NULLS LAST`,
      scope,
    ),
    runQuery(ws, `SELECT tag FROM tag_members WHERE sample_id = ${sampleId} ORDER BY tag`, scope),
  ]);
  if (sample.rows.length === 0) {
    throw new WinnowError('not_found', `dataset '${dataset.name}' has no sample ${sampleId}`);
  }
  return {
    sample: sample.rows[0],
    predictions: predictions.rows,
    annotations: await new Labels(ws, dataset).list(sampleId),
    caption: await new Captions(ws, dataset).get(sampleId),
    tags: tags.rows.map((row) => String(row.tag)),
  };
}

/** A list of sample ids as given in a request body: integers only, so they may enter SQL as text. */
export function sampleIds(given: unknown, field: string): number[] {
  if (!Array.isArray(given) || !given.every((id) => Number.isSafeInteger(id) && id >= 0)) {
    throw new WinnowError('invalid_argument', `${field}: expected a list of sample ids`);
  }
  return given as number[];
}
