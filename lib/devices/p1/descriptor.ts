/**
 * The P1 (DSMR / e-MUCS) device descriptor: every OBIS object the parser understands, as device
 * points (DESIGN.md §3). The parser's dispatch table (parser.ts) and the virtual home's telegram
 * writer (lib/sim/dsmr-writer.ts) are both built from these points; neither names an OBIS code of
 * its own. The build renders `outputs` into the p1-meter help.
 *
 * Facts: p1-dsmr.md §2.3 (grammar, profile objects), §2.5 (time stamps), §2.6 (OBIS table with
 * scale and availability per DSMR version), §2.7 (NL / BE differences), §2.10 (malformed input).
 * A channel `n` in a code (`0-n:24.2.1`) stands for any M-Bus channel 1–99.
 */
import type { DeviceDescriptor, DevicePoint, OutputField } from '../../api/device';

const OBIS = (code: string, group?: number) => (group === undefined ? { kind: 'obis' as const, code } : { kind: 'obis' as const, code, group });
const S26 = 'p1-dsmr.md §2.6';
/** Largest power a household connection can show, W (plausibility bound; 3 × 80 A × 400 V is far below). */
const MAX_W = 10_000_000;
/** Largest register value a telegram can carry (9 digits of kWh → Wh). */
const MAX_WH = 1e12;

const energy = (name: string, code: string, what: string): DevicePoint => ({
  name,
  source: OBIS(code),
  scale: 1000,
  unit: 'Wh',
  deviceUnit: 'kWh',
  access: 'r',
  range: [0, MAX_WH],
  description: what,
  src: `${S26} (kWh × 1000 → Wh; Wh where the meter sends *Wh)`,
});

const power = (name: string, code: string, what: string, src = S26): DevicePoint => ({
  name,
  source: OBIS(code),
  scale: 1000,
  unit: 'W',
  deviceUnit: 'kW',
  access: 'r',
  range: [0, MAX_W],
  description: what,
  src: `${src} (kW × 1000 → W)`,
});

const plain = (name: string, code: string, unit: string, what: string, extra: Partial<DevicePoint> = {}, src = S26): DevicePoint => ({
  name,
  source: OBIS(code),
  unit,
  access: 'r',
  description: what,
  src,
  ...extra,
});

/** OBIS C-group digits of phase L1..L3: power 21/41/61 (import), 22/42/62 (export); voltage 32/52/72, current 31/51/71. */
const PHASE_POWER_C = ['2', '4', '6'];
const PHASE_VI_C = ['3', '5', '7'];

function phasePoints(): DevicePoint[] {
  const out: DevicePoint[] = [];
  for (let i = 0; i < 3; i++) {
    const L = `L${i + 1}`;
    const p = PHASE_POWER_C[i];
    const v = PHASE_VI_C[i];
    out.push(
      power(`${L}.importPower`, `1-0:${p}1.7.0`, `import power ${L}`, `${S26} (DSMR 4.2, 5, e-MUCS)`),
      power(`${L}.exportPower`, `1-0:${p}2.7.0`, `export power ${L}`, `${S26} (DSMR 4.2, 5, e-MUCS)`),
      plain(`${L}.voltage`, `1-0:${v}2.7.0`, 'V', `voltage ${L}`, { deviceUnit: 'V', range: [0, 1000] }),
      plain(`${L}.current`, `1-0:${v}1.7.0`, 'A', `current ${L}, unsigned (NL whole amps, BE 2 decimals)`, { deviceUnit: 'A', range: [0, 1000] }),
      plain(`${L}.sags`, `1-0:${v}2.32.0`, '', `voltage sags ${L}`, { valueType: 'integer' }),
      plain(`${L}.swells`, `1-0:${v}2.36.0`, '', `voltage swells ${L}`, { valueType: 'integer' }),
    );
  }
  return out;
}

function energyPoints(): DevicePoint[] {
  const out = [energy('energy.import', '1-0:1.8.0', 'total imported energy (meters without tariff registers)'), energy('energy.export', '1-0:2.8.0', 'total exported energy')];
  for (let t = 1; t <= 4; t++) {
    out.push(energy(`energy.import.t${t}`, `1-0:1.8.${t}`, `imported energy, tariff ${t} (NL 1 = low, BE 1 = day, §2.7)`));
    out.push(energy(`energy.export.t${t}`, `1-0:2.8.${t}`, `exported energy, tariff ${t}`));
  }
  return out;
}

