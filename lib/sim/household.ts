/**
 * Household model of the virtual home (DESIGN.md §5): replays recorded whole-house load and PV
 * production on an injected Clock and derives the grid power the meter sees.
 *
 * Signs and units (DESIGN.md §2): load W ≥ 0, PV W ≥ 0 (negative recorded values, i.e. inverter
 * self-consumption at night, are clipped to 0), extra sources W with + = supplying the house
 * (battery discharge), grid W + import / − export:
 *
 *     gridW = loadW − pvW − Σ sourcesW
 *
 * Replay of recorded days. Each series is treated as a periodic extension of its own whole local
 * days: a series whose samples span the local days k0 … k0+N−1 repeats with a period of N days in
 * both directions. A simulated instant is converted to local wall time in `timeZone`
 * (default Europe/Amsterdam), and the series is read at the same local time of day on the day
 * (k − k0) mod N of its cycle. So a series that covers the simulated date is replayed at that exact
 * date; series from other dates (the shipped load is from December 2006, the PV from March 2022)
 * are aligned by local time of day and cycled, each over its own length. When the chosen day does
 * not cover that time of day (the PV file starts at 04:33 on its first day), the same time of day
 * on the nearest covered day of the cycle is used. Between samples the value is interpolated
 * linearly; after the last sample it is held.
 *
 * Phase split (fixed, documented rule): load 40 % / 30 % / 30 % on L1/L2/L3; PV spread evenly over
 * the three phases (`pvPhases: 'all'`, default) or entirely on L1 (`pvPhases: 'L1'`, a single-phase
 * inverter); each extra source evenly over three phases unless it names its own split. Phase voltage
 * is modelled as nominal + a fixed per-phase offset − 0.5 V per kW of net phase import (export
 * raises it); phase current = phase power / (voltage × power factor), signed like the power.
 *
 * Optional noise (default off) is deterministic: a hash of (seed, second, channel), so state(t) is a
 * pure function of t.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { systemClock, type Clock } from '../util/clock';

export const DAY_MS = 86_400_000;

// ---------------------------------------------------------------------------------------------
// Time zones
// ---------------------------------------------------------------------------------------------

export { localWallMs, utcOffsetMs, wallToUtcMs } from '../util/local-time';
import { localWallMs, utcOffsetMs } from '../util/local-time';

// ---------------------------------------------------------------------------------------------
// Series loading
// ---------------------------------------------------------------------------------------------

/** A recorded power series, in W. */
export interface Series {
  /** File base name and column, for messages. */
  name: string;
  file: string;
  column: string;
  /** Local wall-clock time of each sample, ms "as if local were UTC", strictly increasing. */
  wall: Float64Array;
  /** Power, W, as recorded (not clipped). */
  values: Float64Array;
  /** Detected sample spacing (median), ms. */
  resolutionMs: number;
  /** UTC offset the file states for its first sample (ms), or null when the timestamps carry none. */
  utcOffsetMs: number | null;
  /** Number of whole local days the series touches (its replay period). */
  days: number;
}

export interface LoadSeriesOptions {
  /**
   * Unit of the value column. Default: from the column name (`…kW` → kW, `…_Wh` → Wh per interval,
   * otherwise W) and `cumulative-kWh` when the file or column name says "cumulative".
   */
  unit?: 'W' | 'kW' | 'Wh-interval' | 'cumulative-kWh' | 'cumulative-Wh';
  /** Timestamp column (name or 0-based index). Default: a column named like "local", else the first timestamp column. */
  timeColumn?: string | number;
}

const TS_RE = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3})\d*)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/;

interface ParsedTs {
  wall: number;
  offset: number | null;
}

