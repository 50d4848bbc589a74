/** The enector-charger node's configuration: one schema for the runtime and the editor (lib/api/config.ts). */
import { bool, int, num, oneOf, text, type ConfigSchema } from '../../api/config';
import { ENECTOR_DEFAULTS } from './descriptor';
import type { EnectorOptions } from './driver';
import type { KsemRestOptions } from './ksem-rest';

export const enectorConfigSchema: ConfigSchema = {
  type: 'object',
  properties: {
    topology: oneOf(['direct', 'ksem'], 'direct'),
    link: text({ empty: true }),
    url: text({ empty: true, pattern: '^(https?://)?[A-Za-z0-9._:\\[\\]-]+(:\\d+)?/?$' }),
    tlsTrust: oneOf(['verify', 'insecure', 'fingerprint'], 'verify'),
    fingerprint: text({ empty: true, pattern: '^([0-9A-Fa-f]{2}:?){32}$' }),
    unit: int(1, 247, { default: ENECTOR_DEFAULTS.unit }),
    wordOrder: oneOf(['auto', 'be', 'le'], 'auto'),
    heartbeat: num(ENECTOR_DEFAULTS.heartbeatMinMs / 1000, ENECTOR_DEFAULTS.heartbeatMaxMs / 1000, { default: ENECTOR_DEFAULTS.heartbeatMs / 1000, unit: 's' }),
    pollInterval: num(1, 60, { default: ENECTOR_DEFAULTS.pollMs / 1000, unit: 's' }),
    maxCurrent: num(6, 63, { empty: true, unit: 'A' }),
    allowPhaseSwitching: bool(false),
    phasePause: int(0, 1200, { default: ENECTOR_DEFAULTS.phaseSwitchPauseS, unit: 's' }),
    onClose: oneOf(['fallback', 'pause'], 'fallback'),
    staleAfter: num(1, 3600, { zero: true, default: 0, unit: 's' }),
    topic: text({ empty: true }),
  },
  allOf: [
    { if: { properties: { topology: { const: 'direct' } } }, then: { required: ['link'], properties: { link: { minLength: 1 } } } },
    { if: { properties: { topology: { const: 'ksem' } } }, then: { required: ['url'], properties: { url: { minLength: 1 } } } },
  ],
};

export interface EnectorNodeConfig {
  topology: 'direct' | 'ksem';
  link?: string;
  url?: string;
  tlsTrust: 'verify' | 'insecure' | 'fingerprint';
  fingerprint?: string;
  unit: number;
  wordOrder: 'auto' | 'be' | 'le';
  heartbeat: number;
  pollInterval: number;
  maxCurrent?: number;
  allowPhaseSwitching: boolean;
  phasePause: number;
  onClose: 'fallback' | 'pause';
  staleAfter: number;
  topic?: string;
}

/** Driver options from a read config (without the link). */
export function driverOptions(c: EnectorNodeConfig): Omit<EnectorOptions, 'link'> {
  return {
    unit: c.unit,
    wordOrder: c.wordOrder,
    heartbeatMs: c.heartbeat * 1000,
    pollMs: c.pollInterval * 1000,
    installationMaxA: c.maxCurrent,
    allowPhaseSwitching: c.allowPhaseSwitching,
    phaseSwitchPauseS: c.phasePause,
    onClose: c.onClose,
  };
}

/** KSEM REST client options from a read config and the node's password credential. */
export function ksemOptions(c: EnectorNodeConfig, password: string | undefined): KsemRestOptions {
  if (!password) throw new Error('credentials.password: the KSEM device password is required behind a KSEM');
  return {
    url: c.url!,
    password,
    ...(c.tlsTrust === 'insecure' ? { tls: { insecure: true } } : c.tlsTrust === 'fingerprint' ? { tls: { fingerprint256: c.fingerprint } } : {}),
  };
}
