export { evConfigSchema as configSchema } from '../../lib/control/ev-charging/config';
