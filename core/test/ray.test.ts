import { execFile, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mapLimited } from '../src/util/concurrency.js';
import { filesUnder, REPOSITORY, tempDir, winnowWithEnv } from './helpers.js';
import { type RayCluster, startRayCluster } from './servers/ray-cluster.js';
import { type S3Server, startS3Server } from './servers/s3.js';

/**
 * `winnow embed --ray` on a real two-node Ray cluster on loopback, with the S3 server of the
 * storage tests as the shared bucket: 2,000 CIFAR-10 test images, their vectors compared with a
 * single-process embed of the same images, a Ray worker killed mid-run, a re-run with nothing to
 * do, and no credential in the workspace, the parts or Ray's logs.
 */
const run = promisify(execFile);
const IMAGES = 2000;
const KEYS = { accessKeyId: 'WINNOWRAYKEY3M7Q', secretAccessKey: 'winnow-ray-secret-8c2e4b1f' };
/** Listed apart: the SDK marks the credentials object it is given ($source). */
const SECRETS = [KEYS.accessKeyId, KEYS.secretAccessKey];
const ENV = {
  WINNOW_MODEL_DIR: join(REPOSITORY, '../shared/models'),
  RAY_S3_KEY: KEYS.accessKeyId,
  RAY_S3_SECRET: KEYS.secretAccessKey,
};
const MODEL = ['--model', 'squeezenet1.1', '--device', 'cpu'];

let s3: S3Server;
let cluster: RayCluster;
const printed: string[] = [];

function storageFlags(): string[] {
  return [
    `endpoint=${s3.endpoint}`,
    'path-style',
    'access-key-env=RAY_S3_KEY',
    'secret-key-env=RAY_S3_SECRET',
  ].flatMap((pair) => ['--storage', pair]);
}

async function cli(workspace: string, ...args: string[]) {
  const result = await winnowWithEnv({ ...ENV, WINNOW_PYTHON: cluster.python }, workspace, ...args);
  printed.push(result.stdout, result.stderr);
  expect(result.code, result.stderr).toBe(0);
  return result.stdout;
}

beforeAll(async () => {
  s3 = await startS3Server({ ...KEYS });
  await s3.createBucket('images');
  await s3.createBucket('work');
  const extracted = tempDir();
  execFileSync('tar', ['-xzf', join(REPOSITORY, '../shared/datasets/cifar10-test.tar.gz'), '-C', extracted]);
  const classes = readdirSync(join(extracted, 'test')).sort();
  const files = classes.flatMap((c) =>
    readdirSync(join(extracted, 'test', c))
      .sort()
      .slice(0, IMAGES / classes.length)
      .map((f) => `${c}/${f}`),
  );
  await mapLimited(files, 32, (file) =>
    s3.put('images', `cifar/${file}`, readFileSync(join(extracted, 'test', file))),
  );
  cluster = await startRayCluster({ env: ENV, cpusPerNode: 1 });
}, 180_000);

afterAll(async () => {
  await cluster?.stop();
  await s3?.stop();
});

/** Each sample's vector of the model, by path, from a workspace's DuckDB file (read-only). */
async function vectorsOf(workspace: string): Promise<Map<string, number[]>> {
  const db = await DuckDBInstance.create(join(workspace, 'workspace.duckdb'), { access_mode: 'READ_ONLY' });
  const connection = await db.connect();
  try {
    const reader = await connection.runAndReadAll(
      `SELECT s.path, e.vector::FLOAT[] AS vector FROM winnow.embeddings_1 e JOIN winnow.samples s USING (sample_id)`,
    );
    const rows = reader.getRowObjectsJS();
    const vectors = new Map(rows.map((row) => [row.path as string, (row.vector as number[]).map(Number)]));
    // A part merged twice would show as a sample with two rows.
    expect(vectors.size, 'one vector a sample').toBe(rows.length);
    return vectors;
  } finally {
    connection.closeSync();
    db.closeSync();
  }
}

function cosine(a: number[], b: number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return dot / Math.sqrt(na * nb);
}

/** The pid of a Ray worker running a shard (the parent of an `embed-shard` process), once one runs. */
async function shardWorker(timeoutMs: number): Promise<number> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const found = await run('pgrep', ['-f', 'winnow.js embed-shard']).catch(() => ({ stdout: '' }));
    const child = found.stdout.trim().split('\n').filter(Boolean)[0];
    if (child) {
      const parent = (await run('ps', ['-o', 'ppid=', '-p', child])).stdout.trim();
      if (parent) return Number(parent);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('no shard started on the cluster');
}

