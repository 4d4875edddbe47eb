import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach } from 'vitest';
import { Workspace } from '../src/store/workspace.js';

export const REPOSITORY = fileURLToPath(new URL('../..', import.meta.url));
export const COCO128 = join(REPOSITORY, '../shared/datasets/coco128');

const made: string[] = [];
afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A fresh folder, removed after the test. */
export function tempDir(prefix = 'winnow-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

/** A workspace on a real DuckDB file in a fresh folder; close it in the test. */
export function tempWorkspace(): Promise<Workspace> {
  return Workspace.open(join(tempDir(), '.winnow'));
}
