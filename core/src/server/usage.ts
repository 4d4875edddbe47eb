/**
 * When a server was last used, for its idle timeout and `winnow serve --status`. Used means an
 * authenticated request other than the health check (a status probe must not keep a server
 * alive); a request still open (an event stream) or a job queued or running is use going on.
 */
export class Usage {
  private lastUsed = Date.now();
  private open = 0;

  constructor(private readonly jobsBusy: () => boolean) {}

  /** Marks a request as started; call the returned function once it has ended. */
  begin(): () => void {
    this.open++;
    this.lastUsed = Date.now();
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.open--;
      this.lastUsed = Date.now();
    };
  }

  /** Milliseconds without use; 0 while in use. */
  idleMs(): number {
    // A job's end counts as its last use, as near as the caller's polling sees it.
    if (this.open > 0 || this.jobsBusy()) this.lastUsed = Date.now();
    return Date.now() - this.lastUsed;
  }

  /** Calls `onIdle` once, when the server has been idle for `timeoutMs`; returns how to stop watching. */
  watch(timeoutMs: number, onIdle: () => void): () => void {
    const timer = setInterval(
      () => {
        if (this.idleMs() < timeoutMs) return;
        clearInterval(timer);
        onIdle();
      },
      Math.min(5000, Math.max(100, timeoutMs / 4)),
    );
    timer.unref();
    return () => clearInterval(timer);
  }
}
