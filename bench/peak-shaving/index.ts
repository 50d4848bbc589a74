/**
 * `home-energy bench peak-shaving`: closed-loop benchmark of peak-shaving controllers for the capacity
 * tariff (issue 14), in virtual time on recorded 1-min household data.
 *
 *   home-energy bench peak-shaving --load FILE[:COL] [--pv FILE[:COL]] [--from DATE] [--days N]
 *     [--capacity WH] [--desired-peak W] [--min-soc PCT] [--buffer PCT] [--rate EUR_PER_KW_YEAR]
 *     [--meter-period S] [--seed N] --json
 *
 * Plant (the same for every contender): the household's load (and PV, if given) replayed minute by
 * minute (held within the minute: the files are 1-min averages) in Europe/Brussels local time; a meter
 * sampled every `--meter-period` s (phase and ±10 W noise from `--seed`) and delivered 1 s late; a battery
 * (lib/sim/battery.ts: 2 s command latency, 1000 W/s ramp, −2200/+1700 W, the plant's conversion
 * losses, SoC window 5–100 %, starting at 50 %) that follows a grid band the way the zero-export node
 * does: at each meter reading it sets the battery power that keeps the grid inside [minW, maxW] and
 * spends no battery while the grid is inside; a band that has ended means the configured target, 0 W.
 *
 * Contenders: ours (PeakShavingController → band → battery), the oracle (oracle.ts: the lowest peak any
 * controller could reach with the same battery), the Jullix scheme and OpenEMS peak shaving on
 * instantaneous power (baselines.ts), balancing only (zero export) and no battery.
 *
 * Scores: monthPeakW (highest clock-aligned 15-min average import of any month of the run),
 * monthPeaks (per local month), peakRatio (the worst month's peak / the oracle's), billedPeakRatio (the same
 * with each month's peak billed at no less than 2.5 kW, as the capacity tariff does), capacityCostEur
 * (Σ over the months of max(2.5 kW, month peak) × rate / 12), selfConsumptionPct (PV used on site,
 * null without PV), gridImportWh, batteryThroughputWh (AC charged + discharged), quartersAboveLimit
 * (quarters whose average import exceeded the desired peak). The benchmark measures; tests check.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PeakShavingController, type PeakShavingParams } from '../../lib/control/peak-shaving/controller';
import { BatteryPlant } from '../../lib/sim/battery';
import { loadSeries, sampleDataDir, SAMPLE_LOAD_FILE, seriesValueAt, wallToUtcMs, type Series } from '../../lib/sim/household';
import { localFields } from '../../lib/util/local-time';
import type { BenchDefinition } from '../index';
import { BenchUsageError, numberOption, parseFileSpec, str, type BenchArgs } from '../options';
import { mulberry32 } from '../../lib/util/random';
import { lineChart } from '../zero-export/report';
import { BalancingOnly, JullixScheme, OpenEmsPeakShaving, type Band, type BandPolicy } from './baselines';
import { oracle } from './oracle';

export const CONTENDERS = ['ours', 'oracle', 'jullix', 'openems', 'balancing', 'noBattery'] as const;
export type Contender = (typeof CONTENDERS)[number];

export interface PeakBenchOptions {
  load?: string;
  pv?: string;
  from?: string;
  days?: number;
  capacity?: number;
  desiredPeak?: number;
  minSoc?: number;
  buffer?: number;
  rate?: number;
  meterPeriod?: number;
  seed?: number;
  /** Extra parameters for our controller (experiments; not a CLI option). */
  oursParams?: PeakShavingParams;
}

export interface PeakScores {
  monthPeakW: number;
  monthPeaks: Record<string, number>;
  peakRatio: number | null;
  billedPeakRatio: number | null;
  capacityCostEur: number;
  selfConsumptionPct: number | null;
  gridImportWh: number;
  batteryThroughputWh: number;
  quartersAboveLimit: number;
}

export interface PeakBenchResult {
  scenario: Record<string, unknown>;
  results: Record<Contender, PeakScores>;
}

/** Per contender: the quarter averages (W) and the SoC at each quarter's end (%); ours also its limit. */
export interface PeakTrace {
  quarterStart: number[];
  quarters: Record<Contender, number[]>;
  soc: Partial<Record<Contender, number[]>>;
  oursLimitW: number[];
  oracleLevelW: number;
}

