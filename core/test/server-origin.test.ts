import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { LocalServer } from '../src/server/server.js';
import { tempDir } from './helpers.js';
import { request, servedCoco } from './served.js';

/** What the kernel's relay adds to every request it passes on from a view. */
const FROM_VIEW = { 'x-winnow-origin': 'view' };
const SECRET = 'hunter2-private-words';

/** A file outside every dataset, with private content, as /any/file.csv. */
function privateFile(): string {
  const file = join(tempDir(), 'file.csv');
  writeFileSync(file, `user,home\n${SECRET},/home/${SECRET}\n`);
  return file;
}

/** Polls a job until it ends. */
async function ended(server: LocalServer, id: string) {
  for (;;) {
    const job = (await request(server, 'GET', `/api/jobs/${id}`)).body;
    if (job.state !== 'queued' && job.state !== 'running') return job;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('requests from a view cannot have the server read local paths', () => {
  it('an import job naming a file, sent as the relay sends it, is refused without reading it', async () => {
    const { ws, server } = await servedCoco();
    const job = { kind: 'import', dataset: 'coco', source: { metadata: privateFile(), key: 'user' } };
    const refused = await request(server, 'POST', '/api/jobs', job, FROM_VIEW);
    expect(refused.status).toBe(403);
    expect(refused.body.error).toEqual({
      code: 'permission_denied',
      message:
        "import jobs naming local files cannot come from a view: start it from the notebook's kernel (winnow) or the winnow command",
    });
    expect(await ws.db.value("SELECT count(*) FROM winnow.runs WHERE kind = 'import'")).toBe(0);
  });

  it('the same job from the kernel is run, and its record names no line of the file', async () => {
    const { ws, server } = await servedCoco();
    const job = { kind: 'import', dataset: 'coco', source: { metadata: privateFile(), key: 'user' } };
    const started = await request(server, 'POST', '/api/jobs', job);
    expect(started.status).toBe(200);
    const done = await ended(server, started.body.id);
    expect(done).toMatchObject({ state: 'done', result: { samples: 0, unmatched: [], unmatched_count: 1 } });
    const runs = await ws.db.all('SELECT config, stats, error FROM winnow.runs');
    expect(JSON.stringify([done, runs])).not.toContain(SECRET);
  });

  it('ingests and model files are refused from a view; a selection is not', async () => {
    const { server } = await servedCoco();
    const refusals = await Promise.all(
      [
        { kind: 'ingest', dataset: 'other', location: '/etc' },
        { kind: 'embed', dataset: 'coco', options: { model: '/tmp/model.yaml' } },
        { kind: 'embed', dataset: 'coco', options: { model: 'x.onnx', modelConfig: '/tmp/model.yaml' } },
      ].map((job) => request(server, 'POST', '/api/jobs', job, FROM_VIEW)),
    );
    expect(refusals.map((answer) => answer.status)).toEqual([403, 403, 403]);
    const search = await request(
      server,
      'POST',
      '/api/datasets/coco/search',
      { text: 'a dog', model: '/tmp/m.yaml' },
      FROM_VIEW,
    );
    expect(search).toMatchObject({ status: 403, body: { error: { code: 'permission_denied' } } });
    const config = {
      n_samples: 2,
      strategies: [{ input: { type: 'RANDOM' }, strategy: { type: 'WEIGHTS' } }],
    };
    const select = await request(
      server,
      'POST',
      '/api/jobs',
      { kind: 'select', dataset: 'coco', config, tag: 'two' },
      FROM_VIEW,
    );
    expect(select.status).toBe(200);
    expect(await ended(server, select.body.id)).toMatchObject({ state: 'done' });
  });
});

describe('requests from a view cannot have the server write local paths', () => {
  it('an export with out is refused from a view and written for the winnow command', async () => {
    const { server } = await servedCoco();
    const out = join(tempDir(), 'all.csv');
    const body = { format: 'csv', selection: { all: true }, out };
    const refused = await request(server, 'POST', '/api/datasets/coco/export', body, FROM_VIEW);
    expect(refused.status).toBe(403);
    expect(refused.body.error).toEqual({
      code: 'permission_denied',
      message: 'out: a view cannot have the server write files',
    });
    expect(existsSync(out)).toBe(false);
    const written = await request(server, 'POST', '/api/datasets/coco/export', body);
    expect(written.body).toEqual({ format: 'csv', count: 128, out });
    expect(existsSync(out)).toBe(true);
  });
});
