#!/usr/bin/env node
/**
 * Embedding benchmark: end-to-end images/s of `embedDataset` (read → decode → preprocess →
 * infer → store embeddings and thumbnails), side by side with a Python baseline doing the same
 * work (bench/peers/embed_baseline.py: onnxruntime + Pillow + numpy, in bench/.venv), and the two
 * rates that bound it, each measured alone on all cores.
 *
 *   node bench/embed.mjs [--files 2048] [--cifar-files 10000] [--models squeezenet1.1,mobilenetv2-int8]
 *                        [--datasets coco,cifar] [--device cpu|cuda] [--batch 32]
 *                        [--infer-batches 24] [--decode-files 1024] [--skip-peer] [--rounds 1]
 *                        [--scale 100000 [--scale-model NAME] [--scale-peer]] [--quick] [--keep]
 *
 * Data, made in a temporary folder under os.tmpdir() (removed at the end unless --keep):
 *   coco:  the 128 coco128 photos (~640 px JPEGs) copied round-robin to --files files, 128 per
 *          folder, every copy under its own name (r003/r003-000000000009.jpg);
 *   cifar: the first --cifar-files of the CIFAR-10 test JPEGs (32×32), taken evenly across the
 *          10 classes, copied into folders of 1,000;
 *   --scale N: CIFAR-10 test replicated to N files (folders of 1,000) for the memory run.
 * Models: the built-in registry names, from WINNOW_MODEL_DIR (default ../shared/models).
 *
 * Every measurement runs in its own child process (this script with --worker), so each one's
 * peak resident memory is its own:
 *   - inference, per model: an onnxruntime-node session with default options (intra-op threads
 *     = cores) on pre-made random batches of --batch, 3 warm-up runs then --infer-batches timed;
 *     also the same batches through Winnow's own session (`ImageEmbedder.embedTensors`, which adds
 *     the batch copy, pooling and normalisation), for reference;
 *   - decode, per dataset × model: core's `imageTensor` (the Rust core: read, decode with EXIF
 *     orientation, resize to the model input, normalise) on the first --decode-files files, in one
 *     worker thread per core, so all cores decode; also with a 256 px thumbnail written as well
 *     (through `decodeImage`, one decode for both);
 *   - Winnow end-to-end, per dataset × model: a fresh workspace, the folder ingested (not timed),
 *     then `embedDataset(ws, dataset, { model, batchSize, device })` timed; checked to have
 *     embedded every file and written every thumbnail. Peak RSS is VmHWM, reset after the ingest;
 *   - Python baseline end-to-end, same files, same model file and config (see its docstring).
 *   --rounds N repeats the two end-to-end runs N times, interleaved (Winnow, Python, Winnow, ...),
 *   so that both see the same state of the machine; every round is kept and the median is derived.
 * Derived: Winnow / Python images/s (target >= 1.5); CIFAR: end-to-end / pure inference
 * (target >= 0.8); photos: end-to-end / (1 / (1/decode + 1/inference)) (target >= 0.9);
 * --scale: peak RSS of the 100k-image run (target <= 2 GB).
 *
 * Prints one JSON document and writes bench/out/embed.json. --quick: coco 128 files, cifar 500,
 * mobilenetv2-int8 only, few batches (a smoke run).
 */
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { cpus, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { machine, OUT, parseArgs, peakRss, ROOT, resetPeakRss, runJson } from './lib/common.mjs';
import { embedBaselineArgs, preparePeer, VENV_PYTHON } from './peers/python.mjs';

const SELF = fileURLToPath(import.meta.url);
const CORE = new URL('../core/dist/index.js', import.meta.url).href;
const SHARED = join(ROOT, '..', 'shared');
const COCO = join(SHARED, 'datasets', 'coco128', 'images');
const CIFAR = join(SHARED, 'datasets', 'cifar10-test.tar.gz');
const ALL_MODELS = ['squeezenet1.1', 'mobilenetv2-int8'];
const TARGETS = {
  speedup_vs_python: 1.5,
  cifar_e2e_over_inference: 0.8,
  photos_e2e_over_bound: 0.9,
  scale_peak_rss_bytes: 2e9,
};
const CHILD_TIMEOUT_MS = 30 * 60 * 1000;
const log = (...parts) => process.stderr.write(`[bench:embed] ${parts.join(' ')}\n`);
const round = (x, digits = 3) => (Number.isFinite(x) ? Math.round(x * 10 ** digits) / 10 ** digits : null);
const rate = (n, seconds) => round(n / seconds, 1);

function child(command, argv) {
  return runJson(command, argv, { timeoutMs: CHILD_TIMEOUT_MS });
}

function worker(task, options) {
  const argv = [SELF, '--worker', task];
  for (const [key, value] of Object.entries(options)) argv.push(`--${key}`, String(value));
  return child(process.execPath, argv);
}

// ---------------------------------------------------------------------------------------------
// Child-process and worker-thread sides

/** Random pixels laid out as the model wants them (so the values have the real range). */
function randomBatch(config, batch, seed) {
  const size = typeof config.size === 'number' ? [config.size, config.size] : config.size;
  const plane = size[0] * size[1];
  const scale = config.range === '0-255' ? 1 : 1 / 255;
  const out = new Float32Array(batch * 3 * plane);
  let s = seed >>> 0;
  for (let i = 0; i < out.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const c = config.layout === 'nchw' ? Math.floor((i % (3 * plane)) / plane) : i % 3;
    out[i] = ((s >>> 24) * scale - config.mean[c]) / config.std[c];
  }
  return {
    data: out,
    dims: config.layout === 'nchw' ? [batch, 3, size[1], size[0]] : [batch, size[1], size[0], 3],
  };
}

/** Pure inference: onnxruntime-node with default options, then through Winnow's ImageEmbedder. */
async function inferTask(args) {
  const ort = await import('onnxruntime-node');
  const { ImageEmbedder, resolveModel } = await import(CORE);
  const spec = await resolveModel(args.model);
  const batch = Number(args.batch);
  const runs = Number(args.batches);
  const device = args.device;
  const inputs = [1, 2].map((seed) => randomBatch(spec.config, batch, seed));
  const timeRuns = async (step) => {
    for (let i = 0; i < 3; i++) await step(i);
    const t0 = performance.now();
    for (let i = 0; i < runs; i++) await step(i);
    const seconds = (performance.now() - t0) / 1000;
    return { images: runs * batch, seconds: round(seconds), images_per_second: rate(runs * batch, seconds) };
  };

  const options = device === 'cpu' ? {} : { executionProviders: [device] };
  const session = await ort.InferenceSession.create(spec.path, options);
  const tensors = inputs.map((x) => new ort.Tensor('float32', x.data, x.dims));
  const plain = await timeRuns((i) => session.run({ [spec.config.input]: tensors[i % 2] }));
  await session.release();

  let winnowSession;
  try {
    const embedder = await ImageEmbedder.open(spec, device);
    const per = inputs[0].data.length / batch;
    const lists = inputs.map((x) =>
      Array.from({ length: batch }, (_, j) => x.data.slice(j * per, (j + 1) * per)),
    );
    winnowSession = await timeRuns((i) => embedder.embedTensors(lists[i % 2]));
    if (embedder.device) winnowSession.device = embedder.device;
    await embedder.close();
  } catch (error) {
    winnowSession = { error: error.message.split('\n')[0] };
  }
  const { version } = createRequire(import.meta.url)('onnxruntime-node/package.json');
  console.log(
    JSON.stringify({
      model: spec.name,
      batch,
      device,
      onnxruntime_node: version,
      ort_default_session: plain,
      winnow_session: winnowSession,
      peak_rss_bytes: peakRss(),
    }),
  );
}

/** Decode rate: one worker thread per core, each decoding files one at a time with imageTensor. */
async function decodeTask(args) {
  const files = readFileSync(args.list, 'utf8').split('\n').filter(Boolean);
  const threads = Number(args.threads);
  const counter = new SharedArrayBuffer(4);
  const thumbs = args.thumbs === 'none' ? null : args.thumbs;
  if (thumbs) mkdirSync(thumbs, { recursive: true });
  const workers = Array.from(
    { length: threads },
    () => new Worker(SELF, { workerData: { files, model: args.model, thumbs, counter }, argv: [] }),
  );
  await Promise.all(workers.map((w) => once(w, 'message')));
  const t0 = performance.now();
  const done = Promise.all(workers.map((w) => once(w, 'message')));
  for (const w of workers) w.postMessage('start');
  const results = (await done).map(([message]) => message);
  const seconds = (performance.now() - t0) / 1000;
  await Promise.all(workers.map((w) => w.terminate()));
  const failed = results.reduce((sum, r) => sum + r.failed, 0);
  console.log(
    JSON.stringify({
      files: files.length,
      failed,
      threads,
      seconds: round(seconds),
      images_per_second: rate(files.length - failed, seconds),
      thumbnail: thumbs ? 'decodeImage thumbnail (one decode)' : 'none',
      first_error: results.find((r) => r.error)?.error,
    }),
  );
}

/** The worker-thread side of decodeTask. */
async function decodeWorker({ files, model, thumbs, counter }) {
  const { decodeImage, imageTensor, resolveModel } = await import(CORE);
  const { config } = await resolveModel(model);
  const next = new Int32Array(counter);
  let failed = 0;
  let error;
  parentPort.postMessage('ready');
  await once(parentPort, 'message');
  for (;;) {
    const i = Atomics.add(next, 0, 1);
    if (i >= files.length) break;
    try {
      const bytes = await readFile(files[i]);
      if (!thumbs) {
        await imageTensor(bytes, config);
        continue;
      }
      const { thumbnail } = await decodeImage(bytes, config, 256);
      await writeFile(join(thumbs, `${i}.jpg`), thumbnail);
    } catch (e) {
      failed++;
      error ??= e.message.split('\n')[0];
    }
  }
  parentPort.postMessage({ failed, error });
}

/** Winnow end to end: ingest (not timed), then embedDataset timed, in a fresh workspace. */
async function e2eTask(args) {
  const { embedDataset, ingest, Workspace } = await import(CORE);
  rmSync(args.ws, { recursive: true, force: true });
  const ws = await Workspace.open(args.ws);
  let summary;
  let seconds;
  let peakAfterIngest;
  let peakReset;
  try {
    const ingested = await ingest(ws, args.folder, { dataset: 'bench' });
    const dataset = await ws.dataset('bench');
    peakAfterIngest = peakRss();
    peakReset = resetPeakRss();
    const options = { model: args.model, batchSize: Number(args.batch), device: args.device };
    const t0 = performance.now();
    summary = await embedDataset(ws, dataset, options);
    seconds = (performance.now() - t0) / 1000;
    summary.ingested = ingested.images;
  } finally {
    ws.close();
  }
  const thumbnails = existsSync(summary.thumbnails) ? readdirSync(summary.thumbnails).length : 0;
  console.log(
    JSON.stringify({
      files: summary.ingested,
      embedded: summary.embedded,
      corrupt: summary.corrupt.length,
      thumbnails,
      dim: summary.dim,
      device: summary.device,
      seconds: round(seconds),
      images_per_second: rate(summary.embedded, seconds),
      peak_rss_bytes: peakRss(),
      peak_rss_scope: peakReset ? 'embedDataset only (VmHWM reset after the ingest)' : 'whole process',
      peak_rss_with_ingest_bytes: Math.max(peakAfterIngest, peakRss()),
    }),
  );
}

// ---------------------------------------------------------------------------------------------
// Data

/** The coco128 photos copied round-robin to n files, 128 per folder, each under its own name. */
function makeCoco(root, n) {
  const sources = readdirSync(COCO)
    .filter((f) => /\.jpe?g$/i.test(f))
    .sort();
  const dir = join(root, `coco-${n}`);
  for (let i = 0; i < n; i++) {
    const copy = Math.floor(i / sources.length);
    const folder = join(dir, `r${String(copy).padStart(3, '0')}`);
    if (i % sources.length === 0) mkdirSync(folder, { recursive: true });
    const source = sources[i % sources.length];
    copyFileSync(join(COCO, source), join(folder, `r${String(copy).padStart(3, '0')}-${source}`));
  }
  return dir;
}

/** The CIFAR-10 test JPEGs, ordered so that any prefix spreads evenly across the classes. */
function cifarSources(root) {
  const extracted = join(root, 'cifar10-test');
  if (!existsSync(extracted)) {
    mkdirSync(extracted, { recursive: true });
    execFileSync('tar', ['-xzf', CIFAR, '-C', extracted]);
  }
  const classes = readdirSync(join(extracted, 'test')).sort();
  const perClass = classes.map((c) =>
    readdirSync(join(extracted, 'test', c))
      .sort()
      .map((f) => join(extracted, 'test', c, f)),
  );
  const out = [];
  for (let i = 0; out.length < perClass.reduce((s, l) => s + l.length, 0); i++)
    for (const list of perClass) if (i < list.length) out.push(list[i]);
  return out;
}

/** n files from the CIFAR test set (replicated round-robin past 10,000), 1,000 per folder. */
function makeCifar(root, n, name) {
  const sources = cifarSources(root);
  const dir = join(root, name);
  for (let i = 0; i < n; i++) {
    const folder = join(dir, `d${String(Math.floor(i / 1000)).padStart(3, '0')}`);
    if (i % 1000 === 0) mkdirSync(folder, { recursive: true });
    copyFileSync(sources[i % sources.length], join(folder, `${String(i).padStart(6, '0')}.jpg`));
  }
  return dir;
}

function listFiles(dir) {
  return readdirSync(dir, { recursive: true })
    .filter((f) => /\.jpe?g$/i.test(f))
    .sort()
    .map((f) => join(dir, f));
}

// ---------------------------------------------------------------------------------------------
// The run

async function runPython(folder, model, spec, tmp, options) {
  const out = join(tmp, `py-${basename(folder)}-${model}`);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  try {
    return child(VENV_PYTHON, [
      ...embedBaselineArgs(folder, spec, out),
      '--batch',
      String(options.batch),
      '--device',
      options.device,
    ]);
  } catch (error) {
    return { error: error.message.split('\n').filter(Boolean).at(-1) };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

function runWinnow(folder, model, tmp, options) {
  const ws = join(tmp, `ws-${basename(folder)}-${model}`);
  try {
    return worker('e2e', { folder, ws, model, batch: options.batch, device: options.device });
  } catch (error) {
    return { error: error.message.split('\n').filter(Boolean).at(-1) };
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
}

function runDecode(files, model, tmp, withThumbnails, cores) {
  const list = join(tmp, `decode-list-${model}.txt`);
  writeFileSync(list, files.join('\n'));
  const thumbs = withThumbnails ? join(tmp, 'decode-thumbnails') : 'none';
  try {
    return worker('decode', { list, model, threads: cores, thumbs });
  } catch (error) {
    return { error: error.message.split('\n').filter(Boolean).at(-1) };
  } finally {
    rmSync(list, { force: true });
    if (withThumbnails) rmSync(thumbs, { recursive: true, force: true });
  }
}

async function main(args) {
  const quick = Boolean(args.quick);
  const options = {
    cocoFiles: Number(args.files ?? (quick ? 128 : 2048)),
    cifarFiles: Number(args['cifar-files'] ?? (quick ? 500 : 10_000)),
    models: args.models ? String(args.models).split(',') : quick ? ['mobilenetv2-int8'] : ALL_MODELS,
    datasets: args.datasets ? String(args.datasets).split(',') : ['coco', 'cifar'],
    device: String(args.device ?? 'cpu'),
    batch: Number(args.batch ?? 32),
    inferBatches: Number(args['infer-batches'] ?? (quick ? 4 : 24)),
    decodeFiles: Number(args['decode-files'] ?? (quick ? 128 : 1024)),
    peer: !args['skip-peer'],
    rounds: Math.max(1, Number(args.rounds ?? 1)),
    scale: args.scale ? Number(args.scale === true ? 100_000 : args.scale) : 0,
    scaleModel: args['scale-model'],
    scalePeer: Boolean(args['scale-peer']),
  };
  process.env.WINNOW_MODEL_DIR ||= join(SHARED, 'models');
  const cores = cpus().length;
  const { resolveModel } = await import(CORE);
  const specs = Object.fromEntries(
    await Promise.all(options.models.map(async (m) => [m, await resolveModel(m)])),
  );

  let peerInstall;
  if (options.peer) {
    try {
      peerInstall = await preparePeer();
    } catch (error) {
      peerInstall = { error: `install failed: ${error.message}` };
    }
  }
  const peerReady = options.peer && !peerInstall.error;

  const tmp = mkdtempSync(join(tmpdir(), 'winnow-bench-embed-'));
  const report = {
    benchmark: 'embed',
    machine: machine(),
    device: options.device,
    batch_size: options.batch,
    quick,
    options,
    versions: await versions(),
    inference: {},
    runs: [],
  };
  try {
    log(`data in ${tmp}`);
    const folders = {};
    if (options.datasets.includes('coco')) folders.coco = makeCoco(tmp, options.cocoFiles);
    if (options.datasets.includes('cifar'))
      folders.cifar = makeCifar(tmp, options.cifarFiles, `cifar-${options.cifarFiles}`);

    for (const model of options.models) {
      log(`${model}: pure inference, batch ${options.batch}...`);
      try {
        report.inference[model] = worker('infer', {
          model,
          batch: options.batch,
          batches: options.inferBatches,
          device: options.device,
        });
        log(`  ${report.inference[model].ort_default_session.images_per_second} images/s`);
      } catch (error) {
        report.inference[model] = { error: error.message.split('\n').filter(Boolean).at(-1) };
      }
    }

    for (const [name, folder] of Object.entries(folders)) {
      const files = listFiles(folder);
      const decodeFiles = files.slice(0, Math.min(files.length, options.decodeFiles));
      for (const model of options.models) {
        const entry = { dataset: name, files: files.length, model };
        log(`${name} × ${model}: decode (${decodeFiles.length} files, ${cores} threads)...`);
        entry.decode = runDecode(decodeFiles, model, tmp, false, cores);
        entry.decode_with_thumbnail = runDecode(decodeFiles, model, tmp, true, cores);
        log(
          `  ${entry.decode.images_per_second} images/s; with thumbnail ${entry.decode_with_thumbnail.images_per_second}`,
        );
        entry.rounds = [];
        for (let round = 1; round <= options.rounds; round++) {
          const pair = { round };
          log(`${name} × ${model}, round ${round}: Winnow embedDataset (${files.length} files)...`);
          pair.winnow = runWinnow(folder, model, tmp, options);
          log(`  ${pair.winnow.images_per_second} images/s, peak RSS ${mb(pair.winnow.peak_rss_bytes)} MB`);
          if (peerReady) {
            log(`${name} × ${model}, round ${round}: Python baseline...`);
            pair.python = await runPython(folder, model, specs[model], tmp, options);
            log(`  ${pair.python.images_per_second} images/s, peak RSS ${mb(pair.python.peak_rss_bytes)} MB`);
          } else pair.python = { skipped: options.peer ? peerInstall.error : '--skip-peer' };
          entry.rounds.push(pair);
        }
        entry.winnow = medianRun(entry.rounds.map((r) => r.winnow));
        entry.python = medianRun(entry.rounds.map((r) => r.python));
        entry.derived = derive(name, entry, report.inference[model].ort_default_session ?? {});
        report.runs.push(entry);
      }
    }

    if (options.scale) report.scale = await scaleRun(tmp, options, specs);
  } finally {
    if (args.keep) log(`kept ${tmp}`);
    else rmSync(tmp, { recursive: true, force: true });
  }

  report.peer_install = peerInstall ?? { skipped: '--skip-peer' };
  report.targets = TARGETS;
  report.pass = summarizePass(report);
  report.methodology = METHODOLOGY;
  mkdirSync(OUT, { recursive: true });
  writeFileSync(join(OUT, 'embed.json'), `${JSON.stringify(report, null, 2)}\n`);
  console.log(JSON.stringify(report, null, 2));
}

async function versions() {
  const ort = createRequire(import.meta.url)('onnxruntime-node/package.json').version;
  return { onnxruntime_node: ort, image_path: 'Winnow Rust core (zune-jpeg, image, fast_image_resize)' };
}

/** The run with the median images/s (the lower middle one for an even count); rounds are listed beside it. */
function medianRun(runs) {
  const measured = runs.filter((r) => Number.isFinite(r?.images_per_second));
  if (!measured.length) return runs[0];
  const sorted = [...measured].sort((a, b) => a.images_per_second - b.images_per_second);
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

function mb(bytes) {
  return bytes ? Math.round(bytes / 1e6) : null;
}

function derive(dataset, entry, inference) {
  const e2e = entry.winnow.images_per_second;
  const py = entry.python?.images_per_second;
  const infer = inference.images_per_second;
  const decode = entry.decode.images_per_second;
  const bound = decode && infer ? 1 / (1 / decode + 1 / infer) : null;
  const decodeThumb = entry.decode_with_thumbnail.images_per_second;
  const out = {
    speedup_vs_python: py && e2e ? round(e2e / py, 2) : null,
    speedup_per_round: (entry.rounds ?? [])
      .map((r) => r.winnow?.images_per_second / r.python?.images_per_second)
      .filter(Number.isFinite)
      .map((x) => round(x, 2)),
    inference_images_per_second: infer,
    decode_images_per_second: decode,
    bound_images_per_second: round(bound, 1),
    bound_with_thumbnail_images_per_second:
      decodeThumb && infer ? round(1 / (1 / decodeThumb + 1 / infer), 1) : null,
    e2e_over_inference: e2e ? round(e2e / infer) : null,
    e2e_over_bound: e2e && bound ? round(e2e / bound) : null,
    complete: entry.winnow.embedded === entry.files && entry.winnow.thumbnails === entry.files,
  };
  out.speedup_met =
    out.speedup_vs_python === null ? null : out.speedup_vs_python >= TARGETS.speedup_vs_python;
  if (dataset === 'cifar')
    out.e2e_over_inference_met = out.e2e_over_inference >= TARGETS.cifar_e2e_over_inference;
  if (dataset === 'coco') out.e2e_over_bound_met = out.e2e_over_bound >= TARGETS.photos_e2e_over_bound;
  return out;
}

async function scaleRun(tmp, options, specs) {
  const model = options.scaleModel ?? options.models[0];
  const spec = specs[model] ?? (await (await import(CORE)).resolveModel(model));
  log(`memory run: ${options.scale} CIFAR files (test set replicated) × ${model}...`);
  const folder = makeCifar(tmp, options.scale, `scale-${options.scale}`);
  const out = { files: options.scale, model, winnow: runWinnow(folder, model, tmp, options) };
  log(`  ${out.winnow.images_per_second} images/s, peak RSS ${mb(out.winnow.peak_rss_bytes)} MB`);
  if (options.scalePeer && existsSync(VENV_PYTHON))
    out.python = await runPython(folder, model, spec, tmp, options);
  out.peak_rss_met = out.winnow.peak_rss_bytes <= TARGETS.scale_peak_rss_bytes;
  out.complete = out.winnow.embedded === options.scale;
  rmSync(folder, { recursive: true, force: true });
  return out;
}

function summarizePass(report) {
  const flags = report.runs.flatMap((r) =>
    [
      r.derived.complete,
      r.derived.speedup_met,
      r.derived.e2e_over_inference_met,
      r.derived.e2e_over_bound_met,
    ].filter((f) => f !== undefined && f !== null),
  );
  if (report.scale) flags.push(report.scale.peak_rss_met, report.scale.complete);
  return flags.length > 0 && flags.every(Boolean);
}

const METHODOLOGY =
  'images/s = files / wall seconds of the timed call. Winnow: embedDataset on a freshly ingested ' +
  'workspace (model load, pending query, read, decode, preprocess, inference, DuckDB store and ' +
  '256 px JPEG thumbnails). Python: bench/peers/embed_baseline.py on the same folder (session ' +
  'creation, listing, Pillow decode + EXIF transpose + RGB, 256 px thumbnail, bilinear resize, ' +
  'normalise, onnxruntime batches, rows into a .npy memmap; decode in a thread pool of one thread ' +
  'per core with one batch of look-ahead). inference: onnxruntime-node default session on random ' +
  'batches. decode: core imageTensor (the Rust core: decode, EXIF orientation, resize, normalise) in one ' +
  'worker thread per core. bound = 1/(1/decode + 1/inference). With --rounds, the Winnow and Python runs ' +
  'alternate and the median of each is used.';

// ---------------------------------------------------------------------------------------------

if (!isMainThread) await decodeWorker(workerData);
else {
  const args = parseArgs(process.argv.slice(2));
  const tasks = { infer: inferTask, decode: decodeTask, e2e: e2eTask };
  if (args.worker) await tasks[args.worker](args);
  else await main(args);
}
