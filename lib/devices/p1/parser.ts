/**
 * DSMR / e-MUCS P1 telegram parser (NL DSMR 2.2, 3.0, 4.x, 5.0.x; BE e-MUCS; LU Smarty; and tolerant of
 * other national variants). Reference: shared/protocols/p1-dsmr.md Part 2 (grammar §2.3, CRC §2.4,
 * timestamps §2.5, OBIS table §2.6, NL/BE §2.7, malformed input §2.10, design §2.11).
 *
 * Design (all our own code):
 *  - the input is reduced to 7-bit characters (every byte masked with 0x7F, §2.1 "practical framing advice");
 *  - one pass over the lines with a char scanner (no regular expression per line); every data line becomes a
 *    `P1Object` (raw groups) and, when the OBIS id is known, a typed value;
 *  - the CRC-16/ARC is computed over the ORIGINAL characters from '/' up to and including '!' (§2.4);
 *  - `parseTelegram` never throws: bad lines land in `warnings`, the rest of the telegram still parses.
 *
 * Frame boundaries use the same rules as `P1Framer` (framer.ts) so that a frame cut by the framer and the
 * span the parser checksums are identical: the header is the first '/' at the start of a line (else the first
 * '/' anywhere), and the telegram ends at the first '!' that is outside parentheses (depth 0 on its line).
 */
import { isAscii } from 'buffer';
import { crc16Arc, crcHex } from './crc';
import type { P1MbusDevice, P1Object, P1Profile, P1Telegram } from './types';
import type { CapacityHistoryEntry, CapacityValues, EnergyCounters, PhaseValues } from '../../api/types';

const MAX_WARNINGS = 50;
const POW10: number[] = [];
for (let i = 0, p = 1; i <= 22; i++, p *= 10) POW10.push(p);

// ---------------------------------------------------------------------------------------------------------
// Number scanning. Results of the last scanNumber() call live in module-level scratch variables so that the
// hot path allocates nothing per value. Values are kept as an integer mantissa + decimal count, which makes
// kWh→Wh and kW→W exact (`000004.426` kWh → 4426 Wh, §2.3).
// ---------------------------------------------------------------------------------------------------------
let numMant = 0;
let numDec = 0;
let numNeg = false;
/** Index in the scanned string where the unit starts (after '*'), or -1 when there is none. */
let numUnitAt = -1;

/** Parses `[+-]digits[.digits][*unit]`. Returns false when the text is not of that shape. */
function scanNumber(s: string): boolean {
  const n = s.length;
  if (n === 0) return false;
  let i = 0;
  let c = s.charCodeAt(0);
  let neg = false;
  if (c === 45 || c === 43) {
    neg = c === 45;
    i = 1;
  }
  let mant = 0;
  let dec = 0;
  let digits = 0;
  let dot = false;
  for (; i < n; i++) {
    c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      mant = mant * 10 + (c - 48);
      digits++;
      if (dot) dec++;
    } else if (c === 46 && !dot) {
      dot = true;
    } else break;
  }
  if (digits === 0 || dec > 20) return false;
  if (i < n) {
    if (c !== 42 /* '*' */ || i + 1 >= n) return false;
    numUnitAt = i + 1;
  } else numUnitAt = -1;
  numMant = mant;
  numDec = dec;
  numNeg = neg;
  return true;
}

const U_NONE = 0;
const U_OTHER = 1;
const U_W = 2;
const U_KW = 3;
const U_WH = 4;
const U_KWH = 5;
const U_MWH = 6;
const U_V = 7;
const U_A = 8;
const U_M3 = 9;
const U_GJ = 10;
const U_S = 11;
const U_VA = 12;
const U_KVA = 13;

/** Unit of the last scanned number, case-insensitive, without allocating. */
function unitOf(s: string): number {
  const st = numUnitAt;
  if (st < 0) return U_NONE;
  const len = s.length - st;
  const c0 = s.charCodeAt(st) | 0x20;
  if (len === 1) {
    if (c0 === 0x77) return U_W;
    if (c0 === 0x76) return U_V;
    if (c0 === 0x61) return U_A;
    if (c0 === 0x73) return U_S;
    return U_OTHER;
  }
  const c1 = s.charCodeAt(st + 1) | 0x20;
  if (len === 2) {
    if (c0 === 0x6b && c1 === 0x77) return U_KW;
    if (c0 === 0x77 && c1 === 0x68) return U_WH;
    if (c0 === 0x6d && c1 === 0x33) return U_M3;
    if (c0 === 0x67 && c1 === 0x6a) return U_GJ;
    if (c0 === 0x76 && c1 === 0x61) return U_VA;
    return U_OTHER;
  }
  if (len === 3) {
    const c2 = s.charCodeAt(st + 2) | 0x20;
    if (c1 === 0x77 && c2 === 0x68) {
      if (c0 === 0x6b) return U_KWH;
      if (c0 === 0x6d) return U_MWH;
    }
    if (c0 === 0x6b && c1 === 0x76 && c2 === 0x61) return U_KVA;
  }
  return U_OTHER;
}

/** Last scanned number × 1000, as an exact integer (rounded when it has more than 3 decimals). */
function numMilli(): number {
  const d = numDec;
  const v = d <= 3 ? numMant * POW10[3 - d] : Math.round(numMant / POW10[d - 3]);
  return numNeg && v !== 0 ? -v : v;
}

/** Last scanned number as a double (mantissa / 10^dec is correctly rounded, equal to parseFloat). */
function numPlain(): number {
  const v = numDec === 0 ? numMant : numMant / POW10[numDec];
  return numNeg && v !== 0 ? -v : v;
}

/** Energy in Wh; kWh (or no unit, DSMR default) ×1000, Wh as is. null when not a number or unknown unit. */
function energyWh(s: string): number | null {
  if (!scanNumber(s)) return null;
  switch (unitOf(s)) {
    case U_KWH:
    case U_NONE:
      return numMilli();
    case U_WH:
      return Math.round(numPlain());
    case U_MWH:
      return numMilli() * 1000;
    default:
      return null;
  }
}

/** Power in W; kW (or no unit, DSMR default) ×1000, W as is. */
function powerW(s: string): number | null {
  if (!scanNumber(s)) return null;
  switch (unitOf(s)) {
    case U_KW:
    case U_NONE:
      return numMilli();
    case U_W:
      return Math.round(numPlain());
    default:
      return null;
  }
}

