/**
 * Scenario of the zero-export benchmark: which recorded days are replayed, how load and PV are aligned,
 * and the per-second household profile every contender sees.
 *
 * Time: the simulation runs in Europe/Paris local time (TIME_ZONE). The load file's own local timestamps
 * are its calendar: --from DATE is local midnight of that date in the load file, the default is the load
 * file's first full day. The load is replayed at its own dates (minute values held, not interpolated), the
 * PV file at the same local time of day in its own local time (as written in the file, e.g. UTC−7 for
 * the NREL files). When the PV file covers other dates, its days are cycled over its own span (the
 * household model's rule, lib/sim/household.ts seriesPosition); the same applies to a load file shorter
 * than the run. PV is interpolated linearly between its samples, clipped at 0 and scaled by --pv-scale.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BenchUsageError as UsageError } from '../options';
import { DAY_MS, interpolate, loadSeries, localWallMs, seriesPosition, wallToUtcMs, type Series } from '../../lib/sim/household';
import { APPLIANCE_RULE, applianceTrace, type ApplianceSummary } from './appliances';

export const TIME_ZONE = 'Europe/Paris';

/** A household profile on a 1-s grid. Load is a step function (constant within each second, plus the optional step); PV is linear between seconds. */
export interface Profile {
  /** UTC ms of the first instant. */
  startMs: number;
  durationMs: number;
  /** Load W of each second [s, s+1) of the run (recorded value + appliance events + noise, ≥ 0). */
  load: Float64Array;
  /** The recorded load alone (held minute values), W per second, when the profile comes from a file. */
  base?: Float64Array;
  /** PV W at the start of each second, length seconds + 1 (the last one closes the run). */
  pv: Float64Array;
  /** Optional extra load step: +stepW from stepAtMs (relative) on. */
  stepAtMs?: number;
  stepW?: number;
}

/** Load W at relative time ms (right-continuous). */
export function loadAt(p: Profile, ms: number): number {
  const s = Math.min(p.load.length - 1, Math.floor(ms / 1000));
  const w = p.load[s];
  return p.stepAtMs !== undefined && ms >= p.stepAtMs ? w + (p.stepW ?? 0) : w;
}

/** PV W at relative time ms (linear within each second). */
export function pvAt(p: Profile, ms: number): number {
  const s = Math.floor(ms / 1000);
  const last = p.pv.length - 1;
  if (s >= last) return p.pv[last];
  const f = (ms - s * 1000) / 1000;
  return f === 0 ? p.pv[s] : p.pv[s] + (p.pv[s + 1] - p.pv[s]) * f;
}

/** Net load (load − PV) W at the start of every second. */
export function netLoadPerSecond(p: Profile): Float64Array {
  const out = new Float64Array(p.load.length);
  for (let s = 0; s < out.length; s++) out[s] = loadAt(p, s * 1000) - p.pv[s];
  return out;
}

export { parseFileSpec, type FileSpec } from '../options';
import { parseFileSpec } from '../options';

/** Loads a series for --load / --pv; missing file, unknown column or unreadable data → UsageError. */
export function openSeries(option: 'load' | 'pv', spec: string): Series {
  const { file, column } = parseFileSpec(spec);
  if (!fs.existsSync(file) || !fs.statSync(file).isFile()) throw new UsageError(`--${option}: file not found: ${file}`);
  try {
    return loadSeries(file, column);
  } catch (e) {
    throw new UsageError(`--${option}: ${(e as Error).message}`);
  }
}

/** Held (not interpolated) value of the series at wall position p: the last sample at or before p. */
export function holdAt(s: Series, p: number): number {
  const w = s.wall;
  if (p <= w[0]) return s.values[0];
  let lo = 0;
  let hi = w.length - 1;
  if (p >= w[hi]) return s.values[hi];
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (w[mid] <= p) lo = mid;
    else hi = mid;
  }
  return s.values[lo];
}

const isoDate = (wall: number): string => new Date(Math.floor(wall / DAY_MS) * DAY_MS).toISOString().slice(0, 10);
const isoMinute = (wall: number): string => new Date(wall).toISOString().slice(0, 16);

