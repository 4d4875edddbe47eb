#!/usr/bin/env node
/**
 * Local server benchmark: what the notebook and VS Code views wait for, over HTTP on loopback
 * against `winnow serve` in its own process, at 1M samples (synthetic, generated with SQL and
 * cached under bench/out/server-<N>/; --samples N for another size).
 *
 *   node bench/server.mjs [--samples N] [--runs N]
 *
 * - grid page: GET /api/datasets/:d/samples?offset=<random>&limit=100 (the grid scrolling);
 * - filter change: the same with a new `where` each time (width and height bounds), offset 0:
 *   the grid's first page and the total count under the new filter;
 * - points: GET /api/datasets/:d/points, the scatter's columns as Arrow IPC: time and bytes a point.
 * Each runs --runs times (default 50) after one warm-up; p50 and p95 in milliseconds. Targets
 * (the notebook issue): p95 <= 100 ms for a grid page and a filter change at 1M samples, <= 16
 * bytes a point. Prints one JSON document (progress on stderr) and writes bench/out/server.json.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { machine, mulberry32, OUT, parseArgs, ROOT } from './lib/common.mjs';

const args = parseArgs(process.argv.slice(2));
const N = Number(args.samples ?? 1_000_000);
const RUNS = Number(args.runs ?? 50);
const PAGE = 100;
const DIR = join(OUT, `server-${N}`, '.winnow');
const log = (...parts) => console.error('[bench:server]', ...parts);
const GENERATOR_VERSION = 1;

/** A workspace with one dataset of N image samples and a 2-D projection of all of them. */
async function ensureWorkspace() {
  const stamp = join(DIR, `generated-v${GENERATOR_VERSION}`);
  if (existsSync(stamp)) return;
  rmSync(DIR, { recursive: true, force: true });
  mkdirSync(DIR, { recursive: true });
  const { Workspace } = await import(new URL('../core/dist/index.js', import.meta.url).href);
  const ws = await Workspace.open(DIR);
  try {
    const dataset = await ws.createDataset('bench', {
      kind: 'local',
      uri: join(OUT, `server-${N}`, 'images'),
    });
    log(`generating ${N} samples and their projection`);
    await ws.db.run(
      `INSERT INTO winnow.samples (sample_id, dataset_id, kind, path, format, size, mtime, width, height, status)
       SELECT i + 1, ?, 'image', printf('class-%02d/%08d.jpg', i % 20, i), 'jpeg', 20000 + (i * 7919) % 200000,
              TIMESTAMP '2026-01-01' + to_seconds(i), 320 + (i * 31) % 961, 240 + (i * 17) % 721, 'ok'
       FROM range(${N}) t(i)`,
      [dataset.id],
    );
    await ws.db.run(`SELECT setval('winnow.sample_ids', ${N})`).catch(() => undefined);
    const projection = await ws.db.value(
      `INSERT INTO winnow.projections (projection_id, dataset_id, model_id, name, method)
       VALUES (nextval('winnow.projection_ids'), ?, 0, 'bench-layout', 'synthetic') RETURNING projection_id`,
      [dataset.id],
    );
    await ws.db.run(
      `INSERT INTO winnow.coordinates SELECT ?, i + 1, (cos(i) * (i % 997) / 997)::FLOAT, (sin(i) * (i % 991) / 991)::FLOAT
       FROM range(${N}) t(i)`,
      [projection],
    );
    await ws.db.run('CHECKPOINT');
  } finally {
    ws.close();
  }
  writeFileSync(stamp, '');
}

async function startServe() {
  const child = spawn(
    process.execPath,
    [join(ROOT, 'core/bin/winnow.js'), '--workspace', DIR, 'serve', '--json'],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let printed = '';
  child.stdout.on('data', (d) => {
    printed += d;
  });
  for (let waited = 0; !printed.includes('}'); waited += 50) {
    if (child.exitCode !== null || waited > 60_000) throw new Error(`winnow serve did not start: ${printed}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const { token, url } = JSON.parse(readFileSync(join(DIR, 'server.json'), 'utf8'));
  return { child, token, url };
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function timed(name, server, makePath) {
  const get = async (path) => {
    const started = performance.now();
    const response = await fetch(`${server.url}${path}`, {
      headers: { authorization: `Bearer ${server.token}` },
    });
    const bytes = (await response.arrayBuffer()).byteLength;
    if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
    return { ms: performance.now() - started, bytes };
  };
  await get(makePath(-1));
  const times = [];
  let bytes = 0;
  for (let i = 0; i < RUNS; i++) {
    const answer = await get(makePath(i));
    times.push(answer.ms);
    bytes = answer.bytes;
  }
  times.sort((a, b) => a - b);
  const round = (v) => Math.round(v * 10) / 10;
  log(`${name}: p50 ${round(percentile(times, 50))} ms, p95 ${round(percentile(times, 95))} ms`);
  return {
    runs: RUNS,
    p50_ms: round(percentile(times, 50)),
    p95_ms: round(percentile(times, 95)),
    max_ms: round(times.at(-1)),
    bytes,
  };
}

await ensureWorkspace();
const server = await startServe();
try {
  const rand = mulberry32(42); // every run asks the same questions
  const base = '/api/datasets/bench/samples';
  const grid = await timed(
    'grid page',
    server,
    () => `${base}?offset=${Math.floor(rand() * (N - PAGE))}&limit=${PAGE}`,
  );
  const filter = await timed('filter change', server, () => {
    const where = `width > ${320 + Math.floor(rand() * 900)} AND height < ${300 + Math.floor(rand() * 600)}`;
    return `${base}?offset=0&limit=${PAGE}&where=${encodeURIComponent(where)}`;
  });
  const points = await timed('points (Arrow IPC)', server, () => '/api/datasets/bench/points');
  const report = {
    benchmark: 'server',
    machine: machine(),
    samples: N,
    page_size: PAGE,
    client: 'fetch from another process on loopback; the server is `winnow serve` (DuckDB threads: default)',
    grid_page: grid,
    filter_change: filter,
    points: { ...points, bytes_per_point: Math.round((points.bytes / N) * 100) / 100 },
    targets: {
      grid_page_p95_ms: { target: 100, met: grid.p95_ms <= 100 },
      filter_change_p95_ms: { target: 100, met: filter.p95_ms <= 100 },
      bytes_per_point: { target: 16, met: points.bytes / N <= 16 },
    },
  };
  mkdirSync(OUT, { recursive: true });
  writeFileSync(join(OUT, 'server.json'), `${JSON.stringify(report, null, 2)}\n`);
  console.log(JSON.stringify(report, null, 2));
} finally {
  server.child.kill('SIGTERM');
}
