/**
 * The `modbus-link` config node's saved settings → endpoint and link options. Pure functions, so
 * the node file stays thin and tests need no Node-RED.
 */
import { configNumber as num } from '../../util/config-number';
import type { ModbusEndpoint, ModbusLinkOptions } from './types';

export type TlsTrust = 'verify' | 'ca' | 'fingerprint' | 'insecure';

/** As the editor saves it (version 1). Numbers may be strings; '' means "default". */
export interface ModbusLinkConfig {
  name?: string;
  transport: 'tcp' | 'tls' | 'rtu' | 'rtu-over-tcp';
  host?: string;
  port?: number | string;
  serialPort?: string;
  baud?: number | string;
  parity?: 'none' | 'even' | 'odd';
  dataBits?: number | string;
  stopBits?: number | string;
  tlsTrust?: TlsTrust;
  tlsCa?: string;
  tlsFingerprint?: string;
  /** Client certificate (PEM) for mutual TLS; its key is a credential. */
  tlsCert?: string;
  timeout?: number | string;
  interRequestDelay?: number | string;
  connectDelay?: number | string;
  maxQueue?: number | string;
  version?: number;
}

export interface ModbusLinkCredentials {
  tlsKey?: string;
}

export const DEFAULT_PORTS = { tcp: 502, tls: 802, 'rtu-over-tcp': 502 } as const;

export function endpointFromConfig(c: ModbusLinkConfig, creds: ModbusLinkCredentials = {}): ModbusEndpoint {
  if (c.transport === 'rtu') {
    return {
      transport: 'rtu',
      path: String(c.serialPort ?? '').trim(),
      baudRate: num(c.baud) ?? 9600,
      parity: c.parity ?? 'none',
      dataBits: num(c.dataBits) === 7 ? 7 : 8,
      stopBits: num(c.stopBits) === 2 ? 2 : 1,
    };
  }
  const e: ModbusEndpoint = {
    transport: c.transport,
    host: String(c.host ?? '').trim(),
    port: num(c.port) ?? DEFAULT_PORTS[c.transport],
  };
  if (c.transport === 'tls') {
    const trust = c.tlsTrust ?? 'verify';
    e.tls = {};
    if (trust === 'ca') e.tls.ca = c.tlsCa;
    if (trust === 'fingerprint') e.tls.fingerprint256 = String(c.tlsFingerprint ?? '').trim();
    if (trust === 'insecure') e.tls.insecure = true;
    if (c.tlsCert && c.tlsCert.trim() && creds.tlsKey) {
      e.tls.cert = c.tlsCert;
      e.tls.key = creds.tlsKey;
    }
  }
  return e;
}

export function optionsFromConfig(c: ModbusLinkConfig): ModbusLinkOptions {
  const o: ModbusLinkOptions = {};
  const timeout = num(c.timeout);
  const ird = num(c.interRequestDelay);
  const cd = num(c.connectDelay);
  const mq = num(c.maxQueue);
  if (timeout !== undefined) o.timeoutMs = timeout;
  if (ird !== undefined) o.interRequestDelayMs = ird;
  if (cd !== undefined) o.connectDelayMs = cd;
  if (mq !== undefined) o.maxQueue = mq;
  return o;
}
