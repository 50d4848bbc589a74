/**
 * KSEM register words ⇄ values, driven by the points table (descriptor.ts). Nothing here throws on
 * words from the wire: a point whose registers are missing, or that holds a "not implemented"
 * pattern, is simply absent from the result.
 */
import { decodeValue, encodeValue } from '../../transport/modbus/data-types';
import { INFO_POINTS, NATIVE_POINTS, pointWords, SUNSPEC, type KsemPoint, type RegisterBlock } from './descriptor';

/** A sparse register image: words by address (a poll's replies, or what a KSEM master wrote). */
export class RegisterImage {
  private readonly words = new Map<number, number>();

  set(address: number, words: ArrayLike<number>): void {
    for (let i = 0; i < words.length; i++) this.words.set(address + i, words[i] & 0xffff);
  }

  /** `count` words from `address`, or undefined when any of them is missing. */
  get(address: number, count: number): number[] | undefined {
    const out = new Array<number>(count);
    for (let i = 0; i < count; i++) {
      const w = this.words.get(address + i);
      if (w === undefined) return undefined;
      out[i] = w;
    }
    return out;
  }

  has(address: number): boolean {
    return this.words.has(address);
  }

  clear(): void {
    this.words.clear();
  }

  get size(): number {
    return this.words.size;
  }

  /** Copy of the words of a block (missing words read 0). */
  block(b: RegisterBlock): number[] {
    const out = new Array<number>(b.count);
    for (let i = 0; i < b.count; i++) out[i] = this.words.get(b.start + i) ?? 0;
    return out;
  }
}

/** "Not implemented" patterns: all ones for unsigned, the most negative value for signed (ksem.md §1.11 KSEM specifics). */
function notImplemented(p: KsemPoint, words: number[]): boolean {
  switch (p.type) {
    case 'u16':
      return words[0] === 0xffff;
    case 'u32':
      return words[0] === 0xffff && words[1] === 0xffff;
    case 's32':
      return words[0] === 0x8000 && words[1] === 0;
    case 'u64':
      return words.every((w) => w === 0xffff);
    default:
      return false;
  }
}

/** One point's value (scaled), or undefined when missing / not implemented / not finite. */
export function decodePoint(image: RegisterImage, p: KsemPoint): number | string | undefined {
  const n = pointWords(p);
  const words = image.get(p.address, n);
  if (!words) return undefined;
  if (p.type === 'string') {
    const s = decodeValue(words, 0, 'string', { length: n });
    // Printable ASCII only; anything else is not a usable serial.
    return /^[\x20-\x7e]+$/.test(s) ? s.trim() : undefined;
  }
  if (notImplemented(p, words)) return undefined;
  const raw = decodeValue(words, 0, p.type);
  if (!Number.isFinite(raw)) return undefined;
  return p.decimals ? raw / 10 ** p.decimals : raw;
}

export type KsemValues = Record<string, number>;

/** Every native measurement point present in the image, by name. */
export function decodeNative(image: RegisterImage): KsemValues {
  const out: KsemValues = {};
  for (const p of NATIVE_POINTS) {
    const v = decodePoint(image, p);
    if (typeof v === 'number') out[p.name] = v;
  }
  return out;
}

export interface KsemDeviceInfo {
  manufacturerId?: number;
  productId?: number;
  hardwareVersion?: number;
  firmwareVersion?: number;
  serialNumber?: string;
}

export function decodeInfo(image: RegisterImage): KsemDeviceInfo {
  const out: Record<string, number | string> = {};
  for (const p of INFO_POINTS) {
    const v = decodePoint(image, p);
    if (v !== undefined && v !== '') out[p.name] = v;
  }
  return out as KsemDeviceInfo;
}

/**
 * Writes values into register words (the simulator's side). Values are in the point's unit (W, V,
 * Wh, …); they are rounded to the register resolution and clamped to the type's range. Unknown
 * names throw (a simulator bug, not wire data).
 */
export function encodePoints(image: RegisterImage, values: Record<string, number | string>): void {
  for (const [name, value] of Object.entries(values)) {
    const p = NATIVE_POINTS.find((q) => q.name === name) ?? INFO_POINTS.find((q) => q.name === name);
    if (!p) throw new Error(`unknown KSEM point ${name}`);
    image.set(p.address, encodePoint(p, value));
  }
}

const LIMITS: Record<string, [number, number]> = { u16: [0, 0xffff], u32: [0, 0xffffffff], s32: [-0x7fffffff, 0x7fffffff], u64: [0, Number.MAX_SAFE_INTEGER] };

