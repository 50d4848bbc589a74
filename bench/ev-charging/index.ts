/**
 * `home-energy bench ev-charging`: closed-loop benchmark of EV surplus-charging controllers in
 * virtual time on recorded data.
 *
 *   home-energy bench ev-charging [--pv FILE[:COL]] [--load FILE[:COL]] [--sessions FILE]
 *     [--from DATE] [--days N] [--mode solar-pure|solar-plus] [--phases auto|1|3] [--fuse A]
 *     [--pv-scale F] [--load-scale F] [--meter-period S] [--seed N] [--out DIR] [--json]
 *
 * Plant (the same for every contender): household load and PV replayed from the files (the
 * household model of lib/sim), a car (lib/sim/car.ts: ramp, taper, minimum current) plugged in per
 * session (arrival, departure and energy from a sessions file such as the Norwegian residential
 * charging reports; daytime sessions are placed on the PV days at their own time of day), a meter
 * every `--meter-period` s delivered 1 s late, charger commands applied 2 s late, a 30 s pause for
 * each phase switch, per-phase currents (load split 40/30/30 %, PV even) against `--fuse`.
 *
 * Contenders: ours (lib/control/ev-charging), an oracle (perfect knowledge of the surplus, zero
 * latency, starts and switches free, the same current, phase and fuse limits: the most PV energy
 * any controller could put in the car without import), evcc's PV mode, openWB and the KSEM as their
 * published algorithms describe them (baselines.ts).
 *
 * Scores: solarEnergyWh, gridEnergyWh, capturedPct (vs the oracle), startsPerHour (per plugged-in
 * hour), phaseSwitches, minSwitchIntervalS, fuseOverloadS (seconds any phase the car draws on was
 * above its fuse), unmetWh (energy wanted and not delivered by departure). Ratios in one run; the
 * benchmark measures, tests check.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EvChargingController } from '../../lib/control/ev-charging/controller';
import type { EvControllerLike, EvInputs, EvParams } from '../../lib/control/ev-charging/types';
import { Car } from '../../lib/sim/car';
import { Household } from '../../lib/sim/household';
import { localFields } from '../../lib/util/local-time';
import { mulberry32 } from '../../lib/util/random';
import { lineChart } from '../zero-export/report';
import type { BenchDefinition } from '../index';
import { BenchUsageError, numberOption, parseFileSpec, str, type BenchArgs } from '../options';
import { EvccPv, KsemSolarPure, OpenWb } from './baselines';

export const CONTENDERS = ['ours', 'oracle', 'evcc', 'openwb', 'ksem'] as const;
export type Contender = (typeof CONTENDERS)[number];

export interface EvBenchOptions {
  pv?: string;
  load?: string;
  sessions?: string;
  from?: string;
  days?: number;
  mode?: 'solar-pure' | 'solar-plus';
  phases?: 'auto' | '1' | '3';
  fuseA?: number;
  pvScale?: number;
  loadScale?: number;
  meterPeriodS?: number;
  seed?: number;
  out?: string;
  /** Our controller's parameters beyond the scenario's (for experiments and tests; not a CLI option). */
  ours?: EvParams;
}

export interface Session {
  plugIn: number;
  plugOut: number;
  needWh: number;
  source: string;
}

export interface Scores {
  solarEnergyWh: number;
  gridEnergyWh: number;
  capturedPct: number | null;
  startsPerHour: number;
  phaseSwitches: number;
  minSwitchIntervalS: number | null;
  fuseOverloadS: number;
  unmetWh: number;
}

export interface EvBenchResult {
  scenario: Record<string, unknown>;
  results: Record<Contender, Scores>;
}

const V = 230;
const LOAD_SPLIT = [0.4, 0.3, 0.3];
const METER_LATENCY_MS = 1000;
const CHARGER_LATENCY_MS = 2000;
const SWITCH_PAUSE_MS = 30_000;
/** A restart within the switch pause + this (the car's own ramp-up) completes the switch. */
const RESTART_GRACE_MS = 60_000;
const TZ = 'Europe/Amsterdam';
const SAMPLE = path.join(__dirname, '..', '..', 'lib', 'sim', 'data');



