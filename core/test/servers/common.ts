import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, stopProcess, waitForPort } from '../../../scripts/lib/loopback.mjs';
import { REPOSITORY } from '../helpers.js';

export { freePort };

/** Where `scripts/setup.sh --test` builds the Go storage servers (versitygw, MinIO and mc, fake-gcs-server). */
export const SERVER_BIN = join(REPOSITORY, '.test-servers/bin');

export function serverBinary(name: string): string {
  const file = join(SERVER_BIN, name);
  if (!existsSync(file))
    throw new Error(`${file} is missing: run scripts/setup.sh --test (it builds it with go install)`);
  return file;
}

/** Starts a server process (its output kept for failures) and waits until it listens on `port`. */
export async function startServer(
  command: string,
  args: string[],
  port: number,
  env?: NodeJS.ProcessEnv,
): Promise<{ child: ChildProcess; output: () => string; stop: () => Promise<void> }> {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let output = '';
  child.stdout?.on('data', (d) => {
    output += d;
  });
  child.stderr?.on('data', (d) => {
    output += d;
  });
  try {
    await waitForPort(port, child);
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`${(error as Error).message}: ${output.slice(-2000)}`);
  }
  return { child, output: () => output, stop: () => stopProcess(child) };
}
