/** The ha-mqtt config schema (lib/ha/mqtt.ts): the runtime reads with it, the build hands it to the editor. */
export { haMqttConfigSchema as configSchema } from '../../lib/ha/mqtt';
