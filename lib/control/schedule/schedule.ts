/**
 * Weekly time-mode schedule (the KSEM's Time Mode, CONTROL-ANCHORS §3.8): a weekday × hour table
 * (or weekday × quarter-hour) of modes or values, a default for empty cells, date exceptions
 * (holidays, away) and one-shot overrides. Pure: every function takes the instant `t` (ms UTC).
 *
 * Local time is DST-correct through Intl (lib/util/local-time.ts). Cell boundaries are found by
 * stepping over the UTC quarter-hour grid: every time zone in use has an offset that is a multiple
 * of 15 minutes, so every local hour and quarter starts on a UTC quarter. On a 23-hour day the
 * missing local hour's cell is skipped; on a 25-hour day the repeated hour's cell lasts two hours.
 */
import { describeValue } from '../../api/battery-setpoint';
import { localFields, validTimeZone } from '../../util/local-time';

/** A message value for an error text: text in quotes (cut at 40 characters), anything else described; never throws (circular, BigInt). */
export function quoted(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v) : describeValue(v);
}

export type ScheduleValue = string | number | boolean;
const QUARTER = 15 * 60_000;
/** How far ahead the next change is searched (a constant week repeats; 8 days covers every case). */
export const SCAN_MS = 8 * 24 * 3_600_000;
export const DAY_NAMES = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

export interface ScheduleException {
  /** First local date, "2026-12-25". */
  from: string;
  /** Last local date (inclusive); default `from`. */
  to?: string;
  /** A value for the whole day(s)… */
  value?: ScheduleValue;
  /** …or play the table of this weekday (0 = Monday … 6 = Sunday), e.g. 6 for a public holiday. */
  asDay?: number;
  /** Shown in `reason`, e.g. "Christmas", "away". */
  label?: string;
}

export interface ScheduleSpec {
  timeZone: string;
  /** 60 (24 cells a day) or 15 (96 cells a day). */
  cellMinutes: 60 | 15;
  /** 7 rows (Monday first) of 24 or 96 cells; null = the default. */
  table: Array<Array<ScheduleValue | null>>;
  default: ScheduleValue;
  exceptions: ScheduleException[];
}

export interface Override {
  value: ScheduleValue;
  /** ms; the override ends here. */
  until: number;
}

export type ValueSource = 'override' | 'exception' | 'table' | 'default';

