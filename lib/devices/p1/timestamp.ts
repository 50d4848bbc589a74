/**
 * DSMR time stamps (p1-dsmr.md §2.5): `YYMMDDhhmmssS/W`, 12 digits in local time, COSEM hex
 * date-time, placeholders. Integer arithmetic and cached ISO text pieces, no Date object on the hot
 * path.
 */
import { Ch } from './chars';
import { hexByte, hexVal } from './values';

/** The DST flag after a time stamp: S = summer (UTC+2), W = winter (UTC+1), lower-cased. */
const FLAG_SUMMER = Ch.LC_S;
const FLAG_WINTER = Ch.LC_W;

/** COSEM date-time "not specified" values and the clock-status DST bit (§2.5, §2.10 #17). */
const COSEM_UNSET_YEAR = 0xffff;
const COSEM_UNSET_DEVIATION = 0x8000;
const COSEM_UNSET_STATUS = 0xff;
const COSEM_STATUS_DST = 0x80;

const MS_H = 3600000;
const MS_D = 86400000;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysIn(y: number, m: number): number {
  if (m === 2 && (y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0))) return 29;
  return DAYS_IN_MONTH[m - 1];
}

/** Days since 1970-01-01 of a proleptic Gregorian date (integer arithmetic, no Date object). */
function daysFromCivil(y: number, m: number, d: number): number {
  if (m <= 2) y -= 1;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m > 2 ? m - 3 : m + 9) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

const P2: string[] = [];
for (let i = 0; i < 100; i++) P2.push(i < 10 ? '0' + i : String(i));

/** `YYYY-MM-DDT` for a day number (days since 1970-01-01), via the inverse of daysFromCivil. */
function dayText(days: number): string {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  return y + '-' + P2[m] + '-' + P2[d] + 'T';
}

// ISO text is assembled from cached pieces: the date part per day (bounded map), `hh:mm` per minute of the day
// and `:ss.000Z` per second. Converting a time stamp then costs two look-ups and two concatenations.
const DAY_TEXT = new Map<number, string>();
const HM_TEXT: string[] = [];
for (let i = 0; i < 1440; i++) HM_TEXT.push(P2[(i / 60) | 0] + ':' + P2[i % 60]);
const SZ_TEXT: string[] = [];
for (let i = 0; i < 60; i++) SZ_TEXT.push(':' + P2[i] + '.000Z');
const MIN_DAY = 0; // 1970-01-01
const MAX_DAY = 2932896; // 9999-12-31

/** ISO 8601 UTC text for whole seconds given as day number + second of the day (0..86399). */
function isoDaySec(days: number, sec: number): string {
  if (days < MIN_DAY || days > MAX_DAY) return new Date(days * MS_D + sec * 1000).toISOString();
  let dt = DAY_TEXT.get(days);
  if (dt === undefined) {
    if (DAY_TEXT.size >= 2048) DAY_TEXT.clear();
    dt = dayText(days);
    DAY_TEXT.set(days, dt);
  }
  const m = (sec / 60) | 0;
  return dt + HM_TEXT[m] + SZ_TEXT[sec - m * 60];
}

/** UTC ms → `YYYY-MM-DDThh:mm:ss.sssZ` (same text as Date#toISOString). */
function isoFromMs(ms: number): string {
  const days = Math.floor(ms / MS_D);
  const rem = ms - days * MS_D;
  if (rem % 1000 !== 0 || days < MIN_DAY || days > MAX_DAY) return new Date(ms).toISOString();
  return isoDaySec(days, rem / 1000);
}

/** UTC ms of 01:00 UTC on the last Sunday of the given month (1-based), the EU DST switch moment. */
function euSwitch(y: number, m: number): number {
  const last = daysFromCivil(y, m, 31);
  const dow = (((last + 4) % 7) + 7) % 7; // 1970-01-01 was a Thursday (4)
  return (last - dow) * MS_D + MS_H;
}

/**
 * Europe/Amsterdam = Europe/Brussels local wall-clock → UTC ms, using the EU rule (CET = UTC+1,
 * CEST = UTC+2 from the last Sunday of March 01:00 UTC to the last Sunday of October 01:00 UTC).
 * The repeated hour at the end of DST resolves to its FIRST occurrence (CEST); a time inside the spring-forward
 * gap (which does not exist on the wall clock) is read with the winter offset.
 */
function localToUtc(y: number, mo: number, d: number, h: number, mi: number, s: number): number {
  const local = daysFromCivil(y, mo, d) * MS_D + h * MS_H + mi * 60000 + s * 1000;
  const summer = local - 2 * MS_H;
  if (summer >= euSwitch(y, 3) && summer < euSwitch(y, 10)) return summer;
  return local - MS_H;
}

/** Set by tsParse: `placeholder` is true when the last null result came from a known placeholder value. */
export const tsScratch = { placeholder: false };

function twoDigits(s: string, i: number): number {
  const a = s.charCodeAt(i) - Ch.D0;
  const b = s.charCodeAt(i + 1) - Ch.D0;
  if (a < 0 || a > 9 || b < 0 || b > 9) return -1;
  return a * 10 + b;
}

