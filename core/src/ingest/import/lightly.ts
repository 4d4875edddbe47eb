import { join } from 'node:path';
import type { LongTaskOptions } from '../../errors.js';
import type { Dataset, Workspace } from '../../store/workspace.js';
import {
  Check,
  displayName,
  eachFile,
  listFiles,
  NameSet,
  normalizeName,
  parseCategories,
  parseJson,
  readJson,
  shown,
  unknownCategory,
} from './check.js';
import {
  type FieldSpec,
  type FieldType,
  type ImportSummary,
  type InputName,
  type LabelRecord,
  type LabelSet,
  type MetadataValue,
  recordRun,
  stageNames,
  stageValues,
  storeLabels,
  storeMetadata,
  TASK_TYPES,
  type TaskType,
} from './common.js';

/**
 * Lightly's folder formats. Metadata: `schema.json` plus one JSON per file mirroring the
 * file's path. Predictions: `tasks.json`, then per task `<task>/schema.json` and one JSON
 * per file. Each per-file JSON names its file in `file_name`, which is what is matched;
 * where the JSON lies is only a convention.
 */

// ---------------------------------------------------------------------------------------------
// Metadata

const VALUE_TYPES = {
  NUMERIC_INT: { type: 'int', categorical: false },
  NUMERIC_FLOAT: { type: 'float', categorical: false },
  CATEGORICAL_STRING: { type: 'string', categorical: true },
  CATEGORICAL_INT: { type: 'int', categorical: true },
  CATEGORICAL_BOOLEAN: { type: 'bool', categorical: true },
} as const satisfies Record<string, { type: FieldType; categorical: boolean }>;
type ValueDataType = keyof typeof VALUE_TYPES;
const VALUE_DATA_TYPES = Object.keys(VALUE_TYPES) as ValueDataType[];

interface MetadataEntry {
  /**
   * The stored key is the schema's `path` (`weather.temperature`), not its `name`: the path
   * is what identifies the value in every file, while the name is a display label that
   * Lightly lets differ from it and does not require to be unique.
   */
  path: string;
  dataType: ValueDataType;
  defaultValue: Omit<MetadataValue, 'name' | 'key'> | undefined;
  field: string;
}

export async function importLightlyMetadata(
  ws: Workspace,
  dataset: Dataset,
  dir: string,
  options: LongTaskOptions = {},
): Promise<ImportSummary> {
  return recordRun(ws, dataset, { format: 'lightly-metadata', source: dir }, async () => {
    const schemaCheck = new Check(displayName(dir, join(dir, 'schema.json')));
    const schema = parseMetadataSchema(
      schemaCheck,
      await readJson(join(dir, 'schema.json'), schemaCheck.file),
    );
    const { names, values } = await readMetadataFiles(dir, schema, options);
    const fields: FieldSpec[] = schema.map((entry) => ({
      key: entry.path,
      ...VALUE_TYPES[entry.dataType],
      file: schemaCheck.file,
      field: `${entry.field}.valueDataType`,
    }));
    const stored = await storeMetadata(
      ws.db,
      dataset.id,
      { by: 'path', source: displayName(dir) },
      async () => {
        await stageNames(ws.db, names);
        await stageValues(ws.db, values);
        return fields;
      },
      options,
    );
    return { kind: 'lightly-metadata', ...stored };
  });
}

/** Every per-file JSON under `dir`, checked against the schema, as one value per field. */
async function readMetadataFiles(
  dir: string,
  schema: readonly MetadataEntry[],
  options: LongTaskOptions,
): Promise<{ names: InputName[]; values: MetadataValue[] }> {
  const files = (await listFiles(dir, '.json', displayName(dir))).filter((file) => file !== 'schema.json');
  const seen = new NameSet();
  const names: InputName[] = [];
  const values: MetadataValue[] = [];
  await eachFile(dir, files, options, (text, _file, display) => {
    const check = new Check(display);
    const doc = check.object(parseJson(text, display), undefined);
    const fileName = check.string(doc.file_name, 'file_name');
    const name = normalizeName(fileName);
    seen.add(name, check, 'file_name');
    names.push({ name, file: fileName });
    if (doc.type !== undefined) check.oneOf(doc.type, 'type', ['image', 'video', 'frame']);
    const metadata = check.object(doc.metadata ?? {}, 'metadata');
    for (const entry of schema) {
      const value = metadataValue(check, entry, lookup(metadata, entry.path));
      if (value) values.push({ name, key: entry.path, ...value });
    }
  });
  return { names, values };
}