const TZ = 'Europe/Brussels';
const Q_MS = 900_000;
const MIN_MS = 60_000;
const METER_LATENCY_MS = 1000;
const BILLING_FLOOR_W = 2500;
const PLANT = { maxChargeW: 2200, maxDischargeW: 1700, minSocPct: 5, maxSocPct: 100, socPct: 50, latencyMs: 2000, rampWPerS: 1000 };



interface Scenario {
  t0: number;
  minutes: number;
  netW: Float64Array;
  pvW: Float64Array;
  /** Local month of each quarter of the run. */
  quarterMonth: string[];
  capacityWh: number;
  desiredPeakW: number;
  minSocPct: number;
  bufferPct: number;
  rate: number;
  meterPeriodMs: number;
  seed: number;
  oursParams: PeakShavingParams;
  describe: Record<string, unknown>;
}

const firstUtc = (s: Series): number => (s.utcOffsetMs === null ? wallToUtcMs(s.wall[0], TZ) : s.wall[0] - s.utcOffsetMs);
const lastUtc = (s: Series): number => {
  const w = s.wall[s.wall.length - 1];
  return s.utcOffsetMs === null ? wallToUtcMs(w, TZ) : w - s.utcOffsetMs;
};

function buildScenario(o: PeakBenchOptions): Scenario {
  const loadSpec = parseFileSpec(o.load ?? path.join(sampleDataDir(), SAMPLE_LOAD_FILE));
  const load = loadSeries(loadSpec.file, loadSpec.column);
  const pvSpec = o.pv ? parseFileSpec(o.pv) : null;
  const pv = pvSpec ? loadSeries(pvSpec.file, pvSpec.column) : null;
  let t0: number;
  let t1: number;
  if (o.from) {
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(o.from);
    if (!m) throw new Error(`--from ${o.from}: not a date (YYYY-MM-DD)`);
    t0 = wallToUtcMs(Date.UTC(+m[1], +m[2] - 1, +m[3]), TZ);
  } else t0 = Math.ceil(firstUtc(load) / Q_MS) * Q_MS;
  if (o.days !== undefined) {
    if (!(o.days > 0)) throw new Error(`--days ${o.days}: must be > 0`);
    t1 = t0 + Math.round(o.days * 96) * Q_MS;
  } else t1 = Math.max(t0 + Q_MS, Math.floor((lastUtc(load) + MIN_MS) / Q_MS) * Q_MS);
  const minutes = Math.round((t1 - t0) / MIN_MS);
  const netW = new Float64Array(minutes);
  const pvW = new Float64Array(minutes);
  for (let i = 0; i < minutes; i++) {
    const t = t0 + i * MIN_MS;
    const l = Math.max(0, seriesValueAt(load, t, TZ));
    const p = pv ? Math.max(0, seriesValueAt(pv, t, TZ)) : 0;
    netW[i] = l - p;
    pvW[i] = p;
  }
  const quarterMonth: string[] = [];
  for (let t = t0; t < t1; t += Q_MS) quarterMonth.push(localFields(t, TZ).date.slice(0, 7));
  const capacityWh = o.capacity ?? 5200;
  const desiredPeakW = o.desiredPeak ?? 2500;
  const minSocPct = o.minSoc ?? 10;
  const bufferPct = o.buffer ?? 20;
  const rate = o.rate ?? 52.95;
  const meterPeriodS = o.meterPeriod ?? 1;
  if (!(capacityWh > 0) || !(meterPeriodS >= 1) || !(desiredPeakW >= 0) || !(minSocPct >= 0) || !(bufferPct >= 0) || minSocPct + bufferPct > 100) {
    throw new Error('peak-shaving bench: capacity > 0, meter period ≥ 1 s, desired peak ≥ 0, min SoC + buffer ≤ 100 %');
  }
  return {
    t0,
    minutes,
    netW,
    pvW,
    quarterMonth,
    capacityWh,
    desiredPeakW,
    minSocPct,
    bufferPct,
    rate,
    meterPeriodMs: Math.round(meterPeriodS) * 1000,
    seed: o.seed ?? 1,
    oursParams: o.oursParams ?? {},
    describe: {
      benchmark: 'peak-shaving',
      load: load.name,
      pv: pv ? pv.name : null,
      from: new Date(t0).toISOString(),
      to: new Date(t1).toISOString(),
      days: Math.round(((t1 - t0) / 86_400_000) * 100) / 100,
      timeZone: TZ,
      capacityWh,
      desiredPeakW,
      minSocPct,
      bufferPct,
      rateEurPerKwYear: rate,
      meterPeriodS: Math.round(meterPeriodS),
      meterLatencyS: METER_LATENCY_MS / 1000,
      seed: o.seed ?? 1,
      plant: { ...PLANT, latencyS: PLANT.latencyMs / 1000, efficiency: 'lib/sim/battery.ts loss model, 94.5 % peak at 800 W' },
    },
  };
}

