import { execFile, spawn } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { readRuntime } from '../src/server/runtime.js';
import { COCO128, REPOSITORY, tempDir } from './helpers.js';

/**
 * Winnow promises that nothing leaves the machine: the local flow and the server's routes run
 * under strace, and every socket connect or addressed send other than to loopback or a Unix
 * socket fails the test (a DNS lookup shows as a connect to port 53). strace comes from
 * Debian (scripts/setup.sh --test installs it).
 */
const run = promisify(execFile);
const WINNOW = join(REPOSITORY, 'core/bin/winnow.js');
const ENV = { ...process.env, WINNOW_MODEL_DIR: join(REPOSITORY, '../shared/models') };

/** Each connect/sendto/sendmsg naming an address that is not loopback or a Unix socket. */
export function outsideAddresses(trace: string): string[] {
  const found: string[] = [];
  for (const line of trace.split('\n')) {
    if (!/\b(connect|sendto|sendmsg|sendmmsg)\(/.test(line) || !/sa_family=/.test(line)) continue;
    const family = /sa_family=(AF_\w+)/.exec(line)?.[1];
    if (family === 'AF_UNIX') continue;
    const v4 = /inet_addr\("([^"]+)"\)/.exec(line)?.[1];
    const v6 = /inet_pton\(AF_INET6, "([^"]+)"/.exec(line)?.[1];
    const loopback =
      (family === 'AF_INET' && v4?.startsWith('127.')) ||
      (family === 'AF_INET6' && (v6 === '::1' || v6?.startsWith('::ffff:127.')));
    if (!loopback) found.push(line.trim());
  }
  return found;
}

/** strace's arguments to run the winnow command, each process's socket calls traced to a file in `traces`. */
function tracedCommand(traces: string, workspace: string, args: string[]): string[] {
  const calls = 'trace=connect,sendto,sendmsg,sendmmsg';
  return [
    '-f',
    '-ff',
    '-e',
    calls,
    '-o',
    join(traces, 'trace'),
    'node',
    WINNOW,
    '--workspace',
    workspace,
    ...args,
  ];
}

/** Runs the winnow command under strace; its trace files (one per process) end up in `traces`. */
async function tracedWinnow(traces: string, workspace: string, ...args: string[]): Promise<string> {
  const { stdout } = await run('strace', tracedCommand(traces, workspace, args), {
    env: ENV,
    maxBuffer: 64 * 1024 * 1024,
  });
  return stdout;
}

function tracedAddresses(traces: string): string[] {
  return readdirSync(traces).flatMap((file) => outsideAddresses(readFileSync(join(traces, file), 'utf8')));
}

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
    await tracedWinnow(traces, workspace, 'ingest', join(COCO128, 'images'), '--dataset', 'coco');
    await tracedWinnow(
      traces,
      workspace,
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
      await tracedWinnow(traces, workspace, 'embed', '--dataset', 'coco', '--model', model);
    await tracedWinnow(
      traces,
      workspace,
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
      'query',
      '--dataset',
      'coco',
      '--sql',
      'SELECT count(*) AS n FROM samples',
    );
    const exported = await tracedWinnow(traces, workspace, 'export', '--dataset', 'coco', '--tag', 'diverse');
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
      [WINNOW, '--workspace', workspace, 'ingest', join(COCO128, 'images'), '--dataset', 'coco'],
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
