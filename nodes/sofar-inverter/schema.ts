/** The sofar-inverter config schema (the build injects it into the editor; the runtime reads the config with it). */
export { sofarConfigSchema as configSchema } from '../../lib/devices/sofar/config';