export function encodePoint(p: KsemPoint, value: number | string): number[] {
  if (p.type === 'string') return encodeValue(String(value), 'string', { length: pointWords(p) });
  const [lo, hi] = LIMITS[p.type];
  const raw = Math.min(hi, Math.max(lo, Math.round(Number(value) * 10 ** p.decimals)));
  return encodeValue(Number.isFinite(raw) ? raw : 0, p.type);
}

// ---------------------------------------------------------------------------------------------
// SunSpec (ksem.md §1.11)
// ---------------------------------------------------------------------------------------------

export interface SunSpecModelRef {
  id: number;
  /** Declared length L (registers after the ID and L registers). */
  length: number;
  /** Address of the model's ID register. */
  address: number;
}

export interface SunSpecMap {
  /** Base address where 'SunS' was found. */
  base: number;
  models: SunSpecModelRef[];
}

export interface SunSpecCommon {
  manufacturer?: string;
  model?: string;
  options?: string;
  version?: string;
  serialNumber?: string;
  deviceAddress?: number;
}

export type ReadFn = (address: number, count: number) => Promise<number[]>;

export class SunSpecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SunSpecError';
  }
}

/**
 * Walks the SunSpec chain: finds 'SunS' at one of `bases` (40000 first), then follows each model's
 * ID and length L up to the end marker (ID 0xFFFF). Reading L instead of fixed addresses is what
 * makes the firmware 2.6 shift harmless (model 203 at 40069 before, 40070 from 2.6 on).
 *
 * Requests: one 125-register read at the base (covers the KSEM's model 1 and the header of model
 * 203), then 2 registers for each header outside what was read. A read that fails at a base
 * (exception, wrong marker) moves on to the next base; failures of the transport (timeout,
 * disconnect) propagate. Throws SunSpecError when no base holds a valid chain.
 */
export async function walkSunSpec(read: ReadFn, opts: { bases?: number[]; maxModels?: number; isTransportError?: (e: unknown) => boolean } = {}): Promise<SunSpecMap> {
  const bases = opts.bases ?? SUNSPEC.bases;
  const maxModels = opts.maxModels ?? 64;
  const reasons: string[] = [];
  for (const base of bases) {
    const window = new RegisterImage();
    const readInto = async (address: number, count: number) => {
      const n = Math.min(count, 0x10000 - address);
      const words = await read(address, n);
      if (!Array.isArray(words) || words.length < Math.min(n, 2)) throw new SunSpecError(`short reply at ${address}`);
      window.set(address, words);
    };
    const header = async (address: number): Promise<[number, number]> => {
      if (address + 2 > 0x10000) throw new SunSpecError(`chain runs past register 65535 at ${address}`);
      let w = window.get(address, 2);
      if (!w) {
        await readInto(address, 2);
        w = window.get(address, 2)!;
      }
      return [w[0], w[1]];
    };
    try {
      try {
        await readInto(base, 125);
      } catch (e) {
        if (opts.isTransportError?.(e)) throw e;
        // A device whose map is shorter than 125 registers: read just the marker.
        await readInto(base, 4);
      }
      const marker = window.get(base, 2);
      if (!marker || marker[0] !== SUNSPEC.marker[0] || marker[1] !== SUNSPEC.marker[1]) {
        reasons.push(`${base}: no 'SunS' marker`);
        continue;
      }
      const models: SunSpecModelRef[] = [];
      let addr = base + 2;
      for (;;) {
        const [id, length] = await header(addr);
        if (id === SUNSPEC.endId) break;
        if (id === 0) throw new SunSpecError(`model id 0 at ${addr}`);
        if (addr + 2 + length > 0x10000) throw new SunSpecError(`model ${id} at ${addr} has length ${length} past register 65535`);
        models.push({ id, length, address: addr });
        if (models.length > maxModels) throw new SunSpecError(`more than ${maxModels} models (no end marker)`);
        addr += 2 + length;
      }
      if (!models.length || models[0].id !== SUNSPEC.commonId) throw new SunSpecError(`first model is ${models[0]?.id ?? 'missing'}, not 1 (common)`);
      return { base, models };
    } catch (e) {
      if (opts.isTransportError?.(e)) throw e;
      reasons.push(`${base}: ${(e as Error).message}`);
    }
  }
  throw new SunSpecError(`no SunSpec map found (${reasons.join('; ')})`);
}

