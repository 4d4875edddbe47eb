// Tests of the Rust native core (native/), through its built Node binding.
// Build it first: `npm run build -w native` (napi build --platform --release --esm).
import { describe, expect, it } from 'vitest';
import { kCenterGreedy, typicality } from '../../native/index.js';
import { type InvalidCall, itRejectsEach, uniformRows } from './native-helpers.js';

function dist(x: Float32Array, dim: number, i: number, j: number): number {
  let s = 0;
  for (let c = 0; c < dim; c++) {
    const t = x[i * dim + c] - x[j * dim + c];
    s += t * t;
  }
  return Math.sqrt(s);
}

function coveringRadius(x: Float32Array, dim: number, centers: number[]): number {
  const n = x.length / dim;
  let radius = 0;
  for (let i = 0; i < n; i++) {
    let nearest = Number.POSITIVE_INFINITY;
    for (const c of centers) nearest = Math.min(nearest, dist(x, dim, i, c));
    radius = Math.max(radius, nearest);
  }
  return radius;
}

describe('kCenterGreedy', () => {
  it('picks [0, 2] out of the 1-D points [1, 3, 5]', async () => {
    const picks = await kCenterGreedy(new Float32Array([1, 3, 5]), 1, 2, { normalize: false });
    expect(picks).toBeInstanceOf(Uint32Array);
    expect(Array.from(picks)).toEqual([0, 2]);
  });

  it('starts at index 0, skips preselected samples and stops at minDistance', async () => {
    const x = new Float32Array([0, 1, 2, 10]);
    expect(Array.from(await kCenterGreedy(x, 1, 3, { normalize: false }))).toEqual([0, 3, 2]);
    const pre = new Uint32Array([3]);
    expect(Array.from(await kCenterGreedy(x, 1, 3, { normalize: false, preselected: pre }))).toEqual([
      0, 2, 1,
    ]);
    expect(
      Array.from(await kCenterGreedy(x, 1, 3, { normalize: false, preselected: pre, minDistance: 1.5 })),
    ).toEqual([0, 2]);
    expect(Array.from(await kCenterGreedy(x, 1, 0, { normalize: false }))).toEqual([]);
  });

  it('normalizes rows by default (distances between directions)', async () => {
    // Rows 0 and 1 point the same way; row 2 is orthogonal to them.
    const x = new Float32Array([1, 0, 100, 0, 0, 1]);
    expect(Array.from(await kCenterGreedy(x, 2, 2))).toEqual([0, 2]);
    expect(Array.from(await kCenterGreedy(x, 2, 2, { normalize: false }))).toEqual([0, 1]);
  });

  it('covers within 2x the brute-forced optimal radius (n=12, choose 3)', async () => {
    const n = 12;
    const dim = 2;
    for (let seed = 1; seed <= 8; seed++) {
      const x = uniformRows(n, dim, seed);
      const picks = Array.from(await kCenterGreedy(x, dim, 3, { normalize: false }));
      expect(new Set(picks).size).toBe(3);
      let optimum = Number.POSITIVE_INFINITY;
      for (let a = 0; a < n; a++)
        for (let b = a + 1; b < n; b++)
          for (let c = b + 1; c < n; c++) optimum = Math.min(optimum, coveringRadius(x, dim, [a, b, c]));
      expect(coveringRadius(x, dim, picks)).toBeLessThanOrEqual(2 * optimum + 1e-6);
    }
  });

  it('is deterministic', async () => {
    const x = uniformRows(5000, 32, 7);
    const a = await kCenterGreedy(x, 32, 100);
    const b = await kCenterGreedy(x, 32, 100);
    expect(Array.from(a)).toEqual(Array.from(b));
  });
});

describe('typicality', () => {
  it('equals a straightforward reference computation to 1e-5 (n=200, d=16, k=20)', async () => {
    const n = 200;
    const dim = 16;
    const k = 20;
    const x = uniformRows(n, dim, 42);
    const got = await typicality(x, dim, { k });
    expect(got).toBeInstanceOf(Float32Array);
    expect(got.length).toBe(n);
    const knn: number[][] = [];
    for (let i = 0; i < n; i++) {
      const d: number[] = [];
      for (let j = 0; j < n; j++) if (j !== i) d.push(dist(x, dim, i, j));
      d.sort((p, q) => p - q);
      knn.push(d.slice(0, k));
    }
    const sigma = knn.flat().reduce((s, d) => s + d, 0) / (n * k);
    for (let i = 0; i < n; i++) {
      const want = knn[i].reduce((s, d) => s + Math.exp(-d / sigma), 0) / k;
      expect(Math.abs(got[i] - want)).toBeLessThan(1e-5);
    }
  });

  it('is 1 for every sample when all samples coincide', async () => {
    const got = await typicality(new Float32Array(12).fill(0.5), 3, { k: 2 });
    expect(Array.from(got)).toEqual([1, 1, 1, 1]);
  });
});

