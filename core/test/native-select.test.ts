// Tests of the selection engine of the native core (selectSamples, similarityWeights) through its
// built Node binding. Build it first: `npm run build -w native`.
import { describe, expect, it } from 'vitest';
import {
  kCenterGreedy,
  type SelectionStrategy,
  selectSamples,
  similarityWeights,
} from '../../native/index.js';
import { type InvalidCall, itRejectsEach, rng } from './native-helpers.js';

function uniform(length: number, seed: number, lo = -1, hi = 1): Float32Array {
  const next = rng(seed);
  return Float32Array.from({ length }, () => lo + (hi - lo) * next());
}

/** Clustered rows: `clusters` random centres, each row a centre plus small noise. */
function clustered(n: number, dim: number, clusters: number, seed: number): Float32Array {
  const next = rng(seed);
  const centres = Float32Array.from({ length: clusters * dim }, () => next() * 2 - 1);
  const out = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    const c = Math.floor(next() * clusters);
    const spread = 0.05 + 0.2 * (c / clusters);
    for (let j = 0; j < dim; j++) out[i * dim + j] = centres[c * dim + j] + spread * (next() * 2 - 1);
  }
  return out;
}

function oneHot(n: number, classes: number, seed: number): Float32Array {
  const next = rng(seed);
  const out = new Float32Array(n * classes);
  for (let i = 0; i < n; i++) out[i * classes + Math.floor(next() * classes)] = 1;
  return out;
}

function dist(x: Float32Array, dim: number, i: number, j: number): number {
  let s = 0;
  for (let c = 0; c < dim; c++) {
    const t = x[i * dim + c] - x[j * dim + c];
    s += t * t;
  }
  return Math.sqrt(s);
}

/** Straightforward farthest-point greedy in float32 arithmetic, as the native core defines it. */
function farthestPointReference(x: Float32Array, dim: number, count: number): number[] {
  const n = x.length / dim;
  const minD2 = new Float32Array(n).fill(Number.POSITIVE_INFINITY);
  const chosen = new Uint8Array(n);
  const picks: number[] = [];
  let next = 0;
  while (picks.length < count) {
    picks.push(next);
    chosen[next] = 1;
    let best = -1;
    let bestIdx = -1;
    for (let i = 0; i < n; i++) {
      if (chosen[i]) continue;
      const d2 = Math.fround(squaredDistance(x, dim, i, next));
      if (d2 < minD2[i]) minD2[i] = d2;
      if (minD2[i] > best) {
        best = minD2[i];
        bestIdx = i;
      }
    }
    next = bestIdx;
  }
  return picks;
}

function squaredDistance(x: Float32Array, dim: number, i: number, j: number): number {
  let s = 0;
  for (let c = 0; c < dim; c++) {
    const t = x[i * dim + c] - x[j * dim + c];
    s += t * t;
  }
  return s;
}

function coveringRadius(x: Float32Array, dim: number, centres: number[]): number {
  const n = x.length / dim;
  let radius = 0;
  for (let i = 0; i < n; i++) {
    let nearest = Number.POSITIVE_INFINITY;
    for (const c of centres) nearest = Math.min(nearest, dist(x, dim, i, c));
    radius = Math.max(radius, nearest);
  }
  return radius;
}

const f32 = (values: number[]) => new Float32Array(values);
const picks = async (...args: Parameters<typeof selectSamples>) =>
  Array.from((await selectSamples(...args)).indices);

