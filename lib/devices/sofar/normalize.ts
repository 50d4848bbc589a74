/**
 * Sofar ME3000SP: register words → decoded records → the normalized BatteryReading (DESIGN.md §2:
 * W + discharge / − charge, grid + import, Wh, V, A signed like power, %).
 *
 * Sign conversions at the edge (../shared/protocols/sofar-me3000sp.md §3.3, §3.10):
 * - 0x0214 inverter AC power, + discharging → `power` as is (the AC power our BatteryReading means);
 * - 0x020D battery DC power, + charging → `dcPower` negated;
 * - 0x020F battery current, + charging → `current` negated;
 * - 0x0212 grid power, + export → `gridPower` negated (+ import).
 * Settings cover the documented conflicts: battery-voltage scale (0.1 V PDF vs 0.01 V in three
 * implementations) and the grid register type (s16 PDF vs evcc's s32); plausibility checks say when
 * the other choice fits the data better. Pure functions; garbage never throws.
 */
import type { BatteryReading, BatteryState } from '../../api/types';
import { decodeValue } from '../../transport/modbus/data-types';
import {
  BATTERY_FAULT_REGISTERS,
  BATTERY_SETTING_POINTS,
  BATTERY_SETTINGS_BLOCK,
  BATTERY_TYPES,
  DEFAULT_SETTINGS,
  DEVICE_INFO_BLOCK,
  DEVICE_INFO_POINTS,
  FAULT_REGISTERS,
  REALTIME_BLOCK,
  REALTIME_POINTS,
  WORK_MODE_NAMES,
  type SofarPoint,
  type SofarSettings,
} from './descriptor';
import { alerts, batteryFaults, commBoardMessages, inverterFaults, runningStateText } from './enums';
import type { PassiveCommand, PassiveStatus } from './passive';
import { commandSetpoint, describeCommand } from './passive';

export interface SofarRealtime {
  runningState: number;
  runningStateText: string;
  /** Net grid power, W, + import (decoded per settings.gridRegister). */
  gridPower: number;
  /** AC power of the inverter, W, + discharge. */
  acPower: number;
  /** Battery DC power, W, + discharge. */
  dcPower: number;
  /** V (per the chosen or detected scale); null when implausible in auto mode with no better choice. */
  batteryVoltage: number | null;
  /** The scale used for 0x020E. */
  batteryVoltageScale: 0.1 | 0.01;
  /** A, + discharge. */
  batteryCurrent: number;
  /** % or null when outside 0–100. */
  soc: number | null;
  values: Record<string, number>;
  faults: string[];
  batteryFaults: string[];
  alerts: string[];
  commBoard: string[];
  /** Plausibility findings, each one sentence. */
  warnings: string[];
}

export interface SofarBatterySettings {
  batteryType: number;
  batteryTypeText: string;
  capacityAh: number;
  maxChargeVoltage: number;
  maxChargeCurrent: number;
  minDischargeVoltage: number;
  maxDischargeCurrent: number;
  depthOfDischarge: number;
  emptyVoltage: number;
  fullVoltage: number;
  [k: string]: number | string;
}

export interface SofarDeviceInfo {
  productionCode: number;
  serial: string | null;
  softwareVersion: string;
  hardwareVersion: string;
}

function safe(words: ArrayLike<number>, offset: number, p: SofarPoint): number {
  try {
    const v = decodeValue(words, offset, p.type as Exclude<SofarPoint['type'], 'string'>);
    return Number.isFinite(v) ? v : NaN;
  } catch {
    return NaN;
  }
}

const round = (v: number, digits: number) => {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
};

function digitsOf(scale: number): number {
  return scale >= 1 ? 0 : Math.round(-Math.log10(scale));
}

/** Decodes a points table over a block read at `base`. Points outside the block are skipped. */
export function decodePoints(words: ArrayLike<number>, base: number, points: SofarPoint[]): Record<string, number> {
  const out: Record<string, number> = {};
  if (!words || typeof words.length !== 'number') return out;
  for (const p of points) {
    if (p.type === 'string') continue;
    const off = p.address - base;
    if (off < 0) continue;
    const v = safe(words, off, p);
    if (Number.isNaN(v)) continue;
    out[p.name] = round(v * p.scale, digitsOf(p.scale));
  }
  return out;
}

