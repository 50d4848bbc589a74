/**
 * What the sessy-dongle and sessy-battery nodes accept: their configuration (as the editor saves it)
 * and the commands arriving on the battery node's input. Checked here, before anything goes on the
 * wire; every error names the field (DESIGN.md §2, house rule 6).
 */
import type { SchemaObject } from 'ajv';
import { setpointFromObject, setpointFromValue, type SetpointCommand } from '../../api/battery-setpoint';
import { batteryReleaseSchema } from '../../api/schemas';
import { validator } from '../../api/validate';
import type { SessyBatteryOptions } from './battery';
import { SESSY_DEFAULTS, STRATEGY_NAMES_TEXT, parseStrategy, type SessyStrategy } from './descriptor';
import { checkSettingsChange } from './settings';

const numOrText = { type: ['number', 'string'] };

/** sessy-dongle config node. */
export const sessyDongleConfigSchema: SchemaObject = {
  type: 'object',
  required: ['host'],
  properties: {
    host: { type: 'string', minLength: 1, pattern: '\\S' },
    pollInterval: numOrText,
    timeout: numOrText,
  },
};

/** sessy-battery node. */
export const sessyBatteryConfigSchema: SchemaObject = {
  type: 'object',
  required: ['dongle'],
  properties: {
    dongle: { type: 'string', minLength: 1 },
    keepAlive: numOrText,
    maxCharge: numOrText,
    maxDischarge: numOrText,
    startupWait: numOrText,
    commandTimeout: numOrText,
    pvSign: { enum: [1, -1, '1', '-1'] },
    restoreStrategy: { type: 'boolean' },
    ensureApi: { type: 'boolean' },
    yieldToConnect: { type: 'boolean' },
    raw: { type: 'boolean' },
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
const checkDongle = validator(sessyDongleConfigSchema, 'config');
const checkBattery = validator(sessyBatteryConfigSchema, 'config');

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
        return { error: `payload.kind: must be one of "battery-setpoint", "battery-strategy", "battery-settings", "battery-release" (got ${JSON.stringify(p.kind)})` };
    }
  }
  if (topic === 'setpoint') return setpointFromValue(p);
  if (topic === 'strategy') {
    const s = parseStrategy(p);
    if (!s) return { error: `msg.payload: must be one of ${STRATEGY_NAMES_TEXT} with topic "strategy" (got ${JSON.stringify(p) ?? typeof p})` };
    return { command: { type: 'strategy', strategy: s } };
  }
  if (topic === 'release') return { command: { type: 'release' } };
  if (topic === 'refresh') return { command: { type: 'refresh' } };
  return {
    error: `msg.payload: must be a command object with kind "battery-setpoint", "battery-strategy", "battery-settings" or "battery-release", or a value with msg.topic "setpoint", "strategy", "release" or "refresh" (got ${isObj(p) ? 'an object without kind' : typeof p}${topic ? `, topic "${topic}"` : ''})`,
  };
}

const num = (v: unknown, fallback: number): number => {
  if (v === '' || v === undefined || v === null) return fallback;
  const n = Number(v);
  return Number.isFinite(n) ? n : NaN;
};

export interface SessyDongleConfig {
  host?: string;
  pollInterval?: number | string;
  timeout?: number | string;
}

/** Dongle config → checked numbers (s → ms). Error text names the field. */
export function dongleSettings(c: SessyDongleConfig): { host: string; pollMs: number; timeoutMs: number } | { error: string } {
  const e = checkDongle(c);
  if (e) return { error: e };
  const poll = num(c.pollInterval, SESSY_DEFAULTS.pollMs / 1000);
  if (!(poll >= 1 && poll <= 3600)) return { error: `config.pollInterval: must be 1–3600 s (got ${JSON.stringify(c.pollInterval)})` };
  const timeout = num(c.timeout, SESSY_DEFAULTS.timeoutMs / 1000);
  if (!(timeout >= 0.5 && timeout <= 60)) return { error: `config.timeout: must be 0.5–60 s (got ${JSON.stringify(c.timeout)})` };
  return { host: String(c.host).trim(), pollMs: Math.round(poll * 1000), timeoutMs: Math.round(timeout * 1000) };
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
  const e = checkBattery(c);
  if (e) return { error: e };
  const keep = num(c.keepAlive, SESSY_DEFAULTS.keepAliveMs / 1000);
  if (!(keep === 0 || (keep >= 1 && keep <= 3600))) return { error: `config.keepAlive: must be 0 (off) or 1–3600 s (got ${JSON.stringify(c.keepAlive)})` };
  const maxCharge = num(c.maxCharge, SESSY_DEFAULTS.maxChargeW);
  if (!(maxCharge >= 0 && maxCharge <= 10000)) return { error: `config.maxCharge: must be 0–10000 W (got ${JSON.stringify(c.maxCharge)})` };
  const maxDischarge = num(c.maxDischarge, SESSY_DEFAULTS.maxDischargeW);
  if (!(maxDischarge >= 0 && maxDischarge <= 10000)) return { error: `config.maxDischarge: must be 0–10000 W (got ${JSON.stringify(c.maxDischarge)})` };
  const startup = num(c.startupWait, SESSY_DEFAULTS.startupS);
  if (!(startup >= 0 && startup <= 3600)) return { error: `config.startupWait: must be 0–3600 s (got ${JSON.stringify(c.startupWait)})` };
  const cmdTimeout = num(c.commandTimeout, 0);
  if (!(cmdTimeout === 0 || (cmdTimeout >= 10 && cmdTimeout <= 86400))) return { error: `config.commandTimeout: must be 0 (off) or 10–86400 s (got ${JSON.stringify(c.commandTimeout)})` };
  return {
    keepAliveMs: Math.round(keep * 1000),
    maxChargeW: maxCharge,
    maxDischargeW: maxDischarge,
    startupS: startup,
    commandTimeoutMs: Math.round(cmdTimeout * 1000),
    pvSign: Number(c.pvSign ?? 1) === -1 ? -1 : 1,
    restoreStrategy: c.restoreStrategy !== false,
    ensureApi: c.ensureApi !== false,
    yieldToConnect: c.yieldToConnect !== false,
  };
}