describe('selectSamples: hand-computed cases', () => {
  it('diversity alone on the 1-D points [1, 3, 5] picks [0, 2]', async () => {
    const result = await selectSamples(3, 2, [
      { type: 'diversity', embeddings: f32([1, 3, 5]), dim: 1, normalize: false },
    ]);
    expect(result.indices).toBeInstanceOf(Uint32Array);
    expect(Array.from(result.indices)).toEqual([0, 2]);
    expect(result.stoppedBy).toBe('count');
  });

  it('two weightings [1, 2, 3] and [6, 5, 3] pick [1, 2]', async () => {
    expect(
      await picks(3, 2, [
        { type: 'weights', values: f32([1, 2, 3]) },
        { type: 'weights', values: f32([6, 5, 3]) },
      ]),
    ).toEqual([1, 2]);
  });

  it('balancing [[1,0],[0.3,0.7],[0,1],[0,1],[1,1]] to [0.5, 0.5] picks [4, 1]', async () => {
    const classes = f32([1, 0, 0.3, 0.7, 0, 1, 0, 1, 1, 1]);
    expect(await picks(5, 2, [{ type: 'balance', classes, numClasses: 2, target: f32([0.5, 0.5]) }])).toEqual(
      [4, 1],
    );
  });

  it('weights are cumulative over the selection and combine with diversity as a product', async () => {
    // Preselected 0 (weight 1) at x=0; candidates x=1 (weight X) and x=2 (weight 1). The product
    // (W_S + w_c) · d² prefers the nearer candidate exactly when (1 + X) · 1 > (1 + 1) · 4, X > 7.
    const strategies = (x: number): SelectionStrategy[] => [
      { type: 'diversity', embeddings: f32([0, 1, 2]), dim: 1, normalize: false },
      { type: 'weights', values: f32([1, x, 1]) },
    ];
    const pre = { preselected: new Uint32Array([0]) };
    expect(await picks(3, 1, strategies(6.9), pre)).toEqual([2]);
    expect(await picks(3, 1, strategies(7.1), pre)).toEqual([1]);
  });

  it('ties go to the lowest index; the weight sum is floored at 1e-8 (negative weights count)', async () => {
    expect(await picks(4, 4, [{ type: 'weights', values: f32([-1, -2, 0.5, 1]) }])).toEqual([3, 2, 0, 1]);
    // With sample 0 (weight 2) preselected, -1.5 leaves a sum of 0.5 and beats -1.6 (0.4) and -3
    // (floored): flooring each weight instead would tie them all and pick sample 1.
    const pre = { preselected: new Uint32Array([0]) };
    expect(await picks(4, 1, [{ type: 'weights', values: f32([2, -1.6, -3, -1.5]) }], pre)).toEqual([3]);
    expect(await picks(3, 3, [{ type: 'weights', values: f32([2, 2, 2]) }])).toEqual([0, 1, 2]);
  });
});

describe('selectSamples: strengths, preselection, stopping', () => {
  it('a negative strength prefers small weights', async () => {
    expect(await picks(4, 4, [{ type: 'weights', values: f32([1, 5, 2, 5]), strength: -1 }])).toEqual([
      0, 2, 1, 3,
    ]);
    expect(await picks(4, 4, [{ type: 'weights', values: f32([1, 5, 2, 5]) }])).toEqual([1, 3, 2, 0]);
  });

  it('preselected samples are a fixed prefix: they count but are not returned', async () => {
    const embeddings = f32([0, 1, 2, 10]);
    const diversity: SelectionStrategy[] = [{ type: 'diversity', embeddings, dim: 1, normalize: false }];
    expect(await picks(4, 3, diversity)).toEqual([0, 3, 2]);
    expect(await picks(4, 2, diversity, { preselected: new Uint32Array([3]) })).toEqual([0, 2]);
    // Duplicates in preselected count once.
    expect(await picks(4, 2, diversity, { preselected: new Uint32Array([3, 3, 0]) })).toEqual([2, 1]);
  });

  it('selecting in two batches gives the picks of one run (diversity + weights + balance)', async () => {
    const n = 400;
    const dim = 8;
    const strategies: SelectionStrategy[] = [
      { type: 'diversity', embeddings: clustered(n, dim, 6, 11), dim, strength: 1.5 },
      { type: 'weights', values: uniform(n, 12, 0.1, 2) },
      {
        type: 'balance',
        classes: oneHot(n, 3, 13),
        numClasses: 3,
        target: f32([0.5, 0.3, 0.2]),
        strength: 2,
      },
    ];
    const once = await picks(n, 40, strategies);
    expect(new Set(once).size).toBe(40);
    const first = await picks(n, 15, strategies);
    expect(first).toEqual(once.slice(0, 15));
    const second = await picks(n, 25, strategies, { preselected: Uint32Array.from(first) });
    expect([...first, ...second]).toEqual(once);
  });

  it('stops at minDistance with the chosen sample, and reports why', async () => {
    const embeddings = f32([0, 1, 2, 10]);
    const result = await selectSamples(4, 4, [
      { type: 'diversity', embeddings, dim: 1, normalize: false, minDistance: 1.5 },
    ]);
    expect(Array.from(result.indices)).toEqual([0, 3, 2]);
    expect(result.stoppedBy).toBe('minDistance');
    // A distance equal to minDistance does not stop.
    expect(
      await picks(4, 4, [{ type: 'diversity', embeddings, dim: 1, normalize: false, minDistance: 2 }]),
    ).toEqual([0, 3, 2]);
    // The weights choose sample 2 first; the stop applies to whichever sample the product chooses.
    expect(
      await picks(4, 4, [
        { type: 'diversity', embeddings, dim: 1, normalize: false, minDistance: 1.5 },
        { type: 'weights', values: f32([1, 1, 1000, 1]) },
      ]),
    ).toEqual([2, 3, 0]);
  });

  it('returns every remaining sample when count exceeds them, stopped by exhaustion', async () => {
    const result = await selectSamples(3, 3, [{ type: 'weights', values: f32([1, 2, 3]) }], {
      preselected: new Uint32Array([1]),
    });
    expect(Array.from(result.indices)).toEqual([2, 0]);
    expect(result.stoppedBy).toBe('exhausted');
    expect(await selectSamples(3, 0, [{ type: 'weights', values: f32([1, 2, 3]) }])).toMatchObject({
      stoppedBy: 'count',
    });
  });
});

