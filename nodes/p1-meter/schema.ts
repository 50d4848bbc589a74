export { p1ConfigSchema as configSchema } from '../../lib/devices/p1/config';
