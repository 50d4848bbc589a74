/**
 * The battery-setpoint input every battery node accepts with the same meaning (DESIGN.md §2), so
 * one controller drives a Sessy or a Sofar alike: the command object `{kind: "battery-setpoint",
 * power, serial?, reason?}` (W, + discharge, − charge, 0 idle), or a plain number with
 * msg.topic "setpoint". Errors name the field.
 */
import { DECIMAL } from './config';
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

/**
 * What a value is, for error messages ("the text \"0x10\"", "NaN", "a BigInt"); never throws
 * (BigInt, circular objects, getters that throw).
 */
export function describeValue(v: unknown): string {
  try {
    if (typeof v === 'string') return `the text ${JSON.stringify(v)}`;
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    if (typeof v === 'bigint') return `the BigInt ${String(v)}n`;
    if (v === null) return 'null';
    if (v === undefined) return 'nothing';
    if (Array.isArray(v)) return 'an array';
    return `a ${typeof v}`;
  } catch {
    return 'an unprintable value';
  }
}

const LIMIT_W = 100000;
const WATTS = 'a number of W (+ discharge, − charge)';

/** msg.payload is an object with kind "battery-setpoint". */
export function setpointFromObject(p: Record<string, unknown>): Parsed {
  // ajv reports NaN as "must be <= 100000" and Infinity the same: say what it is.
  if (typeof p.power === 'number' && !Number.isFinite(p.power)) return { error: `payload.power: must be a finite ${WATTS.slice(2)}, got ${describeValue(p.power)}` };
  const e = checkSetpoint(p);
  if (e) return { error: e };
  return { command: { type: 'setpoint', power: p.power as number, serial: p.serial as string | undefined, reason: p.reason as string | undefined } };
}

/**
 * msg.payload with msg.topic "setpoint": a number of W, or decimal text ("-250" from a dashboard).
 * Hex ("0x10"), exponents ("1e400") and other text are refused, not converted.
 */
export function setpointFromValue(p: unknown): Parsed {
  const v = typeof p === 'string' && DECIMAL.test(p) ? Number(p) : p;
  if (typeof v !== 'number') return { error: `msg.payload: must be ${WATTS} with topic "setpoint", got ${describeValue(p)}` };
  if (!Number.isFinite(v)) return { error: `msg.payload: must be a finite number of W with topic "setpoint", got ${describeValue(v)}` };
  if (Math.abs(v) > LIMIT_W) return { error: `msg.payload: must be between -${LIMIT_W} and ${LIMIT_W} W, got ${v}` };
  return { command: { type: 'setpoint', power: v } };
}
