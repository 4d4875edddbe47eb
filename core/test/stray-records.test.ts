// What a failure must not leave behind: a dataset from an ingest that never started, a run that
// stays `running` after its process was killed, a workspace made by a command that only reads.
import { cpSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COCO128, tempDir, winnow } from './helpers.js';

describe('stray records', () => {
  it('leaves no dataset behind when the first ingest cannot list its location', async () => {
    const ws = join(tempDir(), '.winnow');
    const typo = join(COCO128, 'imagse');
    const failed = await winnow(ws, 'ingest', typo, '--dataset', 'coco');
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain(typo);
    const info = JSON.parse((await winnow(ws, 'info', '--json')).stdout);
    expect(info.datasets).toEqual([]);

    const right = await winnow(ws, 'ingest', join(COCO128, 'images'), '--dataset', 'coco', '--json');
    expect(right.stderr).toBe('');
    expect(JSON.parse(right.stdout)).toMatchObject({ dataset: 'coco', samples: 128, added: 128 });
    const runs = await winnow(ws, 'query', '--sql', 'SELECT kind, status FROM runs', '--json');
    expect(JSON.parse(runs.stdout).rows).toEqual([{ kind: 'ingest', status: 'done' }]);
  });

  it('keeps a dataset whose later ingest fails', async () => {
    const ws = join(tempDir(), '.winnow');
    const folder = join(tempDir(), 'photos');
    cpSync(join(COCO128, 'images/000000000009.jpg'), join(folder, 'a.jpg'));
    expect((await winnow(ws, 'ingest', folder, '--dataset', 'photos')).code).toBe(0);
    rmSync(folder, { recursive: true });
    expect((await winnow(ws, 'ingest', folder, '--dataset', 'photos')).code).toBe(1);
    const info = JSON.parse((await winnow(ws, 'info', '--json')).stdout);
    expect(info.datasets).toMatchObject([{ name: 'photos', samples: 1 }]);
  });
});
