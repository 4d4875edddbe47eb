// The worker pool's isolation: a task that hangs or kills its thread costs that thread only.
import { describe, expect, it } from 'vitest';
import { WorkerPool } from '../src/util/worker-pool.js';

/** A worker that echoes, spins forever (a decoder stuck on a crafted file), exits, or throws. */
const SCRIPT = new URL(
  `data:text/javascript,${encodeURIComponent(`
  import { parentPort } from 'node:worker_threads';
  parentPort.on('message', (task) => {
    if (task === 'spin') for (;;);
    if (task === 'exit') process.exit(3);
    if (task === 'throw') setTimeout(() => { throw new Error('decoder crashed'); });
    else parentPort.postMessage({ ok: true, value: task });
  });
`)}`,
);

describe('a worker pool that isolates its tasks', () => {
  it('ends a task that runs past its time or kills its thread, and answers the others', async () => {
    const pool = new WorkerPool<string, string>(SCRIPT, 1, undefined, { timeoutMs: 2000 });
    try {
      // One thread: each task waits for the one before, so each answer proves the thread came back.
      const answers = await Promise.allSettled(
        ['spin', 'a', 'exit', 'b', 'throw', 'c'].map((t) => pool.run(t)),
      );
      expect(answers.map((a) => (a.status === 'fulfilled' ? a.value : a.reason.message))).toEqual([
        'stopped after 2 s',
        'a',
        'worker thread exited with code 3',
        'b',
        'decoder crashed',
        'c',
      ]);
    } finally {
      await pool.close();
    }
  });
});
