#!/usr/bin/env node
/**
 * 2-D projection benchmark: Winnow's native PaCMAP against the reference Python package `pacmap`
 * 0.9.1 and lightly-mundig's TwoDimEmbedding (PaCMAP by the Rust crate `pacmap` 0.2.6), on the same
 * float32 embeddings.
 *
 *   node bench/projection.mjs [--sizes 100000x512,1000000x128] [--budget-seconds 1800]
 *                             [--subset-fraction 0.1] [--sides winnow,pacmap,mundig]
 *                             [--sample 2000] [--rows-<side> N]
 *
 * Synthetic clustered data (bench/lib/common.mjs: 100 Gaussian clusters, their generating labels
 * kept) is written once to bench/out/. Each side runs in its own child process (so its peak RSS is
 * its own) and times only its projection call, not the file load. A side that has not finished
 * within --budget-seconds is stopped and run again on the first --subset-fraction of the rows
 * (`subset: true` in its entry); `--rows-<side> N` runs it on the first N rows from the start.
 * Quality is computed by one script for every side (bench/peers/projection_quality.py):
 * trustworthiness@10 over a fixed random sample of queries (exact ranks among all rows the side
 * ran on) and the silhouette of the sample's layout points with the generating cluster labels.
 * Prints one JSON document and writes it to bench/out/projection.json.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  DATA_DESCRIPTION,
  ensureEmbeddings,
  ensureLabels,
  machine,
  OUT,
  parseArgs,
  ROOT,
  timeNativeCall,
} from './lib/common.mjs';
import { preparePeer, run, VENV_PYTHON } from './peers/python.mjs';

const PEER = join(ROOT, 'bench', 'peers', 'pacmap_projection.py');
const QUALITY = join(ROOT, 'bench', 'peers', 'projection_quality.py');
const SIDES = ['winnow', 'pacmap', 'mundig'];
const log = (...parts) => console.error('[projection]', ...parts);

function command(side, file, dim, rows, out) {
  const common = ['--file', file, '--dim', String(dim), '--rows', String(rows), '--out', out];
  if (side === 'winnow') return [process.execPath, [fileURLToPath(import.meta.url), '--worker', ...common]];
  return [VENV_PYTHON, [PEER, '--side', side, ...common]];
}

async function runSide(side, file, n, dim, rows, budgetSeconds) {
  const out = join(OUT, `projection-${n}x${dim}-${rows}-${side}.f32`);
  const [cmd, argv] = command(side, file, dim, rows, out);
  log(`${n}x${dim} ${side} rows=${rows}...`);
  const stdout = await run(cmd, argv, { captureStdout: true, timeoutMs: budgetSeconds * 1000 });
  const res = JSON.parse(stdout.trim().split('\n').at(-1));
  log(`  ${res.seconds.toFixed(1)} s`);
  return { ...res, rows, subset: rows < n, out };
}

/** Runs a side on all rows (or --rows-<side>); past the budget, again on a subset of them. */
async function measure(side, file, n, dim, args) {
  const budget = Number(args['budget-seconds'] ?? 1800);
  const rows = Math.min(n, Number(args[`rows-${side}`] ?? n));
  try {
    return await runSide(side, file, n, dim, rows, budget);
  } catch (err) {
    const subsetRows = Math.floor(n * Number(args['subset-fraction'] ?? 0.1));
    log(`  ${side} did not finish ${rows} rows: ${err.message}; running ${subsetRows} rows`);
    const res = await runSide(side, file, n, dim, subsetRows, budget);
    return { ...res, full_size_failed: `${rows} rows: ${err.message} (budget ${budget} s)` };
  }
}

async function quality(file, dim, labels, rows, layouts, sample) {
  const argv = [QUALITY, '--file', file, '--dim', String(dim), '--rows', String(rows), '--labels', labels];
  argv.push('--sample', String(sample));
  for (const layout of layouts) argv.push('--layout', layout);
  const stdout = await run(VENV_PYTHON, argv, { captureStdout: true });
  return JSON.parse(stdout.trim().split('\n').at(-1));
}

