export { plannerConfigSchema as configSchema } from '../../lib/control/planner/inputs';
