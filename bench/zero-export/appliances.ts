/**
 * Seeded 1-s appliance events superimposed on the recorded 1-min household load (bench zero-export).
 *
 * The recorded load is a minute average: the fast steps a zero-export loop has to follow are averaged
 * away. This module adds them back by a fixed, documented rule, driven by a mulberry32 PRNG seeded from
 * --seed, so a run is reproducible and two controllers always see the same household.
 *
 * Rule (all powers in W, all steps on whole seconds, local time of day in the simulation's zone):
 *
 * | appliance        | profile                                                                 | starts per hour by local hour                       |
 * |------------------|-------------------------------------------------------------------------|-----------------------------------------------------|
 * | fridge           | compressor 600 W for 1 s (inrush), then 100 W for 10–20 min, off 20–40 min, all day, random phase | (cyclic)               |
 * | kettle           | 2000 W for 90–210 s                                                     | 06–09 0.8, 09–12 0.3, 12–14 0.4, 14–17 0.3, 17–22 0.5, 22–06 0.05 |
 * | microwave        | 1200 W for 45–300 s                                                     | 07–09 0.3, 11–14 0.4, 17–21 0.5, other 06–23 0.05   |
 * | oven (one at a time) | 2400 W heat-up 8–12 min, then thermostat: 2400 W for 40–60 s, off 60–120 s, for 30–60 min in total | 11–13 0.15, 17–20 0.25 |
 * | washing machine (one at a time) | heater 2000 W for 8–15 min, then 40 min drum: 250 W 30 s / 60 W 15 s, then spin 500 W 5 min | 08–20 0.06 |
 * | lights / TV      | +40…150 W for 5–60 min                                                  | 06–08 1, 08–17 0.3, 17–23 2, 23–06 0.2              |
 * | noise            | uniform ±12 W, a new value every second                                 | —                                                   |
 *
 * Draws: the fridge phase first; then, minute by minute from the start of the run, one uniform draw per
 * appliance in the order kettle, microwave, oven, washing machine, lights: it starts in that minute with
 * probability rate/60, at second floor(u·60) of the minute, its durations drawn next. An exclusive appliance
 * that is still running ignores a start. The noise uses its own PRNG stream (seed + 0x9E3779B9), one draw
 * per second. The sequence only depends on the seed and the run's start, so a shorter run is a prefix of a
 * longer one. The events are added on top of the recorded minute values (they add energy; the scenario
 * reports how much).
 */

export { mulberry32 } from '../../lib/util/random';
import { mulberry32 } from '../../lib/util/random';

export type ApplianceKind = 'fridge' | 'kettle' | 'microwave' | 'oven' | 'washer' | 'lights';

export const NOISE_W = 12;

/** Starts per hour by local hour of day (index 0–23). */
function rates(spec: Array<[from: number, to: number, rate: number]>, other = 0): number[] {
  const out = new Array<number>(24).fill(other);
  for (const [from, to, r] of spec) {
    for (let h = from; h !== to; h = (h + 1) % 24) out[h] = r;
  }
  return out;
}

export const RATES: Record<Exclude<ApplianceKind, 'fridge'>, number[]> = {
  kettle: rates([[6, 9, 0.8], [9, 12, 0.3], [12, 14, 0.4], [14, 17, 0.3], [17, 22, 0.5], [22, 6, 0.05]]),
  microwave: rates([[6, 7, 0.05], [7, 9, 0.3], [9, 11, 0.05], [11, 14, 0.4], [14, 17, 0.05], [17, 21, 0.5], [21, 23, 0.05]]),
  oven: rates([[11, 13, 0.15], [17, 20, 0.25]]),
  washer: rates([[8, 20, 0.06]]),
  lights: rates([[6, 8, 1], [8, 17, 0.3], [17, 23, 2], [23, 6, 0.2]]),
};

export interface ApplianceSummary {
  /** Number of starts per appliance (fridge: compressor cycles). */
  starts: Record<ApplianceKind, number>;
  /** Energy the events add, Wh, per appliance and in total (noise included in total, ~0). */
  addedWh: Record<ApplianceKind, number> & { noise: number; total: number };
}

export interface ApplianceTrace {
  /** Extra W per second of the run (events + noise; may be negative by the noise only). */
  extra: Float64Array;
  summary: ApplianceSummary;
}

/**
 * Builds the per-second extra load for a run of `seconds` seconds. `hourOfSecond(s)` gives the local hour
 * (0–23) of second s of the run.
 */
