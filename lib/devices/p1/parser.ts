/**
 * DSMR / e-MUCS P1 telegram parser (NL DSMR 2.2, 3.0, 4.x, 5.0.x; BE e-MUCS; LU Smarty; and tolerant of
 * other national variants). Reference: p1-dsmr.md Part 2 (grammar §2.3, CRC §2.4, timestamps §2.5,
 * OBIS table §2.6, NL/BE §2.7, malformed input §2.10, design §2.11).
 *
 * Design (all our own code):
 *  - the input is reduced to 7-bit characters (every byte masked with 0x7F, §2.1 "practical framing advice");
 *  - one pass over the lines with a char scanner (no regular expression per line); every data line becomes a
 *    `P1Object` (raw groups) and, when the OBIS id is known to the descriptor (descriptor.ts, via
 *    obis-table.ts), a typed value;
 *  - the CRC-16/ARC is computed over the ORIGINAL characters from '/' up to and including '!' (§2.4);
 *  - `parseTelegram` never throws: bad lines land in `warnings`, the rest of the telegram still parses; a
 *    value that cannot be used (not a number, out of its point's range) is left out and its OBIS id listed in
 *    `invalid`; when that is the import or export power, `power` is null (the telegram gives no reading).
 *
 * Frame boundaries use the same rules as `P1Framer` (framer.ts) so that a frame cut by the framer and the
 * span the parser checksums are identical: the header is the first '/' at the start of a line (else the first
 * '/' anywhere), and the telegram ends at the first '!' that is outside parentheses (depth 0 on its line).
 */
import { isAscii } from 'buffer';
import { crc16Arc, crcHex } from './crc';
import type { P1MbusDevice, P1Object, P1Profile, P1Telegram } from './types';
import type { CapacityHistoryEntry, CapacityValues, EnergyCounters, PhaseValues } from '../../api/types';
import { Ch } from './chars';
import { digitsIn, energyWh, hexText, hexVal, isUInt, numberIn, numMilli, numPlain, powerW, scanNumber, unitName, unitOf, U_A, U_KVA, U_KW, U_NONE, U_S, U_V, U_VA, U_W } from './values';
import { isTsLike, tsParse, tsScratch } from './timestamp';
import { K, keyedGet, lookupSlow, RANGE_MAX, RANGE_MIN } from './obis-table';
import { obisCode } from './descriptor';

export { hexText } from './values';
export { parseTimestamp } from './timestamp';

const MAX_WARNINGS = 50;
/** Longest excerpt of a bad value / line in a warning. */
const SHOW_VALUE = 30;
const SHOW_LINE = 60;
const ASCII_MASK = 0x7f;
/** 0x7FFFFFFF seconds: an unused power-failure log slot (§2.10 #10). */
const UNUSED_DURATION_S = 2147483647;
const LUX_NAME = obisCode('luxembourg.deviceName');

// ---------------------------------------------------------------------------------------------------------
// Input and small helpers
// ---------------------------------------------------------------------------------------------------------
const NON_ASCII = /[^\x00-\x7f]/;

/** Input → 7-bit text (every byte/char masked with 0x7F, §2.1). */
function toText(input: unknown): string {
  if (typeof input === 'string') {
    if (!NON_ASCII.test(input)) return input;
    const b = Buffer.from(input, 'latin1'); // keeps the low byte of every UTF-16 unit
    for (let i = 0; i < b.length; i++) b[i] &= ASCII_MASK;
    return b.toString('latin1');
  }
  if (input instanceof Uint8Array) {
    const n = input.length;
    if (isAscii(input)) return Buffer.from(input.buffer, input.byteOffset, n).toString('latin1');
    const b = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i++) b[i] = input[i] & ASCII_MASK;
    return b.toString('latin1');
  }
  if (input === null || input === undefined) return '';
  return toText(String(input));
}

/** `XXXd…`: three letters (manufacturer flag) and a digit (baud-rate code), §2.3. */
function looksLikeIdent(h: string): boolean {
  if (h.length < 4) return false;
  for (let i = 0; i < 3; i++) {
    const c = h.charCodeAt(i) | Ch.LOWER;
    if (c < Ch.LC_A || c > Ch.LC_Z) return false;
  }
  const d = h.charCodeAt(3);
  return d >= Ch.D0 && d <= Ch.D9;
}

/** M-Bus device types (EN 13757-3), §2.6. */
const MBUS_GAS = 3;
const MBUS_HEAT_OUTLET = 4;
const MBUS_WARM_WATER = 6;
const MBUS_WATER = 7;
const MBUS_HEAT_INLET = 0x0c;
const MBUS_HEAT_COOLING = 0x0d;
const MBUS_COLD_WATER = 0x16;