describe('selectSamples: exact fast diversity', () => {
  it('gives the picks of a straightforward farthest-point greedy (random and clustered rows)', async () => {
    const cases: [Float32Array, number][] = [
      [uniform(3000 * 16, 21), 16],
      [clustered(4000, 12, 20, 22), 12],
      [clustered(2500, 3, 8, 23), 3],
    ];
    for (const [x, dim] of cases) {
      const count = 150;
      const want = farthestPointReference(x, dim, count);
      const got = await picks(x.length / dim, count, [
        { type: 'diversity', embeddings: x, dim, normalize: false },
      ]);
      expect(got).toEqual(want);
      expect(Array.from(await kCenterGreedy(x, dim, count, { normalize: false }))).toEqual(want);
    }
  });

  it('handles duplicate rows like the plain algorithm (ties to the lowest index)', async () => {
    const x = f32([0, 0, 5, 5, 0, 5, 9]);
    expect(await picks(7, 7, [{ type: 'diversity', embeddings: x, dim: 1, normalize: false }])).toEqual(
      farthestPointReference(x, 1, 7),
    );
  });

  it('covers within 2x the brute-forced optimal radius (n=12, choose 3)', async () => {
    const n = 12;
    const dim = 2;
    for (let seed = 1; seed <= 6; seed++) {
      const x = uniform(n * dim, seed);
      const chosen = await picks(n, 3, [{ type: 'diversity', embeddings: x, dim, normalize: false }]);
      let optimum = Number.POSITIVE_INFINITY;
      for (let a = 0; a < n; a++)
        for (let b = a + 1; b < n; b++)
          for (let c = b + 1; c < n; c++) optimum = Math.min(optimum, coveringRadius(x, dim, [a, b, c]));
      expect(coveringRadius(x, dim, chosen)).toBeLessThanOrEqual(2 * optimum + 1e-6);
    }
  });

  it('with weights, matches a brute-force evaluation of the product rule', async () => {
    const n = 300;
    const dim = 4;
    const x = clustered(n, dim, 5, 31);
    const w = uniform(n, 32, 0.1, 3);
    const got = await picks(n, 25, [
      { type: 'diversity', embeddings: x, dim, normalize: false, strength: 0.7 },
      { type: 'weights', values: w, strength: 1.3 },
    ]);
    // Reference: score(c) = 0.7·ln(D_S + max(d²(c,S), ε)) + 1.3·ln(max(W_S + w_c, ε)), D_S the sum over
    // selected samples of their squared distance to the nearest other selected sample.
    const eps = 1e-8;
    const sel: number[] = [];
    while (sel.length < 25) {
      let dSum = 0;
      for (const s of sel) {
        let nn = Number.POSITIVE_INFINITY;
        for (const t of sel) if (t !== s) nn = Math.min(nn, Math.fround(squaredDistance(x, dim, s, t)));
        dSum += Math.max(Number.isFinite(nn) ? nn : 0, eps);
      }
      const wSum = sel.reduce((acc, s) => acc + w[s], 0);
      let best = Number.NEGATIVE_INFINITY;
      let bestIdx = -1;
      for (let c = 0; c < n; c++) {
        if (sel.includes(c)) continue;
        let score = 1.3 * Math.log(Math.max(wSum + w[c], eps));
        if (sel.length > 0) {
          let m = Number.POSITIVE_INFINITY;
          for (const s of sel) m = Math.min(m, Math.fround(squaredDistance(x, dim, c, s)));
          score += 0.7 * Math.log(dSum + Math.max(m, eps));
        }
        if (score > best + 1e-9) {
          best = score;
          bestIdx = c;
        }
      }
      sel.push(bestIdx);
    }
    expect(got).toEqual(sel);
  });
});

