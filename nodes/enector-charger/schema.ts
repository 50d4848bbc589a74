export { enectorConfigSchema as configSchema } from '../../lib/devices/enector/config';
