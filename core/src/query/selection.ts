import { isAbsolute, relative } from 'node:path';
import { z } from 'zod';
import { WinnowError } from '../errors.js';
import type { Dataset, Workspace } from '../store/workspace.js';
import { compileFilter, type Filter } from './filter.js';
import { runQuery } from './run.js';

/**
 * Which samples an operation applies to. Exactly one source is given; each resolves to a
 * set of sample ids of the dataset (removed samples never belong to one).
 */
export interface Selection {
  /** All current samples. */
  all?: boolean;
  tag?: string;
  filter?: Filter;
  /** Read-only SQL returning a `sample_id` or a `filename` column. */
  sql?: string;
  /** Paths relative to the dataset's root, or absolute paths inside it. */
  files?: string[];
  /** The samples a run produced (added by an ingest, chosen by a selection). */
  run?: string;
  /** Sample ids, as the views hand them over. */
  ids?: number[];
}

export interface Materialized {
  /** A temporary table with one column, sample_id, one row per sample. */
  table: string;
  count: number;
  /** Given files that are not samples of the dataset (at most 20). */
  unmatched: string[];
  unmatchedCount: number;
}

const SOURCES = ['all', 'tag', 'filter', 'sql', 'files', 'run', 'ids'] as const;

const FILES = 'expected a list of filenames';
const IDS = 'expected a list of sample ids';

/** What each source takes, as a selection arrives over the API (the filter is checked when compiled). */
const SelectionShape = z.object({
  all: z.boolean({ error: 'expected true or false' }).optional(),
  tag: z.string({ error: 'expected a tag name' }).optional(),
  filter: z.unknown().optional(),
  sql: z.string({ error: 'expected a SELECT statement as text' }).optional(),
  files: z.array(z.string({ error: FILES }), { error: FILES }).optional(),
  run: z.string({ error: 'expected a run id' }).optional(),
  ids: z.array(z.number({ error: IDS }).int({ error: IDS }).safe({ error: IDS }), { error: IDS }).optional(),
});

/** The one source a selection names (the CLI's options bear the same names). */
export function selectionSource(selection: Selection): (typeof SOURCES)[number] {
  checkShape(selection);
  const given = SOURCES.filter((key) => selection[key] !== undefined && selection[key] !== false);
  if (given.length !== 1) {
    throw new WinnowError(
      'invalid_argument',
      'choose the samples with exactly one of --all, --tag, --filter, --sql, --files, --run',
    );
  }
  return given[0]!;
}

/** A one-line error naming the field of a selection that has the wrong type (`selection.files: …`). */
function checkShape(selection: unknown): void {
  if (selection === null || typeof selection !== 'object' || Array.isArray(selection)) {
    throw new WinnowError(
      'invalid_argument',
      `selection: expected an object with one of ${SOURCES.join(', ')}`,
    );
  }
  const parsed = SelectionShape.safeParse(selection);
  if (parsed.success) return;
  const [issue] = parsed.error.issues;
  const field = issue?.path[0] === undefined ? 'selection' : `selection.${String(issue.path[0])}`;
  throw new WinnowError('invalid_argument', `${field}: ${issue?.message ?? 'invalid'}`);
}

export function describeSelection(selection: Selection): Record<string, unknown> {
  const kind = selectionSource(selection);
  if (kind === 'files' || kind === 'ids') return { [kind]: selection[kind]!.length };
  return { [kind]: selection[kind] };
}

export async function materializeSelection(
  ws: Workspace,
  dataset: Dataset,
  selection: Selection,
  table = 'selection',
): Promise<Materialized> {
  selectionSource(selection);
  const db = ws.db;
  let unmatched: string[] = [];
  let unmatchedCount = 0;
  const create = (body: string, params: (string | number | boolean | null)[] = []) =>
    db.run(
      `CREATE OR REPLACE TEMP TABLE ${table} AS SELECT DISTINCT sample_id FROM (${body}) WHERE sample_id IN
        (SELECT sample_id FROM winnow.samples WHERE dataset_id = ${Number(dataset.id)} AND status <> 'removed')`,
      params,
    );
  if (selection.all) {
    await create('SELECT sample_id FROM winnow.samples');
  } else if (selection.tag !== undefined) {
    const tagId = await db.value<number | undefined>(
      'SELECT tag_id FROM winnow.tags WHERE dataset_id = ? AND name = ? AND deleted_at IS NULL',
      [dataset.id, selection.tag],
    );
    if (tagId === undefined)
      throw new WinnowError('not_found', `no tag named '${selection.tag}' in dataset '${dataset.name}'`);
    await create('SELECT sample_id FROM winnow.tag_members WHERE tag_id = ?', [tagId]);
  } else if (selection.filter !== undefined) {
    const compiled = compileFilter(selection.filter);
    await create(`SELECT s.sample_id FROM main.samples s WHERE ${compiled.sql}`, compiled.params);
  } else if (selection.run !== undefined) {
    const exists = await db.value<number>(
      'SELECT count(*) FROM winnow.runs WHERE run_id = ? AND dataset_id = ?',
      [selection.run, dataset.id],
    );
    if (!exists) throw new WinnowError('not_found', `no run '${selection.run}' in dataset '${dataset.name}'`);
    await create('SELECT sample_id FROM winnow.run_samples WHERE run_id = ?', [selection.run]);
  } else if (selection.sql !== undefined) {
    ({ unmatched, unmatchedCount } = await stageIds(ws, dataset, selection.sql, table));
  } else if (selection.ids !== undefined) {
    await stageSampleIds(ws, dataset, selection.ids, table);
  } else if (selection.files !== undefined) {
    const paths = selection.files.map((file) => toDatasetPath(dataset, file));
    ({ unmatched, unmatchedCount } = await stageFiles(ws, dataset, paths, table));
  }
  const count = await db.value<number>(`SELECT count(*) FROM temp.${table}`);
  return { table, count, unmatched, unmatchedCount };
}