function mbusType(dt: number): P1MbusDevice['type'] {
  switch (dt) {
    case MBUS_GAS:
      return 'gas';
    case MBUS_WARM_WATER:
    case MBUS_WATER:
    case MBUS_COLD_WATER:
      return 'water';
    case MBUS_HEAT_OUTLET:
    case MBUS_HEAT_INLET:
    case MBUS_HEAT_COOLING:
      return 'heat';
    default:
      return 'other';
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

// ---------------------------------------------------------------------------------------------------------
// Decoded state of one telegram
// ---------------------------------------------------------------------------------------------------------
type FailureLogEntry = { end: string | null; durationS: number };

class TelegramState {
  readonly warnings: string[] = [];
  warnCount = 0;
  versionNL: string | null = null;
  versionBE: string | null = null;
  sawVersionNL = false;
  sawVersionBE = false;
  sawLuxName = false;
  timestamp: string | null = null;
  equipmentId: string | null = null;
  tariff: number | null = null;
  imp0: number | null = null;
  exp0: number | null = null;
  impT: number[] | null = null;
  expT: number[] | null = null;
  energyBad = false;
  pImp: number | null = null;
  pExp: number | null = null;
  powerBad = false;
  ph0: PhaseValues | undefined = undefined;
  ph1: PhaseValues | undefined = undefined;
  ph2: PhaseValues | undefined = undefined;
  /** Bit p set: a power value of phase p was unusable, so its net power is not computed. */
  phaseBad = 0;
  pfCount: number | null = null;
  pfLong: number | null = null;
  pfLog: FailureLogEntry[] | null = null;
  pfSeen = false;
  sags: number[] | undefined = undefined;
  swells: number[] | undefined = undefined;
  msgText: string | null = null;
  msgCode: string | null = null;
  msgSeen = false;
  breaker: number | null | undefined = undefined;
  limiter: { value: number; unit: 'W' | 'A' } | null | undefined = undefined;
  fuseA: number | null | undefined = undefined;
  capSeen = false;
  capAvg: number | null = null;
  capPeakSeen = false;
  capPeakW: number | null = null;
  capPeakAt: string | null = null;
  capHist: CapacityHistoryEntry[] | undefined = undefined;
  readonly devices: P1MbusDevice[] = [];
  readonly objects: P1Object[] = [];
  readonly unknown: string[] = [];
  invalid: string[] | null = null;
  prev: P1Object | null = null;
  pendingProfile: P1MbusDevice | null = null;

  warn(msg: string): void {
    this.warnCount++;
    if (this.warnCount <= MAX_WARNINGS) this.warnings.push(msg);
  }

  /** `obis: bad <what> "<value>"`. */
  badValue(obis: string, what: string, v: string): void {
    this.warn(`${obis}: bad ${what} "${v.slice(0, SHOW_VALUE)}"`);
  }

  /** A value that cannot be used: warned about and listed in `invalid` (counted by the source). */
  reject(obis: string, what: string, v: string): void {
    this.badValue(obis, what, v);
    if (this.invalid === null) this.invalid = [obis];
    else if (this.invalid.indexOf(obis) < 0) this.invalid.push(obis);
  }

  markUnknown(obis: string): void {
    if (this.unknown.indexOf(obis) < 0) this.unknown.push(obis);
  }

  /** The M-Bus device of a channel, created in channel order. */
  device(ch: number): P1MbusDevice {
    const devices = this.devices;
    let i = 0;
    for (; i < devices.length; i++) {
      const c = devices[i].channel;
      if (c === ch) return devices[i];
      if (c > ch) break;
    }
    const d: P1MbusDevice = { channel: ch, deviceType: null, type: 'other', id: null, value: null, unit: null, at: null };
    devices.splice(i, 0, d);
    return d;
  }

  phase(p: number): PhaseValues {
    if (p === 0) return this.ph0 ?? (this.ph0 = {});
    if (p === 1) return this.ph1 ?? (this.ph1 = {});
    return this.ph2 ?? (this.ph2 = {});
  }
}

// ---------------------------------------------------------------------------------------------------------
// Line scanner
// ---------------------------------------------------------------------------------------------------------

/** Separator expected after OBIS field 0 (A-), 1 (B:), 2 and 3 (C. D.). */
function obisSeparator(field: number): number {
  return field === 0 ? Ch.MINUS : field === 1 ? Ch.COLON : Ch.DOT;
}

/**
 * Walks the lines of a telegram. Positions of the next CR, LF and '(' are found with native indexOf and
 * reused until passed, so each line end and each group end costs one native search instead of a JS loop
 * over every character. After scanObis() + scanGroups() the fields below describe the line.
 */
class LineScanner {
  readonly len: number;
  pos = 0;
  /** Index of the '!' that ends the telegram, -1 until found. */
  bang = -1;
  private nextCR = -1;
  private nextLF = -1;
  private nextOpen = -1;
  /** Line start and end (exclusive, at CR/LF). */
  ls = 0;
  le = 0;
  /** Start of a `*255` / `.255` suffix of the id, or -1. */
  star = -1;
  obisEnd = 0;
  /** The id packed into `packed` (A-B:C.D.E within the table's limits). */
  keyOk = false;
  packed = 0;
  values: string[] | null = null;
  /** An unterminated group (line cut off). */
  broken = false;
  /** Characters between groups. */
  junk = false;

  constructor(readonly t: string) {
    this.len = t.length;
  }

  /** The header line after the '/' at `start` (a '!' on it ends the telegram). */
  readHeader(start: number): string {
    const t = this.t;
    let i = start + 1;
    let depth = 0;
    for (; i < this.len; i++) {
      const c = t.charCodeAt(i);
      if (c === Ch.CR || c === Ch.LF) break;
      if (c === Ch.OPEN_PAREN) depth++;
      else if (c === Ch.CLOSE_PAREN) {
        if (depth > 0) depth--;
      } else if (c === Ch.BANG && depth === 0) {
        this.bang = i;
        break;
      }
    }
    this.pos = i;
    return t.slice(start + 1, i);
  }

  /** Skips line ends; true at the start of the next data line, false at the '!' or the end. */
  nextLine(): boolean {
    const t = this.t;
    while (this.bang < 0 && this.pos < this.len) {
      const c = t.charCodeAt(this.pos);
      if (c === Ch.CR || c === Ch.LF) {
        this.pos++;
        continue;
      }
      if (c === Ch.BANG) {
        this.bang = this.pos;
        return false;
      }
      this.startLine();
      return true;
    }
    return false;
  }

  private startLine(): void {
    const pos = this.pos;
    const t = this.t;
    this.ls = pos;
    if (this.nextCR < pos) {
      this.nextCR = t.indexOf('\r', pos);
      if (this.nextCR < 0) this.nextCR = this.len;
    }
    if (this.nextLF < pos) {
      this.nextLF = t.indexOf('\n', pos);
      if (this.nextLF < 0) this.nextLF = this.len;
    }
    this.le = this.nextCR < this.nextLF ? this.nextCR : this.nextLF;
  }

  /**
   * The OBIS part: up to the first '(' (or end of line / '!'). While scanning, A-B:C.D.E is packed into a
   * small integer key so that the table lookup does not need to hash a fresh string.
   */
  scanObis(): void {
    const t = this.t;
    const le = this.le;
    let i = this.pos;
    let star = -1;
    let field = 0;
    let fv = 0;
    let fd = 0;
    let packed = 0;
    let keyOk = true;
    for (; i < le; i++) {
      const c = t.charCodeAt(i);
      if (c === Ch.OPEN_PAREN || c === Ch.BANG) break;
      if (star >= 0) continue;
      if (c >= Ch.D0 && c <= Ch.D9) {
        fv = fv * 10 + (c - Ch.D0);
        fd++;
      } else if (c === Ch.STAR || (c === Ch.DOT && field === 4)) {
        star = i; // `*255` suffix (EasyMeter) or a sixth `.255` field: not part of the id (§2.10 #14)
      } else if (keyOk && fd > 0 && c === obisSeparator(field) && field < 4) {
        if (fv > (field < 2 ? K.PACK_AB_MAX : K.PACK_CD_MAX)) keyOk = false;
        packed = packed * (field < 2 ? K.PACK_AB : K.PACK_CD) + fv;
        field++;
        fv = 0;
        fd = 0;
      } else keyOk = false;
    }
    if (keyOk && field === 4 && fd > 0 && fv <= K.PACK_E_MAX) packed = packed * K.PACK_E + fv;
    else keyOk = false;
    this.star = star;
    this.obisEnd = i;
    this.keyOk = keyOk;
    this.packed = packed;
    this.pos = i;
  }

  /** The parenthesised groups after the id, up to the end of the line (or a '!' outside parentheses). */
  scanGroups(): void {
    const t = this.t;
    const le = this.le;
    let i = this.pos;
    this.values = null;
    this.broken = false;
    this.junk = false;
    while (i < le) {
      const c = t.charCodeAt(i);
      if (c === Ch.OPEN_PAREN) {
        const j = this.groupEnd(i);
        if (j < 0) {
          this.broken = true; // unterminated group (line cut off, §2.10 #1)
          i = le;
          break;
        }
        const v = unwrap(t.slice(i + 1, j));
        if (this.values === null) this.values = [v];
        else this.values.push(v);
        i = j + 1;
      } else if (c === Ch.BANG) {
        this.bang = i; // '!' outside parentheses ends the telegram (line end lost)
        break;
      } else {
        this.junk = true;
        i++;
      }
    }
    this.pos = i;
  }

  /** Index of the ')' closing the '(' at i on this line, or -1. */
  private groupEnd(i: number): number {
    const t = this.t;
    const le = this.le;
    let j = t.indexOf(')', i + 1);
    if (j < 0 || j >= le) return -1;
    if (this.nextOpen <= i) {
      this.nextOpen = t.indexOf('(', i + 1);
      if (this.nextOpen < 0) this.nextOpen = this.len;
    }
    if (this.nextOpen < j) {
      // nested parentheses `((ER11))` (§2.10 #14): find the matching ')'
      let depth = 1;
      for (j = i + 1; j < le; j++) {
        const d = t.charCodeAt(j);
        if (d === Ch.CLOSE_PAREN) {
          if (--depth === 0) break;
        } else if (d === Ch.OPEN_PAREN) depth++;
      }
      this.nextOpen = -1;
      if (depth !== 0) return -1;
    }
    return j;
  }

  /** Start of the current line, at most SHOW_LINE characters, for warnings. */
  excerpt(): string {
    return this.t.slice(this.ls, Math.min(this.pos, this.ls + SHOW_LINE));
  }
}

/** `((ER11))` → `ER11`. */
function unwrap(v: string): string {
  if (v.length >= 2 && v.charCodeAt(0) === Ch.OPEN_PAREN) {
    while (v.length >= 2 && v.charCodeAt(0) === Ch.OPEN_PAREN && v.charCodeAt(v.length - 1) === Ch.CLOSE_PAREN) v = v.slice(1, -1);
  }
  return v;
}

// ---------------------------------------------------------------------------------------------------------
// Lines → objects
// ---------------------------------------------------------------------------------------------------------

/** A continuation line: a value for the previous object (DSMR 2.2/3.0 `24.3.0` gas profile, §2.3). */
function continuation(st: TelegramState, sc: LineScanner): void {
  const values = sc.values;
  const prev = st.prev;
  if (prev === null || values === null || sc.broken) {
    st.warn(`stray line "${sc.excerpt()}"`);
    return;
  }
  for (let k = 0; k < values.length; k++) prev.values.push(values[k]);
  const dv = st.pendingProfile;
  if (dv === null) {
    st.warn(`unexpected continuation line after ${prev.obis}`);
    return;
  }
  st.pendingProfile = null;
  const v = values[0];
  if (scanNumber(v)) {
    const u = unitOf(v);
    dv.value = numPlain();
    if (u !== U_NONE) dv.unit = unitName(u, v);
  } else if (v !== '') st.warn(`0-${dv.channel}:24.3.0: bad profile value "${v.slice(0, 40)}"`);
}

/** One data line: becomes an object, and a typed value when the id is known. */
function dataLine(st: TelegramState, sc: LineScanner): void {
  const first = sc.t.charCodeAt(sc.ls);
  if (first === Ch.OPEN_PAREN) return continuation(st, sc);
  st.pendingProfile = null;
  if (first === Ch.SLASH) {
    st.warn('second header line inside the telegram (previous telegram cut off?)');
    st.prev = null;
    return;
  }
  const values = sc.values;
  if (sc.broken || values === null) {
    st.warn(`${sc.broken ? 'truncated line' : 'line without value'} "${sc.excerpt()}"`);
    st.prev = null;
    return;
  }
  const obis = sc.t.slice(sc.ls, sc.star >= 0 ? sc.star : sc.obisEnd);
  const obj: P1Object = { obis, values };
  st.objects.push(obj);
  st.prev = obj;
  if (sc.junk) st.warn(`${obis}: unexpected characters between groups`);
  const code = sc.keyOk ? keyedGet(sc.packed) : lookupSlow(obis);
  if (code === K.K_UNKNOWN) {
    if (obis === LUX_NAME) st.sawLuxName = true;
    st.markUnknown(obis);
    return;
  }
  try {
    decode(st, code, obis, values);
  } catch (e) {
    st.warn(`${obis}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

function decode(st: TelegramState, code: number, obis: string, values: string[]): void {
  const v0 = values[0];
  if (code >= K.K_MBUS) return decodeMbus(st, code, obis, values);
  if (code >= K.K_IMP0 && code <= K.K_EXP0 + 4) return decodeEnergy(st, code, obis, v0);
  if (code >= K.K_PH_IMP && code < K.K_PH_V) return decodePhasePower(st, code, obis, v0);
  if (code >= K.K_PH_V && code < K.K_PH_I + 3) return decodePhaseVI(st, code, obis, v0);
  if (code >= K.K_SAG && code < K.K_SWELL + 3) return decodeSagSwell(st, code, obis, v0);
  switch (code) {
    case K.K_VERSION_NL:
      st.sawVersionNL = true;
      if (v0 !== '') st.versionNL = isUInt(v0) && v0.length >= 2 && v0.length <= 3 ? v0.split('').join('.') : v0;
      return;
    case K.K_VERSION_BE:
      st.sawVersionBE = true;
      if (v0 !== '') st.versionBE = v0;
      return;
    case K.K_TIMESTAMP:
      st.timestamp = tsParse(v0);
      if (st.timestamp === null && !tsScratch.placeholder && v0 !== '') st.warn(`${obis}: invalid timestamp "${v0.slice(0, SHOW_VALUE)}"`);
      return;
    case K.K_EQUIPMENT:
      st.equipmentId = hexText(v0);
      return;
    case K.K_TARIFF:
      st.tariff = digitsIn(v0);
      return;
    case K.K_P_IMP:
    case K.K_P_EXP:
      return decodePower(st, code, obis, v0);
    case K.K_PF_COUNT:
    case K.K_PF_LONG: {
      st.pfSeen = true;
      const n = scanNumber(v0) ? Math.round(numPlain()) : null;
      if (code === K.K_PF_COUNT) st.pfCount = n;
      else st.pfLong = n;
      return;
    }
    case K.K_PF_LOG:
      st.pfSeen = true;
      st.pfLog = failureLog(values);
      return;
    case K.K_MSG_TEXT:
      st.msgSeen = true;
      st.msgText = hexText(v0);
      return;
    case K.K_MSG_CODE:
      st.msgSeen = true;
      st.msgCode = hexText(v0);
      return;
    case K.K_BREAKER:
      st.breaker = breakerState(st, obis, v0);
      return;
    case K.K_LIMITER:
      st.limiter = limiterValue(st, obis, v0);
      return;
    case K.K_FUSE:
      st.fuseA = numberIn(v0, U_A);
      if (st.fuseA === null && v0 !== '') st.badValue(obis, 'fuse value', v0);
      return;
    case K.K_CAP_AVG:
      st.capSeen = true;
      st.capAvg = measured(st, code, obis, v0, powerW(v0), 'demand value');
      return;
    case K.K_CAP_PEAK:
      return decodeMonthPeak(st, obis, values);
    case K.K_CAP_HIST:
      return decodeHistory(st, obis, values);
    default:
      st.markUnknown(obis);
  }
}

/**
 * A measured value checked against its descriptor point's range: null (with a counted rejection) when it
 * is not a number or out of range; an empty group is simply absent.
 */
function measured(st: TelegramState, code: number, obis: string, v0: string, v: number | null, what: string): number | null {
  if (v !== null && v >= RANGE_MIN[code] && v <= RANGE_MAX[code]) return v;
  if (v0 !== '') st.reject(obis, v === null ? what : `${what} (out of range)`, v0);
  return null;
}

function decodeEnergy(st: TelegramState, code: number, obis: string, v0: string): void {
  const wh = measured(st, code, obis, v0, energyWh(v0), 'energy value');
  if (wh === null) {
    if (v0 !== '') st.energyBad = true;
    return;
  }
  if (code === K.K_IMP0) st.imp0 = wh;
  else if (code === K.K_EXP0) st.exp0 = wh;
  else {
    const isImp = code < K.K_EXP0;
    const idx = code - (isImp ? K.K_IMP0 : K.K_EXP0) - 1;
    if (isImp) st.impT = setAt(st.impT, idx, wh);
    else st.expT = setAt(st.expT, idx, wh);
  }
}

/** `arr` (a new one when missing) with `v` at `idx`, zeros before it. */
function setAt(arr: number[] | null | undefined, idx: number, v: number): number[] {
  const a = arr ?? [];
  while (a.length <= idx) a.push(0);
  a[idx] = v;
  return a;
}

function decodePower(st: TelegramState, code: number, obis: string, v0: string): void {
  const w = measured(st, code, obis, v0, powerW(v0), 'power value');
  if (w === null) {
    if (v0 !== '') st.powerBad = true;
  } else if (code === K.K_P_IMP) st.pImp = w;
  else st.pExp = w;
}

function decodePhasePower(st: TelegramState, code: number, obis: string, v0: string): void {
  const isImp = code < K.K_PH_EXP;
  const p = code - (isImp ? K.K_PH_IMP : K.K_PH_EXP);
  const w = measured(st, code, obis, v0, powerW(v0), 'power value');
  if (w === null) {
    if (v0 !== '') st.phaseBad |= 1 << p;
  } else if (isImp) st.phase(p).importPower = w;
  else st.phase(p).exportPower = w;
}

/** Voltage (V) or current (A) of a phase. */
function decodePhaseVI(st: TelegramState, code: number, obis: string, v0: string): void {
  const isV = code < K.K_PH_I;
  const v = measured(st, code, obis, v0, numberIn(v0, isV ? U_V : U_A), isV ? 'voltage' : 'current');
  if (v === null) return;
  if (isV) st.phase(code - K.K_PH_V).voltage = v;
  else st.phase(code - K.K_PH_I).current = v;
}

function decodeSagSwell(st: TelegramState, code: number, obis: string, v0: string): void {
  if (!scanNumber(v0)) {
    if (v0 !== '') st.badValue(obis, 'counter', v0);
    return;
  }
  const n = Math.round(numPlain());
  if (code < K.K_SWELL) st.sags = setAt(st.sags, code - K.K_SAG, n);
  else st.swells = setAt(st.swells, code - K.K_SWELL, n);
}

/** Index of the first group after a leading count and the capture-object ids (`0-0:96.7.19`). */
function afterCaptureIds(values: string[], k: number): number {
  while (k < values.length && values[k].indexOf(':') >= 0) k++;
  return k;
}

/** (n)(0-0:96.7.19)(end_1)(duration_1*s)... ; well-formed pairs only, placeholders dropped (§2.10 #10). */
function failureLog(values: string[]): FailureLogEntry[] {
  const log: FailureLogEntry[] = [];
  let k = afterCaptureIds(values, values.length > 0 && isUInt(values[0]) ? 1 : 0);
  for (; k + 1 < values.length; k += 2) {
    const ts = values[k];
    const dur = values[k + 1];
    if (!isTsLike(ts) || !scanNumber(dur)) continue;
    const u = unitOf(dur);
    if (u !== U_S && u !== U_NONE) continue;
    const durationS = numPlain();
    if (durationS >= UNUSED_DURATION_S) continue;
    const end = tsParse(ts);
    if (end === null) continue;
    log.push({ end, durationS });
  }
  return log;
}

/** Breaker state 0 off, 1 on, 2 ready; also "ON" / "OFF". */
function breakerState(st: TelegramState, obis: string, v0: string): number | null {
  const b = digitsIn(v0);
  if (b !== null) return b;
  const up = v0.toUpperCase();
  if (up === 'ON') return 1;
  if (up === 'OFF') return 0;
  if (v0 !== '') st.badValue(obis, 'breaker state', v0);
  return null;
}

/** Limiter threshold: kW / kVA (LU, as W) / W / VA → W, A as A. */
function limiterValue(st: TelegramState, obis: string, v0: string): { value: number; unit: 'W' | 'A' } | null {
  if (!scanNumber(v0)) {
    if (v0 !== '') st.badValue(obis, 'limiter value', v0);
    return null;
  }
  const u = unitOf(v0);
  if (u === U_KW || u === U_KVA) return { value: numMilli(), unit: 'W' };
  if (u === U_W || u === U_VA) return { value: Math.round(numPlain()), unit: 'W' };
  if (u === U_A) return { value: numPlain(), unit: 'A' };
  st.warn(`${obis}: unknown limiter unit "${v0.slice(0, SHOW_VALUE)}"`);
  return null;
}

/** 1-0:1.6.0 (timestamp)(value*kW): the order is detected by content (§2.10 #13). */
function decodeMonthPeak(st: TelegramState, obis: string, values: string[]): void {
  st.capSeen = true;
  st.capPeakSeen = true;
  for (let k = 0; k < values.length; k++) {
    const g = values[k];
    if (isTsLike(g)) st.capPeakAt = tsParse(g);
    else if (g !== '') {
      const w = measured(st, K.K_CAP_PEAK, obis, g, powerW(g), 'peak value');
      if (w !== null) st.capPeakW = w;
    }
  }
}

/** 0-0:98.1.0 (n)(1-0:1.6.0)(1-0:1.6.0)(month_1)(peak_time_1)(value_1*kW)... (§2.3). */
function decodeHistory(st: TelegramState, obis: string, values: string[]): void {
  if (!isUInt(values[0])) {
    st.warn(`${obis}: unsupported layout`);
    st.markUnknown(obis);
    return;
  }
  st.capSeen = true;
  const hist: CapacityHistoryEntry[] = [];
  let k = afterCaptureIds(values, 1);
  for (; k + 2 < values.length; k += 3) {
    const e = historyEntry(values, k);
    if (e !== null) hist.push(e);
    else st.warn(`${obis}: malformed entry ${(k - 1) / 3 + 1}`);
  }
  if (k < values.length) st.warn(`${obis}: ${values.length - k} stray group(s)`);
  st.capHist = hist;
}

/** One (month)(time)(peak) triplet in any order, or null when it is not two time stamps and one power. */
function historyEntry(values: string[], k: number): CapacityHistoryEntry | null {
  let month: string | null = null;
  let at: string | null = null;
  let peak: number | null = null;
  let nts = 0;
  for (let q = k; q < k + 3; q++) {
    const g = values[q];
    if (isTsLike(g)) {
      if (nts === 0) month = tsParse(g);
      else at = tsParse(g);
      nts++;
    } else {
      const w = powerW(g);
      if (w === null || peak !== null) return null;
      peak = w;
    }
  }
  return nts === 2 && peak !== null ? { month, peakW: peak, at } : null;
}

function decodeMbus(st: TelegramState, code: number, obis: string, values: string[]): void {
  const ch = ((code - K.K_MBUS) / 10) | 0;
  const kind = (code - K.K_MBUS) % 10;
  const dv = st.device(ch);
  const v0 = values[0];
  if (kind === K.MB_TYPE) dv.deviceType = v0 === '' ? null : digitsIn(v0);
  else if (kind === K.MB_ID) dv.id = hexText(v0);
  else if (kind === K.MB_READING) mbusReading(st, dv, obis, values);
  else {
    // 24.3.0: (capture time)(status)(period)(count)(captured obis)(unit) then the value on the next line
    dv.at = values.length > 0 ? tsParse(v0) : null;
    if (values.length > 5 && values[5] !== '') dv.unit = values[5];
    if (values.length > 6 && scanNumber(values[6])) dv.value = numPlain();
    else st.pendingProfile = dv;
  }
}

/** (capture time)(value*unit), either order. */
function mbusReading(st: TelegramState, dv: P1MbusDevice, obis: string, values: string[]): void {
  for (let k = 0; k < values.length; k++) {
    const g = values[k];
    if (isTsLike(g)) dv.at = tsParse(g);
    else if (scanNumber(g)) {
      dv.value = numPlain();
      const u = unitOf(g);
      if (u !== U_NONE) dv.unit = unitName(u, g);
    } else if (g !== '') st.badValue(obis, 'reading', g);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Frame: header, CRC, version
// ---------------------------------------------------------------------------------------------------------

/** First '/' at the start of a line, else the first '/' anywhere (garbage before it, §2.10 #2), or -1. */
function headerStart(t: string): number {
  for (let i = t.indexOf('/'); i !== -1; i = t.indexOf('/', i + 1)) {
    if (i === 0) return 0;
    const p = t.charCodeAt(i - 1);
    if (p === Ch.LF || p === Ch.CR) return i;
  }
  return t.indexOf('/');
}

/** Most CRC digits after the '!'. */
const CRC_DIGITS = 4;

interface CrcResult {
  crc: P1Telegram['crc'];
  crcGiven: string | null;
  crcComputed: string;
  crcValid: boolean;
}

/** CRC (§2.4): over the original characters from '/' to '!' inclusive. */
function checkCrc(st: TelegramState, t: string, start: number, bang: number, header: string): CrcResult {
  const len = t.length;
  let crcGiven: string | null = null;
  if (bang >= 0) {
    let k = bang + 1;
    const stop = Math.min(len, bang + 1 + CRC_DIGITS);
    while (k < stop && hexVal(t.charCodeAt(k)) >= 0) k++;
    if (k > bang + 1) crcGiven = t.slice(bang + 1, k);
  }
  const spanStart = start >= 0 ? start : 0;
  const spanEnd = bang >= 0 ? bang + 1 : len;
  let computed = crc16Arc(t, spanStart, spanEnd);
  let crc: P1Telegram['crc'];
  if (crcGiven !== null) {
    const given = parseInt(crcGiven, 16);
    if (start >= 0 && computed === given) crc = 'ok';
    else {
      crc = 'bad';
      const alt = start >= 0 ? crlfCrc(t, spanStart, spanEnd) : -1;
      if (alt === given) {
        crc = 'ok';
        computed = alt;
      }
    }
  } else if (bang < 0) {
    crc = 'missing';
    st.warn("no end of telegram ('!' missing, telegram incomplete)");
  } else {
    // No CRC digits after '!': acceptable only for DSMR 2.2/3.0, i.e. without a version line (§2.4 policy).
    // As nothing then protects the frame, it must at least look like a telegram: an identification of
    // 3 letters + the baud digit (§2.3) and one data line.
    crc = start < 0 || st.sawVersionNL || st.sawVersionBE || st.objects.length === 0 || !looksLikeIdent(header) ? 'missing' : 'none';
  }
  return { crc, crcGiven, crcComputed: crcHex(computed), crcValid: start >= 0 && (crc === 'ok' || crc === 'none') };
}

/**
 * Telegrams stored with LF line ends (copy/paste, fixture files) lose the CR that the meter sent and
 * checksummed. When the span has LF line ends and no CR at all, the CRC of the CRLF form (else -1).
 * Mixed line ends get no second chance (a dropped CR is corruption).
 */
function crlfCrc(t: string, spanStart: number, spanEnd: number): number {
  const lf = t.indexOf('\n', spanStart);
  if (lf < 0 || lf >= spanEnd) return -1;
  const cr = t.indexOf('\r', spanStart);
  if (cr >= 0 && cr < spanEnd) return -1;
  return crc16Arc(t.slice(spanStart, spanEnd).replace(/\n/g, '\r\n'));
}

interface VersionInfo {
  profile: P1Profile;
  version: string | null;
  protocol: string;
}

/** Profile (NL, BE, LU), version and protocol text from the version lines, header and CRC presence. */
function detectVersion(st: TelegramState, header: string, crcGiven: string | null): VersionInfo {
  const lux =
    (header.length >= 3 && header.slice(0, 3).toLowerCase() === 'lux') ||
    (st.sawLuxName && st.sawVersionNL && st.imp0 !== null && st.impT === null && !st.sawVersionBE);
  if (st.sawVersionBE) {
    const version = st.versionBE;
    return { profile: 'BE', version, protocol: version !== null ? `e-MUCS ${version}` : 'e-MUCS' };
  }
  if (lux) {
    const version = st.versionNL;
    return { profile: 'LU', version, protocol: version !== null ? `DSMR ${version} (Smarty LU)` : 'Smarty LU' };
  }
  if (st.sawVersionNL) {
    const version = st.versionNL;
    return { profile: 'NL', version, protocol: version !== null ? `DSMR ${version}` : 'DSMR' };
  }
  if (crcGiven === null) return { profile: st.impT !== null || st.tariff !== null ? 'NL' : 'unknown', version: '2.2/3.0', protocol: 'DSMR 2.2/3.0' };
  return { profile: 'unknown', version: null, protocol: 'DSMR (unknown version)' };
}

// ---------------------------------------------------------------------------------------------------------
// Assembly
// ---------------------------------------------------------------------------------------------------------

function sum(a: number[]): number {
  let s = 0;
  for (let k = 0; k < a.length; k++) s += a[k];
  return s;
}

/** Energy counters: totals are the sums of the tariff registers when there are any. None when a register was unusable. */
function energyOf(st: TelegramState): EnergyCounters | null {
  const { impT, expT } = st;
  if (st.energyBad || (impT === null && expT === null && st.imp0 === null && st.exp0 === null)) return null;
  const energy: EnergyCounters = { importWh: impT !== null ? sum(impT) : (st.imp0 ?? 0), exportWh: expT !== null ? sum(expT) : (st.exp0 ?? 0) };
  if (impT !== null) energy.importTariffWh = impT;
  if (expT !== null) energy.exportTariffWh = expT;
  return energy;
}

/** Phases L1.. up to the last one the meter sent, with the net power where both parts are usable. */
function phasesOf(st: TelegramState): PhaseValues[] {
  const phases: PhaseValues[] = [];
  const nph = st.ph2 !== undefined ? 3 : st.ph1 !== undefined ? 2 : st.ph0 !== undefined ? 1 : 0;
  for (let p = 0; p < nph; p++) {
    const ph = (p === 0 ? st.ph0 : p === 1 ? st.ph1 : st.ph2) ?? {};
    if ((ph.importPower !== undefined || ph.exportPower !== undefined) && (st.phaseBad & (1 << p)) === 0) {
      ph.power = (ph.importPower ?? 0) - (ph.exportPower ?? 0);
    }
    phases.push(ph);
  }
  return phases;
}

/** Types the M-Bus devices and picks one gas, water and heat meter each. */
function pickMbus(devices: P1MbusDevice[]): { gas: P1MbusDevice | null; water: P1MbusDevice | null; heat: P1MbusDevice | null } {
  const picked = { gas: null as P1MbusDevice | null, water: null as P1MbusDevice | null, heat: null as P1MbusDevice | null };
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
    if (d.at === null && d.value === 0) continue;
    if (d.type === 'other') continue;
    const cur = picked[d.type];
    if (cur === null || (cur.at === null && d.at !== null)) picked[d.type] = d;
  }
  return picked;
}

/** kWh / MWh heat readings → GJ. */
function heatGJ(d: P1MbusDevice): number {
  const gj = d.value as number;
  const u = (d.unit ?? 'GJ').toLowerCase();
  if (u === 'kwh') return gj * 0.0036;
  if (u === 'mwh') return gj * 3.6;
  return gj;
}

function capacityOf(st: TelegramState): CapacityValues {
  const cap: CapacityValues = { currentAverageW: st.capAvg };
  if (st.capPeakSeen) {
    cap.monthPeakW = st.capPeakW;
    cap.monthPeakAt = st.capPeakAt;
  }
  if (st.capHist !== undefined) cap.history = st.capHist;
  return cap;
}

function assemble(st: TelegramState, header: string, crc: CrcResult, v: VersionInfo): P1Telegram {
  if (st.warnCount > MAX_WARNINGS) st.warnings.push(`${st.warnCount - MAX_WARNINGS} more warning(s) suppressed`);
  const { pImp, pExp } = st;
  const out: P1Telegram = {
    crcValid: crc.crcValid,
    crc: crc.crc,
    crcGiven: crc.crcGiven,
    crcComputed: crc.crcComputed,
    header,
    manufacturer: header.slice(0, 3),
    profile: v.profile,
    version: v.version,
    protocol: v.protocol,
    timestamp: st.timestamp,
    equipmentId: st.equipmentId,
    power: !st.powerBad && (pImp !== null || pExp !== null) ? (pImp ?? 0) - (pExp ?? 0) : null,
    importPower: pImp,
    exportPower: pExp,
    phases: phasesOf(st),
    energy: energyOf(st),
    tariff: st.tariff,
    mbus: st.devices,
    objects: st.objects,
    unknown: st.unknown,
    warnings: st.warnings,
  };
  if (st.invalid !== null) out.invalid = st.invalid;
  if (st.capSeen) out.capacity = capacityOf(st);
  const m = pickMbus(st.devices);
  if (m.gas !== null) out.gas = { m3: m.gas.value as number, at: m.gas.at };
  if (m.water !== null) out.water = { m3: m.water.value as number, at: m.water.at };
  if (m.heat !== null) out.heat = { GJ: heatGJ(m.heat), at: m.heat.at };
  if (st.pfSeen) out.powerFailures = { count: st.pfCount, longCount: st.pfLong, log: st.pfLog ?? [] };
  if (st.sags !== undefined) out.voltageSags = st.sags;
  if (st.swells !== undefined) out.voltageSwells = st.swells;
  if (st.msgSeen) out.message = { code: st.msgCode, text: st.msgText };
  if (st.breaker !== undefined) out.breaker = st.breaker;
  if (st.limiter !== undefined) out.limiter = st.limiter;
  if (st.fuseA !== undefined) out.fuseA = st.fuseA;
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Entry point
// ---------------------------------------------------------------------------------------------------------

function parseText(t: string): P1Telegram {
  const st = new TelegramState();
  const sc = new LineScanner(t);
  const start = headerStart(t);
  let header = '';
  if (start >= 0) header = sc.readHeader(start);
  else st.warn("no header line ('/' missing)");
  while (sc.nextLine()) {
    sc.scanObis();
    sc.scanGroups();
    dataLine(st, sc);
  }
  const crc = checkCrc(st, t, start, sc.bang, header);
  return assemble(st, header, crc, detectVersion(st, header, crc.crcGiven));
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
