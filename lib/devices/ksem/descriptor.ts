/**
 * KOSTAL Smart Energy Meter (KSEM G1/G2, an OEM TQ EM410): the device descriptor (DESIGN.md §3).
 *
 * Every register below comes from ../shared/protocols/ksem.md; the section is named on each point
 * (`src`). Addresses are 0-based PDU addresses, read with FC 0x03. All 32/64-bit values are
 * big-endian, high word first ("ABCD", ksem.md §1.3). Active/reactive/apparent power comes as two
 * unsigned registers, "+" (import, drawn from the grid) and "−" (export, fed in); only one is
 * non-zero at a time (§1.3). Unsupported registers hold the SunSpec not-implemented patterns
 * (§1.11 "KSEM specifics"), so every register point has `missing: 'sunspec'`.
 *
 * One table drives decoding (decode.ts, the poller and the push receiver), the simulator's encoding
 * (lib/sim/ksem-sim.ts) and the help's list of outputs: the native points, the device-info points
 * and the SunSpec model 1 / 203 points. SunSpec addresses depend on where the chain's models sit
 * (model 203 at 40069 before firmware 2.6, 40070 from 2.6 on, §1.11/§1.14), so those points are
 * built by `sunspecPoints(layout)` for the addresses a walk of the chain found.
 */
import { spanOf, type DeviceDescriptor, type DevicePoint, type OutputField } from '../../api/device';
import type { RegisterType } from '../../transport/modbus/data-types';

const S_TOTAL = 'ksem.md §1.4 (kilianknoll/kostal-ksem, SvenBunge/hs_kostalKSEM_ModbusTCP, OBIS map in jhaake2308/ha-kostal-smartmeter 596f987) IMPL';
const S_PHASE = 'ksem.md §1.5 (as §1.4 plus sdeigm/uni-meter Ksem.java, openWB kostal_sem/counter.py) IMPL';
const S_ENERGY = 'ksem.md §1.6 (SvenBunge, uni-meter, Victron driver Kostal_SmartEnergyMeter.py) IMPL';
const S_PHASE_ENERGY = 'ksem.md §1.7 (kilianknoll kostal-ksem.py, uni-meter, Victron driver) IMPL';
const S_INFO = 'ksem.md §1.8 (kilianknoll, pmcgn/dbus-modbus-client-kostal-smartmeter) COMMUNITY';
const S_SUNSPEC = 'ksem.md §1.11 (SunSpec models json/model_1.json, model_203.json) OFFICIAL SunSpec; KSEM patterns COMMUNITY';

export const PHASES = ['L1', 'L2', 'L3'] as const;
export type PhaseName = (typeof PHASES)[number];

/** A read-only FC 3 register point; `decimals` → scale 10^−decimals. */
function reg(name: string, address: number, type: RegisterType, decimals: number, unit: string, description: string, src: string, length?: number): DevicePoint {
  const p: DevicePoint = {
    name,
    source: { kind: 'register', fc: 0x03, address, type, ...(length ? { length } : {}), ...(type === 'string' ? {} : { missing: 'sunspec' as const }) },
    unit,
    access: 'r',
    description,
    src,
  };
  if (decimals) {
    p.scale = 10 ** -decimals;
    p.deviceUnit = `${p.scale} ${unit || '(fraction)'}`;
  }
  if (type === 'string') p.valueType = 'string';
  else if (!decimals && !unit) p.valueType = 'integer';
  return p;
}

type Row = [name: string, offset: number, type: RegisterType, decimals: number, unit: string, description: string];

function rows(prefix: string, base: number, table: readonly Row[], src: string, what = ''): DevicePoint[] {
  return table.map(([name, off, type, dec, unit, description]) => reg(`${prefix}${name}`, base + off, type, dec, unit, `${what}${description}`, src));
}

