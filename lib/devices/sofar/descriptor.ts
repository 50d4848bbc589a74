/**
 * Sofar ME3000SP (and HYD 3000–6000-ES, same register protocol) — the descriptor (DESIGN.md §3):
 * transport defaults, capabilities, settings with their safe defaults, and the points that drive
 * decoding (normalize.ts), the simulator's encoding (lib/sim/sofar-sim.ts) and the help's output
 * table. Register blocks are the spans of their points (spanOf), never typed twice.
 *
 * Every fact comes from the Sofar dossier (../shared/protocols/sofar-me3000sp.md); `src` names the
 * section and its confidence tag (OFFICIAL = Sofar PDF, IMPL = ≥2 implementations agree, COMMUNITY
 * = one source). Addresses are 0-based PDU addresses. Signs are turned into ours (DESIGN.md §2) by
 * the points' scale: 0x020D battery power and 0x020F battery current count + charging on the wire
 * (scale −10 / −0.01 gives + discharge), 0x0212 grid power + export (scale −10 gives + import).
 */
import { findPoint, spanOf, type DeviceDescriptor, type DevicePoint, type RegisterSource } from '../../api/device';
import type { RegisterType } from '../../transport/modbus/data-types';

// ---------------------------------------------------------------------------------------------
// Transport (dossier §3.2)
// ---------------------------------------------------------------------------------------------

export const SOFAR_DEFAULTS = {
  /** Slave address 1, changeable on the LCD (§3.2, IMPL). */
  unit: 1,
  /** 9600 baud 8N1 on the "485s" connector (§3.2, IMPL; the vendor PDF does not state it). */
  baudRate: 9600,
  parity: 'none' as const,
  dataBits: 8 as const,
  stopBits: 1 as const,
  /** Reply timeout. Sofar2mqtt waits 200 ms + up to 400 ms for a reply (§3.2, COMMUNITY); 1 s leaves room for gateways. */
  timeoutMs: 1000,
  /** ESPHome users needed ≥ 100 ms between commands and ≥ 200 ms send-wait (§3.2, COMMUNITY). */
  interRequestDelayMs: 100,
  /** Broadcast address for time sync and broadcast heartbeat, no reply (§3.2, OFFICIAL). */
  broadcastUnit: 0x88,
  /** Poll period of the node, s. */
  pollIntervalS: 5,
};

export const SOFAR_CAPABILITIES = ['battery', 'battery-control', 'inverter', 'energy-counters'] as const;

/** Largest charge / discharge power of the passive-mode commands, W (§3.6 "0–3000, unit 1 W", OFFICIAL; §3.1). */
export const ME3000_MAX_POWER_W = 3000;
/** HYD-ES code in Sofar2mqtt uses 6000 W (§3.1) — the highest limit a user may set. */
export const SOFAR_MAX_POWER_LIMIT_W = 6000;

// ---------------------------------------------------------------------------------------------
// Vendor function codes (dossier §3.6, §3.7): commands, not registers
// ---------------------------------------------------------------------------------------------

/** Vendor passive-mode control (§3.6, OFFICIAL). */
export const FC_PASSIVE = 0x42;
/** Vendor heartbeat (§3.7, OFFICIAL). */
export const FC_HEARTBEAT = 0x49;

/** The 0x42 "registers" (§3.6, OFFICIAL). */
export const PASSIVE_REG = {
  standby: 0x0100,
  discharge: 0x0101,
  charge: 0x0102,
  auto: 0x0103,
} as const;
/** Value the standby "register" must carry (§3.6, OFFICIAL; also 0x1212 of §3.9). */
export const PASSIVE_STANDBY_VALUE = 0x5555;
/** Heartbeat "register" and value (§3.7, OFFICIAL). */
export const HEARTBEAT_REG = 0x2201;
export const HEARTBEAT_VALUE = 0x2202;
/** Heartbeat: at most once per second, at least once per minute (§3.7, OFFICIAL). */
export const HEARTBEAT_MIN_MS = 1000;
export const HEARTBEAT_MAX_MS = 60000;

// ---------------------------------------------------------------------------------------------
// Points
// ---------------------------------------------------------------------------------------------

const RT = '§3.3 real-time data';

