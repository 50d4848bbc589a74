export { scheduleConfigSchema as configSchema } from '../../lib/control/schedule/config';