/** Range of a plausible pack voltage for a nominal voltage: 40–60 V for 48 V. */
export function plausibleVoltageRange(nominal: number): [number, number] {
  return [(nominal * 40) / 48, (nominal * 60) / 48];
}

/** 0x020E raw value → V with the chosen scale, or detected ('auto'): returns the scale and a warning when implausible. */
export function batteryVoltage(raw: number, setting: SofarSettings['batteryVoltageScale'], nominal = 48): { volts: number | null; scale: 0.1 | 0.01; warning?: string } {
  const [lo, hi] = plausibleVoltageRange(nominal);
  const fits = (s: number) => raw * s >= lo && raw * s <= hi;
  if (setting === 'auto') {
    if (fits(0.01)) return { volts: round(raw * 0.01, 2), scale: 0.01 };
    if (fits(0.1)) return { volts: round(raw * 0.1, 1), scale: 0.1 };
    if (raw === 0) return { volts: 0, scale: 0.1 };
    return {
      volts: null,
      scale: 0.1,
      warning: `battery voltage register reads ${raw}: neither ${round(raw * 0.1, 1)} V (0.1 V) nor ${round(raw * 0.01, 2)} V (0.01 V) fits a ${nominal} V pack (${lo}–${hi} V)`,
    };
  }
  const scale = setting === '0.01' ? 0.01 : 0.1;
  const other = scale === 0.1 ? 0.01 : 0.1;
  const volts = round(raw * scale, scale === 0.1 ? 1 : 2);
  if (raw !== 0 && !fits(scale) && fits(other)) {
    return {
      volts,
      scale,
      warning: `battery voltage ${volts} V is implausible for a ${nominal} V pack; scale ${other === 0.1 ? '0.1' : '0.01'} V gives ${round(raw * other, 2)} V: set "battery voltage scale" to ${other === 0.1 ? '0.1' : '0.01'} or auto`,
    };
  }
  return { volts, scale };
}

/** Grid power, W + import, from the words at 0x0212/0x0213 per type. */
export function gridPowerAs(type: SofarSettings['gridRegister'], w0212: number, w0213: number): number {
  const hi = w0212 & 0xffff;
  const lo = w0213 & 0xffff;
  let raw: number;
  if (type === 'u16') raw = hi;
  else if (type === 's32') raw = ((hi << 16) | lo) >> 0;
  else raw = hi >= 0x8000 ? hi - 0x10000 : hi;
  const w = -raw * 10; // register: + export
  return w === 0 ? 0 : w;
}

/** Largest grid power a home connection plausibly carries, W. */
const GRID_PLAUSIBLE_W = 50000;

/**
 * Decodes the real-time block read from `base` (0x0200). Missing registers (a short block) leave
 * their fields out; a block shorter than 0x0216 yields null (nothing usable).
 */
