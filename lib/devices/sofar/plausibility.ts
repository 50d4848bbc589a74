/**
 * The grid register advice over time (issue 11: "set grid register to s32" after a `sofar mode`
 * change against the simulator). One real-time block can look like another register type for a
 * moment: right after the battery changed its power the readings of one block are a transient,
 * and a grid held at exactly 0 W (the inverter's own auto mode does that) makes 0x0212 read 0,
 * which is also what an s32 grid value's upper half looks like. So the advice is given only when
 *
 * - the same finding holds on `minReadings` consecutive blocks spanning at least `minSpanMs`,
 * - none of them comes within `settleMs` of a command of ours or of a step of the battery's AC
 *   power by more than `stepW` between two blocks (a command from elsewhere: the CLI, the display),
 * - and, for s32, no block so far had an upper word of 0x0212 other than 0 or 0xFFFF: a household
 *   grid power as s32 (|P| < 327 kW) never has one, so one such block rules s32 out for good.
 *
 * Pure state machine with time passed in; the driver feeds it every decoded block.
 */
import type { SofarRealtime } from './normalize';

export interface GridCheckOptions {
  /** Consecutive blocks with the same finding (default 5). */
  minReadings?: number;
  /** …spanning at least this long, ms (default 30 s). */
  minSpanMs?: number;
  /** No advice this long after a command or a power step, ms (default 30 s). */
  settleMs?: number;
  /** A change of the AC power between two blocks larger than this is a step, W (default 200). */
  stepW?: number;
}

export class GridRegisterCheck {
  private readonly minReadings: number;
  private readonly minSpanMs: number;
  private readonly settleMs: number;
  private readonly stepW: number;
  private streak: { type: string; count: number; since: number } | null = null;
  private lastChangeAt = -Infinity;
  private lastAc: number | undefined;
  /** A block has ruled s32 out. */
  s32RuledOut = false;

  constructor(o: GridCheckOptions = {}) {
    this.minReadings = o.minReadings ?? 5;
    this.minSpanMs = o.minSpanMs ?? 30_000;
    this.settleMs = o.settleMs ?? 30_000;
    this.stepW = o.stepW ?? 200;
  }

  /** A command of ours went out at `now`: what follows is a transient. */
  changed(now: number): void {
    this.lastChangeAt = now;
    this.streak = null;
  }

  /** Feeds one decoded block; returns the advice text when it has persisted, else undefined. */
  observe(rt: Pick<SofarRealtime, 'gridAdvice' | 'notS32' | 'acPower'>, now: number): string | undefined {
    if (rt.notS32) this.s32RuledOut = true;
    if (this.lastAc !== undefined && Math.abs(rt.acPower - this.lastAc) > this.stepW) this.changed(now);
    this.lastAc = rt.acPower;
    const a = rt.gridAdvice && !(rt.gridAdvice.type === 's32' && this.s32RuledOut) ? rt.gridAdvice : null;
    if (!a || now - this.lastChangeAt < this.settleMs) {
      this.streak = null;
      return undefined;
    }
    if (!this.streak || this.streak.type !== a.type) this.streak = { type: a.type, count: 0, since: now };
    this.streak.count++;
    return this.streak.count >= this.minReadings && now - this.streak.since >= this.minSpanMs ? a.text : undefined;
  }
}
