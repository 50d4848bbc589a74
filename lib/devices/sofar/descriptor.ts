/**
 * Sofar ME3000SP (and HYD 3000–6000-ES, same register protocol) — the descriptor: transport
 * defaults, capabilities, settings with their safe defaults, and the points table that drives
 * decoding (normalize.ts), the simulator's encoding (lib/sim/sofar-sim.ts) and the help text.
 *
 * Every fact comes from ../shared/protocols/sofar-me3000sp.md (the dossier); the section is named
 * next to it, with the dossier's confidence tag (OFFICIAL = Sofar PDF, IMPL = ≥2 implementations
 * agree, COMMUNITY = one source). Addresses are 0-based PDU addresses.
 */
import type { RegisterType } from '../../transport/modbus/data-types';

/** Which read function a point is served by. */
export type SofarFc = 0x03 | 0x04;

export interface SofarPoint {
  /** Field name in the decoded real-time record. */
  name: string;
  /** 0-based register address. */
  address: number;
  fc: SofarFc;
  type: RegisterType;
  /** SI value = raw × scale (W, V, A, Hz, °C, %, Wh, s, min, h). */
  scale: number;
  unit: string;
  /** Sign convention of the raw register, when it has one. */
  sign?: string;
  description: string;
  /** Dossier section and tag. */
  source: string;
  /** String length in registers (type 'string'). */
  length?: number;
}

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
};

export const SOFAR_CAPABILITIES = ['battery', 'battery-control', 'inverter', 'energy-counters'] as const;

/** Largest charge / discharge power of the passive-mode commands, W (§3.6 "0–3000, unit 1 W", OFFICIAL; §3.1). */
export const ME3000_MAX_POWER_W = 3000;
/** HYD-ES code in Sofar2mqtt uses 6000 W (§3.1) — the highest limit a user may set. */
export const SOFAR_MAX_POWER_LIMIT_W = 6000;

// ---------------------------------------------------------------------------------------------
// Function codes and vendor registers (dossier §3.6, §3.7, §3.9)
// ---------------------------------------------------------------------------------------------

/** Vendor passive-mode control (§3.6, OFFICIAL). */
export const FC_PASSIVE = 0x42;
/** Vendor heartbeat (§3.7, OFFICIAL). */
export const FC_HEARTBEAT = 0x49;

export const PASSIVE_REG = {
  standby: 0x0100,
  discharge: 0x0101,
  charge: 0x0102,
  auto: 0x0103,
} as const;
/** Value the standby "register" must carry (§3.6, OFFICIAL). */
export const PASSIVE_STANDBY_VALUE = 0x5555;
/** Heartbeat "register" and value (§3.7, OFFICIAL). */
export const HEARTBEAT_REG = 0x2201;
export const HEARTBEAT_VALUE = 0x2202;
/** Heartbeat: at most once per second, at least once per minute (§3.7, OFFICIAL). */
export const HEARTBEAT_MIN_MS = 1000;
export const HEARTBEAT_MAX_MS = 60000;

/** Newer firmware: standard-register work-mode block (§3.9, COMMUNITY). */
export const WORK_MODE = {
  /** Work mode register: 0 auto/self-use, 1 time-of-use, 2 timed, 3 passive, 4 peak shaving. */
  register: 0x1200,
  passive: 3,
  auto: 0,
  /** Passive standby: write 0x5555 (PeterHiltonUK only). */
  standby: 0x1212,
  /** Passive discharge power, W (PeterHiltonUK only). */
  discharge: 0x1213,
  /** Passive charge power, W (PeterHiltonUK only). */
  charge: 0x1214,
} as const;

export const WORK_MODE_NAMES: Record<number, string> = {
  0: 'auto (self-use)',
  1: 'time-of-use',
  2: 'timed',
  3: 'passive',
  4: 'peak shaving',
};

// ---------------------------------------------------------------------------------------------
// Register blocks
// ---------------------------------------------------------------------------------------------

/** Real-time block read with FC 0x03 in one request (§3.3). */
export const REALTIME_BLOCK = { fc: 0x03 as const, address: 0x0200, count: 70 };
/**
 * Fallback length: greentangerine reads 69 registers from 0x0200 (§3.2 "Block size", IMPL). Used when
 * a device rejects the 70-register read (0x0245, the low word of the generation-time total, is then
 * missing).
 */
