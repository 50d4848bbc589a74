/**
 * The sofar-inverter node's configuration: one ConfigSchema (lib/api/config.ts) that the runtime
 * reads the saved config with (configReader) and the build turns into the edit dialog's validators
 * (nodes/sofar-inverter/schema.ts re-exports it). Ranges come from the descriptor's facts.
 */
import { bool, configReader, int, num, oneOf, text, type ConfigResult, type ConfigSchema } from '../../api/config';
import type { FreshnessOptions } from '../../util/freshness';
import {
  DEFAULT_SETTINGS,
  HEARTBEAT_MAX_MS,
  HEARTBEAT_MIN_MS,
  SOFAR_DEFAULTS,
  SOFAR_MAX_POWER_LIMIT_W,
  type BatteryVoltageScale,
  type CloseAction,
  type ControlPath,
  type GridRegisterType,
  type SofarSettings,
  type SofarVariant,
  type ZeroMeans,
} from './descriptor';

export const sofarConfigSchema: ConfigSchema = {
  type: 'object',
  required: ['link'],
  properties: {
    link: text({ description: 'the modbus-link config node' }),
    unit: int(1, 247, { default: SOFAR_DEFAULTS.unit }),
    pollInterval: num(1, 3600, { default: SOFAR_DEFAULTS.pollIntervalS, unit: 's' }),
    staleAfter: num(0, 86400, { empty: true, unit: 's', description: 'empty or 0 = automatic' }),
    variant: oneOf(['ctpv', 'retrofit'], DEFAULT_SETTINGS.variant),
    controlPath: oneOf(['passive', 'work-mode'], DEFAULT_SETTINGS.controlPath),
    maxPower: num(0, SOFAR_MAX_POWER_LIMIT_W, { default: DEFAULT_SETTINGS.maxPowerW, unit: 'W' }),
    zeroMeans: oneOf(['standby', 'auto'], DEFAULT_SETTINGS.zeroMeans),
    heartbeat: num(HEARTBEAT_MIN_MS / 1000, HEARTBEAT_MAX_MS / 1000, { default: DEFAULT_SETTINGS.heartbeatMs / 1000, unit: 's' }),
    resend: num(0, 600, { default: DEFAULT_SETTINGS.resendMs / 1000, unit: 's' }),
    batteryVoltageScale: oneOf(['auto', '0.1', '0.01'], DEFAULT_SETTINGS.batteryVoltageScale),
    gridRegister: oneOf(['s16', 'u16', 's32'], DEFAULT_SETTINGS.gridRegister),
    onClose: oneOf(['auto', 'standby', 'none'], DEFAULT_SETTINGS.onClose),
    topic: text({ empty: true }),
    raw: bool(false),
  },
};

/** The config after configReader: numbers are numbers, defaults filled in. */
export interface SofarInverterConfig {
  name?: string;
  topic?: string;
  link: string;
  unit: number;
  pollInterval: number;
  staleAfter?: number;
  variant: SofarVariant;
  controlPath: ControlPath;
  maxPower: number;
  zeroMeans: ZeroMeans;
  heartbeat: number;
  resend: number;
  batteryVoltageScale: BatteryVoltageScale;
  gridRegister: GridRegisterType;
  onClose: CloseAction;
  raw: boolean;
  version?: number;
}

export const readSofarConfig: (raw: unknown) => ConfigResult<SofarInverterConfig> = configReader<SofarInverterConfig>(sofarConfigSchema);

export interface SofarNodeOptions {
  unit: number;
  pollMs: number;
  /** The status's freshness rule: the stale-after setting, else three poll periods, at least 5 s. */
  freshness: FreshnessOptions;
  settings: SofarSettings;
}

export function optionsFromConfig(c: SofarInverterConfig): SofarNodeOptions {
  const pollMs = Math.round(c.pollInterval * 1000);
  return {
    unit: c.unit,
    pollMs,
    freshness: { fixedMs: c.staleAfter ? Math.round(c.staleAfter * 1000) : undefined, expectedMs: pollMs, factor: 3, floorMs: 5000 },
    settings: {
      ...DEFAULT_SETTINGS,
      variant: c.variant,
      controlPath: c.controlPath,
      maxPowerW: c.maxPower,
      zeroMeans: c.zeroMeans,
      heartbeatMs: Math.round(c.heartbeat * 1000),
      resendMs: Math.round(c.resend * 1000),
      batteryVoltageScale: c.batteryVoltageScale,
      gridRegister: c.gridRegister,
      onClose: c.onClose,
    },
  };
}
