/** The ksem-meter config schema (lib/devices/ksem/config.ts): the runtime reads with it, the build hands it to the editor. */
export { ksemMeterConfigSchema as configSchema } from '../../lib/devices/ksem/config';