export function decodeRealtime(words: ArrayLike<number>, settings: Partial<SofarSettings> = {}, base = REALTIME_BLOCK.address): SofarRealtime | null {
  const s: SofarSettings = { ...DEFAULT_SETTINGS, ...settings };
  if (!words || typeof words.length !== 'number' || base > 0x0200 || words.length < 0x0216 - base) return null;
  const at = (addr: number) => (Number(words[addr - base]) & 0xffff) >>> 0;
  const values = decodePoints(words, base, REALTIME_POINTS);
  const warnings: string[] = [];

  const bv = batteryVoltage(at(0x020e), s.batteryVoltageScale, s.nominalVoltage);
  if (bv.warning) warnings.push(bv.warning);

  const grid = gridPowerAs(s.gridRegister, at(0x0212), at(0x0213));
  const acPower = values.acPowerRaw ?? 0;
  const dcPower = values.batteryDcPowerRaw ? -values.batteryDcPowerRaw : 0;
  const load = values.loadPower ?? 0;
  const pv = s.variant === 'ctpv' ? (values.pvPower ?? 0) : null;

  // Grid plausibility: magnitude, and (with a PV reading) the energy balance load = grid + PV + battery.
  const alternatives = (['s16', 'u16', 's32'] as const).filter((t) => t !== s.gridRegister);
  const balanced = (g: number) => pv !== null && Math.abs(g - (load - pv - acPower)) <= Math.max(300, 0.2 * (load + pv + Math.abs(acPower)));
  const plausible = (g: number) => Math.abs(g) <= GRID_PLAUSIBLE_W;
  if (!plausible(grid)) {
    const better = alternatives.find((t) => plausible(gridPowerAs(t, at(0x0212), at(0x0213))) && (pv === null || balanced(gridPowerAs(t, at(0x0212), at(0x0213)))));
    warnings.push(`grid power ${grid} W is implausible${better ? `; as ${better} the register gives ${gridPowerAs(better, at(0x0212), at(0x0213))} W: set "grid register" to ${better}` : ''}`);
  } else if (pv !== null && !balanced(grid)) {
    const better = alternatives.find((t) => balanced(gridPowerAs(t, at(0x0212), at(0x0213))));
    if (better) {
      warnings.push(`grid power ${grid} W does not match load − PV − battery = ${round(load - pv - acPower, 0)} W; as ${better} the register gives ${gridPowerAs(better, at(0x0212), at(0x0213))} W: set "grid register" to ${better}`);
    }
  }

  const socRaw = values.soc;
  let soc: number | null = socRaw ?? null;
  if (soc !== null && (soc < 0 || soc > 100)) {
    warnings.push(`state of charge register reads ${soc} (outside 0–100 %)`);
    soc = null;
  }

  const slice = (addr: number, n: number) => {
    const out: number[] = [];
    for (let i = 0; i < n; i++) out.push(addr + i - base < words.length ? at(addr + i) : 0);
    return out;
  };
  const has = (addr: number) => addr - base < words.length;
  const runningState = values.runningState ?? -1;
  return {
    runningState,
    runningStateText: runningStateText(runningState),
    gridPower: grid,
    acPower,
    dcPower: dcPower === 0 ? 0 : dcPower,
    batteryVoltage: bv.volts,
    batteryVoltageScale: bv.scale,
    batteryCurrent: values.batteryCurrentRaw ? -values.batteryCurrentRaw : 0,
    soc,
    values,
    faults: inverterFaults(slice(FAULT_REGISTERS.address, FAULT_REGISTERS.count)),
    batteryFaults: has(BATTERY_FAULT_REGISTERS.address + 4) ? batteryFaults(slice(BATTERY_FAULT_REGISTERS.address, BATTERY_FAULT_REGISTERS.count)) : [],
    alerts: has(0x022b) ? alerts(at(0x022b)) : [],
    commBoard: has(0x0242) ? commBoardMessages(at(0x0242)) : [],
    warnings,
  };
}

/** Battery settings block (FC 0x04 from 0x10B0). Null when too short. */
export function decodeBatterySettings(words: ArrayLike<number>): SofarBatterySettings | null {
  if (!words || typeof words.length !== 'number' || words.length < BATTERY_SETTINGS_BLOCK.count) return null;
  const v = decodePoints(words, BATTERY_SETTINGS_BLOCK.address, BATTERY_SETTING_POINTS);
  const type = v.batteryType ?? -1;
  return { ...(v as SofarBatterySettings), batteryTypeText: BATTERY_TYPES[type] ?? `type ${type}` };
}

function versionText(w: number): string {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(w >>> 0, 0);
  const text = b.toString('latin1').replace(/\0+$/, '');
  if (text.length >= 2 && /^[\x20-\x7e]+$/.test(text)) return text.trim();
  return '0x' + (w >>> 0).toString(16).toUpperCase().padStart(8, '0');
}

