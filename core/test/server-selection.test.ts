import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAX_SELECTED } from '../src/server/selection-routes.js';
import { IMAGES, request, servedCoco } from './served.js';

const SELECTION = '/api/datasets/coco/selection';

/** The shared live selection (docs/server.md, "The live selection"). */
describe("a dataset's live selection", () => {
  it('is empty at first, then what was PUT last, with its source, time and a growing version', async () => {
    const { server } = await servedCoco();
    expect((await request(server, 'GET', SELECTION)).body).toEqual({
      dataset: 'coco',
      sample_ids: [],
      source: null,
      at: null,
      version: 0,
    });
    const put = await request(server, 'PUT', SELECTION, { sample_ids: [7, 3, 3], source: 'scatter' });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ sample_ids: [3, 7], source: 'scatter', version: 1 });
    await request(server, 'PUT', SELECTION, { sample_ids: [2], source: 'cli' });
    const { body } = await request(server, 'GET', `${SELECTION}?files=true`);
    expect(body).toMatchObject({ dataset: 'coco', sample_ids: [2], source: 'cli', version: 2 });
    expect(Number.isNaN(Date.parse(body.at))).toBe(false);
    const { body: page } = await request(server, 'GET', '/api/datasets/coco/samples?where=sample_id%3D2');
    expect(body.filenames).toEqual([join(IMAGES, page.samples[0].filename)]);
  });

  it('answers a read ?after= a version once the selection changes', async () => {
    const { server } = await servedCoco();
    const waiting = request(server, 'GET', `${SELECTION}?after=0`);
    let answered = false;
    void waiting.then(() => {
      answered = true;
    });
    // The current version is 0, so the read waits: the health check answers first.
    await request(server, 'GET', '/api/health');
    expect(answered).toBe(false);
    await request(server, 'PUT', SELECTION, { sample_ids: [5, 9], source: 'grid' });
    expect((await waiting).body).toMatchObject({ sample_ids: [5, 9], source: 'grid', version: 1 });
    // A version already passed answers at once, and so does one this server never had (a view
    // that read it from the server before a restart).
    expect((await request(server, 'GET', `${SELECTION}?after=0`)).body.version).toBe(1);
    expect((await request(server, 'GET', `${SELECTION}?after=7`)).body.version).toBe(1);
  });

  it('refuses ids that are not sample ids of the dataset, too many, a bad source or version', async () => {
    const { server } = await servedCoco();
    const refusal = async (method: string, path: string, body?: unknown) => {
      const answer = await request(server, method, path, body);
      expect(answer.status).toBe(400);
      return answer.body.error.message;
    };
    expect(await refusal('PUT', SELECTION, { sample_ids: [1, 'x'], source: 'grid' })).toBe(
      'sample_ids: expected a list of sample ids (integers, 0 or more)',
    );
    expect(await refusal('PUT', SELECTION, { sample_ids: [1.5], source: 'grid' })).toMatch(/^sample_ids:/);
    expect(await refusal('PUT', SELECTION, { sample_ids: [1, 100000], source: 'grid' })).toBe(
      "sample_ids: dataset 'coco' has no sample 100000",
    );
    const many = Array.from({ length: MAX_SELECTED + 1 }, (_, i) => i);
    expect(await refusal('PUT', SELECTION, { sample_ids: many, source: 'grid' })).toBe(
      `sample_ids: at most ${MAX_SELECTED} ids, got ${MAX_SELECTED + 1}`,
    );
    expect(await refusal('PUT', SELECTION, { sample_ids: [1] })).toMatch(/^source:/);
    expect(await refusal('PUT', SELECTION, { sample_ids: [1], source: 'a b' })).toMatch(/^source:/);
    expect(await refusal('GET', `${SELECTION}?after=-1`)).toBe(
      "after: expected a selection version (0 or more), got '-1'",
    );
    expect((await request(server, 'GET', SELECTION)).body.version).toBe(0);
    expect((await request(server, 'GET', '/api/datasets/nope/selection')).status).toBe(404);
  });
});
