/** The zero-export node's config schema (editor validators and defaults, runtime reader): lib/control/zero-export/config.ts. */
export { zeroExportConfigSchema as configSchema } from '../../lib/control/zero-export/config';