/** ksem.md §1.4: current values, total (registers 0–27). */
const TOTAL: readonly Row[] = [
  ['activePowerPlus', 0, 'u32', 1, 'W', 'active power + (import), OBIS 1.4.0'],
  ['activePowerMinus', 2, 'u32', 1, 'W', 'active power − (export), OBIS 2.4.0'],
  ['reactivePowerPlus', 4, 'u32', 1, 'var', 'reactive power +, OBIS 3.4.0'],
  ['reactivePowerMinus', 6, 'u32', 1, 'var', 'reactive power −, OBIS 4.4.0'],
  ['apparentPowerPlus', 16, 'u32', 1, 'VA', 'apparent power +, OBIS 9.4.0'],
  ['apparentPowerMinus', 18, 'u32', 1, 'VA', 'apparent power −, OBIS 10.4.0'],
  ['powerFactor', 24, 's32', 3, '', 'power factor cos φ (signed), OBIS 13.4.0'],
  ['frequency', 26, 'u32', 3, 'Hz', 'supply frequency, OBIS 14.4.0'],
];

/** ksem.md §1.5: per phase, 40 registers apart from L1 = 40. */
export const PHASE_BASES: Record<PhaseName, number> = { L1: 40, L2: 80, L3: 120 };
const PHASE: readonly Row[] = [
  ['activePowerPlus', 0, 'u32', 1, 'W', 'active power + (import)'],
  ['activePowerMinus', 2, 'u32', 1, 'W', 'active power − (export)'],
  ['reactivePowerPlus', 4, 'u32', 1, 'var', 'reactive power +'],
  ['reactivePowerMinus', 6, 'u32', 1, 'var', 'reactive power −'],
  ['apparentPowerPlus', 16, 'u32', 1, 'VA', 'apparent power +'],
  ['apparentPowerMinus', 18, 'u32', 1, 'VA', 'apparent power −'],
  ['current', 20, 'u32', 3, 'A', 'current (unsigned, no direction)'],
  ['voltage', 22, 'u32', 3, 'V', 'voltage L-N'],
  ['powerFactor', 24, 's32', 3, '', 'power factor (signed)'],
];

/** ksem.md §1.6: energy totals (registers 512–551), u64 in 0.1 Wh. */
const ENERGY: readonly Row[] = [
  ['activeEnergyPlus', 512, 'u64', 1, 'Wh', 'active energy + (imported), OBIS 1.8.0'],
  ['activeEnergyMinus', 516, 'u64', 1, 'Wh', 'active energy − (exported), OBIS 2.8.0'],
  ['reactiveEnergyPlus', 520, 'u64', 1, 'varh', 'reactive energy +'],
  ['reactiveEnergyMinus', 524, 'u64', 1, 'varh', 'reactive energy −'],
  ['apparentEnergyPlus', 544, 'u64', 1, 'VAh', 'apparent energy +'],
  ['apparentEnergyMinus', 548, 'u64', 1, 'VAh', 'apparent energy −'],
];

/** ksem.md §1.7: energy per phase, 80 registers apart from L1 = 592. */
export const PHASE_ENERGY_BASES: Record<PhaseName, number> = { L1: 592, L2: 672, L3: 752 };
const PHASE_ENERGY: readonly Row[] = [
  ['activeEnergyPlus', 0, 'u64', 1, 'Wh', 'active energy + (imported)'],
  ['activeEnergyMinus', 4, 'u64', 1, 'Wh', 'active energy − (exported)'],
  ['reactiveEnergyPlus', 8, 'u64', 1, 'varh', 'reactive energy +'],
  ['reactiveEnergyMinus', 12, 'u64', 1, 'varh', 'reactive energy −'],
  ['apparentEnergyPlus', 32, 'u64', 1, 'VAh', 'apparent energy +'],
  ['apparentEnergyMinus', 36, 'u64', 1, 'VAh', 'apparent energy −'],
];

