import { readdir, readFile } from 'node:fs/promises';
import { basename, join, relative, resolve, sep } from 'node:path';
import { InputError, type LongTaskOptions, throwIfAborted } from '../../errors.js';
import { boxProblem } from '../../labels/box.js';
import { jsonFailure } from '../../util/parse-failure.js';

/**
 * Reading and validating import inputs. Everything here runs before the database is touched,
 * so that a bad record fails the import with a message naming the file and field, and nothing
 * is written.
 */

/**
 * How a value read from an input file appears in a message: a number or a boolean as it is, text
 * and structures only by their kind. The message names the file, line and field to look at; it
 * never quotes the file's text, which may not be what it was said to be (/etc/hostname given as
 * YOLO classes must not have its content echoed to whoever asked, nor stored in the run record).
 */
export function shown(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null || typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'string') return value === '' ? 'an empty string' : 'text';
  if (Array.isArray(value)) return `a list of ${value.length}`;
  return 'an object';
}

/** A token of a text format (YOLO's columns): its number when it is one, else only that it is text. */
export function shownToken(token: string): string {
  const number = Number(token);
  return Number.isFinite(number) ? String(number) : 'text';
}

/** Validators bound to one input file, so every failure names it. */
export class Check {
  constructor(readonly file: string) {}

  fail(field: string | undefined, detail: string): never {
    throw new InputError(this.file, field, detail);
  }

  object(value: unknown, field: string | undefined): Record<string, unknown> {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      this.fail(field, `expected an object, got ${shown(value)}`);
    }
    return value as Record<string, unknown>;
  }

  array(value: unknown, field: string | undefined): unknown[] {
    if (!Array.isArray(value)) this.fail(field, `expected a list, got ${shown(value)}`);
    return value;
  }

  string(value: unknown, field: string): string {
    if (typeof value !== 'string' || value === '')
      this.fail(field, `expected a non-empty string, got ${shown(value)}`);
    return value;
  }

  number(value: unknown, field: string): number {
    if (typeof value !== 'number' || !Number.isFinite(value))
      this.fail(field, `expected a number, got ${shown(value)}`);
    return value;
  }

  int(value: unknown, field: string): number {
    if (!Number.isSafeInteger(value)) this.fail(field, `expected an integer, got ${shown(value)}`);
    return value as number;
  }

  /** Category ids are stored as INTEGER: a larger id would fail in SQL, far from its file. */
  categoryId(value: unknown, field: string): number {
    const id = this.int(value, field);
    if (id < 0 || id > 2 ** 31 - 1) this.fail(field, `expected an id from 0 to 2147483647, got ${id}`);
    return id;
  }

  score(value: unknown, field: string): number {
    const score = this.number(value, field);
    if (score < 0 || score > 1) this.fail(field, `expected a score from 0 to 1, got ${score}`);
    return score;
  }

  numbers(value: unknown, field: string): number[] {
    const list = this.array(value, field);
    list.forEach((item, i) => {
      this.number(item, `${field}[${i}]`);
    });
    return list as number[];
  }

  /** [x, y, w, h] in pixels, as `boxProblem` has it. */
  box(value: unknown, field: string): number[] {
    const box = this.numbers(value, field);
    const problem = boxProblem(box);
    if (problem) this.fail(field, problem);
    return box;
  }

  /** Flat [x1, y1, v1, x2, y2, v2, ...] as COCO and Lightly write keypoints. */
  keypoints(value: unknown, field: string): number[] {
    const points = this.numbers(value, field);
    if (points.length % 3 !== 0)
      this.fail(field, `expected x, y, visibility triples, got ${points.length} numbers`);
    return points;
  }

  /** Run-length counts as INTEGER[] holds them. */
  counts(value: unknown, field: string): number[] {
    const list = this.array(value, field);
    list.forEach((item, i) => {
      if (!Number.isSafeInteger(item) || (item as number) < 0 || (item as number) > 2 ** 31 - 1) {
        this.fail(`${field}[${i}]`, `expected a non-negative run length, got ${shown(item)}`);
      }
    });
    return list as number[];
  }

  oneOf<T extends string>(value: unknown, field: string, allowed: readonly T[]): T {
    if (!allowed.includes(value as T)) {
      this.fail(field, `expected one of ${allowed.join(', ')}, got ${shown(value)}`);
    }
    return value as T;
  }
}

