// Requests that are the client's fault get a 400 with one line naming what is wrong, never a 500.
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ingest } from '../src/ingest/index.js';
import { type LocalServer, startServer } from '../src/server/server.js';
import type { Workspace } from '../src/store/workspace.js';
import { COCO128, tempDir, tempWorkspace } from './helpers.js';

let open: { ws: Workspace; server: LocalServer }[] = [];
afterEach(async () => {
  for (const { ws, server } of open.splice(0)) {
    await server.close();
    ws.close();
  }
  open = [];
});

async function served(): Promise<LocalServer> {
  const folder = join(tempDir(), 'photos');
  mkdirSync(folder);
  for (const name of ['000000000009.jpg', '000000000025.jpg'])
    copyFileSync(join(COCO128, 'images', name), join(folder, name));
  const ws = await tempWorkspace();
  await ingest(ws, folder, { dataset: 'photos' });
  const server = await startServer(ws);
  open.push({ ws, server });
  return server;
}

async function answer(server: LocalServer, method: string, path: string, body?: unknown) {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${server.token}` },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

describe('bad requests', () => {
  it('answers a malformed %-escape in the path with 400', async () => {
    const server = await served();
    for (const path of ['/api/datasets/%E0%A4%A/samples', '/api/datasets/photos/tags/%ZZ']) {
      expect(await answer(server, 'GET', path)).toEqual({
        status: 400,
        body: {
          error: {
            code: 'invalid_argument',
            message: `malformed %-encoding in the path ${path}: each % starts two hex digits of UTF-8 (a space is %20)`,
          },
        },
      });
    }
    // A good escape still names the dataset.
    expect((await answer(server, 'GET', '/api/datasets/%70hotos/tags')).status).toBe(200);
  });

  it('answers a selection whose field has the wrong type with 400 naming the field', async () => {
    const server = await served();
    const create = (selection: unknown) =>
      answer(server, 'POST', '/api/datasets/photos/tags', { name: 'picked', selection });
    const cases: [unknown, string][] = [
      [{ files: '000000000009.jpg' }, 'selection.files: expected a list of filenames'],
      [{ files: [1, 2] }, 'selection.files: expected a list of filenames'],
      [{ ids: [1.5] }, 'selection.ids: expected a list of sample ids'],
      [{ tag: 7 }, 'selection.tag: expected a tag name'],
      [{ all: 'yes' }, 'selection.all: expected true or false'],
      ['all', 'selection: expected an object with one of all, tag, filter, sql, files, run, ids'],
      [undefined, 'selection: expected an object with one of all, tag, filter, sql, files, run, ids'],
    ];
    for (const [selection, message] of cases) {
      expect(await create(selection), JSON.stringify(selection)).toEqual({
        status: 400,
        body: { error: { code: 'invalid_argument', message } },
      });
    }
    const made = await create({ files: ['000000000009.jpg'] });
    expect(made.status).toBe(200);
    expect(made.body.tag.size).toBe(1);
  });

  it('answers a body that breaks the contract with 400 naming the field path (core/src/contract)', async () => {
    const server = await served();
    const cases: [string, string, unknown, string][] = [
      [
        'POST',
        '/api/jobs',
        { kind: 'import', dataset: 'photos', source: { coco: 7 } },
        'source.coco: expected a string',
      ],
      [
        'POST',
        '/api/jobs',
        { kind: 'import', dataset: 'photos', source: { cocoa: 'x.json' } },
        'source.cocoa: not a field of this request',
      ],
      [
        'POST',
        '/api/jobs',
        { kind: 'import', dataset: 'photos', source: { coco: 'x.json', as: 'labels' } },
        'source.as: expected predictions or annotations',
      ],
      [
        'POST',
        '/api/jobs',
        { kind: 'embed', dataset: 'photos', options: { batchSize: -1 } },
        'options.batchSize: expected a non-negative integer',
      ],
      [
        'POST',
        '/api/jobs',
        { kind: 'reindex', dataset: 'photos' },
        'kind: expected one of ingest, embed, analyze, import, select',
      ],
      ['POST', '/api/jobs', { kind: 'select', dataset: 'photos', config: {} }, 'tag: expected a string'],
      [
        'POST',
        '/api/query',
        { sql: 'SELECT 1', max_rows: 'ten' },
        'max_rows: expected a non-negative integer',
      ],
      [
        'POST',
        '/api/datasets/photos/credentials',
        { input: { accessKeyId: 1 } },
        'credentials.input.accessKeyId: expected a string',
      ],
      [
        'POST',
        '/api/datasets/photos/credentials',
        { output: {} },
        'credentials.output: not a field of this request',
      ],
      [
        'PUT',
        '/api/datasets/photos/samples/1/caption',
        {},
        'caption: expected a string, or null to remove it',
      ],
      [
        'POST',
        '/api/datasets/photos/samples/by-id',
        { ids: ['1'] },
        'ids[0]: expected a non-negative integer',
      ],
      [
        'POST',
        '/api/datasets/photos/export',
        { format: 'csv', selection: { all: true }, columns: 'width' },
        'columns: expected array, received string',
      ],
      [
        'POST',
        '/api/datasets/photos/export',
        { format: 'filenames', selection: { all: true }, where: 'x' },
        'where: not a field of this request',
      ],
      ['POST', '/api/datasets/photos/search', { text: 7 }, 'text: expected string, received number'],
      [
        'POST',
        '/api/datasets/photos/tags/picked/combine',
        { operation: 'xor', sources: [] },
        'operation: expected one of union, intersection, difference',
      ],
    ];
    for (const [method, path, body, message] of cases) {
      expect(await answer(server, method, path, body), `${path} ${JSON.stringify(body)}`).toEqual({
        status: 400,
        body: { error: { code: 'invalid_argument', message } },
      });
    }
  });
});