interface PointSpec {
  type?: RegisterType;
  scale?: number;
  unit?: string;
  deviceUnit?: string;
  sign?: string;
  access?: 'r' | 'rw';
  range?: readonly [number, number];
  values?: Record<number, string>;
  valueType?: DevicePoint['valueType'];
  length?: number;
}

/** A register point; FC, address, name, description and source first, the rest as options (default u16, scale 1, read only). */
function reg(fc: 0x03 | 0x04, address: number, name: string, description: string, src: string, o: PointSpec = {}): DevicePoint {
  const source: RegisterSource = { kind: 'register', fc, address, type: o.type ?? 'u16' };
  if (o.length) source.length = o.length;
  const p: DevicePoint = { name, source, unit: o.unit ?? '', access: o.access ?? 'r', description, src };
  if (o.scale !== undefined && o.scale !== 1) p.scale = o.scale;
  for (const k of ['deviceUnit', 'sign', 'range', 'values', 'valueType'] as const) if (o[k] !== undefined) (p as unknown as Record<string, unknown>)[k] = o[k];
  return p;
}

const rt = (address: number, name: string, description: string, tag: string, o: PointSpec = {}) => reg(0x03, address, name, description, `${RT}, ${tag}`, o);
const W10 = { scale: 10, unit: 'W', deviceUnit: '0.01 kW' };
const WH10 = { scale: 10, unit: 'Wh', deviceUnit: '0.01 kWh' };
const KWH = { type: 'u32' as const, scale: 1000, unit: 'Wh', deviceUnit: '1 kWh, high word first' };
const BITS = { valueType: 'integer' as const, deviceUnit: 'bits' };

/** Running state 0x0200 (§3.4, OFFICIAL, the ME3000 list). */
export const RUNNING_STATES: Record<number, string> = {
  0: 'wait',
  1: 'check before charging',
  2: 'charging',
  3: 'check before discharging',
  4: 'discharging',
  5: 'EPS',
  6: 'fault',
  7: 'permanent fault',
};

/** Fault bytes: five registers each (§3.3, OFFICIAL: 0x0201 = byte1:byte0 …). */
const faultWords = (base: number, prefix: string, what: string) =>
  [0, 1, 2, 3, 4].map((i) => rt(base + i, `${prefix}${i}`, `${what} bytes ${2 * i + 1}:${2 * i}`, 'OFFICIAL', BITS));

/**
 * Real-time points (FC 0x03, §3.3). Raw units per the Sofar "ModBus-RTU Communication Protocol"
 * 2017-11-27 PDF (OFFICIAL) unless the tag says otherwise.
 */
