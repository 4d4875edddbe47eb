/** `winnow serve` in its own process for the benchmarks, found through its runtime file. */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { readRuntime } from '../../core/dist/server/runtime.js';
import { ROOT } from './common.mjs';

export async function startServe(dir) {
  const child = spawn(
    process.execPath,
    [join(ROOT, 'core/bin/winnow.js'), '--workspace', dir, 'serve', '--json'],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let printed = '';
  child.stdout.on('data', (d) => {
    printed += d;
  });
  for (let waited = 0; !printed.includes('}'); waited += 50) {
    if (child.exitCode !== null || waited > 60_000) throw new Error(`winnow serve did not start: ${printed}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const { token, url } = readRuntime(dir);
  return { child, token, url };
}
