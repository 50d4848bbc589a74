/**
 * `home-energy bench zero-export`: closed-loop benchmark of zero-export controllers in virtual time on
 * recorded household data (issue 5).
 *
 *   home-energy bench zero-export --load FILE[:COLUMN] --pv FILE[:COLUMN] [--from DATE] [--days N]
 *     [--batteries N] [--meter-period S] [--seed N] --json
 *
 * Contenders, all in the same run on the same household and plant: `ours` (ZeroExportController with only
 * the units given: what a user gets), `oracle` (zero latency, perfect knowledge, same battery limits,
 * efficiency and SoC window), `noBattery`, `openems` (OpenEMS balancing + PID filter), `pd` (the Marstek Venus
 * Energy Manager PD loop) and `naive` (proportional, no filtering). See baselines.ts for the sources.
 *
 * Scores per scenario and controller: gridImportWh, gridExportWh, regretPct, settleS (separate step test),
 * crossingsPerHour (steady state only), commandsPerHour. See metrics.ts, engine.ts, scenario.ts.
 *
 * --json prints ONE object {scenario, results}; otherwise the matrix {1, 3} batteries × {1, 10} s meters ×
 * {1, 5} s battery polls (for what --batteries / --meter-period / --battery-poll leave open) is run, report.md, results.json and SVG plots are
 * written to --out (default bench-results/zero-export) and the table is printed.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { BenchDefinition, BenchRunOptions } from '../index';
import { BenchUsageError as UsageError, str, type BenchArgs as Args } from '../options';
import { ZeroExportController } from '../../lib/control/zero-export/controller';
import { utcOffsetMs } from '../../lib/sim/household';
import { MarstekPd, NaiveLoop, OpenEmsBalancing, type BaselineUnit } from './baselines';
import { GRID_MS, runClosedLoop, type Contender, type RunResult } from './engine';
import { busiestWindow, countCrossings, regretPct, settleTime, steadyMask } from './metrics';
import { DEFAULT_PLANT, type PlantSettings } from './plant';
import { COLORS, CONTENDERS, lineChart, scenarioTag, tableLines, type ContenderKey, type Series } from './report';
import { buildScenario, netLoadPerSecond, STEP, stepProfile, TIME_ZONE, type Profile, type ScenarioData, type ScenarioOptions } from './scenario';

export interface ControllerScores {
  gridImportWh: number;
  gridExportWh: number;
  regretPct: number | null;
  settleS: number | null;
  crossingsPerHour: number | null;
  commandsPerHour: number | null;
}

export interface ScenarioJson extends Omit<ScenarioData, 'startMs'> {
  benchmark: 'zero-export';
  hours: number;
  targetW: number;
  plant: {
    batteries: number;
    meterPeriodS: number;
    meterLatencyS: number;
    batteryLatencyS: number;
    rampWPerS: number;
    batteryPollS: number;
    batteryPhaseS: number;
    initialSocPct: number;
    capacityWh: number;
    maxChargeW: number;
    maxDischargeW: number;
    minSocPct: number;
    maxSocPct: number;
    efficiency: string;
  };
  stepTest: typeof STEP & { description: string };
  integration: string;
  metrics: Record<string, string>;
  contenders: Record<ContenderKey, string>;
  /** SoC at the end of the day run, % per unit. */
  finalSocPct: Record<ContenderKey, number[]>;
}

export interface ScenarioResult {
  scenario: ScenarioJson;
  results: Record<ContenderKey, ControllerScores>;
}

export interface MatrixReport {
  scenarios: ScenarioResult[];
  outDir: string;
  files: string[];
  /** Wall time of each scenario (not in the JSON output: it is not deterministic). */
  timing: Array<{ scenario: string; seconds: number }>;
}

