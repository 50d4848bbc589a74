/**
 * The `modbus-link` config node's settings: its one config schema (lib/api/config.ts; the editor's
 * validators come from the same schema, nodes/modbus-link/schema.ts) and the mapping from a read
 * config to an endpoint and link options. Pure, so the node file stays thin and tests need no
 * Node-RED.
 */
import { configReader, int, oneOf, text, type ConfigSchema } from '../../api/config';
import { endpointProblem } from './link';
import { normalizePem } from './pem';
import type { ModbusEndpoint, ModbusLinkOptions } from './types';

export type TlsTrust = 'verify' | 'ca' | 'fingerprint' | 'insecure';

/** A config as configReader returns it (numbers are numbers; empty optional fields are absent). */
export interface ModbusLinkConfig {
  name?: string;
  transport: 'tcp' | 'tls' | 'rtu' | 'rtu-over-tcp';
  host?: string;
  port?: number;
  serialPort?: string;
  baud?: number;
  parity?: 'none' | 'even' | 'odd';
  dataBits?: 7 | 8;
  stopBits?: 1 | 2;
  tlsTrust?: TlsTrust;
  tlsCa?: string;
  tlsFingerprint?: string;
  /** Client certificate (PEM) for mutual TLS; its key is a credential. */
  tlsCert?: string;
  timeout?: number;
  interRequestDelay?: number;
  connectDelay?: number;
  maxQueue?: number;
  version?: number;
}

export interface ModbusLinkCredentials {
  /** Client key (PEM), from the multi-line credential field. */
  tlsKey?: string;
}

export const DEFAULT_PORTS = { tcp: 502, tls: 802, 'rtu-over-tcp': 502 } as const;

const NET = ['tcp', 'tls', 'rtu-over-tcp'];
const FINGERPRINT = '^\\s*([0-9A-Fa-f]{2}:?){31}[0-9A-Fa-f]{2}\\s*$';

/** The modbus-link config schema (runtime and editor). */
export const modbusLinkConfigSchema: ConfigSchema = {
  type: 'object',
  required: ['transport'],
  properties: {
    name: text({ empty: true }),
    transport: oneOf(['tcp', 'tls', 'rtu', 'rtu-over-tcp']),
    host: text({ empty: true, pattern: '\\S' }),
    // Empty: 502, or 802 for TLS.
    port: int(1, 65535, { empty: true }),
    serialPort: text({ empty: true, pattern: '\\S' }),
    baud: int(50, 4_000_000, { default: 9600, unit: 'baud' }),
    parity: oneOf(['none', 'even', 'odd'], 'none'),
    dataBits: oneOf([7, 8], 8),
    stopBits: oneOf([1, 2], 1),
    tlsTrust: oneOf(['verify', 'ca', 'fingerprint', 'insecure'], 'verify'),
    tlsCa: text({ empty: true, pattern: '-----BEGIN CERTIFICATE-----' }),
    tlsFingerprint: text({ empty: true, pattern: FINGERPRINT }),
    tlsCert: text({ empty: true, pattern: '-----BEGIN CERTIFICATE-----' }),
    timeout: int(1, 600_000, { default: 1000, unit: 'ms' }),
    interRequestDelay: int(0, 60_000, { empty: true, unit: 'ms' }),
    connectDelay: int(0, 60_000, { empty: true, unit: 'ms' }),
    maxQueue: int(1, 10_000, { empty: true }),
    version: int(1, 1000, { empty: true }),
  },
  allOf: [
    { if: { properties: { transport: { enum: NET } } }, then: { required: ['host'] } },
    { if: { properties: { transport: { const: 'rtu' } } }, then: { required: ['serialPort'] } },
    { if: { properties: { transport: { const: 'tls' }, tlsTrust: { const: 'fingerprint' } }, required: ['tlsTrust'] }, then: { required: ['tlsFingerprint'] } },
    { if: { properties: { transport: { const: 'tls' }, tlsTrust: { const: 'ca' } }, required: ['tlsTrust'] }, then: { required: ['tlsCa'] } },
  ],
};

export function endpointFromConfig(c: ModbusLinkConfig, creds: ModbusLinkCredentials = {}): ModbusEndpoint {
  if (c.transport === 'rtu') {
    return {
      transport: 'rtu',
      path: String(c.serialPort ?? '').trim(),
      baudRate: c.baud ?? 9600,
      parity: c.parity ?? 'none',
      dataBits: c.dataBits ?? 8,
      stopBits: c.stopBits ?? 1,
    };
  }
  const e: ModbusEndpoint = {
    transport: c.transport,
    host: String(c.host ?? '').trim(),
    port: c.port ?? DEFAULT_PORTS[c.transport],
  };
  if (c.transport === 'tls') {
    const trust = c.tlsTrust ?? 'verify';
    e.tls = {};
    if (trust === 'ca') e.tls.ca = c.tlsCa;
    if (trust === 'fingerprint') e.tls.fingerprint256 = String(c.tlsFingerprint ?? '').trim();
    if (trust === 'insecure') e.tls.insecure = true;
    // Mutual TLS: both or neither (endpointProblem says which one is missing or does not parse).
    // Line breaks lost on the way (an old one-line field) are restored.
    const key = creds.tlsKey && creds.tlsKey.trim() ? normalizePem(creds.tlsKey) : undefined;
    if (c.tlsCert) e.tls.cert = normalizePem(c.tlsCert);
    if (key) e.tls.key = key;
  }
  return e;
}

export function optionsFromConfig(c: ModbusLinkConfig): ModbusLinkOptions {
  const o: ModbusLinkOptions = {};
  if (c.timeout !== undefined) o.timeoutMs = c.timeout;
  if (c.interRequestDelay !== undefined) o.interRequestDelayMs = c.interRequestDelay;
  if (c.connectDelay !== undefined) o.connectDelayMs = c.connectDelay;
  if (c.maxQueue !== undefined) o.maxQueue = c.maxQueue;
  return o;
}

const readConfig = configReader<ModbusLinkConfig>(modbusLinkConfigSchema);

export type LinkSettings = { ok: true; config: ModbusLinkConfig; endpoint: ModbusEndpoint; options: ModbusLinkOptions } | { ok: false; error: string };

/** Saved config + credentials → endpoint and options, or the first problem (schema, then endpoint: TLS key that does not parse, …). */
export function readLinkSettings(raw: unknown, creds: ModbusLinkCredentials = {}): LinkSettings {
  const r = readConfig(raw);
  if (!r.ok) return r;
  const endpoint = endpointFromConfig(r.config, creds);
  const problem = endpointProblem(endpoint);
  if (problem) return { ok: false, error: problem };
  return { ok: true, config: r.config, endpoint, options: optionsFromConfig(r.config) };
}
