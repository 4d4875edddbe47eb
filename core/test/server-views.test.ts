import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { importMetadataTable, importYolo } from '../src/ingest/import/index.js';
import { COCO128, tempDir } from './helpers.js';
import { request, servedCoco } from './served.js';

/** The routes that answer what the browser views used to ask in SQL (docs/server.md). */
describe('what the views ask, the server answers', () => {
  it("gives a dataset's tasks with their classes, prediction tasks, models and metadata keys", async () => {
    const { ws, server } = await servedCoco();
    const coco = await ws.dataset('coco');
    const empty = await request(server, 'GET', '/api/datasets/coco/vocabulary');
    expect(empty).toEqual({
      status: 200,
      body: { tasks: [], classes: [], predictionTasks: [], models: [], metadataFields: [] },
    });
    const labels = join(COCO128, 'labels');
    const classes = join(COCO128, 'classes.yaml');
    await importYolo(ws, coco, labels, { classes, as: 'predictions', task: 'det' });
    await importYolo(ws, coco, labels, { classes, as: 'annotations', task: 'truth' });
    const table = join(tempDir(), 'meta.csv');
    writeFileSync(table, 'filename,brightness,scene\n000000000009.jpg,0.5,beach\n');
    await importMetadataTable(ws, coco, table);

    const { status, body } = await request(server, 'GET', '/api/datasets/coco/vocabulary');
    expect(status).toBe(200);
    expect(body.tasks.map((t: { task: string; type: string }) => [t.task, t.type])).toEqual([
      ['det', 'object-detection'],
      ['truth', 'object-detection'],
    ]);
    // Classes in the model's order (classes.yaml), not alphabetical.
    expect(body.tasks[0].classes.slice(0, 3)).toEqual(['person', 'bicycle', 'car']);
    expect(body.classes.slice(0, 3)).toEqual(['person', 'bicycle', 'car']);
    expect(body.classes).toEqual(body.tasks[0].classes);
    expect(body.predictionTasks).toEqual(['det']);
    expect(body.models).toEqual([]);
    expect(body.metadataFields).toEqual([
      { key: 'brightness', type: 'float', categorical: false },
      { key: 'scene', type: 'string', categorical: expect.any(Boolean) },
    ]);
    expect((await request(server, 'GET', '/api/datasets/nope/vocabulary')).status).toBe(404);
  });

  it('places a sample among the samples meeting the query, refusing a bad condition', async () => {
    const { server } = await servedCoco();
    const all = await request(server, 'GET', '/api/datasets/coco/samples/10/position');
    expect(all.body).toEqual({ before: 9, matches: true, total: 128 });
    const where = encodeURIComponent('sample_id % 2 = 0');
    const even = await request(server, 'GET', `/api/datasets/coco/samples/10/position?where=${where}`);
    expect(even.body).toEqual({ before: 4, matches: true, total: 64 });
    const odd = await request(
      server,
      'GET',
      `/api/datasets/coco/samples/10/position?where=${encodeURIComponent('sample_id % 2 = 1')}`,
    );
    expect(odd.body).toEqual({ before: 5, matches: false, total: 64 });
    const refused = await request(
      server,
      'GET',
      `/api/datasets/coco/samples/10/position?where=${encodeURIComponent('1=1) UNION SELECT 1 FROM winnow.samples --')}`,
    );
    expect(refused.status).toBe(400);
    expect((await request(server, 'GET', '/api/datasets/coco/samples/x/position')).body.error.message).toBe(
      "sample id: expected a non-negative integer, got 'x'",
    );
  });

  it("gives a tag's sample ids as Arrow, and names a tag that does not exist", async () => {
    const { server } = await servedCoco();
    await request(server, 'PATCH', `/api/datasets/coco/tags/${encodeURIComponent('picked/1')}`, {
      add: [30, 4, 17],
    });
    const response = await fetch(
      `${server.url}/api/datasets/coco/tags/${encodeURIComponent('picked/1')}/ids`,
      {
        headers: { authorization: `Bearer ${server.token}` },
      },
    );
    expect(response.headers.get('content-type')).toBe('application/vnd.apache.arrow.stream');
    const ids = tableFromIPC(new Uint8Array(await response.arrayBuffer()))
      .getChild('sample_id')!
      .toArray();
    expect(Array.from(ids)).toEqual([4, 17, 30]);
    const missing = await request(server, 'GET', '/api/datasets/coco/tags/nope/ids');
    expect(missing).toMatchObject({
      status: 404,
      body: { error: { message: "no tag named 'nope' in dataset 'coco'" } },
    });
  });

  it("writes the query bar's chips and SQL text as one condition the samples route takes", async () => {
    const { server } = await servedCoco();
    const chips = [
      { field: 'format', op: '=', value: "j'peg" },
      { field: 'size', op: 'range', value: [10, 20.5] },
      { field: 'tag', op: '!=', value: "it's" },
      { field: 'width', op: '=', value: null },
    ];
    const { body } = await request(server, 'POST', '/api/datasets/coco/conditions', {
      chips,
      sql: ' height < 300 ',
    });
    expect(body.where).toBe(
      "(format = 'j''peg') AND (size >= 10 AND size < 20.5) AND " +
        "(sample_id NOT IN (SELECT sample_id FROM tag_members WHERE tag = 'it''s')) AND (width IS NULL) AND (height < 300)",
    );
    const page = await request(
      server,
      'GET',
      `/api/datasets/coco/samples?limit=1&where=${encodeURIComponent(body.where)}`,
    );
    expect(page.status).toBe(200);
    const one = await request(server, 'POST', '/api/datasets/coco/conditions', {
      chips: [{ field: 'prediction.category', op: '=', value: 'cat' }],
    });
    expect(one.body.where).toBe("sample_id IN (SELECT sample_id FROM predictions WHERE category = 'cat')");
    expect(
      (await request(server, 'POST', '/api/datasets/coco/conditions', { chips: [], sql: '  ' })).body,
    ).toEqual({
      where: '',
    });
    for (const [chip, message] of [
      [
        { field: 'width', op: '>', value: '1; DROP TABLE x' },
        "chips[0].value: '1; DROP TABLE x' is not a number",
      ],
      [{ field: 'nope', op: '=', value: 'x' }, "chips[0].field: unknown field 'nope'"],
      [{ field: 'tag', op: '<', value: 'x' }, 'chips[0].op: tag: only = and != apply to a set of labels'],
      [{ field: 'width', op: 'like', value: 1 }, "chips[0].op: unknown operator 'like'"],
    ] as const) {
      const refused = await request(server, 'POST', '/api/datasets/coco/conditions', { chips: [chip] });
      expect(refused.status).toBe(400);
      expect(refused.body.error.message).toContain(message);
    }
  });
});