export const REALTIME_POINTS: readonly DevicePoint[] = [
  rt(0x0200, 'runningState', 'running state', 'OFFICIAL (§3.4)', { valueType: 'enum', values: RUNNING_STATES }),
  ...faultWords(0x0201, 'inverterFault', 'inverter fault message'),
  rt(0x0206, 'gridVoltage', 'grid voltage phase A', 'OFFICIAL', { scale: 0.1, unit: 'V' }),
  rt(0x0207, 'gridCurrent', 'grid current phase A (not battery current, §3.10)', 'OFFICIAL', { type: 's16', scale: 0.01, unit: 'A' }),
  rt(0x020c, 'gridFrequency', 'grid frequency', 'OFFICIAL', { scale: 0.01, unit: 'Hz' }),
  rt(0x020d, 'batteryDcPower', 'battery power, DC side', 'OFFICIAL + IMPL (sign: Sofar2mqtt flow; evcc scale −10)', { type: 's16', ...W10, scale: -10, sign: '+ charging on the wire; scale −10 gives + discharge' }),
  rt(0x020e, 'batteryVoltage', 'battery voltage at the PDF scale (scale conflict, §3.10)', 'OFFICIAL', { scale: 0.1, unit: 'V' }),
  rt(0x020f, 'batteryCurrent', 'battery current', 'OFFICIAL', { type: 's16', scale: -0.01, unit: 'A', deviceUnit: '0.01 A', sign: '+ charging on the wire; scale −0.01 gives + discharge' }),
  rt(0x0210, 'soc', 'battery state of charge', 'OFFICIAL', { unit: '%', range: [0, 100] }),
  rt(0x0211, 'batteryTemperature', 'battery temperature (read as s16, §3.10)', 'IMPL', { type: 's16', unit: '°C' }),
  rt(0x0212, 'gridPower', 'grid power (s16 per the PDF; see the grid register setting)', 'OFFICIAL + IMPL (sign: Sofar2mqtt flow)', { type: 's16', ...W10, scale: -10, sign: '+ export on the wire; scale −10 gives + import' }),
  rt(0x0213, 'loadPower', 'load (house) power', 'OFFICIAL', W10),
  rt(0x0214, 'acPower', 'inverter AC power', 'OFFICIAL + IMPL', { type: 's16', ...W10, sign: '+ discharging to AC, − charging from AC' }),
  rt(0x0215, 'pvPower', 'generation power (the PV inverter, measured by CTpv)', 'OFFICIAL', W10),
  rt(0x0216, 'epsVoltage', 'EPS output voltage', 'OFFICIAL', { scale: 0.1, unit: 'V' }),
  rt(0x0217, 'epsPower', 'EPS output power', 'OFFICIAL', W10),
  rt(0x0218, 'pvTodayWh', 'generation today', 'OFFICIAL', WH10),
  rt(0x0219, 'exportTodayWh', 'exported today', 'OFFICIAL', WH10),
  rt(0x021a, 'importTodayWh', 'imported today', 'OFFICIAL', WH10),
  rt(0x021b, 'loadTodayWh', 'load consumption today', 'OFFICIAL', WH10),
  rt(0x021c, 'pvTotalWh', 'total generation', 'OFFICIAL', KWH),
  rt(0x021e, 'exportTotalWh', 'total exported', 'OFFICIAL', KWH),
  rt(0x0220, 'importTotalWh', 'total imported', 'OFFICIAL', KWH),
  rt(0x0222, 'loadTotalWh', 'total load consumption', 'OFFICIAL', KWH),
  rt(0x0224, 'chargeTodayWh', 'battery charge today (PDF 2017: reserved)', 'COMMUNITY (ha-solarman)', WH10),
  rt(0x0225, 'dischargeTodayWh', 'battery discharge today', 'COMMUNITY (ha-solarman)', WH10),
  rt(0x0226, 'chargeTotalWh', 'battery charge total', 'COMMUNITY (ha-solarman)', KWH),
  rt(0x0228, 'dischargeTotalWh', 'battery discharge total', 'COMMUNITY (ha-solarman)', KWH),
  rt(0x022a, 'countdownS', 'countdown time', 'OFFICIAL (unit from ha-solarman)', { unit: 's' }),
  rt(0x022b, 'alertBits', 'inverter alert message', 'OFFICIAL', BITS),
  rt(0x022c, 'batteryCycles', 'battery cycle count', 'OFFICIAL', { valueType: 'integer' }),
  rt(0x022d, 'invBusVoltage', 'INV bus voltage (PDF unit "0.01A" is a typo)', 'IMPL', { type: 's16', scale: 0.1, unit: 'V' }),
  rt(0x022e, 'llcBusVoltage', 'LLC bus voltage', 'COMMUNITY', { scale: 0.1, unit: 'V' }),
  rt(0x0236, 'pvCurrent', 'generation current (PV CT current)', 'OFFICIAL + IMPL', { scale: 0.01, unit: 'A' }),
  rt(0x0238, 'innerTemperature', 'inner temperature', 'OFFICIAL', { type: 's16', unit: '°C' }),
  rt(0x0239, 'heatsinkTemperature', 'heat-sink temperature', 'OFFICIAL', { type: 's16', unit: '°C' }),
  rt(0x023a, 'countryCode', 'country code (00 Germany VDE4105 …)', 'OFFICIAL', { valueType: 'enum' }),
  ...faultWords(0x023d, 'batteryFault', 'battery fault message'),
  rt(0x0242, 'commBoardBits', 'communication-board message', 'OFFICIAL', BITS),
  rt(0x0243, 'generationTimeTodayMin', 'generation time today', 'OFFICIAL', { unit: 'min' }),
  rt(0x0244, 'generationTimeTotalH', 'generation time total', 'OFFICIAL', { type: 'u32', unit: 'h' }),
];

