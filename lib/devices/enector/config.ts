/** The enector-charger node's configuration: one schema for the runtime and the editor (lib/api/config.ts). */
import { bool, int, num, oneOf, text, type ConfigSchema } from '../../api/config';
import { ENECTOR_DEFAULTS } from './descriptor';
import type { EnectorOptions } from './driver';

export const enectorConfigSchema: ConfigSchema = {
  type: 'object',
  properties: {
    topology: oneOf(['direct'], 'direct'),
    link: text(),
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
  required: ['link'],
};

export interface EnectorNodeConfig {
  topology: 'direct';
  link: string;
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