/** Score accumulator: feeds intervals of constant grid power. */
class Account {
  readonly quarterWh: Float64Array;
  importWh = 0;
  exportWh = 0;
  pvWh = 0;
  throughputWh = 0;
  constructor(private readonly sc: Scenario) {
    this.quarterWh = new Float64Array(sc.quarterMonth.length);
  }
  add(offsetMs: number, seconds: number, gridW: number, pvW: number, batteryW: number): void {
    const h = seconds / 3600;
    const imp = Math.max(0, gridW) * h;
    this.importWh += imp;
    this.exportWh += Math.max(0, -gridW) * h;
    this.pvWh += pvW * h;
    this.throughputWh += Math.abs(batteryW) * h;
    this.quarterWh[Math.floor(offsetMs / Q_MS)] += imp;
  }
  scores(): PeakScores {
    const monthPeaks: Record<string, number> = {};
    let above = 0;
    this.quarterWh.forEach((wh, q) => {
      const avg = wh * 4;
      const m = this.sc.quarterMonth[q];
      monthPeaks[m] = Math.max(monthPeaks[m] ?? 0, Math.round(avg));
      if (avg > this.sc.desiredPeakW + 0.5) above++;
    });
    const peaks = Object.values(monthPeaks);
    const cost = peaks.reduce((s, p) => s + (Math.max(BILLING_FLOOR_W, p) / 1000) * (this.sc.rate / 12), 0);
    return {
      monthPeakW: Math.max(...peaks),
      monthPeaks,
      peakRatio: null,
      billedPeakRatio: null,
      capacityCostEur: Math.round(cost * 100) / 100,
      selfConsumptionPct: this.pvWh > 1 ? Math.round(Math.min(100, Math.max(0, (100 * (this.pvWh - this.exportWh)) / this.pvWh)) * 10) / 10 : null,
      gridImportWh: Math.round(this.importWh),
      batteryThroughputWh: Math.round(this.throughputWh),
      quartersAboveLimit: above,
    };
  }
}

type Setup = { kind: 'ours' } | { kind: 'policy'; policy: BandPolicy } | { kind: 'none' };

interface Sample {
  at: number;
  ts: number;
  gridW: number;
  batteryW: number;
  soc: number;
}

