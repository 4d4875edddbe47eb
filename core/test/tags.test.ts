import { copyFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ingest } from '../src/ingest/index.js';
import type { Workspace } from '../src/store/workspace.js';
import { Tags } from '../src/tags/tags.js';
import { COCO128, tempDir, tempWorkspace } from './helpers.js';

async function cocoTags(): Promise<{ ws: Workspace; tags: Tags; files: string[]; runId: string }> {
  const ws = await tempWorkspace();
  const summary = await ingest(ws, join(COCO128, 'images'), { dataset: 'coco' });
  const files = (await ws.db.all<{ path: string }>('SELECT path FROM winnow.samples ORDER BY path')).map(
    (r) => r.path,
  );
  return { ws, tags: new Tags(ws, await ws.dataset('coco')), files, runId: summary.run_id };
}

describe('tags', () => {
  it('are made from a query, a filter, files, a run or all samples', async () => {
    const { ws, tags, files, runId } = await cocoTags();
    const wide = await ws.db.value<number>('SELECT count(*) FROM samples WHERE width = 640');
    expect(
      (await tags.create('sql', { sql: 'SELECT sample_id FROM samples WHERE width = 640' })).tag.size,
    ).toBe(wide);
    expect(
      (await tags.create('by-name', { sql: 'SELECT filename FROM samples WHERE width = 640' })).tag.size,
    ).toBe(wide);
    expect((await tags.create('filter', { filter: { field: 'width', op: '=', value: 640 } })).tag.size).toBe(
      wide,
    );
    const listed = await tags.create('files', {
      files: [files[0]!, join(COCO128, 'images', files[1]!), 'nope.jpg'],
    });
    expect(listed).toMatchObject({ added: 2, unmatched: ['nope.jpg'], unmatched_count: 1 });
    expect((await tags.create('run', { run: runId })).tag.size).toBe(128);
    expect((await tags.create('all', { all: true })).tag.size).toBe(128);
    expect((await tags.list()).map((t) => t.name)).toEqual([
      'all',
      'by-name',
      'files',
      'filter',
      'run',
      'sql',
    ]);
    await expect(tags.create('sql', { all: true })).rejects.toThrow("tag 'sql' already exists");
    await expect(tags.create('x', { run: 'nope' })).rejects.toThrow("no run 'nope'");
    ws.close();
  });

  it('keep every version: earlier states read back by version and by time', async () => {
    const { ws, tags, files } = await cocoTags();
    await tags.create('t', { files: files.slice(0, 3) });
    await new Promise((r) => setTimeout(r, 20));
    const afterFirst = new Date();
    await new Promise((r) => setTimeout(r, 20));
    await tags.add('t', { files: files.slice(3, 5) });
    await tags.remove('t', { files: [files[0]!] });
    await tags.rename('t', 'renamed');
    expect((await tags.members('renamed')).files).toEqual(files.slice(1, 5));
    expect(await tags.members('renamed', 1)).toEqual({ version: 1, files: files.slice(0, 3) });
    expect((await tags.members('renamed', 2)).files).toEqual(files.slice(0, 5));
    expect((await tags.members('renamed', afterFirst)).version).toBe(1);
    const history = await tags.history('renamed');
    expect(history.map((v) => [v.version, v.operation, v.size])).toEqual([
      [1, 'create', 3],
      [2, 'add', 5],
      [3, 'remove', 4],
      [4, 'rename', 4],
    ]);
    await tags.delete('renamed');
    expect(await tags.list()).toEqual([]);
    expect((await tags.members('renamed', 2)).files).toEqual(files.slice(0, 5));
    expect((await tags.members('renamed', 5)).files).toEqual([]);
    await expect(tags.members('renamed', 9)).rejects.toThrow("tag 'renamed' has no version 9");
    await tags.create('renamed', { files: [files[7]!] });
    expect((await tags.members('renamed')).files).toEqual([files[7]]);
    ws.close();
  });

  it('combine by union, intersection and difference', async () => {
    const { ws, tags, files } = await cocoTags();
    await tags.create('a', { files: files.slice(0, 6) });
    await tags.create('b', { files: files.slice(4, 10) });
    expect((await tags.combine('u', 'union', ['a', 'b'])).tag.size).toBe(10);
    expect((await tags.members('u')).files).toEqual(files.slice(0, 10));
    expect(
      (await tags.members((await tags.combine('i', 'intersection', ['a', 'b'])).tag.name)).files,
    ).toEqual(files.slice(4, 6));
    expect((await tags.members((await tags.combine('d', 'difference', ['a', 'b'])).tag.name)).files).toEqual(
      files.slice(0, 4),
    );
    await expect(tags.combine('x', 'union', ['a', 'missing'])).rejects.toThrow("no tag named 'missing'");
    expect((await tags.list()).map((t) => t.name)).toEqual(['a', 'b', 'd', 'i', 'u']);
    ws.close();
  });

  it('keep names with leading spaces or backslashes, from SQL and from file lists', async () => {
    const root = tempDir();
    const photo = join(COCO128, 'images', readdirSync(join(COCO128, 'images')).sort()[0]!);
    const names = [' lead.png', 'back\\slash.png', 'plain.jpg'];
    for (const name of names) copyFileSync(photo, join(root, name));
    const ws = await tempWorkspace();
    await ingest(ws, root, { dataset: 'odd' });
    const tags = new Tags(ws, await ws.dataset('odd'));
    const bySql = await tags.create('sql', {
      sql: "SELECT filename FROM samples UNION ALL SELECT 'gone.jpg' AS filename",
    });
    expect(bySql).toMatchObject({ added: 3, unmatched: ['gone.jpg'], unmatched_count: 1 });
    const byFiles = await tags.create('files', {
      files: [' lead.png', `${join(root, 'back\\slash.png')}\r`],
    });
    expect(byFiles).toMatchObject({ added: 2, unmatched_count: 0 });
    expect((await tags.members('files')).files).toEqual([' lead.png', 'back\\slash.png']);
    ws.close();
  });

  it('leave nothing half-done when a change fails', async () => {
    const { ws, tags } = await cocoTags();
    await tags.create('a', { all: true });
    await expect(tags.add('a', { sql: 'SELECT width FROM samples' })).rejects.toThrow(
      /sample_id or a filename column/,
    );
    await expect(tags.create('b', { sql: 'DROP TABLE samples' })).rejects.toThrow(/query refused/);
    expect((await tags.history('a')).length).toBe(1);
    expect((await tags.list()).map((t) => t.name)).toEqual(['a']);
    ws.close();
  });
});
