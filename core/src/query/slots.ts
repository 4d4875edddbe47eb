import { WinnowError } from '../errors.js';

/**
 * A cap on how many user queries run at once (the server's: half the cores). DuckDB's threads
 * and the server's memory are shared, so heavy user queries may be slow among themselves without
 * making every other request wait; the rest wait their turn in order, within their own time limit.
 */
export class QuerySlots {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(readonly size: number) {}

  /** Takes a slot, waiting at most `waitMs`; call the returned function to give it back. */
  acquire(waitMs: number): Promise<() => void> {
    if (this.running < this.size) return Promise.resolve(this.take());
    return new Promise((resolve, reject) => {
      const grant = () => {
        clearTimeout(timer);
        resolve(this.take());
      };
      const timer = setTimeout(() => {
        this.waiting.splice(this.waiting.indexOf(grant), 1);
        reject(
          new WinnowError(
            'query_timeout',
            `query waited its whole time limit of ${waitMs / 1000} s for a turn (${this.size === 1 ? 'one user query runs' : `${this.size} user queries run`} at a time)`,
          ),
        );
      }, waitMs);
      this.waiting.push(grant);
    });
  }

  /** Runs `work` in a turn, waiting for one at most `waitMs`. */
  async during<T>(waitMs: number, work: () => Promise<T>): Promise<T> {
    const release = await this.acquire(waitMs);
    try {
      return await work();
    } finally {
      release();
    }
  }

  private take(): () => void {
    this.running += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.running -= 1;
      this.waiting.shift()?.();
    };
  }
}
