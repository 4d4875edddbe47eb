// With a server running for the workspace (a notebook showed a view), the `winnow` command goes
// through it: the same commands succeed and print the same JSON as on a workspace no server holds.
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findRunning, type RuntimeInfo } from '../src/server/runtime.js';
import { COCO128, REPOSITORY, tempDir, winnow, winnowWithEnv } from './helpers.js';
import { type S3Server, startS3Server } from './servers/s3.js';

const IMAGES = join(COCO128, 'images');
const MODELS = { WINNOW_MODEL_DIR: join(REPOSITORY, '../shared/models') };

/** Two workspaces with coco128 ingested as `coco`: one a server holds, one no server holds. */
const folders = [mkdtempSync(join(tmpdir(), 'winnow-served-')), mkdtempSync(join(tmpdir(), 'winnow-plain-'))];
const [served, plain] = folders.map((folder) => join(folder, '.winnow')) as [string, string];
let serve: ChildProcessWithoutNullStreams;
let server: RuntimeInfo;

beforeAll(async () => {
  for (const dir of [served, plain]) {
    const ingested = await winnow(dir, 'ingest', IMAGES, '--dataset', 'coco');
    expect(ingested.stderr).toBe('');
  }
  // The server's environment, not the command's, says where models are (a kernel's would).
  serve = spawn('node', [join(REPOSITORY, 'core/bin/winnow.js'), '--workspace', served, 'serve'], {
    env: { ...process.env, ...MODELS },
  });
  let found: RuntimeInfo | undefined;
  while (!found) {
    if (serve.exitCode !== null) throw new Error(`serve exited ${serve.exitCode}`);
    await new Promise((r) => setTimeout(r, 100));
    found = await findRunning(served);
  }
  server = found;
}, 120_000);