/** Parses ISO-like timestamps with or without an offset, and Unix seconds/ms. */
export function parseCsvTime(text: string): ParsedTs | null {
  const s = text.trim().replace(/^"|"$/g, '');
  const m = TS_RE.exec(s);
  if (m) {
    const ms = m[7] ? Number(m[7].padEnd(3, '0')) : 0;
    const wall = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], m[6] ? +m[6] : 0, ms);
    if (!Number.isFinite(wall)) return null;
    let offset: number | null = null;
    if (m[8] === 'Z') offset = 0;
    else if (m[8]) {
      const sign = m[8][0] === '-' ? -1 : 1;
      const digits = m[8].slice(1).replace(':', '');
      offset = sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4) || '0')) * 60_000;
    }
    return { wall, offset };
  }
  if (/^\d{9,13}(\.\d+)?$/.test(s)) {
    const n = Number(s);
    const t = n < 1e11 ? n * 1000 : n; // seconds or milliseconds since epoch; no zone → UTC
    return { wall: t, offset: 0 };
  }
  return null;
}

function splitCsvLine(line: string, sep: string): string[] {
  return line.split(sep).map((f) => f.trim().replace(/^"(.*)"$/, '$1'));
}

function parseNumber(s: string | undefined): number | null {
  if (s === undefined) return null;
  const t = s.trim();
  if (t === '' || t === '?' || /^nan$/i.test(t)) return null;
  const n = Number(t);
  return Number.isFinite(n) ? n : null;
}

function median(xs: number[]): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)]; // lower median: gaps never inflate it
}

const seriesCache = new Map<string, Series>();

/**
 * Loads one power column of a CSV file as a Series in W. Handles the formats of
 * shared/data/household_load_pv and lib/sim/data: a header row, comma (or semicolon) separated,
 * ISO timestamps with or without offset (`2006-12-16T17:24:00`, `2022-03-18 04:33:00-07:00`,
 * `2015-10-04T03:00:00+0200`, `…Z`), blank / `?` values skipped. `column` is a header name
 * (case-insensitive) or a 0-based index; default: the first column whose name looks like power
 * (power, load, pv, `_W`, `_kW`), else the first numeric column. Interval data
 * (`interval_start…` time column, cumulative meter readings) is placed at the interval midpoint.
 * Results are cached per file, column and options.
 */