/** ksem.md §1.8: device information ("KSEM/RM PnP" area). Layout beyond these fields UNCONFIRMED. */
export const INFO_POINTS: readonly DevicePoint[] = [
  reg('manufacturerId', 8192, 'u16', 0, '', 'manufacturer ID', S_INFO),
  reg('productId', 8193, 'u16', 0, '', 'product ID (18498, 18514, 18530 seen; changes with firmware)', S_INFO),
  reg('hardwareVersion', 8194, 'u16', 0, '', 'hardware version', S_INFO),
  reg('firmwareVersion', 8195, 'u16', 0, '', 'firmware version (encoding unknown)', S_INFO),
  reg('serialNumber', 8228, 'string', 0, '', 'serial number (Victron driver: not always correct; SunSpec model 1 is preferred)', S_INFO, 4),
];

const byAddress = (a: DevicePoint, b: DevicePoint) => (a.source as { address: number }).address - (b.source as { address: number }).address;
const phaseRows = (bases: Record<PhaseName, number>, table: readonly Row[], src: string) => PHASES.flatMap((ph) => rows(`${ph}.`, bases[ph], table, src, `${ph} `));

/** Native point groups, as polled and pushed. */
const CURRENT_POINTS = [...rows('', 0, TOTAL, S_TOTAL), ...phaseRows(PHASE_BASES, PHASE, S_PHASE)];
const ENERGY_POINTS = rows('', 0, ENERGY, S_ENERGY);
const PHASE_ENERGY_POINTS = phaseRows(PHASE_ENERGY_BASES, PHASE_ENERGY, S_PHASE_ENERGY);

/** Every native measurement point (ksem.md §1.4–1.7), ordered by address. */
export const NATIVE_POINTS: readonly DevicePoint[] = [...CURRENT_POINTS, ...ENERGY_POINTS, ...PHASE_ENERGY_POINTS].sort(byAddress);

/** The address of a register point (a descriptor lookup, for messages). */
export function addressOf(p: DevicePoint): number {
  if (p.source.kind !== 'register') throw new Error(`point ${p.name} is not a register point`);
  return p.source.address;
}

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

const span = (points: readonly DevicePoint[]): RegisterBlock => {
  const s = spanOf(points);
  return { start: s.address, count: s.count };
};

/**
 * The native areas a KSEM answers (reads elsewhere get exception 2, ksem.md §1.13): the spans of
 * the point groups, reserved registers inside them included, and the two device-info reads.
 */
export const NATIVE_AREAS: readonly RegisterBlock[] = [span(CURRENT_POINTS), span(ENERGY_POINTS), span(PHASE_ENERGY_POINTS), ...POLL_BLOCKS.info];

// ---------------------------------------------------------------------------------------------
// SunSpec (ksem.md §1.11)
// ---------------------------------------------------------------------------------------------

/** SunSpec chain constants (ksem.md §1.11; SunSpec models json/model_1.json and model_203.json). */
export const SUNSPEC = {
  /** 'SunS' = 0x5375 0x6E53 */
  marker: [0x5375, 0x6e53] as const,
  /** Base addresses a SunSpec map may start at; the KSEM uses 40000. 0 and 50000 are the other bases the SunSpec spec allows. */
  bases: [40000, 0, 50000],
  endId: 0xffff,
  commonId: 1,
  /** Three-phase wye meter; 213 is the float variant, which the KSEM does not use (evcc accepts both). */
  meterIds: [203] as number[],
  /** Registers read per poll from the model 203 ID register: ID, L and offsets 2–54 (up to TotWh_SF). */
  m203ReadCount: 55,
  /** Declared length of model 203. */
  m203Length: 105,
};

/** Where the chain's models sit: the marker at `base`, model 1 right after it with length `commonLength`, model 203 at `meterAddress`. */
export interface SunSpecLayout {
  base: number;
  /** Declared L of model 1: 65 before firmware 2.6 (no Pad), 66 from 2.6 (ksem.md §1.11/§1.14). */
  commonLength: number;
  /** Model 203's ID register (40069 before firmware 2.6, 40070 from 2.6). */
  meterAddress: number;
}