async function runSize(n, dim, sides, args) {
  const file = ensureEmbeddings(n, dim);
  ensureLabels(n, dim);
  const labels = join(OUT, `embeddings-${n}x${dim}.labels.u8`);
  const report = { n, dim, embeddings_bytes: n * dim * 4, sides: {} };
  for (const side of sides) report.sides[side] = await measure(side, file, n, dim, args);

  // Quality, per distinct row count (sides run on a subset are judged on that subset).
  const sample = Number(args.sample ?? 2000);
  const byRows = new Map();
  for (const [side, res] of Object.entries(report.sides)) {
    byRows.set(res.rows, [...(byRows.get(res.rows) ?? []), side]);
  }
  for (const [rows, group] of byRows) {
    log(`${n}x${dim} quality on ${rows} rows (${group.join(', ')})...`);
    const q = await quality(
      file,
      dim,
      labels,
      rows,
      group.map((side) => report.sides[side].out),
      sample,
    );
    group.forEach((side, i) => {
      const { layout: _, ...scores } = q.layouts[i];
      report.sides[side].quality = { ...scores, sample: q.sample, k: q.k, rows };
    });
  }
  for (const res of Object.values(report.sides)) {
    res.out = res.out.slice(ROOT.length + 1);
    res.peak_rss_over_embeddings = res.peak_rss_bytes / (res.rows * dim * 4);
  }
  const w = report.sides.winnow;
  report.comparison = {};
  for (const peer of sides.filter((s) => s !== 'winnow')) {
    const p = report.sides[peer];
    if (!w) break;
    report.comparison[`winnow_vs_${peer}`] = {
      same_rows: p.rows === w.rows,
      speedup: p.rows === w.rows ? p.seconds / w.seconds : null,
      trustworthiness_difference:
        p.rows === w.rows ? w.quality.trustworthiness - p.quality.trustworthiness : null,
      silhouette_difference: p.rows === w.rows ? w.quality.silhouette - p.quality.silhouette : null,
      ratio_peak_rss: p.peak_rss_bytes ? w.peak_rss_bytes / p.peak_rss_bytes : null,
    };
  }
  return report;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  if (args.worker) return timeNativeCall(args, (native, x, dim) => () => native.pacmap(x, dim, { seed: 0 }));
  const sizes = String(args.sizes ?? '100000x512,1000000x128')
    .split(',')
    .map((s) => s.split('x').map(Number));
  const sides = String(args.sides ?? SIDES.join(','))
    .split(',')
    .filter((s) => SIDES.includes(s));
  const started = Date.now();
  await preparePeer();
  const results = [];
  for (const [n, d] of sizes) results.push(await runSize(n, d, sides, args));
  const doc = {
    benchmark: 'projection',
    machine: machine(),
    data: `${DATA_DESCRIPTION}; labels = generating cluster`,
    timing:
      'seconds of the projection call only (file load excluded); each side in its own process; a side past the budget is run on a subset (subset: true)',
    budget_seconds: Number(args['budget-seconds'] ?? 1800),
    peer_notes: [
      'winnow: native pacmap(x, d, { seed: 0 }) with its defaults (PaCMAP, pacmap 0.9.1 defaults, automatic neighbour count, PCA to 100 dims above 100, knnMethod auto)',
      'pacmap: the reference Python package 0.9.1, PaCMAP(n_components=2, n_neighbors=None).fit_transform(x) — n_neighbors=None is its automatic count, the same as Winnow’s default; no random_state, so faiss (HNSW) and numba run on every core',
      'mundig: lightly-mundig TwoDimEmbedding(embeddings=x).calculate_2d_embedding() — PaCMAP by the Rust crate pacmap 0.2.6 (USearch HNSW neighbours, petal-decomposition PCA), with that crate’s defaults (10 neighbours)',
      'quality: bench/peers/projection_quality.py for every side — trustworthiness@10 estimated over a fixed random sample of query rows with exact ranks among all rows, and the silhouette of the sampled layout points with the generating labels',
    ],
    results,
    total_wall_seconds: (Date.now() - started) / 1000,
  };
  const json = JSON.stringify(doc, null, 2);
  writeFileSync(join(OUT, 'projection.json'), `${json}\n`);
  console.log(json);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
