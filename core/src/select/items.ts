import { WinnowError } from '../errors.js';
import type { Filter } from '../query/filter.js';
import { materializeSelection } from '../query/selection.js';
import type { Database } from '../store/db.js';
import type { Dataset, Workspace } from '../store/workspace.js';
import type { SelectionConfig } from './config.js';

/**
 * What a selection picks from: items. An item is one sample (an image or video; an object crop
 * at object level) or, in sequence selection, a run of `sequence_length` consecutive frames of
 * one video. `temp.select_members (item, sample_id)` lists each item's samples; item numbers
 * follow sample ids, so they are stable and the result deterministic.
 */
export const MEMBERS = 'select_members';
/** The items still in play (item, preselected), renumbered 0..n-1 by `numberItems`. */
export const ITEMS = 'select_items';

/** Fills temp.select_members with every item of the dataset at the config's level. */
export async function stageItems(db: Database, dataset: Dataset, config: SelectionConfig): Promise<void> {
  const samples = `FROM winnow.samples WHERE dataset_id = ${Number(dataset.id)} AND status = 'ok'`;
  if (config.level === 'sequences') {
    const length = Number(config.sequenceLength);
    await db.run(`CREATE OR REPLACE TEMP TABLE ${MEMBERS} AS
      WITH frames AS (
        SELECT sample_id, parent_id,
          (row_number() OVER (PARTITION BY parent_id ORDER BY frame_time, sample_id) - 1) // ${length} AS chunk,
          count(*) OVER (PARTITION BY parent_id) // ${length} AS chunks
        ${samples} AND kind = 'frame')
      SELECT dense_rank() OVER (ORDER BY parent_id, chunk) - 1 AS item, sample_id
      FROM frames WHERE chunk < chunks`);
  } else {
    const kinds = config.level === 'objects' ? "('crop')" : "('image', 'video')";
    await db.run(`CREATE OR REPLACE TEMP TABLE ${MEMBERS} AS
      SELECT row_number() OVER (ORDER BY sample_id) - 1 AS item, sample_id ${samples} AND kind IN ${kinds}`);
  }
}

/** Counts, per step, of the items dropped; what the report shows. */
export interface Funnel {
  items: number;
  where?: number;
  thresholds: Record<string, number>;
  missing: Record<string, number>;
  preselected: number;
}

/**
 * Starts temp.select_items from temp.select_members: the items whose samples all pass `where`,
 * plus the items holding a preselected sample (they stay whatever the filters say).
 */
export async function startItems(ws: Workspace, dataset: Dataset, config: SelectionConfig): Promise<Funnel> {
  const db = ws.db;
  const items = await db.value<number>(`SELECT count(DISTINCT item) FROM temp.${MEMBERS}`);
  if (items === 0) {
    const what = { samples: 'images or videos', objects: 'object crops', sequences: 'video frames' }[
      config.level
    ];
    throw new WinnowError('invalid_input', `dataset '${dataset.name}' has no ${what} to select from`);
  }
  const preselected = config.preselectedTag
    ? await materializeSelection(ws, dataset, { tag: config.preselectedTag }, 'select_preselected')
    : undefined;
  let kept = `SELECT DISTINCT item FROM temp.${MEMBERS}`;
  let where: number | undefined;
  if (config.where !== undefined) {
    const selection =
      typeof config.where === 'string'
        ? { sql: `SELECT sample_id FROM samples WHERE ${config.where}` }
        : { filter: config.where as Filter };
    await materializeSelection(ws, dataset, selection, 'select_where');
    kept = `SELECT item FROM temp.${MEMBERS} m LEFT JOIN temp.select_where w USING (sample_id)
            GROUP BY item HAVING count(*) = count(w.sample_id)`;
  }
  const pre = preselected
    ? `SELECT DISTINCT item FROM temp.${MEMBERS} JOIN temp.${preselected.table} USING (sample_id)`
    : 'SELECT NULL::INTEGER AS item WHERE false';
  await db.run(`CREATE OR REPLACE TEMP TABLE ${ITEMS} AS
    SELECT item, bool_or(preselected) AS preselected FROM (
      SELECT item, false AS preselected FROM (${kept}) UNION ALL SELECT item, true FROM (${pre}))
    GROUP BY item`);
  if (config.where !== undefined) {
    where = items - (await db.value<number>(`SELECT count(*) FROM temp.${ITEMS} WHERE NOT preselected`));
  }
  return {
    items,
    where,
    thresholds: {},
    missing: {},
    preselected: await db.value<number>(`SELECT count(*) FROM temp.${ITEMS} WHERE preselected`),
  };
}

/**
 * Drops the items (never a preselected one) that `keep` (SQL yielding item) does not list,
 * and returns how many went.
 */
export async function keepItems(db: Database, keep: string): Promise<number> {
  const before = await db.value<number>(`SELECT count(*) FROM temp.${ITEMS}`);
  await db.run(`DELETE FROM temp.${ITEMS} WHERE NOT preselected AND item NOT IN (${keep})`);
  return before - (await db.value<number>(`SELECT count(*) FROM temp.${ITEMS}`));
}

/**
 * Numbers the remaining items 0..n-1 (column `position`) in item order, and lists each item's
 * samples with its position in temp.select_positions (position, sample_id).
 */
export async function numberItems(db: Database): Promise<{ n: number; preselected: Uint32Array }> {
  await db.run(`CREATE OR REPLACE TEMP TABLE ${ITEMS} AS
    SELECT item, preselected, (row_number() OVER (ORDER BY item) - 1)::INTEGER AS position FROM temp.${ITEMS}`);
  await db.run(`CREATE OR REPLACE TEMP TABLE select_positions AS
    SELECT i.position, m.sample_id FROM temp.${ITEMS} i JOIN temp.${MEMBERS} m USING (item)`);
  const n = await db.value<number>(`SELECT count(*) FROM temp.${ITEMS}`);
  const pre = await db.all<{ position: number }>(
    `SELECT position FROM temp.${ITEMS} WHERE preselected ORDER BY position`,
  );
  return { n, preselected: Uint32Array.from(pre, (r) => r.position) };
}
