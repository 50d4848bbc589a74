/**
 * The zero-export node's input messages → what they mean for the controller. Pure. Every error
 * names the field and the rule and lists the accepted forms; a plain number is decimal (a number,
 * or text such as "-20.5"), never hex, never Infinity.
 */
import { DECIMAL } from '../../api/config';
import { chargerPowerSchema, CONSTRAINT_MAX_W, gridTargetSchema } from '../../api/control-schemas';
import { batteryReadingSchema, meterReadingSchema } from '../../api/schemas';
import type { BatteryReading, MeterReading } from '../../api/types';
import { validator } from '../../api/validate';
import { shown } from './config';
import type { ChargerSample, GridTarget, MeterSample, UnitObservation } from './types';

const checkMeter = validator(meterReadingSchema, 'payload');
const checkBattery = validator(batteryReadingSchema, 'payload');
const checkGridTarget = validator(gridTargetSchema, 'payload');
const checkCharger = validator(chargerPowerSchema, 'payload');

/** What one input message asks for. */
export type ZeroExportInput =
  | { type: 'meter'; meter: MeterSample }
  | { type: 'battery'; reading: BatteryReading }
  | { type: 'enabled'; enabled: boolean }
  | { type: 'target'; targetW: number }
  | { type: 'exportCap'; exportCapW: number | null }
  | { type: 'gridTarget'; gridTarget: GridTarget }
  | { type: 'charger'; charger: ChargerSample }
  | { error: string };

export const ACCEPTED =
  'accepted: payload {kind: "meter"}, {kind: "battery"}, {kind: "grid-target", minW, maxW} or {kind: "charger", power}, or msg.topic "grid" + W, "enable" + true/false, "target" + W, "exportCap" + W or null';

const MAX_W = CONSTRAINT_MAX_W;
const isObj = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v) && !Buffer.isBuffer(v);

/** A finite number, or decimal text (Home Assistant states are text); undefined otherwise. */
export function decimal(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'string' && DECIMAL.test(v)) {
    const n = Number(v);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

/** Non-finite numbers in the named fields (ajv never sees NaN from JSON, but a function node can send one). */
function nonFinite(p: Record<string, unknown>, fields: string[]): string | null {
  for (const f of fields) if (typeof p[f] === 'number' && !Number.isFinite(p[f] as number)) return `payload.${f}: must be a finite number (got ${shown(p[f])})`;
  return null;
}

const ON = new Set(['true', 'on', '1', 'enable', 'enabled']);
const OFF = new Set(['false', 'off', '0', 'disable', 'disabled']);

function kindInput(p: Record<string, unknown>, now: number): ZeroExportInput {
  switch (p.kind) {
    case 'meter': {
      const e = nonFinite(p, ['power', 'timestamp']) ?? checkMeter(p);
      if (e) return { error: e };
      const r = p as unknown as MeterReading;
      return { type: 'meter', meter: { power: r.power, timestamp: r.timestamp } };
    }
    case 'battery': {
      const e = nonFinite(p, ['power', 'soc', 'timestamp']) ?? checkBattery(p);
      return e ? { error: e } : { type: 'battery', reading: p as unknown as BatteryReading };
    }
    case 'grid-target': {
      const e = nonFinite(p, ['minW', 'maxW', 'until']) ?? checkGridTarget(p);
      if (e) return { error: e };
      const g = p as unknown as GridTarget;
      if (g.minW > g.maxW) return { error: `payload.maxW: must be at least payload.minW (${g.minW} W) (got ${g.maxW})` };
      return {
        type: 'gridTarget',
        gridTarget: { minW: g.minW, maxW: g.maxW, ...(g.until !== undefined ? { until: g.until } : {}), ...(g.reason ? { reason: g.reason } : {}), ...(g.source ? { source: g.source } : {}) },
      };
    }
    case 'charger': {
      const e = nonFinite(p, ['power', 'timestamp']) ?? checkCharger(p);
      if (e) return { error: e };
      return { type: 'charger', charger: { power: p.power as number, timestamp: typeof p.timestamp === 'number' ? p.timestamp : now } };
    }
    default:
      return { error: `payload.kind: must be "meter", "battery", "grid-target" or "charger" (got ${shown(p.kind)}); ${ACCEPTED}` };
  }
}

/** One input message → its meaning, or an error naming the field and the accepted forms. */
export function parseInput(msg: { topic?: unknown; payload?: unknown }, now: number): ZeroExportInput {
  const p = msg.payload;
  if (isObj(p) && 'kind' in p) return kindInput(p, now);
  const topic = typeof msg.topic === 'string' ? msg.topic.trim().toLowerCase() : '';
  const n = decimal(p);
  switch (topic) {
    case 'grid':
      if (n === undefined || Math.abs(n) > MAX_W) return { error: `msg.payload: must be the grid power in W (+ import, − export), a decimal number from −${MAX_W} to ${MAX_W}, with topic "grid" (got ${shown(p)})` };
      return { type: 'meter', meter: { power: n, timestamp: now } };
    case 'enable': {
      if (typeof p === 'boolean') return { type: 'enabled', enabled: p };
      const s = typeof p === 'number' ? String(p) : typeof p === 'string' ? p.trim().toLowerCase() : '';
      if (ON.has(s)) return { type: 'enabled', enabled: true };
      if (OFF.has(s)) return { type: 'enabled', enabled: false };
      return { error: `msg.payload: must be true/false, "on"/"off" or 1/0 with topic "enable" (got ${shown(p)})` };
    }
    case 'target':
      if (n === undefined || Math.abs(n) > MAX_W) return { error: `msg.payload: must be the grid target in W (+ import allowed, − export), a decimal number from −${MAX_W} to ${MAX_W}, with topic "target" (got ${shown(p)})` };
      return { type: 'target', targetW: n };
    case 'exportcap':
      if (p === null || (typeof p === 'string' && p.trim() === '')) return { type: 'exportCap', exportCapW: null };
      if (n === undefined || n < 0 || n > MAX_W) return { error: `msg.payload: must be the export cap in W, a decimal number from 0 to ${MAX_W}, or null or "" for none, with topic "exportCap" (got ${shown(p)})` };
      return { type: 'exportCap', exportCapW: n };
    default:
      return { error: `msg.payload: not understood (topic ${typeof msg.topic === 'string' ? shown(msg.topic) : 'none'}, payload ${isObj(p) ? 'an object without kind' : shown(p)}); ${ACCEPTED}` };
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