function isPlaceholderDigits(s: string): boolean {
  // 000101000000 / 000101000001 (clock not set, unused slot), 700101010000 (empty M-Bus channel),
  // 632525252525 (Fluvius "no value"), all §2.5; digits only, the S/W flag does not matter.
  const c0 = s.charCodeAt(0);
  if (c0 === Ch.D0) {
    // also 000000000000 (all-zero clock, e.g. wassasin mcs.txt)
    return (s.startsWith('00010100000') && (s.charCodeAt(11) === Ch.D0 || s.charCodeAt(11) === Ch.D1)) || s.startsWith('000000000000');
  }
  if (c0 === Ch.D7) return s.startsWith('700101010000');
  if (c0 === Ch.D6) return s.startsWith('632525252525');
  return false;
}

export function tsParse(s: string): string | null {
  tsScratch.placeholder = false;
  const n = s.length;
  if (n === 12 || n === 13) {
    let flag = 0;
    if (n === 13) {
      flag = s.charCodeAt(12) | Ch.LOWER;
      if (flag !== FLAG_SUMMER && flag !== FLAG_WINTER) return null;
    }
    const yy = twoDigits(s, 0);
    const mo = twoDigits(s, 2);
    const d = twoDigits(s, 4);
    const h = twoDigits(s, 6);
    const mi = twoDigits(s, 8);
    const se = twoDigits(s, 10);
    if (yy < 0 || mo < 0 || d < 0 || h < 0 || mi < 0 || se < 0) return null;
    if (isPlaceholderDigits(s)) {
      tsScratch.placeholder = true;
      return null;
    }
    const y = 2000 + yy;
    if (mo < 1 || mo > 12 || d < 1 || d > daysIn(y, mo) || h > 23 || mi > 59 || se > 59) return null;
    if (flag === 0) return isoFromMs(localToUtc(y, mo, d, h, mi, se));
    // S: summer time, UTC+2; W: winter time, UTC+1
    let days = daysFromCivil(y, mo, d);
    let sec = h * 3600 + mi * 60 + se - (flag === FLAG_SUMMER ? 7200 : 3600);
    if (sec < 0) {
      sec += 86400;
      days--;
    }
    return isoDaySec(days, sec);
  }
  if (n === 24) return cosemDateTime(s);
  return null;
}

/**
 * COSEM date-time octet string as 24 hex chars (§2.5, §2.10 #17): year(2) month day weekday hour minute
 * second hundredths deviation(2, signed minutes, UTC = local + deviation) clock-status.
 */
function cosemDateTime(s: string): string | null {
  const yH = hexByte(s, 0);
  const yL = hexByte(s, 2);
  const mo = hexByte(s, 4);
  const d = hexByte(s, 6);
  const h = hexByte(s, 10);
  const mi = hexByte(s, 12);
  const se = hexByte(s, 14);
  const hs = hexByte(s, 16);
  const dH = hexByte(s, 18);
  const dL = hexByte(s, 20);
  const st = hexByte(s, 22);
  if ((yH | yL | mo | d | h | mi | se | hs | dH | dL | st) < 0 || hexByte(s, 8) < 0) return null;
  const y = (yH << 8) | yL;
  if (y === COSEM_UNSET_YEAR || y < 1970 || y > 2200) return null;
  if (mo < 1 || mo > 12 || d < 1 || d > daysIn(y, mo) || h > 23 || mi > 59 || se > 59) return null;
  const ms0 = daysFromCivil(y, mo, d) * MS_D + h * MS_H + mi * 60000 + se * 1000 + (hs <= 99 ? hs * 10 : 0);
  let dev = (dH << 8) | dL;
  let ms: number;
  if (dev === COSEM_UNSET_DEVIATION) {
    // deviation not specified: DST bit (0x80) of the clock status when given, else the zone rules
    if (st !== COSEM_UNSET_STATUS) ms = ms0 - ((st & COSEM_STATUS_DST) !== 0 ? 2 : 1) * MS_H;
    else ms = localToUtc(y, mo, d, h, mi, se) + (hs <= 99 ? hs * 10 : 0);
  } else {
    if (dev & COSEM_UNSET_DEVIATION) dev -= 0x10000; // signed 16-bit
    if (dev < -780 || dev > 780) return null;
    ms = ms0 + dev * 60000;
  }
  return isoFromMs(ms);
}

/**
 * DSMR time stamp → ISO 8601 UTC, or null.
 *  - `YYMMDDhhmmssS` → UTC+2, `…W` → UTC+1 (the flag also disambiguates the repeated autumn hour);
 *  - 12 digits without flag → Europe/Amsterdam/Brussels local time by the EU zone rules;
 *  - 24 hex digits → COSEM date-time;
 *  - placeholders (000101000000W, 000101000001W, 700101010000W, 632525252525W) and impossible dates → null.
 * Never throws.
 */
export function parseTimestamp(s: string): string | null {
  try {
    if (typeof s !== 'string') return null;
    return tsParse(s);
  } catch {
    return null;
  }
}

/** Time-stamp-shaped group (12 digits, 12 digits + S/W, or 24 hex): used to sniff group types (§2.10 #13). */
export function isTsLike(s: string): boolean {
  const n = s.length;
  if (n === 13) {
    // a number never ends in S/W (units follow a '*'), so the flag alone identifies a time stamp;
    // tsParse validates the digits
    const f = s.charCodeAt(12) | Ch.LOWER;
    return f === FLAG_SUMMER || f === FLAG_WINTER;
  } else if (n === 24) {
    for (let i = 0; i < 24; i++) if (hexVal(s.charCodeAt(i)) < 0) return false;
    return true;
  } else if (n !== 12) return false;
  for (let i = 0; i < 12; i++) {
    const c = s.charCodeAt(i);
    if (c < Ch.D0 || c > Ch.D9) return false;
  }
  return true;
}
