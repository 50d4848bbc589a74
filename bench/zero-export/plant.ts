/**
 * Plant settings of the zero-export benchmark and the battery units' readings.
 *
 * Each battery unit is a BatteryPlant (lib/sim/battery.ts: latency, ramp, limits, efficiency, SoC window).
 * The meter samples the true grid power G(t) = load − PV − Σ battery AC power at t = k·period and delivers
 * it `meterLatencyMs` later with `timestamp` = the sampling instant. Battery units are read every
 * `batteryPollMs` at k·poll + `batteryPhaseMs` (power, SoC, state, limits, capacity, last commanded
 * setpoint), delivered at once. The phase is there because nothing synchronises a battery's poll with the
 * meter's telegrams; with phase 0 every reading lands on a meter sample's instant, which hands a loop
 * that adds measured battery power to measured grid power the exact net load.
 */
import { BatteryPlant } from '../../lib/sim/battery';
import type { UnitObservation } from '../../lib/control/zero-export/types';

export interface PlantSettings {
  batteries: number;
  meterPeriodMs: number;
  meterLatencyMs: number;
  batteryLatencyMs: number;
  rampWPerS: number;
  batteryPollMs: number;
  /** Offset of the battery polls from the meter samples, ms (0 ≤ phase < poll). */
  batteryPhaseMs: number;
  /** Initial SoC, %. */
  socPct: number;
  capacityWh: number;
  maxChargeW: number;
  maxDischargeW: number;
  minSocPct: number;
  maxSocPct: number;
}

export const DEFAULT_PLANT: PlantSettings = {
  batteries: 1,
  meterPeriodMs: 1000,
  meterLatencyMs: 500,
  batteryLatencyMs: 2000,
  rampWPerS: 1000,
  batteryPollMs: 1000,
  batteryPhaseMs: 500,
  socPct: 50,
  capacityWh: 5200,
  maxChargeW: 2200,
  maxDischargeW: 1700,
  minSocPct: 5,
  maxSocPct: 100,
};

/** Ramp used for the oracle's plants: effectively unlimited (W/s). */
export const ORACLE_RAMP = 1e15;

export const unitIds = (n: number): string[] => Array.from({ length: n }, (_, i) => `b${i + 1}`);

/** Plants on relative time (t0 = 0 ms). The oracle's have no latency and no ramp limit; limits, efficiency and SoC window are the same. */
export function makePlants(s: PlantSettings, oracle: boolean): BatteryPlant[] {
  return unitIds(s.batteries).map(
    () =>
      new BatteryPlant({
        capacityWh: s.capacityWh,
        maxChargeW: s.maxChargeW,
        maxDischargeW: s.maxDischargeW,
        socPct: s.socPct,
        minSocPct: s.minSocPct,
        maxSocPct: s.maxSocPct,
        rampWPerS: oracle ? ORACLE_RAMP : s.rampWPerS,
        latencyMs: oracle ? 0 : s.batteryLatencyMs,
        t0: 0,
      }),
  );
}

/** What a unit reports at a poll. */
export function reading(p: BatteryPlant, s: PlantSettings, setpoint: number | null, timestamp: number): UnitObservation {
  return {
    power: p.powerW,
    soc: p.socPct,
    state: p.empty ? 'empty' : p.full ? 'full' : 'ready',
    limits: { maxChargeW: s.maxChargeW, maxDischargeW: s.maxDischargeW },
    capacityWh: s.capacityWh,
    setpoint,
    timestamp,
  };
}

/**
 * Water-filling split of `total` ≥ 0 over units with the given caps (0 = unit not usable): equal shares,
 * and what a unit cannot take goes to the others. Returns the share of each unit (sum ≤ total).
 */
export function waterFill(total: number, caps: number[]): number[] {
  const out = caps.map(() => 0);
  if (!(total > 0)) return out;
  let active = caps.map((c, i) => i).filter((i) => caps[i] > 0);
  let remaining = total;
  while (remaining > 1e-9 && active.length > 0) {
    const share = remaining / active.length;
    const next: number[] = [];
    for (const i of active) {
      const give = Math.min(share, caps[i] - out[i]);
      out[i] += give;
      remaining -= give;
      if (caps[i] - out[i] > 1e-9) next.push(i);
    }
    if (next.length === active.length) break; // every share fitted
    active = next;
  }
  return out;
}

/**
 * Splits a signed total (W, + discharge) over units: discharge only to units that are not empty, charge
 * only to units that are not full, clamped to what they can take together.
 */
export function splitSigned(total: number, maxChargeW: number[], maxDischargeW: number[], canCharge: boolean[], canDischarge: boolean[]): number[] {
  if (total >= 0) {
    const caps = maxDischargeW.map((c, i) => (canDischarge[i] ? c : 0));
    return waterFill(total, caps);
  }
  const caps = maxChargeW.map((c, i) => (canCharge[i] ? c : 0));
  return waterFill(-total, caps).map((w) => (w === 0 ? 0 : -w));
}
