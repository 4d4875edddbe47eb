import { WinnowError } from '../errors.js';
import type { Database } from '../store/db.js';
import { recordAnnotationHistory } from '../store/history.js';
import type { Dataset, Workspace } from '../store/workspace.js';
import { boxProblem } from './box.js';

/** One human label on a sample: a class (with a box for detection). */
export interface Annotation {
  annotation_id: number;
  sample_id: number;
  task: string;
  category: string;
  /** [x, y, width, height] in pixels, for detection labels. */
  box: number[] | null;
  version: number;
}

export interface NewAnnotation {
  task: string;
  category: string;
  box?: number[];
}

/**
 * Labeling one annotation at a time, as the label panel does: each add, change or removal is a
 * new version of its task's annotations, recorded in the append-only history with what the
 * annotation was (so undo is a further change, and every earlier state can be read back).
 * A task is created on first use (detection when the label has a box, else classification),
 * and so is a class name the task does not have yet.
 */
export class Labels {
  private readonly db: Database;

  constructor(
    ws: Workspace,
    private readonly dataset: Dataset,
  ) {
    this.db = ws.db;
  }

  async list(sampleId: number): Promise<Annotation[]> {
    return this.db.all<Annotation>(
      `${SELECT} WHERE a.sample_id = ? AND t.dataset_id = ? ORDER BY t.name, a.annotation_id`,
      [sampleId, this.dataset.id],
    );
  }

  async add(sampleId: number, label: NewAnnotation): Promise<Annotation> {
    const box = checkBox(label.box);
    return this.db.transaction(async () => {
      await checkSample(this.db, this.dataset, sampleId);
      const taskId = await this.task(label.task, box ? 'object-detection' : 'classification');
      const categoryId = await this.category(taskId, label.category);
      const version = await this.nextVersion(taskId);
      const id = await this.db.value<number>(
        `INSERT INTO winnow.annotations (annotation_id, sample_id, task_id, category_id, box, version)
         VALUES (nextval('winnow.annotation_ids'), ?, ?, ?, ?::FLOAT[4], ?) RETURNING annotation_id`,
        [sampleId, taskId, categoryId, box ? JSON.stringify(box) : null, version],
      );
      await this.record(taskId, version, 'add', id);
      return this.get(id);
    });
  }

  /** Changes an annotation's class or box (a box of null removes it). */
  async update(
    annotationId: number,
    change: { category?: string; box?: number[] | null },
  ): Promise<Annotation> {
    const box = change.box === null ? null : checkBox(change.box);
    return this.db.transaction(async () => {
      const current = await this.get(annotationId);
      const taskId = await this.taskId(current.task);
      const categoryId =
        change.category === undefined ? undefined : await this.category(taskId, change.category);
      const version = await this.nextVersion(taskId);
      await this.db.run(
        `UPDATE winnow.annotations SET category_id = coalesce(?, category_id),
           box = CASE WHEN ? THEN ?::FLOAT[4] ELSE box END, version = ? WHERE annotation_id = ?`,
        [
          categoryId ?? null,
          change.box !== undefined,
          box ? JSON.stringify(box) : null,
          version,
          annotationId,
        ],
      );
      await this.record(taskId, version, 'update', annotationId);
      return this.get(annotationId);
    });
  }

  async delete(annotationId: number): Promise<{ annotation_id: number; version: number }> {
    return this.db.transaction(async () => {
      const current = await this.get(annotationId);
      const taskId = await this.taskId(current.task);
      const version = await this.nextVersion(taskId);
      await this.record(taskId, version, 'delete', annotationId);
      await this.db.run('DELETE FROM winnow.annotations WHERE annotation_id = ?', [annotationId]);
      return { annotation_id: annotationId, version };
    });
  }

  private async get(annotationId: number): Promise<Annotation> {
    const found = await this.db.one<Annotation>(`${SELECT} WHERE a.annotation_id = ? AND t.dataset_id = ?`, [
      annotationId,
      this.dataset.id,
    ]);
    if (!found)
      throw new WinnowError('not_found', `dataset '${this.dataset.name}' has no annotation ${annotationId}`);
    return found;
  }