/** Category id → name from a list of {id, name}, as COCO and Lightly schemas give them. */
export function parseCategories(check: Check, value: unknown, field: string): Map<number, string> {
  const categories = new Map<number, string>();
  check.array(value, field).forEach((item, i) => {
    const entry = check.object(item, `${field}[${i}]`);
    const id = check.categoryId(entry.id, `${field}[${i}].id`);
    const name = check.string(entry.name, `${field}[${i}].name`);
    if (categories.has(id)) check.fail(`${field}[${i}].id`, `category ${id} is listed twice`);
    categories.set(id, name);
  });
  return categories;
}

export function unknownCategory(categories: Map<number, string>, where: string): string {
  return `not in ${where} (${categories.size} ${categories.size === 1 ? 'category' : 'categories'})`;
}

/**
 * Names an input file in messages: relative to the parent of the folder the user named
 * (`labels/000000000009.txt`), or the bare name of a file given on its own.
 */
export function displayName(root: string, file?: string): string {
  const name = basename(resolve(root));
  if (file === undefined) return name;
  return [name, ...relative(root, file).split(sep)].join('/');
}

export async function readText(path: string, display: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new InputError(display, undefined, code === 'ENOENT' ? 'missing' : `cannot read: ${code ?? error}`);
  }
}

export function parseJson(text: string, display: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new InputError(display, undefined, jsonFailure(error, text));
  }
}

export async function readJson(path: string, display: string): Promise<unknown> {
  return parseJson(await readText(path, display), display);
}

/** Files under `root` whose names end with `suffix`, as sorted forward-slash relative paths. */
export async function listFiles(root: string, suffix: string, display: string): Promise<string[]> {
  let files: string[];
  try {
    files = await filesUnder(root, '');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new InputError(
      display,
      undefined,
      code === 'ENOENT' ? 'no such folder' : `cannot list: ${code ?? error}`,
    );
  }
  return files.filter((file) => file.toLowerCase().endsWith(suffix)).sort();
}

/** Walks the folder itself: readdir's `recursive` and `Dirent.parentPath` are missing from early Node 20. */
async function filesUnder(root: string, folder: string): Promise<string[]> {
  const files: string[] = [];
  for (const entry of await readdir(join(root, folder), { withFileTypes: true })) {
    const path = folder ? `${folder}/${entry.name}` : entry.name;
    if (entry.isDirectory()) files.push(...(await filesUnder(root, path)));
    else if (entry.isFile()) files.push(path);
  }
  return files;
}

const READ_BATCH = 64;

/**
 * Reads files in batches (the I/O overlaps) but hands them to `each` in order, so the first
 * bad file reported is always the same one. Messages name files from `displayRoot`'s parent.
 */
export async function eachFile(
  root: string,
  files: readonly string[],
  options: LongTaskOptions & { phase?: string; displayRoot?: string },
  each: (text: string, file: string, display: string) => void,
): Promise<void> {
  const display = (file: string) => displayName(options.displayRoot ?? root, join(root, file));
  for (let start = 0; start < files.length; start += READ_BATCH) {
    throwIfAborted(options.signal);
    const batch = files.slice(start, start + READ_BATCH);
    const texts = await Promise.all(batch.map((file) => readText(join(root, file), display(file))));
    batch.forEach((file, i) => {
      each(texts[i]!, file, display(file));
    });
    options.onProgress?.({ phase: options.phase ?? 'read', done: start + batch.length, total: files.length });
  }
}

/** Catches two input records naming the same file, which would otherwise double its labels or values. */
export class NameSet {
  private readonly seen = new Map<string, string>();

  add(name: string, check: Check, field: string): void {
    const earlier = this.seen.get(name);
    if (earlier !== undefined) {
      check.fail(
        field,
        `'${name}' is also named by ${earlier === check.file ? 'an earlier record' : earlier}`,
      );
    }
    this.seen.set(name, check.file);
  }
}

/** Input paths may come from Windows tools or carry a leading `./`; sample paths never do. */
export function normalizeName(name: string): string {
  return name
    .replaceAll('\\', '/')
    .replace(/^(\.\/)+/, '')
    .replace(/^\/+/, '');
}
