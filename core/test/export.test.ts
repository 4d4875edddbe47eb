import { copyFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { exportCoco, exportFilenames, exportSamples, exportYolo } from '../src/export/export.js';
import { importCoco, importYolo } from '../src/ingest/import/index.js';
import { ingest } from '../src/ingest/index.js';
import type { Dataset, Workspace } from '../src/store/workspace.js';
import { Tags } from '../src/tags/tags.js';
import { COCO128, tempDir, tempWorkspace } from './helpers.js';

const IMAGES = join(COCO128, 'images');
const LABELS = join(COCO128, 'labels');

async function labelled(): Promise<{ ws: Workspace; coco: Dataset }> {
  const ws = await tempWorkspace();
  await ingest(ws, IMAGES, { dataset: 'coco' });
  const coco = await ws.dataset('coco');
  await importYolo(ws, coco, LABELS, {
    classes: join(COCO128, 'classes.yaml'),
    as: 'annotations',
    task: 'boxes',
  });
  return { ws, coco };
}

/** A YOLO label file as numbers, one array per line, in file order. */
function yoloRows(file: string): number[][] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => line.trim().split(/\s+/).map(Number));
}

describe('export', () => {
  it('writes filenames relative, absolute and as file URLs', async () => {
    const ws = await tempWorkspace();
    await ingest(ws, IMAGES, { dataset: 'coco' });
    const coco = await ws.dataset('coco');
    const first = readdirSync(IMAGES).sort().slice(0, 3);
    await new Tags(ws, coco).create('three', { files: first });
    expect(await exportFilenames(ws, coco, { tag: 'three' })).toEqual(first);
    expect(await exportFilenames(ws, coco, { tag: 'three' }, 'absolute')).toEqual(
      first.map((f) => join(IMAGES, f)),
    );
    expect(await exportFilenames(ws, coco, { tag: 'three' }, 'url')).toEqual(
      first.map((f) => pathToFileURL(join(IMAGES, f)).href),
    );
    ws.close();
  });

  it('writes chosen columns as CSV and JSON, and names an unknown column', async () => {
    const ws = await tempWorkspace();
    await ingest(ws, IMAGES, { dataset: 'coco' });
    const coco = await ws.dataset('coco');
    const out = tempDir();
    const filter = { field: 'width', op: '<', value: 500 } as const;
    const count = await exportSamples(
      ws,
      coco,
      { filter },
      { format: 'csv', file: join(out, 's.csv'), columns: ['filename', 'width'] },
    );
    const csv = readFileSync(join(out, 's.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).toBe('filename,width');
    expect(csv).toHaveLength(count + 1);
    expect(csv.slice(1).every((line) => Number(line.split(',')[1]) < 500)).toBe(true);
    await exportSamples(
      ws,
      coco,
      { filter },
      { format: 'json', file: join(out, 's.json'), columns: ['filename', 'height'] },
    );
    const json = JSON.parse(readFileSync(join(out, 's.json'), 'utf8'));
    expect(json).toHaveLength(count);
    expect(Object.keys(json[0])).toEqual(['filename', 'height']);
    await expect(
      exportSamples(ws, coco, { all: true }, { format: 'csv', file: join(out, 'x.csv'), columns: ['nope'] }),
    ).rejects.toThrow(/--columns: unknown column 'nope'/);
    ws.close();
  });

  it('gives back the YOLO labels it imported', async () => {
    const { ws, coco } = await labelled();
    const out = tempDir();
    const written = await exportYolo(ws, coco, { all: true }, { source: 'annotations', dir: out });
    expect(written.files).toBe(128);
    let compared = 0;
    for (const file of readdirSync(LABELS)) {
      if (!readdirSync(IMAGES).includes(file.replace('.txt', '.jpg'))) continue;
      const original = yoloRows(join(LABELS, file));
      const exported = yoloRows(join(out, file));
      expect(exported).toHaveLength(original.length);
      const sort = (rows: number[][]) => rows.map((r) => r.map((v) => v.toFixed(3)).join(' ')).sort();
      expect(sort(exported)).toEqual(sort(original));
      compared += original.length;
    }
    expect(written.boxes).toBe(compared);
    expect(readFileSync(join(out, 'classes.yaml'), 'utf8')).toMatch(/^names:\n {2}0: "person"\n/);
    ws.close();
  });

  it('refuses a YOLO export where two images would share a label file, writing nothing', async () => {
    const root = tempDir();
    const photo = join(IMAGES, readdirSync(IMAGES).sort()[0]!);
    for (const name of ['a.jpg', 'a.png', 'b.jpg']) copyFileSync(photo, join(root, name));
    const ws = await tempWorkspace();
    await ingest(ws, root, { dataset: 'mixed' });
    const mixed = await ws.dataset('mixed');
    const labels = join(tempDir(), 'labels.json');
    writeFileSync(
      labels,
      JSON.stringify({
        images: [{ id: 1, file_name: 'b.jpg', width: 640, height: 480 }],
        annotations: [{ id: 1, image_id: 1, category_id: 1, bbox: [1, 2, 3, 4] }],
        categories: [{ id: 1, name: 'thing' }],
      }),
    );
    await importCoco(ws, mixed, labels, { as: 'annotations', task: 'boxes' });
    const out = tempDir();
    await expect(exportYolo(ws, mixed, { all: true }, { source: 'annotations', dir: out })).rejects.toThrow(
      "'a.jpg' and 'a.png' would both get the YOLO label file a.txt",
    );
    expect(readdirSync(out)).toEqual([]);
    const chosen = { files: ['a.png', 'b.jpg'] };
    expect(await exportYolo(ws, mixed, chosen, { source: 'annotations', dir: out })).toEqual({
      files: 2,
      boxes: 1,
    });
    expect(readdirSync(out).sort()).toEqual(['a.txt', 'b.txt', 'classes.yaml']);
    ws.close();
  });

  it('writes COCO whose boxes are the imported ones in pixels', async () => {
    const { ws, coco } = await labelled();
    const file = join(tempDir(), 'coco.json');
    const written = await exportCoco(ws, coco, { all: true }, { source: 'annotations', file });
    const data = JSON.parse(readFileSync(file, 'utf8'));
    expect(written).toEqual({ images: 128, annotations: data.annotations.length });
    const stored = await ws.db.value<number>('SELECT count(*) FROM annotations');
    expect(data.annotations).toHaveLength(stored);
    expect(data.categories).toHaveLength(80);
    const image = data.images.find((i: { file_name: string }) => i.file_name === '000000000009.jpg');
    const [cls, cx, cy, w, h] = yoloRows(join(LABELS, '000000000009.txt'))[0]!;
    const box = data.annotations.find(
      (a: { image_id: number; category_id: number; bbox: number[] }) =>
        a.image_id === image.id && a.category_id === cls && Math.abs(a.bbox[2]! - w! * image.width) < 0.01,
    );
    expect(box.bbox[0]).toBeCloseTo((cx! - w! / 2) * image.width, 1);
    expect(box.bbox[1]).toBeCloseTo((cy! - h! / 2) * image.height, 1);
    ws.close();
  });

  it('keeps per-sample scores current when predictions are imported again', async () => {
    const ws = await tempWorkspace();
    await ingest(ws, IMAGES, { dataset: 'coco' });
    const coco = await ws.dataset('coco');
    const file = join(tempDir(), 'det.json');
    const write = (scores: number[]) =>
      writeFileSync(
        file,
        JSON.stringify({
          images: [{ id: 1, file_name: '000000000009.jpg', width: 640, height: 480 }],
          annotations: scores.map((score, i) => ({
            id: i + 1,
            image_id: 1,
            category_id: 1,
            bbox: [1, 1, 9, 9],
            score,
          })),
          categories: [{ id: 1, name: 'thing' }],
        }),
      );
    write([0.2, 0.9]);
    await importCoco(ws, coco, file, { as: 'predictions', task: 'det' });
    const scores = () => ws.db.all('SELECT task, predictions, max_score, min_score FROM sample_scores');
    expect(await scores()).toEqual([
      { task: 'det', predictions: 2, max_score: expect.closeTo(0.9, 6), min_score: expect.closeTo(0.2, 6) },
    ]);
    write([0.4]);
    await importCoco(ws, coco, file, { as: 'predictions', task: 'det' });
    expect(await scores()).toEqual([
      { task: 'det', predictions: 1, max_score: expect.closeTo(0.4, 6), min_score: expect.closeTo(0.4, 6) },
    ]);
    ws.close();
  });

  it('reads annotations back as they were at an earlier version', async () => {
    const ws = await tempWorkspace();
    await ingest(ws, IMAGES, { dataset: 'coco' });
    const coco = await ws.dataset('coco');
    const dir = tempDir();
    const cocoFile = (boxes: number[][]) => {
      const file = join(dir, 'labels.json');
      writeFileSync(
        file,
        JSON.stringify({
          images: [{ id: 1, file_name: '000000000009.jpg', width: 640, height: 480 }],
          annotations: boxes.map((bbox, i) => ({ id: i + 1, image_id: 1, category_id: 1, bbox })),
          categories: [{ id: 1, name: 'thing' }],
        }),
      );
      return file;
    };
    await importCoco(ws, coco, cocoFile([[1, 2, 3, 4]]), { as: 'annotations', task: 'review' });
    await importCoco(
      ws,
      coco,
      cocoFile([
        [10, 20, 30, 40],
        [5, 5, 5, 5],
      ]),
      { as: 'annotations', task: 'review' },
    );
    const read = async (at?: number) => {
      const file = join(dir, `out-${at ?? 'now'}.json`);
      await exportCoco(ws, coco, { all: true }, { source: 'annotations', task: 'review', at, file });
      return JSON.parse(readFileSync(file, 'utf8')).annotations.map((a: { bbox: number[] }) => a.bbox);
    };
    expect(await read(1)).toEqual([[1, 2, 3, 4]]);
    expect(await read(2)).toEqual(
      expect.arrayContaining([
        [10, 20, 30, 40],
        [5, 5, 5, 5],
      ]),
    );
    expect(await read()).toHaveLength(2);
    await expect(read(7)).rejects.toThrow("annotations of task 'review' has no version 7");
    await expect(
      exportCoco(ws, coco, { all: true }, { source: 'annotations', task: 'nope', file: join(dir, 'x.json') }),
    ).rejects.toThrow("--task: no task 'nope' (tasks: review)");
    ws.close();
  });
});