/**
 * Other readings of registers the real-time points already cover, for the documented conflicts
 * (§3.10): battery voltage at 0.01 V (three implementations), grid power as u16 or as evcc's s32
 * over 0x0212–0x0213. The driver decodes the one the settings choose; a device (or the simulator)
 * encodes one reading of each register, never two.
 */
export const VARIANT_POINTS: readonly DevicePoint[] = [
  rt(0x020e, 'batteryVoltage001', 'battery voltage at 0.01 V (Sofar2mqtt flow, rjpearce, 2technology ESPHome)', 'IMPL (§3.10)', { scale: 0.01, unit: 'V' }),
  rt(0x0212, 'gridPowerU16', 'grid power read as u16', 'IMPL (§3.10)', { ...W10, scale: -10, sign: '+ export on the wire' }),
  rt(0x0212, 'gridPowerS32', 'grid power read as s32 over 0x0212–0x0213 (evcc)', 'IMPL (§3.10, inconsistent with the PDF)', { type: 's32', ...W10, scale: -10, sign: '+ export on the wire' }),
];

/** Battery types 0x10B0 by firmware (§3.5, OFFICIAL). V1.20 list first; V1.00 differs for 3 and 0x80. */
export const BATTERY_TYPES: Record<number, string> = {
  0: 'DARFON',
  1: 'PYLON',
  2: 'SOLTARO',
  3: 'ALPHA.ESS (FW V1.20) / SOLTARO (FW V1.00)',
  4: 'GENERAL',
  0x80: 'TELE (FW V1.00)',
  0x100: 'DEFAULT',
};

const IN = (address: number, name: string, description: string, o: PointSpec = {}) => reg(0x04, address, name, description, '§3.5, OFFICIAL', o);

/** Battery settings (FC 0x04, §3.5, OFFICIAL). */
export const BATTERY_SETTING_POINTS: readonly DevicePoint[] = [
  IN(0x10b0, 'batteryType', 'battery type (firmware-dependent list)', { valueType: 'enum', values: BATTERY_TYPES }),
  IN(0x10b1, 'capacityAh', 'battery capacity (0–999)', { unit: 'Ah', range: [0, 999] }),
  IN(0x10b3, 'maxChargeVoltage', 'max charge voltage (50.0–58.0)', { scale: 0.1, unit: 'V' }),
  IN(0x10b4, 'maxChargeCurrent', 'max charge current (0–65.00)', { scale: 0.01, unit: 'A', range: [0, 65] }),
  IN(0x10b5, 'overVoltageProtection', 'over-voltage protection point', { scale: 0.1, unit: 'V' }),
  IN(0x10b6, 'minDischargeVoltage', 'min discharge voltage (42.0–52.0)', { scale: 0.1, unit: 'V' }),
  IN(0x10b7, 'maxDischargeCurrent', 'max discharge current (0–70.00)', { scale: 0.01, unit: 'A', range: [0, 70] }),
  IN(0x10b8, 'underVoltageProtection', 'under-voltage protection point', { scale: 0.1, unit: 'V' }),
  IN(0x10b9, 'depthOfDischarge', 'depth of discharge (0–100)', { unit: '%', range: [0, 100] }),
  IN(0x10bb, 'emptyVoltage', 'empty battery voltage (42.50–47.00)', { scale: 0.01, unit: 'V' }),
  IN(0x10bc, 'fullVoltage', 'full battery voltage (47.01–55.00)', { scale: 0.01, unit: 'V' }),
];

/** Device information (FC 0x04, §3.5, OFFICIAL). */
export const DEVICE_INFO_POINTS: readonly DevicePoint[] = [
  IN(0x2000, 'productionCode', 'production code', { valueType: 'integer' }),
  IN(0x2001, 'serial', "serial number ('S', model A1/M1/C1…, E/U, date letters)", { type: 'string', length: 7, valueType: 'string' }),
  IN(0x2008, 'softwareVersion', 'software version (2 registers; format not documented)', { type: 'u32', valueType: 'integer' }),
  IN(0x200a, 'hardwareVersion', 'hardware version (2 registers)', { type: 'u32', valueType: 'integer' }),
];