export function loadSeries(file: string, column?: string | number, opts: LoadSeriesOptions = {}): Series {
  const abs = path.resolve(file);
  const key = `${abs}|${column ?? ''}|${opts.unit ?? ''}|${opts.timeColumn ?? ''}`;
  const cached = seriesCache.get(key);
  if (cached) return cached;
  const text = fs.readFileSync(abs, 'utf8');
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines.length < 3) throw new Error(`${file}: needs a header and at least two data rows`);
  const sep = lines[0].includes(',') || !lines[0].includes(';') ? ',' : ';';
  const header = splitCsvLine(lines[0], sep);
  const probe = lines.slice(1, 200).map((l) => splitCsvLine(l, sep));

  const findCol = (spec: string | number, what: string): number => {
    if (typeof spec === 'number' || /^\d+$/.test(spec)) {
      const i = Number(spec);
      if (i >= 0 && i < header.length) return i;
    } else {
      const i = header.findIndex((h) => h === spec);
      if (i >= 0) return i;
      const j = header.findIndex((h) => h.toLowerCase() === spec.toLowerCase());
      if (j >= 0) return j;
    }
    throw new Error(`${file}: no ${what} column ${JSON.stringify(spec)} (columns: ${header.join(', ')})`);
  };

  const timeCols = header
    .map((_, i) => i)
    .filter((i) => probe.some((r) => r[i] !== undefined && r[i] !== '' && parseCsvTime(r[i]) !== null));
  let tCol: number;
  if (opts.timeColumn !== undefined) tCol = findCol(opts.timeColumn, 'time');
  else {
    if (timeCols.length === 0) throw new Error(`${file}: no timestamp column found`);
    tCol = timeCols.find((i) => /local|cet/i.test(header[i])) ?? timeCols[0];
  }

  let vCol: number;
  if (column !== undefined) vCol = findCol(column, 'value');
  else {
    const numeric = header
      .map((_, i) => i)
      .filter((i) => !timeCols.includes(i) && probe.some((r) => parseNumber(r[i]) !== null));
    if (numeric.length === 0) throw new Error(`${file}: no numeric column found`);
    vCol = numeric.find((i) => /power|load|(^|_)pv|_k?w$/i.test(header[i])) ?? numeric[0];
  }
  const colName = header[vCol];

  let unit = opts.unit;
  if (!unit) {
    if (/cumulative/i.test(path.basename(file)) || /cumulative/i.test(colName)) unit = /_wh$/i.test(colName) ? 'cumulative-Wh' : 'cumulative-kWh';
    else if (/kwh/i.test(colName)) unit = 'cumulative-kWh';
    else if (/(^|[_\s(])kw\)?$/i.test(colName)) unit = 'kW';
    else if (/_wh$/i.test(colName)) unit = 'Wh-interval';
    else unit = 'W';
  }

  const wall: number[] = [];
  const utc: number[] = [];
  const vals: number[] = [];
  let firstOffset: number | null | undefined;
  for (let li = 1; li < lines.length; li++) {
    const f = splitCsvLine(lines[li], sep);
    const ts = parseCsvTime(f[tCol] ?? '');
    const v = parseNumber(f[vCol]);
    if (!ts || v === null) continue;
    if (firstOffset === undefined) firstOffset = ts.offset;
    wall.push(ts.wall);
    utc.push(ts.offset === null ? ts.wall : ts.wall - ts.offset);
    vals.push(v);
  }
  if (vals.length < 2) throw new Error(`${file}: column ${colName} has fewer than two values`);

  // Order by real time, then keep strictly increasing wall times (drops the repeated local hour at
  // the end of DST when the timestamps carry offsets).
  const order = utc.map((_, i) => i).sort((a, b) => utc[a] - utc[b]);
  let w: number[] = [];
  let v: number[] = [];
  for (const i of order) {
    if (w.length && wall[i] <= w[w.length - 1]) continue;
    w.push(wall[i]);
    v.push(vals[i]);
  }
  const diffs: number[] = [];
  for (let i = 1; i < w.length && diffs.length < 5000; i++) diffs.push(w[i] - w[i - 1]);
  const res = median(diffs);

  const intervalStart = /interval_start/i.test(header[tCol]);
  if (unit === 'cumulative-kWh' || unit === 'cumulative-Wh') {
    // Meter readings → mean power over each interval, placed at its midpoint.
    const k = unit === 'cumulative-kWh' ? 1000 : 1;
    const w2: number[] = [];
    const v2: number[] = [];
    for (let i = 0; i + 1 < w.length; i++) {
      const dt = w[i + 1] - w[i];
      if (dt <= 0 || dt > 4 * res) continue; // gap: no mean power for it
      w2.push(w[i] + dt / 2);
      v2.push(((v[i + 1] - v[i]) * k * 3_600_000) / dt);
    }
    w = w2;
    v = v2;
  } else {
    const scale = unit === 'kW' ? 1000 : 1;
    if (unit === 'Wh-interval') v = v.map((x) => (x * 3_600_000) / res);
    else if (scale !== 1) v = v.map((x) => x * scale);
    if (intervalStart) w = w.map((x) => x + res / 2);
  }
  if (v.length < 2) throw new Error(`${file}: column ${colName} has too few usable values`);

  const firstDay = Math.floor(w[0] / DAY_MS);
  const lastDay = Math.floor(w[w.length - 1] / DAY_MS);
  const series: Series = {
    name: `${path.basename(file)}:${colName}`,
    file: abs,
    column: colName,
    wall: Float64Array.from(w),
    values: Float64Array.from(v),
    resolutionMs: res,
    utcOffsetMs: firstOffset ?? null,
    days: lastDay - firstDay + 1,
  };
  seriesCache.set(key, series);
  return series;
}

