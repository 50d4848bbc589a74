/**
 * KOSTAL ENECTOR AC 3.7/11 (a re-badged Mennekes AMTRON Compact 2.0s) as a Modbus RTU slave
 * (topology B, "direct EMS control"): the points table, read blocks, control registers and defaults.
 * The same points drive the driver's decoding (driver.ts), the simulator's encoding
 * (lib/sim/enector-sim.ts) and the help's list of outputs.
 *
 * Facts: the Mennekes "AMTRON Compact 2.0s / AMTRON Start 2.0s Modbus RTU Specification" rev 1.2
 * (2023-02-27, register layout 1.0.2) = OFFICIAL; evcc `charger/mennekes-compact.go` and nymea
 * `mennekes` plugin = IMPL; a third-party transcription of the v2.0 spec (layout 1.0.3) = COMMUNITY.
 * Addresses are 0-based PDU addresses. Floats are IEEE-754 float32 in two registers; their word
 * order is a driver setting (the spec says low word first, evcc and nymea read high word first).
 */
import type { DevicePoint, DeviceDescriptor, OutputField } from '../../api/device';
import type { RegisterType } from '../../transport/modbus/data-types';

const M = 'Mennekes AMTRON Compact 2.0s Modbus RTU spec rev 1.2';
const OFF = `${M}, OFFICIAL`;
const V2 = 'Mennekes spec v2.0 (layout 1.0.3) third-party transcription, COMMUNITY';

/** Register-layout versions (register 0x0000). */
export const LAYOUT = { v100: 0x100, v101: 0x101, v102: 0x102, v103: 0x103 } as const;

/** Layout version each point needs (points absent from this map exist from 1.0.0). */
export const POINT_LAYOUT: Readonly<Record<string, number>> = {};

function pt(
  name: string,
  address: number,
  type: RegisterType,
  unit: string,
  description: string,
  o: { access?: 'r' | 'rw' | 'w'; layout?: number; src?: string; scale?: number; length?: number; range?: [number, number]; values?: Record<number, string>; valueType?: DevicePoint['valueType']; deviceUnit?: string } = {},
): DevicePoint {
  if (o.layout && o.layout > LAYOUT.v100) (POINT_LAYOUT as Record<string, number>)[name] = o.layout;
  const p: DevicePoint = {
    name,
    source: { kind: 'register', fc: 0x03, address, type, ...(o.length ? { length: o.length } : {}) },
    unit,
    access: o.access ?? 'r',
    description,
    src: `${o.src ?? OFF}; enector.md §2.5`,
  };
  if (o.scale !== undefined) p.scale = o.scale;
  if (o.range) p.range = o.range;
  if (o.values) {
    p.values = o.values;
    p.valueType = 'enum';
  }
  if (o.valueType) p.valueType = o.valueType;
  if (o.deviceUnit) p.deviceUnit = o.deviceUnit;
  return p;
}

/** EVSE state 0x0100 (enector.md §2.6, OFFICIAL + evcc mapping). */
export const EVSE_STATES: Readonly<Record<number, string>> = {
  0: 'not initialised',
  1: 'idle (A1)',
  2: 'EV connected (B1)',
  3: 'preconditions valid, not charging',
  4: 'ready to charge (B2)',
  5: 'charging (C2)',
  6: 'error',
  7: 'service mode',
};

/** CP state 0x0108 (§2.6, OFFICIAL). */
export const CP_STATES: Readonly<Record<number, string>> = { 0: 'init', 10: 'A1', 11: 'B1', 12: 'C1', 13: 'D1', 14: 'E', 15: 'F', 26: 'A2', 27: 'B2', 28: 'C2', 29: 'D2' };

export const CABLE_LOCK: Readonly<Record<number, string>> = { 0: 'unknown', 1: 'unlocked', 2: 'locked', 3: 'fixed cable' };
export const PHASE_OPTIONS: Readonly<Record<number, string>> = { 0: 'only 1-phase', 1: 'only 3-phase', 2: '1p/3p switchable' };

/** Control register addresses (§2.5, §2.7). */
export const REG = {
  layout: 0x0000,
  currentLimit: 0x0302,
  heartbeat: 0x0d00,
  requestedPhases: 0x0d04,
  release: 0x0d05,
  lock: 0x0d06,
} as const;

/** The heartbeat value (§2.5 0x0D00, OFFICIAL). */
export const HEARTBEAT_VALUE = 0x55aa;
/** The box enters "master lost" after this long without a heartbeat (§2.7, OFFICIAL). */
export const MASTER_LOST_MS = 10_000;
/** IEC 61851 minimum signalled current, A. */
export const MIN_CURRENT_A = 6;
/** Layout ≤ 1.0.2 rejects exactly 6.0 A; nymea sends 6.01 (§2.7, IMPL). */
export const OLD_LAYOUT_MIN_A = 6.01;

