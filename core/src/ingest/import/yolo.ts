import { basename, extname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { LongTaskOptions } from '../../errors.js';
import { boxProblem } from '../../labels/box.js';
import type { Dataset, Workspace } from '../../store/workspace.js';
import { yamlFailure } from '../../util/parse-failure.js';
import { Check, displayName, eachFile, listFiles, readText, shown, shownToken } from './check.js';
import {
  type ImportSummary,
  type ImportTarget,
  type InputName,
  type LabelRecord,
  labelTarget,
  recordRun,
  storeLabels,
  taskName,
} from './common.js';

export interface YoloOptions extends LongTaskOptions {
  /** classes.yaml (`names:` as {id: name} or a list) or a .txt with one name per line. */
  classes: string;
  as: ImportTarget;
  /** Defaults to the labels folder's name. */
  task?: string;
}

/**
 * A folder of YOLO label files, one per image (`a/b.txt` labels `a/b.jpg`, or whatever image
 * extension the sample has): `class cx cy w h` per line, normalized to 0–1, plus a score in a
 * sixth column for predictions. Boxes become pixels with each sample's width and height, so
 * samples whose size is unknown (corrupt, not yet probed) stay unmatched.
 */
export async function importYolo(
  ws: Workspace,
  dataset: Dataset,
  labelsDir: string,
  options: YoloOptions,
): Promise<ImportSummary> {
  const target = labelTarget(options.as);
  const task = taskName(options.task ?? basename(resolve(labelsDir)));
  const config = { format: 'yolo', source: labelsDir, as: target, task, classes: resolve(options.classes) };
  return recordRun(ws, dataset, config, async (runId) => {
    const classesFile = displayName(options.classes);
    const classes = parseClasses(
      new Check(classesFile),
      await readText(options.classes, classesFile),
      options.classes,
    );
    const classesPath = resolve(options.classes);
    const files = (await listFiles(labelsDir, '.txt', displayName(labelsDir))).filter(
      (file) => resolve(labelsDir, file) !== classesPath,
    );
    const names: InputName[] = [];
    const records: LabelRecord[] = [];
    await eachFile(labelsDir, files, options, (text, file, display) => {
      const name = file.slice(0, -'.txt'.length);
      names.push({ name, file });
      parseLabelFile(new Check(display), text, name, classes, classesFile, records);
    });
    const stored = await storeLabels(
      ws.db,
      dataset.id,
      {
        names,
        by: 'stem',
        sizes: true,
        source: displayName(labelsDir),
        target,
        boxes: 'normalized-center',
        sets: [
          {
            task: {
              name: task,
              type: 'object-detection',
              categories: classes,
              file: classesFile,
              field: 'names',
            },
            records,
          },
        ],
        detail: { run_id: runId, format: 'yolo', source: labelsDir },
      },
      options,
    );
    return { kind: 'yolo', target, task, ...stored };
  });
}

const COLUMNS = ['cx', 'cy', 'w', 'h', 'score'];

/** Appends the file's boxes to `records`; an empty file is an image with no objects. */
function parseLabelFile(
  check: Check,
  text: string,
  name: string,
  classes: Map<number, string>,
  classesFile: string,
  records: LabelRecord[],
): void {
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (!line) return;
    const field = `line ${i + 1}`;
    const parts = line.split(/\s+/);
    if (parts.length !== 5 && parts.length !== 6) {
      check.fail(field, `expected 'class cx cy w h' or 'class cx cy w h score', got ${parts.length} values`);
    }
    if (!/^\d+$/.test(parts[0]!)) {
      check.fail(field, `class: expected a class id (an integer from 0), got ${shownToken(parts[0]!)}`);
    }
    const category = Number(parts[0]);
    if (!classes.has(category)) {
      check.fail(
        field,
        `class ${category} not in ${classesFile} (${classes.size} ${classes.size === 1 ? 'class' : 'classes'})`,
      );
    }
    // Coordinates outside 0–1 mean pixel labels or a broken export; Ultralytics refuses them too.
    const values = parts.slice(1).map((part, j) => {
      const number = Number(part);
      if (!Number.isFinite(number) || number < 0 || number > 1) {
        check.fail(field, `${COLUMNS[j]}: expected a number from 0 to 1, got ${shownToken(part)}`);
      }
      return number;
    });
    const box = values.slice(0, 4);
    const problem = boxProblem(box);
    if (problem) check.fail(field, problem);
    records.push({ name, category, box, score: values[4] ?? null });
  });
}

/** Class id → name, from YOLO's data YAML (`names:`) or a plain list, one name per line. */
function parseClasses(check: Check, text: string, path: string): Map<number, string> {
  const classes = new Map<number, string>();
  if (extname(path).toLowerCase() === '.txt') {
    text
      .split('\n')
      .map((line) => line.trim())
      .filter(Boolean)
      .forEach((name, id) => {
        classes.set(id, name);
      });
    if (classes.size === 0) check.fail(undefined, 'no class names (expected one per line)');
    return classes;
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (error) {
    check.fail(undefined, yamlFailure(error));
  }
  const names = check.object(doc ?? {}, undefined).names;
  if (Array.isArray(names)) {
    names.forEach((name, id) => {
      classes.set(id, className(check, name, `names[${id}]`));
    });
  } else if (names !== null && typeof names === 'object') {
    for (const [key, name] of Object.entries(names)) {
      if (!/^\d+$/.test(key)) check.fail(`names.${key}`, 'class ids must be non-negative integers');
      classes.set(Number(key), className(check, name, `names.${key}`));
    }
  } else {
    check.fail('names', `expected a list of class names or a map of id to name, got ${shown(names)}`);
  }
  if (classes.size === 0) check.fail('names', 'no class names');
  return classes;
}

/** YAML reads `1: 7` or `2: true` as non-strings; a class may well be named so. */
function className(check: Check, value: unknown, field: string): string {
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return check.string(value, field);
}