export interface ZeroExportOptions extends ScenarioOptions {
  batteries: number[];
  meterPeriodsS: number[];
  meterLatencyS: number;
  batteryLatencyS: number;
  rampWPerS: number;
  batteryPollsS: number[];
  batteryPhaseS: number;
  socPct: number;
  targetW?: number;
}

const CONTENDER_TEXT: Record<ContenderKey, string> = {
  ours: 'ZeroExportController (lib/control/zero-export) constructed with only { units: [{ id: "b1" }, …] } and default parameters',
  oracle:
    'perfect knowledge, zero latency, unlimited ramp: at every event time total = clamp(load − PV − target, −Σ charge, +Σ discharge) of the units not full / not empty, equal split with water-filling, on plants with the same limits, efficiency and SoC window',
  noBattery: 'no battery: G = load − PV',
  openems:
    'OpenEMS Controller.Symmetric.Balancing (required = grid + ESS − target, 1 s cycle) through the ESS-core PidFilter (P 0.3, I 0.3, D 0.1, error sum clamped to 10 × the power limit); OpenEMS/openems PidFilter.java @39e12f89, ControllerEssBalancingImpl.java @13584718, ManagedSymmetricEss.java @498e3b1c',
  pd: 'Marstek Venus Energy Manager (HA) PD loop: Kp 0.35, Kd 0.3, 40 W deadband, 800 W per 2-s cycle slew (scaled by elapsed time), 60 W direction hysteresis, event-driven ≤ 1 cycle/s plus 2-s timer, grid EMA τ 2 s; ffunes/Marstek-Venus-Energy-Manager const/integration_const.py @4c7ed6cb and __init__.py',
  naive: 'on each meter sample: total = measured battery total + (G − target), no filtering',
};

const METRICS_TEXT: Record<string, string> = {
  gridImportWh: '∫ max(G, 0) dt over the run, Wh; G = load − PV − Σ battery AC power',
  gridExportWh: '∫ max(−G, 0) dt, Wh',
  regretPct: "100 × (import+export − oracle's) / (no battery's − oracle's); 0 = oracle, 100 = no battery; null when the denominator < 1 Wh",
  settleS: `separate step test (${STEP.baseW} W, no PV, SoC as set, +${STEP.stepW} W at ${STEP.atMs / 1000} s): start of the first ${STEP.holdS}-s window with |G| ≤ ${STEP.bandW} W throughout, minus the step time; null if none starts within ${STEP.maxS} s`,
  crossingsPerHour:
    'sign changes of G beyond ±25 W (hysteresis: > +25 to < −25 or back), counted on the 100-ms grid only in steady state (oracle |G| ≤ 25 W and net load moved < 50 W over the previous 20 s; hysteresis state reset outside), per simulated hour',
  commandsPerHour: 'setpoint commands to all units per simulated hour (null for the oracle, which re-sets its plants at every event)',
};

const HARNESS_NOTES = [
  'Battery readings are taken at k·poll and meter samples at k·period from the same start, so with the defaults a meter sample and the battery readings describe the same instant; this favours controllers that add the measured battery power to the grid reading (naive, OpenEMS, and ours if it does).',
  'Baselines send a unit a setpoint only when its rounded value changes by ≥ 1 W; the real integrations may write every cycle, so their commands/h are a lower bound.',
  'The oracle is not a controller: it re-sets its plants at every event (commands/h null) and is the reference for regret and for the steady-state mask.',
  'Appliance events are added on top of the recorded minute values (see the scenario), so the load is higher than the recording by the stated energy.',
  'When the battery is empty or full for most of a run, every contender meets the oracle there and the regret is decided in the remaining hours; the final SoC shows how much of the run was saturated.',
];

const INTEGRATION_TEXT =
  'event-driven on integer ms: 100-ms grid, 250-ms ticks, meter samples/deliveries, battery polls; load constant between events, PV and battery power linear, import/export integrated exactly for the linear G (trapezoid split at the zero crossing); one rule for every contender';

