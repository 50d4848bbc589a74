/** The modbus-link config schema (lib/transport/modbus/config.ts): the runtime reads with it, the build hands it to the editor. */
export { modbusLinkConfigSchema as configSchema } from '../../lib/transport/modbus/config';