function parseMetadataSchema(check: Check, value: unknown): MetadataEntry[] {
  const paths = new Set<string>();
  return check.array(value, undefined).map((item, i) => {
    const field = `[${i}]`;
    const entry = check.object(item, field);
    check.string(entry.name, `${field}.name`);
    const path = check.string(entry.path, `${field}.path`);
    if (paths.has(path)) check.fail(`${field}.path`, `'${path}' is listed twice`);
    paths.add(path);
    const dataType = check.oneOf(entry.valueDataType, `${field}.valueDataType`, VALUE_DATA_TYPES);
    const parsed: MetadataEntry = { path, dataType, defaultValue: undefined, field };
    parsed.defaultValue = metadataValue(
      check,
      { ...parsed, field: `${field}.defaultValue` },
      entry.defaultValue,
      true,
    );
    return parsed;
  });
}

/** Follows a dot path; a value missing anywhere along it is undefined, and takes the default. */
function lookup(metadata: Record<string, unknown>, path: string): unknown {
  let value: unknown = metadata;
  for (const part of path.split('.')) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

function metadataValue(
  check: Check,
  entry: MetadataEntry,
  value: unknown,
  isDefault = false,
): Omit<MetadataValue, 'name' | 'key'> | undefined {
  if (value === undefined || value === null) return isDefault ? undefined : entry.defaultValue;
  const field = isDefault ? entry.field : `metadata.${entry.path}`;
  const wrong = () => check.fail(field, `expected ${entry.dataType}, got ${shown(value)}`);
  switch (VALUE_TYPES[entry.dataType].type) {
    case 'int':
      return Number.isSafeInteger(value) ? { num: value as number } : wrong();
    case 'float':
      return typeof value === 'number' && Number.isFinite(value) ? { num: value } : wrong();
    case 'string':
      return typeof value === 'string' ? { str: value } : wrong();
    case 'bool':
      return typeof value === 'boolean' ? { bool: value } : wrong();
  }
}

// ---------------------------------------------------------------------------------------------
// Predictions

interface PredictionSchema {
  type: TaskType;
  categories: Map<number, string>;
  /** Category ids in schema order: `probabilities` are given in this order. */
  order: number[];
  check: Check;
}

export async function importLightlyPredictions(
  ws: Workspace,
  dataset: Dataset,
  dir: string,
  options: LongTaskOptions = {},
): Promise<ImportSummary> {
  return recordRun(
    ws,
    dataset,
    { format: 'lightly-predictions', source: dir, as: 'predictions' },
    async (runId) => {
      const tasksCheck = new Check(displayName(dir, join(dir, 'tasks.json')));
      const tasks = parseTaskList(tasksCheck, await readJson(join(dir, 'tasks.json'), tasksCheck.file));
      const sets: LabelSet[] = [];
      const names = new Map<string, string>();
      for (const task of tasks) {
        sets.push(await readTask(dir, task, names, options));
      }
      const stored = await storeLabels(
        ws.db,
        dataset.id,
        {
          names: [...names].map(([name, file]) => ({ name, file })),
          by: 'path',
          source: displayName(dir),
          target: 'predictions',
          boxes: 'pixels',
          sets,
          detail: { run_id: runId, format: 'lightly-predictions', source: dir },
        },
        options,
      );
      return { kind: 'lightly-predictions', target: 'predictions', task: tasks.join(','), ...stored };
    },
  );
}

/** tasks.json: a list of task names, or of {name}. Names are folder names, so no separators. */
function parseTaskList(check: Check, value: unknown): string[] {
  const tasks = check.array(value, undefined).map((item, i) => {
    const name = typeof item === 'object' && item !== null ? (item as { name?: unknown }).name : item;
    const field = typeof item === 'object' && item !== null ? `[${i}].name` : `[${i}]`;
    const task = check.string(name, field);
    if (/[/\\]/.test(task) || task === '.' || task === '..')
      check.fail(field, `'${task}' is not a folder name`);
    return task;
  });
  const twice = tasks.find((task, i) => tasks.indexOf(task) !== i);
  if (twice) check.fail(undefined, `task '${twice}' is listed twice`);
  return tasks;
}

/** Reads one task's schema and prediction files; `names` gathers file names across tasks. */
async function readTask(
  dir: string,
  task: string,
  names: Map<string, string>,
  options: LongTaskOptions,
): Promise<LabelSet> {
  const taskDir = join(dir, task);
  const schemaCheck = new Check(displayName(dir, join(taskDir, 'schema.json')));
  const schema = parsePredictionSchema(
    schemaCheck,
    await readJson(join(taskDir, 'schema.json'), schemaCheck.file),
  );
  const files = (await listFiles(taskDir, '.json', displayName(dir, taskDir))).filter(
    (f) => f !== 'schema.json',
  );
  const seen = new NameSet();
  const records: LabelRecord[] = [];
  await eachFile(
    taskDir,
    files,
    { ...options, phase: `read ${task}`, displayRoot: dir },
    (text, _file, display) => {
      const check = new Check(display);
      const doc = check.object(parseJson(text, display), undefined);
      const fileName = check.string(doc.file_name, 'file_name');
      const name = normalizeName(fileName);
      seen.add(name, check, 'file_name');
      names.set(name, fileName);
      check.array(doc.predictions, 'predictions').forEach((item, i) => {
        records.push({ name, ...parsePrediction(check, item, `predictions[${i}]`, schema) });
      });
    },
  );
  return {
    task: {
      name: task,
      type: schema.type,
      categories: schema.categories,
      file: schemaCheck.file,
      field: 'categories',
    },
    records,
  };
}

function parsePredictionSchema(check: Check, value: unknown): PredictionSchema {
  const doc = check.object(value, undefined);
  const type = check.oneOf(doc.task_type, 'task_type', TASK_TYPES);
  const categories = parseCategories(check, doc.categories, 'categories');
  return { type, categories, order: [...categories.keys()], check };
}

/** What each task type cannot do without: a box for detection, a mask for segmentation... */
const REQUIRED: Partial<Record<TaskType, 'bbox' | 'segmentation' | 'keypoints'>> = {
  'object-detection': 'bbox',
  'semantic-segmentation': 'segmentation',
  'instance-segmentation': 'segmentation',
  'keypoint-detection': 'keypoints',
};

function parsePrediction(
  check: Check,
  value: unknown,
  field: string,
  schema: PredictionSchema,
): Omit<LabelRecord, 'name'> {
  const p = check.object(value, field);
  const required = REQUIRED[schema.type];
  if (required && p[required] === undefined)
    check.fail(`${field}.${required}`, `missing; ${schema.type} needs it`);
  const probabilities =
    p.probabilities === undefined ? null : check.numbers(p.probabilities, `${field}.probabilities`);
  if (probabilities && probabilities.length !== schema.order.length) {
    check.fail(
      `${field}.probabilities`,
      `expected ${schema.order.length} (one per category), got ${probabilities.length}`,
    );
  }
  return {
    category: predictedCategory(check, p.category_id, field, schema, probabilities),
    score: p.score === undefined ? null : check.score(p.score, `${field}.score`),
    probabilities: probabilities && byCategoryId(probabilities, schema.order),
    box: p.bbox === undefined ? null : check.box(p.bbox, `${field}.bbox`),
    segmentation: p.segmentation === undefined ? null : check.counts(p.segmentation, `${field}.segmentation`),
    keypoints: p.keypoints === undefined ? null : check.keypoints(p.keypoints, `${field}.keypoints`),
  };
}

/** Probabilities come in schema order; they are stored in ascending category id order, as everywhere in Winnow. */
function byCategoryId(probabilities: number[], order: number[]): number[] {
  return order
    .map((id, i) => [id, probabilities[i]!] as const)
    .sort((a, b) => a[0] - b[0])
    .map(([, p]) => p);
}

/** A classification may give only probabilities; its category is then the likeliest one. */
function predictedCategory(
  check: Check,
  value: unknown,
  field: string,
  schema: PredictionSchema,
  probabilities: number[] | null,
): number {
  if (value === undefined && probabilities && schema.type === 'classification') {
    const best = probabilities.reduce((top, p, i) => (p > probabilities[top]! ? i : top), 0);
    return schema.order[best]!;
  }
  if (value === undefined) check.fail(`${field}.category_id`, 'missing');
  const id = check.categoryId(value, `${field}.category_id`);
  if (!schema.categories.has(id)) {
    check.fail(`${field}.category_id`, `${id} is ${unknownCategory(schema.categories, schema.check.file)}`);
  }
  return id;
}
