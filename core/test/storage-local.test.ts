import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe } from 'vitest';
import { openStorage } from '../src/storage/open.js';
import { tempDir } from './helpers.js';
import { storageConformance } from './storage-conformance.js';

describe('local storage', () => {
  let root = '';
  storageConformance({
    open: async () => {
      root = tempDir();
      return openStorage({ kind: 'local', uri: root });
    },
    seed: async (path, bytes) => {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), bytes);
    },
  });
});
