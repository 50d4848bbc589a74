/**
 * zero-export input messages → what they mean for the controller (lib/control/zero-export), and which
 * configured unit a battery reading belongs to. Pure apart from the learned serial → unit map; the
 * node file wires it. Every error names the field and lists the accepted forms.
 */
import type { BatteryReading, MeterReading } from '../../lib/api/types';
import { batteryReadingSchema, meterReadingSchema } from '../../lib/api/schemas';
import { validator } from '../../lib/api/validate';
import type { MeterSample, UnitObservation } from '../../lib/control/zero-export/types';
import type { ZeroExportUnitRoute } from './config';

const checkMeter = validator(meterReadingSchema, 'payload');
const checkBattery = validator(batteryReadingSchema, 'payload');

/** What one input message asks for. */
export type ZeroExportInput =
  | { type: 'meter'; meter: MeterSample }
  | { type: 'battery'; reading: BatteryReading }
  | { type: 'enabled'; enabled: boolean }
  | { type: 'target'; targetW: number }
  | { type: 'exportCap'; exportCapW: number | null }
  | { error: string };

/** The tag every command message of a zero-export node carries (and battery nodes send back). */
export interface ZeroExportTag {
  node: string;
  unit: string;
}

const ACCEPTED =
  'accepted: payload {kind: "meter"} or {kind: "battery"} (from the meter and battery nodes), or msg.topic "grid" + W, "enable" + true/false, "target" + W, "exportCap" + W or null';

const isObj = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v) && !Buffer.isBuffer(v);
const shown = (v: unknown): string => {
  if (v === undefined) return 'undefined';
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  try {
    const s = JSON.stringify(v);
    return s === undefined ? typeof v : s.length > 60 ? s.slice(0, 57) + '…' : s;
  } catch {
    return typeof v;
  }
};