/** Device info block (FC 0x04 from 0x2000). Null when too short. */
export function decodeDeviceInfo(words: ArrayLike<number>): SofarDeviceInfo | null {
  if (!words || typeof words.length !== 'number' || words.length < DEVICE_INFO_BLOCK.count) return null;
  const v = decodePoints(words, DEVICE_INFO_BLOCK.address, DEVICE_INFO_POINTS);
  let serial: string | null = null;
  try {
    const sp = DEVICE_INFO_POINTS.find((p) => p.name === 'serial')!;
    const raw = decodeValue(words, sp.address - DEVICE_INFO_BLOCK.address, 'string', { length: sp.length });
    const clean = raw.replace(/[^\x21-\x7e]/g, '');
    serial = clean.length ? clean : null;
  } catch {
    serial = null;
  }
  return {
    productionCode: v.productionCode ?? 0,
    serial,
    softwareVersion: versionText(v.softwareVersion ?? 0),
    hardwareVersion: versionText(v.hardwareVersion ?? 0),
  };
}

/** What the controller side knows about control, for the state mapping. */
export interface SofarControlView {
  /** The command in force (as last accepted), or null when we have not commanded. */
  active?: PassiveCommand | null;
  /** The last 0x42 reply. */
  lastStatus?: PassiveStatus | null;
  /** Work mode 0x1200 when read (work-mode control path). */
  workMode?: number | null;
  /** Power limits in force, W. */
  maxChargeW: number;
  maxDischargeW: number;
}

/**
 * Running state (§3.4) → BatteryState:
 * 6, 7 fault → error; 5 EPS → override (off-grid, our setpoints do not apply); the last 0x42 reply
 * "invalid mode" → override (not in passive mode); 0x42 status bits full / empty → full / empty;
 * 1, 3 checks → starting; 0 wait → ready when our command is in force (standby is idle by command),
 * standby otherwise; 2, 4 → ready.
 */
export function mapState(rt: SofarRealtime, ctl: Partial<SofarControlView> = {}): { state: BatteryState; stateText: string } {
  const text = rt.runningStateText;
  const st = ctl.lastStatus;
  if (rt.runningState === 6 || rt.runningState === 7) return { state: 'error', stateText: text };
  if (rt.runningState === 5) return { state: 'override', stateText: text };
  if (rt.runningState < 0 || rt.runningState > 7) return { state: 'unknown', stateText: text };
  if (st && st.result === 1) return { state: 'override', stateText: `${text}; not in passive mode` };
  if (st?.full || rt.soc === 100) return { state: 'full', stateText: text };
  if (st?.empty) return { state: 'empty', stateText: text };
  if (rt.runningState === 1 || rt.runningState === 3) return { state: 'starting', stateText: text };
  if (rt.runningState === 0) return { state: ctl.active ? 'ready' : 'standby', stateText: text };
  return { state: 'ready', stateText: text };
}

export interface ToReadingInput {
  rt: SofarRealtime;
  timestamp: number;
  settings?: Partial<SofarSettings>;
  info?: SofarDeviceInfo | null;
  battery?: SofarBatterySettings | null;
  control?: Partial<SofarControlView>;
}

