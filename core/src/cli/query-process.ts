import { spawn } from 'node:child_process';

/**
 * `winnow query` runs in a child process of the command. A query busy inside one DuckDB vector
 * cannot be interrupted, and a process whose DuckDB threads are busy cannot even exit normally
 * (exit waits for them): only a signal ends it. The parent never opens the workspace and loads
 * nothing but this module, so it costs one Node start, and it turns the child's end into an
 * ordinary exit code. With a server running for the workspace, the child opens nothing either:
 * it asks the server, which holds the query to the same time limit.
 */

/** Set in the child: when the command (its parent) started, in ms since the epoch. */
const QUERY_PROCESS = 'WINNOW_QUERY_PROCESS';
/** Global options that take a value, so that the command name is found after them. */
const OPTIONS_WITH_VALUE = new Set(['--workspace']);

/** Whether these arguments (process.argv) ask for `query` and this process is not its child yet. */
export function needsQueryProcess(argv: readonly string[]): boolean {
  if (process.env[QUERY_PROCESS]) return false;
  const args = argv.slice(2);
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (OPTIONS_WITH_VALUE.has(arg)) i++;
    else if (!arg.startsWith('-')) return arg === 'query';
  }
  return false;
}

/** When the command started: the parent's start in the child, else this process's own. */
export function commandStart(): number {
  return Number(process.env[QUERY_PROCESS]) || Math.round(performance.timeOrigin);
}

/** Runs this same command line in a child process; resolves with the exit code to give. */
export function runInQueryProcess(): Promise<number> {
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, [QUERY_PROCESS]: String(Math.round(performance.timeOrigin)) },
  });
  let reported = false;
  child.on('message', () => {
    reported = true;
  });
  // Ctrl-C reaches the child too, which handles it; a second one ends the child at once, since
  // a child busy inside a vector cannot exit by itself.
  let interrupts = 0;
  const onInterrupt = () => {
    interrupts += 1;
    if (interrupts > 1) {
      reported = true;
      child.kill('SIGKILL');
    }
  };
  process.on('SIGINT', onInterrupt);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      process.off('SIGINT', onInterrupt);
      if (signal && !reported) process.stderr.write(`winnow: the query's process was ended by ${signal}\n`);
      resolve(interrupts > 1 ? 130 : (code ?? 1));
    });
  });
}