/** Model 1 (common) fields, offsets from its ID register (SunSpec model_1.json). DA and Pad exist when L reaches them. */
const M1: readonly Row[] = [
  ['ID', 0, 'u16', 0, '', 'model id (1)'],
  ['L', 1, 'u16', 0, '', 'model length: 65 before firmware 2.6, 66 from 2.6'],
  ['Mn', 2, 'string', 0, '', 'manufacturer'],
  ['Md', 18, 'string', 0, '', 'model'],
  ['Opt', 34, 'string', 0, '', 'options'],
  ['Vr', 42, 'string', 0, '', 'firmware version'],
  ['SN', 50, 'string', 0, '', 'serial number'],
  ['DA', 66, 'u16', 0, '', 'device (Modbus) address'],
  ['Pad', 67, 'u16', 0, '', 'pad (firmware 2.6 on)'],
];
const M1_LENGTH: Record<string, number> = { Mn: 16, Md: 16, Opt: 8, Vr: 8, SN: 16 };

/**
 * Model 203 (three-phase wye meter), offsets from its ID register (SunSpec model_203.json): each
 * value with the name of its scale-factor register. Value = raw × 10^SF; PF is percent.
 */
type M203Row = readonly [name: string, offset: number, type: RegisterType, unit: string, sf: string | null, description: string];

/** Consecutive values of one kind: names from `start`, `step` registers apart, sharing a scale factor. */
function run(names: readonly string[], start: number, step: number, type: RegisterType, unit: string, sf: string, description: (i: number) => string): M203Row[] {
  return names.map((n, i) => [n, start + step * i, type, unit, sf, description(i)] as const);
}
const PH = (i: number) => (i ? ` phase ${'ABC'[i - 1]}` : '');
const sfRow = (name: string, offset: number, what: string): M203Row => [name, offset, 's16', '', null, `${what} scale factor`];

/**
 * Model 203 (three-phase wye meter), offsets from its ID register (SunSpec model_203.json): each
 * value with the name of its scale-factor register. Value = raw × 10^SF; PF is percent.
 */
