// Embeddings storage and `import --embeddings`: real DuckDB file, the coco128 images from ../shared.
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dump } from 'npyjs';
import { afterEach, describe, expect, it } from 'vitest';
import { InputError, WinnowError } from '../src/errors.js';
import { importEmbeddings } from '../src/ingest/import/index.js';
import { ingest } from '../src/ingest/index.js';
import { findModel, loadVectors } from '../src/store/embeddings.js';
import type { Dataset, Workspace } from '../src/store/workspace.js';
import { COCO128, tempDir, tempWorkspace } from './helpers.js';

const IMAGES = join(COCO128, 'images');
const FILES = readdirSync(IMAGES).sort();
const open: Workspace[] = [];
afterEach(() => {
  for (const ws of open.splice(0)) ws.close();
});

async function coco(): Promise<{ ws: Workspace; dataset: Dataset; dir: string }> {
  const ws = await tempWorkspace();
  open.push(ws);
  await ingest(ws, IMAGES, { dataset: 'coco' });
  return { ws, dataset: await ws.dataset('coco'), dir: tempDir() };
}

/** Deterministic vectors: row i is [-(i+1), (i+0.5)/2, ...]. */
function vectorOf(i: number, dim: number): number[] {
  return Array.from({ length: dim }, (_, j) => (j % 2 ? i + j / 2 : -(i + 1)) / (j + 1));
}

/** The stored vectors of every sample, by filename. */
async function stored(ws: Workspace, dataset: Dataset, model?: string): Promise<Map<string, number[]>> {
  const m = await findModel(ws.db, dataset, model);
  await ws.db.run(
    `CREATE OR REPLACE TEMP TABLE all_samples AS SELECT sample_id, row_number() OVER (ORDER BY path) AS position
     FROM winnow.samples WHERE dataset_id = ?`,
    [dataset.id],
  );
  const rows = await loadVectors(ws.db, m, 'all_samples');
  const paths = await ws.db.all<{ sample_id: number; path: string }>(
    'SELECT sample_id, path FROM winnow.samples WHERE dataset_id = ?',
    [dataset.id],
  );
  const pathOf = new Map(paths.map((p) => [p.sample_id, p.path]));
  const out = new Map<string, number[]>();
  rows.ids.forEach((id, i) => {
    out.set(pathOf.get(id)!, Array.from(rows.vectors.subarray(i * m.dim, (i + 1) * m.dim)));
  });
  return out;
}

