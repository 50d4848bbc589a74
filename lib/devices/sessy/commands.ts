/**
 * What the sessy-dongle and sessy-battery nodes accept: their configuration (as the editor saves it)
 * and the commands arriving on the battery node's input. Checked here, before anything goes on the
 * wire; every error names the field (DESIGN.md §2, house rule 6).
 */
import type { SchemaObject } from 'ajv';
import { describeValue, setpointFromObject, setpointFromValue, type SetpointCommand } from '../../api/battery-setpoint';
import { batteryReleaseSchema } from '../../api/schemas';
import { validator } from '../../api/validate';
import type { SessyBatteryOptions } from './battery';
import { type ConfigSchema, bool, configReader, num, oneOf, text } from '../../api/config';
import { SESSY_DEFAULTS, SESSY_UNIT_LIMITS, STRATEGY_NAMES_TEXT, parseStrategy, type SessyStrategy } from './descriptor';
import { checkSettingsChange } from './settings';

/** sessy-dongle config node (lib/api/config.ts: the runtime reads it with configReader, the editor checks it). */
export const sessyDongleConfigSchema: ConfigSchema = {
  type: 'object',
  required: ['host'],
  properties: {
    host: text({ pattern: '^\\S+$', description: 'IP address, host name, host:port or http:// URL' }),
    pollInterval: num(1, 3600, { default: SESSY_DEFAULTS.pollMs / 1000, unit: 's' }),
    timeout: num(0.5, 60, { default: SESSY_DEFAULTS.timeoutMs / 1000, unit: 's' }),
  },
};

/** sessy-battery node. */
export const sessyBatteryConfigSchema: ConfigSchema = {
  type: 'object',
  required: ['dongle'],
  properties: {
    dongle: text(),
    topic: text({ empty: true }),
    keepAlive: num(1, 3600, { default: SESSY_DEFAULTS.keepAliveMs / 1000, zero: true, unit: 's' }),
    maxCharge: num(0, 10000, { default: SESSY_UNIT_LIMITS.maxChargeW, unit: 'W' }),
    maxDischarge: num(0, 10000, { default: SESSY_UNIT_LIMITS.maxDischargeW, unit: 'W' }),
    startupWait: num(0, 3600, { default: SESSY_DEFAULTS.startupS, unit: 's' }),
    commandTimeout: num(10, 86400, { default: 0, zero: true, unit: 's' }),
    pvSign: oneOf([1, -1], 1),
    restoreStrategy: bool(true),
    ensureApi: bool(true),
    yieldToConnect: bool(true),
    raw: bool(false),
  },
};

/** {kind: "battery-strategy", strategy} */
export const batteryStrategyCommandSchema: SchemaObject = {
  $id: 'home-energy/battery-strategy',
  type: 'object',
  required: ['kind', 'strategy'],
  properties: {
    kind: { const: 'battery-strategy' },
    strategy: { type: 'string', minLength: 1 },
    serial: { type: 'string' },
    reason: { type: 'string' },
  },
  additionalProperties: false,
};

/** {kind: "battery-settings", settings: {...}} */
export const batterySettingsCommandSchema: SchemaObject = {
  $id: 'home-energy/battery-settings',
  type: 'object',
  required: ['kind', 'settings'],
  properties: {
    kind: { const: 'battery-settings' },
    settings: { type: 'object' },
    serial: { type: 'string' },
    reason: { type: 'string' },
  },
  additionalProperties: false,
};

const checkStrategy = validator(batteryStrategyCommandSchema, 'payload');
const checkSettings = validator(batterySettingsCommandSchema, 'payload');
const checkRelease = validator(batteryReleaseSchema, 'payload');

export type BatteryCommand =
  | SetpointCommand
  | { type: 'strategy'; strategy: SessyStrategy; serial?: string }
  | { type: 'settings'; settings: Record<string, unknown>; serial?: string }
  /** Hand the unit back: the strategy found before API, else 0 W (SessyBattery.release()). */
  | { type: 'release'; serial?: string; reason?: string }
  | { type: 'refresh' };