/** Plain number when the unit is `want` or absent. */
function numberIn(s: string, want: number): number | null {
  if (!scanNumber(s)) return null;
  const u = unitOf(s);
  if (u !== want && u !== U_NONE) return null;
  return numPlain();
}

/** First run of digits anywhere in the text ("0002" → 2, "TARIFF 1" → 1), or null. */
function digitsIn(s: string): number | null {
  const n = s.length;
  let i = 0;
  while (i < n) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) break;
    i++;
  }
  if (i === n) return null;
  let v = 0;
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) break;
    v = v * 10 + (c - 48);
  }
  return v;
}

function isUInt(s: string): boolean {
  const n = s.length;
  if (n === 0 || n > 9) return false;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

function hexVal(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  c |= 0x20;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

/**
 * Hex-encoded octets → ASCII when every pair is printable (0x20..0x7E), otherwise the text as sent (§2.3).
 * Empty → null.
 */
export function hexText(s: string): string | null {
  const n = s.length;
  if (n === 0) return null;
  if (n & 1) return s;
  let out = '';
  for (let i = 0; i < n; i += 2) {
    const h = hexVal(s.charCodeAt(i));
    const l = hexVal(s.charCodeAt(i + 1));
    if (h < 0 || l < 0) return s;
    const c = (h << 4) | l;
    if (c < 0x20 || c > 0x7e) return s;
    out += CHR[c];
  }
  return out;
}

const CHR: string[] = [];
for (let i = 0; i < 128; i++) CHR.push(String.fromCharCode(i));

// ---------------------------------------------------------------------------------------------------------
// Timestamps (§2.5)
// ---------------------------------------------------------------------------------------------------------
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

/** Set by tsParse: true when the last null result came from a known placeholder value. */
let tsPlaceholder = false;

function twoDigits(s: string, i: number): number {
  const a = s.charCodeAt(i) - 48;
  const b = s.charCodeAt(i + 1) - 48;
  if (a < 0 || a > 9 || b < 0 || b > 9) return -1;
  return a * 10 + b;
}

function hexByte(s: string, i: number): number {
  const h = hexVal(s.charCodeAt(i));
  const l = hexVal(s.charCodeAt(i + 1));
  if (h < 0 || l < 0) return -1;
  return (h << 4) | l;
}

function isPlaceholderDigits(s: string): boolean {
  // 000101000000 / 000101000001 (clock not set, unused slot), 700101010000 (empty M-Bus channel),
  // 632525252525 (Fluvius "no value"), all §2.5; digits only, the S/W flag does not matter.
  const c0 = s.charCodeAt(0);
  if (c0 === 48) {
    // also 000000000000 (all-zero clock, e.g. wassasin mcs.txt)
    return (s.startsWith('00010100000') && (s.charCodeAt(11) === 48 || s.charCodeAt(11) === 49)) || s.startsWith('000000000000');
  }
  if (c0 === 55) return s.startsWith('700101010000');
  if (c0 === 54) return s.startsWith('632525252525');
  return false;
}

function tsParse(s: string): string | null {
  tsPlaceholder = false;
  const n = s.length;
  if (n === 12 || n === 13) {
    let flag = 0;
    if (n === 13) {
      flag = s.charCodeAt(12) | 0x20;
      if (flag !== 0x73 && flag !== 0x77) return null;
    }
    const yy = twoDigits(s, 0);
    const mo = twoDigits(s, 2);
    const d = twoDigits(s, 4);
    const h = twoDigits(s, 6);
    const mi = twoDigits(s, 8);
    const se = twoDigits(s, 10);
    if (yy < 0 || mo < 0 || d < 0 || h < 0 || mi < 0 || se < 0) return null;
    if (isPlaceholderDigits(s)) {
      tsPlaceholder = true;
      return null;
    }
    const y = 2000 + yy;
    if (mo < 1 || mo > 12 || d < 1 || d > daysIn(y, mo) || h > 23 || mi > 59 || se > 59) return null;
    if (flag === 0) return isoFromMs(localToUtc(y, mo, d, h, mi, se));
    // S: summer time, UTC+2; W: winter time, UTC+1
    let days = daysFromCivil(y, mo, d);
    let sec = h * 3600 + mi * 60 + se - (flag === 0x73 ? 7200 : 3600);
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
  if (y === 0xffff || y < 1970 || y > 2200) return null;
  if (mo < 1 || mo > 12 || d < 1 || d > daysIn(y, mo) || h > 23 || mi > 59 || se > 59) return null;
  const ms0 = daysFromCivil(y, mo, d) * MS_D + h * MS_H + mi * 60000 + se * 1000 + (hs <= 99 ? hs * 10 : 0);
  let dev = (dH << 8) | dL;
  let ms: number;
  if (dev === 0x8000) {
    // deviation not specified: DST bit (0x80) of the clock status when given, else the zone rules
    if (st !== 0xff) ms = ms0 - ((st & 0x80) !== 0 ? 2 : 1) * MS_H;
    else ms = localToUtc(y, mo, d, h, mi, se) + (hs <= 99 ? hs * 10 : 0);
  } else {
    if (dev & 0x8000) dev -= 0x10000;
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
function isTsLike(s: string): boolean {
  const n = s.length;
  if (n === 13) {
    // a number never ends in S/W (units follow a '*'), so the flag alone identifies a time stamp;
    // tsParse validates the digits
    const f = s.charCodeAt(12) | 0x20;
    return f === 0x73 || f === 0x77;
  } else if (n === 24) {
    for (let i = 0; i < 24; i++) if (hexVal(s.charCodeAt(i)) < 0) return false;
    return true;
  } else if (n !== 12) return false;
  for (let i = 0; i < 12; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------------------
// OBIS dispatch table
// ---------------------------------------------------------------------------------------------------------
const K_VERSION_NL = 1;
const K_VERSION_BE = 2;
const K_TIMESTAMP = 3;
const K_EQUIPMENT = 4;
const K_TARIFF = 5;
const K_IMP0 = 10; // 1.8.0, 1.8.1..1.8.4 = 11..14
const K_EXP0 = 20; // 2.8.0, 2.8.1..2.8.4 = 21..24
const K_P_IMP = 30;
const K_P_EXP = 31;
const K_PH_IMP = 40; // +0..2
const K_PH_EXP = 43;
const K_PH_V = 46;
const K_PH_I = 49;
const K_PF_COUNT = 60;
const K_PF_LONG = 61;
const K_PF_LOG = 62;
const K_SAG = 63; // +0..2
const K_SWELL = 66; // +0..2
const K_MSG_TEXT = 70;
const K_MSG_CODE = 71;
const K_BREAKER = 72;
const K_LIMITER = 73;
const K_FUSE = 74;
const K_CAP_AVG = 80;
const K_CAP_PEAK = 81;
const K_CAP_HIST = 82;
// M-Bus: 1000 + channel * 10 + kind
const K_MBUS = 1000;
const MB_TYPE = 1;
const MB_ID = 2;
const MB_READING = 3;
const MB_PROFILE = 4;

const MBUS_SUFFIX = new Map<string, number>([
  ['24.1.0', MB_TYPE],
  ['96.1.0', MB_ID], // NL
  ['96.1.1', MB_ID], // BE
  ['24.2.1', MB_READING],
  ['24.2.3', MB_READING], // BE gas, not temperature-corrected
  ['24.3.0', MB_PROFILE], // DSMR 2.2/3.0 profile, value on the next line
]);

const CODES = new Map<string, number>();
(() => {
  const add = (k: string, v: number) => CODES.set(k, v);
  add('1-3:0.2.8', K_VERSION_NL);
  add('0-0:96.1.4', K_VERSION_BE);
  add('0-0:1.0.0', K_TIMESTAMP);
  add('0-0:96.1.1', K_EQUIPMENT);
  add('0-0:96.14.0', K_TARIFF);
  for (let t = 0; t <= 4; t++) {
    add(`1-0:1.8.${t}`, K_IMP0 + t);
    add(`1-0:2.8.${t}`, K_EXP0 + t);
  }
  add('1-0:1.7.0', K_P_IMP);
  add('1-0:2.7.0', K_P_EXP);
  const L = ['2', '4', '6'];
  const V = ['3', '5', '7'];
  for (let p = 0; p < 3; p++) {
    add(`1-0:${L[p]}1.7.0`, K_PH_IMP + p);
    add(`1-0:${L[p]}2.7.0`, K_PH_EXP + p);
    add(`1-0:${V[p]}2.7.0`, K_PH_V + p);
    add(`1-0:${V[p]}1.7.0`, K_PH_I + p);
    add(`1-0:${V[p]}2.32.0`, K_SAG + p);
    add(`1-0:${V[p]}2.36.0`, K_SWELL + p);
  }
  add('0-0:96.7.21', K_PF_COUNT);
  add('0-0:96.7.9', K_PF_LONG);
  add('1-0:99.97.0', K_PF_LOG);
  add('0-0:96.13.0', K_MSG_TEXT);
  add('0-0:96.13.1', K_MSG_CODE);
  add('0-0:96.3.10', K_BREAKER);
  add('0-0:17.0.0', K_LIMITER);
  add('1-0:31.4.0', K_FUSE);
  add('1-0:1.4.0', K_CAP_AVG);
  add('1-0:1.6.0', K_CAP_PEAK);
  add('0-0:98.1.0', K_CAP_HIST);
  for (let ch = 1; ch <= 4; ch++) {
    for (const [suffix, kind] of MBUS_SUFFIX) add(`0-${ch}:${suffix}`, K_MBUS + ch * 10 + kind);
  }
})();

/** Packs `A-B:C.D.E` (A,B <= 15; C,D <= 127; E <= 255) into a small integer, or -1. Same packing as the scan
 *  in parseText. */
function obisKey(obis: string): number {
  const m = /^(\d+)-(\d+):(\d+)\.(\d+)\.(\d+)$/.exec(obis);
  if (m === null) return -1;
  const [a, b, c, d, e] = [m[1], m[2], m[3], m[4], m[5]].map(Number);
  if (a > 15 || b > 15 || c > 127 || d > 127 || e > 255) return -1;
  return (((a * 16 + b) * 128 + c) * 128 + d) * 256 + e;
}

/** CODES keyed by obisKey(); adds M-Bus channels 1..15 and `1-1:` aliases of the `1-0:` electricity objects
 *  (Sagemcom XT211 and the Luxembourg spec example use B = 1). Built once at load time. */
const KEYED_BITS = 11;
const KEYED_KEYS = new Int32Array(1 << KEYED_BITS).fill(-1);
const KEYED_VALS = new Int32Array(1 << KEYED_BITS);

function keyedSlot(key: number): number {
  const mask = (1 << KEYED_BITS) - 1;
  let h = Math.imul(key, 0x9e3779b1) >>> (32 - KEYED_BITS);
  while (KEYED_KEYS[h] !== -1 && KEYED_KEYS[h] !== key) h = (h + 1) & mask;
  return h;
}

/** Table code for a packed OBIS key, 0 when unknown (open addressing, no string hashing on the hot path). */
function keyedGet(key: number): number {
  const h = keyedSlot(key);
  return KEYED_KEYS[h] === key ? KEYED_VALS[h] : 0;
}

(() => {
  const set = (key: number, code: number) => {
    if (key < 0) return;
    const h = keyedSlot(key);
    if (KEYED_KEYS[h] === key) return; // first entry wins
    KEYED_KEYS[h] = key;
    KEYED_VALS[h] = code;
  };
  for (const [obis, code] of CODES) set(obisKey(obis), code);
  for (let ch = 5; ch <= 15; ch++) {
    for (const [suffix, kind] of MBUS_SUFFIX) set(obisKey(`0-${ch}:${suffix}`), K_MBUS + ch * 10 + kind);
  }
  for (const [obis, code] of CODES) if (obis.startsWith('1-0:')) set(obisKey('1-1:' + obis.slice(4)), code);
})();

/** Code for an OBIS id that is not in the table: M-Bus channels > 4, and `1-1:` aliases of `1-0:` objects. */
function lookupSlow(obis: string): number {
  const n = obis.length;
  if (n > 4 && obis.charCodeAt(0) === 48 && obis.charCodeAt(1) === 45) {
    // 0-<ch>:<suffix>
    let ch = 0;
    let i = 2;
    for (; i < n && i < 5; i++) {
      const c = obis.charCodeAt(i);
      if (c < 48 || c > 57) break;
      ch = ch * 10 + (c - 48);
    }
    if (i > 2 && i < n && obis.charCodeAt(i) === 58 && ch >= 1 && ch <= 99) {
      const kind = MBUS_SUFFIX.get(obis.slice(i + 1));
      if (kind !== undefined) return K_MBUS + ch * 10 + kind;
    }
    return 0;
  }
  // Sagemcom XT211 and the Luxembourg spec example use B = 1 (`1-1:1.8.1`) for what others send on `1-0:`.
  if (n > 4 && obis.startsWith('1-1:')) return CODES.get('1-0:' + obis.slice(4)) ?? 0;
  return 0;
}

// ---------------------------------------------------------------------------------------------------------
// The parser
// ---------------------------------------------------------------------------------------------------------
const NON_ASCII = /[^\x00-\x7f]/;

/** Input → 7-bit text (every byte/char masked with 0x7F, §2.1). */
function toText(input: unknown): string {
  if (typeof input === 'string') {
    if (!NON_ASCII.test(input)) return input;
    const b = Buffer.from(input, 'latin1'); // keeps the low byte of every UTF-16 unit
    for (let i = 0; i < b.length; i++) b[i] &= 0x7f;
    return b.toString('latin1');
  }
  if (input instanceof Uint8Array) {
    const n = input.length;
    if (isAscii(input)) return Buffer.from(input.buffer, input.byteOffset, n).toString('latin1');
    const b = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i++) b[i] = input[i] & 0x7f;
    return b.toString('latin1');
  }
  if (input === null || input === undefined) return '';
  return toText(String(input));
}

/** `XXXd…`: three letters (manufacturer flag) and a digit (baud-rate code), §2.3. */
function looksLikeIdent(h: string): boolean {
  if (h.length < 4) return false;
  for (let i = 0; i < 3; i++) {
    const c = h.charCodeAt(i) | 0x20;
    if (c < 97 || c > 122) return false;
  }
  const d = h.charCodeAt(3);
  return d >= 48 && d <= 57;
}

function newDevice(channel: number): P1MbusDevice {
  return { channel, deviceType: null, type: 'other', id: null, value: null, unit: null, at: null };
}

function mbusType(dt: number): P1MbusDevice['type'] {
  switch (dt) {
    case 3: // gas
      return 'gas';
    case 6: // warm water
    case 7: // water
    case 0x16: // cold water
      return 'water';
    case 4: // heat (outlet)
    case 0x0c: // heat (inlet)
    case 0x0d: // heat / cooling
      return 'heat';
    default:
      return 'other';
  }
}

function unitName(u: number, s: string): string | null {
  switch (u) {
    case U_NONE:
      return null;
    case U_M3:
      return 'm3';
    case U_GJ:
      return 'GJ';
    default:
      return s.slice(numUnitAt);
  }
}

function emptyTelegram(warning: string): P1Telegram {
  return {
    crcValid: false,
    crc: 'missing',
    crcGiven: null,
    crcComputed: '0000',
    header: '',
    manufacturer: '',
    profile: 'unknown',
    version: null,
    protocol: 'unknown',
    timestamp: null,
    equipmentId: null,
    power: null,
    importPower: null,
    exportPower: null,
    phases: [],
    energy: null,
    tariff: null,
    mbus: [],
    objects: [],
    unknown: [],
    warnings: [warning],
  };
}

/**
 * Parse one P1 telegram (text from '/' to '!CRC'; bytes outside are ignored). Accepts a string or raw bytes.
 * Never throws, whatever the input.
 */
export function parseTelegram(input: string | Uint8Array): P1Telegram {
  try {
    return parseText(toText(input));
  } catch (e) {
    return emptyTelegram('internal error: ' + (e instanceof Error ? e.message : String(e)));
  }
}

function parseText(t: string): P1Telegram {
  const len = t.length;
  const warnings: string[] = [];
  let warnCount = 0;
  const warn = (msg: string) => {
    warnCount++;
    if (warnCount <= MAX_WARNINGS) warnings.push(msg);
  };

  // ---- header: first '/' at the start of a line, else the first '/' anywhere (garbage before it, §2.10 #2)
  let start = -1;
  for (let i = t.indexOf('/'); i !== -1; i = t.indexOf('/', i + 1)) {
    if (i === 0) {
      start = 0;
      break;
    }
    const p = t.charCodeAt(i - 1);
    if (p === 10 || p === 13) {
      start = i;
      break;
    }
  }
  if (start < 0) start = t.indexOf('/');

  let header = '';
  let pos = 0;
  let bang = -1;
  if (start >= 0) {
    let i = start + 1;
    let depth = 0;
    for (; i < len; i++) {
      const c = t.charCodeAt(i);
      if (c === 13 || c === 10) break;
      if (c === 40) depth++;
      else if (c === 41) {
        if (depth > 0) depth--;
      } else if (c === 33 && depth === 0) {
        bang = i;
        break;
      }
    }
    header = t.slice(start + 1, i);
    pos = i;
  } else {
    warn("no header line ('/' missing)");
  }

  // ---- typed state
  let versionNL: string | null = null;
  let versionBE: string | null = null;
  let sawVersionNL = false;
  let sawVersionBE = false;
  let sawLuxName = false;
  let timestamp: string | null = null;
  let equipmentId: string | null = null;
  let tariff: number | null = null;
  let imp0: number | null = null;
  let exp0: number | null = null;
  let impT: number[] | null = null;
  let expT: number[] | null = null;
  let pImp: number | null = null;
  let pExp: number | null = null;
  let ph0: PhaseValues | undefined;
  let ph1: PhaseValues | undefined;
  let ph2: PhaseValues | undefined;
  let pfCount: number | null = null;
  let pfLong: number | null = null;
  let pfLog: Array<{ end: string | null; durationS: number }> | null = null;
  let pfSeen = false;
  let sags: number[] | undefined;
  let swells: number[] | undefined;
  let msgText: string | null = null;
  let msgCode: string | null = null;
  let msgSeen = false;
  let breaker: number | null | undefined;
  let limiter: { value: number; unit: 'W' | 'A' } | null | undefined;
  let fuseA: number | null | undefined;
  let capSeen = false;
  let capAvg: number | null = null;
  let capPeakSeen = false;
  let capPeakW: number | null = null;
  let capPeakAt: string | null = null;
  let capHist: CapacityHistoryEntry[] | undefined;
  const devices: P1MbusDevice[] = [];

  const objects: P1Object[] = [];
  const unknown: string[] = [];
  let prev: P1Object | null = null;
  let pendingProfile: P1MbusDevice | null = null;

  const markUnknown = (obis: string) => {
    if (unknown.indexOf(obis) < 0) unknown.push(obis);
  };
  const device = (ch: number): P1MbusDevice => {
    let i = 0;
    for (; i < devices.length; i++) {
      const c = devices[i].channel;
      if (c === ch) return devices[i];
      if (c > ch) break;
    }
    const d = newDevice(ch);
    devices.splice(i, 0, d); // keep channel order
    return d;
  };
  const phase = (p: number): PhaseValues => {
    if (p === 0) return ph0 ?? (ph0 = {});
    if (p === 1) return ph1 ?? (ph1 = {});
    return ph2 ?? (ph2 = {});
  };

  // ---- line loop (stops at the first '!' outside parentheses)
  // Positions of the next CR, LF and '(' are found with native indexOf and reused until passed, so each
  // line end and each group end costs one native search instead of a JS loop over every character.
  let nextCR = -1;
  let nextLF = -1;
  let nextOpen = -1;
  while (bang < 0 && pos < len) {
    let c = t.charCodeAt(pos);
    if (c === 13 || c === 10) {
      pos++;
      continue;
    }
    if (c === 33) {
      bang = pos;
      break;
    }
    const ls = pos;
    if (nextCR < pos) {
      nextCR = t.indexOf('\r', pos);
      if (nextCR < 0) nextCR = len;
    }
    if (nextLF < pos) {
      nextLF = t.indexOf('\n', pos);
      if (nextLF < 0) nextLF = len;
    }
    const le = nextCR < nextLF ? nextCR : nextLF;
    // OBIS part: up to the first '(' (or end of line / '!'). While scanning, A-B:C.D.E is packed into a small
    // integer key so that the table lookup does not need to hash a fresh string.
    let i = pos;
    let star = -1;
    let field = 0;
    let fv = 0;
    let fd = 0;
    let packed = 0;
    let keyOk = true;
    for (; i < le; i++) {
      c = t.charCodeAt(i);
      if (c === 40 || c === 33) break;
      if (star >= 0) continue;
      if (c >= 48 && c <= 57) {
        fv = fv * 10 + (c - 48);
        fd++;
      } else if (c === 42 || (c === 46 && field === 4)) {
        star = i; // `*255` suffix (EasyMeter) or a sixth `.255` field: not part of the id (§2.10 #14)
      } else if (keyOk && fd > 0 && c === (field === 0 ? 45 : field === 1 ? 58 : 46) && field < 4) {
        if (fv > (field < 2 ? 15 : 127)) keyOk = false;
        packed = packed * (field < 2 ? 16 : 128) + fv;
        field++;
        fv = 0;
        fd = 0;
      } else keyOk = false;
    }
    if (keyOk && field === 4 && fd > 0 && fv <= 255) packed = packed * 256 + fv;
    else keyOk = false;
    const obisEnd = i;
    // groups
    let values: string[] | null = null;
    let broken = false;
    let junk = false;
    while (i < le) {
      c = t.charCodeAt(i);
      if (c === 40) {
        let j = t.indexOf(')', i + 1);
        if (j < 0 || j >= le) {
          broken = true; // unterminated group (line cut off, §2.10 #1)
          i = le;
          break;
        }
        if (nextOpen <= i) {
          nextOpen = t.indexOf('(', i + 1);
          if (nextOpen < 0) nextOpen = len;
        }
        if (nextOpen < j) {
          // nested parentheses `((ER11))` (§2.10 #14): find the matching ')'
          let depth = 1;
          for (j = i + 1; j < le; j++) {
            const d = t.charCodeAt(j);
            if (d === 41) {
              if (--depth === 0) break;
            } else if (d === 40) depth++;
          }
          nextOpen = -1;
          if (depth !== 0) {
            broken = true;
            i = le;
            break;
          }
        }
        let v = t.slice(i + 1, j);
        if (v.length >= 2 && v.charCodeAt(0) === 40) {
          while (v.length >= 2 && v.charCodeAt(0) === 40 && v.charCodeAt(v.length - 1) === 41) v = v.slice(1, -1);
        }
        if (values === null) values = [v];
        else values.push(v);
        i = j + 1;
      } else if (c === 33) {
        bang = i; // '!' outside parentheses ends the telegram (line end lost)
        break;
      } else {
        junk = true;
        i++;
      }
    }
    pos = i;

    const first = t.charCodeAt(ls);
    if (first === 40) {
      // continuation line: a value for the previous object (DSMR 2.2/3.0 `24.3.0` gas profile, §2.3)
      if (prev !== null && values !== null && !broken) {
        for (let k = 0; k < values.length; k++) prev.values.push(values[k]);
        if (pendingProfile !== null) {
          const dv = pendingProfile;
          pendingProfile = null;
          if (scanNumber(values[0])) {
            const u = unitOf(values[0]);
            dv.value = numPlain();
            if (u !== U_NONE) dv.unit = unitName(u, values[0]);
          } else if (values[0] !== '') warn(`0-${dv.channel}:24.3.0: bad profile value "${values[0].slice(0, 40)}"`);
        } else warn(`unexpected continuation line after ${prev.obis}`);
      } else warn(`stray line "${t.slice(ls, Math.min(pos, ls + 60))}"`);
      continue;
    }
    pendingProfile = null;
    if (first === 47) {
      warn('second header line inside the telegram (previous telegram cut off?)');
      prev = null;
      continue;
    }
    if (broken) {
      warn(`truncated line "${t.slice(ls, Math.min(pos, ls + 60))}"`);
      prev = null;
      continue;
    }
    if (values === null) {
      warn(`line without value "${t.slice(ls, Math.min(pos, ls + 60))}"`);
      prev = null;
      continue;
    }
    const obis = t.slice(ls, star >= 0 ? star : obisEnd);
    const obj: P1Object = { obis, values };
    objects.push(obj);
    prev = obj;
    if (junk) warn(`${obis}: unexpected characters between groups`);

    const code = keyOk ? keyedGet(packed) : lookupSlow(obis);
    if (code === 0) {
      if (obis === '0-0:42.0.0') sawLuxName = true;
      markUnknown(obis);
      continue;
    }
    const v0 = values[0];
    try {
      switch (code) {
        case K_VERSION_NL:
          sawVersionNL = true;
          if (v0 !== '') {
            if (isUInt(v0) && v0.length >= 2 && v0.length <= 3) versionNL = v0.split('').join('.');
            else versionNL = v0;
          }
          break;
        case K_VERSION_BE:
          sawVersionBE = true;
          if (v0 !== '') versionBE = v0;
          break;
        case K_TIMESTAMP:
          timestamp = tsParse(v0);
          if (timestamp === null && !tsPlaceholder && v0 !== '') warn(`${obis}: invalid timestamp "${v0.slice(0, 30)}"`);
          break;
        case K_EQUIPMENT:
          equipmentId = hexText(v0);
          break;
        case K_TARIFF:
          tariff = digitsIn(v0);
          break;
        case K_IMP0:
        case K_EXP0: {
          const wh = energyWh(v0);
          if (wh === null) {
            if (v0 !== '') warn(`${obis}: bad energy value "${v0.slice(0, 30)}"`);
          } else if (code === K_IMP0) imp0 = wh;
          else exp0 = wh;
          break;
        }
        case K_IMP0 + 1:
        case K_IMP0 + 2:
        case K_IMP0 + 3:
        case K_IMP0 + 4:
        case K_EXP0 + 1:
        case K_EXP0 + 2:
        case K_EXP0 + 3:
        case K_EXP0 + 4: {
          const wh = energyWh(v0);
          if (wh === null) {
            if (v0 !== '') warn(`${obis}: bad energy value "${v0.slice(0, 30)}"`);
            break;
          }
          const isImp = code < K_EXP0;
          const idx = code - (isImp ? K_IMP0 : K_EXP0) - 1;
          let arr: number[] | null = isImp ? impT : expT;
          if (arr === null) {
            arr = [];
            if (isImp) impT = arr;
            else expT = arr;
          }
          while (arr.length <= idx) arr.push(0);
          arr[idx] = wh;
          break;
        }
        case K_P_IMP:
        case K_P_EXP: {
          const w = powerW(v0);
          if (w === null) {
            if (v0 !== '') warn(`${obis}: bad power value "${v0.slice(0, 30)}"`);
          } else if (code === K_P_IMP) pImp = w;
          else pExp = w;
          break;
        }
        case K_PH_IMP:
        case K_PH_IMP + 1:
        case K_PH_IMP + 2:
        case K_PH_EXP:
        case K_PH_EXP + 1:
        case K_PH_EXP + 2: {
          const w = powerW(v0);
          if (w === null) {
            if (v0 !== '') warn(`${obis}: bad power value "${v0.slice(0, 30)}"`);
          } else if (code < K_PH_EXP) phase(code - K_PH_IMP).importPower = w;
          else phase(code - K_PH_EXP).exportPower = w;
          break;
        }
        case K_PH_V:
        case K_PH_V + 1:
        case K_PH_V + 2: {
          const v = numberIn(v0, U_V);
          if (v === null) {
            if (v0 !== '') warn(`${obis}: bad voltage "${v0.slice(0, 30)}"`);
          } else phase(code - K_PH_V).voltage = v;
          break;
        }
        case K_PH_I:
        case K_PH_I + 1:
        case K_PH_I + 2: {
          const a = numberIn(v0, U_A);
          if (a === null) {
            if (v0 !== '') warn(`${obis}: bad current "${v0.slice(0, 30)}"`);
          } else phase(code - K_PH_I).current = a;
          break;
        }
        case K_PF_COUNT:
        case K_PF_LONG: {
          pfSeen = true;
          const n = scanNumber(v0) ? Math.round(numPlain()) : null;
          if (code === K_PF_COUNT) pfCount = n;
          else pfLong = n;
          break;
        }
        case K_PF_LOG: {
          // (n)(0-0:96.7.19)(end_1)(duration_1*s)... ; count = well-formed pairs, placeholders dropped (§2.10 #10)
          pfSeen = true;
          const log: Array<{ end: string | null; durationS: number }> = [];
          let k = 0;
          if (values.length > 0 && isUInt(v0)) k = 1;
          while (k < values.length && values[k].indexOf(':') >= 0) k++;
          for (; k + 1 < values.length; k += 2) {
            const ts = values[k];
            const dur = values[k + 1];
            if (!isTsLike(ts) || !scanNumber(dur)) continue;
            const u = unitOf(dur);
            if (u !== U_S && u !== U_NONE) continue;
            const durationS = numPlain();
            if (durationS >= 2147483647) continue; // 0x7FFFFFFF: unused slot (§2.10 #10)
            const end = tsParse(ts);
            if (end === null) continue;
            log.push({ end, durationS });
          }
          pfLog = log;
          break;
        }
        case K_SAG:
        case K_SAG + 1:
        case K_SAG + 2:
        case K_SWELL:
        case K_SWELL + 1:
        case K_SWELL + 2: {
          if (!scanNumber(v0)) {
            if (v0 !== '') warn(`${obis}: bad counter "${v0.slice(0, 30)}"`);
            break;
          }
          const n = Math.round(numPlain());
          const isSag = code < K_SWELL;
          const idx = code - (isSag ? K_SAG : K_SWELL);
          let arr: number[] | undefined = isSag ? sags : swells;
          if (arr === undefined) {
            arr = [];
            if (isSag) sags = arr;
            else swells = arr;
          }
          while (arr.length <= idx) arr.push(0);
          arr[idx] = n;
          break;
        }
        case K_MSG_TEXT:
          msgSeen = true;
          msgText = hexText(v0);
          break;
        case K_MSG_CODE:
          msgSeen = true;
          msgCode = hexText(v0);
          break;
        case K_BREAKER: {
          let b = digitsIn(v0);
          if (b === null) {
            const up = v0.toUpperCase();
            if (up === 'ON') b = 1;
            else if (up === 'OFF') b = 0;
            else if (v0 !== '') warn(`${obis}: bad breaker state "${v0.slice(0, 30)}"`);
          }
          breaker = b;
          break;
        }
        case K_LIMITER: {
          limiter = null;
          if (!scanNumber(v0)) {
            if (v0 !== '') warn(`${obis}: bad limiter value "${v0.slice(0, 30)}"`);
            break;
          }
          const u = unitOf(v0);
          if (u === U_KW || u === U_KVA) limiter = { value: numMilli(), unit: 'W' }; // kVA (LU): apparent-power limit, as W
          else if (u === U_W || u === U_VA) limiter = { value: Math.round(numPlain()), unit: 'W' };
          else if (u === U_A) limiter = { value: numPlain(), unit: 'A' };
          else warn(`${obis}: unknown limiter unit "${v0.slice(0, 30)}"`);
          break;
        }
        case K_FUSE: {
          const a = numberIn(v0, U_A);
          if (a === null && v0 !== '') warn(`${obis}: bad fuse value "${v0.slice(0, 30)}"`);
          fuseA = a;
          break;
        }
        case K_CAP_AVG: {
          capSeen = true;
          capAvg = powerW(v0);
          if (capAvg === null && v0 !== '') warn(`${obis}: bad demand value "${v0.slice(0, 30)}"`);
          break;
        }
        case K_CAP_PEAK: {
          // (timestamp)(value*kW) — order detected by content (§2.10 #13)
          capSeen = true;
          capPeakSeen = true;
          for (let k = 0; k < values.length; k++) {
            const g = values[k];
            if (isTsLike(g)) capPeakAt = tsParse(g);
            else if (g !== '') {
              const w = powerW(g);
              if (w === null) warn(`${obis}: bad peak value "${g.slice(0, 30)}"`);
              else capPeakW = w;
            }
          }
          break;
        }
        case K_CAP_HIST: {
          // (n)(1-0:1.6.0)(1-0:1.6.0)(month_1)(peak_time_1)(value_1*kW)... (§2.3)
          if (!isUInt(v0)) {
            warn(`${obis}: unsupported layout`);
            markUnknown(obis);
            break;
          }
          capSeen = true;
          const hist: CapacityHistoryEntry[] = [];
          let k = 1;
          while (k < values.length && values[k].indexOf(':') >= 0) k++;
          for (; k + 2 < values.length; k += 3) {
            let month: string | null = null;
            let at: string | null = null;
            let peak: number | null = null;
            let nts = 0;
            let ok = true;
            for (let q = k; q < k + 3; q++) {
              const g = values[q];
              if (isTsLike(g)) {
                if (nts === 0) month = tsParse(g);
                else at = tsParse(g);
                nts++;
              } else {
                const w = powerW(g);
                if (w === null || peak !== null) ok = false;
                else peak = w;
              }
            }
            if (ok && nts === 2 && peak !== null) hist.push({ month, peakW: peak, at });
            else warn(`${obis}: malformed entry ${(k - 1) / 3 + 1}`);
          }
          if (k < values.length) warn(`${obis}: ${values.length - k} stray group(s)`);
          capHist = hist;
          break;
        }
        default: {
          if (code < K_MBUS) {
            markUnknown(obis);
            break;
          }
          const ch = ((code - K_MBUS) / 10) | 0;
          const kind = (code - K_MBUS) % 10;
          const dv = device(ch);
          if (kind === MB_TYPE) {
            dv.deviceType = v0 === '' ? null : digitsIn(v0);
          } else if (kind === MB_ID) {
            dv.id = hexText(v0);
          } else if (kind === MB_READING) {
            for (let k = 0; k < values.length; k++) {
              const g = values[k];
              if (isTsLike(g)) dv.at = tsParse(g);
              else if (scanNumber(g)) {
                dv.value = numPlain();
                const u = unitOf(g);
                if (u !== U_NONE) dv.unit = unitName(u, g);
              } else if (g !== '') warn(`${obis}: bad reading "${g.slice(0, 30)}"`);
            }
          } else {
            // 24.3.0: (capture time)(status)(period)(count)(captured obis)(unit) then the value on the next line
            dv.at = values.length > 0 ? tsParse(v0) : null;
            if (values.length > 5 && values[5] !== '') dv.unit = values[5];
            if (values.length > 6 && scanNumber(values[6])) dv.value = numPlain();
            else pendingProfile = dv;
          }
        }
      }
    } catch (e) {
      warn(`${obis}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  // ---- CRC (§2.4): over the original characters from '/' to '!' inclusive
  let crcGiven: string | null = null;
  let crc: P1Telegram['crc'];
  let crcComputed: string;
  if (bang >= 0) {
    let k = bang + 1;
    const stop = Math.min(len, bang + 5);
    while (k < stop && hexVal(t.charCodeAt(k)) >= 0) k++;
    if (k > bang + 1) crcGiven = t.slice(bang + 1, k);
  }
  const spanStart = start >= 0 ? start : 0;
  const spanEnd = bang >= 0 ? bang + 1 : len;
  let computed = crc16Arc(t, spanStart, spanEnd);
  if (crcGiven !== null) {
    const given = parseInt(crcGiven, 16);
    if (start >= 0 && computed === given) crc = 'ok';
    else {
      crc = 'bad';
      // Telegrams stored with LF line ends (copy/paste, fixture files — the shared data files are stored with LF)
      // lose the CR that the meter sent and checksummed. When the span has LF line ends and no CR at all, also
      // try the CRLF form and accept either. Mixed line ends get no second chance (a dropped CR is corruption).
      if (start >= 0) {
        const lf = t.indexOf('\n', spanStart);
        if (lf >= 0 && lf < spanEnd) {
          const cr = t.indexOf('\r', spanStart);
          if (cr < 0 || cr >= spanEnd) {
            const alt = crc16Arc(t.slice(spanStart, spanEnd).replace(/\n/g, '\r\n'));
            if (alt === given) {
              crc = 'ok';
              computed = alt;
            }
          }
        }
      }
    }
  } else if (bang < 0) {
    crc = 'missing';
    warn("no end of telegram ('!' missing, telegram incomplete)");
  } else {
    // No CRC digits after '!': acceptable only for DSMR 2.2/3.0, i.e. without a version line (§2.4 policy).
    // As nothing then protects the frame, it must at least look like a telegram: an identification of
    // 3 letters + the baud digit (§2.3) and one data line.
    crc = start < 0 || sawVersionNL || sawVersionBE || objects.length === 0 || !looksLikeIdent(header) ? 'missing' : 'none';
  }
  crcComputed = crcHex(computed);
  const crcValid = start >= 0 && (crc === 'ok' || crc === 'none');

  // ---- version / profile / protocol
  let profile: P1Profile = 'unknown';
  let version: string | null = null;
  let protocol: string;
  const lux =
    (header.length >= 3 && header.slice(0, 3).toLowerCase() === 'lux') ||
    (sawLuxName && sawVersionNL && imp0 !== null && impT === null && !sawVersionBE);
  if (sawVersionBE) {
    profile = 'BE';
    version = versionBE;
    protocol = version !== null ? `e-MUCS ${version}` : 'e-MUCS';
  } else if (lux) {
    profile = 'LU';
    version = versionNL;
    protocol = version !== null ? `DSMR ${version} (Smarty LU)` : 'Smarty LU';
  } else if (sawVersionNL) {
    profile = 'NL';
    version = versionNL;
    protocol = version !== null ? `DSMR ${version}` : 'DSMR';
  } else if (crcGiven === null) {
    version = '2.2/3.0';
    protocol = 'DSMR 2.2/3.0';
    if (impT !== null || tariff !== null) profile = 'NL';
  } else {
    protocol = 'DSMR (unknown version)';
  }

  // ---- assemble
  let energy: EnergyCounters | null = null;
  if (impT !== null || expT !== null || imp0 !== null || exp0 !== null) {
    let importWh = imp0 ?? 0;
    let exportWh = exp0 ?? 0;
    if (impT !== null) {
      importWh = 0;
      for (let k = 0; k < impT.length; k++) importWh += impT[k];
    }
    if (expT !== null) {
      exportWh = 0;
      for (let k = 0; k < expT.length; k++) exportWh += expT[k];
    }
    energy = { importWh, exportWh };
    if (impT !== null) energy.importTariffWh = impT;
    if (expT !== null) energy.exportTariffWh = expT;
  }

  const phases: PhaseValues[] = [];
  const nph = ph2 !== undefined ? 3 : ph1 !== undefined ? 2 : ph0 !== undefined ? 1 : 0;
  for (let p = 0; p < nph; p++) {
    const ph = (p === 0 ? ph0 : p === 1 ? ph1 : ph2) ?? {};
    if (ph.importPower !== undefined || ph.exportPower !== undefined) {
      ph.power = (ph.importPower ?? 0) - (ph.exportPower ?? 0);
    }
    phases.push(ph);
  }

  let gasDev: P1MbusDevice | null = null;
  let waterDev: P1MbusDevice | null = null;
  let heatDev: P1MbusDevice | null = null;
  for (let k = 0; k < devices.length; k++) {
    const d = devices[k];
    if (d.deviceType !== null) d.type = mbusType(d.deviceType);
    else if (d.unit !== null) {
      // no 24.1.0 line: infer from the unit
      const u = d.unit.toLowerCase();
      d.type = u === 'm3' ? 'gas' : u === 'gj' ? 'heat' : 'other';
    }
    if (d.unit === null && d.value !== null) d.unit = d.type === 'heat' ? 'GJ' : d.type === 'other' ? null : 'm3';
    if (d.value === null) continue;
    // prefer a channel with a real capture time; a placeholder channel only when it holds a non-zero value
    const good = d.at !== null || d.value !== 0;
    if (!good) continue;
    if (d.type === 'gas') {
      if (gasDev === null || (gasDev.at === null && d.at !== null)) gasDev = d;
    } else if (d.type === 'water') {
      if (waterDev === null || (waterDev.at === null && d.at !== null)) waterDev = d;
    } else if (d.type === 'heat') {
      if (heatDev === null || (heatDev.at === null && d.at !== null)) heatDev = d;
    }
  }

  if (warnCount > MAX_WARNINGS) warnings.push(`${warnCount - MAX_WARNINGS} more warning(s) suppressed`);

  const out: P1Telegram = {
    crcValid,
    crc,
    crcGiven,
    crcComputed,
    header,
    manufacturer: header.slice(0, 3),
    profile,
    version,
    protocol,
    timestamp,
    equipmentId,
    power: pImp !== null || pExp !== null ? (pImp ?? 0) - (pExp ?? 0) : null,
    importPower: pImp,
    exportPower: pExp,
    phases,
    energy,
    tariff,
    mbus: devices,
    objects,
    unknown,
    warnings,
  };
  if (capSeen) {
    const cap: CapacityValues = { currentAverageW: capAvg };
    if (capPeakSeen) {
      cap.monthPeakW = capPeakW;
      cap.monthPeakAt = capPeakAt;
    }
    if (capHist !== undefined) cap.history = capHist;
    out.capacity = cap;
  }
  if (gasDev !== null) out.gas = { m3: gasDev.value as number, at: gasDev.at };
  if (waterDev !== null) out.water = { m3: waterDev.value as number, at: waterDev.at };
  if (heatDev !== null) {
    let gj = heatDev.value as number;
    const u = (heatDev.unit ?? 'GJ').toLowerCase();
    if (u === 'kwh') gj = gj * 0.0036;
    else if (u === 'mwh') gj = gj * 3.6;
    out.heat = { GJ: gj, at: heatDev.at };
  }
  if (pfSeen) out.powerFailures = { count: pfCount, longCount: pfLong, log: pfLog ?? [] };
  if (sags !== undefined) out.voltageSags = sags;
  if (swells !== undefined) out.voltageSwells = swells;
  if (msgSeen) out.message = { code: msgCode, text: msgText };
  if (breaker !== undefined) out.breaker = breaker;
  if (limiter !== undefined) out.limiter = limiter;
  if (fuseA !== undefined) out.fuseA = fuseA;
  return out;
}
