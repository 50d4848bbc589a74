/**
 * Closed loop of the zero-export benchmark in virtual time.
 *
 * The loop walks from event to event on integer ms (relative to the run's start): the 100-ms integration
 * grid, the 250-ms controller tick, meter samples (k·period), meter deliveries (sample + latency) and
 * battery polls (k·poll + phase). Between two consecutive event times the load is constant (it only changes on
 * whole seconds, or at the step of the settle test, all on the 100-ms grid), PV is linear and each battery's
 * AC power is taken as linear between its values at both ends, so G is linear on the segment and import and
 * export integrate max(G, 0) and max(−G, 0) exactly for a linear G (trapezoid, split at the zero crossing).
 * The same rule is applied to every contender, the oracle and "no battery" included.
 *
 * At an event time t, in this order: the plants are advanced to t; a meter sample due at t takes G(t)
 * (load right after any change at t, batteries as they are at t); deliveries due at t, a poll due at t and a
 * tick due at t are merged into ONE step(inputs, now) call; the commands go to the plants at t
 * (`release` = 0 W). The oracle instead re-sets its plants at every event time to
 * clamp(load − PV − target, −Σ charge, +Σ discharge) of the units that are not full / not empty, split equally
 * with water-filling, on plants without latency or ramp limit (they reach the value within 1 µs).
 * G is recorded on the 100-ms grid after the events (the value that holds for the next segment).
 */
import type { ZeroExportInputs, ZeroExportLike, UnitObservation } from '../../lib/control/zero-export/types';
import { makePlants, reading, splitSigned, unitIds, type PlantSettings } from './plant';
import { loadAt, pvAt, type Profile } from './scenario';

export type Contender = { kind: 'controller'; create: (ids: string[]) => ZeroExportLike } | { kind: 'oracle' } | { kind: 'none' };

export const GRID_MS = 100;
export const TICK_MS = 250;

export interface RunResult {
  importWh: number;
  exportWh: number;
  /** Commands sent to all units (controllers only; 0 for "none"; the oracle re-sets its plants at every event and is not counted). */
  commands: number;
  /** G (W) on the 100-ms grid, length durationMs/100 + 1. */
  grid: Float32Array;
  /** SoC at the end, % per unit. */
  finalSocPct: number[];
}

export function runClosedLoop(profile: Profile, s: PlantSettings, contender: Contender, targetW = 0): RunResult {
  const D = profile.durationMs;
  const t0 = profile.startMs;
  const ids = unitIds(s.batteries);
  const oracle = contender.kind === 'oracle';
  const none = contender.kind === 'none';
  const plants = none ? [] : makePlants(s, oracle);
  const n = plants.length;
  const ctl = contender.kind === 'controller' ? contender.create(ids) : null;
  const index = new Map(ids.map((id, i) => [id, i] as const));
  const setpoints: Array<number | null> = ids.map(() => null);
  const maxCharge = ids.map(() => s.maxChargeW);
  const maxDischarge = ids.map(() => s.maxDischargeW);
  const canCharge = ids.map(() => true);
  const canDischarge = ids.map(() => true);

  const period = s.meterPeriodMs;
  const latency = s.meterLatencyMs;
  const poll = s.batteryPollMs;
  const grid = new Float32Array(Math.floor(D / GRID_MS) + 1);
  // Meter samples in flight: [deliverAt, timestamp, power] triples.
  const flight: number[] = [];
  let head = 0;

  let nextGrid = 0;
  let nextTick = 0;
  let nextSample = 0;
  let nextPoll = poll > 0 ? s.batteryPhaseMs % poll : 0;
  let prevT = 0;
  let batA = 0; // Σ battery power right after the events at prevT
  let imp = 0; // W·s
  let exp = 0;
  let commands = 0;

  for (;;) {
    let t = nextGrid;
    if (nextTick < t) t = nextTick;
    if (nextSample < t) t = nextSample;
    if (nextPoll < t) t = nextPoll;
    if (head < flight.length && flight[head] < t) t = flight[head];
    if (t > D) break;

    let batB = 0;
    for (let i = 0; i < n; i++) batB += plants[i].advance(t);
    if (t > prevT) {
      const L = loadAt(profile, prevT);
      const gA = L - pvAt(profile, prevT) - batA;
      const gB = L - pvAt(profile, t) - batB;
      const dt = (t - prevT) / 1000;
      if (gA >= 0 && gB >= 0) imp += ((gA + gB) / 2) * dt;
      else if (gA <= 0 && gB <= 0) exp -= ((gA + gB) / 2) * dt;
      else {
        const f = gA / (gA - gB); // fraction of the segment before the zero crossing
        if (gA > 0) {
          imp += (gA * f * dt) / 2;
          exp -= (gB * (1 - f) * dt) / 2;
        } else {
          exp -= (gA * f * dt) / 2;
          imp += (gB * (1 - f) * dt) / 2;
        }
      }
    }
    const lNow = loadAt(profile, t);
    const pvNow = pvAt(profile, t);
    if (t === nextSample) {
      flight.push(t + latency, t0 + t, lNow - pvNow - batB);
      nextSample += period;
    }

    if (ctl) {
      let inputs: ZeroExportInputs | null = null;
      while (head < flight.length && flight[head] === t) {
        inputs ??= {};
        inputs.meter = { power: flight[head + 2], timestamp: flight[head + 1] };
        head += 3;
      }
      if (t === nextPoll) {
        const units: Record<string, UnitObservation> = {};
        for (let i = 0; i < n; i++) units[ids[i]] = reading(plants[i], s, setpoints[i], t0 + t);
        inputs ??= {};
        inputs.units = units;
      }
      if (t === nextTick) inputs ??= {};
      if (inputs) {
        const res = ctl.step(inputs, t0 + t);
        for (const c of res.commands) {
          const i = index.get(c.unit);
          if (i === undefined) continue;
          const w = c.release ? 0 : c.power;
          plants[i].command(w, t);
          setpoints[i] = c.release ? null : w;
          commands++;
        }
      }
    } else {
      while (head < flight.length && flight[head] === t) head += 3;
      if (oracle) {
        for (let i = 0; i < n; i++) {
          canCharge[i] = !plants[i].full;
          canDischarge[i] = !plants[i].empty;
        }
        const shares = splitSigned(lNow - pvNow - targetW, maxCharge, maxDischarge, canCharge, canDischarge);
        for (let i = 0; i < n; i++) {
          plants[i].command(shares[i], t);
          plants[i].advance(t + 0.001);
        }
      }
    }
    if (t === nextPoll) nextPoll += poll;
    if (t === nextTick) nextTick += TICK_MS;

    batA = 0;
    for (let i = 0; i < n; i++) batA += plants[i].powerW;
    if (t === nextGrid) {
      grid[t / GRID_MS] = lNow - pvNow - batA;
      nextGrid += GRID_MS;
    }
    prevT = t;
  }
  return {
    importWh: imp / 3600,
    exportWh: exp / 3600,
    commands,
    grid,
    finalSocPct: plants.map((p) => p.socPct),
  };
}
