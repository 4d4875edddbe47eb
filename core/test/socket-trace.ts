import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPOSITORY } from './helpers.js';

/**
 * The `winnow` command run under strace, each process's socket calls traced to a file: what the
 * tests that promise "nothing leaves the machine" (or "no request goes to AWS") read back.
 */
const run = promisify(execFile);
const WINNOW = join(REPOSITORY, 'core/bin/winnow.js');

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
export function tracedCommand(traces: string, workspace: string, args: string[]): string[] {
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
export async function tracedWinnow(
  traces: string,
  workspace: string,
  env: NodeJS.ProcessEnv,
  ...args: string[]
): Promise<string> {
  const { stdout } = await run('strace', tracedCommand(traces, workspace, args), {
    env,
    maxBuffer: 64 * 1024 * 1024,
  });
  return stdout;
}

export function tracedAddresses(traces: string): string[] {
  return readdirSync(traces).flatMap((file) => outsideAddresses(readFileSync(join(traces, file), 'utf8')));
}
