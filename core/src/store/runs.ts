import { randomBytes } from 'node:crypto';
import type { Database } from './db.js';

export type RunKind = 'ingest' | 'import' | 'selection' | 'analysis';

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
