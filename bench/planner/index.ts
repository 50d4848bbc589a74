/**
 * Planner benchmark: the rolling-horizon battery planner against the perfect-foresight optimum and
 * simple rules, in virtual time over real day-ahead prices (a CSV such as the NL/BE files the
 * team keeps for internal benchmarking; the data is read at run time, never shipped).
 *
 * Contenders, all on the same 15-minute slots, load and PV, from the same start SoC:
 * - ours: BatteryPlanner re-planned every slot over `horizonH` (perfect forecasts, or noisy ones
 *   with `forecastNoise`), executed as zero export would follow its grid-target: balance → the
 *   battery covers the net load, hold → idle, grid trade → the planned grid power;
 * - oracle: the same model solved once over the whole period with perfect knowledge on a finer
 *   level grid (capacity / 500), executed exactly: the best the model allows;
 * - balancing: zero export only (no prices);
 * - threshold: grid-charge at full power at or below the day's 25th price percentile, balance at
 *   or above the 75th, in between only store PV surplus (evcc-style);
 * - greedy: per local day the cheapest slots charge and the dearest discharge at full power, as
 *   many as fill / empty the battery, while the pair still pays after losses and wear (power-saver
 *   style); other slots balance;
 * - noBattery.
 * Score: cost (EUR) with the change of stored energy valued at the period's median import price
 * × ηd (the same for all), saving against no battery, saving as % of the oracle's, cycles
 * (discharged kWh ÷ usable kWh), adopted plan changes per day (ours), and the median solve time
 * of one full-horizon plan (192 slots at 48 h).
 */
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { chooseStep, planBattery, slotCost, type PlannerBattery, type PlanSlot } from '../../lib/control/planner/dp';
import { BatteryPlanner, gridTargetOf } from '../../lib/control/planner/planner';
import { consumerPrices, PRESETS, type PriceFormula } from '../../lib/tariff/formula';
import { parsePriceCsv, toQuarters, type SpotSlot } from '../../lib/tariff/prices';
import { localFields } from '../../lib/util/local-time';
import { mulberry32 } from '../zero-export/appliances';

export interface PlannerBenchOptions {
  /** CSV file (or slots) of day-ahead prices, EUR/MWh; `column` picks the price column. */
  prices: string | SpotSlot[];
  column?: string;
  /** Feed-in spot prices from another file; else export = spot × exportFactor. */
  exportPrices?: string;
  exportColumn?: string;
  exportFactor?: number;
  /** Spot → consumer price; default the spot price itself. */
  formula?: PriceFormula;
  /** Load and PV (W): a constant, one value per 15-min slot of the run, or a function of time. Default: a household profile (≈ 3,500 kWh/year) and no PV. */
  load?: number | number[] | ((t: number) => number);
  pv?: number | number[] | ((t: number) => number);
  /** Where load and PV came from, for the scenario (e.g. the CSV file). */
  loadLabel?: string;
  pvLabel?: string;
  /** First local day "2025-06-01"; default the first full day of the prices. */
  from?: string;
  days?: number;
  timeZone?: string;
  capacityWh?: number;
  chargeW?: number;
  dischargeW?: number;
  efficiency?: number;
  minSocPct?: number;
  maxSocPct?: number;
  startSocPct?: number;
  wear?: number;
  horizonH?: number;
  forecastNoise?: number;
  seed?: number;
  minImprovementEur?: number;
  /** Level spacing of ours (Wh); default capacity / 100. */
  stepWh?: number;
  /** Also return the per-slot traces (for plannerBenchSvg). */
  trace?: boolean;
}

export interface PlannerTrace {
  start: number[];
  importPrice: number[];
  exportPrice: number[];
  /** SoC % at each slot's end. */
  socOurs: number[];
  socOracle: number[];
  /** Grid power W (+ import). */
  gridOurs: number[];
}

export interface ContenderResult {
  costEur: number;
  savingEur: number;
  savingPctOfOracle: number | null;
  cycles: number;
  planChangesPerDay: number;
}

export interface PlannerBenchResult {
  scenario: Record<string, unknown>;
  results: Record<'ours' | 'oracle' | 'balancing' | 'threshold' | 'greedy' | 'noBattery', ContenderResult>;
  solveMs: number;
  trace?: PlannerTrace;
}

const Q = 15 * 60_000;

