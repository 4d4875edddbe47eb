// `winnow analyze` end to end on coco128 with imported embeddings: typicality stored as
// metadata, a PaCMAP layout stored as a projection, near-duplicate groups, each queryable
// through the views and replaced (not duplicated) by a second run.
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { typicality } from '@winnow-curate/native';
import { describe, expect, it } from 'vitest';
import { COCO128, tempDir, winnow } from './helpers.js';

const CLUSTERS = 4;
const DIM = 8;
/** Pairs (2i, 2i+1) for i < DUPLICATE_PAIRS get the same vector. */
const DUPLICATE_PAIRS = 5;

/** Four well-separated clusters in 8-D, with a few exact duplicates. */
function clusteredEmbeddings(files: string[]): { rows: (string | number)[][]; cluster: Map<string, number> } {
  let seed = 7;
  const random = () => {
    seed = (seed * 1664525 + 1013904223) >>> 0;
    return seed / 2 ** 32 - 0.5;
  };
  const vectors: number[][] = files.map((_, i) =>
    Array.from({ length: DIM }, (_, d) => (d === i % CLUSTERS ? 10 : 0) + 3 * random()),
  );
  for (let p = 0; p < DUPLICATE_PAIRS; p++) vectors[2 * p + 1] = [...vectors[2 * p]!];
  const cluster = new Map<string, number>();
  for (const [i, f] of files.entries()) cluster.set(f, i % CLUSTERS);
  // Duplicated rows take their twin's cluster.
  for (let p = 0; p < DUPLICATE_PAIRS; p++) cluster.set(files[2 * p + 1]!, (2 * p) % CLUSTERS);
  return { rows: files.map((f, i) => [f, ...vectors[i]!]), cluster };
}

async function rows<T>(ws: string, sql: string): Promise<T[]> {
  const out = await winnow(ws, 'query', '--dataset', 'coco', '--sql', sql, '--json');
  expect(out.stderr).toBe('');
  return JSON.parse(out.stdout).rows as T[];
}

describe('winnow analyze', () => {
  it('stores typicality, a projection that keeps the clusters apart, and the duplicate groups', async () => {
    const dir = tempDir();
    const ws = join(dir, '.winnow');
    expect((await winnow(ws, 'ingest', join(COCO128, 'images'), '--dataset', 'coco')).code).toBe(0);
    const files = readdirSync(join(COCO128, 'images')).sort();
    const { rows: vectors, cluster } = clusteredEmbeddings(files);
    const csvPath = join(dir, 'emb.csv');
    const header = ['filenames', ...Array.from({ length: DIM }, (_, d) => `embedding_${d}`)];
    writeFileSync(csvPath, `${[header, ...vectors].map((r) => r.join(',')).join('\n')}\n`);
    expect((await winnow(ws, 'import', '--dataset', 'coco', '--embeddings', csvPath)).code).toBe(0);

    const args = ['analyze', '--dataset', 'coco', '--typicality', '--projection', '--duplicates', '0.001'];
    const first = await winnow(ws, ...args, '--seed', '3', '--json');
    expect(first.stderr).toBe('');
    const summary = JSON.parse(first.stdout);
    expect(summary).toMatchObject({
      samples: files.length,
      typicality: { key: 'typicality' },
      projection: { name: 'emb-pacmap', points: files.length },
      duplicates: { threshold: 0.001, groups: DUPLICATE_PAIRS, samples: 2 * DUPLICATE_PAIRS },
    });

    const typicalityRows = await rows<{ filename: string; value_num: number }>(
      ws,
      "SELECT s.filename, m.value_num FROM metadata m JOIN samples s USING (sample_id) WHERE m.key = 'typicality'",
    );
    expect(typicalityRows).toHaveLength(files.length);
    // The stored values are the native core's, each on its own sample.
    const flat = Float32Array.from(vectors.flatMap((r) => r.slice(1) as number[]));
    const expected = await typicality(flat, DIM, { k: 20 });
    const stored = new Map(typicalityRows.map((t) => [t.filename, t.value_num]));
    for (const [i, f] of files.entries()) expect(stored.get(f)).toBeCloseTo(expected[i]!, 6);

    const points = await rows<{ filename: string; x: number; y: number }>(
      ws,
      'SELECT s.filename, c.x, c.y FROM coordinates c JOIN samples s USING (sample_id)',
    );
    expect(points).toHaveLength(files.length);
    // Each point's nearest other point in 2-D lies in its own cluster.
    let agree = 0;
    for (const p of points) {
      let best: { d: number; f: string } = { d: Number.POSITIVE_INFINITY, f: '' };
      for (const q of points) {
        const d = (p.x - q.x) ** 2 + (p.y - q.y) ** 2;
        if (q !== p && d < best.d) best = { d, f: q.filename };
      }
      if (cluster.get(best.f) === cluster.get(p.filename)) agree++;
    }
    expect(agree / points.length).toBeGreaterThan(0.95);

    const groups = await rows<{ group_id: number; filename: string; representative: boolean }>(
      ws,
      'SELECT d.group_id, s.filename, d.representative FROM duplicates d JOIN samples s USING (sample_id) ORDER BY s.filename',
    );
    const members = new Map<number, string[]>();
    for (const g of groups) members.set(g.group_id, [...(members.get(g.group_id) ?? []), g.filename]);
    const pairs = Array.from({ length: DUPLICATE_PAIRS }, (_, p) =>
      [files[2 * p]!, files[2 * p + 1]!].sort(),
    );
    expect([...members.values()].map((m) => m.sort()).sort()).toEqual(pairs.sort());
    expect(groups.filter((g) => g.representative)).toHaveLength(DUPLICATE_PAIRS);

    // A second run replaces each result instead of adding to it.
    expect((await winnow(ws, ...args)).code).toBe(0);
    const counts = await rows<{ n: number }>(
      ws,
      `SELECT (SELECT count(*) FROM coordinates) + (SELECT count(*) FROM metadata WHERE key = 'typicality')
        + (SELECT count(*) FROM duplicates) + (SELECT count(*) FROM projections) AS n`,
    );
    expect(Number(counts[0]!.n)).toBe(2 * files.length + 2 * DUPLICATE_PAIRS + 1);
  });

  it('names the missing choice and the missing embeddings', async () => {
    const dir = tempDir();
    const ws = join(dir, '.winnow');
    expect((await winnow(ws, 'ingest', join(COCO128, 'images'), '--dataset', 'coco')).code).toBe(0);
    const none = await winnow(ws, 'analyze', '--dataset', 'coco');
    expect(none.code).toBe(1);
    expect(none.stderr).toBe('winnow: choose at least one of --typicality, --projection, --duplicates\n');
    const noModel = await winnow(ws, 'analyze', '--dataset', 'coco', '--typicality');
    expect(noModel.code).toBe(1);
    expect(noModel.stderr).toMatch(/^winnow: .*embedding/);
  });
});