describe('similarityWeights', () => {
  it('is exp(-d_min / sigma), sigma the mean nearest-query distance', async () => {
    const got = await similarityWeights(f32([0, 1, 3, 10]), f32([0]), 1, { normalize: false });
    const sigma = (0 + 1 + 3 + 10) / 4;
    expect(Array.from(got).map((v) => Number(v.toFixed(6)))).toEqual(
      [0, 1, 3, 10].map((d) => Number(Math.exp(-d / sigma).toFixed(6))),
    );
    const two = await similarityWeights(f32([0, 1, 3, 10]), f32([0, 10]), 1, { normalize: false });
    expect(two[2]).toBeCloseTo(Math.exp(-3), 6);
    expect(Array.from(await similarityWeights(f32([1, 1]), f32([1]), 1))).toEqual([1, 1]);
  });

  it('normalizes rows by default', async () => {
    // Rows 0 and 1 point the same way as the query; row 2 is orthogonal.
    const got = await similarityWeights(f32([2, 0, 5, 0, 0, 1]), f32([1, 0]), 2);
    expect(got[0]).toBe(1);
    expect(got[1]).toBe(1);
    expect(got[2]).toBeLessThan(1);
  });
});

describe('input validation', () => {
  const w3 = f32([1, 2, 3]);
  const cases: InvalidCall[] = [
    [
      'weights of the wrong length',
      () => selectSamples(4, 1, [{ type: 'weights', values: w3 }]),
      /selectSamples: strategies\[0\] \(weights\): values length 3 does not match n = 4/,
    ],
    [
      'NaN weight',
      () => selectSamples(3, 1, [{ type: 'weights', values: f32([1, Number.NaN, 2]) }]),
      /strategies\[0\] \(weights\): values\[1\] is not a finite number \(NaN\)/,
    ],
    [
      'embeddings of the wrong length',
      () => selectSamples(3, 1, [{ type: 'diversity', embeddings: f32([1, 2, 3, 4]), dim: 2 }]),
      /strategies\[0\] \(diversity\): embeddings length 4 does not match n × dim = 3 × 2 = 6/,
    ],
    [
      'NaN embedding',
      () => selectSamples(2, 1, [{ type: 'diversity', embeddings: f32([1, Number.NaN]), dim: 1 }]),
      /strategies\[0\] \(diversity\): embeddings row 1 holds a non-finite value/,
    ],
    [
      'count larger than n',
      () => selectSamples(3, 4, [{ type: 'weights', values: w3 }]),
      /selectSamples: count 4 exceeds the number of samples \(3\)/,
    ],
    [
      'unknown strategy type',
      () => selectSamples(3, 1, [{ type: 'weights', values: w3 }, { type: 'typicality' } as never]),
      /selectSamples: strategies\[1\]: Unknown variant `typicality`/,
    ],
    ['strategies not an array', () => selectSamples(3, 1, 'weights' as never), /strategies must be an array/],
    ['no strategy', () => selectSamples(3, 1, []), /strategies must not be empty/],
    [
      'numClasses not matching the target',
      () =>
        selectSamples(2, 1, [
          { type: 'balance', classes: f32([1, 0, 0, 1]), numClasses: 2, target: f32([1]) },
        ]),
      /strategies\[0\] \(balance\): target length 1 does not match numClasses = 2/,
    ],
    [
      'class rows not matching numClasses',
      () =>
        selectSamples(2, 1, [
          { type: 'balance', classes: f32([1, 0, 0]), numClasses: 2, target: f32([0.5, 0.5]) },
        ]),
      /classes length 3 does not match n × numClasses = 2 × 2 = 4/,
    ],
    [
      'target not summing to 1',
      () =>
        selectSamples(2, 1, [
          { type: 'balance', classes: f32([1, 0, 0, 1]), numClasses: 2, target: f32([0.5, 0.6]) },
        ]),
      /target must sum to 1, sums to 1\.1/,
    ],
    [
      'negative class mass',
      () =>
        selectSamples(2, 1, [
          { type: 'balance', classes: f32([1, 0, -1, 1]), numClasses: 2, target: f32([0.5, 0.5]) },
        ]),
      /classes\[2\] \(sample 1, class 0\) must be a finite number >= 0/,
    ],
    [
      'preselected out of range',
      () => selectSamples(3, 1, [{ type: 'weights', values: w3 }], { preselected: new Uint32Array([5]) }),
      /options\.preselected\[0\] = 5 is out of range \(n = 3\)/,
    ],
    [
      'negative minDistance',
      () => selectSamples(3, 1, [{ type: 'diversity', embeddings: w3, dim: 1, minDistance: -1 }]),
      /minDistance must be a finite number >= 0/,
    ],
    [
      'infinite strength',
      () => selectSamples(3, 1, [{ type: 'weights', values: w3, strength: Number.POSITIVE_INFINITY }]),
      /strength must be a finite number/,
    ],
    [
      'similarity queries of the wrong width',
      () => similarityWeights(f32([1, 2, 3, 4]), f32([1, 2, 3]), 2),
      /similarityWeights: queries length 3 is not a multiple of dim 2/,
    ],
    ['no similarity query', () => similarityWeights(f32([1, 2]), f32([]), 2), /queries are empty/],
  ];
  itRejectsEach(cases);
});

