#!/usr/bin/env node
/**
 * Neighbours benchmark: Winnow's k-nearest-neighbour search (exact and approximate) and typicality,
 * the latter side by side with lightly-mundig (LightlyStudio's selection library).
 *
 *   node bench/neighbours.mjs [--sizes 100000x512,1000000x128] [--k 10] [--typicality-k 20]
 *                             [--sample 960] [--exact-full-max 100000] [--peer-budget 120]
 *                             [--skip-peer]
 *
 * Data: the synthetic clustered embeddings of bench/lib/common.mjs (raw float32 files in
 * bench/out/). Every timed call runs in its own child process (Winnow: this script with
 * --worker; peer: bench/peers/mundig_typicality.py in bench/.venv) and times only the call, not
 * the file load.
 *
 * Per size:
 *   - kNN (k = --k, euclidean): approximate on all rows (timed); exact on all rows when
 *     n <= --exact-full-max, else its time is extrapolated from the exact search of the sample
 *     (the same blocked kernel over all n rows, per query). Recall@k of the approximate result is
 *     measured on --sample query rows (evenly spaced) against their exact neighbours, which are
 *     computed for those rows only (nearestNeighborsOf).
 *   - typicality (LightlyStudio's definition, k = --typicality-k): Winnow 'auto' on all rows,
 *     its quality (Pearson, Spearman, max abs diff) on the sample rows against an exact
 *     reference built from their exact neighbours (σ estimated from the sample). Then
 *     lightly-mundig (exact, O(n²·d)) on the largest first-N-rows subset it finishes within
 *     about --peer-budget seconds (N from a power law fitted to 3,000- and 6,000-row runs), and
 *     Winnow exact and auto on the same subset, compared value by value with the peer.
 * Prints one JSON document and writes it to bench/out/neighbours.json.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  DATA_DESCRIPTION,
  ensureEmbeddings,
  machine,
  OUT,
  parseArgs,
  pearson,
  ROOT,
  ranks,
  readTyped,
  runJson,
  timeNativeCall,
} from './lib/common.mjs';
import { preparePeer, VENV_PYTHON } from './peers/python.mjs';

const PEER = join(ROOT, 'bench', 'peers', 'mundig_typicality.py');
const SELF = fileURLToPath(import.meta.url);
const log = (...parts) => process.stderr.write(`[neighbours] ${parts.join(' ')}\n`);

/** Evenly spaced sample rows. */
function sampleRows(n, count) {
  const s = Math.min(n, count);
  return Array.from({ length: s }, (_, i) => Math.floor((i * n) / s));
}

/** Child-process mode: one Winnow call (the sampled exact-truth queries are built untimed); outputs at --out.0, --out.1. */
function neighboursTask(args) {
  return (native, x, dim, rows) => {
    const k = Number(args.k);
    if (args.task === 'knn') {
      return async () => [
        (await native.nearestNeighbors(x, dim, k, { method: args.method, seed: 1 })).indices,
      ];
    }
    if (args.task === 'truth') {
      const sample = sampleRows(rows, Number(args.sample));
      const query = new Float32Array(sample.length * dim);
      sample.forEach((r, i) => {
        query.set(x.subarray(r * dim, (r + 1) * dim), i * dim);
      });
      return async () => {
        const r = await native.nearestNeighborsOf(x, dim, query, k);
        return [r.indices, r.distances];
      };
    }
    return async () => [await native.typicality(x, dim, { k, method: args.method, seed: 1 })];
  };
}

function winnow(file, dim, rows, task, extra) {
  const out = join(OUT, `neighbours-${rows}x${dim}-${task}-${extra.method ?? 'x'}`);
  const argv = [
    SELF,
    '--worker',
    '--file',
    file,
    '--dim',
    String(dim),
    '--rows',
    String(rows),
    '--task',
    task,
  ];
  for (const [key, value] of Object.entries(extra)) argv.push(`--${key}`, String(value));
  log(`${rows}x${dim} winnow ${task} ${extra.method ?? ''}...`);
  const res = runJson(process.execPath, [...argv, '--out', out]);
  log(`  ${res.seconds.toFixed(2)} s`);
  return { res, out: (i) => `${out}.${i}` };
}