async function stageIds(
  ws: Workspace,
  dataset: Dataset,
  sql: string,
  table: string,
): Promise<{ unmatched: string[]; unmatchedCount: number }> {
  // Every selected row counts: the ids are staged here, not sent anywhere, so no cap applies.
  const result = await runQuery(ws, sql, {
    dataset,
    maxRows: Number.MAX_SAFE_INTEGER,
    maxBytes: Number.POSITIVE_INFINITY,
  });
  const column = result.columns.includes('sample_id')
    ? 'sample_id'
    : result.columns.includes('filename')
      ? 'filename'
      : null;
  if (!column)
    throw new WinnowError('invalid_argument', 'the query must return a sample_id or a filename column');
  // Filenames from the samples view are already stored paths: normalizing them could change a legal name.
  if (column === 'filename') {
    const paths = result.rows.map((row) => String(row.filename));
    return stageFiles(ws, dataset, paths, table);
  }
  await stageSampleIds(
    ws,
    dataset,
    result.rows.map((row) => Number(row.sample_id)),
    table,
  );
  return { unmatched: [], unmatchedCount: 0 };
}

/** Stages sample ids; ids that name no current sample of the dataset are left out. */
async function stageSampleIds(ws: Workspace, dataset: Dataset, ids: number[], table: string): Promise<void> {
  const stage = await ws.db.stage(`${table}_input`, { sample_id: 'INTEGER' });
  for (const id of ids) stage.append([id]);
  stage.close();
  await ws.db.run(
    `CREATE OR REPLACE TEMP TABLE ${table} AS SELECT DISTINCT i.sample_id FROM temp.${table}_input i
     JOIN winnow.samples s ON s.sample_id = i.sample_id AND s.dataset_id = ? AND s.status <> 'removed'`,
    [dataset.id],
  );
  await stage.drop();
}

/** Stages paths as the store keys them; returns those that name no current sample. */
async function stageFiles(
  ws: Workspace,
  dataset: Dataset,
  paths: string[],
  table: string,
): Promise<{ unmatched: string[]; unmatchedCount: number }> {
  const stage = await ws.db.stage(`${table}_files`, { path: 'VARCHAR' });
  for (const path of paths) stage.append([path]);
  stage.close();
  await ws.db.run(
    `CREATE OR REPLACE TEMP TABLE ${table} AS SELECT DISTINCT s.sample_id FROM temp.${table}_files f
     JOIN winnow.samples s ON s.path = f.path AND s.dataset_id = ? AND s.status <> 'removed'`,
    [dataset.id],
  );
  const missing = `FROM temp.${table}_files f WHERE NOT EXISTS (SELECT 1 FROM winnow.samples s
     WHERE s.path = f.path AND s.dataset_id = ? AND s.status <> 'removed')`;
  const unmatchedCount = await ws.db.value<number>(`SELECT count(*) ${missing}`, [dataset.id]);
  const unmatched = (
    await ws.db.all<{ path: string }>(`SELECT f.path ${missing} LIMIT 20`, [dataset.id])
  ).map((r) => r.path);
  await stage.drop();
  return { unmatched, unmatchedCount };
}

/**
 * A given file as the store keys it: relative to the dataset root, with forward slashes.
 * Spaces and backslashes are legal in POSIX names, so only a line ending is stripped and
 * a backslash is a separator on Windows alone.
 */
export function toDatasetPath(dataset: Dataset, file: string): string {
  const name = file.replace(/[\r\n]+$/, '');
  const path = isAbsolute(name) && dataset.input.kind === 'local' ? relative(dataset.input.uri, name) : name;
  const slashed = process.platform === 'win32' ? path.replaceAll('\\', '/') : path;
  return slashed.replace(/^\.\//, '');
}
