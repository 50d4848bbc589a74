/** The ha-state config schema (lib/ha/config.ts): the runtime reads with it, the build hands it to the editor. */
export { haStateConfigSchema as configSchema } from '../../lib/ha/config';
