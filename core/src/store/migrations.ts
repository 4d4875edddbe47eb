import { WinnowError } from '../errors.js';
import type { Database } from './db.js';

/**
 * Numbered, append-only schema changes. A workspace records the highest version applied;
 * opening it applies the rest in order, each in its own transaction. Never edit a
 * migration that has shipped: add the next one.
 *
 * Base tables live in the schema `winnow`; users query the views in `main` (see views.ts).
 * Large tables carry no primary-key index: DuckDB's ART indexes cost memory and insert
 * speed at 10M rows, and the engine merges set-wise through staging tables instead.
 */
export const MIGRATIONS: readonly { version: number; description: string; sql: string }[] = [
  {
    version: 1,
    description: 'datasets, datasources, samples, metadata, predictions, tags with history, runs',
    sql: `
CREATE SCHEMA IF NOT EXISTS winnow;
CREATE SEQUENCE winnow.datasource_ids;
CREATE SEQUENCE winnow.dataset_ids;
CREATE SEQUENCE winnow.sample_ids;
CREATE SEQUENCE winnow.task_ids;
CREATE SEQUENCE winnow.tag_ids;

CREATE TABLE winnow.datasources (
  datasource_id INTEGER PRIMARY KEY DEFAULT nextval('winnow.datasource_ids'),
  kind VARCHAR NOT NULL CHECK (kind IN ('local', 's3', 'obs', 'gcs', 'azure')),
  uri VARCHAR NOT NULL,
  options JSON
);

CREATE TABLE winnow.datasets (
  dataset_id INTEGER PRIMARY KEY DEFAULT nextval('winnow.dataset_ids'),
  name VARCHAR NOT NULL UNIQUE,
  input_datasource_id INTEGER NOT NULL,
  work_datasource_id INTEGER NOT NULL,
  created_at TIMESTAMP NOT NULL DEFAULT now()
);

CREATE TABLE winnow.samples (
  sample_id INTEGER NOT NULL,
  dataset_id INTEGER NOT NULL,
  kind VARCHAR NOT NULL CHECK (kind IN ('image', 'video', 'frame', 'crop')),
  path VARCHAR NOT NULL,
  format VARCHAR,
  size BIGINT,
  mtime TIMESTAMP,
  etag VARCHAR,
  width INTEGER,
  height INTEGER,
  duration DOUBLE,
  fps DOUBLE,
  parent_id INTEGER,
  frame_time DOUBLE,
  box FLOAT[4],
  status VARCHAR NOT NULL CHECK (status IN ('ok', 'corrupt', 'removed')),
  reason VARCHAR,
  added_at TIMESTAMP NOT NULL DEFAULT now(),
  updated_at TIMESTAMP NOT NULL DEFAULT now()
);

CREATE TABLE winnow.metadata_fields (
  dataset_id INTEGER NOT NULL,
  key VARCHAR NOT NULL,
  type VARCHAR NOT NULL CHECK (type IN ('int', 'float', 'string', 'bool')),
  categorical BOOLEAN NOT NULL,
  PRIMARY KEY (dataset_id, key)
);

CREATE TABLE winnow.metadata (
  dataset_id INTEGER NOT NULL,
  sample_id INTEGER NOT NULL,
  key VARCHAR NOT NULL,
  value_num DOUBLE,
  value_str VARCHAR,
  value_bool BOOLEAN
);

CREATE TABLE winnow.tasks (
  task_id INTEGER PRIMARY KEY DEFAULT nextval('winnow.task_ids'),
  dataset_id INTEGER NOT NULL,
  name VARCHAR NOT NULL,
  type VARCHAR NOT NULL CHECK (type IN ('classification', 'object-detection', 'semantic-segmentation',
    'instance-segmentation', 'keypoint-detection')),
  UNIQUE (dataset_id, name)
);

CREATE TABLE winnow.categories (
  task_id INTEGER NOT NULL,
  category_id INTEGER NOT NULL,
  name VARCHAR NOT NULL,
  PRIMARY KEY (task_id, category_id)
);

CREATE TABLE winnow.predictions (
  sample_id INTEGER NOT NULL,
  task_id INTEGER NOT NULL,
  category_id INTEGER NOT NULL,
  score FLOAT,
  probabilities FLOAT[],
  box FLOAT[4],
  segmentation INTEGER[],
  keypoints FLOAT[]
);

CREATE TABLE winnow.tags (
  tag_id INTEGER PRIMARY KEY DEFAULT nextval('winnow.tag_ids'),
  dataset_id INTEGER NOT NULL,
  name VARCHAR NOT NULL,
  origin JSON NOT NULL,
  version INTEGER NOT NULL,
  created_at TIMESTAMP NOT NULL DEFAULT now(),
  deleted_at TIMESTAMP
);

CREATE TABLE winnow.tag_members (
  tag_id INTEGER NOT NULL,
  sample_id INTEGER NOT NULL
);

CREATE TABLE winnow.tag_history (
  tag_id INTEGER NOT NULL,
  version INTEGER NOT NULL,
  sample_id INTEGER NOT NULL,
  added BOOLEAN NOT NULL
);

CREATE TABLE winnow.tag_versions (
  tag_id INTEGER NOT NULL,
  version INTEGER NOT NULL,
  name VARCHAR NOT NULL,
  operation VARCHAR NOT NULL,
  detail JSON,
  size BIGINT NOT NULL,
  changed_at TIMESTAMP NOT NULL DEFAULT now(),
  PRIMARY KEY (tag_id, version)
);

CREATE TABLE winnow.runs (
  run_id VARCHAR PRIMARY KEY,
  dataset_id INTEGER NOT NULL,
  kind VARCHAR NOT NULL,
  config JSON,
  status VARCHAR NOT NULL CHECK (status IN ('running', 'done', 'failed', 'cancelled')),
  started_at TIMESTAMP NOT NULL DEFAULT now(),
  finished_at TIMESTAMP,
  stats JSON,
  error VARCHAR
);

CREATE TABLE winnow.run_samples (
  run_id VARCHAR NOT NULL,
  sample_id INTEGER NOT NULL,
  rank INTEGER
);
`,
  },
  {
    version: 2,
    description: 'human annotations with an append-only history',
    sql: `
CREATE SEQUENCE winnow.annotation_ids;

CREATE TABLE winnow.annotations (
  annotation_id INTEGER NOT NULL,
  sample_id INTEGER NOT NULL,
  task_id INTEGER NOT NULL,
  category_id INTEGER NOT NULL,
  box FLOAT[4],
  segmentation INTEGER[],
  keypoints FLOAT[],
  version INTEGER NOT NULL
);

CREATE TABLE winnow.annotation_history (
  task_id INTEGER NOT NULL,
  version INTEGER NOT NULL,
  annotation_id INTEGER NOT NULL,
  operation VARCHAR NOT NULL CHECK (operation IN ('add', 'update', 'delete')),
  sample_id INTEGER NOT NULL,
  category_id INTEGER NOT NULL,
  box FLOAT[4],
  segmentation INTEGER[],
  keypoints FLOAT[],
  changed_at TIMESTAMP NOT NULL DEFAULT now()
);

CREATE TABLE winnow.annotation_versions (
  task_id INTEGER NOT NULL,
  version INTEGER NOT NULL,
  operation VARCHAR NOT NULL,
  detail JSON,
  changed_at TIMESTAMP NOT NULL DEFAULT now(),
  PRIMARY KEY (task_id, version)
);
`,
  },
  {
    version: 3,
    description: 'per-sample prediction scores, derived from predictions for fast sorting by confidence',
    sql: `
CREATE TABLE winnow.prediction_scores (
  sample_id INTEGER NOT NULL,
  dataset_id INTEGER NOT NULL,
  task_id INTEGER NOT NULL,
  task VARCHAR NOT NULL,
  predictions INTEGER NOT NULL,
  max_score FLOAT,
  min_score FLOAT,
  mean_score FLOAT
);
INSERT INTO winnow.prediction_scores
SELECT p.sample_id, t.dataset_id, p.task_id, t.name, count(*), max(p.score), min(p.score), avg(p.score)
FROM winnow.predictions p JOIN winnow.tasks t USING (task_id)
GROUP BY p.sample_id, t.dataset_id, p.task_id, t.name
ORDER BY p.task_id, p.sample_id;
`,
  },
  {
    version: 4,
    description:
      'embedding models (vectors in one FLOAT[dim] table per model), 2-D projections, duplicate groups',
    sql: `
CREATE SEQUENCE winnow.embedding_model_ids;
CREATE SEQUENCE winnow.projection_ids;

CREATE TABLE winnow.embedding_models (
  model_id INTEGER PRIMARY KEY DEFAULT nextval('winnow.embedding_model_ids'),
  dataset_id INTEGER NOT NULL,
  name VARCHAR NOT NULL,
  dim INTEGER NOT NULL CHECK (dim > 0),
  source JSON,
  created_at TIMESTAMP NOT NULL DEFAULT now(),
  updated_at TIMESTAMP NOT NULL DEFAULT now(),
  UNIQUE (dataset_id, name)
);

CREATE TABLE winnow.projections (
  projection_id INTEGER PRIMARY KEY DEFAULT nextval('winnow.projection_ids'),
  dataset_id INTEGER NOT NULL,
  model_id INTEGER NOT NULL,
  name VARCHAR NOT NULL,
  method VARCHAR NOT NULL,
  params JSON,
  run_id VARCHAR,
  created_at TIMESTAMP NOT NULL DEFAULT now(),
  UNIQUE (dataset_id, name)
);

CREATE TABLE winnow.coordinates (
  projection_id INTEGER NOT NULL,
  sample_id INTEGER NOT NULL,
  x FLOAT NOT NULL,
  y FLOAT NOT NULL
);

CREATE TABLE winnow.duplicate_groups (
  dataset_id INTEGER NOT NULL,
  model_id INTEGER NOT NULL,
  run_id VARCHAR NOT NULL,
  threshold DOUBLE NOT NULL,
  group_id INTEGER NOT NULL,
  sample_id INTEGER NOT NULL,
  representative BOOLEAN NOT NULL
);
`,
  },
  {
    version: 5,
    description: 'sample captions with an append-only history',
    // One row per change, never rewritten: the current caption is a sample's latest row, and a
    // NULL caption records its removal, so every earlier caption can be read back.
    sql: `
CREATE TABLE winnow.caption_history (
  dataset_id INTEGER NOT NULL,
  sample_id INTEGER NOT NULL,
  caption VARCHAR,
  version INTEGER NOT NULL,
  changed_at TIMESTAMP NOT NULL DEFAULT now()
);
`,
  },
  {
    version: 6,
    description: 'runs record the process that ran them; a run whose process is gone is interrupted',
    // DuckDB cannot change a CHECK constraint in place: the table is rebuilt with the new status
    // and the process columns (NULL for earlier runs). The views read it by name, so they follow.
    sql: `
CREATE TABLE winnow.runs_v6 (
  run_id VARCHAR PRIMARY KEY,
  dataset_id INTEGER NOT NULL,
  kind VARCHAR NOT NULL,
  config JSON,
  status VARCHAR NOT NULL CHECK (status IN ('running', 'done', 'failed', 'cancelled', 'interrupted')),
  started_at TIMESTAMP NOT NULL DEFAULT now(),
  finished_at TIMESTAMP,
  stats JSON,
  error VARCHAR,
  pid INTEGER,
  process_started_at TIMESTAMP
);
INSERT INTO winnow.runs_v6 (run_id, dataset_id, kind, config, status, started_at, finished_at, stats, error)
SELECT run_id, dataset_id, kind, config, status, started_at, finished_at, stats, error FROM winnow.runs;
DROP TABLE winnow.runs;
ALTER TABLE winnow.runs_v6 RENAME TO runs;
`,
  },
  {
    version: 7,
    description: 'no credentials in stored endpoint URLs',
    // Earlier versions stored `--storage endpoint=http://user:password@host` as given; options are
    // now refused with credentials in a URL, so the stored ones lose theirs (keys come by reference).
    sql: `
UPDATE winnow.datasources
SET options = json_merge_patch(options, json_object('endpoint',
  regexp_replace(options->>'endpoint', '^([A-Za-z][A-Za-z0-9+.-]*://)[^/?#]*@', '\\1')))
WHERE regexp_matches(options->>'endpoint', '^[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*@');
`,
  },
  {
    version: 8,
    description: 'workspace settings (the model folder used at embed time)',
    sql: `
CREATE TABLE winnow.settings (
  name VARCHAR PRIMARY KEY,
  value VARCHAR NOT NULL,
  updated_at TIMESTAMP NOT NULL DEFAULT now()
);
`,
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

export async function schemaVersion(db: Database): Promise<number> {
  const exists = await db.value<number>(
    `SELECT count(*) FROM information_schema.tables WHERE table_schema = 'winnow' AND table_name = 'schema_version'`,
  );
  if (!exists) return 0;
  return (await db.value<number | null>('SELECT max(version) FROM winnow.schema_version')) ?? 0;
}

/** Brings the database to `target` (the current version by default). */
export async function migrate(db: Database, target = SCHEMA_VERSION): Promise<number> {
  const current = await schemaVersion(db);
  if (current > SCHEMA_VERSION) {
    throw new WinnowError(
      'schema_too_new',
      `workspace ${db.path} has schema version ${current}, newer than this Winnow (${SCHEMA_VERSION}); upgrade Winnow`,
    );
  }
  for (const migration of MIGRATIONS) {
    if (migration.version <= current || migration.version > target) continue;
    await db.transaction(async () => {
      await db.run('CREATE SCHEMA IF NOT EXISTS winnow');
      await db.run(
        'CREATE TABLE IF NOT EXISTS winnow.schema_version (version INTEGER NOT NULL, description VARCHAR, applied_at TIMESTAMP NOT NULL DEFAULT now())',
      );
      await db.run(migration.sql);
      await db.run('INSERT INTO winnow.schema_version (version, description) VALUES (?, ?)', [
        migration.version,
        migration.description,
      ]);
    });
  }
  return schemaVersion(db);
}
