#!/usr/bin/env node
/**
 * User SQL limits: how fast runaway queries stop and how much memory they take, and what other
 * requests wait while they run. On coco128 (../shared/datasets/coco128/images), in a fresh
 * workspace under bench/out/sql-limits/.
 *
 *   node bench/sql-limits.mjs
 *
 * - cli: `winnow query --timeout 5` with WINNOW_MEMORY_LIMIT=1GB for the queries (repeat,
 *   levenshtein: refused by the guard) and two allowed ones that DuckDB cannot interrupt inside one
 *   vector (a long scan; a vector of 2,048 copies of a 100 MB string): seconds until the command
 *   exits, its exit code and first stderr line, peak resident memory of the command's processes.
 * - server: `winnow serve`, two such scans sent at once to /query with timeout 5; meanwhile
 *   /api/health and a grid page every 100 ms: p50, p95, max in ms, against the same with nothing
 *   else running; when the two queries were answered, and the server's peak resident memory.
 * Prints one JSON document (progress on stderr).
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { machine, OUT, ROOT } from './lib/common.mjs';
import { startServe } from './lib/serve.mjs';

const WINNOW = join(ROOT, 'core/bin/winnow.js');
const IMAGES = join(ROOT, '../shared/datasets/coco128/images');
const DIR = join(OUT, 'sql-limits', '.winnow');
const log = (...parts) => console.error('[bench:sql-limits]', ...parts);

/** A string of `megabytes` MB built by an allowed aggregate. */
const big = (megabytes) =>
  `(SELECT string_agg(lpad('', 1000, 'x'), '') AS s FROM range(${megabytes * 1000}))`;
const QUERIES = {
  repeat: "SELECT sum(length(repeat('x', 200000000 + (range % 2)::INT))) FROM range(40)",
  levenshtein: `SELECT max(levenshtein(a.s, a.s || 'y')) FROM ${big(50)} a`,
  scan_in_one_vector: `SELECT count(*) FROM (SELECT contains(s, 'y' || range::VARCHAR) AS c FROM ${big(100)}, range(2048)) WHERE c`,
  copies_in_one_vector: `SELECT sum(length(upper(s || range::VARCHAR))) FROM ${big(100)}, range(2048)`,
};

/** Resident memory of a process and its children, in bytes (Linux /proc). */
function treeRss(pid) {
  let total = 0;
  const pids = [pid];
  try {
    pids.push(
      ...execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' })
        .split(/\s+/)
        .filter(Boolean),
    );
  } catch {
    // no children
  }
  for (const each of pids) {
    try {
      total += Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${each}/status`, 'utf8'))?.[1] ?? 0) * 1024;
    } catch {
      // gone
    }
  }
  return total;
}

function runCli(sql) {
  return new Promise((resolve) => {
    const started = performance.now();
    const child = spawn(
      process.execPath,
      [WINNOW, '--workspace', DIR, 'query', '--timeout', '5', '--sql', sql],
      {
        env: { ...process.env, WINNOW_MEMORY_LIMIT: '1GB' },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    let peak = 0;
    const sampler = setInterval(() => {
      peak = Math.max(peak, treeRss(child.pid));
    }, 25);
    // A runaway left behind would skew what follows: end it after 60 s whatever happens.
    const backstop = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('exit', (code, signal) => {
      clearInterval(sampler);
      clearTimeout(backstop);
      resolve({
        seconds: round((performance.now() - started) / 1000),
        code,
        signal,
        stderr: stderr.split('\n')[0],
        peak_rss_mb: Math.round(peak / 1e6),
      });
    });
  });
}

const round = (v) => Math.round(v * 100) / 100;
const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

async function request(server, path, body) {
  const started = performance.now();
  const response = await fetch(`${server.url}${path}`, {
    method: body ? 'POST' : 'GET',
    body: body ? JSON.stringify(body) : undefined,
    headers: { authorization: `Bearer ${server.token}` },
  });
  const text = await response.text();
  return { ms: performance.now() - started, status: response.status, text };
}

/** Health and a grid page every 100 ms for `ms`: their latency percentiles. */
async function probe(server, ms) {
  const health = [];
  const grid = [];
  const until = performance.now() + ms;
  while (performance.now() < until) {
    const [h, g] = await Promise.all([
      request(server, '/api/health'),
      request(server, '/api/datasets/coco/samples?offset=0&limit=100'),
    ]);
    health.push(h.ms);
    grid.push(g.ms);
    await new Promise((r) => setTimeout(r, 100));
  }
  const summary = (times) => {
    times.sort((a, b) => a - b);
    return {
      requests: times.length,
      p50_ms: round(percentile(times, 50)),
      p95_ms: round(percentile(times, 95)),
      max_ms: round(times.at(-1)),
    };
  };
  return { health: summary(health), grid_page: summary(grid) };
}

rmSync(join(OUT, 'sql-limits'), { recursive: true, force: true });
mkdirSync(join(OUT, 'sql-limits'), { recursive: true });
execFileSync(process.execPath, [WINNOW, '--workspace', DIR, 'ingest', IMAGES, '--dataset', 'coco'], {
  stdio: 'ignore',
});

const cli = {};
for (const [name, sql] of Object.entries(QUERIES)) {
  cli[name] = await runCli(sql);
  log(name, JSON.stringify(cli[name]));
}

const server = await startServe(DIR);
let peak = 0;
const sampler = setInterval(() => {
  peak = Math.max(peak, treeRss(server.child.pid));
}, 25);
const idle = await probe(server, 3000);
log('idle', JSON.stringify(idle));
const started = performance.now();
const heavy = [1, 2].map(() =>
  request(server, '/api/datasets/coco/query', { sql: QUERIES.scan_in_one_vector, timeout: 5 }).then((r) => ({
    status: r.status,
    answered_s: round((performance.now() - started) / 1000),
    message: JSON.parse(r.text).error?.message ?? null,
  })),
);
const busy = await probe(server, 8000);
log('busy', JSON.stringify(busy));
const answers = await Promise.all(heavy);
clearInterval(sampler);
server.child.kill('SIGKILL');

console.log(
  JSON.stringify(
    {
      machine: machine(),
      cli,
      server: {
        idle,
        while_two_heavy_queries: busy,
        heavy_answers: answers,
        peak_rss_mb: Math.round(peak / 1e6),
      },
    },
    null,
    2,
  ),
);