function contender(key: ContenderKey, s: PlantSettings, targetW: number): Contender {
  const units = (ids: string[]): BaselineUnit[] => ids.map((id) => ({ id, maxChargeW: s.maxChargeW, maxDischargeW: s.maxDischargeW }));
  switch (key) {
    case 'ours':
      return { kind: 'controller', create: (ids) => new ZeroExportController({ units: ids.map((id) => ({ id })) }) };
    case 'oracle':
      return { kind: 'oracle' };
    case 'noBattery':
      return { kind: 'none' };
    case 'openems':
      return { kind: 'controller', create: (ids) => new OpenEmsBalancing(units(ids), targetW) };
    case 'pd':
      return { kind: 'controller', create: (ids) => new MarstekPd(units(ids), targetW) };
    case 'naive':
      return { kind: 'controller', create: (ids) => new NaiveLoop(units(ids), targetW) };
  }
}

const round = (x: number, d: number): number => {
  const k = 10 ** d;
  const r = Math.round(x * k) / k;
  return Object.is(r, -0) ? 0 : r;
};
const roundOrNull = (x: number | null, d: number): number | null => (x === null ? null : round(x, d));

interface ScenarioRun {
  result: ScenarioResult;
  /** Plot data (kept only when plots are written): G per second in the busiest window, and the step-test traces (100 ms). */
  day: Record<ContenderKey, Float32Array>;
  dayStartS: number;
  dayWindowS: number;
  step: Record<ContenderKey, Float32Array>;
  profile: Profile;
  netLoad: Float64Array;
}

/** Length of the plotted window, s. */
const DAY_WINDOW_S = 45 * 60;

function plantSettings(o: ZeroExportOptions, batteries: number, meterPeriodS: number, batteryPollS: number): PlantSettings {
  return {
    ...DEFAULT_PLANT,
    batteries,
    meterPeriodMs: Math.round(meterPeriodS * 1000),
    meterLatencyMs: Math.round(o.meterLatencyS * 1000),
    batteryLatencyMs: Math.round(o.batteryLatencyS * 1000),
    rampWPerS: o.rampWPerS,
    batteryPollMs: Math.round(batteryPollS * 1000),
    batteryPhaseMs: Math.round(o.batteryPhaseS * 1000),
    socPct: o.socPct,
  };
}

