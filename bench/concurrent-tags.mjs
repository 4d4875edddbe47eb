#!/usr/bin/env node
/**
 * Concurrent tag changes over HTTP: what a notebook with several views clicking tag chips at once
 * costs. Against an in-process server over coco128 (../shared/datasets/coco128/images), N parallel
 * `PATCH /api/datasets/coco/tags/<new> {"add": [id]}` (one sample each) to one new tag, --rounds
 * times (a new tag each round): the wall time of a round, the members the tag ends with, and how
 * many answers were not 200. Also the time `findRunning` takes to trust and check a runtime file.
 *
 *   node bench/concurrent-tags.mjs [--writers N] [--rounds N]
 *
 * Prints one JSON document.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ingest } from '../core/dist/ingest/index.js';
import { findRunning } from '../core/dist/server/runtime.js';
import { startServer } from '../core/dist/server/server.js';
import { Workspace } from '../core/dist/store/workspace.js';
import { machine, parseArgs, ROOT } from './lib/common.mjs';

const args = parseArgs(process.argv.slice(2));
const WRITERS = Number(args.writers ?? 20);
const ROUNDS = Number(args.rounds ?? 10);
const dir = mkdtempSync(join(tmpdir(), 'winnow-bench-tags-'));

const ws = await Workspace.open(join(dir, '.winnow'));
await ingest(ws, join(ROOT, '../shared/datasets/coco128/images'), { dataset: 'coco' });
const server = await startServer(ws);
const patch = (tag, id) =>
  fetch(`${server.url}/api/datasets/coco/tags/${tag}`, {
    method: 'PATCH',
    headers: { authorization: `Bearer ${server.token}` },
    body: JSON.stringify({ add: [id] }),
  });

const rounds = [];
for (let round = 0; round < ROUNDS; round++) {
  const start = performance.now();
  const answers = await Promise.all(
    Array.from({ length: WRITERS }, (_, i) => patch(`round-${round}`, i + 1)),
  );
  const milliseconds = performance.now() - start;
  const tags = await (
    await fetch(`${server.url}/api/datasets/coco/tags`, {
      headers: { authorization: `Bearer ${server.token}` },
    })
  ).json();
  rounds.push({
    milliseconds,
    members: tags.find((tag) => tag.name === `round-${round}`)?.size ?? 0,
    refused: answers.filter((answer) => answer.status !== 200).length,
  });
}
const finds = [];
for (let i = 0; i < 20; i++) {
  const start = performance.now();
  if (!(await findRunning(ws.dir))) throw new Error('findRunning did not find the server');
  finds.push(performance.now() - start);
}
await server.close();
ws.close();
rmSync(dir, { recursive: true, force: true });

const sorted = (values) => [...values].sort((a, b) => a - b);
const median = (values) => sorted(values)[Math.floor(values.length / 2)];
console.log(
  JSON.stringify(
    {
      machine: machine(),
      writers: WRITERS,
      rounds: ROUNDS,
      round_ms_p50: median(rounds.map((r) => r.milliseconds)),
      round_ms_max: Math.max(...rounds.map((r) => r.milliseconds)),
      per_change_ms_p50: median(rounds.map((r) => r.milliseconds)) / WRITERS,
      members: [...new Set(rounds.map((r) => r.members))],
      refused: rounds.reduce((sum, r) => sum + r.refused, 0),
      find_running_ms_p50: median(finds),
    },
    null,
    2,
  ),
);
