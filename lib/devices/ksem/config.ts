/**
 * The ksem-meter node's settings: its one config schema (lib/api/config.ts; the editor's validators
 * come from the same schema, nodes/ksem-meter/schema.ts) and the mapping from a read config to
 * poller / push-receiver options. Pure, so the node stays thin and tests need no Node-RED.
 */
import * as net from 'node:net';
import { bool, configReader, int, num, oneOf, text, type ConfigResult, type ConfigSchema } from '../../api/config';
import { KSEM_DEFAULTS } from './descriptor';
import type { KsemLayout, KsemPollerOptions } from './poller';
import { PUSH_DEFAULTS, type KsemPushReceiverOptions } from './push-receiver';

/** A config as the reader returns it (numbers are numbers; empty optional fields are absent). */
export interface KsemMeterConfig {
  name?: string;
  topic: string;
  mode: 'poll' | 'push';
  /** poll: id of a modbus-link config node. */
  link?: string;
  unit: number;
  /** s */
  pollInterval: number;
  layout: KsemLayout;
  /** push: listen address and port, clients allowed, unit id filter (absent = any). */
  listenHost: string;
  listenPort: number;
  allowFrom?: string;
  pushUnit?: number;
  /** s; absent or 0 = automatic. */
  staleAfter?: number;
  raw: boolean;
  version?: number;
}

/** A list of IPv4 / IPv6 addresses separated by commas or spaces (checked one by one below). */
const ADDRESS_LIST = '^[\\s,]*[0-9A-Fa-f:.]+([\\s,]+[0-9A-Fa-f:.]+)*[\\s,]*$';

export const ksemMeterConfigSchema: ConfigSchema = {
  type: 'object',
  required: ['mode'],
  properties: {
    name: text({ empty: true }),
    topic: text({ default: 'ksem' }),
    mode: oneOf(['poll', 'push'], 'poll'),
    link: text({ empty: true }),
    unit: int(0, 255, { default: KSEM_DEFAULTS.unitId }),
    pollInterval: num(0.1, 3600, { default: KSEM_DEFAULTS.pollMs / 1000, unit: 's' }),
    layout: oneOf(['auto', 'native', 'sunspec'], 'auto'),
    listenHost: text({ default: PUSH_DEFAULTS.host, pattern: '^[0-9A-Fa-f:.]+$' }),
    listenPort: int(1, 65535, { default: PUSH_DEFAULTS.port }),
    allowFrom: text({ empty: true, pattern: ADDRESS_LIST, description: "IP addresses allowed to push (the KSEM's); empty: this machine only" }),
    pushUnit: int(0, 255, { empty: true }),
    staleAfter: num(0.5, 86400, { empty: true, zero: true, unit: 's' }),
    raw: bool(false),
    version: int(1, 1000, { empty: true }),
  },
  allOf: [{ if: { properties: { mode: { const: 'poll' } } }, then: { required: ['link'] } }],
};

const read = configReader<KsemMeterConfig>(ksemMeterConfigSchema);

/** The addresses of the allow-list setting. */
export function allowList(text: string | undefined): string[] {
  return (text ?? '').split(/[\s,]+/).filter(Boolean);
}

/** Reads the saved config: schema first, then what a schema cannot say (each allowed entry an IP address). */
export function readKsemConfig(raw: unknown): ConfigResult<KsemMeterConfig> {
  const r = read(raw);
  if (!r.ok) return r;
  if (!net.isIP(r.config.listenHost)) return { ok: false, error: `config.listenHost: ${JSON.stringify(r.config.listenHost)} is not an IP address` };
  const bad = allowList(r.config.allowFrom).find((a) => !net.isIP(a));
  if (bad !== undefined) return { ok: false, error: `config.allowFrom: ${JSON.stringify(bad)} is not an IP address` };
  return r;
}

export function pollerOptions(c: KsemMeterConfig): KsemPollerOptions {
  return { unit: c.unit, pollMs: Math.round(c.pollInterval * 1000), layout: c.layout };
}

export function receiverOptions(c: KsemMeterConfig): KsemPushReceiverOptions {
  return { host: c.listenHost, port: c.listenPort, unitId: c.pushUnit, allowFrom: allowList(c.allowFrom) };
}

/** The expected update interval, ms: the poll period, or the KSEM's push period (1 s). */
export function expectedIntervalMs(c: KsemMeterConfig): number {
  return c.mode === 'poll' ? pollerOptions(c).pollMs! : KSEM_DEFAULTS.pollMs;
}
