/**
 * Baseline EV surplus controllers of the benchmark, reimplemented from their published algorithms
 * and default parameters (../shared/CONTROL-ANCHORS.md §3.2, §3.3; our own code, not theirs):
 *
 * - evcc PV mode (core/loadpoint.go as described): 30 s loop; target current = present current +
 *   (−site power) / (230 V × phases); enable threshold 0 W (start when the minimum current fits in
 *   the surplus) after 1 min, disable threshold 0 W (import at the minimum) after 3 min; phase
 *   scaling down when the surplus is below the 3-phase minimum (after the disable delay), up when
 *   the 1-phase target exceeds the maximum and 3 phases reach the minimum (after the enable delay).
 * - openWB (packages/control): 10 s loop; switch on at 1500 W surplus per phase after 30 s, off at
 *   0 W after 60 s; control band 0–230 W import (aims at +115 W); phase switch up after 30 s, down
 *   after 60 s, at least 7 min after the previous automatic switch.
 * - KSEM as its manual describes it: start at ≥ 1.4 kW (1 phase) / 4.1 kW (3 phases), follow the
 *   surplus every second, surplus lost → the minimum for 5 min → pause 8 min; start on 3 phases when
 *   the surplus allows; every 15 min up when the surplus is 7 % above the 3-phase minimum; down
 *   after 5 min without enough surplus.
 *
 * Each takes the same inputs as ours (EvInputs) and returns a charger command.
 */
import type { ChargerSetpointCommand } from '../../lib/api/types';
import type { EvControllerLike, EvInputs } from '../../lib/control/ev-charging/types';

type Cmd = Omit<ChargerSetpointCommand, 'kind'>;
const V = 230;
const MIN_A = 6;
const MAX_A = 16;

abstract class Base implements EvControllerLike {
  protected gridW = 0;
  protected carW = 0;
  protected plugged = false;
  protected phases: 1 | 3 = 3;
  protected on = false;
  protected currentA = MIN_A;
  private last: Cmd | null = null;

  protected take(i: EvInputs): void {
    if (i.meter) this.gridW = i.meter.power;
    if (i.charger) {
      this.carW = i.charger.power;
      const p = i.charger.state !== 'idle' && i.charger.state !== 'offline';
      if (!p && this.plugged) this.reset();
      this.plugged = p;
    }
  }

  protected reset(): void {
    this.on = false;
    this.currentA = MIN_A;
  }

  protected surplus(): number {
    return -this.gridW + this.carW;
  }

  protected out(): { command: Cmd | null } {
    const c: Cmd = { enabled: this.on && this.plugged, currentA: Math.max(MIN_A, Math.min(MAX_A, Math.floor(this.currentA * 10) / 10)), phases: this.phases };
    const l = this.last;
    if (l && l.enabled === c.enabled && l.phases === c.phases && Math.abs(l.currentA - c.currentA) < 0.05) return { command: null };
    this.last = c;
    return { command: c };
  }

  abstract step(i: EvInputs, now: number): { command: Cmd | null };
}

export class EvccPv extends Base {
  private nextLoop = 0;
  private enableSince: number | null = null;
  private disableSince: number | null = null;
  private phaseUpSince: number | null = null;
  private phaseDownSince: number | null = null;

  step(i: EvInputs, now: number) {
    this.take(i);
    if (now < this.nextLoop) return { command: null };
    this.nextLoop = now + 30_000;
    if (!this.plugged) return this.out();
    const s = this.surplus();
    const minW = MIN_A * V * this.phases;
    if (!this.on) {
      // Phase choice while off: immediate.
      this.phases = s >= MIN_A * V * 3 ? 3 : 1;
      if (s >= MIN_A * V * this.phases) {
        this.enableSince ??= now;
        if (now - this.enableSince >= 60_000) {
          this.on = true;
          this.enableSince = null;
          this.currentA = s / (V * this.phases);
        }
      } else this.enableSince = null;
      return this.out();
    }
    // Charging: follow, disable when importing at the minimum.
    const target = this.currentA + -this.gridW / (V * this.phases);
    if (target < MIN_A && this.gridW > 0) {
      this.disableSince ??= now;
      if (now - this.disableSince >= 180_000) {
        this.on = false;
        this.disableSince = null;
      }
    } else this.disableSince = null;
    this.currentA = Math.max(MIN_A, Math.min(MAX_A, Math.floor(target)));
    // Phase scaling.
    if (this.phases === 3 && s < minW) {
      this.phaseDownSince ??= now;
      if (now - this.phaseDownSince >= 180_000) {
        this.phases = 1;
        this.phaseDownSince = null;
        this.currentA = Math.max(MIN_A, Math.min(MAX_A, s / V));
      }
    } else this.phaseDownSince = null;
    if (this.phases === 1 && s / V > MAX_A && s / (3 * V) >= MIN_A) {
      this.phaseUpSince ??= now;
      if (now - this.phaseUpSince >= 60_000) {
        this.phases = 3;
        this.phaseUpSince = null;
        this.currentA = s / (3 * V);
      }
    } else this.phaseUpSince = null;
    return this.out();
  }
}

