import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { throwIfAborted, WinnowError } from '../errors.js';
import type { WorkArea } from '../storage/work.js';
import { embeddingTable, listModels } from '../store/embeddings.js';
import { recordRunProgress, withRun } from '../store/runs.js';
import type { Dataset, Workspace } from '../store/workspace.js';
import { type MergeResult, mergePart, SAMPLE_VERSION_SQL, type ShardSample } from './parts.js';
import { type EmbedOptions, prepareRun } from './run.js';
import type { ShardManifest, ShardSummary } from './shard.js';

export interface RayEmbedOptions extends EmbedOptions {
  /** The Ray cluster: `HOST:PORT` of its head, or `auto` (RAY_ADDRESS, else a cluster started on this machine). */
  ray: string;
  /** The engine command on the nodes (default `winnow`, from the wheel): `node /opt/winnow/core/bin/winnow.js`. */
  rayRuntime?: string;
  /** Images per shard (default 1,000). */
  shardSize?: number;
  /** CPUs each shard asks of Ray (default 1). */
  cpusPerShard?: number;
  /** The Python with `ray` that drives the cluster (default WINNOW_PYTHON, else python3). */
  python?: string;
}

export interface RayEmbedSummary {
  run_id: string;
  dataset: string;
  model: string;
  dim: number;
  /** Images whose vectors this run merged. */
  embedded: number;
  /** Images that already had a vector of the model. */
  skipped: number;
  corrupt: number;
  shards: { total: number; merged: number; failed: { shard: string; error: string }[] };
  /** Samples left pending: in a failed shard, or changed since their shard read them. */
  pending: number;
  /** The Ray nodes the shards ran on. */
  nodes: string[];
  /** Videos are not sharded: they wait for `winnow embed` without --ray. */
  videos_pending: number;
  /** The time the merged shards took on their engines, added up (the start-up and the merges not in it). */
  shard_seconds: number;
  seconds: number;
}

const DEFAULT_SHARD_SIZE = 1000;
/** Ray runs a shard again this many times when its task fails or its worker dies. */
const SHARD_RETRIES = 3;

/**
 * Embeds a dataset's pending images over a Ray cluster. The images are split into shards by a
 * stable key (a hash of the path, over as many shards as the dataset's images need), so a re-run
 * makes the same shards. The driver (core/ray/driver.py) starts one engine per slot of CPUs on the
 * cluster (a Ray actor running this engine's `embed-shard --serve`, the model kept loaded) and
 * feeds it shards: each reads its samples from the input and writes their thumbnails and a
 * Parquet part of vectors to the work location. This process, the workspace's owner, merges each
 * part as it lands (idempotent: see mergePart). A failed shard, or one whose engine died, runs
 * again; a re-run skips the samples merged already, and first merges the parts an interrupted
 * run left behind.
 */
export async function embedOnRay(
  ws: Workspace,
  dataset: Dataset,
  options: RayEmbedOptions,
): Promise<RayEmbedSummary> {
  const started = performance.now();
  const { work, spec } = await prepareRun(ws, dataset, options);
  const model = { name: spec.name, source: { model: spec.name } };
  const config = { model: spec.name, ray: options.ray, shardSize: options.shardSize ?? DEFAULT_SHARD_SIZE };
  return withRun(ws.db, dataset.id, 'embedding', config, async (runId) => {
    const summary: RayEmbedSummary = {
      run_id: runId,
      dataset: dataset.name,
      model: spec.name,
      dim: 0,
      embedded: 0,
      skipped: 0,
      corrupt: 0,
      shards: { total: 0, merged: 0, failed: [] },
      pending: 0,
      nodes: [],
      videos_pending: 0,
      shard_seconds: 0,
      seconds: 0,
    };
    const count = (merge: MergeResult) => {
      summary.embedded += merge.merged;
      summary.corrupt += merge.corrupt;
      summary.dim = merge.dim || summary.dim;
    };
    for (const part of await leftoverParts(ws, dataset, work, spec.name))
      count(await mergePart(ws, dataset, work, part, model));
    const plan = await planShards(ws, dataset, spec.name, config.shardSize);
    summary.skipped = plan.skipped;
    summary.videos_pending = plan.videos;
    summary.shards.total = plan.shards.length;
    const total = plan.shards.reduce((n, s) => n + s.samples.length, 0);
    const progress = () => {
      const phase = `embed on Ray: ${summary.shards.merged}/${summary.shards.total} shards, ${summary.nodes.length} nodes`;
      options.onProgress?.({ phase, done: summary.embedded + summary.corrupt, total });
    };
    if (plan.shards.length) {
      const manifests = plan.shards.map((shard) => manifestOf(runId, dataset, shard, options, spec.name));
      await driveCluster(options, manifests, {
        onShard: async (result) => {
          count(await mergePart(ws, dataset, work, result.part, model));
          summary.shards.merged += 1;
          summary.shard_seconds += result.seconds;
          if (result.node && !summary.nodes.includes(result.node)) summary.nodes.push(result.node);
          await recordRunProgress(ws.db, runId, summary);
          progress();
        },
        onFailed: (shard, error) => {
          summary.shards.failed.push({ shard, error });
        },
        onConnected: progress,
      });
    }
    summary.pending = await pendingImageCount(ws, dataset, spec.name);
    summary.seconds = (performance.now() - started) / 1000;
    return summary;
  });
}

