/**
 * The zero-export node's input messages → what they mean for the controller. Pure. Every error
 * names the field and the rule and lists the accepted forms; a plain number is decimal (a number,
 * or text such as "-20.5"), never hex, never Infinity.
 */
import { DECIMAL, msOrIso, onOff } from '../../api/config';
import { BATTERY_MODES as API_BATTERY_MODES, batteryModeMessageSchema, chargerPowerSchema, CONSTRAINT_MAX_W, gridLimitSchema, gridTargetSchema } from '../../api/control-schemas';
import { batteryReadingSchema, meterReadingSchema } from '../../api/schemas';
import type { BatteryReading, MeterReading } from '../../api/types';
import { validator } from '../../api/validate';
import { shown } from './config';
import type { BatteryMode, ChargerSample, GridLimit, GridTarget, MeterSample, ModeRequest, UnitObservation } from './types';

/** The battery modes zero export accepts (DESIGN.md §4.1). */
export const BATTERY_MODES: readonly BatteryMode[] = API_BATTERY_MODES;

const checkMeter = validator(meterReadingSchema, 'payload');
const checkBattery = validator(batteryReadingSchema, 'payload');
const checkGridTarget = validator(gridTargetSchema, 'payload');
const checkCharger = validator(chargerPowerSchema, 'payload');
const checkMode = validator(batteryModeMessageSchema, 'payload');
const checkGridLimit = validator(gridLimitSchema, 'payload');

/** What one input message asks for. */
export type ZeroExportInput =
  | { type: 'meter'; meter: MeterSample }
  | { type: 'battery'; reading: BatteryReading }
  | { type: 'enabled'; enabled: boolean }
  | { type: 'target'; targetW: number }
  | { type: 'exportCap'; exportCapW: number | null }
  | { type: 'gridTarget'; gridTarget: GridTarget }
  | { type: 'gridLimit'; gridLimit: GridLimit }
  | { type: 'mode'; mode: ModeRequest }
  | { type: 'charger'; charger: ChargerSample }
  | { error: string };

export const ACCEPTED =
  'accepted: payload {kind: "meter"}, {kind: "battery"}, {kind: "grid-target", minW, maxW}, {kind: "grid-limit", maxImportW, maxExportW}, {kind: "mode", mode, until} or {kind: "charger", power}, or msg.topic "grid" + W, "enable" + true/false, "target" + W, "exportCap" + W or null, "mode" + balance/peak-shaving/hold/charge';

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
    case 'grid-limit': {
      const e = nonFinite(p, ['maxImportW', 'maxExportW', 'until']) ?? checkGridLimit(p);
      if (e) return { error: e };
      if (p.source !== undefined && typeof p.source !== 'string') return { error: `payload.source: must be a string (got ${shown(p.source)})` };
      const l: GridLimit = {};
      for (const k of ['maxImportW', 'maxExportW', 'until'] as const) if (typeof p[k] === 'number') l[k] = p[k] as number;
      if (typeof p.reason === 'string' && p.reason) l.reason = p.reason;
      if (typeof p.source === 'string' && p.source) l.source = p.source;
      return { type: 'gridLimit', gridLimit: l };
    }
    case 'mode': {
      const e = nonFinite(p, ['until', 'chargeW']) ?? checkMode(p);
      if (e) return { error: e };
      const m = modeRequest(p.mode as BatteryMode, p.until, now);
      if ('error' in m) return m;
      if (typeof p.reason === 'string' && p.reason) m.mode.reason = p.reason;
      if (typeof p.source === 'string' && p.source) m.mode.source = p.source;
      if (typeof p.chargeW === 'number') m.mode.chargeW = p.chargeW;
      return m;
    }
    case 'charger': {
      const e = nonFinite(p, ['power', 'timestamp']) ?? checkCharger(p);
      if (e) return { error: e };
      return { type: 'charger', charger: { power: p.power as number, timestamp: typeof p.timestamp === 'number' ? p.timestamp : now } };
    }
    default:
      return { error: `payload.kind: must be "meter", "battery", "grid-target", "grid-limit", "mode" or "charger" (got ${shown(p.kind)}); ${ACCEPTED}` };
  }
}

/** A mode and its `until` (ms or ISO 8601 text; `field` names it in errors) → the request. */
function modeRequest(mode: BatteryMode, until: unknown, now: number, field = 'payload.until'): { type: 'mode'; mode: ModeRequest } | { error: string } {
  if (until === undefined || until === null) return { type: 'mode', mode: { mode } };
  const ms = msOrIso(until);
  if (!Number.isFinite(ms)) return { error: `${field}: must be a time in ms since epoch or ISO 8601 (e.g. 2026-06-01T18:00:00Z) (got ${shown(until)})` };
  if (ms <= now) return { error: `${field}: lies in the past (got ${shown(until)})` };
  return { type: 'mode', mode: { mode, until: ms } };
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
      const on = onOff(p);
      if (on !== undefined) return { type: 'enabled', enabled: on };
      return { error: `msg.payload: must be true/false, "on"/"off" or 1/0 with topic "enable" (got ${shown(p)})` };
    }
    case 'target':
      if (n === undefined || Math.abs(n) > MAX_W) return { error: `msg.payload: must be the grid target in W (+ import allowed, − export), a decimal number from −${MAX_W} to ${MAX_W}, with topic "target" (got ${shown(p)})` };
      return { type: 'target', targetW: n };
    case 'exportcap':
      if (p === null || (typeof p === 'string' && p.trim() === '')) return { type: 'exportCap', exportCapW: null };
      if (n === undefined || n < 0 || n > MAX_W) return { error: `msg.payload: must be the export cap in W, a decimal number from 0 to ${MAX_W}, or null or "" for none, with topic "exportCap" (got ${shown(p)})` };
      return { type: 'exportCap', exportCapW: n };
    case 'mode': {
      const s = typeof p === 'string' ? p.trim().toLowerCase() : undefined;
      if (!s || !(BATTERY_MODES as readonly string[]).includes(s)) return { error: `msg.payload: must be one of ${BATTERY_MODES.join(', ')} with topic "mode" (got ${shown(p)})` };
      return modeRequest(s as BatteryMode, (msg as { until?: unknown }).until, now, 'msg.until');
    }
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
