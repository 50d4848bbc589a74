/**
 * The parser's dispatch table, built from the P1 descriptor (descriptor.ts): OBIS id → a small
 * integer code saying how the object is decoded. The table names no OBIS code itself: each
 * descriptor point names its decoder here (DECODER_OF), and the codes come from the points.
 *
 * Lookup on the hot path: the line scanner packs `A-B:C.D.E` into an integer while it reads the id
 * (obisKey() is the same packing for table entries), and an open-addressing hash over those keys
 * gives the code without hashing a fresh string.
 */
import { Ch } from './chars';
import { ELECTRICITY_B_ALIASES, P1_POINTS } from './descriptor';

/** Decoder codes (a const enum: the compiler puts the numbers into the parser's switch). */
export const enum K {
  K_UNKNOWN = 0,
  K_VERSION_NL = 1,
  K_VERSION_BE = 2,
  K_TIMESTAMP = 3,
  K_EQUIPMENT = 4,
  K_TARIFF = 5,
  K_IMP0 = 10, // 1.8.0, 1.8.1..1.8.4 = 11..14
  K_EXP0 = 20, // 2.8.0, 2.8.1..2.8.4 = 21..24
  K_P_IMP = 30,
  K_P_EXP = 31,
  K_PH_IMP = 40, // +0..2
  K_PH_EXP = 43,
  K_PH_V = 46,
  K_PH_I = 49,
  K_PF_COUNT = 60,
  K_PF_LONG = 61,
  K_PF_LOG = 62,
  K_SAG = 63, // +0..2
  K_SWELL = 66, // +0..2
  K_MSG_TEXT = 70,
  K_MSG_CODE = 71,
  K_BREAKER = 72,
  K_LIMITER = 73,
  K_FUSE = 74,
  K_CAP_AVG = 80,
  K_CAP_PEAK = 81,
  K_CAP_HIST = 82,
  /** M-Bus: K_MBUS + channel * 10 + kind. */
  K_MBUS = 1000,
  MB_TYPE = 1,
  MB_ID = 2,
  MB_READING = 3,
  MB_PROFILE = 4,
  // Packed keys: A, B ≤ 15 (4 bits), C, D ≤ 127 (7 bits), E ≤ 255 (8 bits): the line scanner packs as it reads.
  PACK_AB_MAX = 15,
  PACK_CD_MAX = 127,
  PACK_E_MAX = 255,
  PACK_AB = 16,
  PACK_CD = 128,
  PACK_E = 256,
}

/** Highest M-Bus channel accepted. */
const MAX_CHANNEL = 99;
/** Channels in the packed table; higher ones go through lookupSlow. */
const TABLE_CHANNELS = 15;

/** Decoder of every descriptor point; K.K_UNKNOWN = known to the descriptor but kept raw (objects, unknown). */
const DECODER_OF: Record<string, number> = {
  version: K.K_VERSION_NL,
  versionBE: K.K_VERSION_BE,
  timestamp: K.K_TIMESTAMP,
  equipmentId: K.K_EQUIPMENT,
  tariff: K.K_TARIFF,
  importPower: K.K_P_IMP,
  exportPower: K.K_P_EXP,
  'powerFailures.count': K.K_PF_COUNT,
  'powerFailures.longCount': K.K_PF_LONG,
  'powerFailures.log': K.K_PF_LOG,
  'message.text': K.K_MSG_TEXT,
  'message.code': K.K_MSG_CODE,
  breaker: K.K_BREAKER,
  limiter: K.K_LIMITER,
  fuse: K.K_FUSE,
  'capacity.currentAverage': K.K_CAP_AVG,
  'capacity.monthPeakAt': K.K_CAP_PEAK,
  'capacity.monthPeak': K.K_CAP_PEAK,
  'capacity.history': K.K_CAP_HIST,
  'mbus.deviceType': K.MB_TYPE,
  'mbus.id': K.MB_ID,
  'mbus.idBE': K.MB_ID,
  'mbus.readingAt': K.MB_READING,
  'mbus.reading': K.MB_READING,
  'mbus.uncorrectedAt': K.MB_READING,
  'mbus.uncorrected': K.MB_READING,
  'mbus.profile': K.MB_PROFILE,
  'mbus.valve': K.K_UNKNOWN,
  'luxembourg.deviceName': K.K_UNKNOWN,
  'energy.import': K.K_IMP0,
  'energy.export': K.K_EXP0,
};
for (let t = 1; t <= 4; t++) {
  DECODER_OF[`energy.import.t${t}`] = K.K_IMP0 + t;
  DECODER_OF[`energy.export.t${t}`] = K.K_EXP0 + t;
}
for (let p = 0; p < 3; p++) {
  const L = `L${p + 1}`;
  DECODER_OF[`${L}.importPower`] = K.K_PH_IMP + p;
  DECODER_OF[`${L}.exportPower`] = K.K_PH_EXP + p;
  DECODER_OF[`${L}.voltage`] = K.K_PH_V + p;
  DECODER_OF[`${L}.current`] = K.K_PH_I + p;
  DECODER_OF[`${L}.sags`] = K.K_SAG + p;
  DECODER_OF[`${L}.swells`] = K.K_SWELL + p;
}

/** Non-M-Bus OBIS id → code, and M-Bus suffix (`24.2.1`) → kind, from the descriptor. */
export const CODES = new Map<string, number>();
const MBUS_SUFFIX = new Map<string, number>();
/** OBIS ids the descriptor knows but the parser keeps raw. */
export const RAW_CODES = new Set<string>();
const MBUS_ANY = /^0-n:/;

