import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { COCO128, REPOSITORY, tempDir } from './helpers.js';

const run = promisify(execFile);

describe('examples/', () => {
  // The committed CSV must be what its script makes, so anyone can check and remake it.
  it('embeddings.csv is what make-embeddings.mjs makes of coco128', async () => {
    const out = join(tempDir(), 'embeddings.csv');
    await run('node', [join(REPOSITORY, 'examples/make-embeddings.mjs'), join(COCO128, 'images'), out]);
    const made = readFileSync(out, 'utf8');
    expect(made.split('\n')[1]).toMatch(/^000000000009\.jpg,(0\.\d{3},|1\.000,){96}0$/);
    expect(made).toBe(readFileSync(join(REPOSITORY, 'examples/embeddings.csv'), 'utf8'));
  });
});
