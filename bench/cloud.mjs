#!/usr/bin/env node
/**
 * Cloud ingest benchmark: list and index N objects (default 100,000) from an S3 server on
 * loopback, objects/s with memory sampled during the run, side by side with a peer on the same
 * bucket in the same run.
 *
 *   node bench/cloud.mjs [--objects 100000] [--peer-objects M] [--no-peer] [--breakdown]
 *                        [--cpu-prof] [--fill-concurrency 64] [--no-keep-alive]
 *
 * Server: versitygw (the one `scripts/setup.sh --test` builds into .test-servers/bin) on a free
 * loopback port, posix backend over a temporary folder, with `--keep-alive` as S3 itself keeps
 * connections open (--no-keep-alive: versitygw's default, a new TCP connection per request). Bucket: filled, untimed, through the S3
 * API (PutObject, 64 in flight, so versitygw stores each object's MD5 etag) with the CIFAR-10
 * test JPEGs (../shared/datasets/cifar10-test.tar.gz, extracted to a temporary folder, 10,000
 * 32×32 photos of about 1 KB) replicated under distinct keys `train/<class>/<copy>-<name>.jpg`
 * until N; the etags listed back are checked against the MD5 of what was sent.
 *
 * Winnow (in a child process, this script with --child, so its memory is its own):
 * `ingest(ws, 's3://bench/train/', { storage: { endpoint, pathStyle: true }, secrets })` into a
 * fresh workspace, timed, then the same call again (nothing changed: listing and diff only).
 * The parent samples the child's resident memory every 0.5 s; the child records, at each
 * progress event, the time, its RSS and CPU time and versitygw's CPU time, which splits the
 * run into listing and indexing (header reads + merges). --breakdown then times, in the same
 * child, the listing alone, the header reads alone (the same ranged GETs through core's
 * S3Storage, 64 in flight) to separate reads from the DuckDB work, and the same GETs through
 * node:http with a minimal hand-written SigV4 signature (the floor for a read path). --cpu-prof writes a V8 CPU
 * profile of the child to bench/out/cloud-prof/.
 *
 * Peer: LightlyStudio (pinned in bench/peers/requirements.txt with s3fs, its cloud-storage
 * extra) through bench/peers/lightly_studio_s3_ingest.py: `add_images_from_path("s3://…",
 * embed=False)` with AWS_ENDPOINT_URL, then again (its re-add skips known paths). --peer-objects M
 * gives it only the first M objects (its `limit`); objects/s are compared.
 *
 * Prints one JSON document on stdout (progress on stderr) and writes bench/out/cloud.json.
 * Target: >= 5,000 objects/s on loopback with flat memory.
 */
import { spawn } from 'node:child_process';
import { createHash, createHmac } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, stopProcess, waitForPort } from '../scripts/lib/loopback.mjs';
import { machine, OUT, parseArgs, peakRss, ROOT } from './lib/common.mjs';
import { preparePeer, VENV_PYTHON } from './peers/python.mjs';

const SELF = fileURLToPath(import.meta.url);
const CIFAR = join(ROOT, '..', 'shared', 'datasets', 'cifar10-test.tar.gz');
const VERSITYGW = join(ROOT, '.test-servers', 'bin', 'versitygw');
const PEER_SCRIPT = join(ROOT, 'bench', 'peers', 'lightly_studio_s3_ingest.py');
const TARGET_OBJECTS_PER_SECOND = 5_000;
const BUCKET = 'bench';
const PREFIX = 'train/';
const ROOT_KEYS = { accessKeyId: 'winnowbench', secretAccessKey: 'winnow-bench-secret' };
const SAMPLE_MS = 500;
const CHILD_TIMEOUT_MS = 10 * 60 * 1000;
const PEER_TIMEOUT_MS = 12 * 60 * 1000;
const CLK_TCK = 100;

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const args = parseArgs(process.argv.slice(2));
const log = (...parts) => console.error('[bench:cloud]', ...parts);
const round = (x, digits = 3) => Math.round(x * 10 ** digits) / 10 ** digits;
const mb = (bytes) => Math.round(bytes / 1e6);

/** CPU seconds (user + system) a process has used so far, from /proc/PID/stat. */
function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

