import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { imageSize } from 'image-size';
import { afterEach, describe, expect, it } from 'vitest';
import { InputError, type Progress, WinnowError } from '../src/errors.js';
import {
  importCoco,
  importLightlyMetadata,
  importLightlyPredictions,
  importMetadataTable,
  importYolo,
} from '../src/ingest/import/index.js';
import type { Dataset } from '../src/store/workspace.js';
import { Workspace } from '../src/store/workspace.js';

const COCO128 = fileURLToPath(new URL('../../../shared/datasets/coco128', import.meta.url));
const CLASSES = join(COCO128, 'classes.yaml');

const open: Workspace[] = [];
const temporary: string[] = [];
afterEach(() => {
  for (const ws of open.splice(0)) ws.close();
  for (const dir of temporary.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'winnow-import-'));
  temporary.push(dir);
  return dir;
}

async function workspace(): Promise<{ ws: Workspace; dataset: Dataset; root: string }> {
  const root = tempDir();
  const ws = await Workspace.open(join(root, '.winnow'));
  open.push(ws);
  const dataset = await ws.createDataset('data', { kind: 'local', uri: join(root, 'data') });
  return { ws, dataset, root };
}

async function addSamples(
  ws: Workspace,
  dataset: Dataset,
  samples: { path: string; width: number; height: number }[],
) {
  for (const s of samples) {
    await ws.db.run(
      `INSERT INTO winnow.samples (sample_id, dataset_id, kind, path, width, height, status)
       VALUES (nextval('winnow.sample_ids'), ?, 'image', ?, ?, ?, 'ok')`,
      [dataset.id, s.path, s.width, s.height],
    );
  }
}

/** The coco128 photos as samples `images/<name>.jpg`, with their real sizes. */
async function addCoco128(ws: Workspace, dataset: Dataset, limit = Number.POSITIVE_INFINITY) {
  const names = readdirSync(join(COCO128, 'images')).sort().slice(0, limit);
  await addSamples(
    ws,
    dataset,
    names.map((name) => {
      const size = imageSize(readFileSync(join(COCO128, 'images', name)));
      return { path: `images/${name}`, width: size.width, height: size.height };
    }),
  );
  return names;
}