/** Work mode 0x1200 values (§3.9, COMMUNITY). */
export const WORK_MODE_NAMES: Record<number, string> = {
  0: 'auto (self-use)',
  1: 'time-of-use',
  2: 'timed',
  3: 'passive',
  4: 'peak shaving',
};

const WM = (address: number, name: string, description: string, src: string, o: PointSpec = {}) => reg(0x03, address, name, description, `§3.9 work-mode block, COMMUNITY (${src})`, { access: 'rw', ...o });

/** Newer firmware: the work-mode block, FC 0x03 read / FC 0x10 write (§3.9, COMMUNITY). Persistent settings. */
export const WORK_MODE_POINTS: readonly DevicePoint[] = [
  WM(0x1200, 'workMode', 'work mode', 'ha-solarman, PeterHiltonUK', { valueType: 'enum', values: WORK_MODE_NAMES, range: [0, 4] }),
  WM(0x1212, 'passiveStandby', 'passive: write 0x5555 for standby', 'PeterHiltonUK only', { valueType: 'integer' }),
  WM(0x1213, 'passiveDischargeW', 'passive: discharge power', 'PeterHiltonUK only', { unit: 'W', range: [0, ME3000_MAX_POWER_W] }),
  WM(0x1214, 'passiveChargeW', 'passive: charge power', 'PeterHiltonUK only', { unit: 'W', range: [0, ME3000_MAX_POWER_W] }),
];

export const SOFAR_POINTS: readonly DevicePoint[] = [...REALTIME_POINTS, ...VARIANT_POINTS, ...BATTERY_SETTING_POINTS, ...DEVICE_INFO_POINTS, ...WORK_MODE_POINTS];

/** A point by name (any table); throws for an unknown name (a programming error). */
export function point(name: string): DevicePoint {
  return findPoint(SOFAR_POINTS, name);
}

/** The register source of a point. */
export function registerOf(name: string): RegisterSource {
  return point(name).source as RegisterSource;
}

// ---------------------------------------------------------------------------------------------
// Register blocks: the spans of their points
// ---------------------------------------------------------------------------------------------

/** Real-time block read with FC 0x03 in one request (§3.3): 0x0200–0x0245, 70 registers. */
export const REALTIME_BLOCK = spanOf(REALTIME_POINTS);
/**
 * Fallback length: greentangerine reads 69 registers from 0x0200 (§3.2 "Block size", IMPL). Used when
 * a device rejects the full read (the low word of the generation-time total is then missing).
 */
export const REALTIME_BLOCK_SHORT = 69;
/** Battery settings, FC 0x04 (§3.5): 0x10B0–0x10BC. */
export const BATTERY_SETTINGS_BLOCK = spanOf(BATTERY_SETTING_POINTS);
/** Device information, FC 0x04 (§3.5): 0x2000–0x200B. */
export const DEVICE_INFO_BLOCK = spanOf(DEVICE_INFO_POINTS);
/** Work-mode block head, FC 0x03 (§3.9): 0x1200–0x1214. */
export const WORK_MODE_BLOCK = spanOf(WORK_MODE_POINTS);
/** Real-time words the decoder needs at least: up to the PV power 0x0215 (grid, load, battery, PV). */
export const REALTIME_MIN_WORDS = registerOf('pvPower').address + 1 - REALTIME_BLOCK.address;

/** Work-mode register values (§3.9). */
export const WORK_MODE = { auto: 0, passive: 3 } as const;

// ---------------------------------------------------------------------------------------------
// Settings for the documented unknowns (§3.10, §3.9, §3.7, §3.1)
// ---------------------------------------------------------------------------------------------

/** 0x020E scale: 'auto' detects it from a 48 V-class pack (§3.10 recommendation). */
export type BatteryVoltageScale = 'auto' | '0.1' | '0.01';
/** 0x0212 decoding: s16 per the PDF (default); u16 or s32 (evcc's reading, spanning 0x0212–0x0213) for odd firmware. */
export type GridRegisterType = 's16' | 'u16' | 's32';
/** How commands reach the inverter: vendor FC 0x42 (default, OFFICIAL) or the 0x1200 work-mode block (COMMUNITY). */
export type ControlPath = 'passive' | 'work-mode';
/** ME3000SP installed as a retrofit (grid CT only; no PV reading) or with a PV CT (CTpv) on the PV inverter. */
export type SofarVariant = 'ctpv' | 'retrofit';
export type ZeroMeans = 'standby' | 'auto';
export type CloseAction = 'auto' | 'standby' | 'none';