export interface Resolved {
  value: ScheduleValue;
  source: ValueSource;
  /** Words for `reason`: "schedule Mon 07:00", "exception Christmas", "override". */
  reason: string;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** Checks a spec; returns the first problem as "table[2][5]: …" or undefined. */
export function checkSpec(s: ScheduleSpec): string | undefined {
  if (!validTimeZone(s.timeZone)) return `timeZone: "${s.timeZone}" is not a known time zone`;
  if (s.cellMinutes !== 60 && s.cellMinutes !== 15) return 'cellMinutes: must be 60 or 15';
  const cells = (24 * 60) / s.cellMinutes;
  if (!Array.isArray(s.table) || s.table.length !== 7) return 'table: must be 7 days (Monday first)';
  for (let d = 0; d < 7; d++) {
    const row = s.table[d];
    if (!Array.isArray(row) || row.length !== cells) return `table[${d}]: must have ${cells} cells`;
    for (let c = 0; c < cells; c++) if (!isValue(row[c]) && row[c] !== null) return `table[${d}][${c}]: must be text, a number, true/false or empty`;
  }
  if (!isValue(s.default)) return 'default: must be text, a number or true/false';
  if (!Array.isArray(s.exceptions)) return 'exceptions: must be a list';
  for (let i = 0; i < s.exceptions.length; i++) {
    const e = s.exceptions[i];
    if (!e || typeof e !== 'object') return `exceptions[${i}]: must be an object`;
    if (typeof e.from !== 'string' || !DATE.test(e.from)) return `exceptions[${i}].from: must be a date YYYY-MM-DD`;
    if (e.to !== undefined && (typeof e.to !== 'string' || !DATE.test(e.to) || e.to < e.from)) return `exceptions[${i}].to: must be a date YYYY-MM-DD, not before from`;
    const hasDay = e.asDay !== undefined;
    if (hasDay && !(Number.isInteger(e.asDay) && (e.asDay as number) >= 0 && (e.asDay as number) <= 6)) return `exceptions[${i}].asDay: must be 0 (Monday) … 6 (Sunday)`;
    if (!hasDay && !isValue(e.value)) return `exceptions[${i}]: needs a value or asDay`;
  }
  return undefined;
}

export function isValue(v: unknown): v is ScheduleValue {
  return (typeof v === 'string' && v !== '') || (typeof v === 'number' && Number.isFinite(v)) || typeof v === 'boolean';
}

/** An empty week table. */
export function emptyTable(cellMinutes: 60 | 15): Array<Array<ScheduleValue | null>> {
  return Array.from({ length: 7 }, () => Array.from({ length: (24 * 60) / cellMinutes }, () => null));
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

/** What the schedule says at `t` (ignoring overrides). */
export function scheduled(s: ScheduleSpec, t: number): Resolved {
  const f = localFields(t, s.timeZone);
  let day = f.weekday;
  for (const e of s.exceptions) {
    if (f.date < e.from || f.date > (e.to ?? e.from)) continue;
    if (e.asDay === undefined) return { value: e.value as ScheduleValue, source: 'exception', reason: `exception ${e.label ?? e.from}` };
    day = e.asDay;
    break;
  }
  const cell = Math.floor((f.hour * 60 + f.minute) / s.cellMinutes);
  const v = s.table[day][cell];
  const at = `${DAY_NAMES[day]} ${pad(f.hour)}:${pad(Math.floor(f.minute / s.cellMinutes) * s.cellMinutes)}`;
  if (v === null || v === undefined) return { value: s.default, source: 'default', reason: `schedule ${at} (default)` };
  return { value: v, source: 'table', reason: `schedule ${at}` };
}

/** What applies at `t`: an active override first, then the schedule. */
export function resolve(s: ScheduleSpec, t: number, o?: Override): Resolved {
  if (o && t < o.until) return { value: o.value, source: 'override', reason: 'override' };
  return scheduled(s, t);
}

/**
 * The next instant after `t` at which the scheduled value changes (a "boundary"), or t + SCAN_MS
 * when nothing changes that far ahead (a constant schedule). Overrides are not looked at.
 */
export function nextChange(s: ScheduleSpec, t: number): number {
  const v = scheduled(s, t).value;
  const end = t + SCAN_MS;
  for (let q = Math.floor(t / QUARTER) * QUARTER + QUARTER; q <= end; q += QUARTER) if (scheduled(s, q).value !== v) return q;
  return end;
}

export interface Emission {
  value: ScheduleValue;
  source: ValueSource;
  reason: string;
  /** ms: the next boundary (the value holds until then). */
  until: number;
}

/** The value at `t` and until when it holds, an override's end included. */
export function current(s: ScheduleSpec, t: number, o?: Override): Emission {
  const r = resolve(s, t, o);
  if (r.source === 'override' && o) return { ...r, until: o.until };
  return { ...r, until: nextChange(s, t) };
}

/** An override's end from a message: ms, ISO text, or "next" / absent = the schedule's next boundary. */
export function overrideUntil(s: ScheduleSpec, t: number, until: unknown): number | { error: string } {
  if (until === undefined || until === null || until === 'next') return nextChange(s, t);
  let ms: number;
  if (typeof until === 'number') ms = until;
  else if (typeof until === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(until)) ms = Date.parse(until);
  else return { error: `until: must be a time (ms or ISO 8601 with offset) or "next", got ${quoted(until)}` };
  if (!Number.isFinite(ms)) return { error: `until: ${quoted(until)} is not a valid time` };
  if (ms <= t) return { error: 'until: lies in the past' };
  return ms;
}

export interface Interval {
  from: number;
  to: number;
  value: ScheduleValue;
  source: ValueSource;
}

/** The runs of equal values from `t` for `spanMs` (default 7 days), an override included. */
export function upcoming(s: ScheduleSpec, t: number, o?: Override, spanMs = 7 * 24 * 3_600_000): Interval[] {
  const out: Interval[] = [];
  const end = t + spanMs;
  let at = t;
  while (at < end) {
    const e = current(s, at, o);
    const to = Math.min(e.until, end);
    const last = out[out.length - 1];
    if (last && last.value === e.value && last.source === e.source) last.to = to;
    else out.push({ from: at, to, value: e.value, source: e.source });
    at = to;
  }
  return out;
}