export const REALTIME_BLOCK_SHORT = 69;
/** Battery settings, FC 0x04 (§3.5, OFFICIAL). */
export const BATTERY_SETTINGS_BLOCK = { fc: 0x04 as const, address: 0x10b0, count: 13 };
/** Device information, FC 0x04 (§3.5, OFFICIAL). */
export const DEVICE_INFO_BLOCK = { fc: 0x04 as const, address: 0x2000, count: 12 };
/** Work-mode block head, FC 0x03 (§3.9, COMMUNITY): 0x1200 … 0x1214. */
export const WORK_MODE_BLOCK = { fc: 0x03 as const, address: 0x1200, count: 21 };

const RT = '§3.3 real-time data';

/**
 * Real-time points (FC 0x03, §3.3). Raw units per the Sofar "ModBus-RTU Communication Protocol"
 * 2017-11-27 PDF (OFFICIAL) unless the tag says otherwise. Battery voltage (0x020E) and grid power
 * (0x0212) are listed with their PDF decoding; the driver applies the user's settings for the two
 * documented conflicts (§3.10).
 */
export const REALTIME_POINTS: SofarPoint[] = [
  { name: 'runningState', address: 0x0200, fc: 3, type: 'u16', scale: 1, unit: '', description: 'running state (enum, §3.4)', source: `${RT}, OFFICIAL` },
  { name: 'gridVoltage', address: 0x0206, fc: 3, type: 'u16', scale: 0.1, unit: 'V', description: 'grid voltage phase A', source: `${RT}, OFFICIAL` },
  { name: 'gridCurrent', address: 0x0207, fc: 3, type: 's16', scale: 0.01, unit: 'A', description: 'grid current phase A', source: `${RT}, OFFICIAL (not battery current: §3.10)` },
  { name: 'gridFrequency', address: 0x020c, fc: 3, type: 'u16', scale: 0.01, unit: 'Hz', description: 'grid frequency', source: `${RT}, OFFICIAL` },
  {
    name: 'batteryDcPowerRaw',
    address: 0x020d,
    fc: 3,
    type: 's16',
    scale: 10,
    unit: 'W',
    sign: '+ charging',
    description: 'battery charge/discharge power (DC side)',
    source: `${RT}, OFFICIAL + IMPL (sign: Sofar2mqtt flow; evcc scale −10)`,
  },
  { name: 'batteryVoltageRaw', address: 0x020e, fc: 3, type: 'u16', scale: 0.1, unit: 'V', description: 'battery voltage (scale conflict 0.1 / 0.01 V, §3.10)', source: `${RT}, OFFICIAL vs IMPL` },
  { name: 'batteryCurrentRaw', address: 0x020f, fc: 3, type: 's16', scale: 0.01, unit: 'A', sign: '+ charging', description: 'battery current', source: `${RT}, OFFICIAL` },
  { name: 'soc', address: 0x0210, fc: 3, type: 'u16', scale: 1, unit: '%', description: 'battery state of charge', source: `${RT}, OFFICIAL` },
  { name: 'batteryTemperature', address: 0x0211, fc: 3, type: 's16', scale: 1, unit: '°C', description: 'battery temperature (read as s16, §3.10)', source: `${RT}, IMPL` },
  { name: 'gridPowerRaw', address: 0x0212, fc: 3, type: 's16', scale: 10, unit: 'W', sign: '+ export', description: 'grid feed-in/out power', source: `${RT}, OFFICIAL + IMPL (Sofar2mqtt flow)` },
  { name: 'loadPower', address: 0x0213, fc: 3, type: 'u16', scale: 10, unit: 'W', description: 'load (house) power', source: `${RT}, OFFICIAL` },
  { name: 'acPowerRaw', address: 0x0214, fc: 3, type: 's16', scale: 10, unit: 'W', sign: '+ discharging to AC', description: 'inverter AC input/output power', source: `${RT}, OFFICIAL + IMPL` },
  { name: 'pvPower', address: 0x0215, fc: 3, type: 'u16', scale: 10, unit: 'W', description: 'generation power (PV inverter, measured by CTpv)', source: `${RT}, OFFICIAL` },
  { name: 'epsVoltage', address: 0x0216, fc: 3, type: 'u16', scale: 0.1, unit: 'V', description: 'EPS output voltage', source: `${RT}, OFFICIAL` },
  { name: 'epsPower', address: 0x0217, fc: 3, type: 'u16', scale: 10, unit: 'W', description: 'EPS output power', source: `${RT}, OFFICIAL` },
  { name: 'pvTodayWh', address: 0x0218, fc: 3, type: 'u16', scale: 10, unit: 'Wh', description: 'generation today (0.01 kWh)', source: `${RT}, OFFICIAL` },
  { name: 'exportTodayWh', address: 0x0219, fc: 3, type: 'u16', scale: 10, unit: 'Wh', description: 'exported today', source: `${RT}, OFFICIAL` },
  { name: 'importTodayWh', address: 0x021a, fc: 3, type: 'u16', scale: 10, unit: 'Wh', description: 'imported today', source: `${RT}, OFFICIAL` },
  { name: 'loadTodayWh', address: 0x021b, fc: 3, type: 'u16', scale: 10, unit: 'Wh', description: 'load consumption today', source: `${RT}, OFFICIAL` },
  { name: 'pvTotalWh', address: 0x021c, fc: 3, type: 'u32', scale: 1000, unit: 'Wh', description: 'total generation (1 kWh, high word first)', source: `${RT}, OFFICIAL` },
  { name: 'exportTotalWh', address: 0x021e, fc: 3, type: 'u32', scale: 1000, unit: 'Wh', description: 'total exported', source: `${RT}, OFFICIAL` },
  { name: 'importTotalWh', address: 0x0220, fc: 3, type: 'u32', scale: 1000, unit: 'Wh', description: 'total imported', source: `${RT}, OFFICIAL` },
  { name: 'loadTotalWh', address: 0x0222, fc: 3, type: 'u32', scale: 1000, unit: 'Wh', description: 'total load consumption', source: `${RT}, OFFICIAL` },
  { name: 'chargeTodayWh', address: 0x0224, fc: 3, type: 'u16', scale: 10, unit: 'Wh', description: 'battery charge today (PDF 2017: reserved)', source: `${RT}, COMMUNITY (ha-solarman)` },
  { name: 'dischargeTodayWh', address: 0x0225, fc: 3, type: 'u16', scale: 10, unit: 'Wh', description: 'battery discharge today', source: `${RT}, COMMUNITY (ha-solarman)` },
  { name: 'chargeTotalWh', address: 0x0226, fc: 3, type: 'u32', scale: 1000, unit: 'Wh', description: 'battery charge total', source: `${RT}, COMMUNITY (ha-solarman)` },
  { name: 'dischargeTotalWh', address: 0x0228, fc: 3, type: 'u32', scale: 1000, unit: 'Wh', description: 'battery discharge total', source: `${RT}, COMMUNITY (ha-solarman)` },
  { name: 'countdownS', address: 0x022a, fc: 3, type: 'u16', scale: 1, unit: 's', description: 'countdown time', source: `${RT}, OFFICIAL (unit from ha-solarman)` },
  { name: 'alertBits', address: 0x022b, fc: 3, type: 'u16', scale: 1, unit: '', description: 'inverter alert message (bits, §3.3)', source: `${RT}, OFFICIAL` },
  { name: 'batteryCycles', address: 0x022c, fc: 3, type: 'u16', scale: 1, unit: '', description: 'battery cycle count', source: `${RT}, OFFICIAL` },
  { name: 'invBusVoltage', address: 0x022d, fc: 3, type: 's16', scale: 0.1, unit: 'V', description: 'INV bus voltage (PDF unit "0.01A" is a typo)', source: `${RT}, IMPL` },
  { name: 'llcBusVoltage', address: 0x022e, fc: 3, type: 'u16', scale: 0.1, unit: 'V', description: 'LLC bus voltage', source: `${RT}, COMMUNITY` },
  { name: 'pvCurrent', address: 0x0236, fc: 3, type: 'u16', scale: 0.01, unit: 'A', description: 'generation current (PV CT current)', source: `${RT}, OFFICIAL + IMPL` },
  { name: 'innerTemperature', address: 0x0238, fc: 3, type: 's16', scale: 1, unit: '°C', description: 'inner temperature', source: `${RT}, OFFICIAL` },
  { name: 'heatsinkTemperature', address: 0x0239, fc: 3, type: 's16', scale: 1, unit: '°C', description: 'heat-sink temperature', source: `${RT}, OFFICIAL` },
  { name: 'countryCode', address: 0x023a, fc: 3, type: 'u16', scale: 1, unit: '', description: 'country code (00 Germany VDE4105 …)', source: `${RT}, OFFICIAL` },
  { name: 'commBoardBits', address: 0x0242, fc: 3, type: 'u16', scale: 1, unit: '', description: 'communication-board message (bits)', source: `${RT}, OFFICIAL` },
  { name: 'generationTimeTodayMin', address: 0x0243, fc: 3, type: 'u16', scale: 1, unit: 'min', description: 'generation time today', source: `${RT}, OFFICIAL` },
  { name: 'generationTimeTotalH', address: 0x0244, fc: 3, type: 'u32', scale: 1, unit: 'h', description: 'generation time total', source: `${RT}, OFFICIAL` },
];

