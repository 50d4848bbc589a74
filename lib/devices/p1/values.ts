/**
 * Scanning of P1 group values (p1-dsmr.md §2.3): fixed-width decimal numbers with an optional
 * `*unit`, hex-encoded text, digit runs. The result of the last scanNumber() call lives in the
 * module-level `num` scratch object so that the parser's hot path allocates nothing per value.
 * Values are kept as an integer mantissa + decimal count, which makes kWh→Wh and kW→W exact
 * (`000004.426` kWh → 4426 Wh).
 */
import { Ch } from './chars';

const POW10: number[] = [];
for (let i = 0, p = 1; i <= 22; i++, p *= 10) POW10.push(p);

/** Most decimals a value may have. */
const MAX_DECIMALS = 20;
/**
 * Largest mantissa kept: beyond 2^53 the digits are no longer exact, and 400 digits would become
 * Infinity (issue 11, defect 4); such a value is "not a number".
 */
const MAX_MANTISSA = Number.MAX_SAFE_INTEGER;

/** Scratch result of the last scanNumber() call. */
export const num = {
  mant: 0,
  dec: 0,
  neg: false,
  /** Index in the scanned string where the unit starts (after '*'), or -1 when there is none. */
  unitAt: -1,
};

/** Parses `[+-]digits[.digits][*unit]` into `num`. Returns false when the text is not of that shape. */
export function scanNumber(s: string): boolean {
  const n = s.length;
  if (n === 0) return false;
  let i = 0;
  let c = s.charCodeAt(0);
  let neg = false;
  if (c === Ch.MINUS || c === Ch.PLUS) {
    neg = c === Ch.MINUS;
    i = 1;
  }
  let mant = 0;
  let dec = 0;
  let digits = 0;
  let dot = false;
  for (; i < n; i++) {
    c = s.charCodeAt(i);
    if (c >= Ch.D0 && c <= Ch.D9) {
      mant = mant * 10 + (c - Ch.D0);
      digits++;
      if (dot) dec++;
    } else if (c === Ch.DOT && !dot) {
      dot = true;
    } else break;
  }
  if (digits === 0 || dec > MAX_DECIMALS || !(mant <= MAX_MANTISSA)) return false;
  if (i < n) {
    if (c !== Ch.STAR || i + 1 >= n) return false;
    num.unitAt = i + 1;
  } else num.unitAt = -1;
  num.mant = mant;
  num.dec = dec;
  num.neg = neg;
  return true;
}

export const U_NONE = 0;
export const U_OTHER = 1;
export const U_W = 2;
export const U_KW = 3;
export const U_WH = 4;
export const U_KWH = 5;
export const U_MWH = 6;
export const U_V = 7;
export const U_A = 8;
export const U_M3 = 9;
export const U_GJ = 10;
export const U_S = 11;
export const U_VA = 12;
export const U_KVA = 13;

/** Unit of the last scanned number, case-insensitive, without allocating. */
export function unitOf(s: string): number {
  const st = num.unitAt;
  if (st < 0) return U_NONE;
  const len = s.length - st;
  const c0 = s.charCodeAt(st) | Ch.LOWER;
  if (len === 1) return unit1(c0);
  const c1 = s.charCodeAt(st + 1) | Ch.LOWER;
  if (len === 2) return unit2(c0, c1);
  if (len === 3) return unit3(c0, c1, s.charCodeAt(st + 2) | Ch.LOWER);
  return U_OTHER;
}

function unit1(c0: number): number {
  if (c0 === Ch.LC_W) return U_W;
  if (c0 === Ch.LC_V) return U_V;
  if (c0 === Ch.LC_A) return U_A;
  if (c0 === Ch.LC_S) return U_S;
  return U_OTHER;
}

function unit2(c0: number, c1: number): number {
  if (c0 === Ch.LC_K && c1 === Ch.LC_W) return U_KW;
  if (c0 === Ch.LC_W && c1 === Ch.LC_H) return U_WH;
  if (c0 === Ch.LC_M && c1 === (Ch.D3 | Ch.LOWER)) return U_M3;
  if (c0 === Ch.LC_G && c1 === Ch.LC_J) return U_GJ;
  if (c0 === Ch.LC_V && c1 === Ch.LC_A) return U_VA;
  return U_OTHER;
}