export const ENECTOR_POINTS: readonly DevicePoint[] = [
  pt('layoutVersion', 0x0000, 'u16', '', 'Modbus register-layout version (0x100 = 1.0.0 … 0x103 = 1.0.3)', { valueType: 'integer' }),
  pt('firmware', 0x0001, 'string', '', 'firmware version', { length: 8, valueType: 'string' }),
  pt('serial', 0x0013, 'string', '', 'serial number', { length: 8, valueType: 'string', layout: LAYOUT.v102 }),
  pt('evseState', 0x0100, 'u16', '', 'EVSE state', { values: EVSE_STATES }),
  pt('authorization', 0x0101, 'u16', '', 'authorization: 0 not used, 1 authorized, 2 not authorized', { values: { 0: 'not used', 1: 'authorized', 2: 'not authorized' } }),
  pt('downgrade', 0x0102, 'u16', '', 'downgrade: 0 n/a, 1 not downgraded, 2 downgraded', { values: { 0: 'n/a', 1: 'not downgraded', 2: 'downgraded' } }),
  pt('phaseRotation', 0x0103, 'u16', '', 'phase rotation: 0 L1-L2-L3, 1 L2-L3-L1, 2 L3-L1-L2', { values: { 0: 'L1-L2-L3', 1: 'L2-L3-L1', 2: 'L3-L1-L2' } }),
  pt('cpState', 0x0108, 'u16', '', 'control pilot state', { values: CP_STATES, layout: LAYOUT.v102 }),
  pt('signalledCurrent', 0x0114, 'f32', 'A', 'current signalled to the EV', { layout: LAYOUT.v103, src: V2 }),
  pt('downgradeCurrent', 0x0300, 'f32', 'A', 'downgrade current'),
  pt('currentLimit', REG.currentLimit, 'f32', 'A', 'charging current limit set by the energy manager (heartbeat-supervised)', { access: 'rw', range: [0, 32] }),
  pt('installationMax', 0x0304, 'f32', 'A', 'max current of the house installation (DIP)'),
  pt('evseMax', 0x0306, 'f32', 'A', 'max current of the EVSE (installation setting)'),
  pt('solarPhaseMode', 0x030a, 'u16', '', 'phase switching mode for the solar algorithm: 0 1-phase, 1 3-phase, 2 dynamic', { values: { 0: '1-phase', 1: '3-phase', 2: 'dynamic' } }),
  pt('phaseOptions', 0x030c, 'u16', '', 'phase options of the hardware', { values: PHASE_OPTIONS, layout: LAYOUT.v101 }),
  pt('permanentLock', 0x030d, 'u16', '', 'permanent cable lock configured (0/1)', { valueType: 'boolean', layout: LAYOUT.v102 }),
  pt('masterLostFallback', 0x030e, 'u16', 'A', 'master-lost fallback: 0 keep charging, 1 pause, 6–32 continue with this current', { valueType: 'integer', layout: LAYOUT.v102 }),
  pt('phaseSwitchPause', 0x0314, 'u16', 's', 'pause during a dynamic phase switch (0–1200 s)', { valueType: 'integer', layout: LAYOUT.v102 }),
  pt('L1.current', 0x0500, 'f32', 'A', 'current L1 (RMS)'),
  pt('L2.current', 0x0502, 'f32', 'A', 'current L2'),
  pt('L3.current', 0x0504, 'f32', 'A', 'current L3'),
  pt('L1.voltage', 0x0506, 'f32', 'V', 'voltage L1'),
  pt('L2.voltage', 0x0508, 'f32', 'V', 'voltage L2'),
  pt('L3.voltage', 0x050a, 'f32', 'V', 'voltage L3'),
  pt('L1.power', 0x050c, 'f32', 'W', 'power L1'),
  pt('L2.power', 0x050e, 'f32', 'W', 'power L2'),
  pt('L3.power', 0x0510, 'f32', 'W', 'power L3'),
  pt('power', 0x0512, 'f32', 'W', 'power total (W, not kW: evcc commit 72b4a1d96)'),
  pt('temperature', 0x0900, 'f32', '°C', 'temperature inside the EVSE', { layout: LAYOUT.v102 }),
  pt('sessionMax', 0x0b00, 'f32', 'A', 'max current for this session (static limits)'),
  pt('sessionEnergy', 0x0b02, 'f32', 'Wh', 'energy charged in the current session', { scale: 1000, deviceUnit: 'kWh' }),
  pt('sessionDuration', 0x0b04, 'u32', 's', 'session duration', { valueType: 'integer' }),
  pt('evPhases', 0x0b06, 'u16', '', 'phases detected on the EV: 0 n/a, 1, 2, 3', { valueType: 'integer', layout: LAYOUT.v102 }),
  pt('heartbeat', REG.heartbeat, 'u16', '', 'heartbeat: write 0x55AA at least every 10 s', { access: 'w', valueType: 'integer' }),
  pt('cableLock', 0x0d02, 'u16', '', 'cable lock state', { values: CABLE_LOCK }),
  pt('solarMode', 0x0d03, 'u16', '', 'solar charging mode: 0 off, 1 Standard, 2 Sunshine, 3 Sunshine+', { access: 'rw', values: { 0: 'off', 1: 'Standard', 2: 'Sunshine', 3: 'Sunshine+' } }),
  pt('requestedPhases', REG.requestedPhases, 'u16', '', 'requested phases: 0 all available, 1 force single phase', { access: 'rw', values: { 0: 'all', 1: 'single' } }),
  pt('release', REG.release, 'u16', '', 'charging release by the energy manager: 0 not allowed (relays open), 1 allowed', { access: 'rw', valueType: 'boolean' }),
  pt('locked', REG.lock, 'u16', '', 'lock EVSE: 0 unlocked, 1 locked', { access: 'rw', valueType: 'boolean' }),
  pt('errorCode', 0x0e00, 'u16', '', 'active error code (0 = none; codes not published)', { valueType: 'integer' }),
  pt('masterLost', 0x0e01, 'u16', '', 'master-lost fallback active (0/1)', { valueType: 'boolean', layout: LAYOUT.v102 }),
  pt('switchedPhases', 0x0e02, 'u16', '', 'switched phases: 0 all, 1 single', { values: { 0: 'all', 1: 'single' }, layout: LAYOUT.v102 }),
  pt('totalEnergy', 0x1000, 'f32', 'Wh', 'total energy charged (not billing grade)', { scale: 1000, deviceUnit: 'kWh', layout: LAYOUT.v102 }),
  pt('totalSessions', 0x1002, 'u32', '', 'total number of sessions', { valueType: 'integer', layout: LAYOUT.v102 }),
];

