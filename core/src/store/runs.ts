import { randomBytes } from 'node:crypto';
import { WinnowError } from '../errors.js';
import type { Database } from './db.js';

export type RunKind = 'ingest' | 'import' | 'selection' | 'analysis' | 'embedding';

/**
 * A run records one piece of long work on a dataset: its config, its outcome and, where it
 * produced samples (added by an ingest, chosen by a selection), which ones.
 */
export async function startRun(
  db: Database,
  datasetId: number,
  kind: RunKind,
  config: unknown,
): Promise<string> {
  const stamp = new Date().toISOString().replace(/[-:T]/g, '').slice(0, 14);
  const runId = `${kind}-${stamp}-${randomBytes(3).toString('hex')}`;
  await db.run(
    `INSERT INTO winnow.runs (run_id, dataset_id, kind, config, status, pid, process_started_at)
     VALUES (?, ?, ?, ?, 'running', ?, ?::TIMESTAMP)`,
    [runId, datasetId, kind, JSON.stringify(config), process.pid, PROCESS_STARTED_AT],
  );
  return runId;
}

/**
 * When this process started, to the millisecond: with the pid it names the process that ran a
 * run, even where pids are reused (a container's process is often pid 1 on every start).
 */
const PROCESS_STARTED_AT = new Date(Math.round(Date.now() - process.uptime() * 1000)).toISOString();

/**
 * Marks `interrupted` the runs still `running` that another process started: one process opens
 * a workspace at a time (DuckDB locks the file), so such a process was killed or crashed before
 * it could finish them. Called when the workspace is opened; returns how many were marked.
 */
export async function markInterruptedRuns(db: Database): Promise<number> {
  const marked = await db.all(
    `UPDATE winnow.runs SET status = 'interrupted', finished_at = now(),
       error = 'interrupted: ' || CASE WHEN pid IS NULL THEN 'its process' ELSE 'process ' || pid END ||
               ' ended before the run finished (killed or crashed)'
     WHERE status = 'running'
       AND (pid IS DISTINCT FROM ? OR process_started_at IS DISTINCT FROM ?::TIMESTAMP)
     RETURNING run_id`,
    [process.pid, PROCESS_STARTED_AT],
  );
  return marked.length;
}

export async function finishRun(
  db: Database,
  runId: string,
  outcome: { status: 'done' | 'failed' | 'cancelled'; stats?: unknown; error?: string },
): Promise<void> {
  await db.run(
    'UPDATE winnow.runs SET status = ?, stats = ?, error = ?, finished_at = now() WHERE run_id = ?',
    [
      outcome.status,
      outcome.stats === undefined ? null : JSON.stringify(outcome.stats),
      outcome.error ?? null,
      runId,
    ],
  );
}

/** What a run has done so far, in its stats while it is still running (a long run's progress). */
export async function recordRunProgress(db: Database, runId: string, stats: unknown): Promise<void> {
  await db.run("UPDATE winnow.runs SET stats = ? WHERE run_id = ? AND status = 'running'", [
    JSON.stringify(stats),
    runId,
  ]);
}

/**
 * Runs `work` as a recorded run: started before, finished with its result as stats, or marked
 * failed or cancelled (a native AbortError becomes Winnow's `cancelled`) and rethrown.
 */
export async function withRun<T>(
  db: Database,
  datasetId: number,
  kind: RunKind,
  config: unknown,
  work: (runId: string) => Promise<T>,
): Promise<T> {
  const runId = await db.transaction(() => startRun(db, datasetId, kind, config));
  try {
    const result = await work(runId);
    await db.transaction(() => finishRun(db, runId, { status: 'done', stats: result }));
    return result;
  } catch (error) {
    const aborted = (error as Error)?.name === 'AbortError';
    const cancelled = aborted || (error instanceof WinnowError && error.code === 'cancelled');
    await db.transaction(() =>
      finishRun(db, runId, {
        status: cancelled ? 'cancelled' : 'failed',
        error: error instanceof Error ? error.message : String(error),
      }),
    );
    throw aborted ? new WinnowError('cancelled', 'cancelled') : error;
  }
}