afterAll(async () => {
  if (serve.exitCode === null) {
    const exited = new Promise((r) => serve.once('exit', r));
    serve.kill('SIGTERM');
    await exited;
  }
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

/** Runs the command on both workspaces; both succeed, and the served one's output is returned with the other's. */
async function onBoth(...args: string[]): Promise<{ viaServer: string; local: string }> {
  const [viaServer, local] = await Promise.all([
    winnowWithEnv(MODELS, served, ...args),
    winnowWithEnv(MODELS, plain, ...args),
  ]);
  expect(viaServer.stderr).toBe('');
  expect(local.stderr).toBe('');
  expect(viaServer.code).toBe(0);
  expect(local.code).toBe(0);
  return { viaServer: viaServer.stdout, local: local.stdout };
}

/** A --json document with what differs between two runs made the same: workspace folders, run ids, times. */
function comparable(json: string, workspace: string): unknown {
  const TIMES = new Set(['seconds', 'milliseconds', 'created_at', 'changed_at']);
  return JSON.parse(json, (key, value) => {
    if (TIMES.has(key)) return 'TIME';
    if (typeof value !== 'string') return value;
    return value
      .replaceAll(dirname(workspace), 'WORKSPACE_PARENT')
      .replace(/\b[a-z]+-\d{14}-[0-9a-f]{6}\b/g, 'RUN');
  });
}

async function sameJson(...args: string[]): Promise<unknown> {
  const { viaServer, local } = await onBoth(...args, '--json');
  const document = comparable(viaServer, served);
  expect(document).toEqual(comparable(local, plain));
  return document;
}

describe('the winnow command while a server holds the workspace', () => {
  it('query, with and without a dataset, answers as without a server', async () => {
    const sql = 'SELECT count(*) AS n, min(filename) AS first FROM samples';
    const result = await sameJson('query', '--dataset', 'coco', '--sql', sql);
    expect(result).toMatchObject({ rows: [{ n: 128, first: '000000000009.jpg' }] });
    await sameJson('query', '--sql', 'SELECT count(*) AS n FROM samples');
    const { viaServer, local } = await onBoth('query', '--sql', 'SELECT 42 AS answer');
    expect(viaServer).toBe(local);
  }, 60_000);

  it('tag create, show, list, union, rename and delete', async () => {
    const sql = 'SELECT sample_id FROM samples WHERE width < 500';
    const created = await sameJson('tag', 'create', 'narrow', '--dataset', 'coco', '--sql', sql);
    expect(created).toMatchObject({ tag: { name: 'narrow', size: 30 }, added: 30 });
    await sameJson('tag', 'show', 'narrow', '--dataset', 'coco', '--files');
    await sameJson('tag', 'union', 'both', 'narrow', 'narrow', '--dataset', 'coco');
    await sameJson('tag', 'rename', 'both', 'both2', '--dataset', 'coco');
    await sameJson('tag', 'delete', 'both2', '--dataset', 'coco');
    await sameJson('tag', 'list', '--dataset', 'coco');
    // The tag is the server's: it answers it over its own API.
    const tags = await fetch(`${server.url}/api/datasets/coco/tags`, {
      headers: { authorization: `Bearer ${server.token}` },
    });
    expect((await tags.json()).map((t: { name: string }) => t.name)).toEqual(['narrow']);
  }, 60_000);

  it('export: filenames on stdout, --json, and a CSV file the server writes', async () => {
    const filenames = await onBoth(
      'export',
      '--dataset',
      'coco',
      '--sql',
      'SELECT filename FROM samples LIMIT 3',
    );
    expect(filenames.viaServer).toBe(filenames.local);
    expect(filenames.viaServer.split('\n')).toHaveLength(4);
    await sameJson('export', '--dataset', 'coco', '--all');
    // Each command writes beside its own workspace: the server writes the file it is told to.
    const csv = (dir: string) => [
      'export',
      '--dataset',
      'coco',
      '--all',
      '--format',
      'csv',
      '--json',
      '--out',
      join(dirname(dir), 'all.csv'),
    ];
    const [viaServer, local] = await Promise.all([
      winnow(served, ...csv(served)),
      winnow(plain, ...csv(plain)),
    ]);
    expect(comparable(viaServer.stdout, served)).toEqual({ count: 128, out: 'WORKSPACE_PARENT/all.csv' });
    expect(comparable(local.stdout, plain)).toEqual({ count: 128, out: 'WORKSPACE_PARENT/all.csv' });
    expect(readFileSync(join(dirname(served), 'all.csv'), 'utf8')).toBe(
      readFileSync(join(dirname(plain), 'all.csv'), 'utf8'),
    );
  }, 60_000);

  it('select runs as the server job and reports as without a server', async () => {
    const config = join(tempDir(), 'random.yaml');
    writeFileSync(
      config,
      'n_samples: 10\nstrategies:\n  - input: {type: RANDOM, random_seed: 3}\n    strategy: {type: WEIGHTS}\n',
    );
    const result = await sameJson('select', '--dataset', 'coco', '--config', config, '--tag', 'random10');
    expect(result).toMatchObject({ selected: 10, tag: 'random10' });
  }, 60_000);

  it('selected prints the live selection a view PUT; without a server there is none', async () => {
    const page = await winnow(
      served,
      'query',
      '--dataset',
      'coco',
      '--json',
      '--sql',
      'SELECT sample_id, filename FROM samples ORDER BY sample_id LIMIT 3',
    );
    const rows = JSON.parse(page.stdout).rows as { sample_id: number; filename: string }[];
    const ids = rows.map((row) => row.sample_id);
    // As a view's lasso reaches the server: through the kernel relay, marked as a view's request.
    const put = await fetch(`${server.url}/api/datasets/coco/selection`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${server.token}`, 'x-winnow-origin': 'view' },
      body: JSON.stringify({ sample_ids: [ids[2], ids[0]], source: 'scatter' }),
    });
    expect(put.status).toBe(200);
    const json = await winnow(served, 'selected', '--dataset', 'coco', '--json');
    expect(json.code).toBe(0);
    const files = [rows[0]!, rows[2]!].map((row) => join(IMAGES, row.filename));
    expect(JSON.parse(json.stdout)).toMatchObject({
      dataset: 'coco',
      source: 'scatter',
      version: 1,
      sample_ids: [ids[0], ids[2]],
      filenames: files,
    });
    expect((await winnow(served, 'selected', '--dataset', 'coco')).stdout).toBe(`${files.join('\n')}\n`);
    const none = await winnow(plain, 'selected', '--dataset', 'coco');
    expect(none.code).toBe(1);
    expect(none.stderr).toBe(
      `winnow: no live selection: no Winnow server runs for ${plain} (a selection lives in the server of the views that made it)\n`,
    );
    expect((await winnow(served, 'selected', '--dataset', 'nope')).code).toBe(1);
  }, 60_000);

  it('ingest again and info', async () => {
    const ingested = await sameJson('ingest', IMAGES, '--dataset', 'coco');
    expect(ingested).toMatchObject({ samples: 128, unchanged: 128 });
    await sameJson('info');
    await sameJson('info', '--dataset', 'coco');
  }, 60_000);

  it('import, datasource verify, tag add and remove', async () => {
    const labels = `--yolo=${join(COCO128, 'labels')}`;
    const classes = `--classes=${join(COCO128, 'classes.yaml')}`;
    const imported = await sameJson(
      'import',
      '--dataset',
      'coco',
      labels,
      classes,
      '--as',
      'annotations',
      '--task',
      'yolo',
    );
    expect(imported).toMatchObject({ records: 929, target: 'annotations' });
    await sameJson('datasource', 'verify', '--dataset', 'coco');
    await sameJson(
      'tag',
      'create',
      'some',
      '--dataset',
      'coco',
      '--sql',
      'SELECT sample_id FROM samples LIMIT 5',
    );
    await sameJson(
      'tag',
      'add',
      'some',
      '--dataset',
      'coco',
      '--sql',
      'SELECT sample_id FROM samples LIMIT 9',
    );
    await sameJson(
      'tag',
      'remove',
      'some',
      '--dataset',
      'coco',
      '--sql',
      'SELECT sample_id FROM samples LIMIT 2',
    );
  }, 120_000);

  it('embed, analyze and search (by a sample and by an image file)', async () => {
    const embedded = await sameJson(
      'embed',
      '--dataset',
      'coco',
      '--model',
      'mobilenetv2-int8',
      '--device',
      'cpu',
    );
    expect(embedded).toMatchObject({ embedded: 128, skipped: 0 });
    await sameJson('analyze', '--dataset', 'coco', '--typicality', '--duplicates', '0.05');
    await sameJson('search', '--dataset', 'coco', '--sample', '000000000009.jpg', '-k', '5');
    await sameJson('search', '--dataset', 'coco', '--image', join(IMAGES, '000000000009.jpg'), '-k', '5');
  }, 300_000);

  it('a command that cannot go through the server names it instead of the database lock', async () => {
    const demo = await winnow(served, 'demo', IMAGES);
    expect(demo.code).toBe(1);
    expect(demo.stderr).toBe(
      `winnow: workspace ${served} is served by a Winnow server (pid ${server.pid}, ${server.url}) and this command cannot run through it: stop it with \`winnow serve --stop\` (or close the notebook's kernel) and run it again\n`,
    );
  }, 60_000);

  it("Ctrl-C on an embed through the server cancels the server's job", async () => {
    // A dataset of its own (ingested through the server), so the embeddings compared above stay as they are.
    expect((await winnow(served, 'ingest', IMAGES, '--dataset', 'again')).code).toBe(0);
    const embed = spawn('node', [
      join(REPOSITORY, 'core/bin/winnow.js'),
      '--workspace',
      served,
      'embed',
      '--dataset',
      'again',
      '--model',
      'mobilenetv2-int8',
    ]);
    let stderr = '';
    embed.stderr.on('data', (d) => {
      stderr += d;
    });
    const exited = new Promise<number | null>((r) => embed.once('exit', (code) => r(code)));
    // Interrupted once the server records the embedding as running.
    while (embed.exitCode === null && (await embeddingRuns()).at(-1) !== 'running')
      await new Promise((r) => setTimeout(r, 50));
    embed.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(stderr).toContain('winnow: cancelled');
    expect(await embeddingRuns()).toEqual(['cancelled']);
  }, 120_000);
});

/** The statuses of the served dataset `again`'s embedding runs, oldest first, as the server reports them. */
async function embeddingRuns(): Promise<string[]> {
  const response = await fetch(`${server.url}/api/query`, {
    method: 'POST',
    headers: { authorization: `Bearer ${server.token}` },
    body: JSON.stringify({
      dataset: 'again',
      sql: "SELECT status FROM runs WHERE kind = 'embedding' ORDER BY started_at",
    }),
  });
  return ((await response.json()).rows as { status: string }[]).map((row) => row.status);
}

describe('storage credentials through the server', () => {
  const reader = { accessKeyId: 'WINNOWCLIREADER3F7K', secretAccessKey: 'winnow-cli-reader-secret-8d2e' };
  let s3: S3Server;
  beforeAll(async () => {
    s3 = await startS3Server();
    await s3.createBucket('photos');
    for (const name of ['000000000009.jpg', '000000000025.jpg', '000000000030.jpg']) {
      await s3.put('photos', `coco/${name}`, readFileSync(join(IMAGES, name)));
    }
    await s3.addReadOnlyUser('photos', reader.accessKeyId, reader.secretAccessKey);
  }, 60_000);
  afterAll(() => s3?.stop());

  it("an ingest's secrets named by environment variable reach a server that lacks them", async () => {
    const storage = [
      `endpoint=${s3.endpoint}`,
      'path-style',
      'access-key-env=IN_KEY',
      'secret-key-env=IN_SECRET',
    ];
    const ingested = await winnowWithEnv(
      { IN_KEY: reader.accessKeyId, IN_SECRET: reader.secretAccessKey },
      served,
      'ingest',
      's3://photos/coco/',
      '--dataset',
      'bucket',
      '--work',
      join(dirname(served), 'bucket-work'),
      ...storage.flatMap((pair) => ['--storage', pair]),
      '--json',
    );
    expect(ingested.stderr).toBe('');
    expect(JSON.parse(ingested.stdout)).toMatchObject({ dataset: 'bucket', samples: 3, added: 3 });
    // The server's own environment has no such variables: it read the keys the command handed over.
    expect(process.env.IN_KEY).toBeUndefined();
  }, 120_000);
});
