import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';
import { Storage as GcsClient } from '@google-cloud/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ServerClient } from '../src/client/server-client.js';
import { embedDataset } from '../src/embed/run.js';
import { ingest } from '../src/ingest/index.js';
import { startServer } from '../src/server/server.js';
import { Workspace } from '../src/store/workspace.js';
import { COCO128, filesUnder, REPOSITORY, tempDir, testVideo, winnowWithEnv } from './helpers.js';
import { startAzurite } from './servers/azurite.js';
import { freePort } from './servers/common.js';
import { startFakeGcs } from './servers/gcs.js';
import { type S3Server, startS3Server } from './servers/s3.js';

const MODELS = join(REPOSITORY, '../shared/models');
const IMAGES = readdirSync(join(COCO128, 'images')).sort().slice(0, 12);

/** Distinctive credentials: after the runs, no file Winnow wrote and no line it printed may hold one. */
const READER = { accessKeyId: 'WINNOWREADERKEY7Q2Z', secretAccessKey: 'winnow-reader-secret-5f1c9e0b7a' };
const WRITER = { accessKeyId: 'WINNOWWRITERKEY4K8P', secretAccessKey: 'winnow-writer-secret-a3d8e1c6f2' };
const SECRETS = [READER.accessKeyId, READER.secretAccessKey, WRITER.accessKeyId, WRITER.secretAccessKey];

/** The small offline model, on the CPU: what the tests need of embedding is that it runs. */
const EMBED = ['embed', '--model', 'squeezenet1.1', '--device', 'cpu'];

const ENV = {
  WINNOW_MODEL_DIR: MODELS,
  IN_KEY: READER.accessKeyId,
  IN_SECRET: READER.secretAccessKey,
  OUT_KEY: WRITER.accessKeyId,
  OUT_SECRET: WRITER.secretAccessKey,
};

let server: S3Server;
const logs: string[] = [];

beforeAll(async () => {
  server = await startS3Server(WRITER);
  await server.createBucket('photos');
  await server.createBucket('work');
  for (const name of IMAGES) {
    await server.put('photos', `coco/${name}`, readFileSync(join(COCO128, 'images', name)));
  }
  await server.put('photos', 'coco/clip.mp4', readFileSync(testVideo(join(tempDir(), 'clip.mp4'), 2, 10)));
  await server.addReadOnlyUser('photos', READER.accessKeyId, READER.secretAccessKey);
}, 60_000);
afterAll(() => server?.stop());

function storageFlags(flag: string, env: 'IN' | 'OUT'): string[] {
  const pairs = [
    `endpoint=${server.endpoint}`,
    'path-style',
    `access-key-env=${env}_KEY`,
    `secret-key-env=${env}_SECRET`,
  ];
  return pairs.flatMap((pair) => [flag, pair]);
}

async function cli(workspace: string, ...args: string[]) {
  const result = await winnowWithEnv(ENV, workspace, ...args);
  logs.push(result.stdout, result.stderr);
  return result;
}

/** Every file under `dir` with its sha256: what a run wrote or changed shows as a difference. */
function snapshot(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  const walk = (at: string) => {
    for (const name of readdirSync(at)) {
      const full = join(at, name);
      if (statSync(full).isDirectory()) walk(full);
      else files[relative(dir, full)] = createHash('sha256').update(readFileSync(full)).digest('hex');
    }
  };
  walk(dir);
  return files;
}

