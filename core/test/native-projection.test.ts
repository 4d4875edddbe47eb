// Tests of the native 2-D projection (PaCMAP) through the built Node binding, against the
// reference Python package `pacmap` 0.9.1 run as a child process from .venv/ (created by
// `scripts/setup.sh --test`). Build the binding first: `npm run build -w native`.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { pacmap, placePoints } from '../../native/index.js';
import { type InvalidCall, itRejectsEach, rng } from './native-helpers.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const PYTHON = join(ROOT, '.venv', 'bin', 'python');
const REFERENCE = join(ROOT, 'core', 'test', 'python', 'pacmap_reference.py');

function normal(next: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
}

interface Mixture {
  x: Float32Array;
  labels: Int32Array;
}

/** n rows of a `clusters`-component Gaussian mixture in `dim` dimensions: centres N(0, spread²), unit noise. */
function mixture(n: number, dim: number, clusters: number, spread: number, seed: number): Mixture {
  const g = normal(rng(seed));
  const centres = Float64Array.from({ length: clusters * dim }, () => spread * g());
  const x = new Float32Array(n * dim);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % clusters;
    labels[i] = c;
    for (let j = 0; j < dim; j++) x[i * dim + j] = centres[c * dim + j] + g();
  }
  return { x, labels };
}

function distances(x: Float32Array, dim: number, i: number): Float64Array {
  const n = x.length / dim;
  const out = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    let s = 0;
    for (let c = 0; c < dim; c++) {
      const t = x[i * dim + c] - x[j * dim + c];
      s += t * t;
    }
    out[j] = s;
  }
  return out;
}

/** Others sorted by distance to i (ties by index), i itself excluded. */
function ranking(x: Float32Array, dim: number, i: number): number[] {
  const d = distances(x, dim, i);
  const order = Array.from({ length: d.length }, (_, j) => j).filter((j) => j !== i);
  return order.sort((a, b) => d[a] - d[b] || a - b);
}

/**
 * Trustworthiness (Venna & Kaski 2001) as scikit-learn's `trustworthiness` defines it:
 * 1 − 2/(n k (2n − 3k − 1)) Σ_i Σ_{j ∈ k-NN of i in the layout} max(0, r(i, j) − k), r the rank of j
 * among i's neighbours in the original space (1 = nearest).
 */
function trustworthiness(x: Float32Array, dim: number, layout: Float32Array, k: number): number {
  const n = x.length / dim;
  let penalty = 0;
  const rank = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    ranking(x, dim, i).forEach((j, r) => {
      rank[j] = r + 1;
    });
    for (const j of ranking(layout, 2, i).slice(0, k)) penalty += Math.max(0, rank[j] - k);
  }
  return 1 - (2 / (n * k * (2 * n - 3 * k - 1))) * penalty;
}

/** Mean silhouette (scikit-learn's definition, euclidean) of a 2-D layout for the given labels. */
function silhouette(layout: Float32Array, labels: Int32Array): number {
  const n = labels.length;
  const k = Math.max(...labels) + 1;
  const size = new Float64Array(k);
  for (const l of labels) size[l]++;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const sum = new Float64Array(k);
    for (let j = 0; j < n; j++) {
      sum[labels[j]] += Math.hypot(layout[2 * i] - layout[2 * j], layout[2 * i + 1] - layout[2 * j + 1]);
    }
    const own = labels[i];
    if (size[own] < 2) continue;
    const a = sum[own] / (size[own] - 1);
    let b = Number.POSITIVE_INFINITY;
    for (let c = 0; c < k; c++) if (c !== own && size[c] > 0) b = Math.min(b, sum[c] / size[c]);
    total += (b - a) / Math.max(a, b);
  }
  return total / n;
}

const scratch = mkdtempSync(join(tmpdir(), 'winnow-projection-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** The reference package's layout of x (n × dim) for a seed. */
function referencePacmap(x: Float32Array, dim: number, seed: number): Float32Array {
  if (!existsSync(PYTHON)) {
    throw new Error(
      `${PYTHON} is missing: run \`bash scripts/setup.sh --test\` (needs python3) to create it`,
    );
  }
  const src = join(scratch, 'in.f32');
  const dst = join(scratch, 'out.f32');
  writeFileSync(src, new Uint8Array(x.buffer, x.byteOffset, x.byteLength));
  execFileSync(PYTHON, [REFERENCE, src, String(x.length / dim), String(dim), dst, String(seed)], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, NUMBA_CACHE_DIR: join(ROOT, '.venv', 'numba-cache') },
  });
  const bytes = readFileSync(dst);
  return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
}

