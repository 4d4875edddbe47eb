#!/usr/bin/env node
/**
 * Decompression bombs (issue 14, item 1): the 1 KB RLE BMP claiming 20000×20000, the 118-byte
 * BMP claiming 30000×30000, the 69-byte PNG claiming 60000×60000, a 0×0 BMP and a negative-height
 * RLE BMP, in a folder with coco128.
 *
 *   node bench/bombs.mjs [--models DIR]
 *
 * - ingest and embed (mobilenetv2-int8, CPU) of that folder with `winnow`, each in its own
 *   process under /usr/bin/time: seconds and peak resident memory;
 * - embed again over an index that took the bombs as ok (as one made before the pixel limit
 *   did), so embed's own header check refuses them;
 * - `winnow serve` in its own process: each bomb's thumbnail requested (marked at ingest, and
 *   taken as ok by the older index, so the thumbnail code refuses it from its header), then a
 *   1 KB RLE BMP of 5000×5000 (within the limit: seconds of decoding in a worker thread), with
 *   /api/health asked back to back all along; each answer's time, health's p50, p95 and max,
 *   and the server's peak resident memory (VmHWM) at the end.
 * Targets: thumbnail answer < 1 s, health < 100 ms meanwhile, resident memory < 500 MB. Prints one
 * JSON document (progress on stderr) and writes bench/out/bombs.json.
 */
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { findRunning } from '../core/dist/server/runtime.js';
import { Workspace } from '../core/dist/store/workspace.js';
import { BOMBS, rle8Bomb, writeBombs } from '../core/test/bombs.mjs';
import { machine, OUT, parseArgs, ROOT } from './lib/common.mjs';

const args = parseArgs(process.argv.slice(2));
const MODELS = args.models ?? join(ROOT, '../shared/models');
const IMAGES = join(ROOT, '../shared/datasets/coco128/images');
const DIR = join(OUT, 'bombs');
const WORKSPACE = join(DIR, '.winnow');
const WINNOW = join(ROOT, 'core/bin/winnow.js');
/** 1 KB, 25 megapixels: within the limit, seconds of decoding in a server thread. */
const SLOW = 'slow-5000.bmp';
const log = (...parts) => console.error('[bench:bombs]', ...parts);

