/**
 * The ksem-meter node's saved settings (version 1) → poller / push-receiver options. Pure, so the
 * node stays thin and tests need no Node-RED.
 */
import type { SchemaObject } from 'ajv';
import { configNumber as num } from '../../util/config-number';
import { KSEM_DEFAULTS } from './descriptor';
import type { KsemLayout, KsemPollerOptions } from './poller';
import { PUSH_DEFAULTS, type KsemPushReceiverOptions } from './push-receiver';

export interface KsemMeterConfig {
  name?: string;
  topic?: string;
  mode: 'poll' | 'push';
  /** poll: id of a modbus-link config node. */
  link?: string;
  unit?: number | string;
  pollInterval?: number | string;
  layout?: KsemLayout;
  /** push: listen address and port, unit id filter ('' = any). */
  listenHost?: string;
  listenPort?: number | string;
  pushUnit?: number | string;
  staleAfter?: number | string;
  raw?: boolean;
  version?: number;
}

const intOrEmpty = (min: number, max: number) => ({ anyOf: [{ type: 'integer', minimum: min, maximum: max }, { type: 'string', pattern: '^\\s*(\\d+)?\\s*$' }] });
const numOrEmpty = (min: number) => ({ anyOf: [{ type: 'number', minimum: min }, { type: 'string', pattern: '^\\s*(\\d+(\\.\\d+)?)?\\s*$' }] });

export const ksemMeterConfigSchema: SchemaObject = {
  type: 'object',
  required: ['mode'],
  properties: {
    mode: { enum: ['poll', 'push'] },
    link: { type: 'string' },
    unit: intOrEmpty(0, 255),
    pollInterval: numOrEmpty(0.1),
    layout: { enum: ['auto', 'native', 'sunspec'] },
    listenHost: { type: 'string' },
    listenPort: intOrEmpty(1, 65535),
    pushUnit: intOrEmpty(0, 255),
    staleAfter: numOrEmpty(0),
    raw: { type: 'boolean' },
  },
  allOf: [
    { if: { properties: { mode: { const: 'poll' } } }, then: { required: ['link'], properties: { link: { minLength: 1 } } } },
  ],
};

export function pollerOptions(c: KsemMeterConfig): KsemPollerOptions {
  return {
    unit: num(c.unit) ?? KSEM_DEFAULTS.unitId,
    pollMs: Math.round((num(c.pollInterval) ?? KSEM_DEFAULTS.pollMs / 1000) * 1000),
    layout: c.layout ?? 'auto',
  };
}

export function receiverOptions(c: KsemMeterConfig): KsemPushReceiverOptions {
  return {
    host: (c.listenHost ?? '').trim() || PUSH_DEFAULTS.host,
    port: num(c.listenPort) ?? PUSH_DEFAULTS.port,
    unitId: num(c.pushUnit),
  };
}

/** Reading age after which the status turns stale, ms: the setting, else 3 periods (at least 3 s). */
export function staleMs(c: KsemMeterConfig, observedIntervalMs = 0): number {
  const fixed = num(c.staleAfter);
  if (fixed && fixed > 0) return fixed * 1000;
  const period = c.mode === 'poll' ? pollerOptions(c).pollMs! : observedIntervalMs || 1000;
  return Math.max(3000, 3 * period);
}