function unit3(c0: number, c1: number, c2: number): number {
  if (c1 === Ch.LC_W && c2 === Ch.LC_H) {
    if (c0 === Ch.LC_K) return U_KWH;
    if (c0 === Ch.LC_M) return U_MWH;
  }
  if (c0 === Ch.LC_K && c1 === Ch.LC_V && c2 === Ch.LC_A) return U_KVA;
  return U_OTHER;
}

/** Last scanned number × 1000, as an exact integer (rounded when it has more than 3 decimals). */
export function numMilli(): number {
  const d = num.dec;
  const v = d <= 3 ? num.mant * POW10[3 - d] : Math.round(num.mant / POW10[d - 3]);
  return num.neg && v !== 0 ? -v : v;
}

/** Last scanned number as a double (mantissa / 10^dec is correctly rounded, equal to parseFloat). */
export function numPlain(): number {
  const v = num.dec === 0 ? num.mant : num.mant / POW10[num.dec];
  return num.neg && v !== 0 ? -v : v;
}

/**
 * `s` as a number in a base unit (W, Wh): the `kilo` unit, or no unit (the DSMR
 * default), × 1000 exactly; the base unit as is; the `mega` unit × 10^6. null when not a number or
 * another unit.
 */
function inBaseUnit(s: string, kilo: number, base: number, mega: number): number | null {
  if (!scanNumber(s)) return null;
  const u = unitOf(s);
  if (u === kilo || u === U_NONE) return numMilli();
  if (u === base) return Math.round(numPlain());
  if (u === mega) return numMilli() * 1000;
  return null;
}

/** Energy in Wh: kWh (or no unit) ×1000, Wh as is, MWh ×10^6. */
export function energyWh(s: string): number | null {
  return inBaseUnit(s, U_KWH, U_WH, U_MWH);
}

/** Power in W: kW (or no unit) ×1000, W as is. */
export function powerW(s: string): number | null {
  return inBaseUnit(s, U_KW, U_W, U_NONE);
}

/** Plain number when the unit is `want` or absent. */
export function numberIn(s: string, want: number): number | null {
  if (!scanNumber(s)) return null;
  const u = unitOf(s);
  if (u !== want && u !== U_NONE) return null;
  return numPlain();
}

/** Unit text of the last scanned number: null without unit, normalized m3 / GJ, else as sent. */
export function unitName(u: number, s: string): string | null {
  switch (u) {
    case U_NONE:
      return null;
    case U_M3:
      return 'm3';
    case U_GJ:
      return 'GJ';
    default:
      return s.slice(num.unitAt);
  }
}

/** First run of digits anywhere in the text ("0002" → 2, "TARIFF 1" → 1), or null. */
export function digitsIn(s: string): number | null {
  const n = s.length;
  let i = 0;
  while (i < n) {
    const c = s.charCodeAt(i);
    if (c >= Ch.D0 && c <= Ch.D9) break;
    i++;
  }
  if (i === n) return null;
  let v = 0;
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < Ch.D0 || c > Ch.D9) break;
    v = v * 10 + (c - Ch.D0);
  }
  return v;
}

/** 1–9 digits and nothing else. */
export function isUInt(s: string): boolean {
  const n = s.length;
  if (n === 0 || n > 9) return false;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < Ch.D0 || c > Ch.D9) return false;
  }
  return true;
}

/** Value of a hex digit, or -1. */
export function hexVal(c: number): number {
  if (c >= Ch.D0 && c <= Ch.D9) return c - Ch.D0;
  c |= Ch.LOWER;
  if (c >= Ch.LC_A && c <= Ch.LC_F) return c - Ch.LC_A + 10;
  return -1;
}

/** The byte of two hex digits at i, or -1. */
export function hexByte(s: string, i: number): number {
  const h = hexVal(s.charCodeAt(i));
  const l = hexVal(s.charCodeAt(i + 1));
  if (h < 0 || l < 0) return -1;
  return (h << 4) | l;
}

const PRINTABLE_MIN = 0x20;
const PRINTABLE_MAX = 0x7e;
const CHR: string[] = [];
for (let i = 0; i < 128; i++) CHR.push(String.fromCharCode(i));

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
    const c = hexByte(s, i);
    if (c < PRINTABLE_MIN || c > PRINTABLE_MAX) return s;
    out += CHR[c];
  }
  return out;
}