describe('an S3 input with a separate S3 work location (versitygw on loopback)', () => {
  // One workspace through the whole describe (tempDir's folders go after each test).
  const home = mkdtempSync(join(tmpdir(), 'winnow-cloud-'));
  const workspace = join(home, '.winnow');
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  it('ingests and embeds; thumbnails and frames land under the work .winnow/, the input is untouched', async () => {
    const before = snapshot(join(server.dataDir, 'photos'));
    const ingested = await cli(
      workspace,
      'ingest',
      's3://photos/coco/',
      '--dataset',
      'coco',
      '--work',
      's3://work/',
      ...storageFlags('--storage', 'IN'),
      ...storageFlags('--work-storage', 'OUT'),
      '--json',
    );
    expect(ingested.stderr).toBe('');
    expect(JSON.parse(ingested.stdout)).toMatchObject({
      root: 's3://photos/coco/',
      images: 12,
      videos: 1,
      corrupt: 0,
    });

    const embedded = await cli(workspace, ...EMBED, '--dataset', 'coco', '--json');
    expect(embedded.code, embedded.stderr).toBe(0);
    const summary = JSON.parse(embedded.stdout);
    expect(summary).toMatchObject({
      embedded: 12,
      videos: 1,
      frames: 2,
      corrupt: [],
      thumbnails: 's3://work/.winnow/thumbnails',
    });
    const thumbnails = readdirSync(join(server.dataDir, 'work/.winnow/thumbnails'));
    expect(thumbnails).toHaveLength(12 + 1 + 2);
    expect(readdirSync(join(server.dataDir, 'work/.winnow/frames'))).toHaveLength(1);
    expect(snapshot(join(server.dataDir, 'photos'))).toEqual(before);

    const again = await cli(workspace, 'ingest', 's3://photos/coco/', '--dataset', 'coco', '--json');
    expect(JSON.parse(again.stdout)).toMatchObject({ added: 0, updated: 0, unchanged: 13 });
  }, 120_000);

  it('an object rewritten with other content (same size, new etag) is re-read on the next ingest', async () => {
    const [first, second] = IMAGES;
    const bytes = readFileSync(join(COCO128, 'images', second!));
    await server.put('photos', `coco/${first}`, bytes);
    const result = await cli(workspace, 'ingest', 's3://photos/coco/', '--dataset', 'coco', '--json');
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toMatchObject({ updated: 1, unchanged: 12 });
    await server.put('photos', `coco/${first}`, readFileSync(join(COCO128, 'images', first!)));
  }, 60_000);

  it('verify reports every permission; a read-only key on the work location has canWrite false with the reason', async () => {
    const good = await cli(workspace, 'datasource', 'verify', '--dataset', 'coco', '--json');
    expect(good.code).toBe(0);
    expect(JSON.parse(good.stdout)).toEqual({
      input: 's3://photos/coco/',
      work: 's3://work/',
      canList: true,
      canRead: true,
      canWrite: true,
      canOverwrite: true,
      canDelete: true,
      errors: {},
    });
    const readOnly = await cli(
      workspace,
      'ingest',
      's3://photos/coco/',
      '--dataset',
      'readonly',
      '--work',
      's3://photos/',
      ...storageFlags('--storage', 'IN'),
      '--json',
    );
    expect(readOnly.code, readOnly.stderr).toBe(0);
    const report = await cli(workspace, 'datasource', 'verify', '--dataset', 'readonly', '--json');
    expect(report.code).toBe(1);
    const parsed = JSON.parse(report.stdout);
    expect(parsed).toMatchObject({ canList: true, canRead: true, canWrite: false, canOverwrite: false });
    expect(parsed.errors.write).toMatch(
      /^access denied \(AccessDenied, HTTP 403\): write s3:\/\/photos\/\.winnow\/\.permission-probe-[\w-]+/,
    );
    const refused = await cli(workspace, ...EMBED, '--dataset', 'readonly');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      /^winnow: embed cannot start: no write permission in s3:\/\/photos\/\.winnow\/ \(.*AccessDenied/,
    );
  }, 60_000);

  it("the local server hands the browser signed URLs for a bucket's media and thumbnails, never keys", async () => {
    Object.assign(process.env, ENV); // the dataset names these variables; the server reads them
    const ws = await Workspace.open(workspace);
    const local = await startServer(ws);
    try {
      const get = (path: string) =>
        fetch(`${local.url}${path}`, {
          headers: { authorization: `Bearer ${local.token}` },
          redirect: 'manual',
        });
      for (const [path, bucket] of [
        ['/api/datasets/coco/samples/1/media', 'photos'],
        ['/api/datasets/coco/samples/1/thumbnail', 'work'],
      ] as const) {
        const answer = await get(path);
        expect(answer.status).toBe(302);
        const url = answer.headers.get('location')!;
        expect(url.startsWith(`${server.endpoint}/${bucket}/`)).toBe(true);
        expect(url).toMatch(/X-Amz-Expires=900.*X-Amz-Signature=/);
        for (const secret of [READER.secretAccessKey, WRITER.secretAccessKey])
          expect(url).not.toContain(secret);
        const fetched = await fetch(url);
        expect(fetched.status).toBe(200);
      }
      const media = await fetch((await get('/api/datasets/coco/samples/1/media')).headers.get('location')!);
      expect(Buffer.from(await media.arrayBuffer())).toEqual(
        readFileSync(join(COCO128, 'images', IMAGES[0]!)),
      );
      // The client (VS Code's hover on a path) finds a sample by its bucket URL, and follows the
      // thumbnail's signed URL itself, without the server's token.
      const client = new ServerClient(local);
      const [match] = (await client.lookupSample(`s3://photos/coco/${IMAGES[0]}`)).matches;
      expect(match).toMatchObject({ dataset: 'coco', path: IMAGES[0] });
      expect([...(await client.thumbnail('coco', match!.sample_id)).subarray(0, 3)]).toEqual([
        0xff, 0xd8, 0xff,
      ]);
    } finally {
      await local.close();
      ws.close();
      for (const name of Object.keys(ENV)) delete process.env[name];
    }
  }, 60_000);

  it('credentials handed to the server in memory reach the bucket and are stored nowhere', async () => {
    const ws = await Workspace.open(workspace);
    const local = await startServer(ws);
    const post = async (path: string, body: unknown) => {
      const answer = await fetch(`${local.url}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${local.token}` },
        body: JSON.stringify(body),
      });
      const text = await answer.text();
      logs.push(text);
      return { status: answer.status, value: JSON.parse(text) };
    };
    try {
      // Copies: the AWS SDK marks the credential objects it was given (a `$source` field).
      const keys = ({ accessKeyId, secretAccessKey }: typeof READER) => ({ accessKeyId, secretAccessKey });
      const held = await post('/api/datasets/memory/credentials', {
        input: keys(READER),
        work: keys(WRITER),
      });
      expect(held.status, JSON.stringify(held.value)).toBe(200);
      const endpoint = { endpoint: server.endpoint, pathStyle: true };
      const job = await post('/api/jobs', {
        kind: 'ingest',
        dataset: 'memory',
        location: 's3://photos/coco/',
        options: { storage: endpoint, work: 's3://work/memory/', workStorage: endpoint },
      });
      const events = await fetch(`${local.url}/api/jobs/${job.value.id}/events`, {
        headers: { authorization: `Bearer ${local.token}` },
      });
      const text = await events.text();
      logs.push(text);
      expect(text).toMatch(/"state":"done".*"images":12/);
      const media = await fetch(
        `${local.url}/api/datasets/memory/samples/${await firstSample(ws, 'memory')}/media`,
        {
          headers: { authorization: `Bearer ${local.token}` },
          redirect: 'manual',
        },
      );
      expect(media.status).toBe(302);
      expect((await fetch(media.headers.get('location')!)).status).toBe(200);
      const bad = await post('/api/datasets/memory/credentials', { input: { password: 'x' } });
      expect(bad.status).toBe(400);
    } finally {
      await local.close();
      ws.close();
    }
  }, 60_000);

  it('a wrong secret fails ingest with a one-line error that names the bucket and not the secret', async () => {
    const result = await winnowWithEnv(
      { ...ENV, IN_SECRET: 'winnow-wrong-secret-0d9e8f7a6b' },
      workspace,
      'ingest',
      's3://photos/coco/',
      '--dataset',
      'coco',
      ...storageFlags('--storage', 'IN'),
    );
    logs.push(result.stdout, result.stderr);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^winnow: ingest cannot start: the secret key does not match \(SignatureDoesNotMatch, HTTP 403\): list s3:\/\/photos\/coco\/$/m,
    );
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).not.toContain('winnow-wrong-secret-0d9e8f7a6b');
  }, 60_000);

  it('no secret is in the workspace, the work location or the logs', () => {
    const files = [...filesUnder(workspace), ...filesUnder(join(server.dataDir, 'work'))];
    expect(files.length).toBeGreaterThan(15);
    expect(files.some((f) => f.endsWith('workspace.duckdb'))).toBe(true);
    for (const file of files) {
      const bytes = readFileSync(file);
      for (const secret of SECRETS) expect(bytes.includes(secret), `${secret} in ${file}`).toBe(false);
    }
    const printed = logs.join('\n');
    expect(printed.length).toBeGreaterThan(100);
    for (const secret of SECRETS) expect(printed).not.toContain(secret);
  });
});

