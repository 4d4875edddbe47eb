import type { DuckDBConnection } from '@duckdb/node-api';
import { firstLineOf, WinnowError } from '../errors.js';
import type { Row } from '../store/db.js';
import { streamIds } from '../store/vectors.js';
import type { Dataset, Workspace } from '../store/workspace.js';
import { checkReadOnly } from './guard.js';

export interface QueryOptions {
  /** Scope every view to this dataset. */
  dataset?: Dataset;
  /** Stop the query after this long (default 30 s). */
  timeoutMs?: number;
  /** Read at most this many rows (default 100,000); `truncated` says when there were more. */
  maxRows?: number;
}

export interface QueryResult {
  columns: string[];
  rows: Row[];
  truncated: boolean;
  milliseconds: number;
}

/**
 * Runs user SQL read-only: it must pass the guard, runs on its own connection (so the
 * time limit's interrupt cannot touch the engine's writes) and is stopped at the limit.
 */
export async function runQuery(ws: Workspace, sql: string, options: QueryOptions = {}): Promise<QueryResult> {
  const maxRows = options.maxRows ?? 100_000;
  const started = performance.now();
  return withUserQuery(ws, sql, options, async (connection) => {
    const reader = await connection.runAndReadUntil(sql, maxRows + 1);
    const rows = reader.getRowObjectsJS().map(jsonReady);
    return {
      columns: reader.columnNames(),
      rows: rows.slice(0, maxRows),
      truncated: rows.length > maxRows,
      milliseconds: Math.round(performance.now() - started),
    };
  });
}

/**
 * The sample ids user SQL selects (its first column, an INTEGER), as one array without an object
 * per row: what the scatter needs to show a query over a million points. Same rules as runQuery.
 */
export function runIdQuery(ws: Workspace, sql: string, options: QueryOptions = {}): Promise<Int32Array> {
  return withUserQuery(ws, sql, options, (connection) => streamIds(connection, sql));
}

async function withUserQuery<T>(
  ws: Workspace,
  sql: string,
  options: QueryOptions,
  read: (connection: DuckDBConnection) => Promise<T>,
): Promise<T> {
  await checkReadOnly(ws.db, sql);
  const connection = await ws.db.connect();
  const timeoutMs = options.timeoutMs ?? 30_000;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    connection.interrupt();
  }, timeoutMs);
  try {
    await scope(connection, options.dataset);
    return await read(connection);
  } catch (error) {
    if (timedOut)
      throw new WinnowError('query_timeout', `query stopped after its time limit of ${timeoutMs / 1000} s`);
    throw new WinnowError('invalid_argument', `query failed: ${firstLineOf(error)}`, { cause: error });
  } finally {
    clearTimeout(timer);
    connection.closeSync();
  }
}

async function scope(connection: DuckDBConnection, dataset: Dataset | undefined): Promise<void> {
  if (dataset) await connection.run(`SET VARIABLE winnow_dataset_id = ${Number(dataset.id)}`);
}

/** Values as JSON shows them: counts as numbers, times as ISO text. */
function jsonReady(row: Record<string, unknown>): Row {
  const out: Row = {};
  for (const [key, value] of Object.entries(row)) out[key] = jsonValue(value);
  return out;
}

function jsonValue(value: unknown): unknown {
  if (typeof value === 'bigint')
    return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(jsonValue);
  if (value && typeof value === 'object' && value.constructor === Object) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, jsonValue(v)]));
  }
  if (value && typeof value === 'object') return String(value);
  return value;
}
