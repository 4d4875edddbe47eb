import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { WinnowError } from '../errors.js';
import { materializeSelection, type Selection } from '../query/selection.js';
import { sqlString } from '../store/db.js';
import { resolveVersion } from '../store/history.js';
import type { Dataset, Workspace } from '../store/workspace.js';

export type FilenameForm = 'relative' | 'absolute' | 'url';

/** The selected samples' filenames, sorted, in the form asked for. */
export async function exportFilenames(
  ws: Workspace,
  dataset: Dataset,
  selection: Selection,
  form: FilenameForm = 'relative',
): Promise<string[]> {
  const { table } = await materializeSelection(ws, dataset, selection, 'export_selection');
  const rows = await ws.db.all<{ path: string }>(
    `SELECT s.path FROM winnow.samples s JOIN temp.${table} USING (sample_id) ORDER BY s.path`,
  );
  return rows.map((row) => locate(dataset, row.path, form));
}

function locate(dataset: Dataset, path: string, form: FilenameForm): string {
  if (form === 'relative') return path;
  if (dataset.input.kind !== 'local') return `${dataset.input.uri.replace(/\/$/, '')}/${path}`;
  const absolute = join(dataset.input.uri, path);
  return form === 'absolute' ? absolute : pathToFileURL(absolute).href;
}

export const DEFAULT_COLUMNS = ['filename', 'kind', 'width', 'height', 'size', 'status'];

/** Writes the selected samples' columns (from the `samples` view) as CSV or JSON. */
export async function exportSamples(
  ws: Workspace,
  dataset: Dataset,
  selection: Selection,
  options: { format: 'csv' | 'json'; file: string; columns?: string[] },
): Promise<number> {
  const available = (
    await ws.db.all<{ column_name: string }>(
      `SELECT column_name FROM information_schema.columns WHERE table_schema = 'main' AND table_name = 'samples'`,
    )
  ).map((row) => row.column_name);
  const columns = options.columns?.length ? options.columns : DEFAULT_COLUMNS;
  for (const column of columns) {
    if (!available.includes(column)) {
      throw new WinnowError(
        'invalid_argument',
        `--columns: unknown column '${column}' (columns: ${available.join(', ')})`,
      );
    }
  }
  const { table, count } = await materializeSelection(ws, dataset, selection, 'export_selection');
  const format = options.format === 'csv' ? 'FORMAT csv, HEADER true' : 'FORMAT json, ARRAY true';
  mkdirSync(dirname(options.file), { recursive: true });
  await ws.db.run(
    `COPY (SELECT ${columns.map((c) => `s."${c}"`).join(', ')} FROM main.samples s JOIN temp.${table} USING (sample_id)
     ORDER BY s.filename) TO ${sqlString(options.file)} (${format})`,
  );
  return count;
}

export interface LabelExportOptions {
  /** The task whose labels to write (may be omitted when the dataset has one). */
  task?: string;
  source: 'predictions' | 'annotations';
  /** Annotations as they were at this version of the task (or at this time), not as they are now. */
  at?: number | Date;
}

interface Label {
  path: string;
  width: number | null;
  height: number | null;
  category_id: number;
  score: number | null;
  box: number[] | null;
}

/** A COCO instances file of the selected samples and their boxes. Returns the counts written. */
export async function exportCoco(
  ws: Workspace,
  dataset: Dataset,
  selection: Selection,
  options: LabelExportOptions & { file: string },
): Promise<{ images: number; annotations: number }> {
  const { categories, labels, images } = await readLabels(ws, dataset, selection, options);
  const imageIds = new Map(images.map((image, i) => [image.path, i + 1]));
  const coco = {
    images: images.map((image, i) => ({
      id: i + 1,
      file_name: image.path,
      width: image.width,
      height: image.height,
    })),
    annotations: labels
      .filter((label) => label.box)
      .map((label, i) => {
        const [x, y, w, h] = label.box!;
        return {
          id: i + 1,
          image_id: imageIds.get(label.path),
          category_id: label.category_id,
          bbox: [x, y, w, h],
          area: w! * h!,
          iscrowd: 0,
          ...(label.score === null ? {} : { score: label.score }),
        };
      }),
    categories: categories.map((c) => ({ id: c.category_id, name: c.name })),
  };
  mkdirSync(dirname(options.file), { recursive: true });
  writeFileSync(options.file, JSON.stringify(coco));
  return { images: coco.images.length, annotations: coco.annotations.length };
}

/**
 * A YOLO label folder: one `<path>.txt` per selected image (`class cx cy w h`, normalized,
 * classes numbered 0..n-1 in category order) and `classes.yaml` naming them.
 */
