/**
 * sofar-inverter node boundary: its saved configuration → driver options, and one input message →
 * a command (or an error text naming the field). Pure functions; the node file only wires them.
 *
 * Input messages (DESIGN.md §2), the same battery-setpoint semantics as sessy-battery so one
 * controller drives either: `{kind: "battery-setpoint", power}` (W, + discharge, − charge, 0 idle),
 * `{kind: "battery-mode", mode: "standby" | "auto"}`, `{kind: "battery-release"}` (hand back to the
 * inverter), or plain values with a topic: "setpoint" + number, "mode" + "standby"/"auto",
 * "release", "refresh".
 */
import type { SchemaObject } from 'ajv';
import { setpointFromObject, setpointFromValue, type SetpointCommand } from '../../api/battery-setpoint';
import { batteryReleaseSchema } from '../../api/schemas';
import { validator } from '../../api/validate';
import { configNumber as num } from '../../util/config-number';

import {
  DEFAULT_SETTINGS,
  HEARTBEAT_MAX_MS,
  HEARTBEAT_MIN_MS,
  SOFAR_MAX_POWER_LIMIT_W,
  type BatteryVoltageScale,
  type CloseAction,
  type ControlPath,
  type GridRegisterType,
  type SofarSettings,
  type SofarVariant,
  type ZeroMeans,
} from './descriptor';

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

/** As the editor saves it (version 1). Numbers may arrive as strings; '' means default. */
export interface SofarInverterConfig {
  name?: string;
  topic?: string;
  link?: string;
  unit?: number | string;
  pollInterval?: number | string;
  staleAfter?: number | string;
  variant?: SofarVariant;
  controlPath?: ControlPath;
  maxPower?: number | string;
  zeroMeans?: ZeroMeans;
  heartbeat?: number | string;
  resend?: number | string;
  batteryVoltageScale?: BatteryVoltageScale;
  gridRegister?: GridRegisterType;
  onClose?: CloseAction;
  raw?: boolean;
  version?: number;
}

const numOrEmpty = (min: number, max: number) => ({
  anyOf: [
    { type: 'number', minimum: min, maximum: max },
    { type: 'string', pattern: '^\\s*$' },
    { type: 'string', pattern: '^\\s*-?[0-9]+(\\.[0-9]+)?\\s*$' },
  ],
});

export const sofarInverterConfigSchema: SchemaObject = {
  type: 'object',
  required: ['link'],
  properties: {
    link: { type: 'string', minLength: 1 },
    unit: numOrEmpty(1, 247),
    pollInterval: numOrEmpty(1, 3600),
    staleAfter: numOrEmpty(0, 86400),
    variant: { enum: ['ctpv', 'retrofit'] },
    controlPath: { enum: ['passive', 'work-mode'] },
    maxPower: numOrEmpty(0, SOFAR_MAX_POWER_LIMIT_W),
    zeroMeans: { enum: ['standby', 'auto'] },
    heartbeat: numOrEmpty(HEARTBEAT_MIN_MS / 1000, HEARTBEAT_MAX_MS / 1000),
    resend: numOrEmpty(0, 600),
    batteryVoltageScale: { enum: ['auto', '0.1', '0.01'] },
    gridRegister: { enum: ['s16', 'u16', 's32'] },
    onClose: { enum: ['auto', 'standby', 'none'] },
  },
};

const checkSchema = validator(sofarInverterConfigSchema, 'config');

/** Ranges the schema's string form cannot check. */
export function checkSofarConfig(c: SofarInverterConfig): string | null {
  const e = checkSchema(c);
  if (e) return e;
  const ranges: Array<[keyof SofarInverterConfig, number, number, boolean]> = [
    ['unit', 1, 247, true],
    ['pollInterval', 1, 3600, false],
    ['staleAfter', 0, 86400, false],
    ['maxPower', 0, SOFAR_MAX_POWER_LIMIT_W, false],
    ['heartbeat', HEARTBEAT_MIN_MS / 1000, HEARTBEAT_MAX_MS / 1000, false],
    ['resend', 0, 600, false],
  ];
  for (const [k, lo, hi, int] of ranges) {
    const n = num(c[k] as number | string | undefined);
    if (n === undefined) continue;
    if (n < lo || n > hi || (int && !Number.isInteger(n))) return `config.${String(k)}: must be ${int ? 'an integer ' : ''}between ${lo} and ${hi} (got ${JSON.stringify(c[k])})`;
  }
  return null;
}

export interface SofarNodeOptions {
  unit: number;
  pollMs: number;
  /** 0 = automatic (three poll periods). */
  staleMs: number;
  settings: SofarSettings;
}

export function optionsFromConfig(c: SofarInverterConfig): SofarNodeOptions {
  const pollMs = Math.round((num(c.pollInterval) ?? 5) * 1000);
  const stale = num(c.staleAfter);
  return {
    unit: num(c.unit) ?? 1,
    pollMs,
    staleMs: stale && stale > 0 ? stale * 1000 : Math.max(3 * pollMs, 5000),
    settings: {
      ...DEFAULT_SETTINGS,
      variant: c.variant ?? DEFAULT_SETTINGS.variant,
      controlPath: c.controlPath ?? DEFAULT_SETTINGS.controlPath,
      maxPowerW: num(c.maxPower) ?? DEFAULT_SETTINGS.maxPowerW,
      zeroMeans: c.zeroMeans ?? DEFAULT_SETTINGS.zeroMeans,
      heartbeatMs: Math.round((num(c.heartbeat) ?? DEFAULT_SETTINGS.heartbeatMs / 1000) * 1000),
      resendMs: Math.round((num(c.resend) ?? DEFAULT_SETTINGS.resendMs / 1000) * 1000),
      batteryVoltageScale: c.batteryVoltageScale ?? DEFAULT_SETTINGS.batteryVoltageScale,
      gridRegister: c.gridRegister ?? DEFAULT_SETTINGS.gridRegister,
      onClose: c.onClose ?? DEFAULT_SETTINGS.onClose,
    },
  };
}

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
    return { error: `payload.kind: must be one of "battery-setpoint", "battery-mode", "battery-release" (got ${JSON.stringify(p.kind)})` };
  }
  if (topic === 'setpoint') return setpointFromValue(p);
  if (topic === 'mode') {
    const m = typeof p === 'string' ? p.trim().toLowerCase() : p;
    if (m !== 'standby' && m !== 'auto') return { error: `msg.payload: must be "standby" or "auto" with topic "mode" (got ${JSON.stringify(p) ?? typeof p})` };
    return { command: { type: 'mode', mode: m } };
  }
  if (topic === 'release') return { command: { type: 'release' } };
  if (topic === 'refresh') return { command: { type: 'refresh' } };
  return {
    error: `msg.payload: must be a command object with kind "battery-setpoint", "battery-mode" or "battery-release", or a value with msg.topic "setpoint", "mode", "release" or "refresh" (got ${isObj(p) ? 'an object without kind' : typeof p}${topic ? `, topic "${topic}"` : ''})`,
  };
}

