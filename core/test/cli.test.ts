import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Workspace } from '../src/store/workspace.js';
import { COCO128, REPOSITORY, tempDir, winnow } from './helpers.js';

describe('the winnow command', () => {
  it('ingests, imports, queries, tags and exports coco128 with --json', async () => {
    const ws = join(tempDir(), '.winnow');
    const images = join(COCO128, 'images');
    const first = await winnow(ws, 'ingest', images, '--dataset', 'coco', '--json');
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ samples: 128, added: 128 });
    expect(
      JSON.parse((await winnow(ws, 'ingest', images, '--dataset', 'coco', '--json')).stdout),
    ).toMatchObject({ added: 0 });

    const labels = ['--yolo', join(COCO128, 'labels'), '--classes', join(COCO128, 'classes.yaml')];
    const imported = await winnow(ws, 'import', '--dataset', 'coco', ...labels, '--json');
    expect(imported.code).toBe(0);
    const boxesInFiles = (await import('node:fs'))
      .readdirSync(join(COCO128, 'labels'))
      .map(
        (f) =>
          readFileSync(join(COCO128, 'labels', f), 'utf8')
            .split('\n')
            .filter((l) => l.trim()).length,
      )
      .reduce((a, b) => a + b, 0);
    const sql = 'SELECT category, count(*) AS boxes FROM predictions GROUP BY category ORDER BY boxes DESC';
    const perClass = JSON.parse(
      (await winnow(ws, 'query', '--dataset', 'coco', '--sql', sql, '--json')).stdout,
    );
    expect(perClass.rows[0]).toEqual({ category: 'person', boxes: expect.any(Number) });
    const total = perClass.rows.reduce((sum: number, row: { boxes: number }) => sum + row.boxes, 0);
    expect(total).toBe(JSON.parse(imported.stdout).records);
    expect(total).toBeLessThanOrEqual(boxesInFiles);

    const tagged = await winnow(
      ws,
      'tag',
      'create',
      'people',
      '--dataset',
      'coco',
      '--filter',
      '{"field":"prediction.category","op":"=","value":"person"}',
      '--json',
    );
    expect(JSON.parse(tagged.stdout).tag.size).toBeGreaterThan(50);
    const exported = await winnow(
      ws,
      'export',
      '--dataset',
      'coco',
      '--tag',
      'people',
      '--paths',
      'absolute',
    );
    const lines = exported.stdout.trim().split('\n');
    expect(lines).toHaveLength(JSON.parse(tagged.stdout).tag.size);
    expect(lines[0]!.startsWith(images)).toBe(true);
    const now = new Date().toISOString();
    const atNow = JSON.parse(
      (await winnow(ws, 'tag', 'show', 'people', '--dataset', 'coco', '--at', now, '--json')).stdout,
    );
    expect(atNow.version).toBe(1);
    const shown = JSON.parse(
      (await winnow(ws, 'tag', 'show', 'people', '--dataset', 'coco', '--at', '1', '--json')).stdout,
    );
    expect(shown.files).toHaveLength(lines.length);
  });

  it('refuses DROP TABLE with one clear line and a non-zero exit, leaving the workspace unchanged', async () => {
    const ws = join(tempDir(), '.winnow');
    await winnow(ws, 'ingest', join(COCO128, 'images'), '--dataset', 'coco');
    const dropped = await winnow(ws, 'query', '--dataset', 'coco', '--sql', 'DROP TABLE samples');
    expect(dropped.code).not.toBe(0);
    expect(dropped.stderr).toBe(
      'winnow: query refused: DROP is not allowed: queries are read-only (one SELECT statement)\n',
    );
    const info = JSON.parse((await winnow(ws, 'info', '--json')).stdout);
    expect(info.datasets[0]).toMatchObject({ name: 'coco', samples: 128 });
  });

  it('names the problem in one line, and shows a stack trace only with --debug', async () => {
    const ws = join(tempDir(), '.winnow');
    (await Workspace.open(ws)).close();
    const missing = await winnow(ws, 'tag', 'list', '--dataset', 'nope');
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim().split('\n')).toEqual([
      `winnow: no dataset named 'nope' in ${ws} (it has none yet)`,
    ]);
    const debug = await winnow(ws, 'tag', 'list', '--dataset', 'nope', '--debug');
    expect(debug.stderr).toMatch(/at .*workspace\.js/);
    const usage = await winnow(ws, 'ingest');
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(
      /required option '--dataset <name>' not specified|missing required argument 'folder'/,
    );
  });

  it('refuses a numeric option that is not a positive number, naming the option', async () => {
    const ws = join(tempDir(), '.winnow');
    (await Workspace.open(ws)).close();
    const images = join(COCO128, 'images');
    const cases = [
      [
        ['ingest', images, '--dataset', 'coco', '--threads', 'abc'],
        "'--threads <n>' argument 'abc'",
        'integer',
      ],
      [['query', '--sql', 'SELECT 1', '--max-rows', '2.5'], "'--max-rows <n>' argument '2.5'", 'integer'],
      [['query', '--sql', 'SELECT 1', '--max-rows', '0'], "'--max-rows <n>' argument '0'", 'integer'],
    ] as const;
    for (const [args, option, kind] of cases) {
      const refused = await winnow(ws, ...args);
      expect(refused.code).toBe(2);
      expect(refused.stderr.split('\n')[0]).toBe(
        `winnow: option ${option} is invalid. expected a positive ${kind}`,
      );
    }
    const fine = await winnow(
      ws,
      'query',
      '--sql',
      'SELECT 1 AS one',
      '--timeout',
      '0.5',
      '--max-rows',
      '1',
      '--json',
    );
    expect(fine.code).toBe(0);
    expect(JSON.parse(fine.stdout).rows).toEqual([{ one: 1 }]);
  });

  it('refuses a second process on a workspace, naming the one that holds it', async () => {
    const ws = join(tempDir(), '.winnow');
    (await Workspace.open(ws)).close();
    const holder = spawn(process.execPath, [
      '--input-type=module',
      '-e',
      `const { Workspace } = await import(${JSON.stringify(join(REPOSITORY, 'core/dist/store/workspace.js'))});
       await Workspace.open(${JSON.stringify(ws)}); console.log('open'); setInterval(() => {}, 1000);`,
    ]);
    try {
      await new Promise((resolve) => holder.stdout.once('data', resolve));
      const second = await winnow(ws, 'info');
      expect(second.code).toBe(1);
      expect(second.stderr).toBe(
        `winnow: workspace database ${ws}/workspace.duckdb is in use by another process (PID ${holder.pid}): one process opens a workspace at a time\n`,
      );
    } finally {
      holder.kill();
    }
  });
});