export async function exportYolo(
  ws: Workspace,
  dataset: Dataset,
  selection: Selection,
  options: LabelExportOptions & { dir: string },
): Promise<{ files: number; boxes: number }> {
  const { categories, labels, images } = await readLabels(ws, dataset, selection, options);
  const labelFiles = new Map<string, string>();
  for (const { path } of images) {
    const file = path.replace(/\.[^./]+$/, '.txt');
    const other = labelFiles.get(file);
    if (other !== undefined) {
      throw new WinnowError(
        'invalid_argument',
        `'${other}' and '${path}' would both get the YOLO label file ${file}: select only one of them`,
      );
    }
    labelFiles.set(file, path);
  }
  const classOf = new Map(categories.map((c, i) => [c.category_id, i]));
  const lines = new Map<string, string[]>(images.map((image) => [image.path, []]));
  let boxes = 0;
  for (const label of labels) {
    if (!label.box || !label.width || !label.height) continue;
    const [x, y, w, h] = label.box as [number, number, number, number];
    const values = [(x + w / 2) / label.width, (y + h / 2) / label.height, w / label.width, h / label.height];
    lines
      .get(label.path)!
      .push([classOf.get(label.category_id), ...values.map((v) => v.toFixed(6))].join(' '));
    boxes++;
  }
  for (const [labelFile, path] of labelFiles) {
    const content = lines.get(path)!;
    const file = join(options.dir, labelFile);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, content.length ? `${content.join('\n')}\n` : '');
  }
  const names = categories.map((c, i) => `  ${i}: ${JSON.stringify(c.name)}`).join('\n');
  writeFileSync(join(options.dir, 'classes.yaml'), `names:\n${names}\n`);
  return { files: lines.size, boxes };
}

async function readLabels(
  ws: Workspace,
  dataset: Dataset,
  selection: Selection,
  options: LabelExportOptions,
) {
  const task = await resolveTask(ws, dataset, options.task);
  const { table } = await materializeSelection(ws, dataset, selection, 'export_selection');
  const categories = await ws.db.all<{ category_id: number; name: string }>(
    'SELECT category_id, name FROM winnow.categories WHERE task_id = ? ORDER BY category_id',
    [task.task_id],
  );
  const images = await ws.db.all<{ path: string; width: number | null; height: number | null }>(
    `SELECT s.path, s.width, s.height FROM winnow.samples s JOIN temp.${table} USING (sample_id) ORDER BY s.path`,
  );
  const source = await labelSource(ws, task, options);
  const labels = await ws.db.all<Label>(
    `SELECT s.path, s.width, s.height, l.category_id, l.score, l.box
     FROM (${source.sql}) l JOIN temp.${table} USING (sample_id) JOIN winnow.samples s USING (sample_id)
     ORDER BY s.path`,
    source.params,
  );
  return { categories, labels, images };
}

/** SQL yielding a task's labels (sample_id, category_id, score, box), current or as of a version. */
async function labelSource(
  ws: Workspace,
  task: { task_id: number; name: string },
  options: LabelExportOptions,
): Promise<{ sql: string; params: number[] }> {
  if (options.source === 'predictions') {
    if (options.at !== undefined)
      throw new WinnowError('invalid_argument', '--at reads annotations back; predictions keep no history');
    return {
      sql: 'SELECT sample_id, category_id, score, box FROM winnow.predictions WHERE task_id = ?',
      params: [task.task_id],
    };
  }
  if (options.at === undefined) {
    return {
      sql: 'SELECT sample_id, category_id, NULL AS score, box FROM winnow.annotations WHERE task_id = ?',
      params: [task.task_id],
    };
  }
  const version = await resolveVersion(
    ws.db,
    {
      table: 'winnow.annotation_versions',
      column: 'task_id',
      id: task.task_id,
      label: `annotations of task '${task.name}'`,
    },
    options.at,
  );
  // Each annotation's last change up to that version, unless that change deleted it.
  return {
    sql: `SELECT sample_id, category_id, NULL AS score, box FROM (
            SELECT *, row_number() OVER (PARTITION BY annotation_id ORDER BY version DESC) AS newest
            FROM winnow.annotation_history WHERE task_id = ? AND version <= ?)
          WHERE newest = 1 AND operation <> 'delete'`,
    params: [task.task_id, version],
  };
}

async function resolveTask(
  ws: Workspace,
  dataset: Dataset,
  task: string | undefined,
): Promise<{ task_id: number; name: string }> {
  const tasks = await ws.db.all<{ task_id: number; name: string }>(
    'SELECT task_id, name FROM winnow.tasks WHERE dataset_id = ? ORDER BY name',
    [dataset.id],
  );
  if (task !== undefined) {
    const found = tasks.find((t) => t.name === task);
    if (found) return found;
  } else if (tasks.length === 1) {
    return tasks[0]!;
  }
  const names = tasks.map((t) => t.name).join(', ') || 'none';
  throw new WinnowError(
    task === undefined ? 'invalid_argument' : 'not_found',
    task === undefined
      ? `--task: the dataset has several tasks (${names}); name one`
      : `--task: no task '${task}' (tasks: ${names})`,
  );
}