/** The normalized kind:"battery" reading of one poll. */
export function toBatteryReading(i: ToReadingInput): BatteryReading {
  const s: SofarSettings = { ...DEFAULT_SETTINGS, ...i.settings };
  const rt = i.rt;
  const v = rt.values;
  const ctl = i.control ?? {};
  const { state, stateText } = mapState(rt, ctl);
  const maxChargeW = ctl.maxChargeW ?? s.maxPowerW;
  const maxDischargeW = ctl.maxDischargeW ?? s.maxPowerW;
  const limits = {
    maxChargeW: state === 'full' || state === 'error' ? 0 : maxChargeW,
    maxDischargeW: state === 'empty' || state === 'error' ? 0 : maxDischargeW,
  };
  const strategy = ctl.workMode !== undefined && ctl.workMode !== null ? (WORK_MODE_NAMES[ctl.workMode] ?? `work mode ${ctl.workMode}`) : ctl.active ? `passive ${describeCommand(ctl.active)}` : null;
  const r: BatteryReading = {
    kind: 'battery',
    timestamp: Math.max(0, Math.round(i.timestamp)),
    source: 'sofar',
    serial: i.info?.serial ?? null,
    model: 'Sofar ME3000SP',
    soc: rt.soc,
    power: rt.acPower,
    setpoint: ctl.active ? commandSetpoint(ctl.active) : null,
    state,
    stateText,
    strategy,
    limits,
    capacityWh: i.battery && i.battery.capacityAh > 0 ? Math.round(i.battery.capacityAh * s.nominalVoltage) : null,
    gridPower: rt.gridPower,
    loadPower: v.loadPower ?? 0,
    dcPower: rt.dcPower,
    runningState: rt.runningState,
    faults: [...rt.faults, ...rt.batteryFaults],
    alerts: [...rt.alerts, ...rt.commBoard],
  };
  if (s.variant === 'ctpv' && v.pvPower !== undefined) r.pvPower = v.pvPower;
  if (v.chargeTotalWh !== undefined && v.dischargeTotalWh !== undefined) r.energy = { chargedWh: v.chargeTotalWh, dischargedWh: v.dischargeTotalWh };
  if (rt.batteryVoltage !== null) r.voltage = rt.batteryVoltage;
  r.current = rt.batteryCurrent;
  if (v.batteryTemperature !== undefined) r.temperature = v.batteryTemperature;
  if (v.gridFrequency !== undefined) r.frequency = v.gridFrequency;
  if (v.gridVoltage !== undefined) r.gridVoltage = v.gridVoltage;
  if (v.epsPower !== undefined) r.epsPower = v.epsPower;
  r.today = pick(v, { pvWh: 'pvTodayWh', exportWh: 'exportTodayWh', importWh: 'importTodayWh', loadWh: 'loadTodayWh', chargeWh: 'chargeTodayWh', dischargeWh: 'dischargeTodayWh' });
  r.totals = pick(v, { pvWh: 'pvTotalWh', exportWh: 'exportTotalWh', importWh: 'importTotalWh', loadWh: 'loadTotalWh' });
  if (s.variant !== 'ctpv') {
    delete (r.today as Record<string, number>).pvWh;
    delete (r.totals as Record<string, number>).pvWh;
  }
  if (v.batteryCycles !== undefined) r.cycles = v.batteryCycles;
  if (v.innerTemperature !== undefined) r.innerTemperature = v.innerTemperature;
  if (v.heatsinkTemperature !== undefined) r.heatsinkTemperature = v.heatsinkTemperature;
  if (ctl.lastStatus) {
    const st = ctl.lastStatus;
    r.passiveStatus = { result: st.result, resultText: st.resultText, chargeEnabled: st.chargeEnabled, dischargeEnabled: st.dischargeEnabled, full: st.full, empty: st.empty };
  }
  if (i.info) r.firmware = { software: i.info.softwareVersion, hardware: i.info.hardwareVersion };
  if (rt.warnings.length) r.warnings = [...rt.warnings];
  return r;
}

function pick(v: Record<string, number>, map: Record<string, string>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, src] of Object.entries(map)) if (v[src] !== undefined) out[k] = v[src];
  return out;
}

/**
 * The inverse of decodePoints, for the simulator: SI values by point name → `count` register words
 * from `base`. Values are rounded to the register's resolution and clamped into the type's range
 * (a real register saturates rather than wraps). Points outside the block are skipped.
 */
export function encodePoints(values: Record<string, number>, points: SofarPoint[], base: number, count: number, into?: number[]): number[] {
  const words = into ?? new Array<number>(count).fill(0);
  const ranges: Record<string, [number, number]> = { u16: [0, 0xffff], s16: [-0x8000, 0x7fff], u32: [0, 0xffffffff], s32: [-0x80000000, 0x7fffffff] };
  for (const p of points) {
    const v = values[p.name];
    if (v === undefined || !Number.isFinite(v) || p.type === 'string') continue;
    const range = ranges[p.type];
    if (!range) continue;
    const off = p.address - base;
    const n = p.type === 'u32' || p.type === 's32' ? 2 : 1;
    if (off < 0 || off + n > count) continue;
    const raw = Math.max(range[0], Math.min(range[1], Math.round(v / p.scale)));
    if (n === 1) words[off] = raw & 0xffff;
    else {
      const u = raw >>> 0;
      words[off] = u >>> 16;
      words[off + 1] = u & 0xffff;
    }
  }
  return words;
}