describe('pacmap', () => {
  it('separates a 10-cluster Gaussian mixture (silhouette >= 0.5 with the true labels), via PCA to 100 dims', async () => {
    const dim = 128;
    const { x, labels } = mixture(2000, dim, 10, 1, 11);
    const layout = await pacmap(x, dim, { seed: 3 });
    expect(layout).toBeInstanceOf(Float32Array);
    expect(layout.length).toBe(2 * 2000);
    expect(layout.every(Number.isFinite)).toBe(true);
    expect(silhouette(layout, labels)).toBeGreaterThanOrEqual(0.5);
  });

  it('keeps neighbourhoods as well as the reference pacmap 0.9.1 (trustworthiness@10 within 0.02)', async () => {
    const dim = 32;
    const { x } = mixture(1500, dim, 10, 0.8, 5);
    const ours = trustworthiness(x, dim, await pacmap(x, dim, { seed: 1 }), 10);
    const reference = trustworthiness(x, dim, referencePacmap(x, dim, 1), 10);
    expect(ours).toBeGreaterThan(0.8);
    expect(Math.abs(ours - reference)).toBeLessThanOrEqual(0.02);
  }, 180_000);

  it('gives the same layout for the same seed, and another for another seed', async () => {
    const dim = 16;
    const { x } = mixture(1200, dim, 5, 2, 8);
    const a = await pacmap(x, dim, { seed: 42 });
    const b = await pacmap(x, dim, { seed: 42 });
    const c = await pacmap(x, dim, { seed: 43 });
    expect(Array.from(b)).toEqual(Array.from(a));
    expect(Array.from(c)).not.toEqual(Array.from(a));
  });

  it('handles tiny inputs and a single dimension', async () => {
    const five = await pacmap(new Float32Array([0, 1, 2, 10, 11]), 1, { iterations: 50 });
    expect(five.length).toBe(10);
    expect(five.every(Number.isFinite)).toBe(true);
    const same = await pacmap(new Float32Array(40).fill(1), 4, { iterations: 20 });
    expect(same.every(Number.isFinite)).toBe(true);
  });
});

describe('placePoints', () => {
  it('places held-out points of a cluster nearest to that cluster, leaving the layout as it is', async () => {
    const dim = 24;
    const { x, labels } = mixture(2200, dim, 10, 1.5, 21);
    const fitRows = 2000;
    const fitted = x.subarray(0, fitRows * dim);
    const layout = await pacmap(fitted, dim, { seed: 7 });
    const before = Array.from(layout);
    const held = x.subarray(fitRows * dim);
    const placed = await placePoints(fitted, layout, held, dim);
    expect(Array.from(layout)).toEqual(before);
    expect(placed.length).toBe(2 * 200);
    const centroid = new Float64Array(20);
    const count = new Float64Array(10);
    for (let i = 0; i < fitRows; i++) {
      centroid[2 * labels[i]] += layout[2 * i];
      centroid[2 * labels[i] + 1] += layout[2 * i + 1];
      count[labels[i]]++;
    }
    let right = 0;
    for (let h = 0; h < 200; h++) {
      let best = -1;
      let bestD = Number.POSITIVE_INFINITY;
      for (let c = 0; c < 10; c++) {
        const d = Math.hypot(
          placed[2 * h] - centroid[2 * c] / count[c],
          placed[2 * h + 1] - centroid[2 * c + 1] / count[c],
        );
        if (d < bestD) [best, bestD] = [c, d];
      }
      if (best === labels[fitRows + h]) right++;
    }
    expect(right).toBeGreaterThanOrEqual(196);
  });

  it('returns nothing for no new points', async () => {
    const { x } = mixture(50, 3, 2, 2, 1);
    const layout = await pacmap(x, 3, { iterations: 10 });
    expect((await placePoints(x, layout, new Float32Array(0), 3)).length).toBe(0);
  });
});