/** The household profile used when no load is given (W by local hour): night, morning, day, evening. */
export function defaultLoadW(hour: number): number {
  if (hour < 6) return 250;
  if (hour < 9) return 550;
  if (hour < 17) return 320;
  if (hour < 22) return 750;
  return 400;
}

function series(v: PlannerBenchOptions['load'], starts: number[], tz: string, dflt: (h: number) => number): number[] {
  if (v === undefined) return starts.map((t) => dflt(localFields(t, tz).hour));
  if (typeof v === 'number') return starts.map(() => v);
  if (typeof v === 'function') return starts.map((t) => v(t));
  return starts.map((_, i) => v[i % v.length]);
}

function loadSlots(src: string | SpotSlot[], column?: string): SpotSlot[] {
  if (Array.isArray(src)) return toQuarters(src);
  const s = parsePriceCsv(fs.readFileSync(src, 'utf8'), 'EUR/MWh', column);
  if ('error' in s) throw new Error(`${src}: ${s.error}`);
  return toQuarters(s);
}

/** The UTC instant of local midnight starting `date` in `tz`. */
function localMidnight(date: string, tz: string): number {
  for (let t = Date.parse(`${date}T00:00:00Z`) - 14 * 3_600_000; t < Date.parse(`${date}T00:00:00Z`) + 14 * 3_600_000; t += Q) {
    const f = localFields(t, tz);
    if (f.date === date && f.hour === 0 && f.minute === 0) return t;
  }
  throw new Error(`from: no local midnight found for ${date}`);
}

function percentile(xs: number[], p: number): number {
  const a = [...xs].sort((x, y) => x - y);
  return a[Math.min(a.length - 1, Math.max(0, Math.round((p / 100) * (a.length - 1))))];
}

/** Continuous battery under the limits: follows `desiredW` (+ discharge) as far as power and SoC allow. */
class Sim {
  e: number;
  cost = 0;
  dischargedWh = 0;
  constructor(private b: PlannerBattery, socPct: number) {
    this.e = (b.capacityWh * socPct) / 100;
  }
  lastGridW = 0;
  step(s: PlanSlot, desiredW: number): void {
    const h = (s.end - s.start) / 3_600_000;
    const lo = (this.b.capacityWh * this.b.minSocPct) / 100;
    const hi = (this.b.capacityWh * this.b.maxSocPct) / 100;
    const w = Math.max(-this.b.chargeW, Math.min(this.b.dischargeW, Number.isFinite(desiredW) ? desiredW : 0));
    let dE = w >= 0 ? -(w * h) / this.b.etaDischarge : -w * h * this.b.etaCharge;
    dE = Math.min(hi - this.e, Math.max(lo - this.e, dE));
    const c = slotCost(s, dE, this.b);
    this.cost += c.cost;
    this.lastGridW = c.gridW;
    if (dE < 0) this.dischargedWh += -dE;
    this.e += dE;
  }
}

