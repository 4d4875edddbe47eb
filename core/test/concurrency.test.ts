import { describe, expect, it } from 'vitest';
import { ingest } from '../src/ingest/index.js';
import { Tags } from '../src/tags/tags.js';
import { tempWorkspace } from './helpers.js';
import { IMAGES, request, servedCoco } from './served.js';

const WRITERS = 20;

describe('concurrent changes over HTTP lose nothing', () => {
  it('20 parallel adds to a new tag give 20 members and 20 history rows', async () => {
    const { ws, server } = await servedCoco();
    const ids = (
      await request(server, 'POST', '/api/datasets/coco/query', {
        sql: `SELECT sample_id FROM samples ORDER BY sample_id LIMIT ${WRITERS}`,
      })
    ).body.rows.map((row: { sample_id: number }) => row.sample_id);
    const answers = await Promise.all(
      ids.map((id: number) => request(server, 'PATCH', '/api/datasets/coco/tags/picked', { add: [id] })),
    );
    expect(answers.map((answer) => answer.status)).toEqual(ids.map(() => 200));
    const tags = (await request(server, 'GET', '/api/datasets/coco/tags')).body;
    expect(tags).toEqual([expect.objectContaining({ name: 'picked', size: WRITERS, version: WRITERS })]);
    const history = await ws.db.all(
      `SELECT count(*) AS n, count(DISTINCT h.version) AS versions FROM winnow.tag_history h
       JOIN winnow.tags t USING (tag_id) WHERE t.name = 'picked' AND h.added`,
    );
    expect(history).toEqual([{ n: WRITERS, versions: WRITERS }]);
  });

  it('parallel annotations on one sample, in a new task, are each kept with their own version', async () => {
    const { server } = await servedCoco();
    const answers = await Promise.all(
      Array.from({ length: WRITERS }, (_, i) =>
        request(server, 'POST', '/api/datasets/coco/samples/1/annotations', {
          task: 'boxes',
          category: `class-${i % 3}`,
          box: [i, i, 10, 10],
        }),
      ),
    );
    expect(answers.map((answer) => answer.status)).toEqual(answers.map(() => 200));
    const listed = (await request(server, 'GET', '/api/datasets/coco/samples/1/annotations')).body;
    expect(listed).toHaveLength(WRITERS);
    expect(new Set(listed.map((a: { version: number }) => a.version)).size).toBe(WRITERS);
    const classes = await request(server, 'POST', '/api/datasets/coco/query', {
      sql: "SELECT count(*) AS n FROM annotations WHERE task = 'boxes'",
    });
    expect(classes.body.rows).toEqual([{ n: WRITERS }]);
  });
});

describe('concurrent changes from engine calls in one process lose nothing', () => {
  it('two Tags objects adding to a new tag at once give both members and two versions', async () => {
    const ws = await tempWorkspace();
    try {
      await ingest(ws, IMAGES, { dataset: 'coco' });
      const dataset = await ws.dataset('coco');
      const [first, second] = [new Tags(ws, dataset), new Tags(ws, dataset)];
      await Promise.all([
        first.addAndRemove('both', { add: [1], remove: [] }),
        second.addAndRemove('both', { add: [2], remove: [] }),
      ]);
      expect(await first.history('both')).toMatchObject([
        { version: 1, size: 1 },
        { version: 2, size: 2 },
      ]);
    } finally {
      ws.close();
    }
  });
});