/** Daytime sessions from a charging-reports CSV (semicolon, decimal comma): plug-in 07–12 h, ≥ 4 h, ≥ 5 kWh. */
export function readSessions(file: string): Array<{ startMin: number; durationMin: number; needWh: number; id: string }> {
  const lines = fs.readFileSync(file, 'utf8').split(/\r?\n/).filter((l) => l.trim());
  const head = lines[0].split(';').map((h) => h.replace(/"/g, '').trim());
  const col = (names: string[]) => head.findIndex((h) => names.includes(h));
  const cIn = col(['plugin_time', 'Start_plugin']);
  const cDur = col(['connection_time', 'Duration_hours']);
  const cE = col(['energy_session', 'El_kWh']);
  const cId = col(['session_id', 'session_ID']);
  if (cIn < 0 || cDur < 0 || cE < 0) throw new Error(`${file}: needs plug-in time, connection time and energy columns (found ${head.join(', ')})`);
  const out: Array<{ startMin: number; durationMin: number; needWh: number; id: string }> = [];
  for (const l of lines.slice(1)) {
    const f = l.split(';').map((x) => x.replace(/"/g, '').trim());
    const m = /(\d{1,2}):(\d{2})/.exec(f[cIn] ?? '');
    if (!m) continue;
    const startMin = Number(m[1]) * 60 + Number(m[2]);
    const durationMin = Number((f[cDur] ?? '').replace(',', '.')) * 60;
    const needWh = Number((f[cE] ?? '').replace(',', '.')) * 1000;
    if (!(startMin >= 7 * 60 && startMin < 12 * 60 && durationMin >= 240 && needWh >= 5000)) continue;
    out.push({ startMin, durationMin, needWh, id: f[cId] ?? String(out.length) });
  }
  if (!out.length) throw new Error(`${file}: no daytime sessions (plug-in 07–12 h, ≥ 4 h, ≥ 5 kWh)`);
  return out;
}

interface Scenario {
  household: Household;
  sessions: Session[];
  fuseA: number;
  meterPeriodMs: number;
  describe: Record<string, unknown>;
}

function buildScenario(o: EvBenchOptions): Scenario {
  const pv = parseFileSpec(o.pv ?? path.join(SAMPLE, 'nrel_serf_east_pv_1min_2022-03-18_19.csv'));
  const load = parseFileSpec(o.load ?? path.join(SAMPLE, 'uci_sceaux_load_1min_2006-12-17_18.csv'));
  const household = new Household({ load: load.column ? { file: load.file, column: load.column } : load.file, pv: pv.column ? { file: pv.file, column: pv.column } : pv.file, pvScale: o.pvScale ?? 2, loadScale: o.loadScale ?? 1, timeZone: TZ });
  const first = household.pvSeries ? Math.floor(household.pvSeries.wall[0] / 86_400_000) * 86_400_000 : Date.UTC(2024, 5, 1);
  const fromMs = o.from ? Date.parse(`${o.from}T00:00:00Z`) : first;
  if (!Number.isFinite(fromMs)) throw new Error(`--from ${o.from}: not a date (YYYY-MM-DD)`);
  const days = o.days ?? 2;
  const dayStart = (d: number) => {
    // Local midnight of day d (Europe/Amsterdam), found from UTC midnight.
    const t = Date.UTC(new Date(fromMs).getUTCFullYear(), new Date(fromMs).getUTCMonth(), new Date(fromMs).getUTCDate() + d);
    const f = localFields(t, TZ);
    return t - (f.hour * 60 + f.minute) * 60_000;
  };
  const rnd = mulberry32(o.seed ?? 1);
  const sessions: Session[] = [];
  if (o.sessions) {
    const pool = readSessions(o.sessions);
    for (let d = 0; d < days; d++) {
      const s = pool[Math.floor(rnd() * pool.length)];
      const plugIn = dayStart(d) + s.startMin * 60_000;
      const plugOut = Math.min(plugIn + s.durationMin * 60_000, dayStart(d) + 21 * 3_600_000);
      sessions.push({ plugIn, plugOut, needWh: Math.min(55_000, s.needWh), source: s.id });
    }
  } else {
    for (let d = 0; d < days; d++) sessions.push({ plugIn: dayStart(d) + 8 * 3_600_000, plugOut: dayStart(d) + 18 * 3_600_000, needWh: 30_000, source: 'default 08:00–18:00, 30 kWh' });
  }
  return {
    household,
    sessions,
    fuseA: o.fuseA ?? 25,
    meterPeriodMs: (o.meterPeriodS ?? 1) * 1000,
    describe: {
      benchmark: 'ev-charging',
      pv: pv.file,
      load: load.file,
      sessions: o.sessions ?? null,
      days,
      mode: o.mode ?? 'solar-pure',
      phases: o.phases ?? 'auto',
      fuseA: o.fuseA ?? 25,
      pvScale: o.pvScale ?? 2,
      loadScale: o.loadScale ?? 1,
      meterPeriodS: o.meterPeriodS ?? 1,
      seed: o.seed ?? 1,
      plant: { meterLatencyS: METER_LATENCY_MS / 1000, chargerLatencyS: CHARGER_LATENCY_MS / 1000, phaseSwitchPauseS: SWITCH_PAUSE_MS / 1000, car: 'lib/sim/car.ts 3-phase, 6–16 A, 60 kWh, ramp 2 A/s, taper above 90 %' },
      sessionList: sessions.map((s) => ({ plugIn: new Date(s.plugIn).toISOString(), plugOut: new Date(s.plugOut).toISOString(), needWh: Math.round(s.needWh), source: s.source })),
    },
  };
}

/**
 * Starts of one session: the car drawing again after drawing nothing. The restart that completes a
 * phase switch (within the switch pause + `RESTART_GRACE_MS`) is part of the switch; a car that
 * stays off after a switch (paused, restarted minutes later) has stopped and starts again.
 */
export class StartCounter {
  starts = 0;
  private prevW = 0;
  private switchAt: number | null = null;

  /** A phase switch that interrupted charging, at t (ms). */
  switched(t: number): void {
    this.switchAt = t;
  }

  /** The car's power at t (ms), W. */
  draw(t: number, w: number): void {
    if (w > 1 && this.prevW <= 1) {
      if (this.switchAt === null || t - this.switchAt > SWITCH_PAUSE_MS + RESTART_GRACE_MS) this.starts++;
      this.switchAt = null;
    }
    this.prevW = w;
  }
}

interface Trace {
  t: number[];
  surplus: number[];
  car: number[];
  phases: number[];
}

/** One contender through every session. The oracle has no controller: `ctrl` null. */
function simulate(sc: Scenario, make: (() => EvControllerLike) | null, trace?: Trace): Scores {
  let solar = 0;
  let grid = 0;
  let starts = 0;
  let switches = 0;
  let minGap: number | null = null;
  let overload = 0;
  let unmet = 0;
  let pluggedS = 0;
  for (const [si, s] of sc.sessions.entries()) {
    const ctrl = make ? make() : null;
    const car = new Car({ phases: 3, minCurrentA: 6, maxCurrentA: 16, capacityWh: 60_000, socAtPlugIn: 100 - (s.needWh / 60_000) * 100 - 5, targetSoc: 95, rampAps: 2 });
    car.plugIn(Math.max(0, 95 - (s.needWh / 60_000) * 100));
    let enabled = false;
    let currentA = 6;
    let phases: 1 | 3 = 3;
    let pauseUntil = -Infinity;
    let lastSwitch: number | null = null;
    const pending: Array<{ at: number; cmd: { enabled: boolean; currentA: number; phases?: 1 | 3 } }> = [];
    const meterQ: Array<{ at: number; sample: EvInputs['meter'] }> = [];
    const startCount = new StartCounter();
    let lastDrawAt = -Infinity;
    for (let t = s.plugIn; t < s.plugOut; t += 1000) {
      pluggedS++;
      const pvW = sc.household.pvW(t);
      const loadW = sc.household.loadW(t);
      const avail = Math.max(0, pvW - loadW);
      // House currents per phase (signed: + import), without the car.
      const houseA = LOAD_SPLIT.map((f) => (loadW * f - pvW / 3) / V);
      if (ctrl) {
        while (pending.length && pending[0].at <= t) {
          const c = pending.shift()!.cmd;
          if (c.phases && c.phases !== phases) {
            phases = c.phases;
            pauseUntil = t + SWITCH_PAUSE_MS;
            // A switch counts when it interrupts charging (the car drew power in the last minute);
            // choosing the phase count before a start does not.
            if (t - lastDrawAt <= 60_000) {
              switches++;
              if (lastSwitch !== null) minGap = Math.min(minGap ?? Infinity, (t - lastSwitch) / 1000);
              lastSwitch = t;
              startCount.switched(t);
            }
          }
          enabled = c.enabled;
          currentA = c.currentA;
        }
      } else {
        // Oracle: the best feasible power now, zero latency, phases free.
        const fuseRoom = (ph: number) => Math.min(...[0, 1, 2].slice(0, ph).map((k) => sc.fuseA - 1 - houseA[k]));
        const a3 = Math.min(16, avail / (3 * V), fuseRoom(3));
        const a1 = Math.min(16, avail / V, fuseRoom(1));
        if (a3 >= 6 && a3 * 3 >= a1) {
          phases = 3;
          currentA = a3;
          enabled = true;
        } else if (a1 >= 6) {
          phases = 1;
          currentA = a1;
          enabled = true;
        } else enabled = false;
      }
      const signalled = enabled && t >= pauseUntil ? Math.max(6, Math.min(16, currentA)) : 0;
      const draw = ctrl ? car.advance(t, signalled, phases) : instant(car, t, signalled, phases);
      const carW = draw.powerW;
      const solarW = Math.min(carW, avail);
      solar += solarW / 3600;
      grid += (carW - solarW) / 3600;
      startCount.draw(t, carW);
      if (carW > 1) lastDrawAt = t;
      for (let k = 0; k < 3; k++) if (draw.currents[k] > 0 && houseA[k] + draw.currents[k] > sc.fuseA) {
        overload++;
        break;
      }
      if (trace && si === 0) {
        trace.t.push(t);
        trace.surplus.push(avail);
        trace.car.push(carW);
        trace.phases.push(carW > 1 ? phases : 0);
      }
      if (!ctrl) continue;
      const gridW = loadW - pvW + carW;
      const carPh = draw.currents;
      if ((t - s.plugIn) % sc.meterPeriodMs === 0) meterQ.push({ at: t + METER_LATENCY_MS, sample: { power: gridW, currents: houseA.map((h, k) => Math.abs(h + carPh[k])), phasePower: houseA.map((h, k) => (h + carPh[k]) * V), timestamp: t } });
      const inputs: EvInputs = {
        charger: { state: carW > 1 ? 'charging' : enabled ? 'connected' : 'paused', power: carW, currents: [...carPh], activePhases: phases, maxCurrentA: 16, minCurrentA: 6, phaseOptions: [1, 3], timestamp: t },
      };
      while (meterQ.length && meterQ[0].at <= t) inputs.meter = meterQ.shift()!.sample;
      const r = ctrl.step(inputs, t);
      if (r.command) pending.push({ at: t + CHARGER_LATENCY_MS, cmd: r.command });
    }
    unmet += Math.max(0, s.needWh - car.sessionWh);
    starts += startCount.starts;
  }
  return {
    solarEnergyWh: Math.round(solar),
    gridEnergyWh: Math.round(grid),
    capturedPct: null,
    startsPerHour: Math.round((starts / Math.max(1, pluggedS / 3600)) * 100) / 100,
    phaseSwitches: switches,
    minSwitchIntervalS: minGap === null ? null : Math.round(minGap),
    fuseOverloadS: overload,
    unmetWh: Math.round(unmet),
  };
}

/** The oracle's car follows at once (no ramp): the best any controller could do. */
function instant(car: Car, t: number, a: number, phases: 1 | 3) {
  car.advance(t, a, phases);
  const want = a >= car.o.minCurrentA ? Math.min(a, car.wantA()) : 0;
  car.currentA = car.plugged ? want : 0;
  return car.draw();
}

export function runEvBench(o: EvBenchOptions = {}): { result: EvBenchResult; trace: Record<string, Trace> } {
  const sc = buildScenario(o);
  const phaseUsage = o.phases === '1' ? 'single' : o.phases === '3' ? 'standard' : 'automatic';
  const params: EvParams = { mode: o.mode ?? 'solar-pure', phaseUsage, fuseA: [sc.fuseA, sc.fuseA, sc.fuseA], plusFloor: 'min' };
  const makers: Record<Contender, (() => EvControllerLike) | null> = {
    ours: () => new EvChargingController({ ...params, ...o.ours }),
    oracle: null,
    evcc: () => new EvccPv(),
    openwb: () => new OpenWb(),
    ksem: () => new KsemSolarPure(),
  };
  const results = {} as Record<Contender, Scores>;
  const trace: Record<string, Trace> = {};
  for (const k of CONTENDERS) {
    trace[k] = { t: [], surplus: [], car: [], phases: [] };
    results[k] = simulate(sc, makers[k], trace[k]);
  }
  const best = results.oracle.solarEnergyWh;
  for (const k of CONTENDERS) results[k].capturedPct = best > 0 ? Math.round((1000 * results[k].solarEnergyWh) / best) / 10 : null;
  return { result: { scenario: sc.describe, results }, trace };
}

export function markdown(r: EvBenchResult): string[] {
  const s = r.scenario;
  const lines = [
    `EV charging benchmark: ${s.days} day(s), ${s.mode}, phases ${s.phases}, fuse ${s.fuseA} A, PV ×${s.pvScale}, meter ${s.meterPeriodS} s`,
    '',
    '| controller | solar kWh | grid kWh | captured % | starts/h | phase switches | min switch gap s | fuse overload s | unmet kWh |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const k of CONTENDERS) {
    const c = r.results[k];
    lines.push(`| ${k} | ${(c.solarEnergyWh / 1000).toFixed(2)} | ${(c.gridEnergyWh / 1000).toFixed(2)} | ${c.capturedPct ?? '–'} | ${c.startsPerHour} | ${c.phaseSwitches} | ${c.minSwitchIntervalS ?? '–'} | ${c.fuseOverloadS} | ${(c.unmetWh / 1000).toFixed(2)} |`);
  }
  return lines;
}

/** SVG of the first session: surplus, car power of ours, the oracle and evcc, and our phase count. */
export function plot(trace: Record<string, Trace>): string {
  const t0 = trace.ours.t[0] ?? 0;
  const pts = (xs: number[], ys: number[], every = 30) => xs.filter((_, i) => i % every === 0).map((x, i) => [(x - t0) / 3_600_000, ys[i * every] / 1000] as [number, number]);
  return lineChart({
    title: 'EV charging, first session: PV surplus and car power',
    xLabel: 'hours after plug-in',
    yLabel: 'kW',
    series: [
      { name: 'PV surplus', color: '#bbbbbb', points: pts(trace.ours.t, trace.ours.surplus) },
      { name: 'oracle', color: '#2ca02c', points: pts(trace.oracle.t, trace.oracle.car) },
      { name: 'evcc', color: '#1f77b4', points: pts(trace.evcc.t, trace.evcc.car) },
      { name: 'ours', color: '#d62728', points: pts(trace.ours.t, trace.ours.car), width: 2 },
      { name: 'ours: phases (×1 kW)', color: '#9467bd', points: pts(trace.ours.t, trace.ours.phases.map((p) => p * 1000)), dash: '3,3' },
    ],
  });
}

/** Writes the JSON, the Markdown report and the SVG into `dir`; returns the paths. */
export function writeReport(dir: string, r: EvBenchResult, trace: Record<string, Trace>): string[] {
  fs.mkdirSync(dir, { recursive: true });
  const files = [path.join(dir, 'ev-charging.json'), path.join(dir, 'ev-charging.md'), path.join(dir, 'ev-charging.svg')];
  fs.writeFileSync(files[0], JSON.stringify(r, null, 2) + '\n');
  fs.writeFileSync(files[1], markdown(r).join('\n') + '\n');
  fs.writeFileSync(files[2], plot(trace));
  return files;
}

// ---------------------------------------------------------------------------------------------
// `home-energy bench ev-charging`
// ---------------------------------------------------------------------------------------------


const EV_VALUE_OPTIONS = ['pv', 'load', 'sessions', 'from', 'days', 'mode', 'phases', 'fuse', 'pv-scale', 'load-scale', 'meter-period', 'seed', 'out'];


/** Options from parsed CLI arguments; a bad value is a usage error. */
export function evOptions(a: BenchArgs): EvBenchOptions {
  const mode = str(a, 'mode');
  if (mode !== undefined && mode !== 'solar-pure' && mode !== 'solar-plus') throw new BenchUsageError(`--mode must be solar-pure or solar-plus, got ${JSON.stringify(mode)}`);
  const phases = str(a, 'phases');
  if (phases !== undefined && !['auto', '1', '3'].includes(phases)) throw new BenchUsageError(`--phases must be auto, 1 or 3, got ${JSON.stringify(phases)}`);
  const from = str(a, 'from');
  if (from !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(from)) throw new BenchUsageError(`--from must be a date YYYY-MM-DD, got ${JSON.stringify(from)}`);
  return {
    pv: str(a, 'pv'),
    load: str(a, 'load'),
    sessions: str(a, 'sessions'),
    from,
    days: numberOption(a, 'days', 1, 400),
    mode: mode as EvBenchOptions['mode'],
    phases: phases as EvBenchOptions['phases'],
    fuseA: numberOption(a, 'fuse', 6, 250),
    pvScale: numberOption(a, 'pv-scale', 0, 100),
    loadScale: numberOption(a, 'load-scale', 0, 100),
    meterPeriodS: numberOption(a, 'meter-period', 0.1, 60),
    seed: numberOption(a, 'seed', 0, 2 ** 31),
    out: str(a, 'out'),
  };
}

export const evChargingBench: BenchDefinition<EvBenchResult & { files?: string[] }> = {
  summary: 'EV surplus charging in closed loop on recorded PV/load and charging sessions: ours vs oracle, evcc PV, openWB, KSEM (solar energy, captured %, starts, phase switches, fuse overload)',
  options:
    '[--pv FILE[:COL]] [--load FILE[:COL]] [--sessions FILE] [--from DATE] [--days N (2)] [--mode solar-pure|solar-plus] [--phases auto|1|3] [--fuse A (25)] [--pv-scale F (2)] [--load-scale F (1)] [--meter-period S (1)] [--seed N (1)] [--out DIR (bench-results/ev-charging)] [--json]',
  valueOptions: EV_VALUE_OPTIONS,
  async run(opts) {
    const o = evOptions(opts.args);
    const { result, trace } = runEvBench(o);
    if (opts.json) return result;
    return { ...result, files: writeReport(o.out ?? path.join('bench-results', 'ev-charging'), result, trace) };
  },
  markdown: (r) => [...markdown(r), ...(r.files ? ['', `Written: ${r.files.join(', ')}`] : [])],
};