/** One contender in closed loop, second by second. Returns its account, SoC per quarter end and (ours) its limit. */
function simulate(sc: Scenario, setup: Setup): { account: Account; soc: number[]; limit: number[] } {
  const acc = new Account(sc);
  const soc: number[] = [];
  const limit: number[] = [];
  if (setup.kind === 'none') {
    for (let i = 0; i < sc.minutes; i++) acc.add(i * MIN_MS, 60, sc.netW[i], sc.pvW[i], 0);
    return { account: acc, soc, limit };
  }
  const plant = new BatteryPlant({ capacityWh: sc.capacityWh, ...PLANT, t0: sc.t0 });
  const ctrl =
    setup.kind === 'ours'
      ? new PeakShavingController({ desiredPeakW: sc.desiredPeakW, minSocPct: sc.minSocPct, peakBufferPct: sc.bufferPct, capacityWh: sc.capacityWh, maxChargeW: PLANT.maxChargeW, maxDischargeW: PLANT.maxDischargeW, timeZone: TZ, ...sc.oursParams })
      : null;
  const rnd = mulberry32(sc.seed);
  const periodS = sc.meterPeriodMs / 1000;
  const phaseS = Math.floor(rnd() * periodS);
  let band: (Band & { until: number }) | null = null;
  let lastLimit = sc.desiredPeakW;
  let setpoint = 0;
  const inFlight: Sample[] = [];
  const seconds = sc.minutes * 60;
  for (let s = 0; s < seconds; s++) {
    const t = sc.t0 + s * 1000;
    const net = sc.netW[Math.floor(s / 60)];
    while (inFlight.length && inFlight[0].at <= t) {
      const m = inFlight.shift()!;
      if (ctrl) {
        const r = ctrl.step({ meter: { power: m.gridW, timestamp: m.ts }, battery: { soc: m.soc, capacityWh: sc.capacityWh, power: m.batteryW, timestamp: m.ts } }, t);
        if (r.gridTarget) band = { minW: r.gridTarget.minW, maxW: r.gridTarget.maxW, until: r.gridTarget.until };
        lastLimit = r.state.limitW;
      } else if (setup.kind === 'policy') {
        const b = setup.policy.step(m.gridW, m.soc, t);
        if (b) band = { ...b, until: Infinity };
      }
      // The band follower (zero-export node): grid inside [minW, maxW], no battery spent while inside.
      const active = band && band.until > t ? band : { minW: 0, maxW: 0 };
      const netEst = m.gridW + m.batteryW;
      const want = Math.max(-PLANT.maxChargeW, Math.min(PLANT.maxDischargeW, Math.min(netEst - active.minW, Math.max(netEst - active.maxW, 0))));
      if (Math.abs(want - setpoint) >= 1) {
        setpoint = want;
        plant.command(want, t);
      }
    }
    const bNow = plant.advance(t);
    if ((s - phaseS) % periodS === 0 && s >= phaseS) {
      inFlight.push({ at: t + METER_LATENCY_MS, ts: t, gridW: net - bNow + (rnd() * 2 - 1) * 10, batteryW: bNow, soc: plant.socPct });
    }
    const c0 = plant.chargedWh;
    const d0 = plant.dischargedWh;
    plant.advance(t + 1000);
    const bAvg = (plant.dischargedWh - d0 - (plant.chargedWh - c0)) * 3600;
    acc.add(s * 1000, 1, net - bAvg, sc.pvW[Math.floor(s / 60)], bAvg);
    if ((s + 1) % 900 === 0) {
      soc.push(plant.socPct);
      limit.push(lastLimit);
    }
  }
  return { account: acc, soc, limit };
}

export function runPeakBench(o: PeakBenchOptions = {}): { result: PeakBenchResult; trace: PeakTrace } {
  const sc = buildScenario(o);
  const results = {} as Record<Contender, PeakScores>;
  const trace: PeakTrace = { quarterStart: sc.quarterMonth.map((_, q) => sc.t0 + q * Q_MS), quarters: {} as Record<Contender, number[]>, soc: {}, oursLimitW: [], oracleLevelW: 0 };
  const setups: Record<Exclude<Contender, 'oracle'>, Setup> = {
    ours: { kind: 'ours' },
    jullix: { kind: 'policy', policy: new JullixScheme(sc.desiredPeakW, sc.minSocPct, sc.bufferPct) },
    openems: { kind: 'policy', policy: new OpenEmsPeakShaving(sc.desiredPeakW, Math.round(sc.desiredPeakW * 0.8)) },
    balancing: { kind: 'policy', policy: new BalancingOnly() },
    noBattery: { kind: 'none' },
  };
  for (const k of CONTENDERS) {
    let acc: Account;
    if (k === 'oracle') {
      const quarterOffset = Math.round(((sc.t0 % Q_MS) + Q_MS) % Q_MS / MIN_MS);
      const best = oracle(sc.netW, quarterOffset === 0 ? 0 : 15 - quarterOffset, { capacityWh: sc.capacityWh, ...PLANT }, sc.quarterMonth);
      acc = new Account(sc);
      const soc: number[] = [];
      best.plan.forEach((p, i) => {
        acc.add(i * MIN_MS, 60, sc.netW[i] - p.batteryW, sc.pvW[i], p.batteryW);
        if ((i + 1) % 15 === 0) soc.push(p.socPct);
      });
      trace.soc.oracle = soc;
      trace.oracleLevelW = best.levelW;
      sc.describe.oracleLevelW = best.levelW;
      sc.describe.oracleMonthLevelW = best.monthLevelW;
    } else {
      const r = simulate(sc, setups[k]);
      acc = r.account;
      if (k !== 'noBattery') trace.soc[k] = r.soc;
      if (k === 'ours') trace.oursLimitW = r.limit;
    }
    results[k] = acc.scores();
    trace.quarters[k] = Array.from(acc.quarterWh, (wh) => Math.round(wh * 4));
  }
  for (const k of CONTENDERS) {
    results[k].peakRatio = worstMonthRatio(results[k].monthPeaks, results.oracle.monthPeaks, 0);
    results[k].billedPeakRatio = worstMonthRatio(results[k].monthPeaks, results.oracle.monthPeaks, BILLING_FLOOR_W);
  }
  return { result: { scenario: sc.describe, results }, trace };
}