/**
 * Poll blocks (FC 0x03), each with the layout it needs as a whole; the driver shortens a block to
 * the points its layout supports, so an older box is never asked for registers it does not have.
 */
export const ENECTOR_BLOCKS: ReadonlyArray<{ name: string; address: number; count: number; every: 'connect' | 'poll' }> = [
  { name: 'identity', address: 0x0000, count: 0x1b, every: 'connect' },
  { name: 'state', address: 0x0100, count: 9, every: 'poll' },
  { name: 'signalled', address: 0x0114, count: 2, every: 'poll' },
  { name: 'limits', address: 0x0300, count: 0x15, every: 'poll' },
  { name: 'meter', address: 0x0500, count: 0x14, every: 'poll' },
  { name: 'temperature', address: 0x0900, count: 2, every: 'poll' },
  { name: 'session', address: 0x0b00, count: 7, every: 'poll' },
  { name: 'control', address: 0x0d02, count: 5, every: 'poll' },
  { name: 'errors', address: 0x0e00, count: 3, every: 'poll' },
  { name: 'totals', address: 0x1000, count: 4, every: 'poll' },
];

export const ENECTOR_DEFAULTS = {
  /** Satellite address by DIP (§2.3, OFFICIAL); 11–14 by the Mennekes tool; a KSEM-configured box answers on 100 (COMMUNITY). */
  unit: 50,
  units: [50, 11, 12, 13, 14, 100] as const,
  baudRate: 57600,
  parity: 'none' as const,
  dataBits: 8 as const,
  stopBits: 2 as const,
  timeoutMs: 1000,
  interRequestDelayMs: 20,
  pollMs: 5000,
  /** evcc writes every 5 s, nymea every 2 s; the box needs one at least every 10 s (§2.7). */
  heartbeatMs: 5000,
  heartbeatMinMs: 2000,
  heartbeatMaxMs: 8000,
  /** Change the current limit no faster than every 5 s (§2.3, COMMUNITY). */
  currentWriteMs: 5000,
  /** Used when the box does not report its phase-switch pause (layout < 1.0.2), s. */
  phaseSwitchPauseS: 120,
};