const M203: readonly M203Row[] = [
  ['ID', 0, 'u16', '', null, 'model id (203)'],
  ['L', 1, 'u16', '', null, 'model length (105)'],
  ...run(['A', 'AphA', 'AphB', 'AphC'], 2, 1, 's16', 'A', 'A_SF', (i) => `current${PH(i) || ' total'}`),
  sfRow('A_SF', 6, 'current'),
  ...run(['PhV', 'PhVphA', 'PhVphB', 'PhVphC'], 7, 1, 's16', 'V', 'V_SF', (i) => (i ? `voltage L${i}-N` : 'average L-N voltage')),
  ...run(['PPV', 'PPVphAB', 'PPVphBC', 'PPVphCA'], 11, 1, 's16', 'V', 'V_SF', (i) => (i ? `voltage ${['L1-L2', 'L2-L3', 'L3-L1'][i - 1]}` : 'average L-L voltage')),
  sfRow('V_SF', 15, 'voltage'),
  ['Hz', 16, 's16', 'Hz', 'Hz_SF', 'frequency'],
  sfRow('Hz_SF', 17, 'frequency'),
  ...run(['W', 'WphA', 'WphB', 'WphC'], 18, 1, 's16', 'W', 'W_SF', (i) => `active power${PH(i) || ' total'}, + import`),
  sfRow('W_SF', 22, 'active power'),
  ...run(['VA', 'VAphA', 'VAphB', 'VAphC'], 23, 1, 's16', 'VA', 'VA_SF', (i) => `apparent power${PH(i) || ' total'}`),
  sfRow('VA_SF', 27, 'apparent power'),
  ...run(['VAR', 'VARphA', 'VARphB', 'VARphC'], 28, 1, 's16', 'var', 'VAR_SF', (i) => `reactive power${PH(i) || ' total'}`),
  sfRow('VAR_SF', 32, 'reactive power'),
  ...run(['PF', 'PFphA', 'PFphB', 'PFphC'], 33, 1, 's16', '%', 'PF_SF', (i) => `power factor${PH(i) || ' total'}`),
  sfRow('PF_SF', 37, 'power factor'),
  // acc32; firmware before April 2025 sent TotWhExp/TotWhImp as signed int32 (ksem.md §1.11), so
  // they are read as s32: 0x80000000 is "not implemented" and a negative value is implausible.
  ...run(['TotWhExp', 'TotWhExpPhA', 'TotWhExpPhB', 'TotWhExpPhC'], 38, 2, 's32', 'Wh', 'TotWh_SF', (i) => `exported energy${PH(i)} (acc32)`),
  ...run(['TotWhImp', 'TotWhImpPhA', 'TotWhImpPhB', 'TotWhImpPhC'], 46, 2, 's32', 'Wh', 'TotWh_SF', (i) => `imported energy${PH(i)} (acc32)`),
  sfRow('TotWh_SF', 54, 'energy'),
  ...run(['TotVAhExp', 'TotVAhExpPhA', 'TotVAhExpPhB', 'TotVAhExpPhC'], 55, 2, 'u32', 'VAh', 'TotVAh_SF', (i) => `apparent energy exported${PH(i)} (acc32, 0 = not accumulated)`),
  ...run(['TotVAhImp', 'TotVAhImpPhA', 'TotVAhImpPhB', 'TotVAhImpPhC'], 63, 2, 'u32', 'VAh', 'TotVAh_SF', (i) => `apparent energy imported${PH(i)} (acc32, 0 = not accumulated)`),
  sfRow('TotVAh_SF', 71, 'apparent energy'),
  ...['ImpQ1', 'ImpQ2', 'ExpQ3', 'ExpQ4'].flatMap((q, j) =>
    run(['', 'PhA', 'PhB', 'PhC'].map((ph) => `TotVArh${q}${ph}`), 72 + 8 * j, 2, 'u32', 'varh', 'TotVArh_SF', (i) => `reactive energy ${q}${PH(i)} (acc32, 0 = not accumulated)`),
  ),
  sfRow('TotVArh_SF', 104, 'reactive energy'),
  ['Evt', 105, 'u32', '', null, 'event bits (bitfield32)'],
];

/** Value point name → its scale-factor point name (model 203), e.g. "m203.W" → "m203.W_SF". */
export const M203_SCALE: ReadonlyMap<string, string> = new Map(M203.filter((r) => r[4]).map((r) => [`m203.${r[0]}`, `m203.${r[4]}`]));

/**
 * The SunSpec points (marker, model 1, model 203) at the addresses of one chain layout. Model 203
 * values are raw counts (scale 1): the driver applies the scale-factor registers, the simulator
 * divides by them (decode.ts `applyScaleFactors` / `toScaledCounts`).
 */
export function sunspecPoints(l: SunSpecLayout): DevicePoint[] {
  const common = l.base + 2;
  const m1 = M1.filter(([name, off]) => (name === 'ID' || name === 'L' ? true : off + (M1_LENGTH[name] ?? 1) <= 2 + l.commonLength)).map(([name, off, type, , unit, description]) =>
    reg(`m1.${name}`, common + off, type, 0, unit, `SunSpec model 1 ${description}`, S_SUNSPEC, M1_LENGTH[name]),
  );
  const m203 = M203.map(([name, off, type, unit, sf, description]) => {
    const p = reg(`m203.${name}`, l.meterAddress + off, type, 0, sf ? '' : unit, `SunSpec model 203 offset ${off}: ${description}${sf ? ` (× 10^${sf}, ${unit})` : ''}`, S_SUNSPEC);
    if (sf) {
      p.unit = unit;
      p.deviceUnit = `10^${sf} ${unit}`;
      delete p.valueType;
    } else p.valueType = 'integer';
    return p;
  });
  return [reg('sunspec.marker', l.base, 'string', 0, '', "SunSpec marker 'SunS'", S_SUNSPEC, 2), ...m1, ...m203];
}

