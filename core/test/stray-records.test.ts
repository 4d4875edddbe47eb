// What a failure must not leave behind: a dataset from an ingest that never started, a run that
// stays `running` after its process was killed, a workspace made by a command that only reads.
import { spawn } from 'node:child_process';
import { cpSync, existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Workspace } from '../src/store/workspace.js';
import { COCO128, REPOSITORY, tempDir, winnow } from './helpers.js';

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

  it('marks interrupted a run whose process was killed with SIGKILL, when the workspace is next opened', async () => {
    const ws = join(tempDir(), '.winnow');
    const dist = (module: string) => JSON.stringify(join(REPOSITORY, 'core/dist', module));
    // A real process starts a run the way every command does, then is killed before finishing it.
    const child = spawn(process.execPath, [
      '--input-type=module',
      '-e',
      `const { Workspace } = await import(${dist('store/workspace.js')});
       const { startRun } = await import(${dist('store/runs.js')});
       const ws = await Workspace.open(${JSON.stringify(ws)});
       const dataset = await ws.createDataset('photos', { kind: 'local', uri: '/photos' });
       console.log(await startRun(ws.db, dataset.id, 'ingest', {}));
       setInterval(() => {}, 1000);`,
    ]);
    const runId = await new Promise<string>((resolve) =>
      child.stdout.once('data', (d) => resolve(String(d).trim())),
    );
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;

    const runs = await winnow(
      ws,
      'query',
      '--sql',
      'SELECT run_id, status, error, finished_at FROM runs',
      '--json',
    );
    expect(JSON.parse(runs.stdout).rows).toEqual([
      {
        run_id: runId,
        status: 'interrupted',
        error: `interrupted: process ${child.pid} ended before the run finished (killed or crashed)`,
        finished_at: expect.any(String),
      },
    ]);
  });

  it('marks interrupted the runs a workspace made before version 6 left running, and only those', async () => {
    const dir = join(tempDir(), '.winnow');
    const old = await Workspace.open(dir, { upToVersion: 5 });
    await old.db.run(
      `INSERT INTO winnow.runs (run_id, dataset_id, kind, status) VALUES
         ('ingest-old', 1, 'ingest', 'done'), ('embedding-killed', 1, 'embedding', 'running')`,
    );
    old.close();
    const ws = await Workspace.open(dir);
    try {
      expect(await ws.db.all('SELECT run_id, status, error FROM runs ORDER BY run_id')).toEqual([
        {
          run_id: 'embedding-killed',
          status: 'interrupted',
          error: 'interrupted: its process ended before the run finished (killed or crashed)',
        },
        { run_id: 'ingest-old', status: 'done', error: null },
      ]);
    } finally {
      ws.close();
    }
  });

  it('never creates a workspace for a command that only reads: it names the folder and how to make one', async () => {
    const ws = join(tempDir(), 'does/not/exist');
    const commands = [
      ['query', '--sql', 'SELECT 1'],
      ['info'],
      ['export', '--dataset', 'coco', '--all'],
      ['tag', 'list', '--dataset', 'coco'],
      ['tag', 'show', 'people', '--dataset', 'coco'],
      ['datasource', 'verify', '--dataset', 'coco'],
      ['search', '--dataset', 'coco', '--text', 'a dog'],
    ];
    for (const args of commands) {
      const result = await winnow(ws, ...args);
      expect(result.code, args.join(' ')).toBe(1);
      expect(result.stderr).toBe(
        `winnow: no workspace in ${ws} (no workspace.duckdb): \`winnow ingest LOCATION --dataset NAME\` creates one (--workspace or WINNOW_WORKSPACE chooses where)\n`,
      );
      expect(existsSync(ws), args.join(' ')).toBe(false);
    }
    expect((await winnow(ws, 'ingest', join(COCO128, 'images'), '--dataset', 'coco')).code).toBe(0);
    expect((await winnow(ws, 'query', '--sql', 'SELECT 1 AS one')).code).toBe(0);
  });
});