for (const p of P1_POINTS) {
  if (p.source.kind !== 'obis') continue;
  const decoder = DECODER_OF[p.name];
  if (decoder === undefined) throw new Error(`P1 parser: no decoder for descriptor point ${p.name}`);
  const code = p.source.code;
  if (MBUS_ANY.test(code)) {
    const suffix = code.slice(code.indexOf(':') + 1);
    if (decoder !== K.K_UNKNOWN && !MBUS_SUFFIX.has(suffix)) MBUS_SUFFIX.set(suffix, decoder);
  } else if (decoder === K.K_UNKNOWN) RAW_CODES.add(code);
  else if (!CODES.has(code)) CODES.set(code, decoder);
}

/**
 * Valid range of the value of each (non-M-Bus) decoder, from the points' `range` (values outside are
 * rejected: a negative import power, 400 digits). Unbounded where the point has none.
 */
export const RANGE_MIN = new Float64Array(K.K_MBUS).fill(-Infinity);
export const RANGE_MAX = new Float64Array(K.K_MBUS).fill(Infinity);
for (const p of P1_POINTS) {
  const decoder = DECODER_OF[p.name];
  if (p.range && decoder > K.K_UNKNOWN && decoder < K.K_MBUS && decoder >= K.K_IMP0) {
    RANGE_MIN[decoder] = p.range[0];
    RANGE_MAX[decoder] = p.range[1];
  }
}

/** `A-B:rest` → [A, B, rest], or null. */
function splitAB(obis: string): [number, number, string] | null {
  const m = /^(\d+)-(\d+):(.+)$/.exec(obis);
  return m ? [Number(m[1]), Number(m[2]), m[3]] : null;
}

/** Electricity objects (A = 1, B = 0) under their B aliases (ELECTRICITY_B_ALIASES). */
function aliasesOf(obis: string): string[] {
  const ab = splitAB(obis);
  if (!ab || ab[0] !== 1 || ab[1] !== 0) return [];
  return ELECTRICITY_B_ALIASES.map((b) => `1-${b}:${ab[2]}`);
}

/** The canonical id of an electricity alias (`1-1:1.8.1` → `1-0:1.8.1`), or null. */
function canonicalOfAlias(obis: string): string | null {
  const ab = splitAB(obis);
  if (!ab || ab[0] !== 1 || !(ELECTRICITY_B_ALIASES as readonly number[]).includes(ab[1])) return null;
  return `1-0:${ab[2]}`;
}

const mbusId = (ch: number, suffix: string) => `0-${ch}:${suffix}`;

/** Packs `A-B:C.D.E` into a small integer, or -1. Same packing as the line scanner. */
function obisKey(obis: string): number {
  const m = /^(\d+)-(\d+):(\d+)\.(\d+)\.(\d+)$/.exec(obis);
  if (m === null) return -1;
  const [a, b, c, d, e] = [m[1], m[2], m[3], m[4], m[5]].map(Number);
  if (a > K.PACK_AB_MAX || b > K.PACK_AB_MAX || c > K.PACK_CD_MAX || d > K.PACK_CD_MAX || e > K.PACK_E_MAX) return -1;
  return (((a * K.PACK_AB + b) * K.PACK_CD + c) * K.PACK_CD + d) * K.PACK_E + e;
}

const KEYED_BITS = 11;
const KEYED_KEYS = new Int32Array(1 << KEYED_BITS).fill(-1);
const KEYED_VALS = new Int32Array(1 << KEYED_BITS);
/** Fibonacci hashing multiplier (2^32 / golden ratio). */
const HASH_MUL = 0x9e3779b1;

function keyedSlot(key: number): number {
  const mask = (1 << KEYED_BITS) - 1;
  let h = Math.imul(key, HASH_MUL) >>> (32 - KEYED_BITS);
  while (KEYED_KEYS[h] !== -1 && KEYED_KEYS[h] !== key) h = (h + 1) & mask;
  return h;
}

/** Table code for a packed OBIS key, 0 when unknown. */
export function keyedGet(key: number): number {
  const h = keyedSlot(key);
  return KEYED_KEYS[h] === key ? KEYED_VALS[h] : 0;
}

(() => {
  const set = (obis: string, code: number) => {
    const key = obisKey(obis);
    if (key < 0) return;
    const h = keyedSlot(key);
    if (KEYED_KEYS[h] === key) return; // first entry wins
    KEYED_KEYS[h] = key;
    KEYED_VALS[h] = code;
  };
  for (const [obis, code] of CODES) set(obis, code);
  for (let ch = 1; ch <= TABLE_CHANNELS; ch++) for (const [suffix, kind] of MBUS_SUFFIX) set(mbusId(ch, suffix), K.K_MBUS + ch * 10 + kind);
  for (const [obis, code] of CODES) for (const alias of aliasesOf(obis)) set(alias, code);
})();

/** Code for an OBIS id the packed table cannot hold: M-Bus channels > 15, ids with large groups, aliases. */
export function lookupSlow(obis: string): number {
  const n = obis.length;
  if (n > 4 && obis.charCodeAt(0) === Ch.D0 && obis.charCodeAt(1) === Ch.MINUS) {
    // 0-<ch>:<suffix>
    let ch = 0;
    let i = 2;
    for (; i < n && i < 5; i++) {
      const c = obis.charCodeAt(i);
      if (c < Ch.D0 || c > Ch.D9) break;
      ch = ch * 10 + (c - Ch.D0);
    }
    if (i > 2 && i < n && obis.charCodeAt(i) === Ch.COLON && ch >= 1 && ch <= MAX_CHANNEL) {
      const kind = MBUS_SUFFIX.get(obis.slice(i + 1));
      if (kind !== undefined) return K.K_MBUS + ch * 10 + kind;
    }
    return 0;
  }
  const canonical = n > 4 ? canonicalOfAlias(obis) : null;
  return canonical === null ? 0 : (CODES.get(canonical) ?? 0);
}
