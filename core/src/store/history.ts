import { WinnowError } from '../errors.js';
import type { Database } from './db.js';

/** A history kept as numbered versions of one subject (a tag, or a task's annotations). */
export interface VersionedSubject {
  /** `winnow.tag_versions` or `winnow.annotation_versions`. */
  table: 'winnow.tag_versions' | 'winnow.annotation_versions';
  column: 'tag_id' | 'task_id';
  id: number;
  /** How messages name it: "tag 'train'", "annotations of task 'det'". */
  label: string;
}

/**
 * The version to read: `at` itself when it is a version number (checked to exist), the
 * latest version made at or before `at` when it is a time, the current one when absent.
 */
export async function resolveVersion(
  db: Database,
  subject: VersionedSubject,
  at?: number | Date,
): Promise<number> {
  const { table, column, id, label } = subject;
  if (at === undefined) {
    const latest = await db.value<number | null>(`SELECT max(version) FROM ${table} WHERE ${column} = ?`, [
      id,
    ]);
    if (latest === null) throw new WinnowError('not_found', `${label} has no history yet`);
    return latest;
  }
  if (typeof at === 'number') {
    const exists = await db.value<number>(
      `SELECT count(*) FROM ${table} WHERE ${column} = ? AND version = ?`,
      [id, at],
    );
    if (!exists) throw new WinnowError('not_found', `${label} has no version ${at}`);
    return at;
  }
  const version = await db.value<number | null>(
    `SELECT max(version) FROM ${table} WHERE ${column} = ? AND changed_at <= ?::TIMESTAMP`,
    [id, at.toISOString()],
  );
  if (version === null) throw new WinnowError('not_found', `${label} did not exist at ${at.toISOString()}`);
  return version;
}

/** Parses a `--at` option: a version number or an ISO 8601 time. */
export function parseAt(at: string | undefined): number | Date | undefined {
  if (at === undefined) return undefined;
  if (/^\d+$/.test(at)) return Number(at);
  const time = new Date(at);
  if (Number.isNaN(time.getTime())) {
    throw new WinnowError('invalid_argument', `--at '${at}': give a version number or an ISO 8601 time`);
  }
  return time;
}

/**
 * Copies the task's annotations that `where` picks into its history under `version`, as added,
 * updated or deleted: the history is append-only, so any earlier labeling can be read back.
 */
export async function recordAnnotationHistory(
  db: Database,
  taskId: number,
  version: number,
  operation: 'add' | 'update' | 'delete',
  where: string,
): Promise<void> {
  await db.run(
    `INSERT INTO winnow.annotation_history
       (task_id, version, annotation_id, operation, sample_id, category_id, box, segmentation, keypoints)
     SELECT ${Number(taskId)}, ${Number(version)}, annotation_id, '${operation}', sample_id, category_id, box, segmentation, keypoints
     FROM winnow.annotations WHERE ${where}`,
  );
}