function rssBytes(pid) {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) * 1024;
}

// ---------------------------------------------------------------------------------------------
// Child: Winnow's side.

if (args.child === 'winnow') {
  await winnowChild();
  process.exit(0);
}

async function winnowChild() {
  const { ingest, Workspace } = await import(new URL('../core/dist/index.js', import.meta.url).href);
  const vgw = Number(args['vgw-pid']);
  const endpoint = args.endpoint;
  const url = `s3://${BUCKET}/${PREFIX}`;
  const options = {
    dataset: 'bench',
    storage: { endpoint, pathStyle: true },
    secrets: { input: { ...ROOT_KEYS } },
  };
  const duckdb = { seconds: 0 };
  const point = () => {
    const cpu = process.cpuUsage();
    return {
      t: Date.now(),
      rss: process.memoryUsage.rss(),
      cpu: (cpu.user + cpu.system) / 1e6,
      vgw_cpu: cpuSeconds(vgw),
      duckdb: duckdb.seconds,
    };
  };
  const timedIngest = async (ws) => {
    const events = [];
    const start = point();
    const summary = await ingest(ws, url, {
      ...options,
      onProgress: (p) => events.push({ ...point(), phase: p.phase, done: p.done, total: p.total }),
    });
    return { start, end: point(), events, summary };
  };
  rmSync(args.workspace, { recursive: true, force: true });
  const ws = await Workspace.open(args.workspace);
  timeDatabaseCalls(ws.db, duckdb);
  const first = await timedIngest(ws);
  const peakAfterFirst = peakRss();
  const second = await timedIngest(ws);
  ws.close();
  const report = { first, second, peak_rss_after_first_bytes: peakAfterFirst };
  if (args.breakdown) report.breakdown = await breakdown(endpoint, point);
  report.peak_rss_bytes = peakRss();
  console.log(JSON.stringify(report));
}

/**
 * Adds to `total.seconds` the time ingest spends awaiting the workspace database (statements,
 * transactions, staging tables; outermost calls only): the DuckDB side of the run. It wraps
 * the methods of this one instance, from outside; ingest awaits them one at a time.
 */
function timeDatabaseCalls(db, total) {
  let depth = 0;
  for (const method of ['all', 'one', 'value', 'run', 'transaction', 'stage']) {
    const original = db[method].bind(db);
    db[method] = async (...params) => {
      const started = depth++ === 0 ? performance.now() : undefined;
      try {
        return await original(...params);
      } finally {
        depth--;
        if (started !== undefined) total.seconds += (performance.now() - started) / 1000;
      }
    };
  }
}

/** The listing alone, then the header reads alone (ingest's ranged GETs, 64 in flight), through core's S3Storage. */
async function breakdown(endpoint, point) {
  const { openStorage } = await import(new URL('../core/dist/storage/open.js', import.meta.url).href);
  const storage = await openStorage(
    { kind: 's3', uri: `s3://${BUCKET}/${PREFIX}`, options: { endpoint, pathStyle: true } },
    { secrets: { ...ROOT_KEYS } },
  );
  const span = async (work) => {
    const start = point();
    const value = await work();
    const end = point();
    return { value, figures: (objects) => phaseFigures(start, end, objects).figures };
  };
  const files = [];
  const listing = await span(async () => {
    for await (const page of storage.list({})) for (const f of page) files.push([f.path, f.size]);
    return files.length;
  });
  const readAll = (read) => async () => {
    let next = 0;
    let bytes = 0;
    const reader = async () => {
      for (let i = next++; i < files.length; i = next++) {
        const [path, size] = files[i];
        const got = await read(path, Math.min(size, 64 * 1024));
        bytes += got.length;
      }
    };
    await Promise.all(Array.from({ length: 64 }, reader));
    return bytes;
  };
  const reads = await span(readAll((path, length) => storage.read(path, { offset: 0, length })));
  const lean = leanReader(endpoint);
  const leanReads = await span(readAll(lean.read));
  lean.close();
  return {
    listing: { objects: listing.value, ...listing.figures(listing.value) },
    header_reads: {
      objects: files.length,
      bytes: reads.value,
      ...reads.figures(files.length),
      note: "core's S3Storage.read (SigV4 by the SDK's signer, sent without its middleware), the same ranged GETs as ingest, 64 in flight",
    },
    header_reads_lean_client: {
      objects: files.length,
      bytes: leanReads.value,
      ...leanReads.figures(files.length),
      note: 'the same GETs through node:http (keep-alive agent) with a minimal hand-written SigV4 signature: the floor for a read path',
    },
  };
}

