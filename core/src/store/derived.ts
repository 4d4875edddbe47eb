import type { Database } from './db.js';

/**
 * Tables derived from others, kept current by whoever writes the source. Each refresh
 * rewrites one task's rows set-wise, inside the caller's transaction.
 */
export async function refreshPredictionScores(db: Database, taskId: number): Promise<void> {
  const id = Number(taskId);
  await db.run(`DELETE FROM winnow.prediction_scores WHERE task_id = ${id}`);
  await db.run(
    `INSERT INTO winnow.prediction_scores
     SELECT p.sample_id, t.dataset_id, p.task_id, t.name, count(*), max(p.score), min(p.score), avg(p.score)
     FROM winnow.predictions p JOIN winnow.tasks t USING (task_id)
     WHERE p.task_id = ${id}
     GROUP BY p.sample_id, t.dataset_id, p.task_id, t.name
     ORDER BY p.sample_id`,
  );
}
