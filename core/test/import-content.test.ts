import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dump } from 'npyjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { importEmbeddings, importMetadataTable, importYolo } from '../src/ingest/import/index.js';
import { ingest } from '../src/ingest/index.js';
import type { Dataset, Workspace } from '../src/store/workspace.js';
import { tempDir, tempWorkspace } from './helpers.js';
import { IMAGES } from './served.js';

/** Words that stand for a private file's content: no message or run record may carry them. */
const SECRET = 'hunter2-private-words';
const PASSWD = `root:x:0:0:${SECRET}:/root:/bin/bash\ndaemon:x:1:1:${SECRET}:/usr/sbin:/usr/sbin/nologin\n`;

let ws: Workspace;
let dataset: Dataset;
beforeEach(async () => {
  ws = await tempWorkspace();
  await ingest(ws, IMAGES, { dataset: 'coco' });
  dataset = await ws.dataset('coco');
});
afterEach(() => ws.close());

/** The message the import failed with, and everything the runs table stored about it. */
async function failure(work: Promise<unknown>): Promise<{ message: string; stored: string }> {
  const message = await work.then(
    () => '',
    (error: Error) => error.message,
  );
  const runs = await ws.db.all('SELECT config, stats, error FROM winnow.runs');
  return { message, stored: JSON.stringify(runs) };
}

describe('a file that is not the format it was given as is named, never quoted', () => {
  it('a text file given as YOLO classes: the file, not its content (the /etc/hostname case)', async () => {
    const dir = tempDir();
    const hostname = join(dir, 'hostname');
    writeFileSync(hostname, `${SECRET}\n`);
    mkdirSync(join(dir, 'labels'));
    const { message, stored } = await failure(
      importYolo(ws, dataset, join(dir, 'labels'), {
        classes: hostname,
        as: 'predictions',
      }),
    );
    expect(message).toBe('hostname: expected an object, got text');
    expect(stored).toContain('hostname: expected an object, got text');
    expect(message + stored).not.toContain(SECRET);
  });

  it('a text file among YOLO labels: its line and field, not its words', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'labels'));
    writeFileSync(join(dir, 'labels', 'notes.txt'), `0 0.5 0.5 0.1 0.1\n${SECRET} is my 0.5 password\n`);
    writeFileSync(join(dir, 'classes.txt'), 'person\n');
    const { message, stored } = await failure(
      importYolo(ws, dataset, join(dir, 'labels'), {
        classes: join(dir, 'classes.txt'),
        as: 'predictions',
      }),
    );
    expect(message).toBe(
      'labels/notes.txt: line 2: class: expected a class id (an integer from 0), got text',
    );
    expect(message + stored).not.toContain(SECRET);
  });

  it('a non-CSV given as a metadata table: no column names from its first line', async () => {
    const file = join(tempDir(), 'file.csv');
    writeFileSync(file, PASSWD);
    const { message, stored } = await failure(importMetadataTable(ws, dataset, file));
    expect(message).toMatch(/^file\.csv: filename: no such column .* among the file's 1 column$/);
    expect(message + stored).not.toContain(SECRET);
    expect(message + stored).not.toContain('root:x');
  });

  it("a table whose key names no sample: counted, but its names (that file's content) not listed", async () => {
    const file = join(tempDir(), 'file.csv');
    writeFileSync(file, `filename\n${SECRET}-1\n${SECRET}-2\n`);
    const summary = await importMetadataTable(ws, dataset, file);
    expect(summary).toMatchObject({ samples: 0, unmatched: [], unmatched_count: 2 });
    const stored = JSON.stringify(await ws.db.all('SELECT config, stats, error FROM winnow.runs'));
    expect(stored).not.toContain(SECRET);
  });

  it('a table of this dataset with some unknown names still lists them, to fix typos', async () => {
    const file = join(tempDir(), 'weather.csv');
    writeFileSync(file, 'filename,weather\n000000000009.jpg,sunny\n000000000009-typo.jpg,rainy\n');
    const summary = await importMetadataTable(ws, dataset, file);
    expect(summary).toMatchObject({ samples: 1, unmatched: ['000000000009-typo.jpg'], unmatched_count: 1 });
  });

  it('a malformed JSON lines table: the line, not the text DuckDB quotes', async () => {
    const file = join(tempDir(), 'm.jsonl');
    writeFileSync(file, `{"filename": "000000000009.jpg", "x": 1}\n{"filename": "${SECRET}" oops}\n`);
    const { message, stored } = await failure(importMetadataTable(ws, dataset, file));
    // DuckDB counts this line as 3 (one past it) as of 1.4: the line is DuckDB's, as it says it.
    expect(message).toMatch(/^m\.jsonl: not a valid JSON lines file \(line [23]\)$/);
    expect(message + stored).not.toContain(SECRET);
  });

  it('a CSV with text where its column holds numbers: line and column, not the value', async () => {
    const file = join(tempDir(), 'm.csv');
    const rows = Array.from({ length: 30_000 }, (_, i) => `a${i}.jpg,${i}`).join('\n');
    writeFileSync(file, `filename,objects\n${rows}\nb.jpg,${SECRET}\n`);
    const { message, stored } = await failure(importMetadataTable(ws, dataset, file));
    expect(message).toBe("m.csv: not a valid CSV file (line 30002, column 'objects')");
    expect(message + stored).not.toContain(SECRET);
  });

  it('a text file given as the filenames of .npy rows: which lines clash, not what they say', async () => {
    const dir = tempDir();
    const npy = join(dir, 'x.npy');
    writeFileSync(npy, Buffer.from(dump(Float32Array.from([1, 2, 3, 4]), [2, 2])));
    writeFileSync(join(dir, 'names.txt'), `${SECRET}\n${SECRET}\n`);
    const { message, stored } = await failure(
      importEmbeddings(ws, dataset, npy, { model: 'm', filenames: join(dir, 'names.txt') }),
    );
    expect(message).toBe('names.txt: lines 1 and 2 name the same file');
    expect(message + stored).not.toContain(SECRET);
  });
});
