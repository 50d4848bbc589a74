/**
 * KOSTAL Smart Energy Meter (KSEM G1/G2, an OEM TQ EM410): the points table (DESIGN.md §3).
 *
 * Every register below comes from ../shared/protocols/ksem.md; the section is named on each entry
 * (`src`). Addresses are 0-based PDU addresses, read with FC 0x03. All 32/64-bit values are
 * big-endian, high word first ("ABCD", ksem.md §1.3). Active/reactive/apparent power comes as two
 * unsigned registers, "+" (import, drawn from the grid) and "−" (export, fed in); only one is
 * non-zero at a time (§1.3). The same table drives decoding (decode.ts), the simulator's encoding
 * (lib/sim/ksem-sim.ts) and the help text's list of outputs.
 */
import type { RegisterType } from '../../transport/modbus/data-types';

export type KsemPointType = Extract<RegisterType, 'u16' | 'u32' | 's32' | 'u64' | 'string'>;

export interface KsemPoint {
  /** Name in decoded values ("activePowerPlus", "L2.voltage", …). */
  name: string;
  /** 0-based register address. */
  address: number;
  type: KsemPointType;
  /** Value = raw / 10^decimals (0.1 W → 1, 0.001 V → 3). */
  decimals: number;
  unit: string;
  description: string;
  /** Where the fact comes from (ksem.md section and its sources). */
  src: string;
  /** Registers of a string. */
  length?: number;
}

/** Registers a point occupies. */
export function pointWords(p: KsemPoint): number {
  switch (p.type) {
    case 'u16':
      return 1;
    case 'u32':
    case 's32':
      return 2;
    case 'u64':
      return 4;
    case 'string':
      return p.length ?? 1;
  }
}

const S_TOTAL = 'ksem.md §1.4 (kilianknoll/kostal-ksem, SvenBunge/hs_kostalKSEM_ModbusTCP, OBIS map in jhaake2308/ha-kostal-smartmeter 596f987) IMPL';
const S_PHASE = 'ksem.md §1.5 (as §1.4 plus sdeigm/uni-meter Ksem.java, openWB kostal_sem/counter.py) IMPL';
const S_ENERGY = 'ksem.md §1.6 (SvenBunge, uni-meter, Victron driver Kostal_SmartEnergyMeter.py) IMPL';
const S_PHASE_ENERGY = 'ksem.md §1.7 (kilianknoll kostal-ksem.py, uni-meter, Victron driver) IMPL';
const S_INFO = 'ksem.md §1.8 (kilianknoll, pmcgn/dbus-modbus-client-kostal-smartmeter) COMMUNITY';

export const PHASES = ['L1', 'L2', 'L3'] as const;
export type PhaseName = (typeof PHASES)[number];

/** ksem.md §1.4: current values, total (registers 0–27). */
const totalPoints: KsemPoint[] = [
  { name: 'activePowerPlus', address: 0, type: 'u32', decimals: 1, unit: 'W', description: 'active power + (import), OBIS 1.4.0', src: S_TOTAL },
  { name: 'activePowerMinus', address: 2, type: 'u32', decimals: 1, unit: 'W', description: 'active power − (export), OBIS 2.4.0', src: S_TOTAL },
  { name: 'reactivePowerPlus', address: 4, type: 'u32', decimals: 1, unit: 'var', description: 'reactive power +, OBIS 3.4.0', src: S_TOTAL },
  { name: 'reactivePowerMinus', address: 6, type: 'u32', decimals: 1, unit: 'var', description: 'reactive power −, OBIS 4.4.0', src: S_TOTAL },
  { name: 'apparentPowerPlus', address: 16, type: 'u32', decimals: 1, unit: 'VA', description: 'apparent power +, OBIS 9.4.0', src: S_TOTAL },
  { name: 'apparentPowerMinus', address: 18, type: 'u32', decimals: 1, unit: 'VA', description: 'apparent power −, OBIS 10.4.0', src: S_TOTAL },
  { name: 'powerFactor', address: 24, type: 's32', decimals: 3, unit: '', description: 'power factor cos φ (signed), OBIS 13.4.0', src: S_TOTAL },
  { name: 'frequency', address: 26, type: 'u32', decimals: 3, unit: 'Hz', description: 'supply frequency, OBIS 14.4.0', src: S_TOTAL },
];