/** Runs `winnow` under /usr/bin/time: its JSON output, seconds and peak resident memory. */
function timedWinnow(...argv) {
  const times = join(DIR, 'time.txt');
  const stdout = execFileSync(
    '/usr/bin/time',
    ['-o', times, '-f', '%e %M', process.execPath, WINNOW, '--workspace', WORKSPACE, ...argv, '--json'],
    {
      encoding: 'utf8',
      env: { ...process.env, WINNOW_MODEL_DIR: MODELS },
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  const [seconds, kilobytes] = readFileSync(times, 'utf8').trim().split('\n').at(-1).split(' ').map(Number);
  return { output: JSON.parse(stdout), seconds, peak_rss_mb: Math.round(kilobytes / 1024) };
}

/** A folder of coco128 (or its first `photos`) and every bomb. */
function folder(name, photos) {
  const dir = join(DIR, name);
  mkdirSync(dir, { recursive: true });
  for (const photo of readdirSync(IMAGES).sort().slice(0, photos))
    copyFileSync(join(IMAGES, photo), join(dir, photo));
  writeBombs(dir);
  return dir;
}

const statusKb = (pid, field) =>
  Number(new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);

async function serveAndRequest(datasets) {
  const server = spawn(process.execPath, [WINNOW, '--workspace', WORKSPACE, 'serve'], { stdio: 'ignore' });
  try {
    let running = await findRunning(WORKSPACE);
    for (; !running; running = await findRunning(WORKSPACE)) await new Promise((r) => setTimeout(r, 100));
    const get = async (path) => {
      const started = performance.now();
      const answer = await fetch(`${running.url}${path}`, {
        headers: { authorization: `Bearer ${running.token}` },
      });
      const body = await answer.text();
      return { status: answer.status, ms: performance.now() - started, body };
    };
    const health = [];
    let requesting = true;
    const checking = (async () => {
      while (requesting) health.push((await get('/api/health')).ms);
    })();
    const thumbnails = [];
    for (const { name, ids } of datasets)
      for (const [file, id] of Object.entries(ids)) {
        const before = health.length;
        const answer = await get(`/api/datasets/${name}/samples/${id}/thumbnail`);
        const during = health.slice(before);
        thumbnails.push({
          dataset: name,
          file,
          status: answer.status,
          ms: round(answer.ms),
          health_checks_during: during.length,
          slowest_health_during_ms: during.length ? round(Math.max(...during)) : null,
          error: answer.status === 200 ? undefined : JSON.parse(answer.body).error?.message,
        });
      }
    requesting = false;
    await checking;
    const bombs = thumbnails.filter((t) => t.file in BOMBS);
    const sorted = [...health].sort((a, b) => a - b);
    return {
      thumbnails,
      slowest_bomb_thumbnail_ms: round(Math.max(...bombs.map((t) => t.ms))),
      slowest_health_during_bombs_ms: round(Math.max(...bombs.map((t) => t.slowest_health_during_ms ?? 0))),
      /** Every health check, the server's start and the long decode included. */
      health: {
        checks: health.length,
        p50_ms: round(sorted[Math.floor(sorted.length / 2)]),
        p95_ms: round(sorted[Math.floor(sorted.length * 0.95)]),
        max_ms: round(sorted.at(-1)),
      },
      server_peak_rss_mb: Math.round(statusKb(server.pid, 'VmHWM') / 1024),
    };
  } finally {
    server.kill('SIGTERM');
  }
}

const round = (ms) => Math.round(ms * 10) / 10;

async function sampleIds(name) {
  const ws = await Workspace.open(WORKSPACE);
  try {
    const dataset = await ws.dataset(name);
    const rows = await ws.db.all('SELECT path, sample_id AS id FROM winnow.samples WHERE dataset_id = ?', [
      dataset.id,
    ]);
    return Object.fromEntries(
      rows.filter((r) => r.path in BOMBS || r.path === SLOW).map((r) => [r.path, r.id]),
    );
  } finally {
    ws.close();
  }
}

/** Takes the dataset's bombs back as ok: what an index made before the pixel limit holds. */
async function asIndexedBeforeTheLimit(name) {
  const ws = await Workspace.open(WORKSPACE);
  try {
    await ws.db.run(
      "UPDATE winnow.samples SET status = 'ok', reason = NULL WHERE dataset_id = (SELECT dataset_id FROM winnow.datasets WHERE name = ?)",
      [name],
    );
  } finally {
    ws.close();
  }
}

rmSync(DIR, { recursive: true, force: true });
mkdirSync(DIR, { recursive: true });
log('ingest: coco128 and the bombs');
const ingest = timedWinnow('ingest', folder('coco', Infinity), '--dataset', 'coco');
log('embed');
const embed = timedWinnow('embed', '--dataset', 'coco', '--model', 'mobilenetv2-int8', '--device', 'cpu');
log('embed over an index from before the pixel limit');
timedWinnow('ingest', folder('older', 2), '--dataset', 'older');
await asIndexedBeforeTheLimit('older');
const olderEmbed = timedWinnow(
  'embed',
  '--dataset',
  'older',
  '--model',
  'mobilenetv2-int8',
  '--device',
  'cpu',
);
log('thumbnails from `winnow serve`');
// The older index again, its bombs ok and not embedded: the server's decoding threads see them.
const olderServe = folder('older-serve', 1);
writeFileSync(join(olderServe, SLOW), rle8Bomb(5000));
timedWinnow('ingest', olderServe, '--dataset', 'older-serve');
await asIndexedBeforeTheLimit('older-serve');
const server = await serveAndRequest([
  { name: 'coco', ids: await sampleIds('coco') },
  { name: 'older-serve', ids: await sampleIds('older-serve') },
]);
const report = {
  machine: machine(),
  /** The machine is shared: its 1-, 5- and 15-minute load averages when the run ended. */
  load_average: loadavg().map((l) => Math.round(l * 10) / 10),
  ingest: {
    seconds: ingest.seconds,
    peak_rss_mb: ingest.peak_rss_mb,
    samples: ingest.output.samples,
    corrupt: ingest.output.corrupt_files,
  },
  embed: { seconds: embed.seconds, peak_rss_mb: embed.peak_rss_mb, embedded: embed.output.embedded },
  embed_older_index: {
    seconds: olderEmbed.seconds,
    peak_rss_mb: olderEmbed.peak_rss_mb,
    embedded: olderEmbed.output.embedded,
    corrupt: olderEmbed.output.corrupt,
  },
  server,
  targets: {
    thumbnail_under_1s: server.slowest_bomb_thumbnail_ms < 1000,
    health_under_100ms: server.slowest_health_during_bombs_ms < 100,
    server_rss_under_500mb: server.server_peak_rss_mb < 500,
  },
};
writeFileSync(join(OUT, 'bombs.json'), JSON.stringify(report, null, 2));
console.log(JSON.stringify(report, null, 2));
