export { peakConfigSchema as configSchema } from '../../lib/control/peak-shaving/config';