/**
 * Ranged GETs signed with AWS SigV4 by hand (signing key cached per day) over a keep-alive
 * node:http agent: the bare cost of a header read, to compare with the SDK's.
 */
function leanReader(endpoint) {
  const url = new URL(endpoint);
  const agent = new HttpAgent({ keepAlive: true, maxSockets: 128 });
  const region = 'us-east-1';
  const emptyHash = createHash('sha256').update('').digest('hex');
  const hmac = (key, text) => createHmac('sha256', key).update(text).digest();
  let day;
  let dayKey;
  const sign = (path, range) => {
    const amzDate = new Date().toISOString().replace(/[:-]|\.\d{3}/g, '');
    if (amzDate.slice(0, 8) !== day) {
      day = amzDate.slice(0, 8);
      dayKey = hmac(hmac(hmac(hmac(`AWS4${ROOT_KEYS.secretAccessKey}`, day), region), 's3'), 'aws4_request');
    }
    const headers = { host: url.host, range, 'x-amz-content-sha256': emptyHash, 'x-amz-date': amzDate };
    const names = Object.keys(headers).sort();
    const canonical = [
      'GET',
      path,
      '',
      ...names.map((n) => `${n}:${headers[n]}`),
      '',
      names.join(';'),
      emptyHash,
    ];
    const scope = `${day}/${region}/s3/aws4_request`;
    const digest = createHash('sha256').update(canonical.join('\n')).digest('hex');
    const signature = createHmac('sha256', dayKey)
      .update(['AWS4-HMAC-SHA256', amzDate, scope, digest].join('\n'))
      .digest('hex');
    headers.authorization =
      `AWS4-HMAC-SHA256 Credential=${ROOT_KEYS.accessKeyId}/${scope}, ` +
      `SignedHeaders=${names.join(';')}, Signature=${signature}`;
    return headers;
  };
  const read = (path, length) =>
    new Promise((resolve, reject) => {
      const key = `/${BUCKET}/${PREFIX}${path}`.split('/').map(encodeURIComponent).join('/');
      const request = httpRequest(
        { agent, host: url.hostname, port: url.port, path: key, headers: sign(key, `bytes=0-${length - 1}`) },
        (response) => {
          const chunks = [];
          response.on('data', (chunk) => chunks.push(chunk));
          response.on('end', () =>
            response.statusCode < 300
              ? resolve(Buffer.concat(chunks))
              : reject(new Error(`GET ${key}: HTTP ${response.statusCode}`)),
          );
          response.on('error', reject);
        },
      );
      request.on('error', reject);
      request.end();
    });
  return { read, close: () => agent.destroy() };
}

/** Wall seconds, objects/s and CPU seconds of both processes between two points. */
function phaseFigures(a, b, objects) {
  const seconds = (b.t - a.t) / 1000;
  const figures = {
    seconds: round(seconds),
    winnow_cpu_s: round(b.cpu - a.cpu, 2),
    versitygw_cpu_s: round(b.vgw_cpu - a.vgw_cpu, 2),
  };
  if (a.duckdb !== undefined) figures.awaiting_duckdb_s = round(b.duckdb - a.duckdb);
  if (objects) figures.objects_per_second = Math.round(objects / seconds);
  return { figures, ...figures };
}

// ---------------------------------------------------------------------------------------------
// Parent.

/**
 * versitygw over a fresh folder (the way core/test/servers/s3.ts starts it, without IAM), with
 * keep-alive connections unless `keepAlive` is false (versitygw's default then answers every
 * request with `Connection: close`, which S3 itself does not).
 */