describe('import --embeddings', () => {
  it("reads Lightly's embeddings CSV (filenames, embedding_<i>, labels) and stores exact float32 vectors", async () => {
    const { ws, dataset, dir } = await coco();
    const dim = 6;
    const lines = [`filenames,${Array.from({ length: dim }, (_, j) => `embedding_${j}`).join(',')},labels`];
    FILES.forEach((f, i) => {
      lines.push(`${f},${vectorOf(i, dim).join(',')},0`);
    });
    lines.push(`not-there.jpg,${vectorOf(0, dim).join(',')},0`);
    const csv = join(dir, 'embeddings.csv');
    writeFileSync(csv, `${lines.join('\n')}\n`);
    const summary = await importEmbeddings(ws, dataset, csv, { model: 'resnet' });
    expect(summary).toMatchObject({ model: 'resnet', dim, samples: FILES.length, records: FILES.length });
    expect(summary.unmatched).toEqual(['not-there.jpg']);
    const vectors = await stored(ws, dataset);
    expect(vectors.size).toBe(FILES.length);
    FILES.forEach((f, i) => {
      expect(vectors.get(f)).toEqual(Array.from(Float32Array.from(vectorOf(i, dim))));
    });
  });

  it('reads Parquet with a list column and .npy with a filenames file; a re-import replaces vectors', async () => {
    const { ws, dataset, dir } = await coco();
    const parquet = join(dir, 'clip.parquet');
    await ws.db.run(
      `COPY (SELECT f AS filename, [i::FLOAT, 1.5, -i::FLOAT] AS embedding
             FROM (SELECT unnest(?::VARCHAR[]) AS f, generate_subscripts(?::VARCHAR[], 1) AS i))
       TO '${parquet}' (FORMAT parquet)`,
      [JSON.stringify(FILES), JSON.stringify(FILES)] as never,
    );
    const first = await importEmbeddings(ws, dataset, parquet);
    expect(first).toMatchObject({ model: 'clip', dim: 3, records: FILES.length });
    expect((await stored(ws, dataset)).get(FILES[4]!)).toEqual([5, 1.5, -5]);

    const npy = join(dir, 'clip.npy');
    const rows = 3;
    writeFileSync(npy, Buffer.from(dump(Float32Array.from([9, 9, 9, 8, 8, 8, 7, 7, 7]), [rows, 3])));
    const names = join(dir, 'names.txt');
    writeFileSync(names, `${FILES[4]}\n./${FILES[5]}\n${FILES[6]}\n`);
    const second = await importEmbeddings(ws, dataset, npy, { model: 'clip', filenames: names });
    expect(second).toMatchObject({ model: 'clip', dim: 3, samples: 3, records: 3 });
    const vectors = await stored(ws, dataset, 'clip');
    expect(vectors.size).toBe(FILES.length);
    expect(vectors.get(FILES[4]!)).toEqual([9, 9, 9]);
    expect(vectors.get(FILES[6]!)).toEqual([7, 7, 7]);
    expect(vectors.get(FILES[7]!)).toEqual([8, 1.5, -8]);
  });

  it('refuses bad input naming the file, row and field, and keeps what was stored', async () => {
    const { ws, dataset, dir } = await coco();
    const good = join(dir, 'e.csv');
    writeFileSync(good, `filename,embedding_0,embedding_1\n${FILES[0]},1,2\n${FILES[1]},3,4\n`);
    await importEmbeddings(ws, dataset, good, { model: 'm' });

    const short = join(dir, 'short.parquet');
    await ws.db.run(
      `COPY (SELECT * FROM (VALUES ('${FILES[0]}', [1.0, 2.0]), ('${FILES[1]}', [1.0])) t(filename, embedding)) TO '${short}' (FORMAT parquet)`,
    );
    await expect(importEmbeddings(ws, dataset, short, { model: 'm' })).rejects.toThrow(
      new InputError(
        'short.parquet',
        `row 2 ('${FILES[1]}'): embedding`,
        '1 values where the first row has 2',
      ),
    );
    const nan = join(dir, 'nan.csv');
    writeFileSync(nan, `filename,embedding_0,embedding_1\n${FILES[0]},1,nan\n`);
    await expect(importEmbeddings(ws, dataset, nan, { model: 'm' })).rejects.toThrow(/nan\.csv: row 1 .*NaN/);
    // Text in a vector column (the column is then read as text): the row and column are named.
    const text = join(dir, 'text.csv');
    writeFileSync(text, `filename,embedding_0,embedding_1\n${FILES[0]},1,2\n${FILES[1]},3,four\n`);
    await expect(importEmbeddings(ws, dataset, text, { model: 'm' })).rejects.toThrow(
      new InputError('text.csv', `row 2 ('${FILES[1]}'): embedding_1`, 'not a number'),
    );
    const wide = join(dir, 'wide.csv');
    writeFileSync(wide, `filename,embedding_0,embedding_1,embedding_2\n${FILES[0]},1,2,3\n`);
    await expect(importEmbeddings(ws, dataset, wide, { model: 'm' })).rejects.toThrow(
      "model 'm' holds 2-dimensional embeddings, these have 3: give them another --model name",
    );
    const gap = join(dir, 'gap.csv');
    writeFileSync(gap, `filename,embedding_0,embedding_2\n${FILES[0]},1,2\n`);
    await expect(importEmbeddings(ws, dataset, gap, { model: 'm' })).rejects.toThrow(
      /gap\.csv: embedding_1: missing column/,
    );
    const npy = join(dir, 'x.npy');
    writeFileSync(npy, Buffer.from(dump(Float32Array.from([1, 2]), [1, 2])));
    await expect(importEmbeddings(ws, dataset, npy, { model: 'm' })).rejects.toThrow(WinnowError);
    await expect(importEmbeddings(ws, dataset, npy, { model: 'm' })).rejects.toThrow(/needs --filenames/);

    const vectors = await stored(ws, dataset, 'm');
    expect(vectors.size).toBe(2);
    expect(vectors.get(FILES[1]!)).toEqual([3, 4]);
    const failed = await ws.db.value<number>(
      "SELECT count(*) FROM winnow.runs WHERE kind = 'import' AND status = 'failed'",
    );
    expect(failed).toBe(7);
  });
});
