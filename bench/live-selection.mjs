#!/usr/bin/env node
/**
 * What the shared live selection costs (docs/server.md, "The live selection"), over HTTP on
 * loopback against `winnow serve` in its own process, at N synthetic samples (default 100k, cached
 * under bench/out/server-<N>/; --samples N for another size):
 *
 *   node bench/live-selection.mjs [--samples N] [--runs N]
 *
 * - put: PUT …/selection of a lasso of 1,000 ids and of a tenth of the dataset (each id checked
 *   against the dataset's);
 * - files: GET …/selection?files=true of 1,000 ids (what `winnow selected` asks);
 * - wake: from a PUT's start until a long poll (`?after=`) that waited answers, one view waiting,
 *   then 20 views waiting (until the last answers).
 * p50 and p95 in milliseconds; prints one JSON document (progress on stderr).
 */
import { machine, parseArgs } from './lib/common.mjs';
import { startServe } from './lib/serve.mjs';
import { syntheticWorkspace } from './lib/synthetic-workspace.mjs';
import { requestTimer } from './lib/timing.mjs';

const args = parseArgs(process.argv.slice(2));
const N = Number(args.samples ?? 100_000);
const RUNS = Number(args.runs ?? 30);
const log = (...parts) => console.error('[bench:live-selection]', ...parts);
const { timedRequests } = requestTimer(RUNS, log);
const PATH = '/api/datasets/bench/selection';
const ids = (count) => Array.from({ length: count }, (_, i) => 1 + Math.floor((i * N) / count));

const server = await startServe(await syntheticWorkspace(N));
const ask = (path, init = {}) =>
  fetch(`${server.url}${path}`, { ...init, headers: { authorization: `Bearer ${server.token}` } });
const put = (sampleIds) =>
  ask(PATH, { method: 'PUT', body: JSON.stringify({ sample_ids: sampleIds, source: 'bench' }) });

/** Milliseconds from a PUT's start until `views` long polls that waited have all answered. */
async function wake(views) {
  const times = [];
  for (let run = 0; run < RUNS; run++) {
    const { version } = await (await ask(PATH)).json();
    let polls = [];
    for (let i = 0; i < views; i++) polls.push(ask(`${PATH}?after=${version}`).then((r) => r.json()));
    // The polls are waiting once a later request has been answered (one connection each).
    await ask('/api/health');
    const started = performance.now();
    await put(ids(10).map((id) => id + (run % 7)));
    polls = await Promise.all(polls);
    times.push(performance.now() - started);
    if (polls.some((answer) => answer.version !== version + 1)) throw new Error('a poll missed the change');
  }
  times.sort((a, b) => a - b);
  const at = (p) =>
    Math.round(times[Math.min(times.length - 1, Math.floor((p / 100) * times.length))] * 10) / 10;
  log(`wake ${views}: p50 ${at(50)} ms, p95 ${at(95)} ms`);
  return { runs: RUNS, views, p50_ms: at(50), p95_ms: at(95) };
}

try {
  const putBody = (count) => [
    PATH,
    { method: 'PUT', body: JSON.stringify({ sample_ids: ids(count), source: 'bench' }) },
  ];
  const lasso = await timedRequests('put 1,000', server, () => putBody(1000));
  const tenth = await timedRequests(`put ${N / 10}`, server, () => putBody(N / 10));
  await put(ids(1000));
  const files = await timedRequests('files of 1,000', server, () => [`${PATH}?files=true`, {}]);
  const report = {
    benchmark: 'live-selection',
    machine: machine(),
    samples: N,
    client: 'fetch from another process on loopback; the server is `winnow serve`',
    put_1000: lasso,
    [`put_${N / 10}`]: tenth,
    files_1000: files,
    wake_1_view: await wake(1),
    wake_20_views: await wake(20),
  };
  console.log(JSON.stringify(report, null, 2));
} finally {
  server.child.kill('SIGTERM');
}