/** An M-Bus object on channel n (`0-n:…`). */
const mbus = (name: string, suffix: string, unit: string, what: string, extra: Partial<DevicePoint> = {}, group?: number, src = S26): DevicePoint => ({
  name,
  source: OBIS(`0-n:${suffix}`, group),
  unit,
  access: 'r',
  description: what,
  src,
  ...extra,
});

export const P1_POINTS: readonly DevicePoint[] = [
  plain('version', '1-3:0.2.8', '', 'P1 version (NL): "50" → 5.0', { valueType: 'string', deviceUnit: 'version digits' }),
  plain('versionBE', '0-0:96.1.4', '', 'e-MUCS version (BE), opaque ("50217")', { valueType: 'string' }, `${S26}, §2.7`),
  plain('timestamp', '0-0:1.0.0', '', 'telegram time YYMMDDhhmmssX, S = UTC+2, W = UTC+1', { valueType: 'timestamp' }, `${S26}, §2.5`),
  plain('equipmentId', '0-0:96.1.1', '', 'meter equipment id, hex-encoded ASCII', { valueType: 'string', deviceUnit: 'hex' }, `${S26}, §2.3`),
  ...energyPoints(),
  plain('tariff', '0-0:96.14.0', '', 'active tariff register (1 or 2)', { valueType: 'integer', range: [0, 9999] }),
  power('importPower', '1-0:1.7.0', 'total import power'),
  power('exportPower', '1-0:2.7.0', 'total export power'),
  ...phasePoints(),
  plain('powerFailures.count', '0-0:96.7.21', '', 'power failures in any phase', { valueType: 'integer' }),
  plain('powerFailures.longCount', '0-0:96.7.9', '', 'long power failures in any phase', { valueType: 'integer' }),
  plain('powerFailures.log', '1-0:99.97.0', 's', 'long-failure log: (n)(0-0:96.7.19)(end)(duration*s)…', { deviceUnit: 's' }, `${S26}, §2.3 profile buffers`),
  plain('message.text', '0-0:96.13.0', '', 'text message, hex-encoded ASCII', { valueType: 'string', deviceUnit: 'hex' }),
  plain('message.code', '0-0:96.13.1', '', 'text message code (DSMR 2.2–4)', { valueType: 'string', deviceUnit: 'hex' }),
  plain('breaker', '0-0:96.3.10', '', 'breaker / switch state', { valueType: 'enum', values: { 0: 'off', 1: 'on', 2: 'ready' } }, `${S26}, §2.7`),
  plain('limiter', '0-0:17.0.0', 'W', 'limiter threshold (kW → W; A when sent in A)', { scale: 1000, deviceUnit: 'kW' }, `${S26}, §2.7`),
  plain('fuse', '1-0:31.4.0', 'A', 'fuse supervision threshold L1 (BE)', { deviceUnit: 'A' }, `${S26}, §2.7`),
  power('capacity.currentAverage', '1-0:1.4.0', 'average import demand of the running quarter-hour (BE e-MUCS 1.7)', `${S26}, §2.7`),
  { ...plain('capacity.monthPeakAt', '1-0:1.6.0', '', "time of this month's highest quarter-hour demand", { valueType: 'timestamp' }, `${S26}, §2.3`), source: OBIS('1-0:1.6.0', 0) },
  { ...power('capacity.monthPeak', '1-0:1.6.0', "this month's highest quarter-hour average import demand", `${S26}, §2.3`), source: OBIS('1-0:1.6.0', 1) },
  power('capacity.history', '0-0:98.1.0', 'monthly peaks, up to 13: (n)(1-0:1.6.0)(1-0:1.6.0)(month)(time)(peak*kW)…', `${S26}, §2.3 profile buffers`),
  mbus('mbus.deviceType', '24.1.0', '', 'M-Bus device type (EN 13757-3)', { valueType: 'enum', values: { 3: 'gas', 4: 'heat (outlet)', 6: 'warm water', 7: 'water', 12: 'heat (inlet)', 13: 'heat / cooling', 22: 'cold water' } }),
  mbus('mbus.id', '96.1.0', '', 'M-Bus equipment id (NL), hex-encoded ASCII', { valueType: 'string', deviceUnit: 'hex' }, undefined, `${S26}, §2.7`),
  mbus('mbus.idBE', '96.1.1', '', 'M-Bus equipment id (BE), hex-encoded ASCII', { valueType: 'string', deviceUnit: 'hex' }, undefined, `${S26}, §2.7`),
  mbus('mbus.readingAt', '24.2.1', '', 'capture time of the last M-Bus reading', { valueType: 'timestamp' }, 0),
  mbus('mbus.reading', '24.2.1', 'm3', 'last M-Bus reading (gas NL temperature-corrected, water; GJ for heat)', { deviceUnit: 'm3' }, 1),
  mbus('mbus.uncorrectedAt', '24.2.3', '', 'capture time of the BE gas reading', { valueType: 'timestamp' }, 0, `${S26}, §2.7`),
  mbus('mbus.uncorrected', '24.2.3', 'm3', 'BE gas reading, not temperature-corrected', { deviceUnit: 'm3' }, 1, `${S26}, §2.7`),
  mbus('mbus.profile', '24.3.0', 'm3', 'DSMR 2.2/3.0 gas profile: (time)(status)(period)(count)(obis)(unit), the value on the next line', { deviceUnit: 'm3' }, undefined, `${S26}, §2.3`),
  mbus('mbus.valve', '24.4.0', '', 'valve position; not decoded, kept in telegram.objects', { valueType: 'integer' }),
  plain('luxembourg.deviceName', '0-0:42.0.0', '', 'logical device name (Luxembourg Smarty); only its presence is used, to tell the LU profile; kept in telegram.objects', { valueType: 'string' }, 'p1-dsmr.md §2.1 (national variants)'),
];

