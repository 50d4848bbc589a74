export { tariffConfigSchema as configSchema } from '../../lib/tariff/config';
