#!/usr/bin/env node
/**
 * The server's lifecycle (issue 15, item 2), with real `winnow` processes on an empty workspace,
 * each measured `--runs` times (default 5):
 * - `winnow serve --status` with a server running and with none (a whole CLI process each);
 * - `winnow serve --stop`: SIGTERM until the server has removed server.json and exited;
 * - the idle timeout: with `--idle-timeout 2`, how long after those 2 s the server is gone
 *   (its overshoot: the idle check's polling plus closing);
 * - the health answer (version, settings, idle time) asked back to back: p50 and max.
 *
 *   node bench/lifecycle.mjs [--runs N]
 *
 * Prints one JSON document and writes bench/out/lifecycle.json.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { findRunning } from '../core/dist/server/runtime.js';
import { machine, OUT, parseArgs, ROOT } from './lib/common.mjs';

const args = parseArgs(process.argv.slice(2));
const RUNS = Number(args.runs ?? 5);
const WINNOW = join(ROOT, 'core/bin/winnow.js');

const ms = (start) => Math.round((performance.now() - start) * 10) / 10;
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

const run = promisify(execFile);

/** A whole CLI process, asynchronously: a synchronous one would leave the server this process started unreaped. */
async function winnow(dir, ...command) {
  const start = performance.now();
  // --status exits 3 without a server: the time is what counts here.
  await run('node', [WINNOW, '--workspace', dir, ...command]).catch(() => undefined);
  return ms(start);
}

/** Starts `winnow serve` and resolves once it answers; `exited` resolves with the time it exits. */
async function serve(dir, ...extra) {
  const child = spawn('node', [WINNOW, '--workspace', dir, 'serve', ...extra], { stdio: 'ignore' });
  const exited = new Promise((resolve) => child.once('exit', () => resolve(performance.now())));
  while (!(await findRunning(dir))) await new Promise((r) => setTimeout(r, 50));
  return { child, exited };
}

const root = mkdtempSync(join(tmpdir(), 'winnow-lifecycle-'));
const results = {
  status_running_ms: [],
  status_none_ms: [],
  stop_ms: [],
  idle_overshoot_ms: [],
  health_ms: [],
};
try {
  for (let run = 0; run < RUNS; run++) {
    const dir = join(root, `ws${run}`);
    results.status_none_ms.push(await winnow(dir, 'serve', '--status'));
    await serve(dir);
    results.status_running_ms.push(await winnow(dir, 'serve', '--status'));
    const info = await findRunning(dir);
    for (let i = 0; i < 20; i++) {
      const start = performance.now();
      await (
        await fetch(`${info.url}/api/health`, { headers: { authorization: `Bearer ${info.token}` } })
      ).json();
      results.health_ms.push(ms(start));
    }
    results.stop_ms.push(await winnow(dir, 'serve', '--stop'));
    if (existsSync(join(dir, 'server.json'))) throw new Error('server.json left after --stop');

    const idle = await serve(dir, '--idle-timeout', '2');
    const idleFrom = performance.now();
    results.idle_overshoot_ms.push(Math.round((await idle.exited) - idleFrom - 2000));
  }
} finally {
  rmSync(root, { recursive: true, force: true });
}

const summary = Object.fromEntries(
  Object.entries(results).map(([name, values]) => [
    name,
    { median: median(values), max: Math.max(...values), n: values.length },
  ]),
);
const document = { bench: 'lifecycle', runs: RUNS, machine: machine(), ...summary };
mkdirSync(OUT, { recursive: true });
writeFileSync(join(OUT, 'lifecycle.json'), `${JSON.stringify(document, null, 2)}\n`);
console.log(JSON.stringify(document, null, 2));
