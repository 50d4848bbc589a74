/** ha-entities node configuration (as the editor saves it); the runtime reads it with configReader. */
import { int, text, type ConfigSchema } from '../api/config';

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