export interface ScenarioOptions {
  load: string;
  pv: string;
  /** YYYY-MM-DD or YYYY-MM-DDTHH:MM, local time of the load file. */
  from?: string;
  days: number;
  /** Overrides days. */
  hours?: number;
  pvScale: number;
  seed: number;
}

export interface SeriesInfo {
  file: string;
  column: string;
  resolutionS: number;
  /** First and last sample, local time as written in the file. */
  first: string;
  last: string;
  days: number;
}

export interface ScenarioData {
  timeZone: string;
  start: string;
  end: string;
  startMs: number;
  durationS: number;
  load: SeriesInfo & { replay: string; cycled: boolean };
  pv: SeriesInfo & { scale: number; replay: string; cycled: boolean };
  /** For each simulated local date: the load and PV dates replayed (at noon, or at the start of a partial day). */
  dates: Array<{ date: string; load: string; pv: string }>;
  /** The alignment/cycling statement. */
  alignment: string;
  appliances: { seed: number; rule: string[] } & ApplianceSummary;
  /** Mean W over the run. */
  means: { recordedLoadW: number; loadW: number; pvW: number };
}

function info(s: Series): SeriesInfo {
  return {
    file: path.basename(s.file),
    column: s.column,
    resolutionS: Math.round(s.resolutionMs / 1000),
    first: isoMinute(s.wall[0]),
    last: isoMinute(s.wall[s.wall.length - 1]),
    days: s.days,
  };
}

/** Parses --from; returns local wall ms. */
export function parseFrom(text: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2}))?$/.exec(text.trim());
  if (!m) throw new UsageError(`--from must be YYYY-MM-DD or YYYY-MM-DDTHH:MM, got ${JSON.stringify(text)}`);
  const [y, mo, d, h, mi] = [+m[1], +m[2], +m[3], m[4] ? +m[4] : 0, m[5] ? +m[5] : 0];
  const wall = Date.UTC(y, mo - 1, d, h, mi);
  const back = new Date(wall);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d || h > 23 || mi > 59) {
    throw new UsageError(`--from: not a valid date/time: ${JSON.stringify(text)}`);
  }
  return wall;
}