/** ksem.md §1.5: per phase, 40 registers apart from L1 = 40. */
export const PHASE_BASES: Record<PhaseName, number> = { L1: 40, L2: 80, L3: 120 };
const phaseOffsets: Array<Omit<KsemPoint, 'address' | 'src'> & { offset: number }> = [
  { name: 'activePowerPlus', offset: 0, type: 'u32', decimals: 1, unit: 'W', description: 'active power + (import)' },
  { name: 'activePowerMinus', offset: 2, type: 'u32', decimals: 1, unit: 'W', description: 'active power − (export)' },
  { name: 'reactivePowerPlus', offset: 4, type: 'u32', decimals: 1, unit: 'var', description: 'reactive power +' },
  { name: 'reactivePowerMinus', offset: 6, type: 'u32', decimals: 1, unit: 'var', description: 'reactive power −' },
  { name: 'apparentPowerPlus', offset: 16, type: 'u32', decimals: 1, unit: 'VA', description: 'apparent power +' },
  { name: 'apparentPowerMinus', offset: 18, type: 'u32', decimals: 1, unit: 'VA', description: 'apparent power −' },
  { name: 'current', offset: 20, type: 'u32', decimals: 3, unit: 'A', description: 'current (unsigned, no direction)' },
  { name: 'voltage', offset: 22, type: 'u32', decimals: 3, unit: 'V', description: 'voltage L-N' },
  { name: 'powerFactor', offset: 24, type: 's32', decimals: 3, unit: '', description: 'power factor (signed)' },
];

/** ksem.md §1.6: energy totals (registers 512–551), u64 in 0.1 Wh. */
const energyPoints: KsemPoint[] = [
  { name: 'activeEnergyPlus', address: 512, type: 'u64', decimals: 1, unit: 'Wh', description: 'active energy + (imported), OBIS 1.8.0', src: S_ENERGY },
  { name: 'activeEnergyMinus', address: 516, type: 'u64', decimals: 1, unit: 'Wh', description: 'active energy − (exported), OBIS 2.8.0', src: S_ENERGY },
  { name: 'reactiveEnergyPlus', address: 520, type: 'u64', decimals: 1, unit: 'varh', description: 'reactive energy +', src: S_ENERGY },
  { name: 'reactiveEnergyMinus', address: 524, type: 'u64', decimals: 1, unit: 'varh', description: 'reactive energy −', src: S_ENERGY },
  { name: 'apparentEnergyPlus', address: 544, type: 'u64', decimals: 1, unit: 'VAh', description: 'apparent energy +', src: S_ENERGY },
  { name: 'apparentEnergyMinus', address: 548, type: 'u64', decimals: 1, unit: 'VAh', description: 'apparent energy −', src: S_ENERGY },
];

/** ksem.md §1.7: energy per phase, 80 registers apart from L1 = 592. */
export const PHASE_ENERGY_BASES: Record<PhaseName, number> = { L1: 592, L2: 672, L3: 752 };
const phaseEnergyOffsets: Array<Omit<KsemPoint, 'address' | 'src'> & { offset: number }> = [
  { name: 'activeEnergyPlus', offset: 0, type: 'u64', decimals: 1, unit: 'Wh', description: 'active energy + (imported)' },
  { name: 'activeEnergyMinus', offset: 4, type: 'u64', decimals: 1, unit: 'Wh', description: 'active energy − (exported)' },
  { name: 'reactiveEnergyPlus', offset: 8, type: 'u64', decimals: 1, unit: 'varh', description: 'reactive energy +' },
  { name: 'reactiveEnergyMinus', offset: 12, type: 'u64', decimals: 1, unit: 'varh', description: 'reactive energy −' },
  { name: 'apparentEnergyPlus', offset: 32, type: 'u64', decimals: 1, unit: 'VAh', description: 'apparent energy +' },
  { name: 'apparentEnergyMinus', offset: 36, type: 'u64', decimals: 1, unit: 'VAh', description: 'apparent energy −' },
];