/** Runs one scenario (one battery count, one meter period) for every contender. */
function runScenario(profile: Profile, data: ScenarioData, s: PlantSettings, targetW: number, keepTraces: boolean): ScenarioRun {
  const stepP = stepProfile(profile.startMs);
  const netLoad = netLoadPerSecond(profile);
  const perSecond = 1000 / GRID_MS;
  const hours = profile.durationMs / 3_600_000;
  const stepIndex = STEP.atMs / GRID_MS;
  // The oracle first: its trace defines the steady state and the plotted window.
  const oracle = runClosedLoop(profile, s, contender('oracle', s, targetW), targetW);
  const steady = steadyMask(oracle.grid, netLoad, perSecond);
  const dayWindowS = Math.min(DAY_WINDOW_S, netLoad.length);
  let dayStartS = 0;
  if (keepTraces) {
    // Seconds where the oracle is not saturated: there the controllers differ.
    const usable = new Uint8Array(netLoad.length);
    for (let x = 0; x < usable.length; x++) usable[x] = Math.abs(oracle.grid[x * perSecond]) <= 25 ? 1 : 0;
    dayStartS = busiestWindow(netLoad, dayWindowS, usable);
  }
  const runs = {} as Record<ContenderKey, Omit<RunResult, 'grid'> & { crossings: number }>;
  const settle = {} as Record<ContenderKey, number | null>;
  const day = {} as Record<ContenderKey, Float32Array>;
  const step = {} as Record<ContenderKey, Float32Array>;
  for (const k of CONTENDERS) {
    const r = k === 'oracle' ? oracle : runClosedLoop(profile, s, contender(k, s, targetW), targetW);
    const st = runClosedLoop(stepP, s, contender(k, s, targetW), targetW);
    runs[k] = { importWh: r.importWh, exportWh: r.exportWh, commands: r.commands, finalSocPct: r.finalSocPct, crossings: countCrossings(r.grid, steady, 25) };
    settle[k] = settleTime(st.grid, GRID_MS, stepIndex, STEP.bandW, STEP.holdS, STEP.maxS);
    if (keepTraces) {
      const w = new Float32Array(dayWindowS);
      for (let x = 0; x < dayWindowS; x++) w[x] = r.grid[Math.min(r.grid.length - 1, (dayStartS + x) * perSecond)];
      day[k] = w;
      step[k] = st.grid;
    }
  }
  const total = (r: { importWh: number; exportWh: number }): number => r.importWh + r.exportWh;
  const results = {} as Record<ContenderKey, ControllerScores>;
  for (const k of CONTENDERS) {
    const r = runs[k];
    results[k] = {
      gridImportWh: round(r.importWh, 1),
      gridExportWh: round(r.exportWh, 1),
      regretPct: roundOrNull(regretPct(total(r), total(runs.oracle), total(runs.noBattery)), 2),
      settleS: roundOrNull(settle[k], 1),
      crossingsPerHour: round(r.crossings / hours, 2),
      commandsPerHour: k === 'oracle' ? null : round(r.commands / hours, 1),
    };
  }
  const { startMs: _omit, ...rest } = data;
  void _omit;
  const scenario: ScenarioJson = {
    benchmark: 'zero-export',
    ...rest,
    hours: round(hours, 4),
    targetW,
    plant: {
      batteries: s.batteries,
      meterPeriodS: s.meterPeriodMs / 1000,
      meterLatencyS: s.meterLatencyMs / 1000,
      batteryLatencyS: s.batteryLatencyMs / 1000,
      rampWPerS: s.rampWPerS,
      batteryPollS: s.batteryPollMs / 1000,
      batteryPhaseS: s.batteryPhaseMs / 1000,
      initialSocPct: s.socPct,
      capacityWh: s.capacityWh,
      maxChargeW: s.maxChargeW,
      maxDischargeW: s.maxDischargeW,
      minSocPct: s.minSocPct,
      maxSocPct: s.maxSocPct,
      efficiency: 'BatteryPlant default (lib/sim/battery.ts): loss P0 + k·P² per direction, peak 94.5 % at 800 W',
    },
    stepTest: {
      ...STEP,
      description: `constant ${STEP.baseW} W, no PV, initial SoC as set, +${STEP.stepW} W at ${STEP.atMs / 1000} s, same meter and battery settings; run ${stepP.durationMs / 1000} s`,
    },
    integration: INTEGRATION_TEXT,
    metrics: METRICS_TEXT,
    contenders: CONTENDER_TEXT,
    finalSocPct: Object.fromEntries(CONTENDERS.map((k) => [k, runs[k].finalSocPct.map((x) => round(x, 2))])) as Record<ContenderKey, number[]>,
  };
  return { result: { scenario, results }, day, dayStartS, dayWindowS, step, profile, netLoad };
}

/** Runs every (batteries × meter period × battery poll) scenario; returns the runs (traces included). */
function runAll(o: ZeroExportOptions, onScenario?: (r: ScenarioRun, seconds: number) => void): ScenarioResult[] {
  const keepTraces = onScenario !== undefined;
  const { profile, data } = buildScenario(o);
  const out: ScenarioResult[] = [];
  for (const b of o.batteries) {
    for (const p of o.meterPeriodsS) {
      for (const poll of o.batteryPollsS) {
        const t = Date.now();
        const run = runScenario(profile, data, plantSettings(o, b, p, poll), o.targetW ?? 0, keepTraces);
        out.push(run.result);
        onScenario?.(run, (Date.now() - t) / 1000);
      }
    }
  }
  return out;
}

