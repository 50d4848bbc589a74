/**
 * KSEM register words ⇄ values, through the descriptor's points (descriptor.ts) and the generic
 * register functions of lib/api/device.ts. Nothing here throws on words from the wire: a point whose
 * registers are missing, or that holds a "not implemented" pattern, is simply absent from the result.
 */
import { decodeRegisters, RegisterImage, type DevicePoint } from '../../api/device';
import { INFO_POINTS, M203_SCALE, NATIVE_POINTS, SUNSPEC, sunspecPoints, type SunSpecLayout } from './descriptor';

export { RegisterImage };

export type KsemValues = Record<string, number>;

/** Every native measurement point present in the image, by name. */
export function decodeNative(image: RegisterImage): KsemValues {
  return decodeRegisters(image, NATIVE_POINTS) as KsemValues;
}

export interface KsemDeviceInfo {
  manufacturerId?: number;
  productId?: number;
  hardwareVersion?: number;
  firmwareVersion?: number;
  serialNumber?: string;
}

export function decodeInfo(image: RegisterImage): KsemDeviceInfo {
  const out = decodeRegisters(image, INFO_POINTS);
  if (out.serialNumber === '') delete out.serialNumber;
  return out as KsemDeviceInfo;
}

/**
 * The raw words of the SunSpec "not implemented" pattern of a register point's type (int16
 * 0x8000, uint16 0xFFFF, 32-bit 0x8000 0000 signed / 0xFFFF FFFF unsigned): what a KSEM holds in
 * a register it does not serve (ksem.md §1.11), for the simulator.
 */
export function notImplementedWords(p: DevicePoint): number[] {
  if (p.source.kind !== 'register') throw new Error(`point ${p.name} is not a register point`);
  switch (p.source.type) {
    case 's16':
      return [0x8000];
    case 's32':
      return [0x8000, 0];
    case 'u32':
      return [0xffff, 0xffff];
    case 'u64':
      return [0xffff, 0xffff, 0xffff, 0xffff];
    default:
      return [0xffff];
  }
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

/** A SunSpec chain that cannot be used (code 'sunspec'; `short` for status texts). */
export class SunSpecError extends Error {
  readonly code = 'sunspec';
  constructor(
    message: string,
    readonly short = 'SunSpec map unusable',
  ) {
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

/** The layout of a walked chain: model 1 first, the first model 203 long enough to poll. */
export function layoutOf(map: SunSpecMap): SunSpecLayout | undefined {
  const m1 = map.models[0];
  const meter = map.models.find((m) => SUNSPEC.meterIds.includes(m.id) && m.length >= SUNSPEC.m203ReadCount - 2);
  return meter ? { base: map.base, commonLength: m1.length, meterAddress: meter.address } : undefined;
}

/** Decode model 1 from the words starting at its ID register (its declared L decides which fields exist). */
export function decodeCommon(words: number[], base = 40000): SunSpecCommon {
  const image = new RegisterImage();
  const common = base + 2;
  image.set(common, words);
  const v = decodeRegisters(image, sunspecPoints({ base, commonLength: words[1] ?? 0, meterAddress: 0 }).filter((p) => p.name.startsWith('m1.')));
  const out: SunSpecCommon = {};
  const str = (k: keyof SunSpecCommon, name: string) => {
    const s = v[name];
    if (typeof s === 'string' && s) (out as Record<string, unknown>)[k] = s;
  };
  str('manufacturer', 'm1.Mn');
  str('model', 'm1.Md');
  str('options', 'm1.Opt');
  str('version', 'm1.Vr');
  str('serialNumber', 'm1.SN');
  if (typeof v['m1.DA'] === 'number') out.deviceAddress = v['m1.DA'];
  return out;
}

/** Decoded model 203 values in SI units (W, V, A, Hz, Wh, cos φ as a fraction), by SunSpec name, absent when not implemented. */
export type SunSpecMeterValues = Partial<Record<string, number>>;

/** v × 10^sf, exact for decimal results (division by a power of ten rounds correctly). */
function applySf(v: number, sf: number): number {
  return sf < 0 ? v / 10 ** -sf : v * 10 ** sf;
}

const validSf = (sf: unknown): sf is number => typeof sf === 'number' && sf >= -10 && sf <= 10;

/**
 * Model 203 raw counts (decoded points, by point name) → SI values by SunSpec name: raw × 10^SF;
 * points whose scale factor is missing are left out, so are negative energies (the signed int32
 * counters of firmware before April 2025 past 2^31). PF is percent in SunSpec; it is returned as a
 * fraction (cos φ).
 */
export function applyScaleFactors(raw: Readonly<Record<string, number | string>>): SunSpecMeterValues {
  const out: Record<string, number> = {};
  for (const [name, sfName] of M203_SCALE) {
    const r = raw[name];
    const sf = raw[sfName];
    if (typeof r !== 'number' || !validSf(sf)) continue;
    if (sfName.startsWith('m203.Tot') && r < 0) continue;
    const key = name.slice(5);
    const v = applySf(r, sf);
    out[key] = key.startsWith('PF') ? v / 100 : v;
  }
  return out;
}

/**
 * The other direction (the simulator's): SI values by SunSpec name and scale factors by SF name →
 * raw counts by point name, rounded and kept inside the type (int16 ±32767, so a value never turns
 * into the 0x8000 "not implemented" pattern; acc32 0 … 2^31 − 1).
 */
export function toScaledCounts(values: Readonly<Record<string, number>>, sfs: Readonly<Record<string, number>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, sf] of Object.entries(sfs)) out[`m203.${k}`] = sf;
  for (const [key, value] of Object.entries(values)) {
    const name = `m203.${key}`;
    const sfName = M203_SCALE.get(name);
    if (!sfName) throw new Error(`no scale factor for ${name}`);
    const sf = sfs[sfName.slice(5)];
    if (sf === undefined) throw new Error(`scale factor ${sfName} not given`);
    const counts = applySf(key.startsWith('PF') ? value * 100 : value, -sf);
    out[name] = sfName.startsWith('m203.Tot') ? Math.max(0, Math.min(0x7fffffff, Math.floor(counts))) : Math.max(-0x7fff, Math.min(0x7fff, Math.round(counts)));
  }
  return out;
}

/** Decode model 203 from the words starting at its ID register (at least 55 words). */
export function decodeMeter203(words: number[], meterAddress = 40070): SunSpecMeterValues {
  const image = new RegisterImage();
  image.set(meterAddress, words);
  const points = sunspecPoints({ base: 40000, commonLength: 66, meterAddress }).filter((p) => p.name.startsWith('m203.'));
  return applyScaleFactors(decodeRegisters(image, points));
}
