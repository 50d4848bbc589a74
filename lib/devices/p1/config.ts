/** The p1-meter node's configuration: one schema for the runtime and the editor (lib/api/config.ts). */
import { bool, int, num, oneOf, text, type ConfigSchema } from '../../api/config';
import { p1Descriptor } from './descriptor';
import type { P1SourceConfig } from './source';

export const p1ConfigSchema: ConfigSchema = {
  type: 'object',
  properties: {
    source: oneOf(['serial', 'tcp', 'sessy', 'input'], 'tcp'),
    serialPort: text({ empty: true }),
    baud: oneOf(['auto', '115200', '9600', 115200, 9600], 'auto'),
    framing: oneOf(['8N1', '7E1'], '8N1'),
    host: text({ empty: true }),
    port: int(1, 65535, { default: p1Descriptor.defaults.tcpPort as number }),
    url: text({ empty: true }),
    pollInterval: num(0.2, 3600, { default: 2, unit: 's' }),
    staleAfter: num(0.1, 86400, { empty: true, zero: true, unit: 's', description: 'empty or 0: automatic (two telegram intervals, at least 3 s)' }),
    raw: bool(false),
    capacity: bool(true),
    topic: text({ default: 'p1' }),
  },
  required: ['source'],
  allOf: [
    { if: { properties: { source: { const: 'serial' } } }, then: { required: ['serialPort'], properties: { serialPort: { minLength: 1 } } } },
    { if: { properties: { source: { const: 'tcp' } } }, then: { required: ['host'], properties: { host: { minLength: 1 } } } },
    { if: { properties: { source: { const: 'sessy' } } }, then: { required: ['url'], properties: { url: { minLength: 1 } } } },
  ],
};

export interface P1NodeConfig {
  source: 'serial' | 'tcp' | 'sessy' | 'input';
  serialPort?: string;
  baud: 'auto' | '115200' | '9600' | 115200 | 9600;
  framing: '8N1' | '7E1';
  host?: string;
  port: number;
  url?: string;
  pollInterval: number;
  staleAfter?: number;
  raw: boolean;
  capacity: boolean;
  topic: string;
}

/** The P1Source configuration of a read node config (credentials for the Sessy dongle). */
export function sourceConfig(c: P1NodeConfig, creds: Record<string, string | undefined> = {}): P1SourceConfig {
  switch (c.source) {
    case 'serial':
      return { type: 'serial', path: c.serialPort ?? '', baudRate: c.baud === 'auto' ? 'auto' : Number(c.baud), framing: c.framing };
    case 'tcp':
      return { type: 'tcp', host: c.host ?? '', port: c.port };
    case 'sessy':
      return { type: 'sessy', url: c.url ?? '', user: creds.user || undefined, password: creds.password || undefined, pollMs: Math.round(c.pollInterval * 1000) };
    default:
      return { type: 'input' };
  }
}

/** The update interval expected before any is measured, ms (the poll interval, or the meter's period). */
export function expectedIntervalMs(c: P1NodeConfig): number {
  return c.source === 'sessy' ? c.pollInterval * 1000 : (p1Descriptor.defaults.periodMs as number);
}