/** The layout of firmware 2.6 and later (the help lists SunSpec points at these addresses). */
export const SUNSPEC_FW26: SunSpecLayout = { base: 40000, commonLength: 66, meterAddress: 40070 };
/** The layout before firmware 2.6: model 1 without Pad, model 203 one register earlier. */
export const SUNSPEC_FW25: SunSpecLayout = { base: 40000, commonLength: 65, meterAddress: 40069 };

// ---------------------------------------------------------------------------------------------
// Defaults, capabilities, outputs
// ---------------------------------------------------------------------------------------------

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

/** ksem.md §1.1: KSEM product IDs seen at 0x2001. */
export const KNOWN_PRODUCT_IDS = [18498, 18514, 18530];

const S_WALLBOX = 'ksem.md §1.10 (MeisterTR/ha-kostal-smartmeter) COMMUNITY';

/**
 * The wallbox (ENECTOR) block of firmware 2.x, 49206…49258, present only with a registered ENECTOR
 * (without one every read of it answers exception 2: "no wallbox", not a link failure).
 */
export const WALLBOX_BLOCK: RegisterBlock = { start: 49206, count: 52 };
export const WALLBOX_STATES: Readonly<Record<number, string>> = { 0: 'unknown', 1: 'offline', 2: 'connected', 3: 'paused', 4: 'probing', 5: 'charging', 6: 'communication error', 7: 'service mode' };
export const WALLBOX_POINTS: readonly DevicePoint[] = [
  { ...reg('wallbox.state', 49206, 'u64', 0, '', 'wallbox state (0 unknown … 7 service mode)', S_WALLBOX), valueType: 'enum', values: WALLBOX_STATES },
  reg('wallbox.currentL1', 49218, 'u32', 3, 'A', 'wallbox current L1', S_WALLBOX),
  reg('wallbox.power', 49246, 'u64', 3, 'W', 'wallbox charging power (mW raw)', S_WALLBOX),
  reg('wallbox.energy', 49254, 'u64', 3, 'Wh', 'wallbox charged energy', S_WALLBOX),
];


const perPhase = (names: string[]) => PHASES.flatMap((ph) => names.map((n) => `${ph}.${n}`));
const phaseSunSpec = (names: string[]) => ['A', 'B', 'C'].flatMap((x) => names.map((n) => `m203.${n}${x}`));