function peer(file, dim, rows, k) {
  const out = join(OUT, `neighbours-${rows}x${dim}-peer.f32`);
  log(`${rows}x${dim} lightly-mundig typicality...`);
  const res = runJson(VENV_PYTHON, [
    PEER,
    '--file',
    file,
    '--dim',
    String(dim),
    '--rows',
    String(rows),
    '--k',
    String(k),
    '--out',
    out,
  ]);
  log(`  ${res.seconds.toFixed(2)} s`);
  return { res, values: readTyped(out, Float32Array) };
}

function compare(a, b) {
  let maxAbs = 0;
  for (let i = 0; i < a.length; i++) maxAbs = Math.max(maxAbs, Math.abs(a[i] - b[i]));
  return { pearson: pearson(a, b), spearman: pearson(ranks(a), ranks(b)), max_abs_diff: maxAbs };
}

const round = (x, digits = 3) => Math.round(x * 10 ** digits) / 10 ** digits;

async function runSize(n, d, args) {
  const file = ensureEmbeddings(n, d);
  const k = Number(args.k ?? 10);
  const typK = Number(args['typicality-k'] ?? 20);
  const sampleCount = Number(args.sample ?? 960);
  const exactFullMax = Number(args['exact-full-max'] ?? 100000);
  const report = { n, dim: d, embeddings_bytes: n * d * 4, file: file.slice(ROOT.length + 1) };

  // Exact neighbours of the sample rows (they find themselves: one extra, self dropped below).
  const kTruth = Math.max(k, typK) + 1;
  const truth = winnow(file, d, n, 'truth', { k: kTruth, sample: sampleCount });
  const sample = sampleRows(n, sampleCount);
  const tIdx = readTyped(truth.out(0), Uint32Array);
  const tDist = readTyped(truth.out(1), Float32Array);
  const exactOf = (i, row, count) => {
    const idx = [];
    const dist = [];
    for (let t = 0; t < kTruth && idx.length < count; t++) {
      const j = tIdx[i * kTruth + t];
      if (j === row) continue;
      idx.push(j);
      dist.push(tDist[i * kTruth + t]);
    }
    return { idx, dist };
  };

  // kNN: approximate (and exact) timing, recall@k on the sample.
  {
    const approx = winnow(file, d, n, 'knn', { k, method: 'approximate' });
    const got = readTyped(approx.out(0), Uint32Array);
    let hits = 0;
    sample.forEach((row, i) => {
      const truthSet = new Set(exactOf(i, row, k).idx);
      for (let t = 0; t < k; t++) if (truthSet.has(got[row * k + t])) hits++;
    });
    const entry = {
      k,
      metric: 'euclidean',
      kernel: approx.res.kernel,
      approximate: { seconds: round(approx.res.seconds), peak_rss_bytes: approx.res.peak_rss_bytes },
      recall_at_k: hits / (sample.length * k),
      recall_sample_rows: sample.length,
      exact_sample: { rows: sample.length, seconds: round(truth.res.seconds) },
    };
    if (n <= exactFullMax) {
      const exact = winnow(file, d, n, 'knn', { k, method: 'exact' });
      entry.exact = {
        seconds: round(exact.res.seconds),
        peak_rss_bytes: exact.res.peak_rss_bytes,
        measured: true,
      };
    } else {
      entry.exact = { seconds: round((truth.res.seconds * n) / sample.length, 1), measured: false };
    }
    entry.speedup_approximate_over_exact = round(entry.exact.seconds / entry.approximate.seconds, 1);
    report.knn = entry;
  }

  // Typicality on all rows (auto) against an exact reference on the sample rows.
  {
    const auto = winnow(file, d, n, 'typicality', { k: typK, method: 'auto' });
    const values = readTyped(auto.out(0), Float32Array);
    const dists = sample.map((row, i) => exactOf(i, row, typK).dist);
    const sigma = dists.flat().reduce((s, v) => s + v, 0) / (sample.length * typK);
    const reference = Float64Array.from(
      dists,
      (ds) => ds.reduce((s, v) => s + Math.exp(-v / sigma), 0) / typK,
    );
    const got = Float64Array.from(sample, (row) => values[row]);
    report.typicality_full = {
      rows: n,
      k: typK,
      method: 'auto',
      seconds: round(auto.res.seconds),
      peak_rss_bytes: auto.res.peak_rss_bytes,
      quality_on_sample_vs_exact: {
        rows: sample.length,
        sigma_from_sample: sigma,
        ...compare(got, reference),
      },
    };
  }

  // Typicality side by side with lightly-mundig on the largest subset it finishes in the budget.
  if (!args['skip-peer']) {
    const budget = Number(args['peer-budget'] ?? 120);
    // Two calibration runs fit time ∝ rows^e (e is above 2 in practice: caches), then N rows.
    const r1 = Math.min(n, 3000);
    const r2 = Math.min(n, 6000);
    const c1 = peer(file, d, r1, typK);
    const calib = peer(file, d, r2, typK);
    const calibRows = r2;
    const e = r2 > r1 ? Math.max(2, Math.log(calib.res.seconds / c1.res.seconds) / Math.log(r2 / r1)) : 2;
    const fit = r2 * (budget / calib.res.seconds) ** (1 / e);
    const rows = Math.min(n, Math.max(r2, Math.floor(fit / 1000) * 1000));
    const p = rows === calibRows ? calib : peer(file, d, rows, typK);
    const exact = winnow(file, d, rows, 'typicality', { k: typK, method: 'exact' });
    const auto = winnow(file, d, rows, 'typicality', { k: typK, method: 'auto' });
    const we = readTyped(exact.out(0), Float32Array);
    const wa = readTyped(auto.out(0), Float32Array);
    report.typicality_vs_lightly_mundig = {
      rows,
      subset: rows < n,
      k: typK,
      peer_budget_seconds: budget,
      peer_calibration: {
        runs: [
          { rows: r1, seconds: round(c1.res.seconds) },
          { rows: r2, seconds: round(calib.res.seconds) },
        ],
        exponent: round(e, 2),
      },
      lightly_mundig: { ...p.res, seconds: round(p.res.seconds) },
      winnow_exact: {
        seconds: round(exact.res.seconds),
        peak_rss_bytes: exact.res.peak_rss_bytes,
        speedup_over_peer: round(p.res.seconds / exact.res.seconds, 2),
        quality_vs_peer: compare(we, p.values),
      },
      winnow_auto: {
        method: rows <= 20000 ? 'exact (auto, <= 20,000 rows)' : 'approximate (auto, > 20,000 rows)',
        seconds: round(auto.res.seconds),
        peak_rss_bytes: auto.res.peak_rss_bytes,
        speedup_over_peer: round(p.res.seconds / auto.res.seconds, 2),
        quality_vs_peer: compare(wa, p.values),
      },
    };
  }
  return report;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  if (args.worker) return timeNativeCall(args, neighboursTask(args));
  const sizes = String(args.sizes ?? '100000x512,1000000x128')
    .split(',')
    .map((s) => s.split('x').map(Number));
  const started = Date.now();
  if (!args['skip-peer']) await preparePeer();
  const results = [];
  for (const [n, d] of sizes) results.push(await runSize(n, d, args));
  const doc = {
    benchmark: 'neighbours',
    machine: machine(),
    data: DATA_DESCRIPTION,
    timing: 'seconds of the call only (file load excluded); each call in its own process',
    notes: [
      "approximate kNN: inverted lists over k-means (about sqrt(n) lists), each list's rows searched in the nearest lists (>= 8 lists, >= 3 sqrt(n) rows), distances of the kept neighbours recomputed exactly; seed 1",
      'exact kNN time at sizes above --exact-full-max is extrapolated: the sample rows search all n rows with the same kernel, time x n / sample',
      'lightly-mundig Typicality.calculate_typicality(k): exact, the same definition as Winnow typicality (lightly); it runs on the first `rows` rows only',
    ],
    results,
    total_wall_seconds: (Date.now() - started) / 1000,
  };
  const json = JSON.stringify(doc, null, 2);
  writeFileSync(join(OUT, 'neighbours.json'), `${json}\n`);
  console.log(json);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
