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
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { machine, mulberry32, OUT, parseArgs } from './lib/common.mjs';
import { startServe } from './lib/serve.mjs';
import { syntheticWorkspace } from './lib/synthetic-workspace.mjs';
import { requestTimer } from './lib/timing.mjs';

const args = parseArgs(process.argv.slice(2));
const N = Number(args.samples ?? 1_000_000);
const RUNS = Number(args.runs ?? 50);
const PAGE = 100;
const log = (...parts) => console.error('[bench:server]', ...parts);

const { timed, timedPost } = requestTimer(RUNS, log);

const DIR = await syntheticWorkspace(N);
const server = await startServe(DIR);
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
  const sorted = await timed(
    'sorted grid page',
    server,
    () =>
      `${base}?offset=${Math.floor(rand() * (N - PAGE))}&limit=${PAGE}&order=${encodeURIComponent('size desc')}`,
  );
  const selectionPage = await timedPost('grid page of a selection (by id)', server, `${base}/by-id`, () => ({
    ids: Array.from({ length: PAGE }, () => 1 + Math.floor(rand() * N)).sort((a, b) => a - b),
  }));
  const colors = await timed(
    'colour column (Arrow IPC)',
    server,
    () => '/api/datasets/bench/colors?by=width',
  );
  const queryIds = await timed('ids meeting a filter (Arrow IPC)', server, () => {
    const where = `width > ${320 + Math.floor(rand() * 900)} AND height < ${300 + Math.floor(rand() * 600)}`;
    return `/api/datasets/bench/ids?where=${encodeURIComponent(where)}`;
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
    sorted_grid_page: sorted,
    selection_grid_page: selectionPage,
    color_column: { ...colors, bytes_per_point: Math.round((colors.bytes / N) * 100) / 100 },
    query_ids: queryIds,
    points: { ...points, bytes_per_point: Math.round((points.bytes / N) * 100) / 100 },
    targets: {
      grid_page_p95_ms: { target: 100, met: grid.p95_ms <= 100 },
      filter_change_p95_ms: { target: 100, met: filter.p95_ms <= 100 },
      sorted_grid_page_p95_ms: { target: 100, met: sorted.p95_ms <= 100 },
      selection_grid_page_p95_ms: { target: 100, met: selectionPage.p95_ms <= 100 },
      bytes_per_point: { target: 16, met: points.bytes / N <= 16 },
    },
  };
  mkdirSync(OUT, { recursive: true });
  writeFileSync(join(OUT, 'server.json'), `${JSON.stringify(report, null, 2)}\n`);
  console.log(JSON.stringify(report, null, 2));
} finally {
  server.child.kill('SIGTERM');
}
