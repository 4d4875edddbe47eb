import type { Database } from './db.js';

/**
 * The read-only SQL surface that users query (documented in docs/sql.md). Views are
 * derived, so they are recreated on every open rather than migrated. When the session
 * variable `winnow_dataset_id` is set (`--dataset`), every view shows that dataset only.
 */
const inDataset = (column: string) =>
  `(getvariable('winnow_dataset_id') IS NULL OR ${column} = getvariable('winnow_dataset_id'))`;

export const VIEWS: Record<string, string> = {
  datasets: `
SELECT d.dataset_id, d.name, i.kind AS input_kind, i.uri AS input_uri, w.uri AS work_uri, d.created_at
FROM winnow.datasets d
JOIN winnow.datasources i ON i.datasource_id = d.input_datasource_id
JOIN winnow.datasources w ON w.datasource_id = d.work_datasource_id
WHERE ${inDataset('d.dataset_id')}`,
  samples: `
SELECT sample_id, dataset_id, kind, path AS filename, format, size, mtime, width, height, duration, fps,
  parent_id, frame_time, box, status, reason, added_at, updated_at
FROM winnow.samples
WHERE status <> 'removed' AND ${inDataset('dataset_id')}`,
  removed_samples: `
SELECT sample_id, dataset_id, kind, path AS filename, updated_at AS removed_at
FROM winnow.samples
WHERE status = 'removed' AND ${inDataset('dataset_id')}`,
  metadata: `
SELECT m.sample_id, m.dataset_id, m.key, f.type, f.categorical, m.value_num, m.value_str, m.value_bool
FROM winnow.metadata m
JOIN winnow.metadata_fields f ON f.dataset_id = m.dataset_id AND f.key = m.key
WHERE ${inDataset('m.dataset_id')}`,
  metadata_fields: `
SELECT dataset_id, key, type, categorical FROM winnow.metadata_fields WHERE ${inDataset('dataset_id')}`,
  tasks: `
SELECT task_id, dataset_id, name AS task, type AS task_type FROM winnow.tasks WHERE ${inDataset('dataset_id')}`,
  categories: `
SELECT t.task_id, t.name AS task, c.category_id, c.name AS category
FROM winnow.categories c JOIN winnow.tasks t USING (task_id)
WHERE ${inDataset('t.dataset_id')}`,
  predictions: `
SELECT p.sample_id, t.dataset_id, t.name AS task, t.type AS task_type, p.category_id, c.name AS category,
  p.score, p.probabilities, p.box, p.segmentation, p.keypoints
FROM winnow.predictions p
JOIN winnow.tasks t USING (task_id)
LEFT JOIN winnow.categories c ON c.task_id = p.task_id AND c.category_id = p.category_id
WHERE ${inDataset('t.dataset_id')}`,
  // Counts per class, aggregated on the ids before the names are joined: 80 rows meet the joins
  // instead of every prediction (at 30M predictions, ~55 ms instead of ~450 ms for the same
  // GROUP BY category over `predictions`; bench/queries.mjs, b_predictions_per_class).
  prediction_counts: `
SELECT t.dataset_id, t.name AS task, t.type AS task_type, p.category_id, c.name AS category,
  p.predictions, p.mean_score
FROM (SELECT task_id, category_id, count(*) AS predictions, avg(score) AS mean_score
      FROM winnow.predictions GROUP BY task_id, category_id) p
JOIN winnow.tasks t USING (task_id)
LEFT JOIN winnow.categories c ON c.task_id = p.task_id AND c.category_id = p.category_id
WHERE ${inDataset('t.dataset_id')}`,
  // One row per sample and task, derived at import (store/derived.ts): sorting 10M samples by
  // confidence reads this table alone, where the same over predictions reads every box.
  sample_scores: `
SELECT sample_id, dataset_id, task, predictions, max_score, min_score, mean_score
FROM winnow.prediction_scores WHERE ${inDataset('dataset_id')}`,
  annotations: `
SELECT a.annotation_id, a.sample_id, t.dataset_id, t.name AS task, t.type AS task_type, a.category_id,
  c.name AS category, a.box, a.segmentation, a.keypoints, a.version
FROM winnow.annotations a
JOIN winnow.tasks t USING (task_id)
LEFT JOIN winnow.categories c ON c.task_id = a.task_id AND c.category_id = a.category_id
WHERE ${inDataset('t.dataset_id')}`,
  // A sample's caption is its latest history row; a NULL there is a removal, not a gap to look past.
  captions: `
SELECT sample_id, dataset_id, caption, version, changed_at
FROM (SELECT * FROM winnow.caption_history WHERE ${inDataset('dataset_id')}
      QUALIFY row_number() OVER (PARTITION BY sample_id ORDER BY version DESC) = 1)
WHERE caption IS NOT NULL`,
  tags: `
SELECT t.tag_id, t.dataset_id, t.name AS tag, t.version, t.origin, t.created_at,
  (SELECT count(*) FROM winnow.tag_members m WHERE m.tag_id = t.tag_id) AS size
FROM winnow.tags t
WHERE t.deleted_at IS NULL AND ${inDataset('t.dataset_id')}`,
  tag_members: `
SELECT t.name AS tag, m.tag_id, m.sample_id
FROM winnow.tag_members m JOIN winnow.tags t USING (tag_id)
WHERE t.deleted_at IS NULL AND ${inDataset('t.dataset_id')}`,
  embedding_models: `
SELECT m.model_id, m.dataset_id, m.name AS model, m.dim, m.source, m.created_at, m.updated_at
FROM winnow.embedding_models m WHERE ${inDataset('m.dataset_id')}`,
  projections: `
SELECT p.projection_id, p.dataset_id, p.name AS projection, m.name AS model, p.method, p.params, p.run_id,
  p.created_at
FROM winnow.projections p JOIN winnow.embedding_models m USING (model_id)
WHERE ${inDataset('p.dataset_id')}`,
  coordinates: `
SELECT p.name AS projection, c.sample_id, c.x, c.y
FROM winnow.coordinates c JOIN winnow.projections p USING (projection_id)
WHERE ${inDataset('p.dataset_id')}`,
  duplicates: `
SELECT d.dataset_id, m.name AS model, d.threshold, d.group_id, d.sample_id, d.representative, d.run_id
FROM winnow.duplicate_groups d JOIN winnow.embedding_models m USING (model_id)
WHERE ${inDataset('d.dataset_id')}`,
  runs: `
SELECT run_id, dataset_id, kind, status, config, stats, error, started_at, finished_at
FROM winnow.runs WHERE ${inDataset('dataset_id')}`,
};

export async function createViews(db: Database): Promise<void> {
  for (const [name, body] of Object.entries(VIEWS)) {
    await db.run(`CREATE OR REPLACE VIEW main.${name} AS ${body}`);
  }
}
