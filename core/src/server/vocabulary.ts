import { runQuery } from '../query/run.js';
import type { QuerySlots } from '../query/slots.js';
import type { Dataset, Workspace } from '../store/workspace.js';
import { viewScope } from './samples.js';
import type { DatasetVocabulary, MetadataField, SamplePosition, TaskClasses } from './view-answers.js';

/** The time limit of the vocabulary's small queries (a few rows per task, model or key). */
const VOCABULARY_TIME_LIMIT_MS = 10_000;

/**
 * What the views offer as choices, read here so that no view writes SQL over core's views:
 * tasks with their classes (the labeling panel), prediction tasks and models (the selection
 * panel), metadata keys (the scatter's colours).
 */
export async function datasetVocabulary(ws: Workspace, dataset: Dataset): Promise<DatasetVocabulary> {
  const scope = { dataset, timeoutMs: VOCABULARY_TIME_LIMIT_MS };
  const [tasks, classes, predicted, models, fields] = await Promise.all([
    runQuery(
      ws,
      `SELECT t.task, t.task_type, list(c.category ORDER BY c.category_id) FILTER (WHERE c.category IS NOT NULL) AS classes
       FROM tasks t LEFT JOIN categories c USING (task_id) GROUP BY t.task, t.task_type ORDER BY t.task`,
      scope,
    ),
    // In the order of the first task that has the class: the imported model's order, then new ones.
    runQuery(
      ws,
      'SELECT category FROM categories GROUP BY category ORDER BY min(task_id::BIGINT * 1000000 + category_id)',
      scope,
    ),
    runQuery(ws, 'SELECT DISTINCT task FROM prediction_counts ORDER BY task', scope),
    runQuery(ws, 'SELECT model FROM embedding_models ORDER BY model', scope),
    runQuery(ws, 'SELECT DISTINCT key, type, categorical FROM metadata_fields ORDER BY key', scope),
  ]);
  return {
    tasks: tasks.rows.map(
      (row): TaskClasses => ({
        task: String(row.task),
        type: String(row.task_type),
        classes: (row.classes as string[] | null) ?? [],
      }),
    ),
    classes: classes.rows.map((row) => String(row.category)),
    predictionTasks: predicted.rows.map((row) => String(row.task)),
    models: models.rows.map((row) => String(row.model)),
    metadataFields: fields.rows.map(
      (row): MetadataField => ({
        key: String(row.key),
        type: row.type as MetadataField['type'],
        categorical: Boolean(row.categorical),
      }),
    ),
  };
}

/**
 * A sample's place among the samples meeting `where` (a user's condition: it takes a user
 * query's turn), in id order: the labeling panel steps to the next and previous from it.
 */
export async function samplePosition(
  ws: Workspace,
  dataset: Dataset,
  sampleId: number,
  where: string,
  slots: QuerySlots,
): Promise<SamplePosition> {
  const { rows } = await runQuery(
    ws,
    `SELECT count(*) FILTER (WHERE sample_id < ${sampleId}) AS before,
            count(*) FILTER (WHERE sample_id = ${sampleId}) AS here, count(*) AS total
     FROM samples WHERE (${where})`,
    viewScope(dataset, where, slots),
  );
  const row = rows[0] ?? {};
  return {
    before: Number(row.before ?? 0),
    matches: Number(row.here ?? 0) > 0,
    total: Number(row.total ?? 0),
  };
}