/** Capture-object ids that appear as values inside profile objects (p1-dsmr.md §2.3 profile buffers). */
export const CAPTURE_IDS = {
  /** In 1-0:99.97.0: the time stamp of a failure's end. */
  failureEnd: '0-0:96.7.19',
} as const;

/**
 * OBIS value group B of electricity objects: 0 on almost every meter, 1 on the Sagemcom XT211 and
 * the Luxembourg specification example (`1-1:1.8.1` for `1-0:1.8.1`): the parser accepts both.
 */
export const ELECTRICITY_B_ALIASES = [1] as const;

const out = (field: string, unit: string, meaning: string, from: string[], note?: string): OutputField => (note ? { field, unit, meaning, from, note } : { field, unit, meaning, from });
const phaseFrom = (k: string) => ['L1', 'L2', 'L3'].map((L) => `${L}.${k}`);
const tariffs = (dir: 'import' | 'export') => [1, 2, 3, 4].map((t) => `energy.${dir}.t${t}`);
const MBUS_READING = ['mbus.deviceType', 'mbus.reading', 'mbus.uncorrected', 'mbus.profile'];
const MBUS_AT = ['mbus.readingAt', 'mbus.uncorrectedAt', 'mbus.profile'];

export const P1_OUTPUTS: readonly OutputField[] = [
  out('kind', '', '"meter"', [], 'set by the driver'),
  out('timestamp', 'ms', 'when the meter measured (UTC); receive time for DSMR 2.2/3.0 and the Sessy dongle', ['timestamp'], undefined),
  out('source', '', '"p1" (telegrams) or "sessy-p1" (Sessy dongle)', [], 'set by the driver'),
  out('serial', '', 'meter equipment id, decoded', ['equipmentId']),
  out('model', '', 'identification line (after "/")', [], 'the telegram header line'),
  out('protocol', '', 'e.g. "DSMR 5.0", "e-MUCS 50217", "DSMR 2.2/3.0"', ['version', 'versionBE', 'luxembourg.deviceName']),
  out('power', 'W', 'net grid power, + import, − export', ['importPower', 'exportPower']),
  out('importPower', 'W', 'import power, ≥ 0', ['importPower']),
  out('exportPower', 'W', 'export power, ≥ 0', ['exportPower']),
  out('phases[].voltage', 'V', 'voltage per phase, L1 first', phaseFrom('voltage')),
  out('phases[].current', 'A', 'current per phase as the meter sends it (unsigned; whole amps on Dutch meters)', phaseFrom('current')),
  out('phases[].power', 'W', 'net power per phase, + import', [...phaseFrom('importPower'), ...phaseFrom('exportPower')]),
  out('phases[].importPower', 'W', 'import power per phase', phaseFrom('importPower')),
  out('phases[].exportPower', 'W', 'export power per phase', phaseFrom('exportPower')),
  out('energy.importWh', 'Wh', 'imported energy, sum of the tariff registers', ['energy.import', ...tariffs('import')]),
  out('energy.exportWh', 'Wh', 'exported energy, sum of the tariff registers', ['energy.export', ...tariffs('export')]),
  out('energy.importTariffWh[]', 'Wh', 'imported energy per tariff (tariff 1 = low in NL, day in BE)', tariffs('import')),
  out('energy.exportTariffWh[]', 'Wh', 'exported energy per tariff', tariffs('export')),
  out('tariff', '', 'active tariff register (1 or 2)', ['tariff']),
  out('capacity.currentAverageW', 'W', 'running quarter-hour average import demand (computed for meters without it: computed true)', ['capacity.currentAverage']),
  out('capacity.monthPeakW', 'W', "this month's highest quarter-hour average", ['capacity.monthPeak']),
  out('capacity.monthPeakAt', '', 'when the month peak happened, ISO 8601 UTC', ['capacity.monthPeakAt']),
  out('capacity.history[].month', '', 'month stamp of a past peak (start of the following month), ISO 8601 UTC', ['capacity.history']),
  out('capacity.history[].peakW', 'W', 'peak quarter-hour average of that month', ['capacity.history']),
  out('capacity.history[].at', '', 'when that peak happened, ISO 8601 UTC', ['capacity.history']),
  out('capacity.projectedW', 'W', 'where the running quarter-hour ends if the present import holds', [], 'computed from the average and the import power'),
  out('capacity.quarterStart', 'ms', 'start of the running quarter-hour', [], 'computed: fixed clock quarter-hours'),
  out('capacity.computed', '', 'true when the average was computed by this package', [], 'driver'),
  out('capacity.partial', '', 'true while the computed average has not seen the whole quarter-hour', [], 'driver'),
  out('gas.m3', 'm³', 'gas meter reading (M-Bus device type 3, any channel)', MBUS_READING),
  out('gas.at', '', 'capture time of the gas reading, ISO 8601 UTC', MBUS_AT),
  out('water.m3', 'm³', 'water meter reading (M-Bus device type 7)', MBUS_READING),
  out('water.at', '', 'capture time of the water reading', MBUS_AT),
  out('heat.GJ', 'GJ', 'heat meter reading (M-Bus device type 4)', MBUS_READING),
  out('heat.at', '', 'capture time of the heat reading', MBUS_AT),
];

