import type { DuckDBConnection } from '@duckdb/node-api';
import { firstLineOf, WinnowError } from '../errors.js';
import type { Row } from '../store/db.js';
import { streamIds } from '../store/vectors.js';
import type { Dataset, Workspace } from '../store/workspace.js';
import { checkReadOnly } from './guard.js';
import type { QuerySlots } from './slots.js';

/** The time limits a query may be given, in seconds. */
export const TIME_LIMIT_RANGE = { min: 0.1, max: 3600 } as const;
/** A query's time limit unless told otherwise. */
export const DEFAULT_TIME_LIMIT_MS = 30_000;
/** How long past its time limit a query that ignores its interrupt is given up on. */
export const INTERRUPT_GRACE_MS = 1000;
/** How many bytes of JSON a result may hold unless told otherwise. */
export const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;

export interface QueryOptions {
  /** Scope every view to this dataset. */
  dataset?: Dataset;
  /** Stop the query after this long (default 30 s), waiting for a slot included. */
  timeoutMs?: number;
  /** Read at most this many rows (default 100,000); `truncated` says when there were more. */
  maxRows?: number;
  /** Read at most this many bytes of rows as JSON (default 64 MB); `truncated` says when there were more. */
  maxBytes?: number;
  /** Wait for a turn among these before running (the server's cap on concurrent user queries). */
  slots?: QuerySlots;
  /** Interrupts the query when aborted (Ctrl-C). */
  signal?: AbortSignal;
}

export interface QueryResult {
  columns: string[];
  rows: Row[];
  truncated: boolean;
  /** Which cap cut the result short: `max_rows` or `max_bytes` (null when it is whole). */
  truncatedBy: 'max_rows' | 'max_bytes' | null;
  milliseconds: number;
}

/** Why a time limit in seconds is out of range, or undefined when it is fine. */
export function timeLimitProblem(seconds: number): string | undefined {
  if (Number.isFinite(seconds) && seconds >= TIME_LIMIT_RANGE.min && seconds <= TIME_LIMIT_RANGE.max)
    return undefined;
  return `expected seconds from ${TIME_LIMIT_RANGE.min} to ${TIME_LIMIT_RANGE.max}`;
}

export function timeLimitError(timeoutMs: number): WinnowError {
  return new WinnowError('query_timeout', `query stopped after its time limit of ${timeoutMs / 1000} s`);
}

/**
 * Runs user SQL read-only: it must pass the guard, runs on its own connection (so the
 * time limit's interrupt cannot touch the engine's writes) and is stopped at the limit. The
 * result is read chunk by chunk and reading stops at the row or byte cap, so a huge result is
 * never materialized.
 */
export async function runQuery(ws: Workspace, sql: string, options: QueryOptions = {}): Promise<QueryResult> {
  const maxRows = options.maxRows ?? 100_000;
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const started = performance.now();
  return withUserQuery(ws, sql, options, async (connection) => {
    const result = await connection.stream(sql);
    const rows: Row[] = [];
    let bytes = 0;
    let truncatedBy: QueryResult['truncatedBy'] = null;
    reading: for await (const chunk of result.yieldRowObjectJs()) {
      for (const raw of chunk) {
        if (rows.length >= maxRows) {
          truncatedBy = 'max_rows';
          break reading;
        }
        const row = jsonReady(raw);
        bytes += JSON.stringify(row).length;
        if (bytes > maxBytes) {
          truncatedBy = 'max_bytes';
          break reading;
        }
        rows.push(row);
      }
    }
    return {
      columns: result.columnNames(),
      rows,
      truncated: truncatedBy !== null,
      truncatedBy,
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
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIME_LIMIT_MS;
  const started = performance.now();
  const release = options.slots ? await options.slots.acquire(timeoutMs) : () => undefined;
  const connection = await ws.db.connect();
  const remaining = Math.max(0, timeoutMs - (performance.now() - started));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    connection.interrupt();
  }, remaining);
  const cancel = () => connection.interrupt();
  options.signal?.addEventListener('abort', cancel, { once: true });
  const running = (async () => {
    try {
      await scope(connection, options.dataset);
      return await read(connection);
    } catch (error) {
      if (timedOut) throw timeLimitError(timeoutMs);
      if (options.signal?.aborted) throw new WinnowError('cancelled', 'query cancelled');
      throw new WinnowError('invalid_argument', `query failed: ${firstLineOf(error)}`, { cause: error });
    } finally {
      options.signal?.removeEventListener('abort', cancel);
      clearTimeout(timer);
      connection.closeSync();
      release();
    }
  })();
  // DuckDB checks the interrupt between vectors only: the caller is answered one grace period
  // after the limit even while a vector still runs, and the slot stays taken until it ends.
  let abandon: NodeJS.Timeout | undefined;
  const abandoned = new Promise<never>((_, reject) => {
    abandon = setTimeout(() => reject(timeLimitError(timeoutMs)), remaining + INTERRUPT_GRACE_MS);
  });
  try {
    return await Promise.race([running, abandoned]);
  } finally {
    clearTimeout(abandon);
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