/** Inverter fault message: 5 registers, bytes 0–9 (0x0201 = byte1:byte0, §3.3 OFFICIAL). */
export const FAULT_REGISTERS = { address: 0x0201, count: 5 };
/** Battery fault message: 5 registers, bytes 0–9 (§3.3 OFFICIAL). */
export const BATTERY_FAULT_REGISTERS = { address: 0x023d, count: 5 };

/** Battery settings (FC 0x04, §3.5, OFFICIAL). */
export const BATTERY_SETTING_POINTS: SofarPoint[] = [
  { name: 'batteryType', address: 0x10b0, fc: 4, type: 'u16', scale: 1, unit: '', description: 'battery type (enum, firmware-dependent)', source: '§3.5, OFFICIAL' },
  { name: 'capacityAh', address: 0x10b1, fc: 4, type: 'u16', scale: 1, unit: 'Ah', description: 'battery capacity (0–999)', source: '§3.5, OFFICIAL' },
  { name: 'maxChargeVoltage', address: 0x10b3, fc: 4, type: 'u16', scale: 0.1, unit: 'V', description: 'max charge voltage (50.0–58.0)', source: '§3.5, OFFICIAL' },
  { name: 'maxChargeCurrent', address: 0x10b4, fc: 4, type: 'u16', scale: 0.01, unit: 'A', description: 'max charge current (0–65.00)', source: '§3.5, OFFICIAL' },
  { name: 'overVoltageProtection', address: 0x10b5, fc: 4, type: 'u16', scale: 0.1, unit: 'V', description: 'over-voltage protection point', source: '§3.5, OFFICIAL' },
  { name: 'minDischargeVoltage', address: 0x10b6, fc: 4, type: 'u16', scale: 0.1, unit: 'V', description: 'min discharge voltage (42.0–52.0)', source: '§3.5, OFFICIAL' },
  { name: 'maxDischargeCurrent', address: 0x10b7, fc: 4, type: 'u16', scale: 0.01, unit: 'A', description: 'max discharge current (0–70.00)', source: '§3.5, OFFICIAL' },
  { name: 'underVoltageProtection', address: 0x10b8, fc: 4, type: 'u16', scale: 0.1, unit: 'V', description: 'under-voltage protection point', source: '§3.5, OFFICIAL' },
  { name: 'depthOfDischarge', address: 0x10b9, fc: 4, type: 'u16', scale: 1, unit: '%', description: 'depth of discharge (0–100)', source: '§3.5, OFFICIAL' },
  { name: 'emptyVoltage', address: 0x10bb, fc: 4, type: 'u16', scale: 0.01, unit: 'V', description: 'empty battery voltage (42.50–47.00)', source: '§3.5, OFFICIAL' },
  { name: 'fullVoltage', address: 0x10bc, fc: 4, type: 'u16', scale: 0.01, unit: 'V', description: 'full battery voltage (47.01–55.00)', source: '§3.5, OFFICIAL' },
];

