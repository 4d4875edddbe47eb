import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runQuery } from '../src/query/run.js';
import { MIGRATIONS, SCHEMA_VERSION, schemaVersion } from '../src/store/migrations.js';
import { type Dataset, Workspace } from '../src/store/workspace.js';
import { tempDir } from './helpers.js';

describe('workspace store', () => {
  it('opens a workspace made at the first schema version with the current code, keeping its data', async () => {
    const dir = join(tempDir(), '.winnow');
    const old = await Workspace.open(dir, { upToVersion: 1 });
    expect(await schemaVersion(old.db)).toBe(1);
    await old.db.run(
      `INSERT INTO winnow.datasources (kind, uri) VALUES ('local', '/data');
       INSERT INTO winnow.datasets (name, input_datasource_id, work_datasource_id) VALUES ('old', 1, 1);
       INSERT INTO winnow.samples (sample_id, dataset_id, kind, path, status) VALUES (1, 1, 'image', 'a.jpg', 'ok')`,
    );
    const annotationsBefore = await old.db.value<number>(
      `SELECT count(*) FROM information_schema.tables WHERE table_schema = 'winnow' AND table_name = 'annotations'`,
    );
    old.close();
    expect(annotationsBefore).toBe(0);

    const current = await Workspace.open(dir);
    expect(await schemaVersion(current.db)).toBe(SCHEMA_VERSION);
    expect(SCHEMA_VERSION).toBe(MIGRATIONS.length);
    expect(await current.db.value('SELECT count(*) FROM samples')).toBe(1);
    expect(await current.db.value('SELECT count(*) FROM annotations')).toBe(0);
    expect((await current.dataset('old')).input.uri).toBe('/data');
    current.close();
  });

  it('derives per-sample prediction scores for predictions stored before version 3', async () => {
    const dir = join(tempDir(), '.winnow');
    const old = await Workspace.open(dir, { upToVersion: 2 });
    await old.db.run(
      `INSERT INTO winnow.tasks (dataset_id, name, type) VALUES (7, 'det', 'object-detection');
       INSERT INTO winnow.predictions (sample_id, task_id, category_id, score) VALUES
         (1, 1, 0, 0.25), (1, 1, 1, 0.75), (2, 1, 0, 0.5)`,
    );
    old.close();
    const current = await Workspace.open(dir);
    const rows = await current.db.all('SELECT * FROM sample_scores ORDER BY sample_id');
    expect(rows).toEqual([
      {
        sample_id: 1,
        dataset_id: 7,
        task: 'det',
        predictions: 2,
        max_score: 0.75,
        min_score: 0.25,
        mean_score: 0.5,
      },
      {
        sample_id: 2,
        dataset_id: 7,
        task: 'det',
        predictions: 1,
        max_score: 0.5,
        min_score: 0.5,
        mean_score: 0.5,
      },
    ]);
    current.close();
  });

  it('adds caption history to a workspace made before version 5; `captions` shows each sample its latest', async () => {
    const dir = join(tempDir(), '.winnow');
    const old = await Workspace.open(dir, { upToVersion: 4 });
    expect(await schemaVersion(old.db)).toBe(4);
    old.close();
    const ws = await Workspace.open(dir);
    const cats = await ws.createDataset('cats', { kind: 'local', uri: '/cats' });
    const dogs = await ws.createDataset('dogs', { kind: 'local', uri: '/dogs' });
    await ws.db.run(
      `INSERT INTO winnow.caption_history (dataset_id, sample_id, caption, version) VALUES
         (${cats.id}, 1, 'a cat', 1), (${cats.id}, 1, 'a grey cat', 2),
         (${cats.id}, 2, 'a kitten', 1), (${cats.id}, 2, NULL, 2),
         (${dogs.id}, 3, 'a dog', 1)`,
    );
    const captions = (dataset?: Dataset) =>
      runQuery(ws, 'SELECT sample_id, caption, version FROM captions ORDER BY sample_id', { dataset });
    // The latest row wins, and a removal is not undone by an earlier caption.
    expect((await captions(cats)).rows).toEqual([{ sample_id: 1, caption: 'a grey cat', version: 2 }]);
    expect((await captions(dogs)).rows).toEqual([{ sample_id: 3, caption: 'a dog', version: 1 }]);
    expect((await captions()).rows).toHaveLength(2);
    ws.close();
  });

  it('keeps overlapping transactions apart: a failing one takes only its own work back', async () => {
    const ws = await Workspace.open(join(tempDir(), '.winnow'));
    await ws.db.run('CREATE TABLE t (n INTEGER)');
    const failing = ws.db.transaction(async () => {
      await ws.db.run('INSERT INTO t VALUES (1)');
      await new Promise((resolve) => setTimeout(resolve, 30));
      throw new Error('boom');
    });
    await new Promise((resolve) => setTimeout(resolve, 10));
    const succeeding = ws.db.transaction(() => ws.db.run('INSERT INTO t VALUES (2)'));
    const outside = ws.db.run('INSERT INTO t VALUES (3)');
    await expect(failing).rejects.toThrow('boom');
    await succeeding;
    await outside;
    expect(await ws.db.all('SELECT n FROM t ORDER BY n')).toEqual([{ n: 2 }, { n: 3 }]);
    ws.close();
  });

  it('never lets a staging appender left open write into the next table of its name', async () => {
    const ws = await Workspace.open(join(tempDir(), '.winnow'));
    const abandoned = await ws.db.stage('scratch', { n: 'INTEGER' });
    for (const n of [1, 2, 3]) abandoned.append([n]);
    const next = await ws.db.stage('scratch', { n: 'INTEGER' });
    next.append([9]);
    next.close();
    abandoned.close(); // what a late finalizer would do
    expect(await ws.db.all('SELECT n FROM temp.scratch')).toEqual([{ n: 9 }]);
    ws.close();
  });

  it('refuses a workspace written by a newer Winnow', async () => {
    const dir = join(tempDir(), '.winnow');
    const ws = await Workspace.open(dir);
    await ws.db.run('INSERT INTO winnow.schema_version (version) VALUES (999)');
    ws.close();
    await expect(Workspace.open(dir)).rejects.toThrow(/schema version 999, newer than this Winnow/);
  });

  it('names the datasets there are when one is missing, and checks dataset names', async () => {
    const ws = await Workspace.open(join(tempDir(), '.winnow'));
    await ws.createDataset('cats', { kind: 'local', uri: '/cats' });
    await expect(ws.dataset('dogs')).rejects.toThrow("no dataset named 'dogs'");
    await expect(ws.dataset('dogs')).rejects.toThrow('(datasets: cats)');
    await expect(ws.createDataset('bad name', { kind: 'local', uri: '/x' })).rejects.toThrow(
      /--dataset 'bad name'/,
    );
    await expect(ws.createDataset('cats', { kind: 'local', uri: '/x' })).rejects.toThrow(/already exists/);
    ws.close();
  });
});
