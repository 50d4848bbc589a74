/** The sessy-dongle config node's schema (runtime reader and editor validators, lib/api/config.ts). */
export { sessyDongleConfigSchema as configSchema } from '../../lib/devices/sessy/commands';