export function runPlannerBench(o: PlannerBenchOptions): PlannerBenchResult {
  const tz = o.timeZone ?? 'Europe/Amsterdam';
  const formula = o.formula ?? PRESETS.spot;
  const b: PlannerBattery = {
    capacityWh: o.capacityWh ?? 10_000,
    chargeW: o.chargeW ?? 2200,
    dischargeW: o.dischargeW ?? 1700,
    etaCharge: o.efficiency ?? 0.95,
    etaDischarge: o.efficiency ?? 0.95,
    minSocPct: o.minSocPct ?? 5,
    maxSocPct: o.maxSocPct ?? 100,
    wearEurPerKWh: o.wear ?? 0.09,
  };
  const startSoc = o.startSocPct ?? 50;
  const spot = loadSlots(o.prices, o.column);
  const exportSpot = o.exportPrices ? new Map(loadSlots(o.exportPrices, o.exportColumn).map((s) => [s.start, s.spot])) : undefined;
  const first = spot[0]?.start;
  if (first === undefined) throw new Error('prices: no slots');
  const fromDate = o.from ?? localFields(first + 24 * 3_600_000, tz).date;
  const t0 = localMidnight(fromDate, tz);
  const days = o.days ?? 7;
  const t1 = localMidnight(localFields(t0 + days * 24 * 3_600_000 + 12 * 3_600_000, tz).date, tz);
  const horizonSlots = Math.round(((o.horizonH ?? 48) * 3_600_000) / Q);
  const bySpot = new Map(spot.map((s) => [s.start, s.spot]));
  // the run plus the horizon behind its end (ours looks ahead), as far as prices reach
  const all: PlanSlot[] = [];
  const starts: number[] = [];
  for (let t = t0; t < t1 + horizonSlots * Q; t += Q) {
    if (!bySpot.has(t)) {
      if (t < t1) throw new Error(`prices: none for ${new Date(t).toISOString()} (the run needs every slot)`);
      break;
    }
    starts.push(t);
  }
  const loads = series(o.load, starts, tz, defaultLoadW);
  const pvs = series(o.pv, starts, tz, () => 0);
  starts.forEach((t, i) => {
    const sp = bySpot.get(t) as number;
    const imp = consumerPrices(sp, formula).importPrice;
    const ex = exportSpot?.has(t) ? consumerPrices(exportSpot.get(t) as number, formula).exportPrice : formula === PRESETS.spot ? (sp / 1000) * (o.exportFactor ?? 1) : consumerPrices(sp, formula).exportPrice * (o.exportFactor ?? 1);
    all.push({ start: t, end: t + Q, importPrice: imp, exportPrice: ex, pvW: pvs[i], loadW: loads[i] });
  });
  const run = all.filter((s) => s.start < t1);
  const n = run.length;
  const usableKWh = (b.capacityWh * (b.maxSocPct - b.minSocPct)) / 100 / 1000;
  const vEnd = percentile(run.map((s) => s.importPrice), 50) * b.etaDischarge;
  const score = (sim: Sim) => sim.cost - ((sim.e - (b.capacityWh * startSoc) / 100) * vEnd) / 1000;

  // no battery, balancing
  const none = new Sim({ ...b, chargeW: 0, dischargeW: 0 }, startSoc);
  const bal = new Sim(b, startSoc);
  for (const s of run) {
    none.step(s, 0);
    bal.step(s, s.loadW - s.pvW);
  }
  // threshold and greedy, per local day
  const thr = new Sim(b, startSoc);
  const gre = new Sim(b, startSoc);
  const h = Q / 3_600_000;
  for (let i = 0; i < n; ) {
    const day = localFields(run[i].start, tz).date;
    let j = i;
    while (j < n && localFields(run[j].start, tz).date === day) j++;
    const d = run.slice(i, j);
    const prices = d.map((s) => s.importPrice);
    const low = percentile(prices, 25);
    const high = percentile(prices, 75);
    const order = d.map((_, k) => k).sort((x, y) => prices[x] - prices[y]);
    const nc = Math.ceil((usableKWh * 1000) / (b.chargeW * h * b.etaCharge));
    const nd = Math.ceil((usableKWh * 1000 * b.etaDischarge) / (b.dischargeW * h));
    const mode = new Array<string>(d.length).fill('balance');
    for (let k = 0; k < Math.min(nc, nd, Math.floor(d.length / 2)); k++) {
      const cheap = order[k];
      const dear = order[order.length - 1 - k];
      if (prices[dear] * b.etaCharge * b.etaDischarge - b.wearEurPerKWh * b.etaCharge * b.etaDischarge <= prices[cheap]) break;
      mode[cheap] = 'charge';
      mode[dear] = 'discharge';
    }
    for (let k = nd; k < nc && k < d.length / 2; k++) {
      const cheap = order[k];
      if (mode[cheap] === 'balance' && prices[order[order.length - 1]] * b.etaCharge * b.etaDischarge - b.wearEurPerKWh > prices[cheap]) mode[cheap] = 'charge';
    }
    d.forEach((s, k) => {
      const net = s.loadW - s.pvW;
      thr.step(s, s.importPrice <= low ? -b.chargeW : s.importPrice >= high ? net : Math.min(net, 0));
      gre.step(s, mode[k] === 'charge' ? -b.chargeW : mode[k] === 'discharge' ? b.dischargeW : net);
    });
    i = j;
  }
  // oracle: one solve over the whole run, finer levels, executed as planned
  const oraclePlan = planBattery(run, b, startSoc, { stepWh: chooseStep(b, Q / 3_600_000, b.capacityWh / 500), finalValue: vEnd });
  const ora = new Sim(b, startSoc);
  const trace: PlannerTrace = { start: [], importPrice: [], exportPrice: [], socOurs: [], socOracle: [], gridOurs: [] };
  run.forEach((s, k) => {
    ora.step(s, oraclePlan.slots[k]?.batteryW ?? 0);
    trace.socOracle.push((ora.e / b.capacityWh) * 100);
  });
  // ours: rolling horizon
  const rnd = mulberry32(o.seed ?? 1);
  const gauss = () => Math.sqrt(-2 * Math.log(rnd() + 1e-12)) * Math.cos(2 * Math.PI * rnd());
  const noise = o.forecastNoise ?? 0;
  const planner = new BatteryPlanner({ ...b, minImprovementEur: o.minImprovementEur ?? 0.01, stepWh: o.stepWh });
  const ours = new Sim(b, startSoc);
  const solve: number[] = [];
  for (let k = 0; k < n; k++) {
    const view = run.slice(k, k + horizonSlots).map((s, m) =>
      m === 0 || noise === 0
        ? s
        : { ...s, importPrice: s.importPrice * (1 + noise * gauss()), exportPrice: s.exportPrice * (1 + noise * gauss()), loadW: Math.max(0, s.loadW * (1 + noise * gauss())), pvW: Math.max(0, s.pvW * (1 + noise * gauss())) },
    );
    const soc = (ours.e / b.capacityWh) * 100;
    const t = performance.now();
    // the run's end is the horizon's end for every contender: the energy left then is worth vEnd
    planner.replan(view, soc, run[k].start, k + horizonSlots >= n ? vEnd : undefined);
    if (view.length === horizonSlots) solve.push(performance.now() - t);
    const p = planner.slotAt(run[k].start);
    const s = run[k];
    const net = s.loadW - s.pvW;
    const g = p ? gridTargetOf(p) : undefined;
    // zero export following the grid-target: the battery makes up net − target
    const desired = !p || !g ? 0 : net - g.minW;
    ours.step(s, desired);
    trace.start.push(s.start);
    trace.importPrice.push(s.importPrice);
    trace.exportPrice.push(s.exportPrice);
    trace.socOurs.push((ours.e / b.capacityWh) * 100);
    trace.gridOurs.push(ours.lastGridW);
  }
  const base = score(none);
  const oracleSaving = base - score(ora);
  const res = (sim: Sim, changes = 0): ContenderResult => {
    const cost = score(sim);
    const saving = base - cost;
    const r2 = (x: number) => Math.round(x * 100) / 100;
    return {
      costEur: r2(cost),
      savingEur: r2(saving),
      savingPctOfOracle: oracleSaving > 1e-9 ? Math.round((saving / oracleSaving) * 1000) / 10 : null,
      cycles: Math.round((sim.dischargedWh / 1000 / usableKWh) * 10) / 10,
      planChangesPerDay: Math.round((changes / days) * 10) / 10,
    };
  };
  solve.sort((x, y) => x - y);
  return {
    scenario: { prices: (Object.keys(PRESETS) as (keyof typeof PRESETS)[]).find((k) => PRESETS[k] === formula) ?? 'custom formula', from: fromDate, days, timeZone: tz, slots: n, horizonH: o.horizonH ?? 48, forecastNoise: noise, battery: b, startSocPct: startSoc, endValueEurPerKWh: Math.round(vEnd * 10000) / 10000, load: o.loadLabel ?? (o.load === undefined ? 'default profile' : 'given'), pv: o.pvLabel ?? (o.pv === undefined ? 'none' : 'given'), loadKWh: Math.round(run.reduce((a, s) => a + s.loadW * h, 0)) / 1000, pvKWh: Math.round(run.reduce((a, s) => a + s.pvW * h, 0)) / 1000 },
    results: { ours: res(ours, planner.changes), oracle: res(ora), balancing: res(bal), threshold: res(thr), greedy: res(gre), noBattery: res(none) },
    solveMs: solve.length ? Math.round(solve[solve.length >> 1] * 100) / 100 : 0,
    ...(o.trace ? { trace } : {}),
  };
}

/** The result as a Markdown table. */
export function plannerBenchMarkdown(r: PlannerBenchResult): string {
  const rows = Object.entries(r.results).map(([k, v]) => `| ${k} | ${v.costEur.toFixed(2)} | ${v.savingEur.toFixed(2)} | ${v.savingPctOfOracle ?? '–'} | ${v.cycles} | ${v.planChangesPerDay} |`);
  return [`Planner benchmark: ${r.scenario.from}, ${r.scenario.days} days, horizon ${r.scenario.horizonH} h, median solve ${r.solveMs} ms`, '', '| contender | cost EUR | saving EUR | % of oracle | cycles | plan changes/day |', '|---|---|---|---|---|---|', ...rows, ''].join('\n');
}