/** Linear interpolation at wall position p; held at the ends. */
export function interpolate(s: Series, p: number): number {
  const w = s.wall;
  const n = w.length;
  if (p <= w[0]) return s.values[0];
  if (p >= w[n - 1]) return s.values[n - 1];
  let lo = 0;
  let hi = n - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (w[mid] <= p) lo = mid;
    else hi = mid;
  }
  const f = (p - w[lo]) / (w[hi] - w[lo]);
  return s.values[lo] + f * (s.values[hi] - s.values[lo]);
}

/**
 * Position in the series (wall ms) used for the local wall time `wall` of the simulation: same time
 * of day, day (k − k0) mod N of the series' cycle, or the nearest covered day of the cycle.
 */
export function seriesPosition(s: Series, wall: number): number {
  const k = Math.floor(wall / DAY_MS);
  const tod = wall - k * DAY_MS;
  const k0 = Math.floor(s.wall[0] / DAY_MS);
  const n = s.days;
  const j = (((k - k0) % n) + n) % n;
  const first = s.wall[0];
  const last = s.wall[s.wall.length - 1] + s.resolutionMs;
  const at = (d: number) => (k0 + d) * DAY_MS + tod;
  const covered = (p: number) => p >= first && p <= last;
  const p = at(j);
  if (covered(p)) return p;
  for (let d = 1; d < n; d++) {
    const a = at((j + d) % n);
    if (covered(a)) return a;
    const b = at((((j - d) % n) + n) % n);
    if (covered(b)) return b;
  }
  return p; // nothing covers this time of day (series shorter than a day): interpolate() holds the ends
}

/** Value of the series at simulated instant t (UTC ms), replayed in local time of timeZone. */
export function seriesValueAt(s: Series, t: number, timeZone: string): number {
  return interpolate(s, seriesPosition(s, localWallMs(t, timeZone)));
}

// ---------------------------------------------------------------------------------------------
// Sample data shipped with the package
// ---------------------------------------------------------------------------------------------

export const SAMPLE_LOAD_FILE = 'uci_sceaux_load_1min_2006-12-17_18.csv';
export const SAMPLE_PV_FILE = 'nrel_serf_east_pv_1min_2022-03-18_19.csv';

/** Directory of the shipped sample (lib/sim/data), from the source tree or from dist/lib/sim. */
export function sampleDataDir(): string {
  const candidates = [path.join(__dirname, 'data'), path.resolve(__dirname, '../../../lib/sim/data')];
  for (const c of candidates) if (fs.existsSync(path.join(c, SAMPLE_LOAD_FILE))) return c;
  throw new Error(`sample data not found (looked in ${candidates.join(', ')})`);
}

// ---------------------------------------------------------------------------------------------
// Household
// ---------------------------------------------------------------------------------------------

export type PowerInput = Series | string | { file: string; column?: string | number; unit?: LoadSeriesOptions['unit'] } | number | ((t: number) => number);

export interface PhaseState {
  /** Net phase power, W: + import, − export. */
  powerW: number;
  /** V */
  voltage: number;
  /** A, signed like powerW. */
  current: number;
}

export interface HouseholdState {
  /** The instant, ms since epoch UTC. */
  t: number;
  /** House consumption, W ≥ 0. */
  loadW: number;
  /** PV production, W ≥ 0. */
  pvW: number;
  /** Sum of extra sources, W, + supplying the house (battery discharge). */
  sourcesW: number;
  /** Grid power, W: + import, − export. gridW = loadW − pvW − sourcesW. */
  gridW: number;
  /** L1, L2, L3. Their powerW sum to gridW. */
  phases: [PhaseState, PhaseState, PhaseState];
}

export type Split3 = [number, number, number];

export interface SourceOptions {
  name?: string;
  /** Fractions per phase (summing to 1). Default even over three phases. */
  split?: Split3;
}