interface Shard {
  name: string;
  samples: ShardSample[];
}

/**
 * The pending images of the model, in shards. A shard's number is a hash of the path modulo
 * the number of shards, which comes from the dataset's image count (not the pending ones), so
 * the same image falls in the same shard on every run of an unchanged dataset.
 */
async function planShards(
  ws: Workspace,
  dataset: Dataset,
  modelName: string,
  shardSize: number,
): Promise<{ shards: Shard[]; skipped: number; videos: number }> {
  const done = await embeddedFilter(ws, dataset, modelName);
  const images = await ws.db.all<{ id: number; path: string; version: string; pending: boolean }>(
    `SELECT s.sample_id AS id, s.path, ${SAMPLE_VERSION_SQL} AS version, ${done ? `s.sample_id NOT IN (${done})` : 'true'} AS pending
     FROM winnow.samples s WHERE s.dataset_id = ? AND s.kind = 'image' AND s.status = 'ok' ORDER BY s.sample_id`,
    [dataset.id],
  );
  const count = Math.max(1, Math.ceil(images.length / shardSize));
  const width = String(count).length;
  const shards = new Map<number, ShardSample[]>();
  for (const { id, path, version, pending } of images) {
    if (!pending) continue;
    const index = createHash('sha1').update(path).digest().readUInt32BE(0) % count;
    const shard = shards.get(index) ?? [];
    shard.push({ id, path, version });
    shards.set(index, shard);
  }
  const videos = await ws.db.value<number>(
    `SELECT count(*) FROM winnow.samples s WHERE s.dataset_id = ? AND s.kind = 'video' AND s.status = 'ok'
     ${done ? `AND s.sample_id NOT IN (${done})` : ''}`,
    [dataset.id],
  );
  return {
    shards: [...shards.entries()]
      .sort(([a], [b]) => a - b)
      .map(([index, samples]) => ({ name: `${String(index).padStart(width, '0')}-of-${count}`, samples })),
    skipped: images.filter((i) => !i.pending).length,
    videos,
  };
}

/** SQL listing the samples that have a vector of the model, or undefined when none has. */
async function embeddedFilter(
  ws: Workspace,
  dataset: Dataset,
  modelName: string,
): Promise<string | undefined> {
  const model = (await listModels(ws.db, dataset.id)).find((m) => m.name === modelName);
  return model ? `SELECT sample_id FROM ${embeddingTable(model)}` : undefined;
}

async function pendingImageCount(ws: Workspace, dataset: Dataset, modelName: string): Promise<number> {
  const done = await embeddedFilter(ws, dataset, modelName);
  return ws.db.value<number>(
    `SELECT count(*) FROM winnow.samples s WHERE s.dataset_id = ? AND s.kind = 'image' AND s.status = 'ok'
     ${done ? `AND s.sample_id NOT IN (${done})` : ''}`,
    [dataset.id],
  );
}

