/**
 * A command from Home Assistant (the payload HA publishes on a command topic: a number as text,
 * a select option, "ON"/"OFF", "PRESS") → the message this package's nodes take, validated with the
 * same schemas as any other input. An invalid value gives an error text and no message.
 */
import { setpointFromObject } from '../api/battery-setpoint';
import { batteryReleaseSchema } from '../api/schemas';
import { chargerSetpointSchema } from '../api/charger-schemas';
import { validator } from '../api/validate';
import { batteryStrategyCommandSchema } from '../devices/sessy/commands';
import { modeMessageSchema } from '../control/ev-charging/inputs';
import { batteryModeSchema } from '../devices/sofar/commands';
import type { HaDevice } from './discovery';
import type { EntitySpec } from './entities';

const checkRelease = validator(batteryReleaseSchema, 'payload');
const checkCharger = validator(chargerSetpointSchema, 'payload');
const checkStrategy = validator(batteryStrategyCommandSchema, 'payload');
const checkMode = validator(modeMessageSchema, 'payload');
const checkBatteryMode = validator(batteryModeSchema, 'payload');

/** Decimal text only (HA sends "1500" or "1500.0"); never hex, exponents or "Infinity". */
const DECIMAL = /^\s*[-+]?(\d+(\.\d*)?|\.\d+)\s*$/;
/** The smallest current a wallbox signals while charging, A (IEC 61851-1). */
const MIN_CHARGE_A = 6;
const REASON = 'home-assistant';

export interface HaCommandMessage {
  topic: string;
  payload: unknown;
  /** The HA device (object id) and component the command came from. */
  device: string;
  entity: string;
}

const shown = (s: string) => JSON.stringify(s.length > 40 ? `${s.slice(0, 40)}…` : s);

function number(raw: string, e: EntitySpec): number | string {
  if (!DECIMAL.test(raw)) return `${e.name}: ${shown(raw)} is not a number`;
  const v = Number(raw);
  if (e.min !== undefined && v < e.min) return `${e.name}: ${v} is below ${e.min}`;
  if (e.max !== undefined && v > e.max) return `${e.name}: ${v} is above ${e.max}`;
  return v;
}

/** Parses one command; `{error}` names the entity and the value, and nothing is sent. */
export function parseCommand(device: HaDevice, entity: EntitySpec, raw: Buffer | string): { message: HaCommandMessage } | { error: string } {
  const text = (Buffer.isBuffer(raw) ? raw.toString('utf8') : raw).trim();
  const serial = device.serial ?? undefined;
  const out = (topic: string, payload: unknown) => ({ message: { topic, payload, device: device.objectId, entity: entity.key } });
  const withSerial = (o: Record<string, unknown>) => (serial ? { ...o, serial } : o);
  switch (entity.command) {
    case 'battery-setpoint': {
      const v = number(text, entity);
      if (typeof v === 'string') return { error: v };
      const r = setpointFromObject(withSerial({ kind: 'battery-setpoint', power: Math.round(v), reason: REASON }));
      return 'error' in r ? { error: r.error } : out('setpoint', { kind: 'battery-setpoint', power: r.command.power, ...(serial ? { serial } : {}), reason: REASON });
    }
    case 'battery-release': {
      if (text !== 'PRESS') return { error: `${entity.name}: expected PRESS, got ${shown(text)}` };
      const p = withSerial({ kind: 'battery-release', reason: REASON });
      const e = checkRelease(p);
      return e ? { error: e } : out('release', p);
    }
    case 'battery-strategy': {
      if (!entity.options?.includes(text)) return { error: `${entity.name}: ${shown(text)} is not one of ${entity.options?.join(', ')}` };
      const p = withSerial({ kind: 'battery-strategy', strategy: text, reason: REASON });
      const e = checkStrategy(p);
      return e ? { error: e } : out('strategy', p);
    }
    case 'battery-mode': {
      if (!entity.options?.includes(text)) return { error: `${entity.name}: ${shown(text)} is not one of ${entity.options?.join(', ')}` };
      const p = withSerial({ kind: 'battery-mode', mode: text, reason: REASON });
      const e = checkBatteryMode(p);
      return e ? { error: e } : out('mode', p);
    }
    case 'ev-mode': {
      const p = { kind: 'mode', mode: text, reason: REASON };
      const e = checkMode(p);
      return e ? { error: `${entity.name}: ${e}` } : out('mode', p);
    }
    case 'controller-mode': {
      if (!entity.options?.includes(text)) return { error: `${entity.name}: ${shown(text)} is not one of ${entity.options?.join(', ')}` };
      return out('mode', { kind: 'mode', mode: text, reason: REASON });
    }
    case 'charger-current': {
      const v = number(text, entity);
      if (typeof v === 'string') return { error: v };
      if (v > 0 && v < MIN_CHARGE_A) return { error: `${entity.name}: ${v} A is below the ${MIN_CHARGE_A} A a car can charge at (0 pauses)` };
      const p = withSerial({ kind: 'charger-setpoint', enabled: v > 0, currentA: v, reason: REASON });
      const e = checkCharger(p);
      return e ? { error: e } : out('charger-setpoint', p);
    }
    case 'enable': {
      if (text !== 'ON' && text !== 'OFF') return { error: `${entity.name}: expected ON or OFF, got ${shown(text)}` };
      return out('enable', text === 'ON');
    }
    case 'target': {
      const v = number(text, entity);
      return typeof v === 'string' ? { error: v } : out('target', v);
    }
    case 'desired-peak': {
      const v = number(text, entity);
      return typeof v === 'string' ? { error: v } : out('desired-peak', v);
    }
    case 'phase-usage': {
      if (!entity.options?.includes(text)) return { error: `${entity.name}: ${shown(text)} is not one of ${entity.options?.join(', ')}` };
      return out('phases', text);
    }
    default:
      return { error: `${entity.name}: not a command entity` };
  }
}