/** Decode model 1 from the words starting at its ID register. */
export function decodeCommon(words: number[]): SunSpecCommon {
  const out: SunSpecCommon = {};
  const str = (key: string): string | undefined => {
    const [off, len] = SUNSPEC.common[key];
    if (words.length < off + len) return undefined;
    const s = decodeValue(words, off, 'string', { length: len }).replace(/\0.*$/s, '').trim();
    return /^[\x20-\x7e]+$/.test(s) ? s : undefined;
  };
  const set = (k: keyof SunSpecCommon, v: string | undefined) => {
    if (v) (out as Record<string, unknown>)[k] = v;
  };
  set('manufacturer', str('Mn'));
  set('model', str('Md'));
  set('options', str('Opt'));
  set('version', str('Vr'));
  set('serialNumber', str('SN'));
  const da = SUNSPEC.common.DA[0];
  // DA sits at offset 66 only when L ≥ 65 (the register after SN); 0xFFFF = not implemented.
  if (words.length > da && words[1] >= 65 && words[da] !== 0xffff) out.deviceAddress = words[da];
  return out;
}

/** Decoded model 203 values in SI units (W, V, A, Hz, Wh, cos φ as a fraction), absent when not implemented. */
export type SunSpecMeterValues = Partial<Record<
  | 'A' | 'AphA' | 'AphB' | 'AphC' | 'PhV' | 'PhVphA' | 'PhVphB' | 'PhVphC' | 'Hz' | 'W' | 'WphA' | 'WphB' | 'WphC' | 'VA' | 'VAR'
  | 'PF' | 'PFphA' | 'PFphB' | 'PFphC' | 'TotWhExp' | 'TotWhExpPhA' | 'TotWhExpPhB' | 'TotWhExpPhC' | 'TotWhImp' | 'TotWhImpPhA' | 'TotWhImpPhB' | 'TotWhImpPhC',
  number
>>;

const I16_POINTS: Array<[string, string]> = [
  ['A', 'A_SF'], ['AphA', 'A_SF'], ['AphB', 'A_SF'], ['AphC', 'A_SF'],
  ['PhV', 'V_SF'], ['PhVphA', 'V_SF'], ['PhVphB', 'V_SF'], ['PhVphC', 'V_SF'],
  ['Hz', 'Hz_SF'], ['W', 'W_SF'], ['WphA', 'W_SF'], ['WphB', 'W_SF'], ['WphC', 'W_SF'],
  ['VA', 'VA_SF'], ['VAR', 'VAR_SF'],
  ['PF', 'PF_SF'], ['PFphA', 'PF_SF'], ['PFphB', 'PF_SF'], ['PFphC', 'PF_SF'],
];
const ACC_POINTS = ['TotWhExp', 'TotWhExpPhA', 'TotWhExpPhB', 'TotWhExpPhC', 'TotWhImp', 'TotWhImpPhA', 'TotWhImpPhB', 'TotWhImpPhC'];

/** v × 10^sf, exact for decimal results (division by a power of ten rounds correctly). */
function applySf(v: number, sf: number): number {
  return sf < 0 ? v / 10 ** -sf : v * 10 ** sf;
}

function sunssf(w: number | undefined): number | undefined {
  if (w === undefined || w === 0x8000) return undefined;
  const v = w >= 0x8000 ? w - 0x10000 : w;
  return v >= -10 && v <= 10 ? v : undefined;
}

/**
 * Decode model 203 from the words starting at its ID register (at least 55 words). Not-implemented
 * points (int16 0x8000, acc32 0x80000000 and above — firmware before April 2025 sent the counters as
 * signed int32, ksem.md §1.11) and points whose scale factor is missing are left out. PF is
 * percent in SunSpec; it is returned as a fraction (cos φ).
 */
export function decodeMeter203(words: number[]): SunSpecMeterValues {
  const out: Record<string, number> = {};
  const o = SUNSPEC.m203;
  for (const [name, sfName] of I16_POINTS) {
    const w = words[o[name]];
    const sf = sunssf(words[o[sfName]]);
    if (w === undefined || w === 0x8000 || sf === undefined) continue;
    const v = applySf(w >= 0x8000 ? w - 0x10000 : w, sf);
    out[name] = name.startsWith('PF') ? v / 100 : v;
  }
  const esf = sunssf(words[o.TotWh_SF]);
  if (esf !== undefined) {
    for (const name of ACC_POINTS) {
      const off = o[name];
      if (words.length < off + 2) continue;
      const raw = decodeValue(words, off, 'u32');
      if (raw >= 0x80000000) continue;
      out[name] = applySf(raw, esf);
    }
  }
  return out;
}
