import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import { importYolo } from '../src/ingest/import/index.js';
import { ingest } from '../src/ingest/index.js';
import { Captions } from '../src/labels/captions.js';
import { findRunning, runtimeFile } from '../src/server/runtime.js';
import { type LocalServer, startServer } from '../src/server/server.js';
import { embeddingTable, findModel } from '../src/store/embeddings.js';
import type { Workspace } from '../src/store/workspace.js';
import { BOMBS, rle8Bomb, writeBombs } from './bombs.mjs';
import { COCO128, REPOSITORY, tempDir, tempWorkspace, winnow } from './helpers.js';

const MODELS = join(REPOSITORY, '../shared/models');
const IMAGES = join(COCO128, 'images');

let open: { ws: Workspace; server: LocalServer }[] = [];
afterEach(async () => {
  for (const { ws, server } of open.splice(0)) {
    await server.close();
    ws.close();
  }
});

async function served(): Promise<{ ws: Workspace; server: LocalServer }> {
  const ws = await tempWorkspace();
  await ingest(ws, IMAGES, { dataset: 'coco' });
  const server = await startServer(ws);
  open.push({ ws, server });
  return { ws, server };
}

function call(server: LocalServer, path: string, init: RequestInit = {}): Promise<Response> {
  const headers = { authorization: `Bearer ${server.token}`, ...(init.headers as Record<string, string>) };
  return fetch(`${server.url}${path}`, { ...init, headers, redirect: 'manual' });
}

// biome-ignore lint/suspicious/noExplicitAny: the answers' shapes are what the assertions check
async function json(server: LocalServer, path: string, body?: unknown): Promise<any> {
  const response = await call(
    server,
    path,
    body === undefined ? {} : { method: 'POST', body: JSON.stringify(body) },
  );
  const value = await response.json();
  if (!response.ok)
    throw Object.assign(new Error(value.error?.message), { status: response.status, body: value });
  return value;
}