/** Builds the profile of a recorded-data scenario. */
export function buildScenario(o: ScenarioOptions): { profile: Profile; data: ScenarioData } {
  const load = openSeries('load', o.load);
  const pv = openSeries('pv', o.pv);
  const firstDay = Math.floor(load.wall[0] / DAY_MS);
  const lastDay = Math.floor(load.wall[load.wall.length - 1] / DAY_MS);
  let wallStart: number;
  if (o.from !== undefined) {
    wallStart = parseFrom(o.from);
    const day = Math.floor(wallStart / DAY_MS);
    if (day < firstDay || day > lastDay) {
      throw new UsageError(`--from ${o.from} is outside the load file (${isoDate(load.wall[0])} … ${isoDate(load.wall[load.wall.length - 1])})`);
    }
  } else {
    // First full day: the first local midnight at or after the first sample (within one sample period).
    wallStart = load.wall[0] - firstDay * DAY_MS <= load.resolutionMs ? firstDay * DAY_MS : (firstDay + 1) * DAY_MS;
    if (wallStart / DAY_MS > lastDay) wallStart = firstDay * DAY_MS;
  }
  const startMs = wallToUtcMs(wallStart, TIME_ZONE);
  let durationMs: number;
  if (o.hours !== undefined) durationMs = Math.round(o.hours * 3600) * 1000;
  else durationMs = wallToUtcMs(wallStart + o.days * DAY_MS, TIME_ZONE) - startMs;
  if (!(durationMs >= 60_000)) throw new UsageError('the run must last at least 60 s (--hours / --days)');
  const seconds = Math.round(durationMs / 1000);
  durationMs = seconds * 1000;

  const base = new Float64Array(seconds);
  const pvW = new Float64Array(seconds + 1);
  const hour = new Uint8Array(seconds);
  const dates = new Map<string, { load: string; pv: string }>();
  for (let s = 0; s <= seconds; s++) {
    const wall = localWallMs(startMs + s * 1000, TIME_ZONE);
    pvW[s] = Math.max(0, interpolate(pv, seriesPosition(pv, wall))) * o.pvScale;
    if (s === seconds) break;
    const lp = seriesPosition(load, wall);
    base[s] = Math.max(0, holdAt(load, lp));
    hour[s] = Math.floor((wall - Math.floor(wall / DAY_MS) * DAY_MS) / 3_600_000);
    const date = isoDate(wall);
    const tod = wall - Math.floor(wall / DAY_MS) * DAY_MS;
    const probe = !dates.has(date) || tod === 12 * 3_600_000;
    if (probe && dates.size < 400) dates.set(date, { load: isoDate(lp), pv: isoDate(seriesPosition(pv, wall)) });
  }
  const trace = applianceTrace(seconds, o.seed, (s) => hour[Math.min(seconds - 1, s)]);
  const loadW = new Float64Array(seconds);
  let sumBase = 0;
  let sumLoad = 0;
  let sumPv = 0;
  for (let s = 0; s < seconds; s++) {
    loadW[s] = Math.max(0, base[s] + trace.extra[s]);
    sumBase += base[s];
    sumLoad += loadW[s];
    sumPv += pvW[s];
  }
  const dateList = [...dates.entries()].map(([date, v]) => ({ date, ...v }));
  const pvCycled = dateList.some((d) => d.pv !== d.date);
  const loadCycled = dateList.some((d) => d.load !== d.date);
  const li = info(load);
  const pi = info(pv);
  const parts: string[] = [];
  if (!pvCycled) parts.push('PV and load cover the simulated dates: both are replayed at their own timestamps.');
  else {
    parts.push(
      `The PV file (${pi.first.slice(0, 10)} … ${pi.last.slice(0, 10)}, ${pi.days}-day cycle) and the load file cover different dates: ` +
        `PV is aligned to the load by local time of day (the PV file's own local time is read as ${TIME_ZONE} wall time) ` +
        `and its days are cycled over its own span (simulated day k uses PV day (k − first PV day) mod ${pi.days}; a time of day the chosen PV day does not cover is taken from the nearest day that does).`,
    );
  }
  if (loadCycled) parts.push(`The run is longer than the load file (${li.days} days): the load's days are cycled the same way.`);
  const r1 = (x: number): number => Math.round(x * 10) / 10;
  const data: ScenarioData = {
    timeZone: TIME_ZONE,
    start: isoMinute(localWallMs(startMs, TIME_ZONE)),
    end: isoMinute(localWallMs(startMs + durationMs, TIME_ZONE)),
    startMs,
    durationS: seconds,
    load: { ...li, replay: 'minute values held (not interpolated), at the load file\'s own local dates', cycled: loadCycled },
    pv: { ...pi, scale: o.pvScale, replay: 'linear interpolation between samples, negatives clipped to 0, × scale', cycled: pvCycled },
    dates: dateList,
    alignment: parts.join(' '),
    appliances: { seed: o.seed, rule: APPLIANCE_RULE, ...trace.summary },
    means: { recordedLoadW: r1(sumBase / seconds), loadW: r1(sumLoad / seconds), pvW: r1(sumPv / seconds) },
  };
  return { profile: { startMs, durationMs, load: loadW, base, pv: pvW }, data };
}

/** The settle test: constant 300 W, no PV, +1000 W at 120.3 s, long enough to see a 10-s window start up to 120 s after the step. */
export const STEP = { baseW: 300, stepW: 1000, atMs: 120_300, holdS: 10, maxS: 120, bandW: 25 } as const;

export function stepProfile(startMs: number): Profile {
  const seconds = Math.ceil((STEP.atMs + (STEP.maxS + STEP.holdS) * 1000) / 1000) + 1;
  return {
    startMs,
    durationMs: seconds * 1000,
    load: new Float64Array(seconds).fill(STEP.baseW),
    pv: new Float64Array(seconds + 1),
    stepAtMs: STEP.atMs,
    stepW: STEP.stepW,
  };
}