export const p1Descriptor: DeviceDescriptor = {
  name: 'p1',
  title: 'P1 smart meter (DSMR / e-MUCS)',
  models: 'NL DSMR 2.2, 3.0, 4.x, 5.0.x; BE e-MUCS 1.x (Fluvius, ORES, Sibelga) with capacity-tariff registers; LU Smarty (unencrypted)',
  reading: 'meter',
  transports: ['serial', 'tcp', 'http'],
  defaults: { baudRate: 'auto', framing: '8N1', tcpPort: 23, periodMs: 1000, periodMsDsmr4: 10_000 },
  capabilities: ['meter', 'phase-values', 'energy-counters', 'capacity-tariff'],
  points: P1_POINTS,
  outputs: P1_OUTPUTS,
  nodeTypes: ['p1-meter'],
};

/** The point with this name (throws on a typo: a programming error). */
export function p1Point(name: string): DevicePoint {
  const p = P1_POINTS.find((x) => x.name === name);
  if (!p) throw new Error(`no P1 point ${name}`);
  return p;
}

/** The OBIS code of a point, with the M-Bus channel filled in for `0-n:` codes. */
export function obisCode(name: string, channel?: number): string {
  const p = p1Point(name);
  if (p.source.kind !== 'obis') throw new Error(`P1 point ${name} is not an OBIS point`);
  return channel === undefined ? p.source.code : p.source.code.replace(/^0-n:/, `0-${channel}:`);
}
