#!/usr/bin/env node
/**
 * Selection benchmark: Winnow's native core against lightly-mundig (LightlyStudio's selection
 * library) on the same float32 embeddings, in one run.
 *
 *   node bench/selection.mjs [--sizes 100000x512:1000,1000000x128:10000]
 *                            [--kcenter-rows N] [--count 1000] [--peer-max-count 2000]
 *                            [--combined-rows 20000] [--combined-count 500] [--skip-peer]
 *
 * Synthetic clustered data (100 Gaussian clusters, seeded PRNG) is written once to
 * bench/out/embeddings-<n>x<d>.f32 (raw little-endian float32, row-major) and both sides read
 * those bytes. Each side runs in its own child process so its peak RSS is its own; each side
 * times only its selection call, not the file load. Tasks:
 *   - diversity: k-center greedy on L2-normalized rows, `count` picks per size (`NxD:count` in
 *     `--sizes`, else `--count`). Farthest-point greedy is a prefix process (the first m picks of a
 *     run are the m-pick run), so when a size asks for more than `--peer-max-count` picks (default
 *     2,000) lightly-mundig, which reads every row for every pick, runs only that many: its time is
 *     reported as measured and linearly extrapolated to `count` picks, and the selections are
 *     compared on that prefix;
 *   - combined: the selection engine (diversity + weights, and diversity + weights + balance)
 *     against lightly-mundig's Selection on the first `--combined-rows` rows (default 20,000),
 *     `--combined-count` picks (default 500), with seeded weights U(0.5, 1.5) and one-hot classes
 *     drawn with probabilities 0.4/0.3/0.2/0.1, balanced to a uniform target; the agreement of the
 *     two selections is reported (common prefix, overlap).
 * Typicality is in bench/neighbours.mjs. Quality: each k-center selection's covering radius
 * (max over all rows of the euclidean distance, on normalized rows, to the nearest chosen
 * centre) is computed by the same code below for both sides.
 * `--kcenter-rows` runs diversity on the first N rows only (`subset: true` in the output).
 * Prints one JSON document and writes it to bench/out/selection.json.
 */
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import {
  DATA_DESCRIPTION,
  ensureEmbeddings,
  machine,
  mulberry32,
  OUT,
  parseArgs,
  ROOT,
  readRows,
  readTyped,
  runJson,
  timeNativeCall,
} from './lib/common.mjs';
import { preparePeer, VENV_PYTHON } from './peers/python.mjs';

const PEER = join(ROOT, 'bench', 'peers', 'mundig_selection.py');

/** Child-process mode: one Winnow task (k-center or the combined strategies). */
function winnowTask(args) {
  return (native, x, dim, rows) =>
    args.task === 'kcenter'
      ? () => native.kCenterGreedy(x, dim, Number(args.count), { normalize: true })
      : async () =>
          (await native.selectSamples(rows, Number(args.count), combinedStrategies(args, x, dim))).indices;
}

/** The Winnow side of a combined case (the peer script builds the same strategies). */
function combinedStrategies(args, x, dim) {
  const strategies = [
    { type: 'diversity', embeddings: x, dim, normalize: true },
    { type: 'weights', values: readTyped(args.weights, Float32Array) },
  ];
  if (args.classes) {
    const numClasses = Number(args['num-classes']);
    const target = new Float32Array(numClasses).fill(1 / numClasses);
    strategies.push({ type: 'balance', classes: readTyped(args.classes, Float32Array), numClasses, target });
  }
  return strategies;
}

const CLASS_PROBABILITIES = [0.4, 0.3, 0.2, 0.1];

/** Seeded weights and one-hot class rows for the combined cases, written once as raw float32. */
function ensureCombinedInputs(rows) {
  const rand = mulberry32(7 + rows);
  const weights = Float32Array.from({ length: rows }, () => 0.5 + rand());
  const classes = new Float32Array(rows * CLASS_PROBABILITIES.length);
  for (let i = 0; i < rows; i++) {
    let u = rand();
    let c = 0;
    while (c < CLASS_PROBABILITIES.length - 1 && u >= CLASS_PROBABILITIES[c]) u -= CLASS_PROBABILITIES[c++];
    classes[i * CLASS_PROBABILITIES.length + c] = 1;
  }
  const weightsFile = join(OUT, `selection-weights-${rows}.f32`);
  const classesFile = join(OUT, `selection-classes-${rows}x${CLASS_PROBABILITIES.length}.f32`);
  writeFileSync(weightsFile, new Uint8Array(weights.buffer));
  writeFileSync(classesFile, new Uint8Array(classes.buffer));
  return { weightsFile, classesFile, numClasses: CLASS_PROBABILITIES.length };
}

