import { resolve } from 'node:path';
import { WinnowError } from '../errors.js';
import { runQuery } from '../query/run.js';
import type { Dataset, Workspace } from '../store/workspace.js';
import type { RequestContext, Route } from './http.js';
import { route } from './http.js';
import { type LiveSelection, LiveSelections } from './live-selection.js';
import { matchingIds } from './samples.js';

/** The most samples a selection holds: a million ids are about 8 MB of JSON. */
export const MAX_SELECTED = 1_000_000;
/**
 * How long a `?after=` read waits for a change before answering the selection as it is: under the
 * kernel relay's and browsers' request time limits, long enough that an idle view asks rarely.
 */
export const SELECTION_WAIT_MS = 20_000;
const SOURCE = /^[\w.-]{1,40}$/;
/** Ids per query when turning a selection into filenames: a short SQL text each. */
const IDS_PER_QUERY = 5000;

/** A dataset's selection, with its samples' locations when asked (`?files=true`). */
export interface SelectionAnswer extends LiveSelection {
  filenames?: string[];
}

/**
 * The shared live selection of each dataset (docs/server.md, "The live selection"): GET reads it
 * (with `?after=VERSION`, waits for the next change: the views' long poll), PUT replaces it.
 */
export function selectionRoutes(ws: Workspace, selections = new LiveSelections()): Route[] {
  const dataset = (context: RequestContext) => ws.dataset(decodeURIComponent(context.params.dataset!));
  return [
    route('GET', '/api/datasets/:dataset/selection', async (context): Promise<SelectionAnswer> => {
      const chosen = await dataset(context);
      const after = afterOf(context.query.get('after'));
      const gone = new AbortController();
      context.response.on('close', () => gone.abort());
      const selection =
        after === undefined
          ? selections.get(chosen.name)
          : await selections.after(chosen.name, after, SELECTION_WAIT_MS, gone.signal);
      if (context.query.get('files') !== 'true') return selection;
      return { ...selection, filenames: await locationsOf(ws, chosen, selection.sample_ids) };
    }),
    route('PUT', '/api/datasets/:dataset/selection', async (context): Promise<LiveSelection> => {
      const chosen = await dataset(context);
      const body = await context.json();
      const source = body.source;
      if (typeof source !== 'string' || !SOURCE.test(source)) {
        throw new WinnowError(
          'invalid_argument',
          'source: expected a short name of who selected (scatter, grid, notebook, cli, vscode…)',
        );
      }
      const ids = await idsOfDataset(ws, chosen, body.sample_ids);
      return selections.set(chosen.name, ids, source);
    }),
  ];
}

function afterOf(given: string | null): number | undefined {
  if (given === null) return undefined;
  const after = Number(given);
  if (given === '' || !Number.isSafeInteger(after) || after < 0) {
    throw new WinnowError(
      'invalid_argument',
      `after: expected a selection version (0 or more), got '${given}'`,
    );
  }
  return after;
}

/** `given` as sorted, distinct ids, each a sample of the dataset, or an error naming the first that is not. */
async function idsOfDataset(ws: Workspace, dataset: Dataset, given: unknown): Promise<number[]> {
  if (!Array.isArray(given) || !given.every((id) => Number.isSafeInteger(id) && id >= 0)) {
    throw new WinnowError(
      'invalid_argument',
      'sample_ids: expected a list of sample ids (integers, 0 or more)',
    );
  }
  if (given.length > MAX_SELECTED) {
    throw new WinnowError('invalid_argument', `sample_ids: at most ${MAX_SELECTED} ids, got ${given.length}`);
  }
  const ids = [...new Set(given as number[])].sort((a, b) => a - b);
  if (ids.length === 0) return ids;
  const known = await matchingIds(ws, dataset, 'true');
  const unknown = ids.find((id) => !has(known, id));
  if (unknown !== undefined) {
    throw new WinnowError(
      'invalid_argument',
      `sample_ids: dataset '${dataset.name}' has no sample ${unknown}`,
    );
  }
  return ids;
}

/** Whether the sorted `ids` hold `id` (binary search: a selection may be a million ids). */
function has(ids: Int32Array, id: number): boolean {
  let lo = 0;
  let hi = ids.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (ids[mid] === id) return true;
    if (ids[mid]! < id) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}

/**
 * The samples' locations in id order, as a training script opens them (the form of
 * `%winnow selected`): absolute paths for a folder, URLs for a bucket.
 */
async function locationsOf(ws: Workspace, dataset: Dataset, ids: number[]): Promise<string[]> {
  const root = dataset.input.uri;
  const filenames: string[] = [];
  for (let start = 0; start < ids.length; start += IDS_PER_QUERY) {
    const chunk = ids.slice(start, start + IDS_PER_QUERY).join(', ');
    const result = await runQuery(
      ws,
      `SELECT filename FROM samples WHERE sample_id IN (${chunk}) ORDER BY sample_id`,
      { dataset, timeoutMs: 60_000, maxRows: IDS_PER_QUERY },
    );
    filenames.push(...result.rows.map((row) => String(row.filename)));
  }
  if (root.includes('://')) return filenames.map((filename) => `${root.replace(/\/+$/, '')}/${filename}`);
  return filenames.map((filename) => resolve(root, filename));
}