/**
 * The worst month's peak ÷ the oracle's peak of that month (rounded to 0.001), each peak counted at no less
 * than `floorW` (0: the raw peaks; 2500: as the capacity tariff bills them). A month the oracle has no
 * peak for counts as 1.
 */
export function worstMonthRatio(peaks: Record<string, number>, oraclePeaks: Record<string, number>, floorW: number): number {
  let worst = 0;
  for (const [m, p] of Object.entries(peaks)) {
    const o = oraclePeaks[m];
    const ref = o === undefined ? 0 : Math.max(floorW, o);
    worst = Math.max(worst, ref > 0 ? Math.max(floorW, p) / ref : 1);
  }
  return Math.round(worst * 1000) / 1000;
}

export function markdown(r: PeakBenchResult): string[] {
  const s = r.scenario;
  const lines = [
    `Peak-shaving benchmark: ${s.load}${s.pv ? ` + PV ${s.pv}` : ''}, ${s.days} days from ${String(s.from).slice(0, 16)}Z, battery ${s.capacityWh} Wh, desired peak ${s.desiredPeakW} W, min SoC ${s.minSocPct} %, buffer ${s.bufferPct} %, meter ${s.meterPeriodS} s, rate ${s.rateEurPerKwYear} €/kW·year; oracle level ${s.oracleLevelW} W`,
    '',
    '| controller | month peak kW | peak ratio | billed peak ratio | capacity € | self-consumption % | import kWh | battery throughput kWh | quarters > desired |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const k of CONTENDERS) {
    const c = r.results[k];
    const months = Object.entries(c.monthPeaks).map(([m, p]) => `${m}: ${(p / 1000).toFixed(2)}`).join(', ');
    lines.push(
      `| ${k} | ${(c.monthPeakW / 1000).toFixed(2)} (${months}) | ${c.peakRatio?.toFixed(3) ?? '–'} | ${c.billedPeakRatio?.toFixed(3) ?? '–'} | ${c.capacityCostEur.toFixed(2)} | ${c.selfConsumptionPct ?? '–'} | ${(c.gridImportWh / 1000).toFixed(1)} | ${(c.batteryThroughputWh / 1000).toFixed(1)} | ${c.quartersAboveLimit} |`,
    );
  }
  return lines;
}

const COLORS: Record<Contender, string> = { ours: '#d62728', oracle: '#2ca02c', jullix: '#ff7f0e', openems: '#1f77b4', balancing: '#9467bd', noBattery: '#7f7f7f' };

/** Two SVG charts: quarter averages with the limits, and the SoC over the run. */
export function plot(trace: PeakTrace): { quarters: string; soc: string } {
  const t0 = trace.quarterStart[0] ?? 0;
  const x = (q: number) => (trace.quarterStart[q] - t0) / 86_400_000;
  const pts = (ys: number[], scale = 1000) => ys.map((y, q) => [x(q), y / scale] as [number, number]);
  const order: Contender[] = ['noBattery', 'balancing', 'openems', 'jullix', 'oracle', 'ours'];
  const quarters = lineChart({
    title: 'Peak shaving: 15-min average import per contender',
    xLabel: 'days',
    yLabel: 'kW',
    series: [
      ...order.map((k) => ({ name: k, color: COLORS[k], points: pts(trace.quarters[k]), width: k === 'ours' ? 1.6 : 1 })),
      { name: 'ours: limit', color: '#000000', points: pts(trace.oursLimitW), dash: '4,3' },
    ],
    hlines: [{ y: trace.oracleLevelW / 1000, color: COLORS.oracle, dash: '6,3' }],
    yMin: 0,
  });
  const soc = lineChart({
    title: 'Peak shaving: battery SoC at each quarter end',
    xLabel: 'days',
    yLabel: 'SoC %',
    series: (['oracle', 'jullix', 'openems', 'balancing', 'ours'] as Contender[]).filter((k) => trace.soc[k]).map((k) => ({ name: k, color: COLORS[k], points: pts(trace.soc[k]!, 1), width: k === 'ours' ? 1.6 : 1 })),
    yMin: 0,
    yMax: 100,
  });
  return { quarters, soc };
}