describe('embed --ray on a two-node Ray cluster', () => {
  // One workspace through the describe (tempDir's folders go after each test).
  const home = mkdtempSync(join(tmpdir(), 'winnow-ray-'));
  afterAll(() => rmSync(home, { recursive: true, force: true }));
  const onRay = join(home, 'ray', '.winnow');
  const single = join(home, 'single', '.winnow');

  it('embeds the bucket over both nodes with a worker killed mid-run; the vectors equal a single-process embed', async () => {
    await cli(
      onRay,
      'ingest',
      's3://images/cifar/',
      '--dataset',
      'cifar',
      '--work',
      's3://work/ray/',
      ...storageFlags(),
    );
    await cli(
      single,
      'ingest',
      's3://images/cifar/',
      '--dataset',
      'cifar',
      '--work',
      's3://work/single/',
      ...storageFlags(),
    );
    await cli(single, 'embed', '--dataset', 'cifar', ...MODEL);

    const args = [
      ...['--workspace', onRay, '--json', 'embed', '--dataset', 'cifar', ...MODEL],
      ...[
        '--ray',
        cluster.address,
        '--ray-runtime',
        `node ${join(REPOSITORY, 'core/bin/winnow.js')}`,
        '--shard-size',
        '250',
      ],
    ];
    const child = spawn('node', [join(REPOSITORY, 'core/bin/winnow.js'), ...args], {
      env: { ...process.env, ...ENV, WINNOW_PYTHON: cluster.python },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const exited = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? 1)));
    // A Ray worker dies while it runs a shard: Ray runs that shard again elsewhere.
    process.kill(await shardWorker(120_000), 'SIGKILL');
    expect(await exited, stderr).toBe(0);
    printed.push(stdout, stderr);
    const summary = JSON.parse(stdout);
    expect(summary).toMatchObject({
      embedded: IMAGES,
      corrupt: 0,
      pending: 0,
      shards: { total: 8, merged: 8, failed: [] },
    });
    expect(summary.nodes).toHaveLength(2);

    const [distributed, reference] = [await vectorsOf(onRay), await vectorsOf(single)];
    expect(distributed.size).toBe(IMAGES);
    expect([...distributed.keys()].sort()).toEqual([...reference.keys()].sort());
    const worst = Math.min(...[...distributed].map(([path, v]) => cosine(v, reference.get(path)!)));
    expect(worst).toBeGreaterThanOrEqual(0.9999);
    // Each shard's part is in the work bucket, and every image has its thumbnail there.
    const work = join(s3.dataDir, 'work', 'ray', '.winnow');
    expect(readdirSync(join(work, 'parts', summary.run_id))).toHaveLength(8);
    expect(readdirSync(join(work, 'thumbnails'))).toHaveLength(IMAGES);
  }, 600_000);

  it('Ctrl-C stops the run: the engines on the cluster end, the run is recorded cancelled', async () => {
    const workspace = join(home, 'cancelled', '.winnow');
    await cli(
      workspace,
      'ingest',
      's3://images/cifar/',
      '--dataset',
      'cifar',
      '--work',
      's3://work/cancelled/',
      ...storageFlags(),
    );
    const child = spawn(
      'node',
      [
        join(REPOSITORY, 'core/bin/winnow.js'),
        ...['--workspace', workspace, 'embed', '--dataset', 'cifar', ...MODEL, '--ray', cluster.address],
        ...['--ray-runtime', `node ${join(REPOSITORY, 'core/bin/winnow.js')}`, '--shard-size', '250'],
      ],
      { env: { ...process.env, ...ENV, WINNOW_PYTHON: cluster.python }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const exited = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? 1)));
    await shardWorker(120_000);
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    // The engines see their workers killed and stop within a second or two.
    let left = '';
    for (let tries = 0; tries < 50; tries++) {
      left = (
        await run('pgrep', ['-f', 'winnow.js embed-shard']).catch(() => ({ stdout: '' }))
      ).stdout.trim();
      if (!left) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(left, 'embed-shard processes left running').toBe('');
    const runs = JSON.parse(
      await cli(workspace, '--json', 'query', '--sql', "SELECT status FROM runs WHERE kind = 'embedding'"),
    );
    expect(runs.rows).toEqual([{ status: 'cancelled' }]);
  }, 180_000);

  it('a second run has nothing to do, and what is downstream works on the merged vectors', async () => {
    const again = JSON.parse(
      await cli(onRay, '--json', 'embed', '--dataset', 'cifar', ...MODEL, '--ray', cluster.address),
    );
    expect(again).toMatchObject({ embedded: 0, skipped: IMAGES, shards: { total: 0, merged: 0 } });
    const analyzed = JSON.parse(
      await cli(onRay, '--json', 'analyze', '--dataset', 'cifar', '--model', 'squeezenet1.1', '--typicality'),
    );
    expect(analyzed).toMatchObject({ samples: IMAGES, typicality: { key: expect.any(String) } });
  }, 120_000);

  it('no credential is in the workspace, the parts, Ray logs or what was printed', () => {
    const files = [
      ...filesUnder(onRay),
      ...filesUnder(join(s3.dataDir, 'work', 'ray')),
      ...cluster.tempDirs.flatMap((dir) => filesUnder(dir)),
    ];
    expect(files.some((f) => f.endsWith('.parquet'))).toBe(true);
    expect(files.some((f) => /\/logs\//.test(f))).toBe(true);
    for (const file of files) {
      const bytes = readFileSync(file);
      for (const secret of SECRETS) expect(bytes.includes(secret), `${secret} in ${file}`).toBe(false);
    }
    for (const secret of SECRETS) expect(printed.join('\n')).not.toContain(secret);
  });
});