/** How far two pick lists agree: identical, common prefix, overlap as sets, first picks. */
function agreement(a, b) {
  let same = 0;
  while (same < Math.min(a.length, b.length) && a[same] === b[same]) same++;
  const setB = new Set(b);
  return {
    identical_selection: same === a.length && a.length === b.length,
    common_prefix: same,
    overlap: a.filter((i) => setB.has(i)).length,
    first_picks: { winnow: a.slice(0, 5), lightly_mundig: b.slice(0, 5) },
  };
}

const RADIUS_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { x, dim, centres, from, to } = workerData;
const data = new Float32Array(x);
const m = centres.length / dim;
let worst = 0;
let worstIdx = -1;
for (let i = from; i < to; i++) {
  const o = i * dim;
  let best = Infinity;
  for (let c = 0; c < m && best > 0; c++) {
    const q = c * dim;
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    let j = 0;
    for (; j + 3 < dim; j += 4) {
      const d0 = data[o + j] - centres[q + j];
      const d1 = data[o + j + 1] - centres[q + j + 1];
      const d2 = data[o + j + 2] - centres[q + j + 2];
      const d3 = data[o + j + 3] - centres[q + j + 3];
      s0 += d0 * d0; s1 += d1 * d1; s2 += d2 * d2; s3 += d3 * d3;
      if (s0 + s1 + s2 + s3 >= best) { j = dim + 1; break; }
    }
    if (j > dim) continue;
    let s = s0 + s1 + s2 + s3;
    for (; j < dim; j++) { const d = data[o + j] - centres[q + j]; s += d * d; }
    if (s < best) best = s;
  }
  if (best > worst) { worst = best; worstIdx = i; }
}
parentPort.postMessage({ worst, worstIdx });
`;

/** L2-normalizes rows (f64 norm, zero rows stay zero) into a SharedArrayBuffer. */
function normalizedShared(x, dim) {
  const n = x.length / dim;
  const sab = new SharedArrayBuffer(x.length * 4);
  const y = new Float32Array(sab);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < dim; j++) s += x[i * dim + j] * x[i * dim + j];
    const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
    for (let j = 0; j < dim; j++) y[i * dim + j] = x[i * dim + j] * inv;
  }
  return sab;
}

/**
 * Covering radius of a selection: max over all rows of the euclidean distance (normalized rows)
 * to the nearest selected row. The distance of the worst row is recomputed in f64.
 */
async function coveringRadius(sab, dim, picked) {
  const data = new Float32Array(sab);
  const n = data.length / dim;
  const centres = new Float32Array(picked.length * dim);
  picked.forEach((p, c) => {
    centres.set(data.subarray(p * dim, (p + 1) * dim), c * dim);
  });
  const parts = Math.max(1, cpus().length);
  const results = await Promise.all(
    Array.from({ length: parts }, (_, w) => {
      const from = Math.floor((n * w) / parts);
      const to = Math.floor((n * (w + 1)) / parts);
      return new Promise((resolve, reject) => {
        const worker = new Worker(RADIUS_WORKER, {
          eval: true,
          workerData: { x: sab, dim, centres, from, to },
        });
        worker.once('message', resolve);
        worker.once('error', reject);
      });
    }),
  );
  const worst = results.reduce((a, b) => (b.worst > a.worst ? b : a));
  let best = Infinity;
  const o = worst.worstIdx * dim;
  for (const p of picked) {
    let s = 0;
    for (let j = 0; j < dim; j++) {
      const d = data[o + j] - data[p * dim + j];
      s += d * d;
    }
    best = Math.min(best, s);
  }
  return { radius: Math.sqrt(best), farthest_row: worst.worstIdx };
}

function sides(winnow, peer) {
  return {
    winnow,
    lightly_mundig: peer,
    ratio_seconds_winnow_over_peer: peer ? winnow.seconds / peer.seconds : null,
    speedup_peer_over_winnow: peer ? peer.seconds / winnow.seconds : null,
    ratio_peak_rss_winnow_over_peer: peer ? winnow.peak_rss_bytes / peer.peak_rss_bytes : null,
  };
}

async function runSize(n, d, sizeCount, args) {
  const file = ensureEmbeddings(n, d);
  const count = Number(sizeCount ?? args.count ?? 1000);
  const peerMaxCount = Number(args['peer-max-count'] ?? 2000);
  const kcRows = Math.min(n, Number(args['kcenter-rows'] ?? n));
  const tag = `${n}x${d}`;
  const self = fileURLToPath(import.meta.url);
  const report = { n, dim: d, embeddings_bytes: n * d * 4, file: file.slice(ROOT.length + 1) };
  const run = (task, rows, side, picks = count, more = []) => {
    const out = join(OUT, `selection-${tag}-${task}-${rows}-${side}.bin`);
    const common = ['--file', file, '--dim', String(d), '--rows', String(rows), '--task', task];
    const extra = ['--count', String(picks), '--out', out, ...more];
    process.stderr.write(`[selection] ${tag} ${task} rows=${rows} ${side}...\n`);
    const res =
      side === 'winnow'
        ? runJson(process.execPath, [self, '--worker', ...common, ...extra])
        : runJson(VENV_PYTHON, [PEER, ...common, ...extra]);
    process.stderr.write(`[selection]   ${res.seconds.toFixed(2)} s\n`);
    res.embeddings_bytes = rows * d * 4;
    res.peak_rss_over_embeddings = res.peak_rss_bytes / res.embeddings_bytes;
    return { res, out };
  };

  // Combined strategies through the selection engine. Runs before the covering radii below: a
  // child inherits the peak RSS of this process, which they raise.
  if (!args['skip-combined']) {
    const rows = Math.min(n, Number(args['combined-rows'] ?? 20000));
    const picks = Number(args['combined-count'] ?? 500);
    const inputs = ensureCombinedInputs(rows);
    report.combined = {};
    for (const [name, balance] of [
      ['diversity+weights', false],
      ['diversity+weights+balance', true],
    ]) {
      const more = ['--weights', inputs.weightsFile];
      if (balance) more.push('--classes', inputs.classesFile, '--num-classes', String(inputs.numClasses));
      const w = run('combined', rows, 'winnow', picks, more);
      const p = args['skip-peer'] ? null : run('combined', rows, 'peer', picks, more);
      const entry = { rows, count: picks, ...sides(w.res, p?.res ?? null) };
      if (p) {
        entry.quality = agreement(
          Array.from(readTyped(w.out, Uint32Array)),
          Array.from(readTyped(p.out, Uint32Array)),
        );
      }
      report.combined[name] = entry;
    }
  }

  // Diversity (k-center greedy on L2-normalized rows).
  {
    const peerCount = Math.min(count, peerMaxCount);
    const w = run('kcenter', kcRows, 'winnow');
    const p = args['skip-peer'] ? null : run('kcenter', kcRows, 'peer', peerCount);
    if (p && peerCount < count) {
      p.res.count = peerCount;
      p.res.seconds_measured = p.res.seconds;
      p.res.seconds = (p.res.seconds * count) / peerCount;
      p.res.seconds_note = `measured for ${peerCount} picks, extrapolated linearly to ${count} (one full pass per pick)`;
    }
    const entry = { rows: kcRows, count, subset: kcRows < n, ...sides(w.res, p?.res ?? null) };
    process.stderr.write(`[selection] ${tag} covering radii...\n`);
    const sab = normalizedShared(readRows(file, kcRows, d), d);
    const a = Array.from(readTyped(w.out, Uint32Array));
    const quality = { winnow: await coveringRadius(sab, d, a) };
    if (p) {
      const b = Array.from(readTyped(p.out, Uint32Array));
      const prefix = a.slice(0, b.length);
      quality.lightly_mundig = await coveringRadius(sab, d, b);
      if (b.length < a.length) {
        quality.compared_picks = b.length;
        quality.winnow_prefix = await coveringRadius(sab, d, prefix);
        quality.ratio_radius_winnow_over_peer = quality.winnow_prefix.radius / quality.lightly_mundig.radius;
      } else {
        quality.ratio_radius_winnow_over_peer = quality.winnow.radius / quality.lightly_mundig.radius;
      }
      Object.assign(quality, agreement(prefix, b));
    }
    entry.quality = quality;
    report.diversity = entry;
  }
  return report;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  if (args.worker) return timeNativeCall(args, winnowTask(args));
  const sizes = String(args.sizes ?? '100000x512:1000,1000000x128:10000')
    .split(',')
    .map((s) => {
      const [shape, count] = s.split(':');
      return [...shape.split('x').map(Number), count === undefined ? undefined : Number(count)];
    });
  const started = Date.now();
  const results = [];
  if (!args['skip-peer']) await preparePeer();
  for (const [n, d, count] of sizes) results.push(await runSize(n, d, count, args));
  const doc = {
    benchmark: 'selection',
    machine: machine(),
    data: DATA_DESCRIPTION,
    timing: 'seconds of the selection call only (file load excluded); each side in its own process',
    peer_notes: [
      'lightly-mundig Selection.add_diversifying_strategy + run_selection: farthest-point greedy on plain euclidean distance, first pick index 0, no normalization; the peer script L2-normalizes rows with numpy inside its timed region (normalize_seconds)',
      "combined: lightly-mundig Selection with add_diversifying_strategy (normalized rows), add_weighting_strategy and add_balancing_strategy (uniform target), strength 1 each; Winnow selectSamples with the same strategies. Diversity and weights follow the same objectives on both sides (docs/algorithms.md); the balance objective is Winnow's -KL in bits, which lightly-mundig only approximates near the target, so that case may diverge after some picks",
    ],
    results,
    total_wall_seconds: (Date.now() - started) / 1000,
  };
  const json = JSON.stringify(doc, null, 2);
  writeFileSync(join(OUT, 'selection.json'), json + '\n');
  console.log(json);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