export function applianceTrace(seconds: number, seed: number, hourOfSecond: (s: number) => number): ApplianceTrace {
  const rng = mulberry32(seed);
  const noiseRng = mulberry32((seed + 0x9e3779b9) >>> 0);
  const extra = new Float64Array(seconds);
  const starts: Record<ApplianceKind, number> = { fridge: 0, kettle: 0, microwave: 0, oven: 0, washer: 0, lights: 0 };
  const added: Record<ApplianceKind, number> = { fridge: 0, kettle: 0, microwave: 0, oven: 0, washer: 0, lights: 0 };
  const add = (kind: ApplianceKind, from: number, len: number, w: number): void => {
    const a = Math.max(0, from);
    const b = Math.min(seconds, from + len);
    for (let s = a; s < b; s++) extra[s] += w;
    if (b > a) added[kind] += ((b - a) * w) / 3600;
  };
  const between = (lo: number, hi: number): number => Math.floor(lo + rng() * (hi - lo + 1));

  // Fridge: cycles from a random phase, over the whole run.
  let s = -Math.floor(rng() * 3600);
  while (s < seconds) {
    const on = between(600, 1200);
    const off = between(1200, 2400);
    if (s + on > 0) starts.fridge++;
    add('fridge', s, 1, 600);
    add('fridge', s + 1, on - 1, 100);
    s += on + off;
  }

  let ovenBusyUntil = -1;
  let washerBusyUntil = -1;
  const minutes = Math.ceil(seconds / 60);
  for (let m = 0; m < minutes; m++) {
    const hour = hourOfSecond(m * 60);
    const base = m * 60;
    // kettle
    if (rng() < RATES.kettle[hour] / 60) {
      const at = base + Math.floor(rng() * 60);
      add('kettle', at, between(90, 210), 2000);
      if (at < seconds) starts.kettle++;
    }
    // microwave
    if (rng() < RATES.microwave[hour] / 60) {
      const at = base + Math.floor(rng() * 60);
      add('microwave', at, between(45, 300), 1200);
      if (at < seconds) starts.microwave++;
    }
    // oven
    if (rng() < RATES.oven[hour] / 60) {
      const at = base + Math.floor(rng() * 60);
      const heat = between(480, 720);
      const total = between(1800, 3600);
      if (at > ovenBusyUntil) {
        add('oven', at, heat, 2400);
        let c = at + heat;
        while (c < at + total) {
          const on = between(40, 60);
          const off = between(60, 120);
          add('oven', c, Math.min(on, at + total - c), 2400);
          c += on + off;
        }
        ovenBusyUntil = at + total;
        if (at < seconds) starts.oven++;
      }
    }
    // washing machine
    if (rng() < RATES.washer[hour] / 60) {
      const at = base + Math.floor(rng() * 60);
      const heat = between(480, 900);
      if (at > washerBusyUntil) {
        add('washer', at, heat, 2000);
        let c = at + heat;
        const drumEnd = c + 2400;
        while (c < drumEnd) {
          add('washer', c, Math.min(30, drumEnd - c), 250);
          add('washer', c + 30, Math.min(15, Math.max(0, drumEnd - c - 30)), 60);
          c += 45;
        }
        add('washer', drumEnd, 300, 500);
        washerBusyUntil = drumEnd + 300;
        if (at < seconds) starts.washer++;
      }
    }
    // lights / TV
    if (rng() < RATES.lights[hour] / 60) {
      const at = base + Math.floor(rng() * 60);
      const w = between(40, 150);
      add('lights', at, between(300, 3600), w);
      if (at < seconds) starts.lights++;
    }
  }

  let noiseWh = 0;
  for (let i = 0; i < seconds; i++) {
    const n = (noiseRng() * 2 - 1) * NOISE_W;
    extra[i] += n;
    noiseWh += n / 3600;
  }
  const r1 = (x: number): number => Math.round(x * 10) / 10;
  const addedWh = {
    fridge: r1(added.fridge),
    kettle: r1(added.kettle),
    microwave: r1(added.microwave),
    oven: r1(added.oven),
    washer: r1(added.washer),
    lights: r1(added.lights),
    noise: r1(noiseWh),
    total: r1(Object.values(added).reduce((a, b) => a + b, 0) + noiseWh),
  };
  return { extra, summary: { starts, addedWh } };
}

/** One line per appliance for the report. */
export const APPLIANCE_RULE: string[] = [
  'fridge: 600 W for 1 s (compressor inrush), then 100 W for 10–20 min, off 20–40 min, all day from a random phase',
  'kettle: 2000 W for 90–210 s; starts/h 06–09 0.8, 09–12 0.3, 12–14 0.4, 14–17 0.3, 17–22 0.5, 22–06 0.05',
  'microwave: 1200 W for 45–300 s; starts/h 07–09 0.3, 11–14 0.4, 17–21 0.5, otherwise 0.05 between 06 and 23',
  'oven (one at a time): 2400 W heat-up 8–12 min, then thermostat cycling 2400 W 40–60 s on / 60–120 s off, 30–60 min in all; starts/h 11–13 0.15, 17–20 0.25',
  'washing machine (one at a time): heater 2000 W 8–15 min, drum 40 min (250 W 30 s / 60 W 15 s), spin 500 W 5 min; starts/h 08–20 0.06',
  'lights / TV: +40…150 W for 5–60 min; starts/h 06–08 1, 08–17 0.3, 17–23 2, 23–06 0.2',
  `noise: uniform ±${NOISE_W} W, a new value every second (own PRNG stream)`,
];
