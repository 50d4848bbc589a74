/**
 * Local wall-clock time in an IANA time zone (DST-correct through Intl), for the simulators'
 * replay, weekday × hour tables (time modes, tariffs) and billing months. Pure: the instant is
 * passed in. Offsets are cached per quarter-hour (time zones change offset on quarter-hours at most).
 */
const formatters = new Map<string, Intl.DateTimeFormat>();
const offsetCache = new Map<string, number>();
const OFFSET_BUCKET_MS = 15 * 60_000;

/** UTC offset (ms, local − UTC) of an IANA time zone at instant t. Offsets change on quarter-hours at most. */
export function utcOffsetMs(t: number, timeZone: string): number {
  if (timeZone === 'UTC' || timeZone === 'Etc/UTC') return 0;
  const bucket = Math.floor(t / OFFSET_BUCKET_MS);
  const key = `${timeZone}|${bucket}`;
  const hit = offsetCache.get(key);
  if (hit !== undefined) return hit;
  let fmt = formatters.get(timeZone);
  if (!fmt) {
    fmt = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, fmt);
  }
  const at = bucket * OFFSET_BUCKET_MS;
  const p: Record<string, number> = {};
  for (const part of fmt.formatToParts(new Date(at))) if (part.type !== 'literal') p[part.type] = Number(part.value);
  const wall = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  const off = Math.round((wall - at) / 60_000) * 60_000;
  if (offsetCache.size > 20_000) offsetCache.clear();
  offsetCache.set(key, off);
  return off;
}

/** Local wall-clock time of t in timeZone, as ms "as if the local time were UTC". */
export function localWallMs(t: number, timeZone: string): number {
  return t + utcOffsetMs(t, timeZone);
}

/** Inverse of localWallMs (for a repeated hour the earlier instant, for a skipped one the later). */
export function wallToUtcMs(wall: number, timeZone: string): number {
  const guess = wall - utcOffsetMs(wall, timeZone);
  const t = wall - utcOffsetMs(guess, timeZone);
  const early = wall - utcOffsetMs(t - 3_600_000, timeZone);
  return localWallMs(early, timeZone) === wall && early < t ? early : t;
}

export interface LocalFields {
  /** 0 = Monday … 6 = Sunday. */
  weekday: number;
  hour: number;
  minute: number;
  /** "2026-03-29" */
  date: string;
}

/** The local weekday (Monday = 0), hour, minute and date of `t` in `timeZone`. Throws RangeError for an unknown zone. */
export function localFields(t: number, timeZone: string): LocalFields {
  const d = new Date(localWallMs(t, timeZone));
  return { weekday: (d.getUTCDay() + 6) % 7, hour: d.getUTCHours(), minute: d.getUTCMinutes(), date: d.toISOString().slice(0, 10) };
}

/** True when `timeZone` is a zone this runtime knows. */
export function validTimeZone(timeZone: string): boolean {
  try {
    utcOffsetMs(0, timeZone);
    return true;
  } catch {
    return false;
  }
}
