/**
 * Injected time (DESIGN.md §4, house rule 7). Drivers, simulators and controllers take a Clock;
 * production code uses systemClock, tests and benchmarks use VirtualClock and move time by hand.
 */
export interface Timer {
  cancel(): void;
}

export interface Clock {
  /** ms since epoch, UTC */
  now(): number;
  /** Call fn once after ms. */
  setTimeout(fn: () => void, ms: number): Timer;
  /** Call fn every ms. */
  setInterval(fn: () => void, ms: number): Timer;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const h = setTimeout(fn, ms);
    return { cancel: () => clearTimeout(h) };
  },
  setInterval(fn, ms) {
    const h = setInterval(fn, ms);
    return { cancel: () => clearInterval(h) };
  },
};

interface Pending {
  at: number;
  seq: number;
  fn: () => void;
  every?: number;
  cancelled: boolean;
}

/** Deterministic clock: time only moves when advance() or advanceTo() is called. */
export class VirtualClock implements Clock {
  private t: number;
  private seq = 0;
  private queue: Pending[] = [];

  constructor(start = Date.UTC(2024, 0, 1)) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): Timer {
    return this.add(fn, Math.max(0, ms));
  }

  setInterval(fn: () => void, ms: number): Timer {
    return this.add(fn, Math.max(1, ms), Math.max(1, ms));
  }

  /** Move time forward by ms, running every timer that falls due, in time order. */
  advance(ms: number): void {
    this.advanceTo(this.t + ms);
  }

  advanceTo(target: number): void {
    for (;;) {
      this.queue = this.queue.filter((p) => !p.cancelled);
      let next: Pending | undefined;
      for (const p of this.queue) if (p.at <= target && (!next || p.at < next.at || (p.at === next.at && p.seq < next.seq))) next = p;
      if (!next) break;
      this.t = next.at;
      if (next.every !== undefined) {
        next.at += next.every;
        next.seq = this.seq++;
      } else next.cancelled = true;
      next.fn();
    }
    this.t = Math.max(this.t, target);
  }

  /** Number of pending timers (for tests). */
  get pending(): number {
    return this.queue.filter((p) => !p.cancelled).length;
  }

  private add(fn: () => void, ms: number, every?: number): Timer {
    const p: Pending = { at: this.t + ms, seq: this.seq++, fn, every, cancelled: false };
    this.queue.push(p);
    return { cancel: () => (p.cancelled = true) };
  }
}