describe('faults against the S3 server', () => {
  it('a bucket that vanishes mid-listing fails the ingest and loses none of what was indexed', async () => {
    await server.createBucket('fleeting');
    for (const name of IMAGES)
      await server.put('fleeting', name, readFileSync(join(COCO128, 'images', name)));
    const ws = await Workspace.open(join(tempDir(), '.winnow'));
    try {
      const options = {
        dataset: 'f',
        storage: { endpoint: server.endpoint, pathStyle: true },
        secrets: { input: server.root },
        pageSize: 4,
      };
      expect((await ingest(ws, 's3://fleeting/', options)).images).toBe(12);
      const vanish = (progress: { phase: string }) => {
        if (progress.phase === 'listing') rmBucket('fleeting');
      };
      await expect(ingest(ws, 's3://fleeting/', { ...options, onProgress: vanish })).rejects.toMatchObject({
        code: 'not_found',
      });
      const kept = await ws.db.value<number>("SELECT count(*) FROM winnow.samples WHERE status = 'ok'");
      expect(Number(kept)).toBe(12);
      const runs = await ws.db.all<{ status: string }>('SELECT status FROM winnow.runs ORDER BY started_at');
      expect(runs.map((r) => r.status)).toEqual(['done', 'failed']);
    } finally {
      ws.close();
    }
  }, 60_000);

  it('a bad video in a bucket is recorded corrupt without the signed URL ffprobe read it through', async () => {
    await server.createBucket('videos');
    // An MP4 box header and nothing playable after it: ffprobe fails on it, naming its input.
    const broken = Buffer.concat([Buffer.from('000000186674797069736f6d', 'hex'), Buffer.alloc(4000, 7)]);
    await server.put('videos', 'broken.mp4', broken);
    const ws = await Workspace.open(join(tempDir(), '.winnow'));
    try {
      const summary = await ingest(ws, 's3://videos/', {
        dataset: 'v',
        storage: { endpoint: server.endpoint, pathStyle: true },
        secrets: { input: server.root },
      });
      expect(summary).toMatchObject({ videos: 1, corrupt: 1 });
      const [reason] = summary.corrupt_files.map((f) => f.reason);
      expect(reason).toMatch(/^unreadable video: /);
      expect(reason).not.toMatch(/X-Amz|http:/);
    } finally {
      ws.close();
    }
  }, 60_000);

  it('throttling (503 SlowDown once for every request) is retried with backoff until the ingest completes', async () => {
    await server.createBucket('throttled');
    for (const name of IMAGES)
      await server.put('throttled', name, readFileSync(join(COCO128, 'images', name)));
    const proxy = await throttlingProxy(server.endpoint);
    const ws = await Workspace.open(join(tempDir(), '.winnow'));
    try {
      const summary = await ingest(ws, 's3://throttled/', {
        dataset: 't',
        storage: { endpoint: proxy.endpoint, pathStyle: true },
        secrets: { input: server.root },
      });
      expect(summary).toMatchObject({ images: 12, corrupt: 0 });
      expect(proxy.refused()).toBeGreaterThan(6);
    } finally {
      ws.close();
      await proxy.close();
    }
  }, 60_000);
});

