/**
 * Runs calls one after the other, in call order (one command sequence on the wire at a time): a
 * call starts once every earlier one has settled, and a failure fails only its own promise.
 */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private count = 0;

  /** Calls queued or running. */
  get pending(): number {
    return this.count;
  }

  /** Queues fn(); resolves or rejects with its outcome. A synchronous throw becomes a rejection. */
  run<T>(fn: () => Promise<T>): Promise<T> {
    this.count++;
    const p = this.tail.then(fn, fn);
    // Registered before any caller's handler: by the time a caller sees the outcome, pending counts it out.
    const done = (): void => {
      this.count--;
    };
    p.then(done, done);
    this.tail = p.catch(() => undefined);
    return p;
  }
}
