// Two `winnow serve` started at the same moment (two notebooks opening at once): one serves, the
// other attaches to it instead of failing on the workspace's lock.
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runtimeFile } from '../src/server/runtime.js';
import { REPOSITORY, tempDir } from './helpers.js';

function startServe(dir: string): { child: ChildProcessWithoutNullStreams; printed: () => string } {
  const child = spawn('node', [
    join(REPOSITORY, 'core/bin/winnow.js'),
    '--workspace',
    dir,
    'serve',
    '--json',
  ]);
  let stdout = '';
  child.stdout.on('data', (d) => {
    stdout += d;
  });
  child.stderr.on('data', (d) => {
    stdout += d;
  });
  return { child, printed: () => stdout };
}

/** What the serve printed once it is a whole JSON document, or an error with its output once it exits without one. */
async function firstDocument(serve: {
  child: ChildProcessWithoutNullStreams;
  printed: () => string;
}): Promise<Record<string, unknown>> {
  while (!serve.printed().includes('}')) {
    if (serve.child.exitCode !== null)
      throw new Error(`serve exited ${serve.child.exitCode}: ${serve.printed()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return JSON.parse(serve.printed());
}

describe('two serves at once', () => {
  it('the second attaches to the first and exits 0; one server runs', async () => {
    // A new workspace: the first serve spends a while creating it, holding the lock meanwhile.
    const dir = join(tempDir(), '.winnow');
    const serves = [startServe(dir), startServe(dir)];
    try {
      const documents = await Promise.all(serves.map(firstDocument));
      const serving = documents.filter((d) => d.attached === false);
      const attached = documents.filter((d) => d.attached === true);
      expect(serving).toHaveLength(1);
      expect(attached).toEqual([{ ...serving[0], attached: true }]);
      const attacher = serves[documents.indexOf(attached[0]!)]!.child;
      const code = attacher.exitCode ?? (await new Promise((r) => attacher.once('exit', r)));
      expect(code).toBe(0);
      const server = serves[documents.indexOf(serving[0]!)]!.child;
      expect(server.exitCode).toBe(null);
      expect(serving[0]!.pid).toBe(server.pid);
      const health = await fetch(`${serving[0]!.url}/api/health`);
      expect(health.status).toBe(401);
    } finally {
      for (const { child } of serves) {
        if (child.exitCode !== null) continue;
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
    }
    expect(existsSync(runtimeFile(dir))).toBe(false);
  }, 60_000);
});