// biome-ignore lint/suspicious/noExplicitAny: the answers' shapes are what the assertions check
async function send(server: LocalServer, method: string, path: string, body?: unknown): Promise<any> {
  const response = await call(server, path, {
    method,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const value = await response.json();
  if (!response.ok)
    throw Object.assign(new Error(value.error?.message), { status: response.status, body: value });
  return value;
}

/** Starts a job and reads its server-sent events to the end; returns the progress seen and the end. */
async function runJob(server: LocalServer, job: Record<string, unknown>) {
  const started = await json(server, '/api/jobs', job);
  const response = await call(server, `/api/jobs/${started.id}/events`);
  expect(response.headers.get('content-type')).toBe('text/event-stream');
  const events = (await response.text())
    .trim()
    .split('\n\n')
    .map((block) => {
      const [type, data] = block.split('\n').map((line) => line.slice(line.indexOf(':') + 2));
      return { type, data: JSON.parse(data!) };
    });
  return { progress: events.filter((e) => e.type === 'progress'), end: events.at(-1)!.data };
}

describe('the local server refuses what is not a local client with the token', () => {
  it('needs the token, a loopback Host, and sends no CORS header', async () => {
    const { server } = await served();
    expect((await fetch(`${server.url}/api/datasets`)).status).toBe(401);
    const wrong = await fetch(`${server.url}/api/datasets`, {
      headers: { authorization: `Bearer ${'0'.repeat(64)}` },
    });
    expect(wrong.status).toBe(401);
    expect((await call(server, '/api/datasets')).status).toBe(200);
    expect((await fetch(`${server.url}/api/datasets?token=${server.token}`)).status).toBe(200);
    expect(server.token).toMatch(/^[0-9a-f]{64}$/);
    // A DNS-rebinding page reaches 127.0.0.1 under its own name: refused even with the token.
    const { request } = await import('node:http');
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        `${server.url}/api/datasets`,
        { headers: { host: `evil.example:${server.port}`, authorization: `Bearer ${server.token}` } },
        (res) => resolve(res.statusCode ?? 0),
      );
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(403);
    const preflight = await call(server, '/api/datasets', {
      method: 'OPTIONS',
      headers: { origin: 'http://evil.example', 'access-control-request-method': 'GET' },
    });
    const answers = [
      preflight,
      await call(server, '/api/datasets', { headers: { origin: 'http://evil.example' } }),
    ];
    for (const answer of answers) expect(answer.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('leaves a runtime file only its owner can read, found by other clients, removed on close', async () => {
    const { ws, server } = await served();
    const file = runtimeFile(ws.dir);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({
      url: server.url,
      token: server.token,
      pid: process.pid,
    });
    expect(await findRunning(ws.dir)).toMatchObject({ url: server.url });
    await server.close();
    open = [];
    ws.close();
    expect(existsSync(file)).toBe(false);
  });

  it('`winnow serve` a second time attaches to the running server', async () => {
    const dir = join(tempDir(), '.winnow');
    expect((await winnow(dir, 'ingest', IMAGES, '--dataset', 'coco')).code).toBe(0);
    const first = spawn('node', [
      join(REPOSITORY, 'core/bin/winnow.js'),
      '--workspace',
      dir,
      'serve',
      '--json',
    ]);
    try {
      let printed = '';
      first.stdout.on('data', (d) => {
        printed += d;
      });
      while (!printed.includes('}')) await new Promise((r) => setTimeout(r, 100));
      const started = JSON.parse(printed);
      expect(started).toMatchObject({ attached: false, pid: first.pid });
      const second = await winnow(dir, 'serve', '--json');
      expect(second.code).toBe(0);
      expect(JSON.parse(second.stdout)).toEqual({ ...started, attached: true });
      expect(second.stdout + printed).not.toContain(JSON.parse(readFileSync(runtimeFile(dir), 'utf8')).token);
    } finally {
      const exited = new Promise((r) => first.once('exit', r));
      first.kill('SIGTERM');
      await exited;
    }
    expect(existsSync(runtimeFile(dir))).toBe(false);
  }, 30_000);
});

describe('the local server API', () => {
  it('lists datasets, pages samples under a SQL condition, runs read-only queries', async () => {
    const { server } = await served();
    expect(await json(server, '/api/datasets')).toEqual([
      expect.objectContaining({ name: 'coco', input: IMAGES, samples: 128, images: 128 }),
    ]);
    const page = await json(
      server,
      `/api/datasets/coco/samples?offset=10&limit=5&where=${encodeURIComponent('width < 640')}`,
    );
    const narrow = await json(server, '/api/datasets/coco/query', {
      sql: 'SELECT count(*) AS n FROM samples WHERE width < 640',
    });
    expect(page.total).toBe(narrow.rows[0].n);
    expect(page.total).toBeGreaterThan(15);
    expect(page.samples).toHaveLength(5);
    expect(page.samples.every((s: { width: number }) => s.width < 640)).toBe(true);
    const query = await json(server, '/api/datasets/coco/query', {
      sql: 'SELECT count(*) AS n FROM samples',
    });
    expect(query.rows).toEqual([{ n: 128 }]);
    await expect(
      json(server, '/api/datasets/coco/query', { sql: 'DELETE FROM samples' }),
    ).rejects.toMatchObject({
      status: 400,
      body: { error: { code: 'refused_sql' } },
    });
    await expect(json(server, '/api/datasets/nope/samples')).rejects.toMatchObject({ status: 404 });
    // Nothing outside the dataset is read on a view's word.
    const fromView = await call(server, '/api/datasets/coco/search', {
      method: 'POST',
      body: JSON.stringify({ image: '/etc/hostname' }),
      headers: { 'x-winnow-origin': 'view' },
    });
    expect(fromView.status).toBe(400);
    expect((await fromView.json()).error.message).toMatch(/^image: not taken from a view/);
  });

  it("refuses a query's time limit out of range, naming the field", async () => {
    const { server } = await served();
    for (const timeout of [1e9, 0, -1, '5']) {
      await expect(
        json(server, '/api/datasets/coco/query', { sql: 'SELECT 1', timeout }),
      ).rejects.toMatchObject({
        status: 400,
        body: {
          error: { message: `timeout: expected seconds from 0.1 to 3600, got ${JSON.stringify(timeout)}` },
        },
      });
    }
    const answered = await json(server, '/api/datasets/coco/query', { sql: 'SELECT 1 AS one', timeout: 5 });
    expect(answered).toMatchObject({ rows: [{ one: 1 }], truncated: false, truncatedBy: null });
  });

  it("counts a field's values for the query bar's charts, under the query's condition", async () => {
    const { server } = await served();
    const widths = await json(server, '/api/datasets/coco/facets?field=width&bins=10');
    expect(widths).toMatchObject({ field: 'width', kind: 'histogram' });
    expect(widths.counts).toHaveLength(10);
    expect(widths.counts.reduce((a: number, b: number) => a + b, 0)).toBe(128);
    const narrow = await json(
      server,
      `/api/datasets/coco/facets?field=width&where=${encodeURIComponent('width < 640')}`,
    );
    expect(narrow.hi).toBeLessThan(640);
    expect(await json(server, '/api/datasets/coco/facets?field=format')).toEqual({
      field: 'format',
      kind: 'counts',
      values: [{ value: 'jpeg', count: 128 }],
    });
    await expect(json(server, '/api/datasets/coco/facets?field=secret_column')).rejects.toMatchObject({
      status: 400,
    });
  });

  it('runs embed and analyze as jobs with progress; serves thumbnails, media, points and embeddings as Arrow', async () => {
    process.env.WINNOW_MODEL_DIR = MODELS;
    const { ws, server } = await served();
    const embedded = await runJob(server, {
      kind: 'embed',
      dataset: 'coco',
      options: { model: 'squeezenet1.1', device: 'cpu' },
    });
    expect(embedded.end).toMatchObject({ state: 'done', result: { embedded: 128 } });
    expect(embedded.progress.at(-1)!.data).toMatchObject({ phase: 'embed', done: 128, total: 128 });
    const thumbnail = await call(server, '/api/datasets/coco/samples/1/thumbnail');
    expect(thumbnail.headers.get('content-type')).toBe('image/jpeg');
    expect((await thumbnail.arrayBuffer()).byteLength).toBeGreaterThan(1000);
    const media = await call(server, '/api/datasets/coco/samples/1/media');
    expect(Buffer.from(await media.arrayBuffer())).toEqual(readFileSync(join(IMAGES, '000000000009.jpg')));
    const analyzed = await runJob(server, {
      kind: 'analyze',
      dataset: 'coco',
      options: { projection: true },
    });
    expect(analyzed.end).toMatchObject({ state: 'done', result: { projection: { points: 128 } } });
    const points = await call(server, '/api/datasets/coco/points');
    expect(points.headers.get('content-type')).toBe('application/vnd.apache.arrow.stream');
    const bytes = new Uint8Array(await points.arrayBuffer());
    const table = tableFromIPC(bytes);
    expect(table.numRows).toBe(128);
    expect(table.schema.fields.map((f) => `${f.name}:${f.type}`)).toEqual([
      'sample_id:Int32',
      'x:Float32',
      'y:Float32',
    ]);
    expect(Number.isFinite(table.getChild('x')!.get(0))).toBe(true);
    const embeddings = tableFromIPC(
      new Uint8Array(await (await call(server, '/api/datasets/coco/embeddings')).arrayBuffer()),
    );
    expect(embeddings.numRows).toBe(128);
    const vector = embeddings.getChild('vector')!.get(0)!.toArray() as Float32Array;
    const stored = await ws.db.value<{ items: number[] }>(
      `SELECT vector::FLOAT[] FROM ${embeddingTable(await findModel(ws.db, await ws.dataset('coco')))} WHERE sample_id = ?`,
      [embeddings.getChild('sample_id')!.get(0)],
    );
    expect(Array.from(vector)).toEqual(Array.from(stored as unknown as number[]).map(Math.fround));
    expect((await call(server, '/api/datasets/coco/embeddings?model=nope')).status).toBe(404);
  }, 120_000);

  it('labels one box at a time: add, change, remove, each a version in the history', async () => {
    const { ws, server } = await served();
    const send = async (method: string, path: string, body?: unknown) => {
      const response = await call(server, path, {
        method,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const value = await response.json();
      if (!response.ok)
        throw Object.assign(new Error(value.error.message), { status: response.status, body: value });
      return value;
    };
    const added = await send('POST', '/api/datasets/coco/samples/3/annotations', {
      task: 'boxes',
      category: 'cat',
      box: [10, 20, 100, 50],
    });
    expect(added).toMatchObject({
      sample_id: 3,
      task: 'boxes',
      category: 'cat',
      box: [10, 20, 100, 50],
      version: 1,
    });
    const changed = await send('PATCH', `/api/datasets/coco/annotations/${added.annotation_id}`, {
      category: 'dog',
      box: [12, 22, 90, 40],
    });
    expect(changed).toMatchObject({ category: 'dog', box: [12, 22, 90, 40], version: 2 });
    expect(await send('GET', '/api/datasets/coco/samples/3/annotations')).toEqual([changed]);
    const stored = await json(server, '/api/datasets/coco/query', {
      sql: "SELECT count(*) AS n FROM annotations WHERE category = 'dog'",
    });
    expect(stored.rows).toEqual([{ n: 1 }]);
    await send('DELETE', `/api/datasets/coco/annotations/${added.annotation_id}`);
    expect(await send('GET', '/api/datasets/coco/samples/3/annotations')).toEqual([]);
    // The history is a base table, not a user view: read it from the store.
    const history = {
      rows: await ws.db.all(
        'SELECT version, operation, box::DOUBLE[] AS box FROM winnow.annotation_history ORDER BY version',
      ),
    };
    expect(history.rows).toEqual([
      { version: 1, operation: 'add', box: [10, 20, 100, 50] },
      { version: 2, operation: 'update', box: [12, 22, 90, 40] },
      { version: 3, operation: 'delete', box: [12, 22, 90, 40] },
    ]);
    await expect(
      send('POST', '/api/datasets/coco/samples/3/annotations', {
        task: 'boxes',
        category: 'cat',
        box: [0, 0, 0, 5],
      }),
    ).rejects.toMatchObject({ status: 400 });
    await expect(
      send('POST', '/api/datasets/coco/samples/999999/annotations', { task: 'boxes', category: 'cat' }),
    ).rejects.toMatchObject({ status: 404 });
  });

  it('captions a sample: set, change, remove, each a version in its history; the detail and SQL show it', async () => {
    const { ws, server } = await served();
    const caption = (id: number, value: unknown) =>
      send(server, 'PUT', `/api/datasets/coco/samples/${id}/caption`, { caption: value });
    const captionsInSql = async () =>
      (await json(server, '/api/datasets/coco/query', { sql: 'SELECT * FROM captions' })).rows;

    expect((await json(server, '/api/datasets/coco/samples/3')).caption).toBeNull();
    expect(await caption(3, '  a cat on a sofa ')).toEqual({
      sample_id: 3,
      caption: 'a cat on a sofa',
      version: 1,
    });
    expect(await caption(3, 'two cats on a sofa')).toEqual({
      sample_id: 3,
      caption: 'two cats on a sofa',
      version: 2,
    });
    // Saving what is already there (a field left untouched) records nothing.
    expect(await caption(3, 'two cats on a sofa')).toMatchObject({ version: 2 });
    expect((await json(server, '/api/datasets/coco/samples/3')).caption).toBe('two cats on a sofa');
    expect(await captionsInSql()).toEqual([
      expect.objectContaining({ sample_id: 3, caption: 'two cats on a sofa', version: 2 }),
    ]);

    expect(await caption(3, '   ')).toEqual({ sample_id: 3, caption: null, version: 3 });
    expect(await caption(3, null)).toMatchObject({ caption: null, version: 3 });
    expect((await json(server, '/api/datasets/coco/samples/3')).caption).toBeNull();
    expect(await captionsInSql()).toEqual([]);
    const history = await new Captions(ws, await ws.dataset('coco')).history(3);
    expect(history.map(({ caption, version }) => ({ caption, version }))).toEqual([
      { caption: 'a cat on a sofa', version: 1 },
      { caption: 'two cats on a sofa', version: 2 },
      { caption: null, version: 3 },
    ]);
    expect(history.every((change) => change.changed_at instanceof Date)).toBe(true);

    await expect(caption(3, 'x'.repeat(10_001))).rejects.toMatchObject({
      status: 400,
      body: { error: { message: 'caption: at most 10,000 characters, got 10,001' } },
    });
    // Characters as a reader counts them: 10,000 emoji (20,000 UTF-16 units) are taken.
    expect(await caption(3, '🐈'.repeat(10_000))).toMatchObject({ version: 4 });
    await expect(caption(3, 42)).rejects.toMatchObject({ status: 400 });
    await expect(send(server, 'PUT', '/api/datasets/coco/samples/3/caption', {})).rejects.toMatchObject({
      status: 400,
    });
    await expect(caption(999999, 'a dog')).rejects.toMatchObject({
      status: 404,
      body: { error: { message: "dataset 'coco' has no sample 999999" } },
    });
  });

  it("serves the views: sorted pages, samples by id, a sample's detail, colour columns, tag changes", async () => {
    const { ws, server } = await served();
    const coco = await ws.dataset('coco');
    await importYolo(ws, coco, join(COCO128, 'labels'), {
      classes: join(COCO128, 'classes.yaml'),
      as: 'predictions',
      task: 'det',
    });
    // Not embedded yet: the thumbnail is made on the first request, and kept in the work area.
    const thumbnail = await call(server, '/api/datasets/coco/samples/2/thumbnail');
    expect(thumbnail.headers.get('content-type')).toBe('image/jpeg');
    const made = await sharp(Buffer.from(await thumbnail.arrayBuffer())).metadata();
    expect(Math.max(made.width!, made.height!)).toBe(256);
    expect(existsSync(join(coco.work.uri, '.winnow', 'thumbnails', '2.jpg'))).toBe(true);
    expect((await call(server, '/api/datasets/coco/samples/999999/thumbnail')).status).toBe(404);
    const runs = await json(server, '/api/datasets/coco/runs');
    expect(runs.map((run: { kind: string }) => run.kind)).toEqual(['import', 'ingest']);
    expect(runs[1]).toMatchObject({ status: 'done', run_id: expect.any(String) });
    const bySize = await json(server, '/api/datasets/coco/samples?limit=5&order=size%20desc');
    const sizes = bySize.samples.map((s: { size: number }) => s.size);
    expect(sizes).toEqual([...sizes].sort((a, b) => b - a));
    const largest = await ws.db.value('SELECT max(size) FROM winnow.samples');
    expect(sizes[0]).toBe(Number(largest));
    await expect(json(server, '/api/datasets/coco/samples?order=reason%3B%20drop')).rejects.toMatchObject({
      status: 400,
    });

    const wide = tableFromIPC(
      new Uint8Array(
        await (
          await call(server, `/api/datasets/coco/ids?where=${encodeURIComponent('width > 500')}`)
        ).arrayBuffer(),
      ),
    );
    const expectedWide = await ws.db.all<{ sample_id: number }>(
      'SELECT sample_id FROM winnow.samples WHERE width > 500 ORDER BY sample_id',
    );
    expect([...wide.getChild('sample_id')!]).toEqual(expectedWide.map((row) => row.sample_id));
    expect(
      (await call(server, `/api/datasets/coco/ids?where=${encodeURIComponent('1; DROP TABLE x')}`)).status,
    ).toBe(400);
    const byId = await json(server, '/api/datasets/coco/samples/by-id', { ids: [7, 3, 999999, 5] });
    expect(byId.samples.map((s: { sample_id: number }) => s.sample_id)).toEqual([7, 3, 5]);
    await expect(
      json(server, '/api/datasets/coco/samples/by-id', { ids: ['1; drop'] }),
    ).rejects.toMatchObject({
      status: 400,
    });

    const detail = await json(server, '/api/datasets/coco/samples/1');
    expect(detail.sample).toMatchObject({ sample_id: 1, filename: '000000000009.jpg' });
    expect(detail.predictions.length).toBeGreaterThan(0);
    expect(detail.predictions[0]).toMatchObject({ task: 'det', box: expect.any(Array) });
    expect(detail).toMatchObject({ annotations: [], tags: [] });

    const tagged = await send(server, 'PATCH', '/api/datasets/coco/tags/review', { add: [1, 2, 3] });
    expect(tagged).toMatchObject({ name: 'review', size: 3 });
    expect(await send(server, 'PATCH', '/api/datasets/coco/tags/review', { remove: [2] })).toMatchObject({
      size: 2,
    });
    expect((await json(server, '/api/datasets/coco/samples/1')).tags).toEqual(['review']);

    const width = tableFromIPC(
      new Uint8Array(await (await call(server, '/api/datasets/coco/colors?by=width')).arrayBuffer()),
    );
    expect(width.numRows).toBe(128);
    expect(width.getChild('value')!.get(0)).toBe(detail.sample.width);
    const classes = tableFromIPC(
      new Uint8Array(
        await (await call(server, '/api/datasets/coco/colors?by=prediction.category')).arrayBuffer(),
      ),
    );
    const sql = async (query: string) =>
      (await json(server, '/api/datasets/coco/query', { sql: query })).rows;
    const [best] = await sql(
      'SELECT arg_max(category, coalesce(score, 0)) AS c FROM predictions WHERE sample_id = 1',
    );
    expect(classes.getChild('value')!.get(0)).toBe(best.c);
    const counts = new Map<string | null, number>();
    for (const value of classes.getChild('value')!) counts.set(value, (counts.get(value) ?? 0) + 1);
    const [people] = await sql(
      `SELECT count(*) AS n FROM (SELECT sample_id, arg_max(category, coalesce(score, 0)) AS c FROM predictions GROUP BY 1) WHERE c = 'person'`,
    );
    const expectedPeople = people.n;
    expect(counts.get('person')).toBe(Number(expectedPeople));
    const tags = tableFromIPC(
      new Uint8Array(await (await call(server, '/api/datasets/coco/colors?by=tag')).arrayBuffer()),
    );
    expect([...tags.getChild('value')!].filter((v) => v === 'review')).toHaveLength(2);
    expect((await call(server, '/api/datasets/coco/colors?by=nothing')).status).toBe(400);
  });

  it('imports labels as a job, and names a field it does not take', async () => {
    const { server } = await served();
    const imported = await runJob(server, {
      kind: 'import',
      dataset: 'coco',
      source: {
        yolo: join(COCO128, 'labels'),
        classes: join(COCO128, 'classes.yaml'),
        as: 'annotations',
        task: 'yolo',
      },
    });
    expect(imported.end).toMatchObject({
      state: 'done',
      result: { kind: 'yolo', target: 'annotations', task: 'yolo' },
    });
    const boxes = await json(server, '/api/datasets/coco/query', {
      sql: "SELECT count(*) AS n FROM annotations WHERE task = 'yolo'",
    });
    expect(boxes.rows[0].n).toBe(imported.end.result.records);
    // A field the import job does not take is refused before any job starts, naming its path.
    await expect(
      json(server, '/api/jobs', { kind: 'import', dataset: 'coco', source: { yolo: 'x', password: 'y' } }),
    ).rejects.toMatchObject({
      status: 400,
      body: { error: { code: 'invalid_argument', message: 'source.password: not a field of this request' } },
    });
  });

  it('cancels a running job and a queued one', async () => {
    process.env.WINNOW_MODEL_DIR = MODELS;
    const { server } = await served();
    const running = await json(server, '/api/jobs', {
      kind: 'embed',
      dataset: 'coco',
      options: { model: 'mobilenetv2-int8', device: 'cpu' },
    });
    const queued = await json(server, '/api/jobs', {
      kind: 'analyze',
      dataset: 'coco',
      options: { typicality: true },
    });
    expect((await json(server, `/api/jobs/${queued.id}`)).state).toBe('queued');
    await call(server, `/api/jobs/${queued.id}`, { method: 'DELETE' });
    await call(server, `/api/jobs/${running.id}`, { method: 'DELETE' });
    const events = await call(server, `/api/jobs/${running.id}/events`);
    expect(await events.text()).toMatch(/event: end\ndata: .*"state":"cancelled"/);
    expect(await json(server, `/api/jobs/${queued.id}`)).toMatchObject({ state: 'cancelled' });
    await expect(json(server, '/api/jobs', { kind: 'explode', dataset: 'coco' })).rejects.toMatchObject({
      status: 400,
    });
    // Storage options as the command line writes them, checked by the same parser.
    const bad = await runJob(server, {
      kind: 'ingest',
      dataset: 'b',
      location: IMAGES,
      options: { storage: ['bogus=1'] },
    });
    expect(bad.end).toMatchObject({
      state: 'failed',
      error: expect.stringMatching(/^storage bogus: unknown storage option/),
    });
  }, 60_000);
});

describe('decompression bombs at the local server', () => {
  it('refuses their thumbnails with the reason, from the index or from their headers', async () => {
    const root = tempDir();
    writeBombs(root);
    copyFileSync(join(IMAGES, readdirSync(IMAGES).sort()[0]!), join(root, 'good.jpg'));
    const ws = await tempWorkspace();
    await ingest(ws, root, { dataset: 'bombs' });
    const server = await startServer(ws);
    open.push({ ws, server });
    const rows = await ws.db.all<{ path: string; id: number }>(
      'SELECT path, sample_id AS id FROM winnow.samples',
    );
    const thumbnail = (name: string) =>
      call(server, `/api/datasets/bombs/samples/${rows.find((r) => r.path === name)!.id}/thumbnail`);
    const expectRefused = async () => {
      for (const [name, { reason }] of Object.entries(BOMBS)) {
        const answer = await thumbnail(name);
        expect(answer.status, name).toBe(400);
        expect((await answer.json()).error.message).toMatch(
          new RegExp(`^${name}: no thumbnail: ${reason}: `),
        );
      }
    };
    // Marked at ingest: refused from the index.
    await expectRefused();
    // Taken as ok by an index from before the pixel limit: refused from their headers, never decoded.
    await ws.db.run("UPDATE winnow.samples SET status = 'ok', reason = NULL");
    await expectRefused();
    expect((await thumbnail('good.jpg')).headers.get('content-type')).toBe('image/jpeg');
  });

  it('decodes in worker threads: during a long decode `winnow serve` answers health, its thread stays free', async () => {
    const root = tempDir();
    // 1 KB, 98 megapixels: within the limit, and a third of a second of the native decoder's work.
    writeFileSync(join(root, 'slow.bmp'), rle8Bomb(9900));
    const dir = join(tempDir(), '.winnow');
    expect((await winnow(dir, 'ingest', root, '--dataset', 'slow')).code).toBe(0);
    const winnowJs = join(REPOSITORY, 'core/bin/winnow.js');
    const serve = spawn(process.execPath, [winnowJs, '--workspace', dir, 'serve'], { stdio: 'ignore' });
    try {
      let running = await findRunning(dir);
      for (; !running; running = await findRunning(dir)) await new Promise((r) => setTimeout(r, 100));
      const { url, token } = running;
      const get = (path: string) => fetch(`${url}${path}`, { headers: { authorization: `Bearer ${token}` } });
      const before = { main: cpuTicks(serve.pid!, serve.pid), all: cpuTicks(serve.pid!) };
      let settled = false;
      const slow = get('/api/datasets/slow/samples/1/thumbnail').finally(() => {
        settled = true;
      });
      await new Promise((r) => setTimeout(r, 100)); // the decode is under way
      expect((await get('/api/health')).ok).toBe(true);
      expect(settled).toBe(false);
      expect((await slow).status).toBe(200);
      // The decode's CPU time went to other threads: the server's own thread stayed free.
      const main = cpuTicks(serve.pid!, serve.pid) - before.main;
      const all = cpuTicks(serve.pid!) - before.all;
      expect(main).toBeLessThan(all / 4);
    } finally {
      const exited = new Promise((r) => serve.once('exit', r));
      serve.kill('SIGTERM');
      await exited;
    }
  });
});

/** CPU time (user + system, in clock ticks) of a process, or of one of its threads. */
function cpuTicks(pid: number, thread?: number): number {
  const stat = readFileSync(`/proc/${pid}${thread === undefined ? '' : `/task/${thread}`}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}
