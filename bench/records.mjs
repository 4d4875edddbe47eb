#!/usr/bin/env node
/**
 * What the stray-record fixes cost, and how the two-serve race ends:
 *
 *   node bench/records.mjs [--rounds N] [--runs N]
 *
 * - open: `Workspace.open` of a workspace holding --runs runs (default 100,000), 1 % of them left
 *   `running` by a killed process, which the open marks interrupted; then a second open with
 *   nothing to mark. Milliseconds each.
 * - serve race: --rounds times (default 5), two `winnow serve --json` on a new workspace started
 *   together; how many rounds ended with exactly one serving and one attached (exit 0), and the
 *   milliseconds from the start until the attached one exited (p50, max).
 * Prints one JSON document (progress on stderr) and writes bench/out/records.json.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Workspace } from '../core/dist/store/workspace.js';
import { machine, OUT, parseArgs, ROOT } from './lib/common.mjs';

const args = parseArgs(process.argv.slice(2));
const ROUNDS = Number(args.rounds ?? 5);
const RUNS = Number(args.runs ?? 100_000);
const log = (...parts) => console.error('[bench:records]', ...parts);

async function openCost(dir) {
  const ws = await Workspace.open(dir);
  await ws.db.run(
    `INSERT INTO winnow.runs (run_id, dataset_id, kind, status, pid, process_started_at)
     SELECT 'run-' || i, 1, 'ingest', CASE WHEN i % 100 = 0 THEN 'running' ELSE 'done' END, 999999,
            TIMESTAMP '2020-01-01' FROM range(${RUNS}) t(i)`,
  );
  ws.close();
  const timed = async () => {
    const started = performance.now();
    const opened = await Workspace.open(dir);
    const ms = performance.now() - started;
    const interrupted = await opened.db.value(
      "SELECT count(*) FROM winnow.runs WHERE status = 'interrupted'",
    );
    opened.close();
    return { ms: Math.round(ms * 10) / 10, interrupted: Number(interrupted) };
  };
  return { runs: RUNS, marking: await timed(), nothing_to_mark: await timed() };
}

function serve(dir) {
  const started = performance.now();
  const child = spawn(
    process.execPath,
    [join(ROOT, 'core/bin/winnow.js'), '--workspace', dir, 'serve', '--json'],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let printed = '';
  child.stdout.on('data', (d) => {
    printed += d;
  });
  const document = new Promise((resolve) => {
    const poll = setInterval(() => {
      if (printed.includes('}') || child.exitCode !== null) {
        clearInterval(poll);
        resolve(printed.includes('}') ? JSON.parse(printed) : undefined);
      }
    }, 20);
  });
  const exited = new Promise((resolve) =>
    child.once('exit', (code) => resolve({ code, ms: performance.now() - started })),
  );
  return { child, document, exited };
}

async function raceRound(dir) {
  const pair = [serve(dir), serve(dir)];
  const documents = await Promise.all(pair.map((s) => s.document));
  const attachedAt = documents.findIndex((d) => d?.attached === true);
  const servingAt = documents.findIndex((d) => d?.attached === false);
  const attacher = attachedAt >= 0 ? await pair[attachedAt].exited : undefined;
  for (const { child, exited } of pair) {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
  }
  return {
    ok: attachedAt >= 0 && servingAt >= 0 && attacher.code === 0,
    attach_ms: attacher?.ms,
  };
}

const root = mkdtempSync(join(tmpdir(), 'winnow-bench-records-'));
try {
  log(`open with ${RUNS} runs`);
  const open = await openCost(join(root, 'open'));
  const rounds = [];
  for (let i = 0; i < ROUNDS; i++) {
    log(`serve race ${i + 1}/${ROUNDS}`);
    rounds.push(await raceRound(join(root, `race-${i}`)));
  }
  const times = rounds
    .map((r) => r.attach_ms)
    .filter((ms) => ms !== undefined)
    .sort((a, b) => a - b);
  const result = {
    machine: machine(),
    open,
    serve_race: {
      rounds: ROUNDS,
      one_serving_one_attached: rounds.filter((r) => r.ok).length,
      attached_exit_ms: {
        p50: Math.round(times[Math.floor(times.length / 2)] ?? Number.NaN),
        max: Math.round(times.at(-1) ?? Number.NaN),
      },
    },
  };
  mkdirSync(OUT, { recursive: true });
  writeFileSync(join(OUT, 'records.json'), `${JSON.stringify(result, null, 2)}\n`);
  console.log(JSON.stringify(result, null, 2));
} finally {
  rmSync(root, { recursive: true, force: true });
}