describe('input validation', () => {
  const x = mixture(30, 4, 3, 2, 2).x;
  const layout = new Float32Array(60);
  const cases: InvalidCall[] = [
    [
      'length not a multiple of dim',
      () => pacmap(x, 7),
      /pacmap: embeddings length 120 is not a multiple of dim 7/,
    ],
    ['dim 0', () => pacmap(x, 0), /dim must be at least 1/],
    [
      'NaN value',
      () => pacmap(new Float32Array([0, 1, Number.NaN, 3, 4, 5, 6, 7]), 2),
      /row 1 holds a non-finite value/,
    ],
    ['too few samples', () => pacmap(new Float32Array([0, 1, 2]), 1), /pacmap: 3 samples are too few/],
    [
      'nNeighbors 0',
      () => pacmap(x, 4, { nNeighbors: 0 }),
      /options.nNeighbors must be a whole number >= 1, got 0/,
    ],
    [
      'fractional iterations',
      () => pacmap(x, 4, { iterations: 1.5 }),
      /options.iterations must be a whole number/,
    ],
    [
      'negative learning rate',
      () => pacmap(x, 4, { learningRate: -1 }),
      /options.learningRate must be a finite number > 0/,
    ],
    [
      'NaN mnRatio',
      () => pacmap(x, 4, { mnRatio: Number.NaN }),
      /options.mnRatio must be a finite number >= 0/,
    ],
    ['fpRatio 0', () => pacmap(x, 4, { fpRatio: 0 }), /options.fpRatio must be a finite number > 0/],
    [
      'pcaDims 1',
      () => pacmap(x, 4, { pcaDims: 1 }),
      /options.pcaDims must be 0 \(no reduction\) or at least 2/,
    ],
    ['negative seed', () => pacmap(x, 4, { seed: -1 }), /options.seed must be a whole number >= 0/],
    [
      'unknown knnMethod',
      () => pacmap(x, 4, { knnMethod: 'fast' as 'auto' }),
      /options.knnMethod must be 'exact', 'approximate' or 'auto', got 'fast'/,
    ],
    [
      'coordinates of the wrong length',
      () => placePoints(x, new Float32Array(10), x, 4),
      /placePoints: coordinates length 10 is not 2 × the 30 rows of embeddings/,
    ],
    [
      'new embeddings not a multiple of dim',
      () => placePoints(x, layout, new Float32Array(5), 4),
      /placePoints: newEmbeddings length 5 is not a multiple of dim 4/,
    ],
    [
      'NaN in new embeddings',
      () => placePoints(x, layout, new Float32Array([1, 2, 3, Number.NaN]), 4),
      /placePoints \(newEmbeddings\): embeddings row 0 holds a non-finite value/,
    ],
    [
      'NaN in coordinates',
      () => placePoints(x, new Float32Array(60).fill(Number.NaN), x, 4),
      /placePoints: coordinates row 0 holds a non-finite value/,
    ],
  ];
  itRejectsEach(cases);
});

describe('cancellation and progress', () => {
  const dim = 32;
  const { x } = mixture(20_000, dim, 10, 1, 4);

  it('rejects with an AbortError when the signal is already aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(pacmap(x, dim, {}, controller.signal)).rejects.toMatchObject({ name: 'AbortError' });
    await expect(
      placePoints(x, new Float32Array(40_000), x, dim, {}, controller.signal),
    ).rejects.toMatchObject({
      name: 'AbortError',
    });
  });

  it('rejects with an AbortError when aborted while running, and stops promptly', async () => {
    const controller = new AbortController();
    const started = performance.now();
    const promise = pacmap(x, dim, { iterations: 100_000 }, controller.signal);
    setTimeout(() => controller.abort(), 300);
    await expect(promise).rejects.toMatchObject({ name: 'AbortError' });
    expect(performance.now() - started).toBeLessThan(5000);
  });

  it('reports progress: three preparation steps, then one per iteration, ending with done = total', async () => {
    const reports: Array<[number, number]> = [];
    const small = x.subarray(0, 3000 * dim);
    await pacmap(small, dim, { iterations: 200, onProgress: (done, total) => reports.push([done, total]) });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(reports.length).toBeGreaterThanOrEqual(2);
    expect(reports.at(-1)).toEqual([203, 203]);
    for (let i = 1; i < reports.length; i++) expect(reports[i][0]).toBeGreaterThanOrEqual(reports[i - 1][0]);

    const placed: Array<[number, number]> = [];
    const layout = await pacmap(small, dim, { iterations: 50 });
    await placePoints(small, layout, x.subarray(3000 * dim, 4000 * dim), dim, {
      onProgress: (done, total) => placed.push([done, total]),
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(placed.at(-1)).toEqual([1000, 1000]);
  });
});