function write(path: string, content: unknown): string {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

const TABLES = [
  'samples',
  'predictions',
  'annotations',
  'annotation_history',
  'annotation_versions',
  'metadata',
  'metadata_fields',
  'tasks',
  'categories',
];

/** Row counts and a content hash of every table an import writes, to show a failed one wrote nothing. */
async function snapshot(ws: Workspace): Promise<Record<string, unknown>> {
  const result: Record<string, unknown> = {};
  for (const table of TABLES) {
    result[table] = await ws.db.one(
      `SELECT count(*) AS n, coalesce(sum(hash(t)), 0)::VARCHAR AS h FROM winnow.${table} t`,
    );
  }
  return result;
}

/** The import fails with an InputError whose message is `message`, leaves the data as it was, and records the failed run. */
async function expectRejected(ws: Workspace, work: () => Promise<unknown>, message: string | RegExp) {
  const before = await snapshot(ws);
  const error = await work().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(InputError);
  if (typeof message === 'string') expect((error as Error).message).toBe(message);
  else expect((error as Error).message).toMatch(message);
  expect(await snapshot(ws)).toEqual(before);
  const run = await ws.db.one<{ status: string; error: string }>(
    'SELECT status, error FROM winnow.runs ORDER BY started_at DESC, run_id DESC LIMIT 1',
  );
  expect(run).toEqual({ status: 'failed', error: (error as Error).message });
  return error as InputError;
}

function copyLabels(names: string[]): string {
  const dir = join(tempDir(), 'labels');
  for (const name of names) write(join(dir, name), readFileSync(join(COCO128, 'labels', name), 'utf8'));
  return dir;
}

// -------------------------------------------------------------------------------------------------

describe('YOLO', () => {
  it('imports the coco128 labels as predictions: boxes per class match the label files', async () => {
    const { ws, dataset } = await workspace();
    await addCoco128(ws, dataset);
    const progress: Progress[] = [];
    const summary = await importYolo(ws, dataset, join(COCO128, 'labels'), {
      classes: CLASSES,
      as: 'predictions',
      task: 'coco',
      onProgress: (p) => progress.push(p),
    });

    // coco128 has label files for two photos it lacks (and photos without labels): those are unmatched.
    const images = new Set(readdirSync(join(COCO128, 'images')).map((name) => name.replace(/\.jpg$/, '')));
    const labelFiles = readdirSync(join(COCO128, 'labels'));
    const matched = labelFiles.filter((file) => images.has(file.replace(/\.txt$/, '')));
    expect(matched.length).toBeGreaterThan(120);
    const expected = new Map<number, number>();
    let boxes = 0;
    for (const file of matched) {
      for (const line of readFileSync(join(COCO128, 'labels', file), 'utf8').split('\n')) {
        if (!line.trim()) continue;
        const id = Number(line.trim().split(/\s+/)[0]);
        expected.set(id, (expected.get(id) ?? 0) + 1);
        boxes++;
      }
    }
    const unmatched = labelFiles.filter((file) => !matched.includes(file)).sort();
    expect(summary).toMatchObject({
      kind: 'yolo',
      dataset: 'data',
      target: 'predictions',
      task: 'coco',
      samples: matched.length,
      records: boxes,
      unmatched,
      unmatched_count: unmatched.length,
    });
    const rows = await ws.db.all<{ category_id: number; category: string; n: number }>(
      "SELECT category_id, category, count(*) AS n FROM predictions WHERE task = 'coco' GROUP BY ALL ORDER BY category_id",
    );
    expect(new Map(rows.map((r) => [r.category_id, r.n]))).toEqual(expected);
    expect(rows.find((r) => r.category_id === 45)?.category).toBe('bowl');
    expect(await ws.db.value('SELECT count(*) FROM categories WHERE task = ?', ['coco'])).toBe(80);
    expect(await ws.db.value('SELECT task_type FROM tasks WHERE task = ?', ['coco'])).toBe(
      'object-detection',
    );
    expect(await ws.db.value('SELECT count(*) FROM predictions WHERE score IS NOT NULL')).toBe(0);
    expect(progress.at(-1)).toEqual({ phase: 'write', done: 1, total: 1 });
    expect(progress.some((p) => p.phase === 'read' && p.done === labelFiles.length)).toBe(true);

    const run = await ws.db.one<{ status: string; stats: string; config: string }>(
      'SELECT status, stats, config FROM runs WHERE run_id = ?',
      [summary.run_id],
    );
    expect(run?.status).toBe('done');
    expect(JSON.parse(run!.stats)).toEqual(summary);
    expect(JSON.parse(run!.config)).toMatchObject({ format: 'yolo', as: 'predictions', task: 'coco' });
  });

  it('converts normalized centers to pixel [x, y, w, h] with the sample size', async () => {
    const { ws, dataset } = await workspace();
    await addCoco128(ws, dataset, 1);
    const size = imageSize(readFileSync(join(COCO128, 'images', '000000000009.jpg')));
    expect(size).toMatchObject({ width: 640, height: 480 });
    await importYolo(ws, dataset, copyLabels(['000000000009.txt']), { classes: CLASSES, as: 'predictions' });
    // Line 1 of 000000000009.txt: 45 0.479492 0.688771 0.955609 0.5955
    const box = await ws.db.value<number[]>(
      "SELECT box FROM predictions WHERE task = 'labels' AND category = 'bowl' ORDER BY box[3] DESC LIMIT 1",
    );
    const expected = [
      (0.479492 - 0.955609 / 2) * 640,
      (0.688771 - 0.5955 / 2) * 480,
      0.955609 * 640,
      0.5955 * 480,
    ];
    expect(box).toHaveLength(4);
    box.forEach((v, i) => {
      expect(v).toBeCloseTo(expected[i]!, 2);
    });
  });

  it('reads a sixth column as a score, a .txt class list, empty files, and reports unmatched labels', async () => {
    const { ws, dataset, root } = await workspace();
    await addSamples(ws, dataset, [
      { path: 'a/one.png', width: 100, height: 50 },
      { path: 'a/two.jpg', width: 200, height: 100 },
    ]);
    const labels = join(root, 'yolo');
    write(join(labels, 'a/one.txt'), '1 0.5 0.5 0.2 0.4 0.9\n0 0.1 0.1 0.1 0.1 0.25\n');
    write(join(labels, 'a/two.txt'), '');
    write(join(labels, 'a/ghost.txt'), '0 0.5 0.5 0.5 0.5 0.5\n');
    const classes = write(join(root, 'classes.txt'), 'cat\ndog\n');
    const summary = await importYolo(ws, dataset, labels, { classes, as: 'predictions', task: 'pets' });
    expect(summary).toMatchObject({ samples: 2, records: 2, unmatched: ['a/ghost.txt'], unmatched_count: 1 });
    const rows = await ws.db.all('SELECT category, score, box FROM predictions ORDER BY score DESC');
    expect(rows[0]).toMatchObject({ category: 'dog', score: expect.closeTo(0.9, 5) });
    expect((rows[0]!.box as number[]).map((v) => Math.round(v * 100) / 100)).toEqual([40, 15, 20, 20]);
    expect(rows[1]).toMatchObject({ category: 'cat', score: expect.closeTo(0.25, 5) });
  });

  it('lists at most 20 unmatched label files and counts them all', async () => {
    const { ws, dataset } = await workspace();
    const added = await addCoco128(ws, dataset, 100);
    const labelFiles = readdirSync(join(COCO128, 'labels'));
    const labelled = added.filter((name) => labelFiles.includes(name.replace(/\.jpg$/, '.txt'))).length;
    const summary = await importYolo(ws, dataset, join(COCO128, 'labels'), {
      classes: CLASSES,
      as: 'annotations',
    });
    expect(summary.samples).toBe(labelled);
    expect(summary.unmatched_count).toBe(labelFiles.length - labelled);
    expect(summary.unmatched).toHaveLength(20);
    expect(summary.unmatched[0]).toMatch(/^\d{12}\.txt$/);
  });

  it('rejects bad label files, naming file and line, and writes nothing', async () => {
    const { ws, dataset } = await workspace();
    await addCoco128(ws, dataset, 3);
    const good = ['000000000009.txt', '000000000025.txt', '000000000030.txt'];
    await importYolo(ws, dataset, copyLabels(good), { classes: CLASSES, as: 'annotations', task: 'det' });

    const lines = readFileSync(join(COCO128, 'labels/000000000009.txt'), 'utf8').split('\n');
    const withLine3 = (line: string) => {
      const dir = copyLabels(good);
      write(join(dir, '000000000009.txt'), [...lines.slice(0, 2), line, ...lines.slice(3)].join('\n'));
      return dir;
    };
    const importInto =
      (dir: string, classes = CLASSES) =>
      () =>
        importYolo(ws, dataset, dir, { classes, as: 'annotations', task: 'det' });

    await expectRejected(
      ws,
      importInto(withLine3('91 0.5 0.5 0.1 0.1')),
      'labels/000000000009.txt: line 3: class 91 not in classes.yaml (80 classes)',
    );
    await expectRejected(
      ws,
      importInto(withLine3('45 0.5 0.5 0.1')),
      "labels/000000000009.txt: line 3: expected 'class cx cy w h' or 'class cx cy w h score', got 4 values",
    );
    await expectRejected(
      ws,
      importInto(withLine3('45 0.5 abc 0.1 0.1')),
      'labels/000000000009.txt: line 3: cy: expected a number from 0 to 1, got text',
    );
    await expectRejected(
      ws,
      importInto(withLine3('45 0.5 0.5 1.5 0.1')),
      'labels/000000000009.txt: line 3: w: expected a number from 0 to 1, got 1.5',
    );
    // A box of no size is refused as the label panel refuses it (labels/box.ts: one rule).
    await expectRejected(
      ws,
      importInto(withLine3('45 0.5 0.5 0 0.1')),
      'labels/000000000009.txt: line 3: width and height must be greater than 0, got width 0 and height 0.1',
    );
    await expectRejected(
      ws,
      importInto(withLine3('dog 0.5 0.5 0.1 0.1')),
      'labels/000000000009.txt: line 3: class: expected a class id (an integer from 0), got text',
    );
    const root = tempDir();
    await expectRejected(
      ws,
      importInto(copyLabels(good), write(join(root, 'data.yaml'), 'nc: 3\n')),
      'data.yaml: names: expected a list of class names or a map of id to name, got nothing',
    );
    await expectRejected(
      ws,
      importInto(copyLabels(good), write(join(root, 'bad.yaml'), 'names: [a, b\n')),
      'bad.yaml: not valid YAML (line 2)',
    );
    await expectRejected(ws, importInto(copyLabels(good), join(root, 'none.yaml')), 'none.yaml: missing');
    await expectRejected(ws, importInto(join(root, 'labels')), 'labels: no such folder');
    expect(await ws.db.value('SELECT max(version) FROM winnow.annotation_versions')).toBe(1);
  });

  it('stops when cancelled, records the run as cancelled and writes nothing', async () => {
    const { ws, dataset } = await workspace();
    await addCoco128(ws, dataset);
    const before = await snapshot(ws);
    const controller = new AbortController();
    const error = await importYolo(ws, dataset, join(COCO128, 'labels'), {
      classes: CLASSES,
      as: 'predictions',
      signal: controller.signal,
      onProgress: (p) => {
        if (p.phase === 'read') controller.abort();
      },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WinnowError);
    expect((error as WinnowError).code).toBe('cancelled');
    expect(await snapshot(ws)).toEqual(before);
    expect(await ws.db.value('SELECT status FROM runs')).toBe('cancelled');
  });
});

// -------------------------------------------------------------------------------------------------

describe('Lightly metadata', () => {
  const schema = [
    { name: 'Temperature', path: 'weather.temperature', defaultValue: 20.5, valueDataType: 'NUMERIC_FLOAT' },
    { name: 'Objects', path: 'objects', defaultValue: 0, valueDataType: 'NUMERIC_INT' },
    {
      name: 'Weather',
      path: 'weather.description',
      defaultValue: 'sunny',
      valueDataType: 'CATEGORICAL_STRING',
    },
    { name: 'Camera', path: 'camera', defaultValue: 1, valueDataType: 'CATEGORICAL_INT' },
    { name: 'Night', path: 'night', defaultValue: false, valueDataType: 'CATEGORICAL_BOOLEAN' },
  ];

  async function setup() {
    const { ws, dataset, root } = await workspace();
    await addSamples(ws, dataset, [
      { path: 'a.jpg', width: 10, height: 10 },
      { path: 'sub/b.jpg', width: 10, height: 10 },
    ]);
    const dir = join(root, 'metadata');
    write(join(dir, 'schema.json'), schema);
    write(join(dir, 'a.json'), {
      file_name: 'a.jpg',
      type: 'image',
      metadata: { weather: { temperature: 30.25, description: 'rainy' }, objects: 4, camera: 2, night: true },
    });
    write(join(dir, 'sub/b.json'), { file_name: 'sub/b.jpg', type: 'image', metadata: { objects: 7 } });
    write(join(dir, 'sub/gone.json'), { file_name: 'sub/gone.jpg', metadata: {} });
    return { ws, dataset, dir };
  }

  async function values(ws: Workspace) {
    const rows = await ws.db.all<Record<string, unknown>>(
      `SELECT s.filename, m.key, m.type, m.categorical, m.value_num, m.value_str, m.value_bool
       FROM metadata m JOIN samples s USING (sample_id) ORDER BY s.filename, m.key`,
    );
    return rows;
  }

  it('imports every type, fills defaults, and re-imports in place', async () => {
    const { ws, dataset, dir } = await setup();
    const summary = await importLightlyMetadata(ws, dataset, dir);
    expect(summary).toMatchObject({
      kind: 'lightly-metadata',
      samples: 2,
      records: 10,
      unmatched: ['sub/gone.jpg'],
      unmatched_count: 1,
      fields: ['weather.temperature', 'objects', 'weather.description', 'camera', 'night'],
    });
    expect(await ws.db.all('SELECT key, type, categorical FROM metadata_fields ORDER BY key')).toEqual([
      { key: 'camera', type: 'int', categorical: true },
      { key: 'night', type: 'bool', categorical: true },
      { key: 'objects', type: 'int', categorical: false },
      { key: 'weather.description', type: 'string', categorical: true },
      { key: 'weather.temperature', type: 'float', categorical: false },
    ]);
    const rows = await values(ws);
    const get = (file: string, key: string) => rows.find((r) => r.filename === file && r.key === key);
    expect(get('a.jpg', 'weather.temperature')?.value_num).toBe(30.25);
    expect(get('a.jpg', 'weather.description')?.value_str).toBe('rainy');
    expect(get('a.jpg', 'night')?.value_bool).toBe(true);
    expect(get('a.jpg', 'camera')?.value_num).toBe(2);
    expect(get('sub/b.jpg', 'objects')?.value_num).toBe(7);
    expect(get('sub/b.jpg', 'weather.temperature')?.value_num).toBe(20.5);
    expect(get('sub/b.jpg', 'weather.description')?.value_str).toBe('sunny');
    expect(get('sub/b.jpg', 'night')?.value_bool).toBe(false);

    write(join(dir, 'a.json'), { file_name: 'a.jpg', metadata: { objects: 9 } });
    await importLightlyMetadata(ws, dataset, dir);
    const again = await values(ws);
    expect(again).toHaveLength(10);
    expect(again.find((r) => r.filename === 'a.jpg' && r.key === 'objects')?.value_num).toBe(9);
    expect(again.find((r) => r.filename === 'a.jpg' && r.key === 'weather.description')?.value_str).toBe(
      'sunny',
    );
  });

  it('rejects bad metadata, naming file and field, and writes nothing', async () => {
    const { ws, dataset, dir } = await setup();
    await importLightlyMetadata(ws, dataset, dir);
    const good = readFileSync(join(dir, 'a.json'), 'utf8');

    write(join(dir, 'a.json'), { file_name: 'a.jpg', metadata: { weather: { temperature: 'hot' } } });
    await expectRejected(
      ws,
      () => importLightlyMetadata(ws, dataset, dir),
      'metadata/a.json: metadata.weather.temperature: expected NUMERIC_FLOAT, got text',
    );
    write(join(dir, 'a.json'), { file_name: 'a.jpg', metadata: { objects: 1.5 } });
    await expectRejected(
      ws,
      () => importLightlyMetadata(ws, dataset, dir),
      'metadata/a.json: metadata.objects: expected NUMERIC_INT, got 1.5',
    );
    write(join(dir, 'a.json'), '{"file_name": "a.jpg", ');
    await expectRejected(
      ws,
      () => importLightlyMetadata(ws, dataset, dir),
      /^metadata\/a\.json: not valid JSON( \(line 1\))?$/,
    );
    write(join(dir, 'a.json'), { metadata: {} });
    await expectRejected(
      ws,
      () => importLightlyMetadata(ws, dataset, dir),
      'metadata/a.json: file_name: expected a non-empty string, got nothing',
    );
    write(join(dir, 'a.json'), { file_name: 'sub/b.jpg', metadata: {} });
    await expectRejected(
      ws,
      () => importLightlyMetadata(ws, dataset, dir),
      "metadata/sub/b.json: file_name: 'sub/b.jpg' is also named by metadata/a.json",
    );
    write(join(dir, 'a.json'), good);

    write(join(dir, 'schema.json'), [{ ...schema[0], valueDataType: 'NUMERIC_DOUBLE' }]);
    await expectRejected(
      ws,
      () => importLightlyMetadata(ws, dataset, dir),
      'metadata/schema.json: [0].valueDataType: expected one of NUMERIC_INT, NUMERIC_FLOAT, CATEGORICAL_STRING, CATEGORICAL_INT, CATEGORICAL_BOOLEAN, got text',
    );
    write(join(dir, 'schema.json'), [{ ...schema[1], defaultValue: 'none' }]);
    await expectRejected(
      ws,
      () => importLightlyMetadata(ws, dataset, dir),
      'metadata/schema.json: [0].defaultValue: expected NUMERIC_INT, got text',
    );
    // A key keeps its type across imports: 'objects' is stored as int.
    write(join(dir, 'schema.json'), [
      { ...schema[1], defaultValue: 'x', valueDataType: 'CATEGORICAL_STRING' },
    ]);
    write(join(dir, 'a.json'), { file_name: 'a.jpg', metadata: { objects: 'many' } });
    write(join(dir, 'sub/b.json'), { file_name: 'sub/b.jpg', metadata: { objects: 'few' } });
    await expectRejected(
      ws,
      () => importLightlyMetadata(ws, dataset, dir),
      "metadata/schema.json: [0].valueDataType: 'objects' is stored as int in this dataset; this input has string",
    );
    const empty = join(tempDir(), 'metadata');
    mkdirSync(empty);
    await expectRejected(
      ws,
      () => importLightlyMetadata(ws, dataset, empty),
      'metadata/schema.json: missing',
    );
  });
});

// -------------------------------------------------------------------------------------------------

describe('Lightly predictions', () => {
  async function setup() {
    const { ws, dataset, root } = await workspace();
    await addSamples(ws, dataset, [
      { path: 'a.jpg', width: 640, height: 480 },
      { path: 'sub/b.jpg', width: 320, height: 240 },
    ]);
    const dir = join(root, 'predictions');
    write(join(dir, 'tasks.json'), ['det', { name: 'cls' }]);
    write(join(dir, 'det/schema.json'), {
      task_type: 'object-detection',
      categories: [
        { id: 0, name: 'cat' },
        { id: 1, name: 'dog' },
      ],
    });
    write(join(dir, 'det/a.json'), {
      file_name: 'a.jpg',
      predictions: [
        { category_id: 1, bbox: [10, 20, 30, 40], score: 0.9 },
        { category_id: 0, bbox: [0, 0, 5, 5], score: 0.3 },
      ],
    });
    write(join(dir, 'det/sub/b.json'), { file_name: 'sub/b.jpg', predictions: [] });
    write(join(dir, 'cls/schema.json'), {
      task_type: 'classification',
      categories: [
        { id: 3, name: 'indoor' },
        { id: 5, name: 'outdoor' },
      ],
    });
    write(join(dir, 'cls/a.json'), {
      file_name: 'a.jpg',
      predictions: [{ category_id: 5, probabilities: [0.2, 0.8], score: 0.8 }],
    });
    write(join(dir, 'cls/sub/b.json'), {
      file_name: 'sub/b.jpg',
      predictions: [{ probabilities: [0.7, 0.3] }],
    });
    write(join(dir, 'cls/c.json'), { file_name: 'c.jpg', predictions: [{ category_id: 3 }] });
    return { ws, dataset, dir };
  }

  it('imports every task and replaces a task on re-import', async () => {
    const { ws, dataset, dir } = await setup();
    const summary = await importLightlyPredictions(ws, dataset, dir);
    expect(summary).toMatchObject({
      kind: 'lightly-predictions',
      target: 'predictions',
      task: 'det,cls',
      samples: 2,
      records: 4,
      unmatched: ['c.jpg'],
      unmatched_count: 1,
    });
    const rows = await ws.db.all<Record<string, unknown>>(
      `SELECT s.filename, p.task, p.task_type, p.category, p.score, p.probabilities, p.box
       FROM predictions p JOIN samples s USING (sample_id) ORDER BY p.task, s.filename, p.score DESC`,
    );
    expect(rows.map((r) => [r.filename, r.task, r.task_type, r.category])).toEqual([
      ['a.jpg', 'cls', 'classification', 'outdoor'],
      ['sub/b.jpg', 'cls', 'classification', 'indoor'],
      ['a.jpg', 'det', 'object-detection', 'dog'],
      ['a.jpg', 'det', 'object-detection', 'cat'],
    ]);
    expect(rows[0]!.probabilities).toEqual([expect.closeTo(0.2, 5), expect.closeTo(0.8, 5)]);
    expect(rows[2]!.box).toEqual([10, 20, 30, 40]);
    expect(rows[2]!.score).toBeCloseTo(0.9, 5);

    write(join(dir, 'det/a.json'), {
      file_name: 'a.jpg',
      predictions: [{ category_id: 0, bbox: [1, 2, 3, 4] }],
    });
    await importLightlyPredictions(ws, dataset, dir);
    expect(await ws.db.value("SELECT count(*) FROM predictions WHERE task = 'det'")).toBe(1);
    expect(await ws.db.value("SELECT count(*) FROM predictions WHERE task = 'cls'")).toBe(2);
    expect(await ws.db.value('SELECT count(*) FROM tasks')).toBe(2);
  });

  it('imports segmentation and keypoints', async () => {
    const { ws, dataset, root } = await workspace();
    await addSamples(ws, dataset, [{ path: 'a.jpg', width: 4, height: 4 }]);
    const dir = join(root, 'predictions');
    write(join(dir, 'tasks.json'), ['seg', 'pose']);
    write(join(dir, 'seg/schema.json'), {
      task_type: 'instance-segmentation',
      categories: [{ id: 0, name: 'x' }],
    });
    write(join(dir, 'seg/a.json'), {
      file_name: 'a.jpg',
      predictions: [{ category_id: 0, segmentation: [5, 6, 5], bbox: [1, 1, 2, 2], score: 0.5 }],
    });
    write(join(dir, 'pose/schema.json'), {
      task_type: 'keypoint-detection',
      categories: [{ id: 0, name: 'person' }],
    });
    write(join(dir, 'pose/a.json'), {
      file_name: 'a.jpg',
      predictions: [{ category_id: 0, keypoints: [1, 2, 2, 3.5, 1, 1], score: 0.7 }],
    });
    await importLightlyPredictions(ws, dataset, dir);
    expect(await ws.db.value("SELECT segmentation FROM predictions WHERE task = 'seg'")).toEqual([5, 6, 5]);
    expect(await ws.db.value("SELECT keypoints FROM predictions WHERE task = 'pose'")).toEqual([
      1, 2, 2, 3.5, 1, 1,
    ]);
  });

  it('rejects bad predictions, naming file and field, and writes nothing', async () => {
    const { ws, dataset, dir } = await setup();
    await importLightlyPredictions(ws, dataset, dir);
    const rejects = (message: string | RegExp) =>
      expectRejected(ws, () => importLightlyPredictions(ws, dataset, dir), message);
    const detSchema = readFileSync(join(dir, 'det/schema.json'), 'utf8');
    const detA = readFileSync(join(dir, 'det/a.json'), 'utf8');

    write(join(dir, 'det/schema.json'), { task_type: 'boxes', categories: [] });
    await rejects(
      'predictions/det/schema.json: task_type: expected one of classification, object-detection, semantic-segmentation, instance-segmentation, keypoint-detection, got text',
    );
    write(join(dir, 'det/schema.json'), { task_type: 'object-detection', categories: [{ id: 0 }] });
    await rejects(
      'predictions/det/schema.json: categories[0].name: expected a non-empty string, got nothing',
    );
    write(join(dir, 'det/schema.json'), detSchema);

    write(join(dir, 'det/a.json'), {
      file_name: 'a.jpg',
      predictions: [{ category_id: 7, bbox: [0, 0, 1, 1] }],
    });
    await rejects(
      'predictions/det/a.json: predictions[0].category_id: 7 is not in predictions/det/schema.json (2 categories)',
    );
    write(join(dir, 'det/a.json'), { file_name: 'a.jpg', predictions: [{ category_id: 1 }] });
    await rejects('predictions/det/a.json: predictions[0].bbox: missing; object-detection needs it');
    write(join(dir, 'det/a.json'), {
      file_name: 'a.jpg',
      predictions: [{ category_id: 1, bbox: [0, 0, 0, 1] }],
    });
    await rejects(
      'predictions/det/a.json: predictions[0].bbox: width and height must be greater than 0, got width 0 and height 1',
    );
    write(join(dir, 'det/a.json'), {
      file_name: 'a.jpg',
      predictions: [{ category_id: 1, bbox: [0, 0, 1, 1], score: 'high' }],
    });
    await rejects('predictions/det/a.json: predictions[0].score: expected a number, got text');
    write(join(dir, 'det/a.json'), { file_name: 'a.jpg', predictions: { category_id: 1 } });
    await rejects('predictions/det/a.json: predictions: expected a list, got an object');
    write(join(dir, 'det/a.json'), '[1, 2');
    await rejects(/^predictions\/det\/a\.json: not valid JSON( \(line 1\))?$/);
    write(join(dir, 'det/a.json'), detA);

    write(join(dir, 'cls/a.json'), {
      file_name: 'a.jpg',
      predictions: [{ category_id: 5, probabilities: [1] }],
    });
    await rejects(
      'predictions/cls/a.json: predictions[0].probabilities: expected 2 (one per category), got 1',
    );
    write(join(dir, 'cls/a.json'), { file_name: 'a.jpg', predictions: [] });
    write(join(dir, 'tasks.json'), ['det', 'cls', 'seg']);
    await rejects('predictions/seg/schema.json: missing');
    write(join(dir, 'tasks.json'), ['det', '../cls']);
    await rejects("predictions/tasks.json: [1]: '../cls' is not a folder name");
    write(join(dir, 'tasks.json'), { tasks: [] });
    await rejects('predictions/tasks.json: expected a list, got an object');
  });
});

// -------------------------------------------------------------------------------------------------

/** pycocotools' rleToString, to check that compressed masks decode to the counts they encode. */
function encodeCounts(counts: number[]): string {
  let out = '';
  counts.forEach((count, i) => {
    let x = i > 2 ? count - counts[i - 2]! : count;
    let more = true;
    while (more) {
      let c = x & 0x1f;
      x >>= 5;
      more = c & 0x10 ? x !== -1 : x !== 0;
      if (more) c |= 0x20;
      out += String.fromCharCode(c + 48);
    }
  });
  return out;
}

describe('COCO', () => {
  const categories = [
    { id: 1, name: 'person' },
    { id: 3, name: 'car' },
  ];
  const coco = (annotations: unknown[], extra: Record<string, unknown> = {}) => ({
    images: [
      { id: 1, file_name: 'a.jpg', width: 640, height: 480 },
      { id: 2, file_name: 'train/b.jpg', width: 320, height: 240 },
      { id: 3, file_name: 'missing.jpg', width: 10, height: 10 },
    ],
    categories,
    annotations,
    ...extra,
  });

  async function setup() {
    const { ws, dataset, root } = await workspace();
    // 'a.jpg' is matched by basename, 'train/b.jpg' by the end of its path.
    await addSamples(ws, dataset, [
      { path: 'images/a.jpg', width: 640, height: 480 },
      { path: 'images/train/b.jpg', width: 320, height: 240 },
      { path: 'images/val/b.jpg', width: 320, height: 240 },
    ]);
    return { ws, dataset, root };
  }

  it('imports annotations with history; a re-import is version 2 and version 1 stays readable', async () => {
    const { ws, dataset, root } = await setup();
    const file = write(
      join(root, 'instances_train.json'),
      coco([
        { id: 10, image_id: 1, category_id: 1, bbox: [1, 2, 3, 4], segmentation: [[1, 1, 2, 2, 3, 1]] },
        { id: 11, image_id: 1, category_id: 3, bbox: [5, 6, 7, 8] },
        { id: 12, image_id: 2, category_id: 3, bbox: [9, 9, 9, 9] },
        { id: 13, image_id: 3, category_id: 1, bbox: [0, 0, 1, 1] },
      ]),
    );
    const first = await importCoco(ws, dataset, file, { as: 'annotations' });
    expect(first).toMatchObject({
      kind: 'coco',
      target: 'annotations',
      task: 'instances_train',
      samples: 2,
      records: 3,
      unmatched: ['missing.jpg'],
      unmatched_count: 1,
    });
    const v1 = await ws.db.all(
      `SELECT s.filename, a.category, a.box, a.segmentation, a.version
       FROM annotations a JOIN samples s USING (sample_id) ORDER BY s.filename, a.box`,
    );
    expect(v1).toEqual([
      { filename: 'images/a.jpg', category: 'person', box: [1, 2, 3, 4], segmentation: null, version: 1 },
      { filename: 'images/a.jpg', category: 'car', box: [5, 6, 7, 8], segmentation: null, version: 1 },
      { filename: 'images/train/b.jpg', category: 'car', box: [9, 9, 9, 9], segmentation: null, version: 1 },
    ]);

    write(file, coco([{ image_id: 2, category_id: 1, bbox: [1, 1, 1, 1] }]));
    const second = await importCoco(ws, dataset, file, { as: 'annotations' });
    expect(second.records).toBe(1);
    expect(
      await ws.db.all('SELECT task_id, version, operation FROM winnow.annotation_versions ORDER BY version'),
    ).toEqual([
      { task_id: 1, version: 1, operation: 'import' },
      { task_id: 1, version: 2, operation: 'import' },
    ]);
    const detail = JSON.parse(
      await ws.db.value<string>('SELECT detail FROM winnow.annotation_versions WHERE version = 2'),
    );
    expect(detail).toMatchObject({ run_id: second.run_id, format: 'coco', added: 1, deleted: 3 });
    expect(
      await ws.db.all(
        'SELECT version, operation, count(*) AS n FROM winnow.annotation_history GROUP BY ALL ORDER BY ALL',
      ),
    ).toEqual([
      { version: 1, operation: 'add', n: 3 },
      { version: 2, operation: 'add', n: 1 },
      { version: 2, operation: 'delete', n: 3 },
    ]);
    expect(await ws.db.all('SELECT category, box, version FROM annotations')).toEqual([
      { category: 'person', box: [1, 1, 1, 1], version: 2 },
    ]);

    // The labeling as of version 1: each annotation's latest history row up to then, unless a delete.
    const asOf = (version: number) =>
      ws.db.all(
        `SELECT s.path AS filename, c.name AS category, h.box, h.segmentation, h.version
         FROM winnow.annotation_history h
         JOIN winnow.samples s USING (sample_id)
         JOIN winnow.categories c ON c.task_id = h.task_id AND c.category_id = h.category_id
         WHERE h.task_id = 1 AND h.version <= ?
         QUALIFY row_number() OVER (PARTITION BY h.annotation_id ORDER BY h.version DESC) = 1
           AND h.operation <> 'delete'
         ORDER BY s.path, h.box`,
        [version],
      );
    expect(await asOf(1)).toEqual(v1);
    expect(await asOf(2)).toEqual([
      {
        filename: 'images/train/b.jpg',
        category: 'person',
        box: [1, 1, 1, 1],
        segmentation: null,
        version: 2,
      },
    ]);
  });

  it('imports predictions with scores, masks in RLE (plain and compressed) and keypoints', async () => {
    const { ws, dataset, root } = await setup();
    const counts = [3, 2, 70, 1, 1000, 5, 4];
    const rle = (c: unknown) => ({ counts: c, size: [40, 30] });
    const file = write(
      join(root, 'masks.json'),
      coco([
        {
          image_id: 1,
          category_id: 1,
          bbox: [1, 2, 3, 4],
          score: 0.75,
          segmentation: rle(counts),
          iscrowd: 1,
        },
        {
          image_id: 2,
          category_id: 3,
          bbox: [5, 6, 7, 8],
          score: 0.5,
          segmentation: rle(encodeCounts(counts)),
        },
      ]),
    );
    const summary = await importCoco(ws, dataset, file, { as: 'predictions', task: 'masks' });
    expect(summary).toMatchObject({ task: 'masks', records: 2, target: 'predictions' });
    expect(await ws.db.value("SELECT task_type FROM tasks WHERE task = 'masks'")).toBe(
      'instance-segmentation',
    );
    const rows = await ws.db.all<{ score: number; segmentation: number[] }>(
      'SELECT score, segmentation FROM predictions ORDER BY score DESC',
    );
    expect(rows.map((r) => r.segmentation)).toEqual([counts, counts]);
    expect(rows[0]!.score).toBeCloseTo(0.75, 5);

    const poses = write(
      join(root, 'person_keypoints.json'),
      coco([
        {
          image_id: 1,
          category_id: 1,
          bbox: [1, 2, 3, 4],
          keypoints: [10, 20, 2, 0, 0, 0],
          num_keypoints: 1,
        },
      ]),
    );
    await importCoco(ws, dataset, poses, { as: 'annotations' });
    expect(
      await ws.db.one("SELECT task_type, keypoints FROM annotations WHERE task = 'person_keypoints'"),
    ).toEqual({
      task_type: 'keypoint-detection',
      keypoints: [10, 20, 2, 0, 0, 0],
    });
  });

  it('rejects bad files, naming file and field, and writes nothing', async () => {
    const { ws, dataset, root } = await setup();
    const file = join(root, 'instances.json');
    write(file, coco([{ image_id: 1, category_id: 1, bbox: [1, 2, 3, 4] }]));
    await importCoco(ws, dataset, file, { as: 'annotations' });
    const rejects = (content: unknown, message: string | RegExp, options: { task?: string } = {}) => {
      write(file, content);
      return expectRejected(
        ws,
        () => importCoco(ws, dataset, file, { as: 'annotations', ...options }),
        message,
      );
    };
    await rejects(
      coco([
        { image_id: 1, category_id: 1, bbox: [1, 2, 3, 4] },
        { image_id: 2, category_id: 91, bbox: [1, 2, 3, 4] },
      ]),
      'instances.json: annotations[1].category_id: 91 is not in categories (2 categories)',
    );
    await rejects(
      coco([{ image_id: 9, category_id: 1, bbox: [1, 2, 3, 4] }]),
      'instances.json: annotations[0].image_id: no image has this id (9)',
    );
    await rejects(
      coco([{ image_id: 1, category_id: 1, bbox: [1, 2, 3] }]),
      'instances.json: annotations[0].bbox: expected [x, y, width, height], got 3 numbers',
    );
    await rejects(
      coco([{ image_id: 1, category_id: 1, bbox: [1, 2, 3, 4], segmentation: { counts: 'ab\u0001' } }]),
      'instances.json: annotations[0].segmentation.counts: character 3 is not compressed RLE',
    );
    await rejects(
      coco([{ image_id: 1, category_id: 1, bbox: [1, 2, 3, 4], keypoints: [1, 2] }]),
      'instances.json: annotations[0].keypoints: expected x, y, visibility triples, got 2 numbers',
    );
    await rejects(
      coco([], {
        images: [
          { id: 1, file_name: 'a.jpg' },
          { id: 2, file_name: './a.jpg' },
        ],
      }),
      "instances.json: images[1].file_name: 'a.jpg' is also named by an earlier record",
    );
    await rejects(
      { images: [], annotations: [] },
      'instances.json: categories: expected a list, got nothing',
    );
    await rejects('{"images": [', /^instances\.json: not valid JSON( \(line 1\))?$/);
    // Category 1 is 'person' in the stored task; the file may not rename it.
    await rejects(
      coco([], { categories: [{ id: 1, name: 'human' }] }),
      "instances.json: categories: category 1 is 'human' here but 'person' in task 'instances'",
    );
  });

  it('reports two input files landing on one sample', async () => {
    const { ws, dataset, root } = await setup();
    const file = write(
      join(root, 'clash.json'),
      coco([], {
        images: [
          { id: 1, file_name: 'x/a.jpg' },
          { id: 2, file_name: 'y/a.jpg' },
        ],
      }),
    );
    await expectRejected(
      ws,
      () => importCoco(ws, dataset, file, { as: 'predictions' }),
      "clash.json: 'x/a.jpg' and 'y/a.jpg' both name sample 'images/a.jpg'",
    );
  });

  it('refuses an unknown target and a task of another type', async () => {
    const { ws, dataset, root } = await setup();
    const file = write(join(root, 'det.json'), coco([]));
    await expect(importCoco(ws, dataset, file, { as: 'labels' as 'annotations' })).rejects.toThrow(
      "as: 'labels' is not one of predictions, annotations",
    );
    await ws.db.run("INSERT INTO winnow.tasks (dataset_id, name, type) VALUES (?, 'det', 'classification')", [
      dataset.id,
    ]);
    await expect(importCoco(ws, dataset, file, { as: 'predictions' })).rejects.toThrow(
      "task 'det' holds classification labels; det.json has object-detection labels",
    );
  });
});

// -------------------------------------------------------------------------------------------------

describe('metadata tables', () => {
  async function setup() {
    const { ws, dataset, root } = await workspace();
    await addSamples(ws, dataset, [
      { path: 'a.jpg', width: 1, height: 1 },
      { path: 'sub/b.jpg', width: 1, height: 1 },
    ]);
    return { ws, dataset, root };
  }

  const expectedFields = [
    { key: 'blurry', type: 'bool', categorical: true },
    { key: 'brightness', type: 'float', categorical: false },
    { key: 'objects', type: 'int', categorical: false },
    { key: 'scene', type: 'string', categorical: true },
  ];

  async function expectValues(ws: Workspace) {
    expect(await ws.db.all('SELECT key, type, categorical FROM metadata_fields ORDER BY key')).toEqual(
      expectedFields,
    );
    expect(
      await ws.db.all(
        `SELECT s.filename, m.key, m.value_num, m.value_str, m.value_bool
         FROM metadata m JOIN samples s USING (sample_id) ORDER BY s.filename, m.key`,
      ),
    ).toEqual([
      { filename: 'a.jpg', key: 'blurry', value_num: null, value_str: null, value_bool: true },
      { filename: 'a.jpg', key: 'brightness', value_num: 0.5, value_str: null, value_bool: null },
      { filename: 'a.jpg', key: 'objects', value_num: 3, value_str: null, value_bool: null },
      { filename: 'a.jpg', key: 'scene', value_num: null, value_str: 'beach', value_bool: null },
      { filename: 'sub/b.jpg', key: 'blurry', value_num: null, value_str: null, value_bool: false },
      { filename: 'sub/b.jpg', key: 'brightness', value_num: 0.25, value_str: null, value_bool: null },
      { filename: 'sub/b.jpg', key: 'scene', value_num: null, value_str: 'city', value_bool: null },
    ]);
  }

  it('imports a CSV, typing each column', async () => {
    const { ws, dataset, root } = await setup();
    const file = write(
      join(root, 'meta.csv'),
      'filename,objects,brightness,blurry,scene\na.jpg,3,0.5,true,beach\nsub/b.jpg,,0.25,false,city\nnope.jpg,1,1.0,true,x\n',
    );
    const summary = await importMetadataTable(ws, dataset, file);
    expect(summary).toMatchObject({
      kind: 'table',
      samples: 2,
      records: 7,
      unmatched: ['nope.jpg'],
      unmatched_count: 1,
      fields: ['objects', 'brightness', 'blurry', 'scene'],
    });
    await expectValues(ws);
    // Importing again replaces values instead of adding to them.
    await importMetadataTable(ws, dataset, file);
    await expectValues(ws);
  });

  it('imports Parquet written by DuckDB', async () => {
    const { ws, dataset, root } = await setup();
    const file = join(root, 'meta.parquet');
    await ws.db.run(
      `COPY (SELECT * FROM (VALUES ('a.jpg', 3::BIGINT, 0.5::DOUBLE, true, 'beach'),
                                 ('sub/b.jpg', NULL, 0.25::DOUBLE, false, 'city'))
             AS t(file_name, objects, brightness, blurry, scene))
       TO '${file}' (FORMAT parquet)`,
    );
    const summary = await importMetadataTable(ws, dataset, file);
    expect(summary).toMatchObject({ samples: 2, records: 7, unmatched_count: 0 });
    await expectValues(ws);
  });

  it('imports JSON lines with a named key column', async () => {
    const { ws, dataset, root } = await setup();
    const rows = [
      { image: 'a.jpg', objects: 3, brightness: 0.5, blurry: true, scene: 'beach' },
      { image: './sub/b.jpg', objects: null, brightness: 0.25, blurry: false, scene: 'city' },
    ];
    const file = write(join(root, 'meta.jsonl'), rows.map((r) => JSON.stringify(r)).join('\n'));
    const summary = await importMetadataTable(ws, dataset, file, { key: 'image' });
    expect(summary).toMatchObject({ samples: 2, records: 7 });
    await expectValues(ws);
  });

  it('rejects bad tables, naming file and column, and writes nothing', async () => {
    const { ws, dataset, root } = await setup();
    const csv = join(root, 'meta.csv');
    write(csv, 'filename,objects\na.jpg,3\n');
    await importMetadataTable(ws, dataset, csv);
    const rejects = (file: string, content: string, message: string | RegExp, key?: string) => {
      write(join(root, file), content);
      return expectRejected(ws, () => importMetadataTable(ws, dataset, join(root, file), { key }), message);
    };
    await rejects(
      'm.csv',
      'name,objects\na.jpg,3\n',
      "m.csv: filename: no such column (nor 'file_name', 'filenames'; name it with --key) among the file's 2 columns",
    );
    await rejects(
      'm.csv',
      'filename,objects\na.jpg,3\n',
      "m.csv: image: no such column among the file's 2 columns",
      'image',
    );
    await rejects(
      'm.csv',
      'filename,objects\na.jpg,3\nb.jpg,4\na.jpg,5\n',
      "m.csv: filename: 'a.jpg' appears in rows 1 and 3",
    );
    await rejects('m.csv', 'filename,objects\na.jpg,3\n,4\n', 'm.csv: row 2: filename: empty filename');
    await rejects(
      'm.csv',
      'filename,objects\na.jpg,many\n',
      "m.csv: objects: 'objects' is stored as int in this dataset; this input has string",
    );
    await rejects(
      'm.jsonl',
      '{"filename": "a.jpg", "box": {"x": 1}}\n',
      /^m\.jsonl: box: type STRUCT\(x BIGINT\) is not supported/,
    );
    await rejects('m.jsonl', '{"filename": "a.jpg", \n', 'm.jsonl: not a valid JSON lines file (line 2)');
    await rejects('m.xlsx', 'x', 'm.xlsx: not a table; use .csv, .tsv, .parquet, .jsonl, .ndjson or .json');
    await expectRejected(
      ws,
      () => importMetadataTable(ws, dataset, join(root, 'none.csv')),
      'none.csv: missing',
    );
  });
});
