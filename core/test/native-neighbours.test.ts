// Tests of the native core's neighbour search and what is built on it: nearestNeighbors,
// nearestNeighborsOf, typicality (both definitions) and duplicateGroups.
// Build the native core first: `npm run build -w native`.
import { describe, expect, it } from 'vitest';
import { duplicateGroups, nearestNeighbors, nearestNeighborsOf, typicality } from '../../native/index.js';
import { type InvalidCall, itRejectsEach, rng, uniformRows } from './native-helpers.js';

/** Small integers: many exact ties in distance. */
function grid(n: number, dim: number, seed: number): Float32Array {
  const next = rng(seed);
  const out = new Float32Array(n * dim);
  for (let i = 0; i < out.length; i++) out[i] = Math.floor(next() * 3) - 1;
  return out;
}

/** Gaussian clusters (Box-Muller), like bench/lib/common.mjs. */
function clustered(n: number, dim: number, clusters: number, seed: number): Float32Array {
  const next = rng(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
  const centres = Float32Array.from({ length: clusters * dim }, normal);
  const spread = Float32Array.from({ length: clusters }, () => 0.2 + 0.4 * next());
  const out = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    const c = Math.floor(next() * clusters);
    for (let j = 0; j < dim; j++) out[i * dim + j] = centres[c * dim + j] + spread[c] * normal();
  }
  return out;
}

type Metric = 'euclidean' | 'cosine';

function distance(x: Float32Array, dim: number, i: number, j: number, metric: Metric): number {
  let dot = 0;
  let ni = 0;
  let nj = 0;
  let sq = 0;
  for (let c = 0; c < dim; c++) {
    const a = x[i * dim + c];
    const b = x[j * dim + c];
    dot += a * b;
    ni += a * a;
    nj += b * b;
    sq += (a - b) * (a - b);
  }
  if (metric === 'euclidean') return Math.sqrt(sq);
  if (ni === 0 || nj === 0) return 1;
  return 1 - dot / (Math.sqrt(ni) * Math.sqrt(nj));
}

/** Brute force: each row's k nearest other rows, sorted by (distance, index). */
function bruteKnn(x: Float32Array, dim: number, k: number, metric: Metric) {
  const n = x.length / dim;
  const indices: number[][] = [];
  const distances: number[][] = [];
  for (let i = 0; i < n; i++) {
    const all: [number, number][] = [];
    for (let j = 0; j < n; j++) if (j !== i) all.push([distance(x, dim, i, j, metric), j]);
    all.sort((p, q) => p[0] - q[0] || p[1] - q[1]);
    indices.push(all.slice(0, k).map((p) => p[1]));
    distances.push(all.slice(0, k).map((p) => p[0]));
  }
  return { indices, distances };
}

describe('nearestNeighbors (exact)', () => {
  const cases: [string, Float32Array, number, number][] = [
    ['uniform 300 x 17, k 10', uniformRows(300, 17, 1), 17, 10],
    ['uniform 257 x 64, k 20', uniformRows(257, 64, 2), 64, 20],
    ['integer grid 200 x 5, k 7 (ties)', grid(200, 5, 3), 5, 7],
    ['integer grid 120 x 3, k 30 (many ties)', grid(120, 3, 4), 3, 30],
  ];
  for (const metric of ['euclidean', 'cosine'] as const) {
    for (const [name, x, dim, k] of cases) {
      it(`equals brute force: ${name}, ${metric}`, async () => {
        const got = await nearestNeighbors(x, dim, k, { metric, method: 'exact' });
        const want = bruteKnn(x, dim, k, metric);
        const n = x.length / dim;
        expect(got.indices).toBeInstanceOf(Uint32Array);
        expect(got.distances).toBeInstanceOf(Float32Array);
        expect(got.indices.length).toBe(n * k);
        expect(Array.from(got.indices)).toEqual(want.indices.flat());
        const d = want.distances.flat();
        for (let t = 0; t < d.length; t++) expect(Math.abs(got.distances[t] - d[t])).toBeLessThan(1e-5);
      });
    }
  }

  it('gives rows of norm 0 cosine distance 1 to everything', async () => {
    const x = new Float32Array([0, 0, 1, 0, 2, 0, 0, 3]);
    const got = await nearestNeighbors(x, 2, 3, { metric: 'cosine' });
    // Row 0 is the zero row: every other row is at distance 1, ties by index.
    expect(Array.from(got.indices.subarray(0, 3))).toEqual([1, 2, 3]);
    expect(Array.from(got.distances.subarray(0, 3))).toEqual([1, 1, 1]);
    // Row 1 = (1, 0): row 2 points the same way (0), then row 0 and row 3 (both 1).
    expect(Array.from(got.indices.subarray(3, 6))).toEqual([2, 0, 3]);
    expect(got.distances[3]).toBeCloseTo(0, 6);
  });

  it('nearestNeighborsOf equals brute force for outside queries', async () => {
    const dim = 12;
    const x = uniformRows(400, dim, 5);
    const q = uniformRows(30, dim, 6);
    const got = await nearestNeighborsOf(x, dim, q, 5);
    for (let i = 0; i < 30; i++) {
      const all: [number, number][] = [];
      for (let j = 0; j < 400; j++) {
        let s = 0;
        for (let c = 0; c < dim; c++) s += (q[i * dim + c] - x[j * dim + c]) ** 2;
        all.push([Math.sqrt(s), j]);
      }
      all.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
      expect(Array.from(got.indices.subarray(i * 5, i * 5 + 5))).toEqual(all.slice(0, 5).map((p) => p[1]));
    }
  });
});

