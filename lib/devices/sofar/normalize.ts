/**
 * Sofar ME3000SP: register words → decoded records → the normalized BatteryReading (DESIGN.md §2:
 * W + discharge / − charge, grid + import, Wh, V, A signed like power, %).
 *
 * Every register is decoded through its point (descriptor.ts) with the generic decodeBlock /
 * decodeRegisterWords; the points' scales already turn the device's signs into ours (0x020D and
 * 0x020F + charging, 0x0212 + export; ../shared/protocols/sofar-me3000sp.md §3.3, §3.10).
 * Settings cover the documented conflicts: battery-voltage scale (0.1 V PDF vs 0.01 V in three
 * implementations) and the grid register type (s16 PDF vs evcc's s32); plausibility checks say when
 * the other choice fits the data better. Pure functions; garbage never throws.
 */
import type { BatteryReading, BatteryState } from '../../api/types';
import { decodeBlock, decodeRegisterWords, inRange, scaleOut } from '../../api/device';
import {
  BATTERY_SETTING_POINTS,
  BATTERY_SETTINGS_BLOCK,
  BATTERY_TYPES,
  DEFAULT_SETTINGS,
  DEVICE_INFO_BLOCK,
  DEVICE_INFO_POINTS,
  GRID_POINT,
  REALTIME_BLOCK,
  REALTIME_MIN_WORDS,
  REALTIME_POINTS,
  VARIANT_POINTS,
  VOLTAGE_POINT,
  WORK_MODE_NAMES,
  point,
  type GridRegisterType,
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
  /** Every real-time point in the block, by name (our units and signs). */
  values: Record<string, number>;
  faults: string[];
  batteryFaults: string[];
  alerts: string[];
  commBoard: string[];
  /** Plausibility findings of this block alone (battery voltage, state of charge), each one sentence. */
  warnings: string[];
  /**
   * The grid register finding of this block: another register type fits the data better. A single
   * block is not enough to act on (a battery that just changed its power, a grid held at exactly
   * 0 W): GridRegisterCheck (plausibility.ts) passes it on only when it persists.
   */
  gridAdvice: { type: GridRegisterType; text: string } | null;
  /**
   * The high word of 0x0212 is neither 0 nor 0xFFFF: the register cannot be the upper half of an s32
   * household grid power (that needs |grid| < 327 kW), so s32 is ruled out.
   */
  notS32: boolean;
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

const round = (v: number, digits: number) => {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
};

/** −0 → 0 (negated zero readings). */
const noNegZero = (v: number) => v + 0;

/** Range of a plausible pack voltage for a nominal voltage: 40–60 V for 48 V. */
export function plausibleVoltageRange(nominal: number): [number, number] {
  return [(nominal * 40) / 48, (nominal * 60) / 48];
}

/** Volts of the 0x020E word at a fixed scale, through its point. */
function voltsAt(word: number, scale: '0.1' | '0.01'): number {
  return decodeRegisterWords(point(VOLTAGE_POINT[scale]), [word]) as number;
}

/** The 0x020E word → V with the chosen scale, or detected ('auto'): returns the scale and a warning when implausible. */
export function batteryVoltage(word: number, setting: SofarSettings['batteryVoltageScale'], nominal = 48): { volts: number | null; scale: 0.1 | 0.01; warning?: string } {
  const [lo, hi] = plausibleVoltageRange(nominal);
  const v01 = voltsAt(word, '0.1');
  const v001 = voltsAt(word, '0.01');
  const fits = (v: number) => v >= lo && v <= hi;
  if (setting === 'auto') {
    if (fits(v001)) return { volts: v001, scale: 0.01 };
    if (fits(v01)) return { volts: v01, scale: 0.1 };
    if (v01 === 0) return { volts: 0, scale: 0.1 };
    return { volts: null, scale: 0.1, warning: `battery voltage register reads ${word}: neither ${v01} V (0.1 V) nor ${v001} V (0.01 V) fits a ${nominal} V pack (${lo}–${hi} V)` };
  }
  const other = setting === '0.01' ? '0.1' : '0.01';
  const volts = voltsAt(word, setting === '0.01' ? '0.01' : '0.1');
  const alt = voltsAt(word, other);
  const scale = setting === '0.01' ? 0.01 : 0.1;
  if (volts !== 0 && !fits(volts) && fits(alt)) {
    return { volts, scale, warning: `battery voltage ${volts} V is implausible for a ${nominal} V pack; scale ${other} V gives ${alt} V: set "battery voltage scale" to ${other} or auto` };
  }
  return { volts, scale };
}

/** Grid power, W + import, from the words at 0x0212/0x0213 read as the given type (through its point). */
export function gridPowerAs(type: GridRegisterType, w0212: number, w0213: number): number {
  return noNegZero(decodeRegisterWords(point(GRID_POINT[type]), [w0212, w0213]) as number);
}

/** Largest grid power a home connection plausibly carries, W. */
const GRID_PLAUSIBLE_W = 50000;
const GRID_TYPES: readonly GridRegisterType[] = ['s16', 'u16', 's32'];

/** The grid finding of one block: the grid value as configured, and a type that fits better, if any. */
function gridFinding(s: SofarSettings, readings: Record<GridRegisterType, number>, load: number, pv: number | null, acPower: number): SofarRealtime['gridAdvice'] {
  const grid = readings[s.gridRegister];
  const alternatives = GRID_TYPES.filter((t) => t !== s.gridRegister);
  // With a PV reading the energy balance must hold: load = grid + PV + battery.
  const balanced = (g: number) => pv !== null && Math.abs(g - (load - pv - acPower)) <= Math.max(300, 0.2 * (load + pv + Math.abs(acPower)));
  const plausible = (g: number) => Math.abs(g) <= GRID_PLAUSIBLE_W;
  if (!plausible(grid)) {
    const better = alternatives.find((t) => plausible(readings[t]) && (pv === null || balanced(readings[t])));
    if (!better) return null;
    return { type: better, text: `grid power ${grid} W is implausible; as ${better} the register gives ${readings[better]} W: set "grid register" to ${better}` };
  }
  if (pv === null || balanced(grid)) return null;
  const better = alternatives.find((t) => balanced(readings[t]));
  if (!better) return null;
  return { type: better, text: `grid power ${grid} W does not match load − PV − battery = ${round(load - pv - acPower, 0)} W; as ${better} the register gives ${readings[better]} W: set "grid register" to ${better}` };
}

const words5 = (v: Record<string, number>, prefix: string): number[] | null => {
  const out = [0, 1, 2, 3, 4].map((i) => v[`${prefix}${i}`]);
  return out.every((w) => w !== undefined) ? out : null;
};

/**
 * Decodes the real-time block read from `base` (0x0200) through the real-time points. Missing
 * registers (a short block) leave their fields out; a block that ends before the PV power yields
 * null (nothing usable).
 */
export function decodeRealtime(words: ArrayLike<number>, settings: Partial<SofarSettings> = {}, base = REALTIME_BLOCK.address): SofarRealtime | null {
  const s: SofarSettings = { ...DEFAULT_SETTINGS, ...settings };
  if (!words || typeof words.length !== 'number' || base > REALTIME_BLOCK.address || words.length < REALTIME_MIN_WORDS + REALTIME_BLOCK.address - base) return null;
  const values = decodeBlock(REALTIME_POINTS, 0x03, base, words) as Record<string, number>;
  const variants = decodeBlock(VARIANT_POINTS, 0x03, base, words) as Record<string, number>;
  const warnings: string[] = [];

  const voltageWord = Math.round(scaleOut(point('batteryVoltage'), values.batteryVoltage));
  const bv = batteryVoltage(voltageWord, s.batteryVoltageScale, s.nominalVoltage);
  if (bv.warning) warnings.push(bv.warning);

  const readings: Record<GridRegisterType, number> = {
    s16: noNegZero(values.gridPower),
    u16: noNegZero(variants[GRID_POINT.u16]),
    // s32 needs 0x0213 as well: always in a block that reaches the PV power.
    s32: noNegZero(variants[GRID_POINT.s32]),
  };
  const acPower = noNegZero(values.acPower ?? 0);
  const load = values.loadPower ?? 0;
  const pv = s.variant === 'ctpv' ? (values.pvPower ?? 0) : null;
  const gridRaw16 = scaleOut(point('gridPower'), readings.s16);

  let soc: number | null = values.soc ?? null;
  if (soc !== null && !inRange(point('soc'), soc)) {
    warnings.push(`state of charge register reads ${soc} (outside 0–100 %)`);
    soc = null;
  }

  const inv = words5(values, 'inverterFault');
  const bat = words5(values, 'batteryFault');
  const runningState = values.runningState ?? -1;
  return {
    runningState,
    runningStateText: runningStateText(runningState),
    gridPower: readings[s.gridRegister],
    acPower,
    dcPower: noNegZero(values.batteryDcPower ?? 0),
    batteryVoltage: bv.volts,
    batteryVoltageScale: bv.scale,
    batteryCurrent: noNegZero(values.batteryCurrent ?? 0),
    soc,
    values,
    faults: inv ? inverterFaults(inv) : [],
    batteryFaults: bat ? batteryFaults(bat) : [],
    alerts: values.alertBits !== undefined ? alerts(values.alertBits) : [],
    commBoard: values.commBoardBits !== undefined ? commBoardMessages(values.commBoardBits) : [],
    warnings,
    gridAdvice: gridFinding(s, readings, load, pv, acPower),
    notS32: gridRaw16 !== 0 && gridRaw16 !== -1,
  };
}

/** Battery settings block (FC 0x04 from 0x10B0). Null when too short. */
export function decodeBatterySettings(words: ArrayLike<number>): SofarBatterySettings | null {
  if (!words || typeof words.length !== 'number' || words.length < BATTERY_SETTINGS_BLOCK.count) return null;
  const v = decodeBlock(BATTERY_SETTING_POINTS, BATTERY_SETTINGS_BLOCK.fc, BATTERY_SETTINGS_BLOCK.address, words) as Record<string, number>;
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
  const v = decodeBlock(DEVICE_INFO_POINTS, DEVICE_INFO_BLOCK.fc, DEVICE_INFO_BLOCK.address, words);
  const serial = typeof v.serial === 'string' && v.serial ? v.serial : null;
  return {
    serial,
    productionCode: Number(v.productionCode ?? 0),
    softwareVersion: versionText(Number(v.softwareVersion ?? 0)),
    hardwareVersion: versionText(Number(v.hardwareVersion ?? 0)),
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