/** Every field of the normalized reading the KSEM driver produces, and the points it comes from. */
const OUTPUTS: readonly OutputField[] = [
  { field: 'kind', unit: '', meaning: '"meter"', from: [], note: 'set by the driver' },
  { field: 'timestamp', unit: 'ms', meaning: 'when the values were read (poll) or when the KSEM began writing them (push)', from: [], note: 'the driver clock' },
  { field: 'source', unit: '', meaning: '"ksem"', from: [], note: 'set by the driver' },
  { field: 'serial', unit: '', meaning: 'serial number (null in push mode)', from: ['m1.SN', 'serialNumber'] },
  { field: 'model', unit: '', meaning: 'manufacturer and model', from: ['m1.Mn', 'm1.Md', 'productId'] },
  { field: 'protocol', unit: '', meaning: 'register set and firmware version, e.g. "KSEM Modbus, firmware 2.6.2"', from: ['m1.Vr'] },
  { field: 'power', unit: 'W', meaning: 'net grid power, + import, − export ("+" register minus "−" register)', from: ['activePowerPlus', 'activePowerMinus', 'm203.W'] },
  { field: 'importPower', unit: 'W', meaning: 'power drawn from the grid (≥ 0)', from: ['activePowerPlus', 'm203.W'] },
  { field: 'exportPower', unit: 'W', meaning: 'power fed into the grid (≥ 0)', from: ['activePowerMinus', 'm203.W'] },
  { field: 'phases[].voltage', unit: 'V', meaning: 'voltage L-N, L1 first', from: [...perPhase(['voltage']), ...phaseSunSpec(['PhVph'])] },
  { field: 'phases[].current', unit: 'A', meaning: 'current (unsigned, as the KSEM sends it)', from: [...perPhase(['current']), ...phaseSunSpec(['Aph'])] },
  { field: 'phases[].power', unit: 'W', meaning: 'net power of the phase, + import', from: [...perPhase(['activePowerPlus', 'activePowerMinus']), ...phaseSunSpec(['Wph'])] },
  { field: 'phases[].importPower', unit: 'W', meaning: 'import power of the phase', from: [...perPhase(['activePowerPlus']), ...phaseSunSpec(['Wph'])] },
  { field: 'phases[].exportPower', unit: 'W', meaning: 'export power of the phase', from: [...perPhase(['activePowerMinus']), ...phaseSunSpec(['Wph'])] },
  { field: 'phases[].powerFactor', unit: '', meaning: 'cos φ of the phase, signed as the KSEM sends it', from: [...perPhase(['powerFactor']), ...phaseSunSpec(['PFph'])] },
  { field: 'powerFactor', unit: '', meaning: 'total cos φ, signed as the KSEM sends it (−1 … 1)', from: ['powerFactor', 'm203.PF'] },
  { field: 'frequency', unit: 'Hz', meaning: 'supply frequency', from: ['frequency', 'm203.Hz'] },
  { field: 'energy.importWh', unit: 'Wh', meaning: 'imported energy, monotonic', from: ['activeEnergyPlus', 'm203.TotWhImp'] },
  { field: 'energy.exportWh', unit: 'Wh', meaning: 'exported energy, monotonic', from: ['activeEnergyMinus', 'm203.TotWhExp'] },
  { field: 'energy.phases[].importWh', unit: 'Wh', meaning: 'imported energy per phase (read every 30 s)', from: [...perPhase(['activeEnergyPlus']), ...phaseSunSpec(['TotWhImpPh'])] },
  { field: 'energy.phases[].exportWh', unit: 'Wh', meaning: 'exported energy per phase (read every 30 s)', from: [...perPhase(['activeEnergyMinus']), ...phaseSunSpec(['TotWhExpPh'])] },
];

/** The KSEM descriptor. SunSpec points are listed at their firmware ≥ 2.6 addresses (one lower before 2.6). */
export const KSEM_DESCRIPTOR: DeviceDescriptor = {
  name: 'ksem',
  title: 'KOSTAL Smart Energy Meter',
  models: 'KSEM G1 / G2 (TQ EM410), firmware 2.x',
  reading: 'meter',
  // Modbus TCP slave (502), the same over TLS (802), and the push receiver for its Modbus-master mode (§1.2).
  transports: ['tcp', 'tls', 'push'],
  defaults: KSEM_DEFAULTS,
  params: {
    type: 'object',
    properties: {
      unit: { type: 'integer', minimum: 0, maximum: 255 },
      pollMs: { type: 'number', minimum: 100 },
      layout: { enum: ['auto', 'native', 'sunspec'] },
      phaseEnergyEveryMs: { type: 'number' },
    },
  },
  // Read-only: the KSEM slave has no writable registers (ksem.md §1.13).
  capabilities: ['meter', 'phase-values', 'energy-counters'],
  points: [...NATIVE_POINTS, ...INFO_POINTS, ...sunspecPoints(SUNSPEC_FW26)],
  outputs: OUTPUTS,
  nodeTypes: ['ksem-meter'],
};

/** Native and info points by name. */
export const POINTS_BY_NAME: ReadonlyMap<string, DevicePoint> = new Map([...NATIVE_POINTS, ...INFO_POINTS].map((p) => [p.name, p]));
