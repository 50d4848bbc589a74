/**
 * One call at a time, shared: while a call is in flight, run() hands every caller that call's
 * promise instead of starting another, so reads never pile up behind a slow or hung device.
 * Once it settles (resolved or rejected: every sharer sees the same outcome), the next run()
 * starts afresh. The helper adds no rejection handlers of its own to what it returns; the
 * promise each caller gets is the call's own, so a caller that drops it must catch it.
 */
export class SingleFlight<T> {
  private current: Promise<T> | null = null;
  private queued: Promise<T> | null = null;

  /** A call is in flight. */
  get busy(): boolean {
    return this.current !== null;
  }

  /** Starts fn(), or shares the call in flight. A synchronous throw of fn becomes a rejection. */
  run(fn: () => Promise<T>): Promise<T> {
    if (this.current) return this.current;
    let p: Promise<T>;
    try {
      p = Promise.resolve(fn());
    } catch (e) {
      p = Promise.reject(e);
    }
    this.current = p;
    // Registered before any caller's handler: by the time a caller sees the outcome, busy is false.
    const clear = (): void => {
      if (this.current === p) this.current = null;
    };
    p.then(clear, clear);
    return p;
  }

  /**
   * A call that starts only after the one in flight (at once when none is): for a caller that
   * needs a result fresher than its own call. At most one waits; later callers share it.
   */
  next(fn: () => Promise<T>): Promise<T> {
    if (!this.current) return this.run(fn);
    if (!this.queued) {
      const go = (): Promise<T> => {
        this.queued = null;
        return this.run(fn);
      };
      this.queued = this.current.then(go, go);
    }
    return this.queued;
  }

  /** Starts fn() unless a call is in flight, for timers; the outcome is dropped (report it from fn). */
  poke(fn: () => Promise<T>): void {
    if (!this.current) this.run(fn).catch(() => undefined);
  }
}
