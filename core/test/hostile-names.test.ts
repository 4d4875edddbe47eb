// File names that would act on a terminal (escape sequences, C1 controls, bidi overrides) or
// break a line-per-name list (a newline): shown escaped to people, kept intact for programs.
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { printable } from '../src/cli/output.js';
import { COCO128, tempDir, winnow } from './helpers.js';

const IMAGE = join(COCO128, 'images/000000000009.jpg');
const RED = 'red\u001b[31m.jpg';
const CSI = 'clear\u009b2J.jpg';
const NEWLINE = 'two\nlines.jpg';
/** Not an image: listed among the corrupt files ingest prints. */
const TITLE = 'title\u001b]0;pwned\u0007.jpg';
/** Raw bytes a terminal acts on: ESC, BEL, C1 CSI. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: these are what must not be printed.
const ACTIVE = /[\u001b\u0007\u009b]/;

function hostileFolder(): string {
  const folder = join(tempDir(), 'photos');
  mkdirSync(folder);
  for (const name of [RED, CSI, NEWLINE]) copyFileSync(IMAGE, join(folder, name));
  writeFileSync(join(folder, TITLE), 'not a jpeg');
  return folder;
}

describe('hostile file names', () => {
  it('writes control characters as escapes', () => {
    expect(printable('a\u001b[2Jb\u0007c\u007fd\u009be\nf\tg\u202eh')).toBe(
      'a\\x1b[2Jb\\x07c\\x7fd\\x9be\\nf\\tg\\u202eh',
    );
    expect(printable('plain name – ünïcode.jpg')).toBe('plain name – ünïcode.jpg');
  });

  it('ingest and query show them escaped; --json keeps them as they are', async () => {
    const ws = join(tempDir(), '.winnow');
    const folder = hostileFolder();
    const ingested = await winnow(ws, 'ingest', folder, '--dataset', 'photos');
    expect(ingested.code).toBe(0);
    expect(ingested.stdout + ingested.stderr).not.toMatch(ACTIVE);
    expect(ingested.stdout).toContain('corrupt: title\\x1b]0;pwned\\x07.jpg:');

    const sql = 'SELECT filename FROM samples ORDER BY filename';
    const shown = await winnow(ws, 'query', '--sql', sql);
    expect(shown.stdout).not.toMatch(ACTIVE);
    expect(shown.stdout.split('\n').slice(2, 6)).toEqual([
      'clear\\x9b2J.jpg',
      'red\\x1b[31m.jpg',
      'title\\x1b]0;pwned\\x07.jpg',
      'two\\nlines.jpg',
    ]);
    const json = JSON.parse((await winnow(ws, 'query', '--sql', sql, '--json')).stdout);
    expect(json.rows.map((r: { filename: string }) => r.filename)).toEqual([CSI, RED, TITLE, NEWLINE]);

    // An error that names one is escaped too.
    const missing = await winnow(ws, 'tag', 'show', RED, '--dataset', 'photos');
    expect(missing.stderr).toBe("winnow: no tag named 'red\\x1b[31m.jpg' in dataset 'photos'\n");
  });

  it('export refuses a name with a line break one per line, and writes every name with --null', async () => {
    const ws = join(tempDir(), '.winnow');
    expect((await winnow(ws, 'ingest', hostileFolder(), '--dataset', 'photos')).code).toBe(0);
    const lines = await winnow(ws, 'export', '--dataset', 'photos', '--all');
    expect(lines.code).toBe(1);
    expect(lines.stdout).toBe('');
    expect(lines.stderr).toBe(
      "winnow: sample 'two\\nlines.jpg' has a line break in its filename, so one filename per line cannot hold it: use --null (NUL-separated, like find -print0)\n",
    );

    const nul = await winnow(ws, 'export', '--dataset', 'photos', '--all', '--null');
    expect(nul.code).toBe(0);
    expect(nul.stdout).toBe([CSI, RED, TITLE, NEWLINE].map((name) => `${name}\0`).join(''));
    const file = join(tempDir(), 'names.bin');
    const written = await winnow(ws, 'export', '--dataset', 'photos', '--all', '--null', '--out', file);
    expect(written.stdout).toBe(`4 filenames written to ${file}\n`);
    expect(readFileSync(file, 'utf8')).toBe(nul.stdout);

    // To a pipe, names without line breaks go as they are: it is a program reading them.
    const sql = "SELECT filename FROM samples WHERE filename NOT LIKE 'two%'";
    const piped = await winnow(ws, 'export', '--dataset', 'photos', '--sql', sql);
    expect(piped.stdout).toBe(`${CSI}\n${RED}\n${TITLE}\n`);
  });
});