describe('nearestNeighbors (approximate)', () => {
  const n = 30_000;
  const dim = 32;
  const x = clustered(n, dim, 30, 11);

  it('has recall@10 >= 0.95 against exact on clustered data, and is deterministic', async () => {
    const k = 10;
    const approx = await nearestNeighbors(x, dim, k, { method: 'approximate', seed: 7 });
    const sample = 300;
    const rows = Array.from({ length: sample }, (_, i) => Math.floor((i * n) / sample));
    const q = new Float32Array(sample * dim);
    rows.forEach((r, i) => {
      q.set(x.subarray(r * dim, (r + 1) * dim), i * dim);
    });
    const exact = await nearestNeighborsOf(x, dim, q, k + 1);
    let hits = 0;
    rows.forEach((r, i) => {
      const truth = new Set(
        Array.from(exact.indices.subarray(i * (k + 1), (i + 1) * (k + 1)))
          .filter((j) => j !== r)
          .slice(0, k),
      );
      for (let t = 0; t < k; t++) if (truth.has(approx.indices[r * k + t])) hits++;
    });
    expect(hits / (sample * k)).toBeGreaterThanOrEqual(0.95);
    // Never the row itself; each row sorted ascending.
    for (const r of rows) {
      for (let t = 0; t < k; t++) expect(approx.indices[r * k + t]).not.toBe(r);
      for (let t = 1; t < k; t++)
        expect(approx.distances[r * k + t]).toBeGreaterThanOrEqual(approx.distances[r * k + t - 1]);
    }
    const again = await nearestNeighbors(x, dim, k, { method: 'approximate', seed: 7 });
    expect(Buffer.from(again.indices.buffer).equals(Buffer.from(approx.indices.buffer))).toBe(true);
    expect(Buffer.from(again.distances.buffer).equals(Buffer.from(approx.distances.buffer))).toBe(true);
  });

  it("'auto' is exact at this size (up to 20,000 rows)", async () => {
    const small = x.subarray(0, 2000 * dim);
    const a = await nearestNeighbors(small, dim, 5);
    const b = await nearestNeighbors(small, dim, 5, { method: 'exact' });
    expect(Array.from(a.indices)).toEqual(Array.from(b.indices));
  });
});

describe('typicality', () => {
  const n = 200;
  const dim = 16;
  const k = 20;
  const x = uniformRows(n, dim, 42);
  const knn = bruteKnn(x, dim, k, 'euclidean').distances;

  it("'lightly' equals a straightforward reference to 1e-5 (the default)", async () => {
    const got = await typicality(x, dim, { k });
    expect(got).toBeInstanceOf(Float32Array);
    const sigma = knn.flat().reduce((s, d) => s + d, 0) / (n * k);
    for (let i = 0; i < n; i++) {
      const want = knn[i].reduce((s, d) => s + Math.exp(-d / sigma), 0) / k;
      expect(Math.abs(got[i] - want)).toBeLessThan(1e-5);
    }
    expect(Array.from(await typicality(x, dim, { k, definition: 'lightly', method: 'exact' }))).toEqual(
      Array.from(got),
    );
  });

  it("'typiclust' equals 1 / (mean k-NN distance + 1e-5) to 1e-5 (relative)", async () => {
    const got = await typicality(x, dim, { k, definition: 'typiclust' });
    for (let i = 0; i < n; i++) {
      const want = 1 / (knn[i].reduce((s, d) => s + d, 0) / k + 1e-5);
      expect(Math.abs(got[i] - want) / want).toBeLessThan(1e-5);
    }
  });

  it('uses cosine distance when asked', async () => {
    const cos = bruteKnn(x, dim, 5, 'cosine').distances;
    const got = await typicality(x, dim, { k: 5, metric: 'cosine', definition: 'typiclust' });
    for (let i = 0; i < n; i++) {
      const want = 1 / (cos[i].reduce((s, d) => s + d, 0) / 5 + 1e-5);
      expect(Math.abs(got[i] - want) / want).toBeLessThan(1e-5);
    }
  });

  it('defines the zero-distance cases: 1 (lightly) and 1e5 (typiclust)', async () => {
    const same = new Float32Array(12).fill(0.5);
    expect(Array.from(await typicality(same, 3, { k: 2 }))).toEqual([1, 1, 1, 1]);
    const t = await typicality(same, 3, { k: 2, definition: 'typiclust' });
    for (const v of t) expect(v).toBeCloseTo(1e5, 0);
  });

  it('defaults to k = 20', async () => {
    expect(Array.from(await typicality(x, dim))).toEqual(Array.from(await typicality(x, dim, { k: 20 })));
  });
});

