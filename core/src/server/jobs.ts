import { randomUUID } from 'node:crypto';
import type { JobInfo, JobState } from '../contract/jobs.js';
import { firstLineOf, type Progress, WinnowError } from '../errors.js';

export type JobEvent = { type: 'progress'; progress: Progress } | { type: 'end'; job: JobInfo };

type Work = (signal: AbortSignal, onProgress: (progress: Progress) => void) => Promise<unknown>;

interface Job {
  info: JobInfo;
  work: Work;
  controller: AbortController;
  listeners: Set<(event: JobEvent) => void>;
}

/**
 * Long operations, run one at a time (the workspace has one writer) in the order they came.
 * Each can be followed (progress events, then its end) and cancelled, queued or running.
 */
export class Jobs {
  private readonly jobs = new Map<string, Job>();
  private readonly queue: Job[] = [];
  private running = false;

  start(kind: string, dataset: string, work: Work): JobInfo {
    const job: Job = {
      info: { id: randomUUID(), kind, dataset, state: 'queued' },
      work,
      controller: new AbortController(),
      listeners: new Set(),
    };
    this.jobs.set(job.info.id, job);
    this.queue.push(job);
    void this.next();
    return job.info;
  }

  /** Whether a job is queued or running. */
  busy(): boolean {
    return this.running || this.queue.length > 0;
  }

  get(id: string): JobInfo {
    return this.job(id).info;
  }

  /** Calls `listener` with each event until the job ends (at once with the end if it has). */
  follow(id: string, listener: (event: JobEvent) => void): () => void {
    const job = this.job(id);
    if (isOver(job.info.state)) {
      listener({ type: 'end', job: job.info });
      return () => undefined;
    }
    job.listeners.add(listener);
    return () => job.listeners.delete(listener);
  }

  cancel(id: string): JobInfo {
    const job = this.job(id);
    if (job.info.state === 'queued') {
      this.queue.splice(this.queue.indexOf(job), 1);
      this.finish(job, { state: 'cancelled', error: 'cancelled' });
    } else if (job.info.state === 'running') job.controller.abort();
    return job.info;
  }

  /** Cancels everything and waits for the running job to stop. */
  async close(): Promise<void> {
    for (const job of [...this.queue]) this.cancel(job.info.id);
    const running = [...this.jobs.values()].find((job) => job.info.state === 'running');
    if (!running) return;
    const ended = new Promise<void>((resolve) => running.listeners.add((e) => e.type === 'end' && resolve()));
    running.controller.abort();
    await ended;
  }

  private job(id: string): Job {
    const job = this.jobs.get(id);
    if (!job) throw new WinnowError('not_found', `no job ${id}`);
    return job;
  }

  private async next(): Promise<void> {
    if (this.running) return;
    const job = this.queue.shift();
    if (!job) return;
    this.running = true;
    job.info.state = 'running';
    try {
      const result = await job.work(job.controller.signal, (progress) => {
        job.info.progress = progress;
        for (const listener of job.listeners) listener({ type: 'progress', progress });
      });
      this.finish(job, { state: 'done', result });
    } catch (error) {
      const cancelled = error instanceof WinnowError && error.code === 'cancelled';
      this.finish(job, { state: cancelled ? 'cancelled' : 'failed', error: firstLineOf(error) });
    } finally {
      this.running = false;
      void this.next();
    }
  }

  private finish(job: Job, end: Pick<JobInfo, 'state' | 'result' | 'error'>): void {
    Object.assign(job.info, end);
    for (const listener of job.listeners) listener({ type: 'end', job: job.info });
    job.listeners.clear();
  }
}

function isOver(state: JobState): boolean {
  return state === 'done' || state === 'failed' || state === 'cancelled';
}
