/**
 * The battery-setpoint input every battery node accepts with the same meaning (DESIGN.md §2), so
 * one controller drives a Sessy or a Sofar alike: the command object `{kind: "battery-setpoint",
 * power, serial?, reason?}` (W, + discharge, − charge, 0 idle), or a plain number with
 * msg.topic "setpoint". Errors name the field.
 */
import { batterySetpointSchema } from './schemas';
import { validator } from './validate';

/** What a battery node's command parser makes of either form. */
export interface SetpointCommand {
  type: 'setpoint';
  power: number;
  serial?: string;
  reason?: string;
}

type Parsed = { command: SetpointCommand } | { error: string };

/**
 * CommandOutcome.reason of a setpoint that a newer one replaced before it went on the wire (a
 * driver that coalesces setpoints says so; the battery node then sends no reply for it).
 */
export const SUPERSEDED = 'superseded by a newer setpoint';

const checkSetpoint = validator(batterySetpointSchema, 'payload');

/** Largest setpoint magnitude a message may carry, W (the schema's bound; devices clamp further). */
const MAX_SETPOINT_W = 100000;

/** Decimal text only: "250", "-1500.5"; never hex ("0x10"), exponents ("1e400") or "Infinity". */
const DECIMAL_TEXT = /^\s*[-+]?(\d+(\.\d*)?|\.\d+)\s*$/;

/**
 * What a value is, for an error message: 'the text "0x10"', 'NaN', 'Infinity', 'the bigint 10n',
 * 'an object'. Never throws (BigInt, circular objects, getters that throw).
 */
export function describeValue(v: unknown): string {
  try {
    if (v === undefined) return 'nothing';
    if (v === null) return 'null';
    if (typeof v === 'string') return v.trim() === '' ? 'an empty text' : `the text ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
    if (typeof v === 'number') return String(v);
    if (typeof v === 'bigint') return `the bigint ${String(v)}n`;
    if (typeof v === 'boolean') return String(v);
    if (Array.isArray(v)) return 'an array';
    if (Buffer.isBuffer(v)) return 'a buffer';
    return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
  } catch {
    return 'an unprintable value';
  }
}

/** msg.payload is an object with kind "battery-setpoint". */
export function setpointFromObject(p: Record<string, unknown>): Parsed {
  // ajv passes NaN and ±Infinity as numbers and then names the wrong rule ("must be <= 100000").
  if (typeof p.power === 'number' && !Number.isFinite(p.power)) return { error: `payload.power: must be a finite number of W, got ${describeValue(p.power)}` };
  const e = checkSetpoint(p);
  if (e) return { error: e };
  return { command: { type: 'setpoint', power: p.power as number, serial: p.serial as string | undefined, reason: p.reason as string | undefined } };
}

/** msg.payload with msg.topic "setpoint": a number of W, or decimal text (never hex or exponents). */
export function setpointFromValue(p: unknown): Parsed {
  const v = typeof p === 'string' && DECIMAL_TEXT.test(p) ? Number(p) : p;
  if (typeof v !== 'number' || !Number.isFinite(v)) return { error: `msg.payload: must be a number of W (+ discharge, − charge) with topic "setpoint", got ${describeValue(p)}` };
  if (Math.abs(v) > MAX_SETPOINT_W) return { error: `msg.payload: must be between -${MAX_SETPOINT_W} and ${MAX_SETPOINT_W} W, got ${v}` };
  return { command: { type: 'setpoint', power: v } };
}