/** One scenario, JSON form: `{scenario, results}` (what --json prints). Deterministic for the same options. */
export function benchZeroExport(o: ZeroExportOptions): ScenarioResult {
  return runAll({ ...o, batteries: o.batteries.slice(0, 1), meterPeriodsS: o.meterPeriodsS.slice(0, 1), batteryPollsS: o.batteryPollsS.slice(0, 1) })[0];
}

// ---------------------------------------------------------------------------------------------
// Plots and report files

function stepChart(run: ScenarioRun): string {
  const r = run.result;
  const from = Math.round((STEP.atMs - 5000) / GRID_MS);
  const to = Math.round((STEP.atMs + 60_000) / GRID_MS);
  const series: Series[] = CONTENDERS.map((k) => {
    const g = run.step[k];
    const pts: Array<[number, number]> = [];
    for (let i = from; i <= to && i < g.length; i++) pts.push([(i * GRID_MS - STEP.atMs) / 1000, g[i]]);
    return { name: `${k}${r.results[k].settleS === null ? '' : ` (${r.results[k].settleS} s)`}`, color: COLORS[k], points: pts, width: k === 'ours' ? 2 : 1.2 };
  });
  const p = r.scenario.plant;
  return lineChart({
    title: `Step test: +${STEP.stepW} W at t = 0 (${p.batteries} battery unit${p.batteries > 1 ? 's' : ''}, ${p.meterPeriodS} s meter, battery readings every ${p.batteryPollS} s) — grid power`,
    xLabel: 's after the step',
    yLabel: 'grid power W (+ import)',
    series,
    hlines: [
      { y: STEP.bandW, color: '#2ca02c', dash: '3 3' },
      { y: -STEP.bandW, color: '#2ca02c', dash: '3 3' },
    ],
    yMin: -600,
    yMax: 1400,
  });
}

function dayChart(run: ScenarioRun): string {
  const r = run.result;
  const start = run.dayStartS;
  const windowS = run.dayWindowS;
  const startMs = run.profile.startMs;
  const series: Series[] = [];
  const pts = (g: ArrayLike<number>, offset: number): Array<[number, number]> => {
    const out: Array<[number, number]> = [];
    for (let x = 0; x < windowS && x + offset < g.length; x++) out.push([start + x, g[x + offset]]);
    return out;
  };
  series.push({ name: 'net load = noBattery', color: COLORS.netLoad, points: pts(run.netLoad, start), width: 3 });
  for (const k of CONTENDERS) {
    if (k === 'noBattery') continue;
    series.push({ name: k, color: COLORS[k], points: pts(run.day[k], 0), width: k === 'ours' ? 1.6 : 1 });
  }
  const p = r.scenario.plant;
  const tick = (x: number): string => {
    const d = new Date(startMs + x * 1000 + localOffset(startMs + x * 1000));
    return d.toISOString().slice(11, 16);
  };
  return lineChart({
    title: `Busiest ${Math.round(windowS / 60)} min of the run where the oracle is not saturated (${p.batteries} unit${p.batteries > 1 ? 's' : ''}, ${p.meterPeriodS} s meter, ${p.batteryPollS} s battery readings) — grid power, 1-s samples`,
    xLabel: `local time (${TIME_ZONE})`,
    yLabel: 'W (+ import)',
    series,
    hlines: [
      { y: 25, color: '#2ca02c', dash: '3 3' },
      { y: -25, color: '#2ca02c', dash: '3 3' },
    ],
    xTick: tick,
    width: 1100,
    height: 460,
  });
}

const localOffset = (t: number): number => utcOffsetMs(t, TIME_ZONE);

