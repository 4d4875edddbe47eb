import { execFile, spawn } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { readRuntime } from '../src/server/runtime.js';
import { COCO128, REPOSITORY, tempDir } from './helpers.js';
import { outsideAddresses, tracedAddresses, tracedCommand, tracedWinnow } from './socket-trace.js';

/**
 * Winnow promises that nothing leaves the machine: the local flow and the server's routes run
 * under strace, and every socket connect or addressed send other than to loopback or a Unix
 * socket fails the test (a DNS lookup shows as a connect to port 53). strace comes from
 * Debian (scripts/setup.sh --test installs it).
 */
const run = promisify(execFile);
const ENV = { ...process.env, WINNOW_MODEL_DIR: join(REPOSITORY, '../shared/models') };

describe('offline', () => {
  it('recognises a DNS lookup and outside addresses in a trace, and lets loopback and Unix sockets pass', () => {
    const trace = [
      '123 connect(3, {sa_family=AF_UNIX, sun_path="/var/run/nscd/socket"}, 110) = -1 ENOENT',
      '123 connect(5, {sa_family=AF_INET, sin_port=htons(41234), sin_addr=inet_addr("127.0.0.1")}, 16) = 0',
      '123 connect(6, {sa_family=AF_INET6, sin6_port=htons(80), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "::1", &sin6_addr), sin6_scope_id=0}, 28) = 0',
      '124 connect(7, {sa_family=AF_INET, sin_port=htons(53), sin_addr=inet_addr("10.0.0.2")}, 16) = 0',
      '124 sendto(8, "x", 1, 0, {sa_family=AF_INET6, sin6_port=htons(443), inet_pton(AF_INET6, "2606:4700::1", &sin6_addr)}, 28) = 1',
    ].join('\n');
    expect(outsideAddresses(trace)).toEqual([
      expect.stringContaining('htons(53)'),
      expect.stringContaining('2606:4700::1'),
    ]);
  });

  it('runs ingest, import, embed, analyze, select, search, query and export with no connection off the machine', async () => {
    const dir = tempDir();
    const traces = join(dir, 'traces');
    await run('mkdir', [traces]);
    const workspace = join(dir, '.winnow');
    await tracedWinnow(traces, workspace, ENV, 'ingest', join(COCO128, 'images'), '--dataset', 'coco');
    await tracedWinnow(
      traces,
      workspace,
      ENV,
      ...[
        'import',
        '--dataset',
        'coco',
        '--yolo',
        join(COCO128, 'labels'),
        '--classes',
        join(COCO128, 'classes.yaml'),
      ],
    );
    // Twice: the lookups seen in the field came in some embed runs only.
    for (const model of ['mobilenetv2-int8', 'squeezenet1.1'])
      await tracedWinnow(traces, workspace, ENV, 'embed', '--dataset', 'coco', '--model', model);
    await tracedWinnow(
      traces,
      workspace,
      ENV,
      ...[
        'analyze',
        '--dataset',
        'coco',
        '--model',
        'mobilenetv2-int8',
        '--typicality',
        '--projection',
        '--duplicates',
        '0.02',
      ],
    );
    const config = join(dir, 'selection.yaml');
    writeFileSync(
      config,
      'n_samples: 10\nstrategies:\n  - input: {type: EMBEDDINGS, model: mobilenetv2-int8}\n    strategy: {type: DIVERSITY}\n',
    );
    await tracedWinnow(
      traces,
      workspace,
      ENV,
      'select',
      '--dataset',
      'coco',
      '--config',
      config,
      '--tag',
      'diverse',
    );
    await tracedWinnow(
      traces,
      workspace,
      ENV,
      ...[
        'search',
        '--dataset',
        'coco',
        '--model',
        'mobilenetv2-int8',
        '--image',
        join(COCO128, 'images/000000000009.jpg'),
        '-k',
        '3',
      ],
    );
    await tracedWinnow(
      traces,
      workspace,
      ENV,
      'query',
      '--dataset',
      'coco',
      '--sql',
      'SELECT count(*) AS n FROM samples',
    );
    const exported = await tracedWinnow(
      traces,
      workspace,
      ENV,
      'export',
      '--dataset',
      'coco',
      '--tag',
      'diverse',
    );
    expect(exported.trim().split('\n')).toHaveLength(10);
    expect(readdirSync(traces).length).toBeGreaterThan(10);
    expect(tracedAddresses(traces)).toEqual([]);
  }, 240_000);

  it("serves the views' routes with no connection off the machine", async () => {
    const dir = tempDir();
    const traces = join(dir, 'traces');
    await run('mkdir', [traces]);
    const workspace = join(dir, '.winnow');
    await run(
      'node',
      [
        join(REPOSITORY, 'core/bin/winnow.js'),
        '--workspace',
        workspace,
        'ingest',
        join(COCO128, 'images'),
        '--dataset',
        'coco',
      ],
      { env: ENV },
    );
    const server = spawn('strace', tracedCommand(traces, workspace, ['serve']), {
      env: ENV,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      await new Promise<void>((resolve, reject) => {
        server.stdout.once('data', () => resolve());
        server.once('exit', (code) => reject(new Error(`winnow serve exited with ${code}`)));
      });
      const info = readRuntime(workspace);
      if (!info) throw new Error('no runtime file');
      const get = async (path: string, init: RequestInit = {}) => {
        const response = await fetch(`${info.url}${path}`, {
          ...init,
          headers: { authorization: `Bearer ${info.token}`, 'content-type': 'application/json' },
        });
        return { status: response.status, body: await response.arrayBuffer() };
      };
      const page = JSON.parse(
        new TextDecoder().decode(
          (await get('/api/datasets/coco/samples?limit=5&where=width%20%3E%20100')).body,
        ),
      ) as { samples: { sample_id: number }[] };
      const first = page.samples[0]!.sample_id;
      const answers = await Promise.all([
        get('/api/health'),
        get('/api/datasets'),
        get(`/api/datasets/coco/samples/${first}`),
        get(`/api/datasets/coco/samples/${first}/thumbnail`),
        get('/api/datasets/coco/facets?field=width'),
        get('/api/datasets/coco/tags'),
        get('/api/datasets/coco/query', {
          method: 'POST',
          body: JSON.stringify({ sql: 'SELECT count(*) FROM samples' }),
        }),
      ]);
      expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200, 200, 200, 200]);
    } finally {
      // The server itself, not strace: strace would detach and leave it running.
      const pid = readRuntime(workspace)?.pid;
      if (pid) process.kill(pid, 'SIGTERM');
      else server.kill('SIGKILL');
      await new Promise((resolve) => server.once('exit', resolve));
    }
    expect(tracedAddresses(traces)).toEqual([]);
  }, 120_000);
});