/** Device information (FC 0x04, §3.5, OFFICIAL). */
export const DEVICE_INFO_POINTS: SofarPoint[] = [
  { name: 'productionCode', address: 0x2000, fc: 4, type: 'u16', scale: 1, unit: '', description: 'production code', source: '§3.5, OFFICIAL' },
  { name: 'serial', address: 0x2001, fc: 4, type: 'string', length: 7, scale: 1, unit: '', description: "serial number ('S', model A1/M1/C1…, E/U, date letters)", source: '§3.5, OFFICIAL' },
  { name: 'softwareVersion', address: 0x2008, fc: 4, type: 'u32', scale: 1, unit: '', description: 'software version (2 registers; format not documented)', source: '§3.5, OFFICIAL' },
  { name: 'hardwareVersion', address: 0x200a, fc: 4, type: 'u32', scale: 1, unit: '', description: 'hardware version (2 registers)', source: '§3.5, OFFICIAL' },
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

/** JSON Schema of the settings (the node config carries them as strings or numbers). */
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

/** Lookup of a point by name (all tables). */
export function point(name: string): SofarPoint {
  const p = [...REALTIME_POINTS, ...BATTERY_SETTING_POINTS, ...DEVICE_INFO_POINTS].find((x) => x.name === name);
  if (!p) throw new Error(`no Sofar point ${name}`);
  return p;
}
