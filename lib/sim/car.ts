/**
 * A car for the virtual home (issue 12): plugged in and out on a schedule, a 1- or 3-phase on-board
 * charger with its own minimum current (some cars stop below 8 A although the wallbox may signal
 * 6 A), a ramp to the signalled current, a taper near full, battery capacity and SoC, and the
 * occasional car that ignores a current change for some seconds.
 *
 * Pure model in simulated time: `advance(t, signalledA, phasesOffered)` moves it to time t under
 * the wallbox's signal of the interval before and returns what it draws. Nothing here knows Modbus.
 */

export interface CarOptions {
  /** Phases of the on-board charger (1 or 3). */
  phases?: 1 | 3;
  /** Below this signalled current the car does not charge, A (IEC 61851 allows 6; some need 8). */
  minCurrentA?: number;
  /** Largest current per phase the on-board charger takes, A. */
  maxCurrentA?: number;
  /** Usable battery capacity, Wh. */
  capacityWh?: number;
  /** State of charge at plug-in, %. */
  socAtPlugIn?: number;
  /** Stop charging at this SoC, %. */
  targetSoc?: number;
  /** Current ramp, A per second, up and down. */
  rampAps?: number;
  /** Above this SoC the current tapers linearly to `taperEndA` at 100 %. */
  taperFromSoc?: number;
  taperEndA?: number;
  /** Phase voltage, V. */
  voltage?: number;
  /** Charger efficiency AC → battery. */
  efficiency?: number;
  /** Ignore a change of the signalled current for this long, s (0 = always follow). */
  ignoreChangeS?: number;
  /** Plug-in schedule: [plugInAt, plugOutAt] in ms since epoch (simulated time), in order. */
  schedule?: Array<[number, number]>;
}

export interface CarDraw {
  /** Current per phase actually drawn, A, L1 first (a 1-phase car draws on L1). */
  currents: [number, number, number];
  /** AC power drawn, W. */
  powerW: number;
}

const DEFAULTS: Required<Omit<CarOptions, 'schedule'>> = {
  phases: 3,
  minCurrentA: 6,
  maxCurrentA: 16,
  capacityWh: 60_000,
  socAtPlugIn: 40,
  targetSoc: 100,
  rampAps: 2,
  taperFromSoc: 90,
  taperEndA: 2,
  voltage: 230,
  efficiency: 0.9,
  ignoreChangeS: 0,
};

export class Car {
  readonly o: Required<Omit<CarOptions, 'schedule'>>;
  schedule: Array<[number, number]>;
  plugged = false;
  soc: number;
  /** Current per phase now, A. */
  currentA = 0;
  /** Phases in use now (a 3-phase car on a 1-phase offer uses 1). */
  phasesInUse: 1 | 3;
  /** Energy charged in this session (AC side), Wh. */
  sessionWh = 0;
  private t: number | null = null;
  private followed = 0;
  private lastSignal = 0;
  private signalChangedAt = -Infinity;

  constructor(o: CarOptions = {}) {
    this.o = { ...DEFAULTS, ...Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) } as Required<Omit<CarOptions, 'schedule'>>;
    this.schedule = o.schedule ? [...o.schedule] : [];
    this.soc = this.o.socAtPlugIn;
    this.phasesInUse = this.o.phases;
  }

  plugIn(soc = this.o.socAtPlugIn): void {
    if (this.plugged) return;
    this.plugged = true;
    this.soc = soc;
    this.sessionWh = 0;
    this.currentA = 0;
  }

  unplug(): void {
    this.plugged = false;
    this.currentA = 0;
  }

  /** Whether the schedule says the car is plugged in at t (undefined without a schedule). */
  scheduled(t: number): boolean | undefined {
    if (!this.schedule.length) return undefined;
    return this.schedule.some(([a, b]) => t >= a && t < b);
  }

  /** The current the car wants at its SoC, A per phase (taper near full, 0 at target). */
  wantA(): number {
    if (this.soc >= this.o.targetSoc) return 0;
    if (this.soc <= this.o.taperFromSoc) return this.o.maxCurrentA;
    const f = (100 - this.soc) / (100 - this.o.taperFromSoc);
    return Math.max(this.o.taperEndA, this.o.taperEndA + (this.o.maxCurrentA - this.o.taperEndA) * f);
  }

  /**
   * Moves to time t. `signalledA` is the current the wallbox signals (0 = not allowed), `offered`
   * the phases the wallbox connects (1 or 3). Returns the draw at t.
   */
  advance(t: number, signalledA: number, offered: 1 | 3): CarDraw {
    const sched = this.scheduled(t);
    if (sched === true) this.plugIn();
    else if (sched === false) this.unplug();
    const dtS = this.t === null ? 0 : Math.max(0, (t - this.t) / 1000);
    this.t = t;
    if (signalledA !== this.lastSignal) {
      this.lastSignal = signalledA;
      this.signalChangedAt = t;
    }
    // An ignored change: while charging, the car keeps following the signal it had before for
    // ignoreChangeS. A start from 0 and a stop (0) are followed at once.
    if (this.o.ignoreChangeS <= 0 || this.followed === 0 || signalledA === 0 || t - this.signalChangedAt >= this.o.ignoreChangeS * 1000) this.followed = signalledA;
    this.phasesInUse = this.o.phases === 3 && offered === 3 ? 3 : 1;
    let target = 0;
    if (this.plugged && this.followed >= this.o.minCurrentA) target = Math.min(this.followed, this.wantA());
    if (target > 0 && target < Math.min(this.o.minCurrentA, this.o.taperEndA)) target = 0;
    const step = this.o.rampAps * dtS;
    // Energy over the interval at the current before the ramp step (a left Riemann sum is fine at 1 s ticks).
    const powerBefore = this.currentA * this.o.voltage * this.phasesInUse;
    if (dtS > 0 && powerBefore > 0) {
      const wh = (powerBefore * dtS) / 3600;
      this.sessionWh += wh;
      this.soc = Math.min(100, this.soc + (wh * this.o.efficiency * 100) / this.o.capacityWh);
    }
    if (dtS === 0) this.currentA = Math.min(this.currentA, target);
    else if (this.currentA < target) this.currentA = Math.min(target, this.currentA + step);
    else this.currentA = Math.max(target, this.currentA - step);
    if (!this.plugged) this.currentA = 0;
    return this.draw();
  }

  draw(): CarDraw {
    const a = this.currentA;
    const currents: [number, number, number] = this.phasesInUse === 3 ? [a, a, a] : [a, 0, 0];
    return { currents, powerW: a * this.o.voltage * this.phasesInUse };
  }
}