async function firstSample(ws: Workspace, dataset: string): Promise<number> {
  return ws.db.value<number>(
    'SELECT min(sample_id) FROM winnow.samples JOIN winnow.datasets USING (dataset_id) WHERE name = ?',
    [dataset],
  );
}

function rmBucket(name: string): void {
  rmSync(join(server.dataDir, name), { recursive: true, force: true });
}

/** A loopback proxy in front of the S3 server that first answers each request 503 SlowDown, as S3 does when throttling. */
async function throttlingProxy(
  target: string,
): Promise<{ endpoint: string; refused(): number; close(): Promise<void> }> {
  const upstream = new URL(target);
  const seen = new Set<string>();
  let refused = 0;
  const proxy = createServer((req, res) => {
    // Each distinct request is refused once: every one of them has to be retried.
    const key = `${req.method} ${req.url} ${req.headers.range ?? ''}`;
    if (!seen.has(key)) {
      seen.add(key);
      refused++;
      req.resume();
      res.writeHead(503, { 'content-type': 'application/xml' });
      res.end(
        '<?xml version="1.0"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>',
      );
      return;
    }
    const forward = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    req.pipe(forward);
  });
  const port = await freePort();
  await new Promise<void>((resolve) => proxy.listen(port, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${port}`,
    refused: () => refused,
    close: () => new Promise((resolve) => proxy.close(() => resolve())),
  };
}

describe('across providers: a GCS input (fake-gcs-server) with its .winnow/ in Azure (Azurite)', () => {
  it('ingests and embeds with the work credentials held in memory; thumbnails land in the container', async () => {
    const gcs = await startFakeGcs();
    const azurite = await startAzurite();
    const ws = await Workspace.open(join(tempDir(), '.winnow'));
    try {
      const seeder = new GcsClient({ apiEndpoint: gcs.endpoint, projectId: 'test' });
      await seeder.createBucket('gcs-photos');
      for (const name of IMAGES.slice(0, 6)) {
        await seeder
          .bucket('gcs-photos')
          .file(`in/${name}`)
          .save(readFileSync(join(COCO128, 'images', name)));
      }
      const service = BlobServiceClient.fromConnectionString(azurite.connectionString);
      await service.createContainer('winnow-work');
      const secrets = { work: { accountKey: azurite.accountKey } };
      const summary = await ingest(ws, 'gs://gcs-photos/in/', {
        dataset: 'cross',
        storage: { endpoint: gcs.endpoint, projectId: 'test' },
        work: `az://${azurite.account}/winnow-work/runs-here/`,
        workStorage: { endpoint: azurite.endpoint },
        secrets,
      });
      expect(summary).toMatchObject({ root: 'gs://gcs-photos/in/', images: 6, corrupt: 0 });
      process.env.WINNOW_MODEL_DIR = MODELS;
      const dataset = await ws.dataset('cross');
      const embedded = await embedDataset(ws, dataset, { model: 'squeezenet1.1', device: 'cpu', secrets });
      expect(embedded).toMatchObject({
        embedded: 6,
        thumbnails: `az://${azurite.account}/winnow-work/runs-here/.winnow/thumbnails`,
      });
      const names: string[] = [];
      for await (const blob of service.getContainerClient('winnow-work').listBlobsFlat())
        names.push(blob.name);
      expect(names.filter((n) => n.startsWith('runs-here/.winnow/thumbnails/'))).toHaveLength(6);
      expect(names.every((n) => n.startsWith('runs-here/.winnow/thumbnails/'))).toBe(true);
      // The account key was handed over in memory: the workspace holds only the endpoint.
      const stored = await ws.db.all<{ options: string }>(
        'SELECT options::VARCHAR AS options FROM winnow.datasources',
      );
      expect(stored.map((r) => JSON.parse(r.options))).toEqual([
        { endpoint: gcs.endpoint, projectId: 'test' },
        { endpoint: azurite.endpoint },
      ]);
    } finally {
      ws.close();
      await Promise.all([gcs.stop(), azurite.stop()]);
    }
  }, 90_000);
});
