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
    "INSERT INTO winnow.runs (run_id, dataset_id, kind, config, status) VALUES (?, ?, ?, ?, 'running')",
    [runId, datasetId, kind, JSON.stringify(config)],
  );
  return runId;
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
