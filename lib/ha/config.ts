/** ha-entities node configuration (as the editor saves it); the runtime reads it with configReader. */
import { int, oneOf, text, type ConfigSchema } from '../api/config';

export const haEntitiesConfigSchema: ConfigSchema = {
  type: 'object',
  required: ['server'],
  properties: {
    server: text(),
    /** HA device name for every payload of this node (else the serial, the topic or the kind names it). */
    device: text({ empty: true }),
    /** State updates per device at most this often, s (0 = every reading). */
    interval: int(0, 3600, { default: 5, zero: true, unit: 's' }),
    /** A device silent this long goes unavailable in HA, s (0 = never). */
    offlineAfter: int(10, 86400, { default: 120, zero: true, unit: 's' }),
  },
};

export interface HaEntitiesConfig {
  server: string;
  device?: string;
  interval: number;
  offlineAfter: number;
}

/** ha-state node configuration. */
export const haStateConfigSchema: ConfigSchema = {
  type: 'object',
  required: ['server', 'entity'],
  properties: {
    server: text(),
    /** One HA entity id, e.g. sensor.grid_power. */
    entity: text({ pattern: '^[a-z0-9_]+\\.[a-z0-9_]+$' }),
    /** prices, pv-forecast: read the entity's attributes (lib/ha/forecasts.ts), not its state. */
    as: oneOf(['grid', 'power', 'soc', 'number', 'text', 'prices', 'pv-forecast'], 'grid'),
    topic: text({ empty: true }),
    /** 1: the sensor's + is import (our convention); -1: the sensor's + is export. */
    sign: oneOf([1, -1], 1),
    /** No change from HA for this long → stale in the status, s (0 = off). */
    staleAfter: int(1, 86400, { default: 300, zero: true, unit: 's' }),
  },
};

export interface HaStateConfig {
  server: string;
  entity: string;
  as: 'grid' | 'power' | 'soc' | 'number' | 'text' | 'prices' | 'pv-forecast';
  topic?: string;
  sign: 1 | -1;
  staleAfter: number;
}