async function startVersitygw(dataDir, keepAlive) {
  const port = await freePort();
  const child = spawn(
    VERSITYGW,
    [
      ...(keepAlive ? ['--keep-alive'] : []),
      '--access',
      ROOT_KEYS.accessKeyId,
      '--secret',
      ROOT_KEYS.secretAccessKey,
      '--port',
      `127.0.0.1:${port}`,
      '--quiet',
      'posix',
      dataDir,
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  await waitForPort(port, child);
  return { endpoint: `http://127.0.0.1:${port}`, pid: child.pid, stop: () => stopProcess(child) };
}

/** The CIFAR-10 test JPEGs, extracted to `dir`: [{ cls, name, bytes }], sorted. */
async function cifarPhotos(dir) {
  await runQuiet('tar', ['-xzf', CIFAR, '-C', dir]);
  const root = join(dir, 'test');
  return readdirSync(root)
    .sort()
    .flatMap((cls) =>
      readdirSync(join(root, cls))
        .sort()
        .map((name) => ({ cls, name, bytes: readFileSync(join(root, cls, name)) })),
    );
}

function runQuiet(command, argv) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, argv, { stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`${command} exited with ${code}`)),
    );
  });
}

/** Object i: photo i mod 10,000, copy i div 10,000, under train/<class>/<copy>-<name>. */
const keyOf = (photos, i) => {
  const photo = photos[i % photos.length];
  const copy = String(Math.floor(i / photos.length)).padStart(2, '0');
  return { key: `${PREFIX}${photo.cls}/${copy}-${photo.name}`, photo };
};

async function fillBucket(endpoint, photos, n, concurrency) {
  const { CreateBucketCommand, ListObjectsV2Command, PutObjectCommand, S3Client } = await import(
    '@aws-sdk/client-s3'
  );
  const { NodeHttpHandler } = await import('@smithy/node-http-handler');
  const client = new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: ROOT_KEYS,
    requestHandler: new NodeHttpHandler({
      httpAgent: new HttpAgent({ keepAlive: true, maxSockets: concurrency }),
    }),
  });
  const started = performance.now();
  await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
  let next = 0;
  let bytes = 0;
  const putter = async () => {
    for (let i = next++; i < n; i = next++) {
      const { key, photo } = keyOf(photos, i);
      bytes += photo.bytes.length;
      await client.send(
        new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: photo.bytes, ContentType: 'image/jpeg' }),
      );
      if ((i + 1) % 20_000 === 0) log(`  ${i + 1} objects uploaded`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, putter));
  const seconds = (performance.now() - started) / 1000;
  // The etags versitygw lists must be the MD5 of what was sent (it computes them on PUT).
  const page = await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: PREFIX, MaxKeys: 1000 }));
  const sent = new Map();
  for (let i = 0; i < Math.min(n, photos.length * 10); i++) {
    const { key, photo } = keyOf(photos, i);
    sent.set(key, photo.bytes);
  }
  let checked = 0;
  for (const object of page.Contents ?? []) {
    const bytes = sent.get(object.Key);
    if (!bytes) continue;
    const md5 = createHash('md5').update(bytes).digest('hex');
    if (object.ETag?.replace(/"/g, '') !== md5)
      throw new Error(`${object.Key}: etag ${object.ETag} is not ${md5}`);
    checked++;
  }
  if (checked === 0) throw new Error('no listed object could be checked against what was uploaded');
  client.destroy();
  return {
    method: `PutObject through the S3 API (@aws-sdk/client-s3, ${concurrency} in flight), untimed`,
    seconds: round(seconds, 1),
    objects_per_second: Math.round(n / seconds),
    bytes,
    etags_checked: `${checked} listed etags equal the MD5 of the uploaded bytes`,
  };
}

/**
 * Spawns a child that prints JSON as its last stdout line, sampling its resident memory every
 * SAMPLE_MS. Resolves with { report, samples: [{ t, rss }] }.
 */
function spawnSampled(command, argv, { timeoutMs, env }) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, argv, {
      stdio: ['ignore', 'pipe', 'inherit'],
      timeout: timeoutMs,
      env: { ...process.env, ...env },
    });
    const samples = [];
    const sample = () => {
      try {
        samples.push({ t: Date.now(), rss: rssBytes(child.pid) });
      } catch {}
    };
    const timer = setInterval(sample, SAMPLE_MS);
    let stdout = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.on('error', reject);
    child.on('close', (status, signal) => {
      clearInterval(timer);
      if (status !== 0)
        return reject(new Error(`${command} ${signal ? `killed (${signal})` : `exited with ${status}`}`));
      try {
        resolve({ report: JSON.parse(stdout.trim().split('\n').at(-1)), samples });
      } catch (error) {
        reject(error);
      }
    });
  });
}