/** ksem.md §1.8: device information ("KSEM/RM PnP" area). Layout beyond these fields UNCONFIRMED. */
export const INFO_POINTS: KsemPoint[] = [
  { name: 'manufacturerId', address: 8192, type: 'u16', decimals: 0, unit: '', description: 'manufacturer ID', src: S_INFO },
  { name: 'productId', address: 8193, type: 'u16', decimals: 0, unit: '', description: 'product ID (18498, 18514, 18530 seen; changes with firmware)', src: S_INFO },
  { name: 'hardwareVersion', address: 8194, type: 'u16', decimals: 0, unit: '', description: 'hardware version', src: S_INFO },
  { name: 'firmwareVersion', address: 8195, type: 'u16', decimals: 0, unit: '', description: 'firmware version (encoding unknown)', src: S_INFO },
  { name: 'serialNumber', address: 8228, type: 'string', length: 4, decimals: 0, unit: '', description: 'serial number (Victron driver: not always correct; SunSpec model 1 is preferred)', src: S_INFO },
];

function phasePoints(bases: Record<PhaseName, number>, offsets: typeof phaseOffsets, src: string): KsemPoint[] {
  const out: KsemPoint[] = [];
  for (const ph of PHASES) for (const o of offsets) out.push({ name: `${ph}.${o.name}`, address: bases[ph] + o.offset, type: o.type, decimals: o.decimals, unit: o.unit, description: `${ph} ${o.description}`, src });
  return out;
}

/** Every native measurement point (ksem.md §1.4–1.7), ordered by address. */
export const NATIVE_POINTS: KsemPoint[] = [
  ...totalPoints,
  ...phasePoints(PHASE_BASES, phaseOffsets, S_PHASE),
  ...energyPoints,
  ...phasePoints(PHASE_ENERGY_BASES, phaseEnergyOffsets, S_PHASE_ENERGY),
].sort((a, b) => a.address - b.address);

export const POINTS_BY_NAME: ReadonlyMap<string, KsemPoint> = new Map([...NATIVE_POINTS, ...INFO_POINTS].map((p) => [p.name, p]));

export interface RegisterBlock {
  start: number;
  count: number;
}

/**
 * The four native register groups, as the KSEM web UI names them for its Modbus master feature
 * (ksem.md §1.2, OFFICIAL: documents.kostal.com/KSEM-G2/BA_202306/en-GB/83583371.html). The push
 * receiver accepts writes inside these and nothing else.
 */
export const NATIVE_GROUPS: ReadonlyArray<RegisterBlock & { name: string }> = [
  { name: 'current values total', start: 0, count: 28 },
  { name: 'current values phases', start: 40, count: 106 },
  { name: 'energy totals', start: 512, count: 40 },
  { name: 'energy phases', start: 592, count: 200 },
];

/**
 * Poll requests (FC 0x03 reads at most 125 registers). 0–145 is 146 registers, so it is split as
 * SvenBunge does (ksem.md §1.15): 0–65 (totals + L1) and 80–145 (L2, L3). Energy totals 512–551 in
 * one read; per-phase energies 592–791 in two reads of 100, polled less often (§1.15).
 */