export const ENECTOR_OUTPUTS: readonly OutputField[] = [
  { field: 'kind', unit: '', meaning: '"charger"', from: [], note: 'constant' },
  { field: 'timestamp', unit: 'ms', meaning: 'when the poll completed', from: [], note: 'driver clock' },
  { field: 'source', unit: '', meaning: '"enector"', from: [], note: 'constant' },
  { field: 'serial', unit: '', meaning: 'serial number (layout ≥ 1.0.2, else null)', from: ['serial'] },
  { field: 'model', unit: '', meaning: 'model and firmware', from: ['firmware'] },
  { field: 'state', unit: '', meaning: 'idle, connected, charging, paused (car connected, release off), error, offline', from: ['evseState', 'release'] },
  { field: 'stateText', unit: '', meaning: "the box's EVSE state in words", from: ['evseState'] },
  { field: 'power', unit: 'W', meaning: 'charging power, ≥ 0', from: ['power'] },
  { field: 'phases[].current', unit: 'A', meaning: 'current per phase, L1 first', from: ['L1.current', 'L2.current', 'L3.current'] },
  { field: 'phases[].voltage', unit: 'V', meaning: 'voltage per phase', from: ['L1.voltage', 'L2.voltage', 'L3.voltage'] },
  { field: 'phases[].power', unit: 'W', meaning: 'power per phase', from: ['L1.power', 'L2.power', 'L3.power'] },
  { field: 'activePhases', unit: '', meaning: 'phases in use: those carrying > 1 A while charging, else 1 or 3 from the switched phases', from: ['L1.current', 'L2.current', 'L3.current', 'switchedPhases'] },
  { field: 'signalledCurrentA', unit: 'A', meaning: 'current signalled to the car (layout 1.0.3), else the current limit read back', from: ['signalledCurrent', 'currentLimit'] },
  { field: 'enabled', unit: '', meaning: 'charging released by the energy manager', from: ['release'] },
  { field: 'sessionWh', unit: 'Wh', meaning: 'energy of the running or last session', from: ['sessionEnergy'] },
  { field: 'sessionDurationS', unit: 's', meaning: 'duration of the session', from: ['sessionDuration'] },
  { field: 'energyWh', unit: 'Wh', meaning: 'total energy charged (not billing grade; layout ≥ 1.0.2)', from: ['totalEnergy'] },
  { field: 'limits.minCurrentA', unit: 'A', meaning: 'smallest current the box signals (6 A, IEC 61851)', from: [], note: 'constant' },
  { field: 'limits.maxCurrentA', unit: 'A', meaning: 'lowest of installation, EVSE, session and configured limits', from: ['installationMax', 'evseMax', 'sessionMax'] },
  { field: 'limits.phaseOptions', unit: '', meaning: '[1], [3] or [1, 3] (switchable)', from: ['phaseOptions'] },
  { field: 'evPhases', unit: '', meaning: 'phases detected on the car (0 = not known)', from: ['evPhases'] },
  { field: 'cpState', unit: '', meaning: 'control pilot state (A1 … D2)', from: ['cpState'] },
  { field: 'cableLock', unit: '', meaning: 'unknown, unlocked, locked, fixed cable', from: ['cableLock'] },
  { field: 'locked', unit: '', meaning: 'EVSE locked by the energy manager', from: ['locked'] },
  { field: 'errorCode', unit: '', meaning: 'active error code, 0 = none (codes not published)', from: ['errorCode'] },
  { field: 'masterLost', unit: '', meaning: 'the box runs its master-lost fallback (no heartbeat for 10 s)', from: ['masterLost'] },
  { field: 'temperature', unit: '°C', meaning: 'temperature inside the box', from: ['temperature'] },
  { field: 'totalSessions', unit: '', meaning: 'number of sessions so far', from: ['totalSessions'] },
  { field: 'layout', unit: '', meaning: 'register layout version, e.g. "1.0.2"', from: ['layoutVersion'] },
  { field: 'wordOrder', unit: '', meaning: 'float word order in use: "be" (high word first) or "le"', from: ['L1.voltage'], note: 'auto-detected once' },
];

export const ENECTOR_DESCRIPTOR: DeviceDescriptor = {
  name: 'enector',
  title: 'KOSTAL ENECTOR wallbox',
  models: 'KOSTAL ENECTOR AC 3.7/11 and AC 7.4 (= Mennekes AMTRON Compact 2.0s), Modbus RTU satellite',
  reading: 'charger',
  transports: ['rtu', 'rtu-over-tcp'],
  defaults: ENECTOR_DEFAULTS,
  capabilities: ['charger', 'charger-control', 'phase-switching'],
  points: ENECTOR_POINTS,
  outputs: ENECTOR_OUTPUTS,
  nodeTypes: ['enector-charger'],
};

/** "1.0.2" from 0x0102. */
export function layoutText(v: number): string {
  return `${(v >> 8) & 0xff}.${(v >> 4) & 0xf}.${v & 0xf}`;
}