describe('duplicateGroups', () => {
  it('groups a hand-built set (euclidean): chains join, representative has most near-duplicates', async () => {
    // 1-D points. 0, 1, 5 form a chain (0–1 and 1–5 closer than 0.5, 0–5 not); 2 and 7 a pair.
    const x = new Float32Array([0, 0.4, 10, 20, 30, 0.8, 40, 10.1]);
    const g = await duplicateGroups(x, 1, 0.5, { metric: 'euclidean' });
    expect(g.groupOf).toBeInstanceOf(Int32Array);
    expect(Array.from(g.groupOf)).toEqual([0, 0, 1, -1, -1, 0, -1, 1]);
    // Group 0: row 1 has two near-duplicates (0 and 5); group 1: a tie, so the lower index 2.
    expect(Array.from(g.representatives)).toEqual([1, 2]);
    // The threshold is strict: distance exactly 0.4 is not < 0.4.
    const strict = await duplicateGroups(new Float32Array([0, 0.5, 3]), 1, 0.5, { metric: 'euclidean' });
    expect(Array.from(strict.groupOf)).toEqual([-1, -1, -1]);
  });

  it('uses cosine distance by default; zero rows join everything only above 1', async () => {
    // Rows 0 and 2 point the same way; row 1 is orthogonal; row 3 is zero.
    const x = new Float32Array([1, 0, 0, 1, 3, 0, 0, 0]);
    const g = await duplicateGroups(x, 2, 0.01);
    expect(Array.from(g.groupOf)).toEqual([0, -1, 0, -1]);
    expect(Array.from(g.representatives)).toEqual([0]);
    const all = await duplicateGroups(x, 2, 1.5);
    expect(Array.from(all.groupOf)).toEqual([0, 0, 0, 0]);
    expect(Array.from(all.representatives)).toEqual([0]);
  });

  it('finds exactly the planted near-duplicates among 30,000 rows (the list-based search)', async () => {
    const dim = 16;
    const n = 30_000;
    const x = uniformRows(n, dim, 9);
    const next = rng(10);
    // 500 planted pairs: row b becomes a copy of row a, moved by at most 1e-3 per coordinate.
    const partner = new Map<number, number>();
    while (partner.size < 1000) {
      const a = Math.floor(next() * n);
      const b = Math.floor(next() * n);
      if (a === b || partner.has(a) || partner.has(b)) continue;
      partner.set(a, b);
      partner.set(b, a);
      for (let c = 0; c < dim; c++) x[b * dim + c] = x[a * dim + c] + (next() - 0.5) * 2e-3;
    }
    const g = await duplicateGroups(x, dim, 0.01, { metric: 'euclidean' });
    let groups = 0;
    for (let i = 0; i < n; i++) {
      const p = partner.get(i);
      if (p === undefined) {
        expect(g.groupOf[i]).toBe(-1);
        continue;
      }
      expect(g.groupOf[i]).toBe(g.groupOf[p]);
      expect(g.groupOf[i]).toBeGreaterThanOrEqual(0);
      if (i < p) {
        // Ids follow each group's lowest member.
        expect(g.groupOf[i]).toBe(groups);
        expect(g.representatives[groups]).toBe(i);
        groups++;
      }
    }
    expect(g.representatives.length).toBe(500);
  });
});