/** Writes the JSON, the Markdown report and the two SVGs into `dir`; returns the paths. */
export function writeReport(dir: string, r: PeakBenchResult, trace: PeakTrace): string[] {
  fs.mkdirSync(dir, { recursive: true });
  const files = ['peak-shaving.json', 'peak-shaving.md', 'peak-shaving-quarters.svg', 'peak-shaving-soc.svg'].map((f) => path.join(dir, f));
  const svg = plot(trace);
  fs.writeFileSync(files[0], JSON.stringify(r, null, 2) + '\n');
  fs.writeFileSync(files[1], [...markdown(r), '', '![quarter averages](peak-shaving-quarters.svg)', '', '![SoC](peak-shaving-soc.svg)'].join('\n') + '\n');
  fs.writeFileSync(files[2], svg.quarters);
  fs.writeFileSync(files[3], svg.soc);
  return files;
}

// ---------------------------------------------------------------------------------------------
// `home-energy bench peak-shaving` (registered in bench/index.ts)
// ---------------------------------------------------------------------------------------------

const PEAK_VALUE_OPTIONS = ['load', 'pv', 'from', 'days', 'capacity', 'desired-peak', 'min-soc', 'buffer', 'rate', 'meter-period', 'seed', 'out'];


/** Options from parsed CLI arguments; a bad value is a usage error. */
export function peakOptions(a: BenchArgs): PeakBenchOptions & { out?: string } {
  const from = str(a, 'from');
  if (from !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(from)) throw new BenchUsageError(`--from must be a date YYYY-MM-DD, got ${JSON.stringify(from)}`);
  const o = {
    load: str(a, 'load'),
    pv: str(a, 'pv'),
    from,
    days: numberOption(a, 'days', 0.01, 400),
    capacity: numberOption(a, 'capacity', 1, 1_000_000),
    desiredPeak: numberOption(a, 'desired-peak', 0, 100_000),
    minSoc: numberOption(a, 'min-soc', 0, 100),
    buffer: numberOption(a, 'buffer', 0, 100),
    rate: numberOption(a, 'rate', 0, 10_000),
    meterPeriod: numberOption(a, 'meter-period', 1, 60),
    seed: numberOption(a, 'seed', 0, 2 ** 31),
    out: str(a, 'out'),
  };
  if ((o.minSoc ?? 10) + (o.buffer ?? 20) > 100) throw new BenchUsageError('--min-soc + --buffer must be at most 100 %');
  return o;
}

export const peakShavingBench: BenchDefinition<PeakBenchResult & { files?: string[] }> = {
  summary: 'peak shaving for the capacity tariff in closed loop on recorded 1-min load: ours vs oracle, Jullix, OpenEMS, balancing only, no battery (month peak, peak ratio, capacity cost, self-consumption)',
  options:
    '[--load FILE[:COL]] [--pv FILE[:COL]] [--from DATE] [--days N] [--capacity WH (5200)] [--desired-peak W (2500)] [--min-soc PCT (10)] [--buffer PCT (20)] [--rate EUR_PER_KW_YEAR (52.95)] [--meter-period S (1)] [--seed N (1)] [--out DIR (bench-results/peak-shaving)] [--json]',
  valueOptions: PEAK_VALUE_OPTIONS,
  async run(opts) {
    const { out, ...o } = peakOptions(opts.args);
    const { result, trace } = runPeakBench(o);
    if (opts.json) return result;
    return { ...result, files: writeReport(out ?? path.join('bench-results', 'peak-shaving'), result, trace) };
  },
  markdown: (r) => [...markdown(r), ...(r.files ? ['', `Written: ${r.files.join(', ')}`] : [])],
};