/** The point that decodes 0x020E at each fixed scale, and 0x0212 for each register type. */
export const VOLTAGE_POINT: Record<'0.1' | '0.01', string> = { '0.1': 'batteryVoltage', '0.01': 'batteryVoltage001' };
export const GRID_POINT: Record<GridRegisterType, string> = { s16: 'gridPower', u16: 'gridPowerU16', s32: 'gridPowerS32' };

export interface SofarSettings {
  variant: SofarVariant;
  controlPath: ControlPath;
  /** Power limit for both directions, W (default 3000). */
  maxPowerW: number;
  /** What a setpoint of 0 W does. */
  zeroMeans: ZeroMeans;
  /** Heartbeat period, ms (1000–60000, default 10000). */
  heartbeatMs: number;
  /** Re-send the active command this often, ms (default 30000; 0 = only after reconnect). */
  resendMs: number;
  batteryVoltageScale: BatteryVoltageScale;
  gridRegister: GridRegisterType;
  /** What to leave the inverter in when the node closes. */
  onClose: CloseAction;
  /** Nominal pack voltage for plausibility checks, V (default 48). */
  nominalVoltage: number;
}

export const DEFAULT_SETTINGS: SofarSettings = {
  variant: 'ctpv',
  controlPath: 'passive',
  maxPowerW: ME3000_MAX_POWER_W,
  zeroMeans: 'standby',
  heartbeatMs: 10000,
  resendMs: 30000,
  batteryVoltageScale: 'auto',
  gridRegister: 's16',
  onClose: 'auto',
  nominalVoltage: 48,
};

/** JSON Schema of the driver's settings (the registry's `params`). */
export const sofarSettingsSchema = {
  type: 'object',
  properties: {
    variant: { enum: ['ctpv', 'retrofit'] },
    controlPath: { enum: ['passive', 'work-mode'] },
    maxPowerW: { type: 'number', minimum: 0, maximum: SOFAR_MAX_POWER_LIMIT_W },
    zeroMeans: { enum: ['standby', 'auto'] },
    heartbeatMs: { type: 'number', minimum: HEARTBEAT_MIN_MS, maximum: HEARTBEAT_MAX_MS },
    resendMs: { type: 'number', minimum: 0, maximum: 600000 },
    batteryVoltageScale: { enum: ['auto', '0.1', '0.01'] },
    gridRegister: { enum: ['s16', 'u16', 's32'] },
    onClose: { enum: ['auto', 'standby', 'none'] },
    nominalVoltage: { type: 'number', minimum: 12, maximum: 1000 },
  },
} as const;

// ---------------------------------------------------------------------------------------------
// The descriptor
// ---------------------------------------------------------------------------------------------

const out = (field: string, unit: string, meaning: string, from: readonly string[], note?: string) => (note ? { field, unit, meaning, from, note } : { field, unit, meaning, from });

