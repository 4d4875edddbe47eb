import { spawn } from 'node:child_process';
import { INTERRUPT_GRACE_MS, timeLimitError } from '../query/run.js';
/** Resident memory allowed above DuckDB's memory limit: Node, the result being read, DuckDB's own caches. */
export const MEMORY_MARGIN_BYTES = 512 * 1024 * 1024;
const SAMPLE_MS = 25;
/** Ending the child and the parent's own exit take this long at most (measured: about 100 ms). */
const EXIT_ALLOWANCE_MS = 200;
/** Set in the child process that runs the query: when the command (its parent) started, in ms since the epoch. */
const QUERY_PROCESS = 'WINNOW_QUERY_PROCESS';

export function isQueryProcess(): boolean {
  return Boolean(process.env[QUERY_PROCESS]);
}

/**
 * Runs this same command in a child process and returns its exit code. User SQL runs there
 * because a query busy inside one DuckDB vector cannot be interrupted, and a process holding
 * DuckDB threads cannot even exit normally (exit waits for them): only a signal ends it, and
 * this parent, which never opens the workspace, reports the end with an ordinary exit code.
 */
export function runInQueryProcess(): Promise<number> {
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, [QUERY_PROCESS]: String(Math.round(performance.timeOrigin)) },
  });
  let reported = false;
  child.on('message', () => {
    reported = true;
  });
  // Ctrl-C reaches the child too, which cancels the query itself.
  const ignore = () => undefined;
  process.on('SIGINT', ignore);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      process.off('SIGINT', ignore);
      if (signal && !reported) process.stderr.write(`winnow: the query's process was ended by ${signal}\n`);
      resolve(code ?? 1);
    });
  });
}

/**
 * The hard stop, in the query's own process. DuckDB checks its interrupt only between vectors
 * and does not count intermediate strings against its memory limit, so one vector can run for
 * minutes or into gigabytes. The query writes nothing, so when it runs INTERRUPT_GRACE_MS past its limit,
 * or the process passes the memory limit plus MEMORY_MARGIN_BYTES, the process prints the
 * one-line error and ends at once. Returns the function that stands the watchdog down.
 */
export function watchQuery(timeoutMs: number, memoryLimitBytes: number): () => void {
  // Counted from the command's start, so that the whole command ends within its limit plus the
  // grace; this deadline thus comes before runQuery's own give-up (counted from the query's
  // start), which would leave a process whose exit waits on DuckDB.
  const started = Number(process.env[QUERY_PROCESS]) || Date.now();
  const budget = memoryLimitBytes + MEMORY_MARGIN_BYTES;
  const sampler = setInterval(() => {
    if (Date.now() - started > timeoutMs + INTERRUPT_GRACE_MS - EXIT_ALLOWANCE_MS) {
      stop(timeLimitError(timeoutMs).message);
    }
    const resident = process.memoryUsage.rss();
    if (resident > budget) {
      stop(
        `query stopped: its process reached ${gigabytes(resident)} resident, past the memory limit of ${gigabytes(memoryLimitBytes)} plus ${gigabytes(MEMORY_MARGIN_BYTES)} (WINNOW_MEMORY_LIMIT sets the limit)`,
      );
    }
  }, SAMPLE_MS);
  return () => clearInterval(sampler);
}

function stop(message: string): void {
  process.stderr.write(`winnow: ${message}\n`);
  // process.exit would wait for DuckDB's busy threads; the parent turns the signal into exit code 1.
  const kill = () => process.kill(process.pid, 'SIGKILL');
  if (process.send) process.send('stopped', kill);
  else kill();
}

function gigabytes(bytes: number): string {
  return `${(bytes / 1e9).toFixed(1)} GB`;
}
