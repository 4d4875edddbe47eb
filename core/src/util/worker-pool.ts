import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { type TransferListItem, Worker } from 'node:worker_threads';

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  /** The task's time limit, when the pool isolates its tasks. */
  timer?: NodeJS.Timeout;
}

/**
 * A fixed set of worker threads running one script; each task goes to an idle worker or
 * waits for one. Used where per-file work (sync file I/O, header parsing) would otherwise
 * occupy the main thread that feeds DuckDB.
 *
 * By default a worker that dies fails the pool (every task after it too). With `isolation`,
 * a task that dies with its worker, or is still running after `timeoutMs`, costs that worker
 * only: the task fails, the worker is ended and a fresh one takes its place (for work on
 * untrusted input, where one file must not stop the others).
 */
export class WorkerPool<Request, Response> {
  private readonly idle: Worker[] = [];
  private readonly waiting: { request: Request; transfer: TransferListItem[]; pending: Pending }[] = [];
  private readonly busy = new Map<Worker, Pending>();
  private readonly workers = new Set<Worker>();
  /** Set when a worker died: the pool answers every further task with it. */
  private failure: Error | undefined;
  private closed = false;

  constructor(
    private readonly script: URL,
    size?: number,
    private readonly workerData?: unknown,
    private readonly isolation?: { timeoutMs: number },
  ) {
    const count = size !== undefined && Number.isInteger(size) && size > 0 ? size : availableParallelism();
    for (let i = 0; i < count; i++) this.idle.push(this.spawn());
  }

  /** Runs one task; the buffers in `transfer` move to the worker instead of being copied. */
  run(request: Request, transfer: TransferListItem[] = []): Promise<Response> {
    return new Promise((resolve, reject) => {
      if (this.failure) return reject(this.failure);
      const pending = { resolve: resolve as (value: unknown) => void, reject };
      const worker = this.idle.pop();
      if (worker) this.dispatch(worker, request, transfer, pending);
      else this.waiting.push({ request, transfer, pending });
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.workers].map((worker) => worker.terminate()));
  }

  private spawn(): Worker {
    const worker = new Worker(this.script, { workerData: this.workerData });
    worker.on('message', (message: { ok: boolean; value?: unknown; error?: string }) => {
      const pending = this.busy.get(worker)!;
      this.busy.delete(worker);
      clearTimeout(pending.timer);
      if (message.ok) pending.resolve(message.value);
      else pending.reject(new Error(message.error));
      this.release(worker);
    });
    // Only a worker lost on a task is replaced: one that dies idle (a broken script) would die again.
    const lost = (error: Error) =>
      this.isolation && this.busy.has(worker) ? this.replace(worker, error) : this.fail(error);
    worker.on('error', lost);
    worker.on('exit', (code) => {
      if (this.isolation && this.workers.has(worker) && !this.closed)
        lost(new Error(`worker thread exited with code ${code}`));
    });
    this.workers.add(worker);
    return worker;
  }

  private fail(error: Error): void {
    if (this.failure) return;
    this.failure = new Error(`worker thread failed: ${error.message}`, { cause: error });
    for (const pending of this.busy.values()) pending.reject(this.failure);
    for (const { pending } of this.waiting) pending.reject(this.failure);
    this.busy.clear();
    this.waiting.length = 0;
  }

  /** Fails the worker's task (if any) with `error`, ends the worker and puts a fresh one in its place. */
  private replace(worker: Worker, error: Error): void {
    if (!this.workers.delete(worker)) return; // its 'error' and 'exit' both come here
    const pending = this.busy.get(worker);
    this.busy.delete(worker);
    if (pending) {
      clearTimeout(pending.timer);
      pending.reject(error);
    }
    const at = this.idle.indexOf(worker);
    if (at >= 0) this.idle.splice(at, 1);
    void worker.terminate();
    if (!this.closed) this.release(this.spawn());
  }

  private dispatch(worker: Worker, request: Request, transfer: TransferListItem[], pending: Pending): void {
    if (this.isolation) {
      const seconds = this.isolation.timeoutMs / 1000;
      pending.timer = setTimeout(
        () => this.replace(worker, new Error(`stopped after ${seconds} s`)),
        this.isolation.timeoutMs,
      );
    }
    this.busy.set(worker, pending);
    worker.postMessage(request, transfer);
  }

  private release(worker: Worker): void {
    const next = this.waiting.shift();
    if (next) this.dispatch(worker, next.request, next.transfer, next.pending);
    else this.idle.push(worker);
  }
}

/**
 * The body of a pool's worker script: answers each request with `handle`'s result or error;
 * the buffers `transfer` names move to the caller instead of being copied.
 */
export function serveWorker<Request, Response>(
  port: {
    on(event: 'message', listener: (request: Request) => void): void;
    postMessage(message: unknown, transfer?: TransferListItem[]): void;
  },
  handle: (request: Request) => Response | Promise<Response>,
  transfer: (response: Response) => TransferListItem[] = () => [],
): void {
  port.on('message', async (request) => {
    try {
      const value = await handle(request);
      port.postMessage({ ok: true, value }, transfer(value));
    } catch (error) {
      port.postMessage({ ok: false, error: (error as Error).message });
    }
  });
}

/** A worker script compiled beside `from` (under dist/ when `from` runs from src/ in tests). */
export function workerScript(from: string, name: string): URL {
  const beside = new URL(`./${name}.js`, from);
  if (existsSync(beside)) return beside;
  return new URL(beside.href.replace('/src/', '/dist/'));
}

/** Whether the bytes own their whole buffer, which can then move to a thread without a copy. */
export function movable(bytes: Uint8Array): bytes is Uint8Array<ArrayBuffer> {
  return (
    bytes.buffer instanceof ArrayBuffer &&
    bytes.byteOffset === 0 &&
    bytes.byteLength === bytes.buffer.byteLength
  );
}
