#!/usr/bin/env node
/**
 * What the views' own routes cost (docs/server.md, "What the views ask"), over HTTP on loopback
 * against `winnow serve` in its own process, at N synthetic samples (default 1M, cached under
 * bench/out/server-<N>/; --samples N for another size):
 *
 *   node bench/view-routes.mjs [--samples N] [--runs N]
 *
 * - vocabulary: GET …/vocabulary (the panels' choices, asked once per view);
 * - position: GET …/samples/:id/position?where=… (the labeling panel, at every step), beside the
 *   same count sent as SQL to POST …/query, as the panel did before;
 * - tag ids: GET …/tags/:tag/ids of a tag of a tenth of the samples (a finished selection);
 * - conditions: POST …/conditions with three chips (the query bar, at every chip change).
 * p50 and p95 in milliseconds; prints one JSON document (progress on stderr).
 */
import { machine, mulberry32, parseArgs } from './lib/common.mjs';
import { startServe } from './lib/serve.mjs';
import { syntheticWorkspace } from './lib/synthetic-workspace.mjs';
import { requestTimer } from './lib/timing.mjs';

const args = parseArgs(process.argv.slice(2));
const N = Number(args.samples ?? 1_000_000);
const RUNS = Number(args.runs ?? 50);
const TAG_SIZE = Math.floor(N / 10);
const log = (...parts) => console.error('[bench:view-routes]', ...parts);
const { timed, timedPost } = requestTimer(RUNS, log);

const server = await startServe(await syntheticWorkspace(N));
try {
  const rand = mulberry32(7); // every run asks the same questions
  const base = '/api/datasets/bench';
  const where = () => `width > ${320 + Math.floor(rand() * 900)}`;
  const anId = () => 1 + Math.floor(rand() * N);
  const tag = `bench-view-routes-${TAG_SIZE}`;
  await fetch(`${server.url}${base}/tags/${tag}`, {
    method: 'PATCH',
    headers: { authorization: `Bearer ${server.token}` },
    body: JSON.stringify({ add: Array.from({ length: TAG_SIZE }, (_, i) => 1 + i * 10) }),
  });
  const vocabulary = await timed('vocabulary', server, () => `${base}/vocabulary`);
  const position = await timed(
    'position',
    server,
    () => `${base}/samples/${anId()}/position?where=${encodeURIComponent(where())}`,
  );
  const positionAsSql = await timedPost('position as SQL (before)', server, `${base}/query`, () => {
    const id = anId();
    return {
      sql: `SELECT count(*) FILTER (WHERE sample_id < ${id}) AS below, count(*) FILTER (WHERE sample_id = ${id}) AS here,
            count(*) AS total FROM samples WHERE (${where()})`,
    };
  });
  const tagIds = await timed('tag ids', server, () => `${base}/tags/${tag}/ids`);
  const conditions = await timedPost('conditions', server, `${base}/conditions`, () => ({
    chips: [
      { field: 'width', op: '>', value: Math.floor(rand() * 900) },
      { field: 'tag', op: '=', value: tag },
      { field: 'format', op: '!=', value: 'png' },
    ],
    sql: 'height < 900',
  }));
  const report = {
    benchmark: 'view-routes',
    machine: machine(),
    samples: N,
    client: 'fetch from another process on loopback; the server is `winnow serve`',
    vocabulary,
    position,
    position_as_sql_before: positionAsSql,
    tag_ids: { ...tagIds, samples: TAG_SIZE },
    conditions,
  };
  console.log(JSON.stringify(report, null, 2));
} finally {
  server.child.kill('SIGTERM');
}