/** The parts that earlier Ray runs of this model wrote but did not merge (they stopped first). */
async function leftoverParts(
  ws: Workspace,
  dataset: Dataset,
  work: WorkArea,
  modelName: string,
): Promise<string[]> {
  const runs = await ws.db.all<{ run_id: string }>(
    `SELECT run_id FROM winnow.runs WHERE dataset_id = ? AND kind = 'embedding' AND status <> 'done'
       AND json_extract_string(config, '$.ray') IS NOT NULL AND json_extract_string(config, '$.model') = ?`,
    [dataset.id, modelName],
  );
  const parts: string[] = [];
  for (const { run_id } of runs) parts.push(...(await work.list(`parts/${run_id}`)));
  return parts.filter((path) => path.endsWith('.parquet'));
}

function manifestOf(
  runId: string,
  dataset: Dataset,
  shard: Shard,
  options: RayEmbedOptions,
  modelName: string,
): { shard: string; samples: number; manifest: ShardManifest } {
  const manifest: ShardManifest = {
    run_id: runId,
    shard: shard.name,
    input: dataset.input,
    work: dataset.work,
    model: modelName,
    model_config: options.modelConfig,
    device: options.device ?? 'auto',
    batch_size: options.batchSize,
    thumbnail_size: options.thumbnailSize,
    cores: options.cpusPerShard,
    samples: shard.samples,
  };
  return { shard: shard.name, samples: shard.samples.length, manifest };
}

/** What `core/ray/driver.py` prints, one JSON object a line. */
type DriverEvent =
  | { event: 'connected'; nodes: number; cpus: number }
  | { event: 'shard'; shard: string; result: ShardSummary & { node?: string } }
  | { event: 'failed'; shard: string; error: string }
  | { event: 'cancelled' }
  | { event: 'done' };

interface DriverHandlers {
  onShard(result: ShardSummary & { node?: string }): Promise<void>;
  onFailed(shard: string, error: string): void;
  onConnected(): void;
}

/**
 * Runs the Ray driver (a Python process with `ray`) over the shards and hands each finished
 * shard to `onShard`, one at a time, in the order they finish. Cancelling stops the driver,
 * which cancels the tasks on the cluster.
 */
async function driveCluster(
  options: RayEmbedOptions,
  shards: ReturnType<typeof manifestOf>[],
  handlers: DriverHandlers,
): Promise<void> {
  throwIfAborted(options.signal);
  const python = options.python ?? process.env.WINNOW_PYTHON ?? 'python3';
  const child = spawn(python, [driverScript()], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, RAY_USAGE_STATS_ENABLED: '0' },
  });
  const stop = () => child.kill('SIGTERM');
  options.signal?.addEventListener('abort', stop, { once: true });
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  const exited = exitOf(child);
  child.stdin.end(
    JSON.stringify({
      address: options.ray,
      runtime: (options.rayRuntime ?? 'winnow').split(/\s+/).filter(Boolean),
      num_cpus: options.cpusPerShard ?? 1,
      max_retries: SHARD_RETRIES,
      shards,
    }),
  );
  try {
    let finished = false;
    for await (const line of createInterface({ input: child.stdout })) {
      if (!line.trim()) continue;
      const event = JSON.parse(line) as DriverEvent;
      if (event.event === 'connected') handlers.onConnected();
      else if (event.event === 'shard') await handlers.onShard(event.result);
      else if (event.event === 'failed') handlers.onFailed(event.shard, event.error);
      else if (event.event === 'done') finished = true;
    }
    const code = await exited;
    throwIfAborted(options.signal);
    if (!finished) {
      const reason = stderr.trim().split('\n').at(-1) || `the Ray driver exited with code ${code}`;
      throw new WinnowError('unavailable', `embed --ray: ${reason}`);
    }
  } finally {
    options.signal?.removeEventListener('abort', stop);
    if (child.exitCode === null) stop();
  }
}

function exitOf(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    child.on('error', (error) =>
      reject(new WinnowError('unavailable', `embed --ray: cannot run ${child.spawnfile}: ${error.message}`)),
    );
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}

/** The driver beside the engine: `core/ray/driver.py` in a checkout or the npm package, `ray/` in the wheel's engine. */
function driverScript(): string {
  for (const relative of ['../../ray/driver.py', '../ray/driver.py']) {
    const path = fileURLToPath(new URL(relative, import.meta.url));
    if (existsSync(path)) return path;
  }
  throw new WinnowError('internal', 'the Ray driver (ray/driver.py) is missing from this installation');
}