  private async taskId(name: string): Promise<number> {
    const found = await this.findTask(name);
    if (!found) throw new WinnowError('not_found', `dataset '${this.dataset.name}' has no task '${name}'`);
    return found.task_id;
  }

  private findTask(name: string): Promise<{ task_id: number; type: string } | undefined> {
    return this.db.one('SELECT task_id, type FROM winnow.tasks WHERE dataset_id = ? AND name = ?', [
      this.dataset.id,
      name,
    ]);
  }

  private async task(name: string, type: 'object-detection' | 'classification'): Promise<number> {
    if (!name.trim()) throw new WinnowError('invalid_argument', 'task: give a name');
    const existing = await this.findTask(name);
    if (!existing) {
      return this.db.value<number>(
        'INSERT INTO winnow.tasks (dataset_id, name, type) VALUES (?, ?, ?) RETURNING task_id',
        [this.dataset.id, name, type],
      );
    }
    if (existing.type !== type && !(existing.type === 'object-detection' && type === 'classification')) {
      throw new WinnowError('invalid_argument', `task '${name}' holds ${existing.type} labels: give a box`);
    }
    return existing.task_id;
  }

  private async category(taskId: number, name: string): Promise<number> {
    if (!name.trim()) throw new WinnowError('invalid_argument', 'category: give a class name');
    const existing = await this.db.value<number | null>(
      'SELECT min(category_id) FROM winnow.categories WHERE task_id = ? AND name = ?',
      [taskId, name],
    );
    if (existing !== null) return existing;
    return this.db.value<number>(
      `INSERT INTO winnow.categories (task_id, category_id, name)
       SELECT ?, coalesce(max(category_id) + 1, 0), ? FROM winnow.categories WHERE task_id = ? RETURNING category_id`,
      [taskId, name, taskId],
    );
  }

  private async nextVersion(taskId: number): Promise<number> {
    return this.db.value<number>(
      'SELECT coalesce(max(version), 0) + 1 FROM winnow.annotation_versions WHERE task_id = ?',
      [taskId],
    );
  }

  private async record(taskId: number, version: number, operation: 'add' | 'update' | 'delete', id: number) {
    await recordAnnotationHistory(this.db, taskId, version, operation, `annotation_id = ${Number(id)}`);
    await this.db.run(
      'INSERT INTO winnow.annotation_versions (task_id, version, operation, detail) VALUES (?, ?, ?, ?)',
      [taskId, version, operation, JSON.stringify({ annotation_id: id, source: 'label' })],
    );
  }
}

/** Refuses an id that names no current sample of the dataset (a removed file's sample is not one). */
export async function checkSample(db: Database, dataset: Dataset, sampleId: number): Promise<void> {
  const found = await db.value<number>(
    "SELECT count(*) FROM winnow.samples WHERE sample_id = ? AND dataset_id = ? AND status <> 'removed'",
    [sampleId, dataset.id],
  );
  if (!Number(found))
    throw new WinnowError('not_found', `dataset '${dataset.name}' has no sample ${sampleId}`);
}

const SELECT = `SELECT a.annotation_id, a.sample_id, t.name AS task, c.name AS category, a.box::DOUBLE[] AS box, a.version
FROM winnow.annotations a JOIN winnow.tasks t USING (task_id)
JOIN winnow.categories c ON c.task_id = a.task_id AND c.category_id = a.category_id`;

/** A box as `boxProblem` has it (the rule imports follow too), or a one-line error naming the field. */
function checkBox(box: unknown): number[] | undefined {
  if (box === undefined) return undefined;
  const problem = Array.isArray(box) ? boxProblem(box) : 'expected [x, y, width, height] in pixels';
  if (problem) throw new WinnowError('invalid_argument', `box: ${problem}`);
  return box as number[];
}