/** Resident memory samples in MB, thinned to at most 60 evenly spaced values. */
function series(samples) {
  const step = Math.max(1, Math.ceil(samples.length / 60));
  return {
    every_s: (SAMPLE_MS * step) / 1000,
    values: samples.filter((_, i) => i % step === 0).map((s) => mb(s.rss)),
  };
}

/** Figures of one timed ingest from the child's points, its progress events and the parent's samples. */
function ingestFigures(run, n, samples) {
  const { start, end, events, summary } = run;
  const listing = events.filter((e) => e.phase === 'listing');
  const indexing = events.filter((e) => e.phase === 'indexing');
  const listed = listing.at(-1) ?? start;
  const indexed = indexing.at(-1) ?? listed;
  const seconds = (end.t - start.t) / 1000;
  const phase = (a, b) => phaseFigures(a, b).figures;
  const figures = {
    seconds: round(seconds),
    objects_per_s: Math.round(n / seconds),
    summary: {
      images: summary.images,
      added: summary.added,
      unchanged: summary.unchanged,
      corrupt: summary.corrupt,
      seconds: summary.seconds,
    },
    phases: {
      listing: {
        ...phase(start, listed),
        note: 'from the call to the last listed page (includes the permission check)',
      },
      indexing: { ...phase(listed, indexed), note: 'plan + header reads + DuckDB merges, 4,096 rows a page' },
      finish: phase(indexed, end),
      total: phase(start, end),
    },
  };
  if (indexing.length) {
    const total = indexing[0].total;
    figures.rss_at_progress_mb = { 'listed (0 % indexed)': mb(listed.rss) };
    for (const fraction of [0.25, 0.5, 0.75, 1]) {
      const at = indexing.find((e) => e.done >= fraction * total);
      figures.rss_at_progress_mb[`${fraction * 100} % indexed`] = mb(at.rss);
    }
  }
  const during = samples.filter((s) => s.t >= start.t && s.t <= end.t);
  if (during.length) figures.rss_series_mb = series(during);
  return figures;
}

