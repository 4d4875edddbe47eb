#!/usr/bin/env node
/**
 * The `winnow` command with and without a server holding the workspace (issue 15, item 1):
 *
 *   node bench/cli-server.mjs [--runs N]
 *
 * - findRunning on a workspace no server holds (no runtime file) and on a served one: what
 *   every command pays before it starts (median and max of 200 calls each);
 * - `winnow query --dataset coco --sql "SELECT count(*) FROM samples"`, `winnow tag list` and
 *   `winnow info`, each a whole process (Node start included), on a workspace of coco128 no
 *   server holds (it opens DuckDB) and on an identical one a `winnow serve` holds (it asks the
 *   server): median and max wall time of N runs (default 5).
 * Prints one JSON document (progress on stderr) and writes bench/out/cli-server.json.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findRunning } from '../core/dist/server/runtime.js';
import { machine, OUT, parseArgs, ROOT } from './lib/common.mjs';

const args = parseArgs(process.argv.slice(2));
const RUNS = Number(args.runs ?? 5);
const WINNOW = join(ROOT, 'core/bin/winnow.js');
const IMAGES = join(ROOT, '../shared/datasets/coco128/images');

const folder = mkdtempSync(join(tmpdir(), 'winnow-cli-server-'));
const plain = join(folder, 'plain/.winnow');
const served = join(folder, 'served/.winnow');
const winnow = (workspace, ...rest) => execFileSync('node', [WINNOW, '--workspace', workspace, ...rest]);

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const summary = (values) => ({ median_ms: round(median(values)), max_ms: round(Math.max(...values)) });
const round = (ms) => Math.round(ms * 100) / 100;

async function timeFind(workspace) {
  const times = [];
  for (let i = 0; i < 200; i++) {
    const start = performance.now();
    await findRunning(workspace);
    times.push(performance.now() - start);
  }
  return summary(times);
}

function timeCommand(workspace, command) {
  const times = [];
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    winnow(workspace, ...command, '--json');
    times.push(performance.now() - start);
  }
  return summary(times);
}

let serve;
try {
  process.stderr.write('ingesting coco128 twice…\n');
  for (const workspace of [plain, served]) winnow(workspace, 'ingest', IMAGES, '--dataset', 'coco');
  const findWithout = await timeFind(plain);
  serve = spawn('node', [WINNOW, '--workspace', served, 'serve'], { stdio: 'ignore' });
  while (!(await findRunning(served))) await new Promise((r) => setTimeout(r, 100));
  const findWith = await timeFind(served);
  const commands = {
    query: ['query', '--dataset', 'coco', '--sql', 'SELECT count(*) FROM samples'],
    'tag list': ['tag', 'list', '--dataset', 'coco'],
    info: ['info'],
  };
  const wall = {};
  for (const [name, command] of Object.entries(commands)) {
    process.stderr.write(`${name}…\n`);
    wall[name] = {
      without_server: timeCommand(plain, command),
      through_server: timeCommand(served, command),
    };
  }
  const result = {
    machine: machine(),
    runs: RUNS,
    find_running: { without_server: findWithout, with_server: findWith },
    command_wall: wall,
  };
  mkdirSync(OUT, { recursive: true });
  writeFileSync(join(OUT, 'cli-server.json'), `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
} finally {
  serve?.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 500));
  rmSync(folder, { recursive: true, force: true });
}
