import { copyFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { mergePart, SAMPLE_VERSION_SQL } from '../src/embed/parts.js';
import { embedShard, parseManifest, type ShardManifest } from '../src/embed/shard.js';
import { ingest } from '../src/ingest/index.js';
import { openWorkArea } from '../src/storage/open.js';
import { COCO128, REPOSITORY, tempDir, tempWorkspace } from './helpers.js';

/**
 * The two halves of a distributed embedding without a cluster: a shard run in this process
 * (what a Ray task runs on a node) writes its part, and the workspace merges it: once, with the
 * version check, and the corrupt files recorded.
 */
process.env.WINNOW_MODEL_DIR ??= join(REPOSITORY, '../shared/models');
const JPEGS = readdirSync(join(COCO128, 'images')).sort().slice(0, 6);
const MODEL = { name: 'squeezenet1.1', source: { model: 'squeezenet1.1' } };

async function setUp() {
  const root = tempDir();
  for (const name of JPEGS) copyFileSync(join(COCO128, 'images', name), join(root, name));
  // Header and end chunk intact (ingest takes it), the compressed pixels zeroed: decoding fails.
  const broken = await sharp(join(COCO128, 'images', JPEGS[0]!))
    .png()
    .toBuffer();
  broken.fill(0, 1000, broken.length - 100);
  writeFileSync(join(root, 'broken.png'), broken);
  const ws = await tempWorkspace();
  await ingest(ws, root, { dataset: 'd' });
  const dataset = await ws.dataset('d');
  const samples = await ws.db.all<{ id: number; path: string; version: string }>(
    `SELECT s.sample_id AS id, s.path, ${SAMPLE_VERSION_SQL} AS version FROM winnow.samples s
     WHERE s.status = 'ok' ORDER BY s.path`,
  );
  const manifest = (shard: string, chosen: typeof samples): ShardManifest => ({
    run_id: 'embedding-test',
    shard,
    input: dataset.input,
    work: dataset.work,
    model: MODEL.name,
    device: 'cpu',
    samples: chosen,
  });
  const work = await openWorkArea(dataset.work);
  return { ws, dataset, root, samples, manifest, work };
}

async function vectorCount(ws: Awaited<ReturnType<typeof tempWorkspace>>): Promise<number> {
  return ws.db.value<number>('SELECT count(*) FROM winnow.embeddings_1');
}

describe('shards and parts', () => {
  it('a shard writes its part and thumbnails; a merge takes it once, marks the corrupt file, and merging again changes nothing', async () => {
    const { ws, dataset, samples, manifest, work } = await setUp();
    const shard = await embedShard(manifest('0-of-1', samples));
    expect(shard).toMatchObject({ part: 'parts/embedding-test/0-of-1.parquet', embedded: 6, failed: 1 });
    for (const { id, path } of samples)
      expect(await work.exists(`thumbnails/${id}.jpg`)).toBe(path !== 'broken.png');
    expect(await mergePart(ws, dataset, work, shard.part, MODEL)).toMatchObject({
      merged: 6,
      corrupt: 1,
      skipped: 0,
      dim: 512,
    });
    expect(await ws.db.value("SELECT status FROM winnow.samples WHERE path = 'broken.png'")).toBe('corrupt');
    expect(await mergePart(ws, dataset, work, shard.part, MODEL)).toMatchObject({
      merged: 0,
      corrupt: 0,
      skipped: 7,
    });
    expect(await vectorCount(ws)).toBe(6);
    ws.close();
  }, 60_000);

  it('leaves out the samples that changed since their shard read them: they stay pending', async () => {
    const { ws, dataset, root, samples, manifest, work } = await setUp();
    const good = samples.filter((s) => s.path !== 'broken.png');
    const shard = await embedShard(manifest('0-of-1', good));
    // One file is replaced by another picture before the part is merged.
    copyFileSync(join(COCO128, 'images', JPEGS.at(-1)!), join(root, good[0]!.path));
    await ingest(ws, root, { dataset: 'd' });
    expect(await mergePart(ws, dataset, work, shard.part, MODEL)).toMatchObject({ merged: 5, skipped: 1 });
    const pending = await ws.db.all(
      "SELECT path FROM winnow.samples WHERE status = 'ok' AND sample_id NOT IN (SELECT sample_id FROM winnow.embeddings_1) ORDER BY path",
    );
    expect(pending).toEqual([{ path: good[0]!.path }, { path: 'broken.png' }]);
    ws.close();
  }, 60_000);

  it('a bad manifest is a one-line error naming the field', () => {
    expect(() => parseManifest('{')).toThrow('shard manifest: not JSON');
    expect(() => parseManifest(JSON.stringify({ run_id: 'r', shard: '../x' }))).toThrow(
      /^shard manifest: shard: /,
    );
  });
});