function reportMarkdown(results: ScenarioResult[], files: string[], timing: MatrixReport['timing']): string[] {
  const s = results[0].scenario;
  const lines: string[] = [];
  lines.push('# Zero-export benchmark');
  lines.push('');
  lines.push('Closed loop in virtual time on recorded household data: our controller against the oracle, two published baselines, a naive loop and no battery, in one run on the same household and plant.');
  lines.push('');
  lines.push('## Scenario');
  lines.push('');
  lines.push(`- Run: ${s.start} → ${s.end} local time (${s.timeZone}), ${s.hours} h.`);
  lines.push(`- Load: \`${s.load.file}\` column \`${s.load.column}\` (${s.load.resolutionS} s, ${s.load.first} … ${s.load.last}); ${s.load.replay}. Mean recorded load ${s.means.recordedLoadW} W.`);
  lines.push(`- PV: \`${s.pv.file}\` column \`${s.pv.column}\` (${s.pv.resolutionS} s, ${s.pv.first} … ${s.pv.last}) × ${s.pv.scale}; ${s.pv.replay}. Mean PV ${s.means.pvW} W.`);
  lines.push(`- Alignment: ${s.alignment}`);
  lines.push(`- Dates replayed (simulated → load / PV): ${s.dates.map((d) => `${d.date} → ${d.load} / ${d.pv}`).join('; ')}.`);
  lines.push(
    `- Appliance events (seed ${s.appliances.seed}, superimposed on the minute values; they add ${s.appliances.addedWh.total} Wh, mean load with events ${s.means.loadW} W; starts: ${Object.entries(s.appliances.starts)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}):`,
  );
  for (const r of s.appliances.rule) lines.push(`  - ${r}`);
  const p = s.plant;
  lines.push(
    `- Plant per battery unit: BatteryPlant, ${p.capacityWh} Wh, charge ≤ ${p.maxChargeW} W, discharge ≤ ${p.maxDischargeW} W, SoC window ${p.minSocPct}–${p.maxSocPct} %, initial ${p.initialSocPct} %, command latency ${p.batteryLatencyS} s, ramp ${p.rampWPerS} W/s; ${p.efficiency}. Readings every ${p.batteryPollS} s, ${p.batteryPhaseS} s after the meter samples (nothing synchronises a battery poll with the meter's telegrams).`,
  );
  lines.push(`- Meter: instantaneous G sampled every meter period, delivered ${p.meterLatencyS} s later. Target ${s.targetW} W. Controllers stepped on every meter delivery, every battery reading and every 250 ms (inputs due at the same instant are merged into one step).`);
  lines.push(`- Integration: ${s.integration}.`);
  lines.push(`- Step test: ${s.stepTest.description}.`);
  lines.push('');
  lines.push('## Results');
  lines.push('');
  lines.push(...tableLines(results));
  lines.push('');
  lines.push('SoC at the end of the run (%, per unit): ' + results.map((r) => `${scenarioTag(r)}: ${CONTENDERS.filter((k) => k !== 'noBattery').map((k) => `${k} ${r.scenario.finalSocPct[k].join('/')}`).join(', ')}`).join('; ') + '.');
  lines.push('');
  lines.push('## Notes on the harness');
  lines.push('');
  for (const n of HARNESS_NOTES) lines.push(`- ${n}`);
  lines.push('');
  lines.push('## Metrics');
  lines.push('');
  for (const [k, v] of Object.entries(s.metrics)) lines.push(`- **${k}**: ${v}`);
  lines.push('');
  lines.push('## Contenders');
  lines.push('');
  for (const [k, v] of Object.entries(s.contenders)) lines.push(`- **${k}**: ${v}`);
  lines.push('');
  lines.push('## Plots');
  lines.push('');
  for (const f of files.filter((x) => x.endsWith('.svg'))) lines.push(`![${f}](${f})`);
  lines.push('');
  lines.push('## Run');
  lines.push('');
  for (const t of timing) lines.push(`- ${t.scenario}: ${t.seconds.toFixed(1)} s wall time for 6 contenders (day run + step test each) on this machine.`);
  lines.push('');
  return lines;
}