export const sofarDescriptor: DeviceDescriptor = {
  name: 'sofar',
  title: 'Sofar ME3000SP',
  models: 'Sofar ME3000SP; HYD 3000–6000-ES (same register protocol)',
  reading: 'battery',
  transports: ['rtu', 'rtu-over-tcp'],
  defaults: SOFAR_DEFAULTS,
  params: sofarSettingsSchema,
  capabilities: SOFAR_CAPABILITIES,
  points: SOFAR_POINTS,
  nodeTypes: ['sofar-inverter'],
  outputs: [
    out('kind', '', '"battery"', [], 'set by the driver'),
    out('timestamp', 'ms', 'when the real-time block was read (UTC)', [], 'driver clock'),
    out('source', '', '"sofar"', [], 'set by the driver'),
    out('serial', '', "the inverter's serial number", ['serial']),
    out('model', '', '"Sofar ME3000SP"', [], 'set by the driver'),
    out('soc', '%', 'state of charge (null outside 0–100)', ['soc']),
    out('power', 'W', 'AC power of the inverter, + discharge, − charge', ['acPower']),
    out('setpoint', 'W', 'the command in force, + discharge (null in auto)', [], 'the last command the inverter accepted'),
    out('state', '', 'ready, starting, standby, full, empty, override (EPS, not in passive mode), error, unknown', ['runningState'], 'and the status bits of the last command reply'),
    out('stateText', '', 'the running state as the inverter names it (wait, charging, discharging, EPS, fault, …)', ['runningState']),
    out('strategy', '', 'the control in force ("passive charge 1500 W", or the work mode)', ['workMode'], 'the command in force on the passive path'),
    out('limits.maxChargeW', 'W', 'charge limit now: the power limit, lowered by max charge current × voltage; 0 when full or faulted', ['maxChargeCurrent', 'batteryVoltage']),
    out('limits.maxDischargeW', 'W', 'discharge limit now: the power limit, lowered by max discharge current × voltage; 0 when empty or faulted', ['maxDischargeCurrent', 'batteryVoltage']),
    out('capacityWh', 'Wh', 'capacity × nominal voltage', ['capacityAh']),
    out('voltage', 'V', 'battery voltage (scale per the battery voltage setting)', ['batteryVoltage', 'batteryVoltage001']),
    out('current', 'A', 'battery current, + discharge', ['batteryCurrent']),
    out('temperature', '°C', 'battery temperature', ['batteryTemperature']),
    out('frequency', 'Hz', 'grid frequency', ['gridFrequency']),
    out('gridVoltage', 'V', 'grid voltage phase A', ['gridVoltage']),
    out('gridPower', 'W', 'grid power, + import, − export (register type per the grid register setting)', ['gridPower', 'gridPowerU16', 'gridPowerS32']),
    out('loadPower', 'W', 'house load', ['loadPower']),
    out('pvPower', 'W', 'PV power (only with a PV CT)', ['pvPower']),
    out('dcPower', 'W', 'battery power on the DC side, + discharge', ['batteryDcPower']),
    out('epsPower', 'W', 'EPS output power', ['epsPower']),
    out('runningState', '', 'running state number', ['runningState']),
    out('energy.chargedWh', 'Wh', 'battery charge total', ['chargeTotalWh']),
    out('energy.dischargedWh', 'Wh', 'battery discharge total', ['dischargeTotalWh']),
    out('today.pvWh', 'Wh', 'PV today (only with a PV CT)', ['pvTodayWh']),
    out('today.exportWh', 'Wh', 'exported today', ['exportTodayWh']),
    out('today.importWh', 'Wh', 'imported today', ['importTodayWh']),
    out('today.loadWh', 'Wh', 'load today', ['loadTodayWh']),
    out('today.chargeWh', 'Wh', 'battery charge today', ['chargeTodayWh']),
    out('today.dischargeWh', 'Wh', 'battery discharge today', ['dischargeTodayWh']),
    out('totals.pvWh', 'Wh', 'PV total (only with a PV CT)', ['pvTotalWh']),
    out('totals.exportWh', 'Wh', 'exported total', ['exportTotalWh']),
    out('totals.importWh', 'Wh', 'imported total', ['importTotalWh']),
    out('totals.loadWh', 'Wh', 'load total', ['loadTotalWh']),
    out('cycles', '', 'battery cycle count', ['batteryCycles']),
    out('innerTemperature', '°C', 'inner temperature', ['innerTemperature']),
    out('heatsinkTemperature', '°C', 'heat-sink temperature', ['heatsinkTemperature']),
    out('faults', '', 'active inverter and battery faults as text ("ID05 battery overvoltage")', ['inverterFault0', 'inverterFault1', 'inverterFault2', 'inverterFault3', 'inverterFault4', 'batteryFault0', 'batteryFault1', 'batteryFault2', 'batteryFault3', 'batteryFault4']),
    out('alerts', '', 'active alerts and communication-board messages as text', ['alertBits', 'commBoardBits']),
    out('passiveStatus', '', 'the last command reply: result, resultText, chargeEnabled, dischargeEnabled, full, empty', [], 'status word of the FC 0x42 reply'),
    out('firmware.software', '', 'software version', ['softwareVersion']),
    out('firmware.hardware', '', 'hardware version', ['hardwareVersion']),
    out('warnings', '', 'plausibility findings (battery voltage scale, grid register type, state of charge)', [], 'computed from several readings'),
  ],
};