export const POLL_BLOCKS = {
  current: [
    { start: 0, count: 66 },
    { start: 80, count: 66 },
  ] as RegisterBlock[],
  energy: [{ start: 512, count: 40 }] as RegisterBlock[],
  phaseEnergy: [
    { start: 592, count: 100 },
    { start: 692, count: 100 },
  ] as RegisterBlock[],
  /** Device info: two small reads, so an absent gap 8196–8227 cannot fail them (§1.13). */
  info: [
    { start: 8192, count: 4 },
    { start: 8228, count: 4 },
  ] as RegisterBlock[],
};

/** SunSpec (ksem.md §1.11; SunSpec models json/model_1.json and model_203.json, OFFICIAL SunSpec). */
export const SUNSPEC = {
  /** 'SunS' = 0x5375 0x6E53 */
  marker: [0x5375, 0x6e53] as const,
  /** Base addresses a SunSpec map may start at; the KSEM uses 40000. 0 and 50000 are the other bases the SunSpec spec allows. */
  bases: [40000, 0, 50000],
  endId: 0xffff,
  commonId: 1,
  /** Three-phase wye meter; 213 is the float variant, which the KSEM does not use (evcc accepts both). */
  meterIds: [203] as number[],
  /**
   * Model 1 (common) offsets from the model ID register: Mn 16 regs, Md 16, Opt 8, Vr 8, SN 16,
   * DA 1, Pad 1 (L = 66; firmware < 2.6 declares L = 65 without Pad, hence the +1 shift of every
   * later model, ksem.md §1.11/§1.14).
   */
  common: { Mn: [2, 16], Md: [18, 16], Opt: [34, 8], Vr: [42, 8], SN: [50, 16], DA: [66, 1] } as Record<string, [number, number]>,
  /** Model 203 offsets from the model ID register (ksem.md §1.11 table). */
  m203: {
    A: 2, AphA: 3, AphB: 4, AphC: 5, A_SF: 6,
    PhV: 7, PhVphA: 8, PhVphB: 9, PhVphC: 10, V_SF: 15,
    Hz: 16, Hz_SF: 17,
    W: 18, WphA: 19, WphB: 20, WphC: 21, W_SF: 22,
    VA: 23, VA_SF: 27, VAR: 28, VAR_SF: 32,
    PF: 33, PFphA: 34, PFphB: 35, PFphC: 36, PF_SF: 37,
    TotWhExp: 38, TotWhExpPhA: 40, TotWhExpPhB: 42, TotWhExpPhC: 44,
    TotWhImp: 46, TotWhImpPhA: 48, TotWhImpPhB: 50, TotWhImpPhC: 52, TotWh_SF: 54,
  } as Record<string, number>,
  /** Registers read per poll from the model 203 ID register: ID, L and offsets 2–54. */
  m203ReadCount: 55,
  /** Declared length of model 203. */
  m203Length: 105,
};

/**
 * Defaults. Unit id: the KSEM ignores it (users read identical data with 1, 71, 73, 240, 255 —
 * steff393/wbec#170, ksem.md §1.2); evcc and openWB send 71, uni-meter and the Victron driver 1.
 * Port 502, or 802 with TLS on (OFFICIAL, §1.2). Values refresh once per second (OFFICIAL).
 */
export const KSEM_DEFAULTS = {
  port: 502,
  tlsPort: 802,
  unitId: 1,
  pollMs: 1000,
  /** Per-phase energies (592–791) are read this often (ksem.md §1.15: every 30–60 s). */
  phaseEnergyEveryMs: 30_000,
  timeoutMs: 1000,
};

/** What a KSEM driver serves (DESIGN.md §3). Read-only: the KSEM slave has no writable registers (ksem.md §1.13). */
export const KSEM_CAPABILITIES = ['meter', 'phase-values', 'energy-counters'] as const;

/** Transports: Modbus TCP slave (502), the same over TLS (802), and push receiver for its Modbus-master mode (§1.2). */
export const KSEM_TRANSPORTS = ['tcp', 'tls', 'push'] as const;

/** ksem.md §1.1: KSEM product IDs seen at 0x2001. */
export const KNOWN_PRODUCT_IDS = [18498, 18514, 18530];
