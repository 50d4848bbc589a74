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

const checkSetpoint = validator(batterySetpointSchema, 'payload');

/** msg.payload is an object with kind "battery-setpoint". */
export function setpointFromObject(p: Record<string, unknown>): Parsed {
  const e = checkSetpoint(p);
  if (e) return { error: e };
  return { command: { type: 'setpoint', power: p.power as number, serial: p.serial as string | undefined, reason: p.reason as string | undefined } };
}

/** msg.payload with msg.topic "setpoint": a number of W, or a numeric string. */
export function setpointFromValue(p: unknown): Parsed {
  const v = typeof p === 'string' && p.trim() !== '' ? Number(p) : p;
  if (typeof v !== 'number' || !Number.isFinite(v)) return { error: `msg.payload: must be a number of W (+ discharge, − charge) with topic "setpoint" (got ${JSON.stringify(p) ?? typeof p})` };
  if (Math.abs(v) > 100000) return { error: `msg.payload: must be between -100000 and 100000 W (got ${v})` };
  return { command: { type: 'setpoint', power: v } };
}
