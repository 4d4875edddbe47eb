import { INTERRUPT_GRACE_MS, timeLimitError } from '../query/run.js';
import { commandStart } from './query-process.js';
/** Resident memory allowed above DuckDB's memory limit: Node, the result being read, DuckDB's own caches. */
export const MEMORY_MARGIN_BYTES = 512 * 1024 * 1024;
const SAMPLE_MS = 25;
/** Ending the child and the parent's own exit take this long at most (measured: about 100 ms). */
const EXIT_ALLOWANCE_MS = 200;
/** The least time a query is given past its interrupt to stop by itself. */
const MIN_INTERRUPT_MS = 100;
/**
 * The hard stop, in the query's own process. DuckDB checks its interrupt only between vectors
 * and does not count intermediate strings against its memory limit, so one vector can run for
 * minutes or into gigabytes. The query writes nothing, so when it runs INTERRUPT_GRACE_MS past its limit,
 * or the process passes the memory limit plus MEMORY_MARGIN_BYTES, the process prints the
 * one-line error and ends at once. Returns the function that stands the watchdog down.
 */
export function watchQuery(timeoutMs: number, memoryLimitBytes: number): () => void {
  // The command ends within its limit plus the grace, counted from its own start (starting the
  // query's process is part of it), unless opening the workspace took so long that the query would get
  // less than MIN_INTERRUPT_MS after its interrupt to stop cooperatively. Either deadline comes
  // before runQuery's own give-up (query start + limit + grace), which would leave a process
  // whose exit waits on DuckDB.
  const deadline = Math.max(
    commandStart() + timeoutMs + INTERRUPT_GRACE_MS - EXIT_ALLOWANCE_MS,
    Date.now() + timeoutMs + MIN_INTERRUPT_MS,
  );
  const budget = memoryLimitBytes + MEMORY_MARGIN_BYTES;
  const sampler = setInterval(() => {
    if (Date.now() > deadline) {
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