describe('input validation', () => {
  const x = new Float32Array([0, 1, 2, 3, 4, 5]);
  const cases: InvalidCall[] = [
    ['length not a multiple of dim', () => kCenterGreedy(x, 4, 1), /length 6 is not a multiple of dim 4/],
    ['dim 0', () => typicality(x, 0, { k: 1 }), /dim must be at least 1/],
    ['empty embeddings', () => kCenterGreedy(new Float32Array(0), 2, 0), /empty/],
    [
      'NaN value',
      () => kCenterGreedy(new Float32Array([0, 1, 2, 3, Number.NaN, 5]), 2, 1),
      /row 2 holds a non-finite value \(NaN at column 0\)/,
    ],
    [
      'infinite value',
      () => typicality(new Float32Array([0, 1, Number.POSITIVE_INFINITY, 3, 4, 5]), 2, { k: 1 }),
      /row 1 holds a non-finite value \(inf at column 0\)/,
    ],
    ['k >= n', () => typicality(x, 2, { k: 3 }), /k \(3\) must be less than the number of samples \(3\)/],
    ['k = 0', () => typicality(x, 2, { k: 0 }), /k must be an integer >= 1/],
    ['count > n', () => kCenterGreedy(x, 2, 4), /count 4 exceeds the number of samples \(3\)/],
    [
      'count > samples left after preselection',
      () => kCenterGreedy(x, 2, 3, { preselected: new Uint32Array([1]) }),
      /count 3 exceeds the 2 samples left/,
    ],
    [
      'preselected index out of range',
      () => kCenterGreedy(x, 2, 1, { preselected: new Uint32Array([0, 3]) }),
      /preselected\[1\] = 3 is out of range \(the embeddings have 3 rows\)/,
    ],
    [
      'negative minDistance',
      () => kCenterGreedy(x, 2, 1, { minDistance: -1 }),
      /minDistance must be a finite number >= 0/,
    ],
  ];
  itRejectsEach(cases);
});

describe('cancellation and the event loop', () => {
  // ~100k x 64 floats (25 MB): each k-center pick reads it all, so 3000 picks take seconds.
  const n = 100_000;
  const dim = 64;
  const big = uniformRows(n, dim, 3);

  it('rejects with an AbortError when the signal is already aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(kCenterGreedy(big, dim, 3000, {}, controller.signal)).rejects.toMatchObject({
      name: 'AbortError',
    });
    await expect(typicality(big, dim, { k: 20 }, controller.signal)).rejects.toMatchObject({
      name: 'AbortError',
    });
  });

  it('rejects with an AbortError when aborted while running, and stops promptly', async () => {
    const controller = new AbortController();
    const started = performance.now();
    const promise = kCenterGreedy(big, dim, 3000, {}, controller.signal);
    setTimeout(() => controller.abort(), 200);
    await expect(promise).rejects.toMatchObject({ name: 'AbortError' });
    expect(performance.now() - started).toBeLessThan(2000);

    const controller2 = new AbortController();
    const started2 = performance.now();
    const promise2 = typicality(big, dim, { k: 20, method: 'exact' }, controller2.signal);
    setTimeout(() => controller2.abort(), 200);
    await expect(promise2).rejects.toMatchObject({ name: 'AbortError' });
    expect(performance.now() - started2).toBeLessThan(3000);
  });

  it('completes normally when a signal is given but never aborted', async () => {
    const controller = new AbortController();
    const picks = await kCenterGreedy(big, dim, 5, {}, controller.signal);
    expect(picks.length).toBe(5);
  });

  it('reports progress from the worker threads, ending with done = total', async () => {
    const reports: Array<[number, number]> = [];
    const picks = await kCenterGreedy(big, dim, 300, {
      onProgress: (done, total) => reports.push([done, total]),
    });
    expect(picks.length).toBe(300);
    // Reports run on the event loop after the threads queue them; let the queue drain.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(reports.length).toBeGreaterThanOrEqual(2);
    expect(reports.at(-1)).toEqual([300, 300]);
    for (let i = 1; i < reports.length; i++) expect(reports[i][0]).toBeGreaterThanOrEqual(reports[i - 1][0]);
  });

  it('keeps the event loop responsive during a large call', async () => {
    let ticks = 0;
    let last = performance.now();
    let maxGap = 0;
    const timer = setInterval(() => {
      const now = performance.now();
      maxGap = Math.max(maxGap, now - last);
      last = now;
      ticks++;
    }, 10);
    const started = performance.now();
    try {
      const picks = await kCenterGreedy(big, dim, 400);
      expect(picks.length).toBe(400);
    } finally {
      clearInterval(timer);
    }
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThan(100);
    expect(ticks).toBeGreaterThan(elapsed / 10 / 3);
    expect(maxGap).toBeLessThan(500);
  });
});