/** A finite number, or a numeric string (Home Assistant states are text). */
function numeric(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'string' && v.trim() !== '') {
    const n = Number(v);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

const ON = new Set(['true', 'on', '1', 'enable', 'enabled']);
const OFF = new Set(['false', 'off', '0', 'disable', 'disabled']);

/** Limit of the plain numbers (W), as for battery setpoints. */
const MAX_W = 100000;

/** One input message → its meaning, or an error naming the field and the accepted forms. */
export function parseInput(msg: { topic?: unknown; payload?: unknown }, now: number): ZeroExportInput {
  const p = msg.payload;
  if (isObj(p) && 'kind' in p) {
    if (p.kind === 'meter') {
      const e = checkMeter(p);
      if (e) return { error: e };
      const r = p as unknown as MeterReading;
      if (!Number.isFinite(r.power)) return { error: `payload.power: must be a finite number (got ${shown(r.power)})` };
      return { type: 'meter', meter: { power: r.power, timestamp: r.timestamp } };
    }
    if (p.kind === 'battery') {
      const e = checkBattery(p);
      if (e) return { error: e };
      const r = p as unknown as BatteryReading;
      if (!Number.isFinite(r.power)) return { error: `payload.power: must be a finite number (got ${shown(r.power)})` };
      return { type: 'battery', reading: r };
    }
    return { error: `payload.kind: must be "meter" or "battery" (got ${shown(p.kind)}); ${ACCEPTED}` };
  }
  const topic = typeof msg.topic === 'string' ? msg.topic.trim().toLowerCase() : '';
  switch (topic) {
    case 'grid': {
      const n = numeric(p);
      if (n === undefined || Math.abs(n) > MAX_W) return { error: `msg.payload: must be the grid power in W (+ import, − export), −${MAX_W}…${MAX_W}, with topic "grid" (got ${shown(p)})` };
      return { type: 'meter', meter: { power: n, timestamp: now } };
    }
    case 'enable': {
      if (typeof p === 'boolean') return { type: 'enabled', enabled: p };
      const s = typeof p === 'number' ? String(p) : typeof p === 'string' ? p.trim().toLowerCase() : '';
      if (ON.has(s)) return { type: 'enabled', enabled: true };
      if (OFF.has(s)) return { type: 'enabled', enabled: false };
      return { error: `msg.payload: must be true/false, "on"/"off" or 1/0 with topic "enable" (got ${shown(p)})` };
    }
    case 'target': {
      const n = numeric(p);
      if (n === undefined || Math.abs(n) > MAX_W) return { error: `msg.payload: must be the grid target in W (+ import allowed, − export), −${MAX_W}…${MAX_W}, with topic "target" (got ${shown(p)})` };
      return { type: 'target', targetW: n };
    }
    case 'exportcap': {
      if (p === null || (typeof p === 'string' && p.trim() === '')) return { type: 'exportCap', exportCapW: null };
      const n = numeric(p);
      if (n === undefined || n < 0 || n > MAX_W) return { error: `msg.payload: must be the export cap in W (0…${MAX_W}), or null or "" for none, with topic "exportCap" (got ${shown(p)})` };
      return { type: 'exportCap', exportCapW: n };
    }
    default:
      return {
        error: `msg.payload: not understood (topic ${typeof msg.topic === 'string' ? JSON.stringify(msg.topic) : 'none'}, payload ${isObj(p) ? 'an object without kind' : shown(p)}); ${ACCEPTED}`,
      };
  }
}

/** A battery reading → what the controller takes from it. */
export function observation(r: BatteryReading): UnitObservation {
  const o: UnitObservation = { power: r.power, soc: r.soc ?? null, state: r.state, timestamp: r.timestamp };
  if (r.limits) o.limits = { maxChargeW: r.limits.maxChargeW, maxDischargeW: r.limits.maxDischargeW };
  if (typeof r.startupRemainingS === 'number') o.startupRemainingS = r.startupRemainingS;
  if (r.capacityWh !== undefined) o.capacityWh = r.capacityWh;
  if (r.setpoint !== undefined) o.setpoint = r.setpoint;
  return o;
}

/** How a reading was matched to its unit. */
export type RouteHow = 'serial' | 'topic' | 'learned' | 'single';

/**
 * Finds the configured unit of a battery reading: (a) the unit's serial equals payload.serial
 * (case-insensitive); (b) the unit's topic equals msg.topic; (c) learned: the message carries this
 * node's tag (a battery node's reply to one of our commands), or its serial was seen with one
 * before; (d) with exactly one unit that has neither serial nor topic, that unit.
 */
export class UnitRouter {
  /** Serial (upper case) → unit label, learned from tagged replies. */
  readonly learned = new Map<string, string>();
  private readonly labels: Set<string>;

  constructor(
    private readonly nodeId: string,
    private readonly units: ZeroExportUnitRoute[],
  ) {
    this.labels = new Set(units.map((u) => u.label));
  }

  route(msg: { topic?: unknown; zeroExport?: unknown }, reading: BatteryReading): { unit: string; how: RouteHow } | { unmatched: string } {
    const serial = typeof reading.serial === 'string' && reading.serial.trim() !== '' ? reading.serial.trim().toUpperCase() : null;
    if (serial) {
      const u = this.units.find((x) => x.serial === serial);
      if (u) return { unit: u.label, how: 'serial' };
    }
    const topic = typeof msg.topic === 'string' ? msg.topic : null;
    if (topic !== null) {
      const u = this.units.find((x) => x.topic !== null && x.topic === topic);
      if (u) return { unit: u.label, how: 'topic' };
    }
    const tag = msg.zeroExport as Partial<ZeroExportTag> | undefined;
    if (tag && typeof tag === 'object' && tag.node === this.nodeId && typeof tag.unit === 'string' && this.labels.has(tag.unit)) {
      if (serial) this.learned.set(serial, tag.unit);
      return { unit: tag.unit, how: 'learned' };
    }
    if (serial && this.learned.has(serial)) return { unit: this.learned.get(serial)!, how: 'learned' };
    // The only unit, unless it says how to recognise its readings (then this one is another battery's).
    if (this.units.length === 1 && !this.units[0].serial && !this.units[0].topic) return { unit: this.units[0].label, how: 'single' };
    const who = serial ? `serial ${serial}` : 'no serial';
    return {
      unmatched:
        `battery reading (${who}, topic ${topic === null ? 'none' : JSON.stringify(topic)}) matches no unit: ` +
        `enter its serial or topic in a unit of this node, or wire the battery node's output back into this node ` +
        `so its replies to this node's commands identify it`,
    };
  }
}
