import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { listFiles } from '../src/ingest/import/check.js';
import { tempDir } from './helpers.js';

// readdir as Node 20.0 has it: no `recursive` option, and entries without `parentPath` (20.12).
vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs/promises')>();
  const readdir = async (path: string) => {
    const entries = await actual.readdir(path, { withFileTypes: true });
    for (const entry of entries) delete (entry as { parentPath?: string }).parentPath;
    return entries;
  };
  return { ...actual, readdir };
});

describe('on early Node 20', () => {
  it('lists label files in nested folders', async () => {
    const root = tempDir();
    mkdirSync(join(root, 'train/deep'), { recursive: true });
    for (const file of ['a.txt', 'train/b.txt', 'train/deep/c.TXT', 'train/notes.md'])
      writeFileSync(join(root, file), '');
    expect(await listFiles(root, '.txt', 'labels')).toEqual(['a.txt', 'train/b.txt', 'train/deep/c.TXT']);
  });
});