async function main() {
  const n = Number(args.objects ?? 100_000);
  const peerObjects = Math.min(Number(args['peer-objects'] ?? n), n);
  const withPeer = !args['no-peer'];
  const concurrency = Number(args['fill-concurrency'] ?? 64);
  const keepAlive = !args['no-keep-alive'];
  mkdirSync(OUT, { recursive: true });
  const temp = mkdtempSync(join(tmpdir(), 'winnow-bench-cloud-'));
  const dataDir = join(temp, 'data');
  mkdirSync(dataDir);
  let server;
  try {
    // Install the peer first, so pip's work stays out of every timing.
    let peer = withPeer ? { peer: 'lightly-studio' } : { skipped: '--no-peer' };
    let peerInstall;
    if (withPeer) {
      try {
        peerInstall = await preparePeer();
      } catch (error) {
        peer = { peer: 'lightly-studio', error: `install failed: ${error.message}` };
      }
    }
    const photos = await cifarPhotos(temp);
    server = await startVersitygw(dataDir, keepAlive);
    log(`versitygw at ${server.endpoint}; uploading ${n} objects`);
    const fill = await fillBucket(server.endpoint, photos, n, concurrency);
    log(`filled in ${fill.seconds} s (${fill.objects_per_second} PUT/s)`);

    log('Winnow: ingest, then again (unchanged)');
    const childArgs = [
      ...(args['cpu-prof'] ? ['--cpu-prof', '--cpu-prof-dir', join(OUT, 'cloud-prof')] : []),
      SELF,
      '--child',
      'winnow',
      '--endpoint',
      server.endpoint,
      '--vgw-pid',
      String(server.pid),
      '--workspace',
      join(temp, 'workspace'),
      ...(args.breakdown ? ['--breakdown'] : []),
    ];
    const { report: w, samples } = await spawnSampled(process.execPath, childArgs, {
      timeoutMs: CHILD_TIMEOUT_MS,
    });
    const first = ingestFigures(w.first, n, samples);
    const again = ingestFigures(w.second, n, samples);
    log(`Winnow: ${first.objects_per_s} objects/s, unchanged re-ingest ${again.objects_per_s} objects/s`);
    const winnow = {
      seconds: first.seconds,
      objects_per_s: first.objects_per_s,
      peak_rss_mb: mb(w.peak_rss_after_first_bytes),
      peak_rss_note: 'VmHWM of the child process after the first ingest (Node, the SDK, DuckDB)',
      rss_at_progress_mb: first.rss_at_progress_mb,
      rss_series_mb: first.rss_series_mb,
      phases: first.phases,
      summary: first.summary,
      incremental: {
        seconds: again.seconds,
        objects_per_s: again.objects_per_s,
        phases: again.phases,
        summary: again.summary,
      },
      peak_rss_whole_child_mb: mb(w.peak_rss_bytes),
    };
    if (w.breakdown) winnow.breakdown = w.breakdown;

    if (peerInstall) {
      log(`LightlyStudio: indexing ${peerObjects} objects from s3://${BUCKET}/${PREFIX}`);
      const vgwBefore = cpuSeconds(server.pid);
      const peerArgs = [PEER_SCRIPT, `s3://${BUCKET}/${PREFIX}`, '--endpoint', server.endpoint];
      if (peerObjects < n) peerArgs.push('--limit', String(peerObjects));
      peerArgs.push('--out', join(temp, 'lightly-studio'));
      try {
        const { report, samples: peerSamples } = await spawnSampled(VENV_PYTHON, peerArgs, {
          timeoutMs: PEER_TIMEOUT_MS,
          env: { AWS_ACCESS_KEY_ID: ROOT_KEYS.accessKeyId, AWS_SECRET_ACCESS_KEY: ROOT_KEYS.secretAccessKey },
        });
        peer = {
          ...report,
          peak_rss_mb: mb(report.peak_rss_bytes),
          rss_series_mb: {
            ...series(peerSamples),
            note: 'the whole peer process: import, first add, re-add',
          },
          versitygw_cpu_s_whole_peer: round(cpuSeconds(server.pid) - vgwBefore, 2),
          install: peerInstall,
        };
        if (report.objects !== peerObjects)
          peer.error = `indexed ${report.objects} of ${peerObjects} objects`;
        log(`LightlyStudio: ${report.objects_per_second} objects/s`);
      } catch (error) {
        peer = { peer: 'lightly-studio', error: error.message, install: peerInstall };
      }
      if (peerObjects < n) {
        peer.subset = `first ${peerObjects} of the ${n} objects (add_images_from_path limit); compare objects/s`;
      }
    }
    const peerOk = withPeer && !peer.error && peer.objects_per_second > 0;
    const report = {
      benchmark: 'cloud',
      machine: machine(),
      server: {
        name: 'versitygw v1.8.0',
        backend: 'posix, a temporary folder on the local disk (ext4)',
        address: '127.0.0.1, on the same 2 cores as both clients',
        keep_alive: keepAlive,
      },
      objects: n,
      object_bytes_mean: Math.round(fill.bytes / n),
      fill,
      winnow,
      peer,
      ratio: peerOk ? round(winnow.objects_per_s / peer.objects_per_second, 2) : null,
      incremental_ratio: peerOk ? round(again.objects_per_s / peer.incremental.objects_per_second, 2) : null,
      ratio_note: 'objects/s, Winnow / LightlyStudio (first index; unchanged re-index vs its re-add)',
      target_objects_per_s: TARGET_OBJECTS_PER_SECOND,
      target_met: first.objects_per_s >= TARGET_OBJECTS_PER_SECOND && first.summary.added === n,
      peak_parent_rss_mb: mb(peakRss()),
    };
    writeFileSync(join(OUT, 'cloud.json'), `${JSON.stringify(report, null, 2)}\n`);
    console.log(JSON.stringify(report, null, 2));
  } finally {
    await server?.stop();
    rmSync(temp, { recursive: true, force: true });
  }
}

await main();
