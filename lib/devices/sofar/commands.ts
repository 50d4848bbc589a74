/**
 * sofar-inverter node boundary: one input message → a command (or an error text naming the field).
 * Pure functions, never throwing on any payload (BigInt, circular objects); the node file only
 * wires them. The node's configuration is read in config.ts.
 *
 * Input messages (DESIGN.md §2), the same battery-setpoint semantics as sessy-battery so one
 * controller drives either: `{kind: "battery-setpoint", power}` (W, + discharge, − charge, 0 idle),
 * `{kind: "battery-mode", mode: "standby" | "auto"}`, `{kind: "battery-release"}` (hand back to the
 * inverter), or plain values with a topic: "setpoint" + number, "mode" + "standby"/"auto",
 * "release", "refresh".
 */
import type { SchemaObject } from 'ajv';
import { describeValue, setpointFromObject, setpointFromValue, type SetpointCommand } from '../../api/battery-setpoint';
import { batteryReleaseSchema } from '../../api/schemas';
import { validator } from '../../api/validate';
import type { CloseAction } from './descriptor';

/** {kind: "battery-mode", mode} — hand the battery to the inverter (auto) or hold it (standby). */
export const batteryModeSchema: SchemaObject = {
  $id: 'home-energy/battery-mode',
  type: 'object',
  required: ['kind', 'mode'],
  properties: {
    kind: { const: 'battery-mode' },
    mode: { enum: ['standby', 'auto'] },
    serial: { type: 'string' },
    reason: { type: 'string' },
  },
  additionalProperties: false,
};

export type SofarCommand =
  | SetpointCommand
  | { type: 'mode'; mode: 'standby' | 'auto'; serial?: string; reason?: string }
  /** Hand the battery back to the inverter: the *On stop* mode, auto unless that is standby (releaseMode()). */
  | { type: 'release'; serial?: string; reason?: string }
  | { type: 'refresh' };

const checkMode = validator(batteryModeSchema, 'payload');
const checkRelease = validator(batteryReleaseSchema, 'payload');

/**
 * The mode a battery-release command leaves the inverter in: the *On stop* setting (the node's
 * close-time hand-back), except that "leave as it is" means auto here, since a release must end our
 * command.
 */
export function releaseMode(onClose: CloseAction | undefined): 'standby' | 'auto' {
  return onClose === 'standby' ? 'standby' : 'auto';
}

const isObj = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v) && !Buffer.isBuffer(v);

/** One input message → a command, or an error naming the field and the rule. */
export function parseSofarCommand(msg: { topic?: unknown; payload?: unknown }): { command: SofarCommand } | { error: string } {
  const p = msg?.payload;
  const topic = typeof msg?.topic === 'string' ? msg.topic.trim().toLowerCase() : '';
  if (isObj(p) && 'kind' in p) {
    if (p.kind === 'battery-setpoint') return setpointFromObject(p);
    if (p.kind === 'battery-mode') {
      const e = checkMode(p);
      if (e) return { error: e };
      return { command: { type: 'mode', mode: p.mode as 'standby' | 'auto', serial: p.serial as string | undefined, reason: p.reason as string | undefined } };
    }
    if (p.kind === 'battery-release') {
      const e = checkRelease(p);
      if (e) return { error: e };
      return { command: { type: 'release', serial: p.serial as string | undefined, reason: p.reason as string | undefined } };
    }
    return { error: `payload.kind: must be one of "battery-setpoint", "battery-mode", "battery-release" (got ${typeof p.kind === 'string' ? JSON.stringify(p.kind) : describeValue(p.kind)})` };
  }
  if (topic === 'setpoint') return setpointFromValue(p);
  if (topic === 'mode') {
    const m = typeof p === 'string' ? p.trim().toLowerCase() : p;
    if (m !== 'standby' && m !== 'auto') return { error: `msg.payload: must be "standby" or "auto" with topic "mode" (got ${describeValue(p)})` };
    return { command: { type: 'mode', mode: m } };
  }
  if (topic === 'release') return { command: { type: 'release' } };
  if (topic === 'refresh') return { command: { type: 'refresh' } };
  return {
    error: `msg.payload: must be a command object with kind "battery-setpoint", "battery-mode" or "battery-release", or a value with msg.topic "setpoint", "mode", "release" or "refresh" (got ${isObj(p) ? 'an object without kind' : describeValue(p)}${topic ? `, topic ${describeValue(topic).replace(/^the text /, '')}` : ''})`,
  };
}

