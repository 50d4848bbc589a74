/** The ha-server config schema (lib/ha/ws.ts): the runtime reads with it, the build hands it to the editor. */
export { haServerConfigSchema as configSchema } from '../../lib/ha/ws';
