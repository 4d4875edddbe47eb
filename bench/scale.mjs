#!/usr/bin/env node
/**
 * What docs/scale.md computes 10M and 100M images from: the workspace's bytes per image (its
 * sample row, and a vector at float32), and how fast the workspace's owner merges the parts of a
 * distributed embedding (the one step of `embed --ray` that does not spread over the cluster).
 *
 *   node bench/scale.mjs [--samples 1000000] [--dim 512] [--part-rows 10000] [--parts 10]
 *
 * A real workspace in a temporary folder: --samples synthetic image samples (the benchmarks'
 * generator, scripts/lib/synthetic.mjs) checkpointed, the file measured; then --parts parts of
 * --part-rows random unit vectors each, written as the shards write them (`encodePart`) into the
 * work folder and merged one after another (`mergePart`), timed; the file measured again.
 *
 * Prints one JSON document and writes bench/out/scale.json.
 */
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fillSynthetic } from '../scripts/lib/synthetic.mjs';
import { machine, mulberry32, OUT, parseArgs, peakRss } from './lib/common.mjs';

const args = parseArgs(process.argv.slice(2));
const SAMPLES = Number(args.samples ?? 1_000_000);
const DIM = Number(args.dim ?? 512);
const PART_ROWS = Number(args['part-rows'] ?? 10_000);
const PARTS = Number(args.parts ?? 10);

const core = new URL('../core/dist/', import.meta.url).href;
const { Workspace } = await import(`${core}store/workspace.js`);
const { encodePart, mergePart, partPath, SAMPLE_VERSION_SQL } = await import(`${core}embed/parts.js`);
const { openWorkArea } = await import(`${core}storage/open.js`);

const home = mkdtempSync(join(tmpdir(), 'winnow-bench-scale-'));
const file = join(home, '.winnow', 'workspace.duckdb');
const bytes = () => statSync(file).size + (statSync(`${file}.wal`, { throwIfNoEntry: false })?.size ?? 0);
try {
  const ws = await Workspace.open(join(home, '.winnow'));
  mkdirSync(join(home, 'images'));
  const dataset = await ws.createDataset('scale', { kind: 'local', uri: join(home, 'images') });
  const empty = bytes();
  await fillSynthetic(ws, dataset, SAMPLES, 'scale-layout');
  await ws.db.run('CHECKPOINT');
  const withSamples = bytes();

  const work = await openWorkArea({ kind: 'local', uri: home });
  const rows = await ws.db.all(
    `SELECT s.sample_id AS id, s.path, ${SAMPLE_VERSION_SQL} AS version FROM winnow.samples s
     ORDER BY s.sample_id LIMIT ${PART_ROWS * PARTS}`,
  );
  const rand = mulberry32(7);
  const model = { name: 'synthetic', source: { model: 'synthetic' } };
  let encodeSeconds = 0;
  let mergeSeconds = 0;
  let merged = 0;
  for (let p = 0; p < PARTS; p++) {
    const samples = rows.slice(p * PART_ROWS, (p + 1) * PART_ROWS);
    const vectors = new Float32Array(samples.length * DIM);
    for (let i = 0; i < samples.length; i++) {
      const row = vectors.subarray(i * DIM, (i + 1) * DIM);
      for (let j = 0; j < DIM; j++) row[j] = rand() - 0.5;
      const norm = Math.hypot(...row);
      for (let j = 0; j < DIM; j++) row[j] /= norm;
    }
    const ids = Int32Array.from(samples, (s) => s.id);
    let started = performance.now();
    const part = await encodePart(samples, { ids, rows: vectors, dim: DIM, failed: [] });
    const path = partPath('bench', String(p));
    await work.write(path, part);
    encodeSeconds += (performance.now() - started) / 1000;
    started = performance.now();
    merged += (await mergePart(ws, dataset, work, path, model)).merged;
    mergeSeconds += (performance.now() - started) / 1000;
  }
  await ws.db.run('CHECKPOINT');
  const withVectors = bytes();
  ws.close();
  const result = {
    benchmark: 'scale',
    machine: machine(),
    samples: SAMPLES,
    dim: DIM,
    workspace_bytes: { empty, with_samples: withSamples, with_vectors: withVectors },
    bytes_per_sample_row: (withSamples - empty) / SAMPLES,
    bytes_per_vector: (withVectors - withSamples) / merged,
    vector_bytes_float32: DIM * 4,
    part_rows: PART_ROWS,
    parts: PARTS,
    merged,
    encode_rows_per_s: merged / encodeSeconds,
    merge_rows_per_s: merged / mergeSeconds,
    peak_rss_bytes: peakRss(),
  };
  mkdirSync(OUT, { recursive: true });
  writeFileSync(join(OUT, 'scale.json'), `${JSON.stringify(result, null, 2)}\n`);
  console.log(JSON.stringify(result, null, 2));
} finally {
  rmSync(home, { recursive: true, force: true });
}