const isObj = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/** Reads one input message into a command, or an error text naming the field. */
export function parseBatteryCommand(msg: { topic?: unknown; payload?: unknown }): { command: BatteryCommand } | { error: string } {
  const p = msg.payload;
  const topic = typeof msg.topic === 'string' ? msg.topic.trim().toLowerCase() : '';
  if (isObj(p) && 'kind' in p) {
    switch (p.kind) {
      case 'battery-setpoint':
        return setpointFromObject(p);
      case 'battery-strategy': {
        const e = checkStrategy(p);
        if (e) return { error: e };
        const s = parseStrategy(p.strategy);
        if (!s) return { error: `payload.strategy: must be one of ${STRATEGY_NAMES_TEXT} (got ${JSON.stringify(p.strategy)})` };
        return { command: { type: 'strategy', strategy: s, serial: p.serial as string | undefined } };
      }
      case 'battery-settings': {
        const e = checkSettings(p) ?? checkSettingsChange(p.settings);
        if (e) return { error: e };
        return { command: { type: 'settings', settings: p.settings as Record<string, unknown>, serial: p.serial as string | undefined } };
      }
      case 'battery-release': {
        const e = checkRelease(p);
        if (e) return { error: e };
        return { command: { type: 'release', serial: p.serial as string | undefined, reason: p.reason as string | undefined } };
      }
      default:
        return { error: `payload.kind: must be one of "battery-setpoint", "battery-strategy", "battery-settings", "battery-release" (got ${typeof p.kind === 'string' ? JSON.stringify(p.kind) : describeValue(p.kind)})` };
    }
  }
  if (topic === 'setpoint') return setpointFromValue(p);
  if (topic === 'strategy') {
    const s = parseStrategy(p);
    if (!s) return { error: `msg.payload: must be one of ${STRATEGY_NAMES_TEXT} with topic "strategy", got ${describeValue(p)}` };
    return { command: { type: 'strategy', strategy: s } };
  }
  if (topic === 'release') return { command: { type: 'release' } };
  if (topic === 'refresh') return { command: { type: 'refresh' } };
  return {
    error: `msg.payload: must be a command object with kind "battery-setpoint", "battery-strategy", "battery-settings" or "battery-release", or a value with msg.topic "setpoint", "strategy", "release" or "refresh" (got ${isObj(p) ? 'an object without kind' : describeValue(p)}${topic ? `, topic "${topic}"` : ''})`,
  };
}

const readDongle = configReader<{ host: string; pollInterval: number; timeout: number }>(sessyDongleConfigSchema);
const readBattery = configReader<{
  keepAlive: number;
  maxCharge: number;
  maxDischarge: number;
  startupWait: number;
  commandTimeout: number;
  pvSign: 1 | -1;
  restoreStrategy: boolean;
  ensureApi: boolean;
  yieldToConnect: boolean;
}>(sessyBatteryConfigSchema);

export interface SessyDongleConfig {
  host?: string;
  pollInterval?: number | string;
  timeout?: number | string;
}

/** Dongle config → checked numbers (s → ms). Error text names the field. */
export function dongleSettings(c: SessyDongleConfig): { host: string; pollMs: number; timeoutMs: number } | { error: string } {
  const r = readDongle(c);
  if (!r.ok) return { error: r.error };
  return { host: r.config.host, pollMs: Math.round(r.config.pollInterval * 1000), timeoutMs: Math.round(r.config.timeout * 1000) };
}

export interface SessyBatteryNodeConfig {
  dongle?: string;
  keepAlive?: number | string;
  maxCharge?: number | string;
  maxDischarge?: number | string;
  startupWait?: number | string;
  commandTimeout?: number | string;
  pvSign?: number | string;
  restoreStrategy?: boolean;
  ensureApi?: boolean;
  yieldToConnect?: boolean;
  raw?: boolean;
}

/** Battery node config → SessyBatteryOptions (without client, clock, poll period). */
export function batteryOptions(c: SessyBatteryNodeConfig): SessyBatteryOptions | { error: string } {
  const r = readBattery(c);
  if (!r.ok) return { error: r.error };
  const o = r.config;
  return {
    keepAliveMs: Math.round(o.keepAlive * 1000),
    maxChargeW: o.maxCharge,
    maxDischargeW: o.maxDischarge,
    startupS: o.startupWait,
    commandTimeoutMs: Math.round(o.commandTimeout * 1000),
    pvSign: o.pvSign,
    restoreStrategy: o.restoreStrategy,
    ensureApi: o.ensureApi,
    yieldToConnect: o.yieldToConnect,
  };
}
