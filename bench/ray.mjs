#!/usr/bin/env node
/**
 * The cost of distribution: `winnow embed --ray` on a one-node Ray cluster against a
 * single-process `winnow embed` on the same cores and the same images, and the overhead of a
 * shard (a Ray task that starts the engine, loads the model and writes a part, merged by the
 * owner).
 *
 *   node bench/ray.mjs [--images 2000] [--model squeezenet1.1] [--shard-size 500]
 *                      [--small-shards 50] [--rounds 2]
 *
 * Data: the first --images CIFAR-10 test JPEGs (32 × 32, evenly over the classes), extracted to a
 * temporary folder; each run ingests them into a fresh workspace (not timed) and embeds them on
 * the CPU. The cluster: `ray start --head` on loopback from .venv (scripts/setup.sh --test) with
 * every core of this machine as its CPUs; each shard asks for all of them, so one shard runs at a
 * time with the whole machine, as `winnow embed` does. Per round, interleaved:
 *   - single: `winnow embed` (one process: decode, two model copies, thumbnails, DuckDB);
 *   - ray: `winnow embed --ray` with --shard-size images a shard;
 *   - ray-small: the same with --small-shards images a shard (more shards, same images).
 * Derived: the cost of distribution = 1 − ray images/s ÷ single images/s (target ≤ 10 %), end to
 * end and in the steady state (the images ÷ the seconds the shards took on the engine, the
 * start-up of driver, engine and model left out, which is then reported apart), and the overhead
 * of a shard = (seconds of ray-small − seconds of ray) ÷ (its shards − ray's shards).
 * Times are each command's own `seconds` (the ingest and the process start are not in them).
 *
 * Prints one JSON document and writes bench/out/ray.json.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { machine, OUT, parseArgs, ROOT } from './lib/common.mjs';

const args = parseArgs(process.argv.slice(2));
const IMAGES = Number(args.images ?? 2000);
const MODEL = args.model ?? 'squeezenet1.1';
const SHARD = Number(args['shard-size'] ?? 500);
const SMALL = Number(args['small-shards'] ?? 50);
const ROUNDS = Number(args.rounds ?? 2);
const CORES = cpus().length;
const WINNOW = join(ROOT, 'core/bin/winnow.js');
const RAY = join(ROOT, '.venv/bin/ray');
const PYTHON = join(ROOT, '.venv/bin/python');
const PORT = 26379;

const scratch = mkdtempSync(join(tmpdir(), 'winnow-bench-ray-'));
const env = {
  ...process.env,
  WINNOW_MODEL_DIR: process.env.WINNOW_MODEL_DIR ?? join(ROOT, '../shared/models'),
  WINNOW_PYTHON: PYTHON,
  RAY_USAGE_STATS_ENABLED: '0',
};

function winnow(workspace, ...argv) {
  const stdout = execFileSync('node', [WINNOW, '--workspace', workspace, '--json', ...argv], {
    env,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(stdout);
}

function images() {
  const extracted = join(scratch, 'cifar');
  mkdirSync(extracted);
  execFileSync('tar', ['-xzf', join(ROOT, '../shared/datasets/cifar10-test.tar.gz'), '-C', extracted]);
  const folder = join(extracted, 'test');
  const classes = readdirSync(folder).sort();
  const keep = Math.ceil(IMAGES / classes.length);
  let kept = 0;
  for (const c of classes) {
    for (const [i, file] of readdirSync(join(folder, c)).sort().entries()) {
      if (i >= keep || kept >= IMAGES) rmSync(join(folder, c, file));
      else kept++;
    }
  }
  return folder;
}

function embedRun(folder, name, extra) {
  const workspace = join(scratch, name, '.winnow');
  winnow(workspace, 'ingest', folder, '--dataset', 'cifar');
  const summary = winnow(
    workspace,
    'embed',
    '--dataset',
    'cifar',
    '--model',
    MODEL,
    '--device',
    'cpu',
    ...extra,
  );
  rmSync(join(scratch, name), { recursive: true, force: true });
  if (summary.embedded !== IMAGES) throw new Error(`${name}: embedded ${summary.embedded} of ${IMAGES}`);
  return {
    seconds: summary.seconds,
    images_per_s: IMAGES / summary.seconds,
    shards: summary.shards?.total,
    shard_seconds: summary.shard_seconds,
  };
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)];

const folder = images();
const tempDir = join(scratch, 'ray');
execFileSync(
  RAY,
  [
    'start',
    '--head',
    '--node-ip-address',
    '127.0.0.1',
    '--port',
    String(PORT),
    '--num-cpus',
    String(CORES),
    '--temp-dir',
    tempDir,
    '--include-dashboard=false',
    '--disable-usage-stats',
  ],
  { env, stdio: 'ignore' },
);
const rounds = [];
try {
  const ray = (size) => [
    ...['--ray', `127.0.0.1:${PORT}`, '--ray-runtime', `node ${WINNOW}`],
    ...['--shard-size', String(size), '--cpus-per-shard', String(CORES)],
  ];
  for (let round = 0; round < ROUNDS; round++) {
    rounds.push({
      single: embedRun(folder, `single-${round}`, []),
      ray: embedRun(folder, `ray-${round}`, ray(SHARD)),
      ray_small: embedRun(folder, `small-${round}`, ray(SMALL)),
    });
    process.stderr.write(`round ${round + 1}: ${JSON.stringify(rounds.at(-1))}\n`);
  }
} finally {
  execFileSync(RAY, ['stop', '--force'], { env, stdio: 'ignore' });
  rmSync(scratch, { recursive: true, force: true });
}

const of = (key, field) => median(rounds.map((r) => r[key][field]));
const single = of('single', 'images_per_s');
const distributed = of('ray', 'images_per_s');
// One engine at a time here, so the shards' own seconds add up to the time the images took on
// the node; the rest of the run is the start-up (driver, actor, engine, model) and the last merge.
const steady = median(rounds.map((r) => IMAGES / r.ray.shard_seconds));
const startup = median(rounds.map((r) => r.ray.seconds - r.ray.shard_seconds));
const shardOverhead = rounds.map(
  (r) => (r.ray_small.seconds - r.ray.seconds) / (r.ray_small.shards - r.ray.shards),
);
const result = {
  benchmark: 'ray',
  machine: machine(),
  images: IMAGES,
  model: MODEL,
  shard_size: SHARD,
  small_shards: SMALL,
  rounds,
  single_images_per_s: single,
  ray_images_per_s: distributed,
  cost_of_distribution: 1 - distributed / single,
  ray_steady_images_per_s: steady,
  steady_cost_of_distribution: 1 - steady / single,
  ray_startup_seconds: startup,
  seconds_per_shard_overhead: median(shardOverhead),
};
mkdirSync(OUT, { recursive: true });
writeFileSync(join(OUT, 'ray.json'), `${JSON.stringify(result, null, 2)}\n`);
console.log(JSON.stringify(result, null, 2));
