/**
 * What the ev-charging node's single input accepts, translated into controller inputs (pure, no
 * Node-RED): normalized `meter`, `battery` and `charger` payloads, `grid-limit` and `mode`
 * constraint messages (DESIGN.md §4.1), and plain values with a topic for Home Assistant sensors
 * (`grid` W, `battery` W, `soc` %, `mode` text, `phases` text: standard, single or automatic,
 * `enable` boolean). Every message is validated;
 * an invalid one gives an error naming the field and changes nothing.
 */
import type { SchemaObject } from 'ajv';
import { validator } from '../../api/validate';
import { decimalNumber, msOrIso } from '../../api/config';
import { describeValue } from '../../api/battery-setpoint';
import { gridLimitSchema, readingTime, WATTS_TEXT, wattsOf } from '../../api/control-schemas';
import { BatteryBook } from '../battery-book';

export { BatteryBook } from '../battery-book';
export { gridLimitSchema } from '../../api/control-schemas';
import type { EvInputs, EvMode, PhaseUsage } from './types';
import { EV_MODES } from './config';

export const modeMessageSchema: SchemaObject = {
  $id: 'home-energy/mode',
  type: 'object',
  required: ['kind'],
  anyOf: [{ required: ['mode'] }, { required: ['phases'] }],
  properties: {
    kind: { const: 'mode' },
    mode: { enum: [...EV_MODES] },
    phases: { type: 'string' },
    until: { anyOf: [{ type: 'number', minimum: 0 }, { const: 'unplugged' }, { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}T' }] },
    reason: { type: 'string' },
  },
};

export const PHASE_USAGES: readonly PhaseUsage[] = ['standard', 'single', 'automatic'];

/** A phase usage from a message: case-insensitive, trimmed; undefined when it is none of the three. */
export function phaseUsageOf(v: unknown): PhaseUsage | undefined {
  if (typeof v !== 'string') return undefined;
  const t = v.trim().toLowerCase();
  return (PHASE_USAGES as readonly string[]).includes(t) ? (t as PhaseUsage) : undefined;
}

const checkGridLimit = validator(gridLimitSchema, 'payload');
const checkMode = validator(modeMessageSchema, 'payload');

type Msg = { topic?: unknown; payload?: unknown };
type Result = { inputs: EvInputs; what: string } | { error: string } | { ignored: string };

const num = decimalNumber;
const watts = wattsOf;
const WATTS = WATTS_TEXT;

/** One input message → controller inputs. `now` stamps plain values that carry no timestamp. */
export function evInputFromMessage(msg: Msg, now: number, batteries: BatteryBook): Result {
  const p = msg.payload;
  const topic = typeof msg.topic === 'string' ? msg.topic.trim().toLowerCase() : '';
  if (p && typeof p === 'object' && !Array.isArray(p)) {
    const o = p as Record<string, unknown>;
    const ts = readingTime(o.timestamp, now);
    switch (o.kind) {
      case 'meter': {
        const power = watts(o.power);
        if (power === undefined) return { error: `payload.power: a meter reading needs ${WATTS}, got ${describeValue(o.power)}` };
        const phases = Array.isArray(o.phases) ? (o.phases as Array<Record<string, unknown>>) : [];
        return {
          what: 'meter',
          inputs: { meter: { power, currents: phases.map((ph) => num(ph?.current)), phasePower: phases.map((ph) => num(ph?.power)), timestamp: ts } },
        };
      }
      case 'battery': {
        const power = watts(o.power);
        if (power === undefined) return { error: `payload.power: a battery reading needs ${WATTS}, got ${describeValue(o.power)}` };
        const soc = num(o.soc) ?? null;
        const key = typeof o.serial === 'string' && o.serial ? o.serial : topic || 'battery';
        return { what: 'battery', inputs: { battery: batteries.update(key, power, soc, num(o.capacityWh), ts) } };
      }
      case 'charger': {
        const states = ['idle', 'connected', 'charging', 'paused', 'error', 'offline'];
        if (!states.includes(o.state as string)) return { error: `payload.state: must be one of ${states.join(', ')}` };
        if (o.power !== undefined && watts(o.power) === undefined) return { error: `payload.power: a charger reading needs ${WATTS}, got ${describeValue(o.power)}` };
        const limits = (o.limits ?? {}) as Record<string, unknown>;
        const phases = Array.isArray(o.phases) ? (o.phases as Array<Record<string, unknown>>) : [];
        return {
          what: 'charger',
          inputs: {
            charger: {
              state: o.state as 'idle',
              power: Math.max(0, num(o.power) ?? 0),
              currents: phases.map((ph) => num(ph?.current)),
              activePhases: num(o.activePhases) ?? null,
              maxCurrentA: num(limits.maxCurrentA),
              minCurrentA: num(limits.minCurrentA),
              phaseOptions: Array.isArray(limits.phaseOptions) ? (limits.phaseOptions.filter((x) => x === 1 || x === 3) as Array<1 | 3>) : undefined,
              timestamp: ts,
            },
          },
        };
      }
      case 'grid-limit': {
        const e = checkGridLimit(o);
        if (e) return { error: e };
        return { what: 'grid-limit', inputs: { gridLimit: { maxImportW: o.maxImportW as number | undefined, maxExportW: o.maxExportW as number | undefined, until: o.until as number | undefined, failsafeW: o.failsafeW as number | undefined, failsafeS: o.failsafeS as number | undefined, reason: o.reason as string | undefined, source: o.source as string | undefined } } };
      }
      case 'mode': {
        const e = checkMode(o);
        if (e) return { error: e };
        const until = o.until === undefined || o.until === 'unplugged' ? o.until : msOrIso(o.until);
        if (typeof until === 'number' && !Number.isFinite(until)) return { error: 'payload.until: not a date (ISO 8601, e.g. 2026-06-01T18:00:00Z)' };
        const phaseUsage = o.phases === undefined ? undefined : phaseUsageOf(o.phases);
        if (o.phases !== undefined && !phaseUsage) return { error: `payload.phases: must be one of ${PHASE_USAGES.join(', ')}, got ${describe(o.phases)}` };
        if (o.mode === undefined && until !== undefined) return { error: 'payload.until: an override needs a mode' };
        return {
          what: 'mode',
          inputs: { ...(o.mode !== undefined ? { mode: { mode: o.mode as EvMode, ...(until !== undefined ? { until } : {}) } } : {}), ...(phaseUsage ? { phaseUsage } : {}) },
        };
      }
      case 'battery-setpoint':
      case 'charger-setpoint':
        return { ignored: `a ${o.kind} is a command for a device node, not an input of ev-charging` };
      default:
        return { error: `payload.kind: ${typeof o.kind === 'string' ? JSON.stringify(o.kind) : describeValue(o.kind)} is not one of meter, battery, charger, grid-limit, mode` };
    }
  }
  switch (topic) {
    case 'grid': {
      const w = watts(p);
      if (w === undefined) return { error: `msg.payload: topic "grid" needs ${WATTS} (+ import), got ${describe(p)}` };
      return { what: 'meter', inputs: { meter: { power: w, timestamp: now } } };
    }
    case 'battery': {
      const w = watts(p);
      if (w === undefined) return { error: `msg.payload: topic "battery" needs ${WATTS} (+ discharge), got ${describe(p)}` };
      return { what: 'battery', inputs: { battery: batteries.update('topic', w, null, null, now) } };
    }
    case 'mode': {
      if (typeof p !== 'string' || !(EV_MODES as readonly string[]).includes(p)) return { error: `msg.payload: topic "mode" needs one of ${EV_MODES.join(', ')}, got ${describe(p)}` };
      return { what: 'mode', inputs: { mode: { mode: p as EvMode } } };
    }
    case 'phases': {
      const u = phaseUsageOf(p);
      if (!u) return { error: `msg.payload: topic "phases" needs one of ${PHASE_USAGES.join(', ')}, got ${describe(p)}` };
      return { what: 'phases', inputs: { phaseUsage: u } };
    }
    case 'enable':
    case 'enabled': {
      if (typeof p !== 'boolean') return { error: `msg.payload: topic "enable" needs true or false, got ${describe(p)}` };
      return { what: 'enable', inputs: { enabled: p } };
    }
    default:
      return { error: `msg.payload: not a meter, battery, charger, grid-limit or mode payload, and topic "${topic}" is not grid, battery, mode, phases or enable` };
  }
}

function describe(v: unknown): string {
  try {
    if (typeof v === 'string') return `the text ${JSON.stringify(v.slice(0, 40))}`;
    if (typeof v === 'bigint') return 'a BigInt';
    if (typeof v === 'number') return String(v);
    return typeof v;
  } catch {
    return 'an unprintable value';
  }
}
