// GET /api/samples/lookup: which sample a filename in an editor is (extension-vscode's hover), in
// every form a user has it in: relative, absolute, a file:// URL, a bucket URL.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ServerClient } from '../src/client/server-client.js';
import { ingest } from '../src/ingest/index.js';
import { pathInDataset } from '../src/server/sample-lookup.js';
import type { Dataset } from '../src/store/workspace.js';
import { Tags } from '../src/tags/tags.js';
import { IMAGES, request, servedCoco } from './served.js';

const FILE = '000000000009.jpg';
const lookup = (location: string) => `/api/samples/lookup?${new URLSearchParams({ location })}`;

describe('a sample looked up by its location', () => {
  it('is found by its relative filename, absolute path and file URL, in every dataset holding it', async () => {
    const { ws, server } = await servedCoco();
    await ingest(ws, IMAGES, { dataset: 'again' });
    for (const location of [FILE, `./${FILE}`, join(IMAGES, FILE), pathToFileURL(join(IMAGES, FILE)).href]) {
      const { status, body } = await request(server, 'GET', lookup(location));
      expect(status).toBe(200);
      expect(body.location).toBe(location);
      expect(body.matches.map((m: { dataset: string }) => m.dataset)).toEqual(['coco', 'again']);
      expect(body.matches[0]).toMatchObject({ path: FILE, sample_id: expect.any(Number) });
    }
  });

  it('finds nothing for a file outside the datasets, or one that is not a sample', async () => {
    const { server } = await servedCoco();
    for (const location of [
      'nope.jpg',
      join(IMAGES, '..', FILE),
      `../images/${FILE}`,
      's3://bucket/x.jpg',
      '/',
    ]) {
      expect((await request(server, 'GET', lookup(location))).body.matches).toEqual([]);
    }
  });

  it('refuses a missing or overlong location, naming the field', async () => {
    const { server } = await servedCoco();
    const missing = await request(server, 'GET', '/api/samples/lookup');
    expect(missing.status).toBe(400);
    expect(missing.body.error.message).toBe('location: expected a string');
    const long = await request(server, 'GET', lookup(`${'a/'.repeat(2100)}x.jpg`));
    expect(long.status).toBe(400);
    expect(long.body.error.message).toBe('location: at most 4096 characters');
  });

  it('reaches the client with the sample, its tags and its thumbnail', async () => {
    const { ws, server } = await servedCoco();
    const client = new ServerClient(server);
    const [match] = (await client.lookupSample(join(IMAGES, FILE))).matches;
    await new Tags(ws, await ws.dataset('coco')).create('picked', { files: [FILE] });
    const detail = await client.sample('coco', match!.sample_id);
    expect(detail.sample).toMatchObject({ filename: FILE, width: 640 });
    expect(detail.tags).toEqual(['picked']);
    const jpeg = await client.thumbnail('coco', match!.sample_id);
    expect([...jpeg.subarray(0, 3)]).toEqual([0xff, 0xd8, 0xff]);
  });
});

describe("a location's path in a dataset", () => {
  const bucket = { name: 'b', input: { kind: 's3', uri: 's3://data/coco/' } } as Dataset;
  const folder = { name: 'f', input: { kind: 'local', uri: '/data/coco' } } as Dataset;

  it("is the rest of a URL under a bucket dataset's input, and nothing outside it", () => {
    expect(pathInDataset(bucket, 's3://data/coco/train/a.jpg')).toBe('train/a.jpg');
    expect(pathInDataset(bucket, 'train/a.jpg')).toBe('train/a.jpg');
    expect(pathInDataset(bucket, 's3://data/cocoa/a.jpg')).toBeUndefined();
    expect(pathInDataset(bucket, 'gs://data/coco/a.jpg')).toBeUndefined();
    expect(pathInDataset(bucket, '/data/coco/a.jpg')).toBeUndefined();
  });

  it('is relative to a local dataset, for a path or a file URL, and nothing outside it', () => {
    expect(pathInDataset(folder, '/data/coco/train/a.jpg')).toBe('train/a.jpg');
    expect(pathInDataset(folder, 'file:///data/coco/train/a%20b.jpg')).toBe('train/a b.jpg');
    expect(pathInDataset(folder, '/data/cocoa/a.jpg')).toBeUndefined();
    expect(pathInDataset(folder, 's3://data/coco/a.jpg')).toBeUndefined();
    expect(pathInDataset(folder, 'file://host:bad')).toBeUndefined();
  });
});
