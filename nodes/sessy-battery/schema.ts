/** The sessy-battery node's config schema (runtime reader and editor validators, lib/api/config.ts). */
export { sessyBatteryConfigSchema as configSchema } from '../../lib/devices/sessy/commands';
