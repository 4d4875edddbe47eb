/**
 * The current selection of each dataset (what the user lassoed, boxed or picked last, in any
 * client), kept in the server's memory: it is UI state, shared by every view, notebook and
 * terminal of the workspace while the server runs, and gone when it stops (docs/server.md).
 */
export interface LiveSelection {
  dataset: string;
  /** Sample ids in id order, without repeats. */
  sample_ids: number[];
  /** Who made it: `scatter`, `grid`, `notebook`, `cli`, `vscode`…; null before any. */
  source: string | null;
  /** When it was made (ISO 8601); null before any. */
  at: string | null;
  /** 0 before any; one more on every change. */
  version: number;
}

export class LiveSelections {
  private readonly current = new Map<string, LiveSelection>();
  private readonly waiters = new Map<string, Set<() => void>>();

  get(dataset: string): LiveSelection {
    return this.current.get(dataset) ?? { dataset, sample_ids: [], source: null, at: null, version: 0 };
  }

  set(dataset: string, sampleIds: number[], source: string): LiveSelection {
    const next: LiveSelection = {
      dataset,
      sample_ids: sampleIds,
      source,
      at: new Date().toISOString(),
      version: this.get(dataset).version + 1,
    };
    this.current.set(dataset, next);
    const waiting = this.waiters.get(dataset);
    this.waiters.delete(dataset);
    for (const wake of waiting ?? []) wake();
    return next;
  }

  /**
   * The selection once its version is not `after`: at once when it already differs (a version
   * ahead of ours was read from a server before a restart), else at the next change, or as it is
   * when `waitMs` pass or `signal` aborts (the asker went away).
   */
  async after(dataset: string, after: number, waitMs: number, signal: AbortSignal): Promise<LiveSelection> {
    if (this.get(dataset).version !== after || signal.aborted) return this.get(dataset);
    await new Promise<void>((resolve) => {
      const waiting = this.waiters.get(dataset) ?? new Set();
      this.waiters.set(dataset, waiting);
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        waiting.delete(done);
        resolve();
      };
      const timer = setTimeout(done, waitMs);
      signal.addEventListener('abort', done);
      waiting.add(done);
    });
    return this.get(dataset);
  }
}