export class OpenWb extends Base {
  private nextLoop = 0;
  private onSince: number | null = null;
  private offSince: number | null = null;
  private upSince: number | null = null;
  private downSince: number | null = null;
  private lastSwitch = -Infinity;

  step(i: EvInputs, now: number) {
    this.take(i);
    if (now < this.nextLoop) return { command: null };
    this.nextLoop = now + 10_000;
    if (!this.plugged) return this.out();
    const s = this.surplus();
    if (!this.on) {
      this.phases = s >= 1500 * 3 ? 3 : 1;
      if (s >= 1500 * this.phases) {
        this.onSince ??= now;
        if (now - this.onSince >= 30_000) {
          this.on = true;
          this.onSince = null;
          this.currentA = s / (V * this.phases);
        }
      } else this.onSince = null;
      return this.out();
    }
    // Regulate to +115 W import (middle of the 0–230 W band).
    const target = this.currentA + (115 - this.gridW) / (V * this.phases);
    if (target < MIN_A && this.gridW > 0) {
      this.offSince ??= now;
      if (now - this.offSince >= 60_000) {
        this.on = false;
        this.offSince = null;
      }
    } else this.offSince = null;
    this.currentA = Math.max(MIN_A, Math.min(MAX_A, target));
    const sinceSwitch = now - this.lastSwitch >= 420_000;
    if (this.phases === 1 && s >= MIN_A * V * 3 && s / V > MAX_A) {
      this.upSince ??= now;
      if (now - this.upSince >= 30_000 && sinceSwitch) {
        this.phases = 3;
        this.lastSwitch = now;
        this.upSince = null;
        this.currentA = s / (3 * V);
      }
    } else this.upSince = null;
    if (this.phases === 3 && s < MIN_A * V * 3) {
      this.downSince ??= now;
      if (now - this.downSince >= 60_000 && sinceSwitch) {
        this.phases = 1;
        this.lastSwitch = now;
        this.downSince = null;
        this.currentA = s / V;
      }
    } else this.downSince = null;
    return this.out();
  }
}

export class KsemSolarPure extends Base {
  private holdUntil: number | null = null;
  private waitUntil = -Infinity;
  private nextUpCheck = 0;
  private belowSince: number | null = null;

  step(i: EvInputs, now: number) {
    this.take(i);
    if (!this.plugged) return this.out();
    const s = this.surplus();
    if (!this.on) {
      if (now < this.waitUntil) return this.out();
      this.phases = s >= 4100 ? 3 : 1;
      if (s >= (this.phases === 3 ? 4100 : 1400)) {
        this.on = true;
        this.holdUntil = null;
        this.nextUpCheck = now + 900_000;
        this.currentA = s / (V * this.phases);
      }
      return this.out();
    }
    const minW = MIN_A * V * this.phases;
    if (s < minW) {
      this.holdUntil ??= now + 300_000;
      this.currentA = MIN_A;
      if (now >= this.holdUntil) {
        this.on = false;
        this.holdUntil = null;
        this.waitUntil = now + 480_000;
      }
    } else {
      this.holdUntil = null;
      this.currentA = s / (V * this.phases);
    }
    if (this.phases === 3 && s < MIN_A * V * 3) {
      this.belowSince ??= now;
      if (now - this.belowSince >= 300_000) {
        this.phases = 1;
        this.belowSince = null;
        this.holdUntil = null;
      }
    } else this.belowSince = null;
    if (this.phases === 1 && now >= this.nextUpCheck) {
      this.nextUpCheck = now + 900_000;
      if (s >= MIN_A * V * 3 * 1.07) this.phases = 3;
    }
    return this.out();
  }
}