export interface HouseholdOptions {
  clock?: Clock;
  /** Load: a CSV file (shipped sample by default), a Series, a constant W or a function of t. */
  load?: PowerInput;
  /** PV: as load; null for a house without PV. Default the shipped sample. */
  pv?: PowerInput | null;
  /** Multiply the load by this (default 1). */
  loadScale?: number;
  /** Multiply PV by this (default 1; e.g. kWp / 5 for the 5 kW NREL system). */
  pvScale?: number;
  /** Local time zone the recorded days are replayed in. Default Europe/Amsterdam. */
  timeZone?: string;
  /** Load split over L1/L2/L3. Default [0.4, 0.3, 0.3]. */
  loadSplit?: Split3;
  /** PV on L1 only (single-phase inverter) or spread evenly (default). */
  pvPhases?: 'L1' | 'all';
  /** Nominal phase voltage, V (default 230). */
  nominalVoltage?: number;
  /** Power factor used for currents (default 0.95). */
  powerFactor?: number;
  /** Deterministic noise, off by default: relative amplitudes (e.g. 0.03 = ±3 %). */
  noise?: { seed?: number; loadRel?: number; pvRel?: number };
}

type Fn = (t: number) => number;

const VOLTAGE_OFFSET: Split3 = [1.2, -0.4, 0.6];
const VOLT_PER_KW = 0.5;

function hashNoise(seed: number, sec: number, channel: number): number {
  // 32-bit integer mix (xorshift-multiply), mapped to [-1, 1).
  let h = (seed ^ Math.imul(sec | 0, 0x9e3779b1) ^ Math.imul(channel + 1, 0x85ebca6b)) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d) >>> 0;
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b) >>> 0;
  h ^= h >>> 16;
  return (h >>> 0) / 2 ** 31 - 1;
}

export class Household {
  readonly clock: Clock;
  readonly timeZone: string;
  /** The loaded series (undefined when the input was a constant or a function). */
  readonly loadSeries?: Series;
  readonly pvSeries?: Series;
  private readonly loadFn: Fn;
  private readonly pvFn: Fn;
  private readonly loadSplit: Split3;
  private readonly pvSplit: Split3;
  private readonly nominalV: number;
  private readonly pf: number;
  private readonly noise?: { seed: number; loadRel: number; pvRel: number };
  private readonly sources: Array<{ fn: Fn; split: Split3; name: string }> = [];

  constructor(opts: HouseholdOptions = {}) {
    this.clock = opts.clock ?? systemClock;
    this.timeZone = opts.timeZone ?? 'Europe/Amsterdam';
    utcOffsetMs(0, this.timeZone); // throws RangeError now for an unknown zone
    const load = this.input(opts.load === undefined ? path.join(sampleDataDir(), SAMPLE_LOAD_FILE) : opts.load);
    const pv = opts.pv === null ? { fn: () => 0 } : this.input(opts.pv === undefined ? path.join(sampleDataDir(), SAMPLE_PV_FILE) : opts.pv);
    this.loadSeries = load.series;
    this.pvSeries = pv.series;
    const ls = opts.loadScale ?? 1;
    const ps = opts.pvScale ?? 1;
    this.loadFn = (t) => Math.max(0, load.fn(t) * ls);
    this.pvFn = (t) => Math.max(0, pv.fn(t) * ps);
    this.loadSplit = normalizeSplit(opts.loadSplit ?? [0.4, 0.3, 0.3]);
    this.pvSplit = opts.pvPhases === 'L1' ? [1, 0, 0] : [1 / 3, 1 / 3, 1 / 3];
    this.nominalV = opts.nominalVoltage ?? 230;
    this.pf = opts.powerFactor ?? 0.95;
    if (opts.noise && ((opts.noise.loadRel ?? 0) > 0 || (opts.noise.pvRel ?? 0) > 0)) {
      this.noise = { seed: (opts.noise.seed ?? 1) >>> 0, loadRel: opts.noise.loadRel ?? 0, pvRel: opts.noise.pvRel ?? 0 };
    }
  }