describe('cancellation and progress', () => {
  const n = 60_000;
  const dim = 32;
  const x = uniform(n * dim, 41);
  const strategies: SelectionStrategy[] = [
    { type: 'diversity', embeddings: x, dim },
    { type: 'weights', values: uniform(n, 42, 0, 1) },
  ];

  it('rejects with an AbortError when aborted before or while running', async () => {
    const before = new AbortController();
    before.abort();
    await expect(selectSamples(n, 2000, strategies, {}, before.signal)).rejects.toMatchObject({
      name: 'AbortError',
    });
    await expect(similarityWeights(x, x.subarray(0, dim * 10), dim, {}, before.signal)).rejects.toMatchObject(
      {
        name: 'AbortError',
      },
    );
    const during = new AbortController();
    const promise = selectSamples(n, 20_000, strategies, {}, during.signal);
    setTimeout(() => during.abort(), 100);
    await expect(promise).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('reports progress ending with done = total', async () => {
    const reports: Array<[number, number]> = [];
    const result = await selectSamples(n, 200, strategies, {
      onProgress: (done, total) => reports.push([done, total]),
    });
    expect(result.indices.length).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(reports.length).toBeGreaterThanOrEqual(1);
    expect(reports.at(-1)).toEqual([200, 200]);
    for (let i = 1; i < reports.length; i++) expect(reports[i][0]).toBeGreaterThanOrEqual(reports[i - 1][0]);
  });
});