/** Writes the two plots of one scenario; returns their file names. */
function writePlots(run: ScenarioRun, outDir: string): string[] {
  fs.mkdirSync(outDir, { recursive: true });
  const tag = scenarioTag(run.result);
  fs.writeFileSync(path.join(outDir, `step-${tag}.svg`), stepChart(run));
  fs.writeFileSync(path.join(outDir, `day-${tag}.svg`), dayChart(run));
  return [`step-${tag}.svg`, `day-${tag}.svg`];
}

/** Writes report.md and results.json; returns every file name, report.md first. */
function writeReport(results: ScenarioResult[], plots: string[], outDir: string, timing: MatrixReport['timing']): string[] {
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(path.join(outDir, 'results.json'), JSON.stringify(results, null, 2) + '\n');
  const files = [...plots, 'results.json'];
  fs.writeFileSync(path.join(outDir, 'report.md'), reportMarkdown(results, files, timing).join('\n'));
  return ['report.md', ...files];
}

// ---------------------------------------------------------------------------------------------
// CLI

const VALUE_OPTIONS = ['load', 'pv', 'from', 'days', 'hours', 'batteries', 'meter-period', 'meter-latency', 'battery-latency', 'battery-poll', 'battery-phase', 'ramp', 'pv-scale', 'soc', 'seed', 'out'];

function num(a: Args, key: string, def: number, check: (x: number) => boolean, what: string): number {
  const s = str(a, key);
  if (s === undefined) return def;
  const x = Number(s);
  if (s.trim() === '' || !Number.isFinite(x) || !check(x)) throw new UsageError(`--${key} must be ${what}, got ${JSON.stringify(s)}`);
  return x;
}

/** Reads the bench options; usage errors name the option. */
export function optionsFromArgs(a: Args): { options: ZeroExportOptions; matrix: { batteries: boolean; meterPeriod: boolean; batteryPoll: boolean }; out: string } {
  const load = str(a, 'load');
  const pv = str(a, 'pv');
  if (load === undefined) throw new UsageError('bench zero-export needs --load FILE[:COLUMN] (household load, W)');
  if (pv === undefined) throw new UsageError('bench zero-export needs --pv FILE[:COLUMN] (PV production, W)');
  if (a._.length) throw new UsageError(`bench zero-export takes no positional arguments (got ${a._.join(' ')})`);
  const int = (x: number): boolean => Number.isInteger(x);
  const days = num(a, 'days', 1, (x) => int(x) && x >= 1 && x <= 366, 'a whole number of days ≥ 1');
  const hoursS = str(a, 'hours');
  const hours = hoursS === undefined ? undefined : num(a, 'hours', 0, (x) => x > 0 && x <= 24 * 366, 'a number of hours > 0');
  const batteries = num(a, 'batteries', 1, (x) => int(x) && x >= 1 && x <= 12, 'a whole number from 1 to 12');
  const meterPeriod = num(a, 'meter-period', 1, (x) => x >= 0.1 && x <= 600, 'a number of seconds from 0.1 to 600');
  const options: ZeroExportOptions = {
    load,
    pv,
    from: str(a, 'from'),
    days,
    hours,
    pvScale: num(a, 'pv-scale', 1, (x) => x >= 0 && x <= 100, 'a factor ≥ 0'),
    seed: num(a, 'seed', 1, (x) => int(x) && x >= 0 && x <= 0xffffffff, 'a whole number ≥ 0'),
    batteries: [batteries],
    meterPeriodsS: [meterPeriod],
    meterLatencyS: num(a, 'meter-latency', 0.5, (x) => x >= 0 && x <= 60, 'a number of seconds ≥ 0'),
    batteryLatencyS: num(a, 'battery-latency', 2, (x) => x >= 0 && x <= 60, 'a number of seconds ≥ 0'),
    rampWPerS: num(a, 'ramp', 1000, (x) => x > 0, 'a ramp rate in W/s > 0'),
    batteryPollsS: [num(a, 'battery-poll', 1, (x) => x >= 0.1 && x <= 600, 'a number of seconds from 0.1 to 600')],
    batteryPhaseS: num(a, 'battery-phase', 0.5, (x) => x >= 0 && x <= 600, 'a number of seconds ≥ 0'),
    socPct: num(a, 'soc', 50, (x) => x >= 0 && x <= 100, 'a SoC in % from 0 to 100'),
  };
  return {
    options,
    matrix: { batteries: str(a, 'batteries') === undefined, meterPeriod: str(a, 'meter-period') === undefined, batteryPoll: str(a, 'battery-poll') === undefined },
    out: str(a, 'out') ?? path.join('bench-results', 'zero-export'),
  };
}

