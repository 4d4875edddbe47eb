#!/usr/bin/env node
/**
 * Embedding agreement: Winnow's vectors against a Pillow reference of the same model config, on
 * 50 coco128 photos and 50 CIFAR-10 test images (5 of each class). The reference is the Python
 * loop of bench/embed.mjs (bench/peers/embed_baseline.py: Pillow decode, EXIF transpose,
 * `convert("RGB")`, bilinear resize, the config's channel order, range, mean and std), which is
 * how PIL/torchvision pipelines prepare images in training.
 *
 *   node bench/agreement.mjs [--model squeezenet1.1] [--count 50]
 *
 * Prints one JSON document (cosine per set: min, median, and the files under the target) and
 * writes bench/out/agreement.json. Target: photos min ≥ 0.999 (issue 18). SqueezeNet (fp32) is the
 * default model: the int8 MobileNetV2 turns tiny input differences into large output ones (any two
 * pipelines, Pillow against Pillow-SIMD included, agree only at 0.96–0.98 through it).
 */
import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { machine, OUT, parseArgs, ROOT, runJson } from './lib/common.mjs';
import { embedBaselineArgs, preparePeer, VENV_PYTHON } from './peers/python.mjs';

const SHARED = join(ROOT, '..', 'shared');
const CORE = new URL('../core/dist/index.js', import.meta.url).href;
const TARGET_PHOTOS_MIN = 0.999;
const log = (...parts) => process.stderr.write(`[bench:agreement] ${parts.join(' ')}\n`);

/** The first `count` coco128 photos and `count` CIFAR images spread over the classes, copied into `dir`/photos and `dir`/cifar. */
function sampleSets(dir, count) {
  const photos = join(dir, 'photos');
  mkdirSync(photos);
  const coco = join(SHARED, 'datasets', 'coco128', 'images');
  for (const name of readdirSync(coco).sort().slice(0, count))
    copyFileSync(join(coco, name), join(photos, name));
  const extracted = join(dir, 'extracted');
  mkdirSync(extracted);
  execFileSync('tar', ['-xzf', join(SHARED, 'datasets', 'cifar10-test.tar.gz'), '-C', extracted]);
  const cifar = join(dir, 'cifar');
  mkdirSync(cifar);
  const classes = readdirSync(join(extracted, 'test')).sort();
  const perClass = Math.ceil(count / classes.length);
  for (const label of classes)
    for (const name of readdirSync(join(extracted, 'test', label))
      .sort()
      .slice(0, perClass))
      copyFileSync(join(extracted, 'test', label, name), join(cifar, `${label}-${name}`));
  return { photos, cifar };
}

/** Winnow's vectors of every image in `folder`, by path relative to it. */
async function winnowVectors(folder, model, workspace) {
  const { embedDataset, ingest, Workspace } = await import(CORE);
  const ws = await Workspace.open(workspace);
  try {
    await ingest(ws, folder, { dataset: 'agreement' });
    const { model: name } = await embedDataset(ws, await ws.dataset('agreement'), { model, device: 'cpu' });
    const rows = await ws.db.all(
      `SELECT s.path, e.vector::DOUBLE[] AS v FROM winnow.embeddings_1 e JOIN winnow.samples s USING (sample_id)`,
    );
    log(`  Winnow: ${rows.length} vectors of ${name}`);
    return new Map(rows.map((row) => [row.path, row.v]));
  } finally {
    ws.close();
  }
}

/** The reference's vectors (a float32 .npy and its paths), by path relative to `folder`. */
function referenceVectors(folder, spec, out) {
  runJson(VENV_PYTHON, embedBaselineArgs(folder, spec, out));
  const npy = readFileSync(join(out, 'embeddings.npy'));
  const headerLength = npy.readUInt16LE(8);
  const header = npy.subarray(10, 10 + headerLength).toString('latin1');
  const [rows, dim] = /'shape': \((\d+), (\d+)\)/.exec(header).slice(1).map(Number);
  const data = new Float32Array(npy.buffer.slice(npy.byteOffset + 10 + headerLength), 0, rows * dim);
  const paths = readFileSync(join(out, 'embeddings.npy.paths.txt'), 'utf8').split('\n');
  return new Map(paths.map((path, i) => [relative(folder, path), data.subarray(i * dim, (i + 1) * dim)]));
}

function cosine(a, b) {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return dot / Math.sqrt(na * nb);
}

function compare(ours, reference) {
  const pairs = [...reference].map(([path, v]) => ({
    path,
    cosine: ours.has(path) ? cosine(ours.get(path), v) : NaN,
  }));
  const values = pairs.map((p) => p.cosine).sort((a, b) => a - b);
  const round = (x) => Math.round(x * 1e5) / 1e5;
  return {
    images: pairs.length,
    compared: values.filter(Number.isFinite).length,
    min: round(values[0]),
    median: round(values[Math.floor(values.length / 2)]),
    under_0_999: pairs
      .filter((p) => !(p.cosine >= 0.999))
      .map((p) => ({ path: p.path, cosine: round(p.cosine) })),
  };
}

async function main(args) {
  const model = String(args.model ?? 'squeezenet1.1');
  const count = Number(args.count ?? 50);
  process.env.WINNOW_MODEL_DIR ||= join(SHARED, 'models');
  await preparePeer();
  const { resolveModel } = await import(CORE);
  const spec = await resolveModel(model);
  const tmp = mkdtempSync(join(tmpdir(), 'winnow-bench-agreement-'));
  try {
    const sets = sampleSets(tmp, count);
    const report = { benchmark: 'agreement', machine: machine(), model, sets: {} };
    for (const [name, folder] of Object.entries(sets)) {
      log(`${name}: ${readdirSync(folder).length} images`);
      const ours = await winnowVectors(folder, model, join(tmp, `ws-${name}`));
      const reference = referenceVectors(folder, spec, mkdtempSync(join(tmp, `ref-${name}-`)));
      report.sets[name] = compare(ours, reference);
      log(`  cosine min ${report.sets[name].min}, median ${report.sets[name].median}`);
    }
    report.target = { photos_min: TARGET_PHOTOS_MIN };
    report.pass = report.sets.photos.min >= TARGET_PHOTOS_MIN && report.sets.photos.compared === count;
    mkdirSync(OUT, { recursive: true });
    writeFileSync(join(OUT, 'agreement.json'), `${JSON.stringify(report, null, 2)}\n`);
    console.log(JSON.stringify(report, null, 2));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

await main(parseArgs(process.argv.slice(2)));