describe('validation', () => {
  const x = new Float32Array([0, 1, 2, 3, 4, 5]);
  const cases: InvalidCall[] = [
    [
      'NaN (nearestNeighbors)',
      () => nearestNeighbors(new Float32Array([0, 1, Number.NaN, 3, 4, 5]), 2, 1),
      /nearestNeighbors: embeddings row 1 holds a non-finite value \(NaN at column 0\)/,
    ],
    ['wrong length', () => nearestNeighbors(x, 4, 1), /length 6 is not a multiple of dim 4/],
    ['k >= n', () => nearestNeighbors(x, 2, 3), /k \(3\) must be less than the number of samples \(3\)/],
    ['k = 0', () => nearestNeighbors(x, 2, 0), /k must be an integer >= 1/],
    ['k not an integer', () => typicality(x, 2, { k: 1.5 }), /k must be an integer >= 1, got 1.5/],
    ['typicality k >= n', () => typicality(x, 2, { k: 3 }), /typicality: k \(3\) must be less/],
    [
      'bad metric string',
      // @ts-expect-error: checking what JavaScript callers may pass
      () => nearestNeighbors(x, 2, 1, { metric: 'manhattan' }),
      /options.metric must be 'euclidean' or 'cosine', got 'manhattan'/,
    ],
    [
      'bad method string',
      // @ts-expect-error: checking what JavaScript callers may pass
      () => typicality(x, 2, { k: 1, method: 'fast' }),
      /options.method must be 'exact', 'approximate' or 'auto', got 'fast'/,
    ],
    [
      'bad definition',
      // @ts-expect-error: checking what JavaScript callers may pass
      () => typicality(x, 2, { k: 1, definition: 'density' }),
      /options.definition must be 'lightly' or 'typiclust'/,
    ],
    ['bad seed', () => nearestNeighbors(x, 2, 1, { seed: -1 }), /options.seed must be an integer/],
    ['threshold < 0', () => duplicateGroups(x, 2, -0.1), /threshold must be a finite number >= 0, got -0.1/],
    ['threshold NaN', () => duplicateGroups(x, 2, Number.NaN), /threshold must be a finite number >= 0/],
    [
      'duplicateGroups bad metric',
      // @ts-expect-error: checking what JavaScript callers may pass
      () => duplicateGroups(x, 2, 0.1, { metric: 'dot' }),
      /duplicateGroups: options.metric must be 'euclidean' or 'cosine', got 'dot'/,
    ],
    [
      'duplicateGroups infinite value',
      () => duplicateGroups(new Float32Array([0, Number.POSITIVE_INFINITY]), 1, 0.1),
      /row 1 holds a non-finite value \(inf at column 0\)/,
    ],
    [
      'nearestNeighborsOf queries of the wrong length',
      () => nearestNeighborsOf(x, 2, new Float32Array(3), 1),
      /queries length 3 is not a multiple of dim 2/,
    ],
  ];
  itRejectsEach(cases);
});

describe('cancellation and progress', () => {
  // 60k x 64: exact k-NN is 2.3e11 multiply-adds, seconds of work on 2 cores.
  const n = 60_000;
  const dim = 64;
  const big = uniformRows(n, dim, 3);

  it('rejects with an AbortError when the signal is already aborted', async () => {
    const c = new AbortController();
    c.abort();
    await expect(nearestNeighbors(big, dim, 10, {}, c.signal)).rejects.toMatchObject({ name: 'AbortError' });
    await expect(typicality(big, dim, {}, c.signal)).rejects.toMatchObject({ name: 'AbortError' });
    await expect(duplicateGroups(big, dim, 0.1, {}, c.signal)).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('rejects with an AbortError when aborted while running, and stops promptly', async () => {
    for (const start of [
      (s: AbortSignal) => nearestNeighbors(big, dim, 10, { method: 'exact' }, s),
      (s: AbortSignal) => typicality(big, dim, { method: 'exact' }, s),
      (s: AbortSignal) => duplicateGroups(big, dim, 0.1, { metric: 'euclidean' }, s),
    ]) {
      const c = new AbortController();
      const started = performance.now();
      const promise = start(c.signal);
      setTimeout(() => c.abort(), 150);
      await expect(promise).rejects.toMatchObject({ name: 'AbortError' });
      expect(performance.now() - started).toBeLessThan(3000);
    }
  });

  it('reports progress, ending with done = total', async () => {
    const reports: [number, number][] = [];
    const x = big.subarray(0, 12_000 * dim);
    await nearestNeighbors(x, dim, 10, {
      method: 'exact',
      onProgress: (done, total) => reports.push([done, total]),
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(reports.length).toBeGreaterThanOrEqual(1);
    expect(reports.at(-1)).toEqual([12_000, 12_000]);
    for (let i = 1; i < reports.length; i++) expect(reports[i][0]).toBeGreaterThanOrEqual(reports[i - 1][0]);
  });
});