  private input(inp: PowerInput): { fn: Fn; series?: Series } {
    if (typeof inp === 'number') return { fn: () => inp };
    if (typeof inp === 'function') return { fn: inp };
    const series = typeof inp === 'string' ? loadSeries(inp) : 'wall' in inp ? inp : loadSeries(inp.file, inp.column, { unit: inp.unit });
    return { fn: (t) => seriesValueAt(series, t, this.timeZone), series };
  }

  /**
   * Adds a power contributor, W with + = supplying the house (battery discharge reduces import),
   * − = consuming (battery charging, EV). Returns a function that removes it again.
   */
  addSource(fn: (t: number) => number, opts: SourceOptions = {}): () => void {
    const entry = { fn, split: normalizeSplit(opts.split ?? [1 / 3, 1 / 3, 1 / 3]), name: opts.name ?? `source${this.sources.length + 1}` };
    this.sources.push(entry);
    return () => {
      const i = this.sources.indexOf(entry);
      if (i >= 0) this.sources.splice(i, 1);
    };
  }

  get sourceCount(): number {
    return this.sources.length;
  }

  loadW(t = this.clock.now()): number {
    let w = this.loadFn(t);
    if (this.noise && this.noise.loadRel > 0) w = Math.max(0, w * (1 + this.noise.loadRel * hashNoise(this.noise.seed, Math.floor(t / 1000), 0)));
    return w;
  }

  pvW(t = this.clock.now()): number {
    let w = this.pvFn(t);
    if (this.noise && this.noise.pvRel > 0 && w > 0) w = Math.max(0, w * (1 + this.noise.pvRel * hashNoise(this.noise.seed, Math.floor(t / 1000), 1)));
    return w;
  }

  /** Net grid power only (cheaper than state()), W + import. */
  gridW(t = this.clock.now()): number {
    let s = 0;
    for (const src of this.sources) s += src.fn(t);
    return this.loadW(t) - this.pvW(t) - s;
  }

  state(t = this.clock.now()): HouseholdState {
    const loadW = this.loadW(t);
    const pvW = this.pvW(t);
    const p: Split3 = [0, 0, 0];
    let sourcesW = 0;
    for (let i = 0; i < 3; i++) p[i] = loadW * this.loadSplit[i] - pvW * this.pvSplit[i];
    for (const src of this.sources) {
      const w = src.fn(t);
      if (!Number.isFinite(w)) continue;
      sourcesW += w;
      for (let i = 0; i < 3; i++) p[i] -= w * src.split[i];
    }
    const phases = p.map((powerW, i) => {
      const voltage = this.nominalV + VOLTAGE_OFFSET[i] - (VOLT_PER_KW * powerW) / 1000;
      return { powerW, voltage, current: powerW / (voltage * this.pf) };
    }) as [PhaseState, PhaseState, PhaseState];
    return { t, loadW, pvW, sourcesW, gridW: loadW - pvW - sourcesW, phases };
  }

  /** One line per input, for logs and the CLI. */
  describe(): string[] {
    const d = (label: string, s?: Series) =>
      s ? `${label}: ${s.name} (${s.values.length} samples, ${Math.round(s.resolutionMs / 1000)} s resolution, ${s.days}-day cycle)` : `${label}: model`;
    return [d('load', this.loadSeries), d('pv', this.pvSeries)];
  }
}

function normalizeSplit(s: Split3): Split3 {
  const sum = s[0] + s[1] + s[2];
  if (!(sum > 0) || s.some((x) => x < 0 || !Number.isFinite(x))) throw new Error(`invalid phase split ${JSON.stringify(s)}`);
  return [s[0] / sum, s[1] / sum, s[2] / sum];
}
