import { basename } from 'node:path';
import { type LongTaskOptions, throwIfAborted } from '../../errors.js';
import type { Dataset, Workspace } from '../../store/workspace.js';
import {
  Check,
  displayName,
  NameSet,
  normalizeName,
  parseCategories,
  readJson,
  shown,
  unknownCategory,
} from './check.js';
import {
  type ImportSummary,
  type ImportTarget,
  type InputName,
  type LabelRecord,
  labelTarget,
  recordRun,
  storeLabels,
  type TaskType,
  taskName,
} from './common.js';

export interface CocoOptions extends LongTaskOptions {
  as: ImportTarget;
  /** Defaults to the file's name without `.json` (`instances_val2017`). */
  task?: string;
}

/** A COCO instances file: images, annotations and categories; boxes are already in pixels. */
export async function importCoco(
  ws: Workspace,
  dataset: Dataset,
  file: string,
  options: CocoOptions,
): Promise<ImportSummary> {
  const target = labelTarget(options.as);
  const task = taskName(options.task ?? basename(file).replace(/\.json$/i, ''));
  return recordRun(ws, dataset, { format: 'coco', source: file, as: target, task }, async (runId) => {
    const check = new Check(displayName(file));
    options.onProgress?.({ phase: 'read', done: 0, total: 1 });
    const coco = parseCoco(check, await readJson(file, check.file), options);
    options.onProgress?.({ phase: 'read', done: 1, total: 1 });
    const stored = await storeLabels(
      ws.db,
      dataset.id,
      {
        names: coco.names,
        by: 'path',
        source: check.file,
        target,
        boxes: 'pixels',
        sets: [
          {
            task: {
              name: task,
              type: coco.type,
              categories: coco.categories,
              file: check.file,
              field: 'categories',
            },
            records: coco.records,
          },
        ],
        detail: { run_id: runId, format: 'coco', source: file },
      },
      options,
    );
    return { kind: 'coco', target, task, ...stored };
  });
}

interface ParsedCoco {
  names: InputName[];
  categories: Map<number, string>;
  records: LabelRecord[];
  type: TaskType;
}

const PROGRESS_EVERY = 10_000;

function parseCoco(check: Check, value: unknown, options: LongTaskOptions): ParsedCoco {
  const doc = check.object(value, undefined);
  const { names, byId } = parseImages(check, doc.images);
  const categories = parseCategories(check, doc.categories, 'categories');
  const annotations = check.array(doc.annotations, 'annotations');
  const records: LabelRecord[] = [];
  let masks = 0;
  let keypoints = 0;
  annotations.forEach((item, i) => {
    if (i % PROGRESS_EVERY === 0) {
      throwIfAborted(options.signal);
      options.onProgress?.({ phase: 'validate', done: i, total: annotations.length });
    }
    const record = parseAnnotation(check, item, `annotations[${i}]`, byId, categories);
    if (record.segmentation) masks++;
    if (record.keypoints) keypoints++;
    records.push(record);
  });
  options.onProgress?.({ phase: 'validate', done: annotations.length, total: annotations.length });
  return { names, categories, records, type: taskType(records.length, masks, keypoints) };
}

/**
 * Instance segmentation only when every annotation carries a mask that is stored (RLE):
 * polygon masks cannot be, and a task calling itself segmentation with empty masks would mislead.
 */
function taskType(annotations: number, masks: number, keypoints: number): TaskType {
  if (keypoints > 0) return 'keypoint-detection';
  if (annotations > 0 && masks === annotations) return 'instance-segmentation';
  return 'object-detection';
}

function parseImages(check: Check, value: unknown): { names: InputName[]; byId: Map<unknown, string> } {
  const byId = new Map<unknown, string>();
  const seen = new NameSet();
  const names: InputName[] = [];
  check.array(value, 'images').forEach((item, i) => {
    const image = check.object(item, `images[${i}]`);
    if (typeof image.id !== 'string' && !Number.isSafeInteger(image.id)) {
      check.fail(`images[${i}].id`, `expected an integer or string id, got ${shown(image.id)}`);
    }
    if (byId.has(image.id)) check.fail(`images[${i}].id`, 'the id of an earlier image too');
    const fileName = check.string(image.file_name, `images[${i}].file_name`);
    const name = normalizeName(fileName);
    seen.add(name, check, `images[${i}].file_name`);
    byId.set(image.id, name);
    names.push({ name, file: fileName });
  });
  return { names, byId };
}

function parseAnnotation(
  check: Check,
  value: unknown,
  field: string,
  images: Map<unknown, string>,
  categories: Map<number, string>,
): LabelRecord {
  const a = check.object(value, field);
  const name = images.get(a.image_id);
  if (name === undefined)
    check.fail(
      `${field}.image_id`,
      `no image has this id${typeof a.image_id === 'number' ? ` (${a.image_id})` : ''}`,
    );
  const category = check.categoryId(a.category_id, `${field}.category_id`);
  if (!categories.has(category)) {
    check.fail(`${field}.category_id`, `${category} is ${unknownCategory(categories, 'categories')}`);
  }
  return {
    name,
    category,
    box: check.box(a.bbox, `${field}.bbox`),
    score: a.score === undefined ? null : check.score(a.score, `${field}.score`),
    segmentation: segmentation(check, a.segmentation, `${field}.segmentation`),
    keypoints: a.keypoints === undefined ? null : check.keypoints(a.keypoints, `${field}.keypoints`),
  };
}

/**
 * Masks are stored as run-length counts (column-major, as COCO counts them). Polygons do not
 * fit INTEGER[] and are left out; the box still is stored.
 */
function segmentation(check: Check, value: unknown, field: string): number[] | null {
  if (value === undefined || value === null || Array.isArray(value)) return null;
  const rle = check.object(value, field);
  if (typeof rle.counts === 'string') return decodeCounts(check, rle.counts, `${field}.counts`);
  return check.counts(rle.counts, `${field}.counts`);
}

/**
 * COCO's compressed RLE string (pycocotools' rleFrString): 5-bit groups in characters from
 * '0', little-endian, a 6th bit meaning "more", sign-extended; from the fourth count on, each
 * is stored as the difference from the count two before it.
 */
export function decodeCounts(check: Check, text: string, field: string): number[] {
  const counts: number[] = [];
  let p = 0;
  while (p < text.length) {
    let x = 0;
    let k = 0;
    let more = true;
    while (more) {
      if (p >= text.length) check.fail(field, 'compressed RLE ends in the middle of a count');
      const c = text.charCodeAt(p) - 48;
      if (c < 0 || c > 63) check.fail(field, `character ${p + 1} is not compressed RLE`);
      x += (c & 0x1f) * 2 ** (5 * k);
      more = (c & 0x20) !== 0;
      p++;
      k++;
      if (!more && c & 0x10) x -= 2 ** (5 * k);
    }
    if (counts.length > 2) x += counts[counts.length - 2]!;
    counts.push(x);
  }
  return check.counts(counts, field);
}