type BenchResult = ScenarioResult | MatrixReport;

/**
 * The default matrix (each setting the command line leaves open): 1 and 3 units; a 1 s (DSMR 5) and a
 * 10 s (DSMR 4) meter; battery readings every 1 s and every 5 s (the sessy battery node's poll).
 */
export const MATRIX = { batteries: [1, 3], meterPeriodsS: [1, 10], batteryPollsS: [1, 5] };

async function run(o: BenchRunOptions): Promise<BenchResult> {
  const { options, matrix, out } = optionsFromArgs(o.args);
  if (o.json) return benchZeroExport(options);
  const full: ZeroExportOptions = {
    ...options,
    batteries: matrix.batteries ? MATRIX.batteries : options.batteries,
    meterPeriodsS: matrix.meterPeriod ? MATRIX.meterPeriodsS : options.meterPeriodsS,
    batteryPollsS: matrix.batteryPoll ? MATRIX.batteryPollsS : options.batteryPollsS,
  };
  const outDir = path.resolve(out);
  const timing: MatrixReport['timing'] = [];
  const plots: string[] = [];
  // Plots are written per scenario, so the traces of one scenario are dropped before the next one runs.
  const results = runAll(full, (r, seconds) => {
    timing.push({ scenario: scenarioTag(r.result), seconds });
    plots.push(...writePlots(r, outDir));
  });
  const files = writeReport(results, plots, outDir, timing);
  return { scenarios: results, outDir, files, timing };
}

function markdown(r: BenchResult): string[] {
  if (!('scenarios' in r)) return tableLines([r]);
  const s = r.scenarios[0].scenario;
  return [
    `zero-export: ${s.start} → ${s.end} (${s.timeZone}), load ${s.load.file}, PV ${s.pv.file} × ${s.pv.scale}, seed ${s.appliances.seed}`,
    '',
    ...tableLines(r.scenarios),
    '',
    `report, results.json and plots in ${r.outDir}: ${r.files.join(', ')}`,
    ...r.timing.map((t) => `${t.scenario}: ${t.seconds.toFixed(1)} s`),
  ];
}

/** Registration for `home-energy bench zero-export` (bench/index.ts). */
export const zeroExportBench: BenchDefinition<BenchResult> = {
  summary:
    'zero-export controllers in closed loop on recorded load/PV: ours vs oracle, OpenEMS balancing+PID, Marstek PD, naive, no battery (regret, settle, crossings, commands)',
  options:
    '--load FILE[:COLUMN] --pv FILE[:COLUMN] [--from YYYY-MM-DD[THH:MM]] [--days N | --hours H] [--batteries N] [--meter-period S] [--meter-latency S (0.5)] [--battery-latency S (2)] [--battery-poll S (1)] [--battery-phase S (0.5)] [--ramp W/S (1000)] [--pv-scale F (1)] [--soc PCT (50)] [--seed N (1)] [--out DIR (bench-results/zero-export)] [--json]',
  valueOptions: VALUE_OPTIONS,
  run,
  markdown,
};
