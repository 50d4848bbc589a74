/**
 * `home-energy sofar read | setpoint WATTS | mode standby|auto` — one Sofar ME3000SP over Modbus RTU
 * on a serial port or behind an RTU-over-TCP gateway. Prints one JSON object per line.
 *
 * Commands are set-and-forget on the inverter (sofar-me3000sp.md §3.8): the CLI
 * sends one command, reports the reply's status word and exits; it sends no heartbeat afterwards
 * and does not hand the inverter back to auto.
 */
import { SofarInverter, type CommandResult } from '../../lib/devices/sofar/inverter';
import { DEFAULT_SETTINGS, SOFAR_DEFAULTS, type SofarSettings } from '../../lib/devices/sofar/descriptor';
import { acquireLink } from '../../lib/transport/modbus/pool';
import type { BatteryReading } from '../../lib/api/types';
import { isDecimal, parseArgs, seconds, str, UsageError, type Args } from '../args';
import type { CliAction, CliCommand } from '../command';
import { withDeadline } from '../deadline';
import { rtuEndpointFrom } from '../rtu';
import { describeError } from '../hints';
import type { Io } from '../io';

const OPTIONS = [
  'options:',
  '  --serial PATH          RS485 adapter (9600 8N1 unless --baud)',
  '  --tcp HOST:PORT        RS485-to-Ethernet gateway in RTU-over-TCP (transparent) mode',
  '  --unit N               inverter address (default 1)',
  '  --timeout S            give up when the inverter has not answered within S seconds, all requests included (default 5)',
  '  --control passive|work-mode   FC 0x42 passive mode (default) or the 0x1200 work-mode registers',
  '  --max-power W          power limit (default 3000)',
  '  --voltage-scale auto|0.1|0.01   battery voltage register scale (default auto)',
  '  --grid-register s16|u16|s32     grid power register type (default s16)',
  '  --variant ctpv|retrofit         PV CT installed (default ctpv) or not',
];
const READ_USAGE = ['usage: home-energy sofar read (--serial PATH [--baud B] | --tcp HOST:PORT) [--unit N] [--full]', '  one reading: state, batteryPower (W, + discharge), soc, gridPower', ...OPTIONS, '  --full                 print the whole normalized reading instead of the summary'];
const SETPOINT_USAGE = ['usage: home-energy sofar setpoint WATTS (--serial PATH | --tcp HOST:PORT) [--unit N]', '  passive-mode command: W, + discharge, − charge, 0 standby; prints the reply', ...OPTIONS];
const MODE_USAGE = ['usage: home-energy sofar mode standby|auto (--serial PATH | --tcp HOST:PORT) [--unit N]', ...OPTIONS];
const DEFAULT_TIMEOUT_S = 5;

const VALUES = ['serial', 'baud', 'tcp', 'unit', 'timeout', 'control', 'max-power', 'voltage-scale', 'grid-register', 'variant'];


function oneOf<T extends string>(a: Args, key: string, allowed: readonly T[], dflt: T): T {
  const v = str(a, key);
  if (v === undefined) return dflt;
  if (!(allowed as readonly string[]).includes(v)) throw new UsageError(`--${key} is one of ${allowed.join(', ')}, got ${JSON.stringify(v)}`);
  return v as T;
}

function intOpt(a: Args, key: string, dflt: number, lo: number, hi: number): number {
  const v = str(a, key);
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < lo || n > hi) throw new UsageError(`--${key} needs an integer ${lo}–${hi}, got ${JSON.stringify(v)}`);
  return n;
}

function settingsFrom(a: Args): Partial<SofarSettings> {
  return {
    controlPath: oneOf(a, 'control', ['passive', 'work-mode'] as const, DEFAULT_SETTINGS.controlPath),
    maxPowerW: intOpt(a, 'max-power', DEFAULT_SETTINGS.maxPowerW, 0, 6000),
    batteryVoltageScale: oneOf(a, 'voltage-scale', ['auto', '0.1', '0.01'] as const, DEFAULT_SETTINGS.batteryVoltageScale),
    gridRegister: oneOf(a, 'grid-register', ['s16', 'u16', 's32'] as const, DEFAULT_SETTINGS.gridRegister),
    variant: oneOf(a, 'variant', ['ctpv', 'retrofit'] as const, DEFAULT_SETTINGS.variant),
    // The CLI leaves the inverter as commanded (set-and-forget) and sends no heartbeat after exit.
    onClose: 'none',
    resendMs: 0,
  };
}

/** The summary line of `sofar read`. */
export function readingSummary(r: BatteryReading): Record<string, unknown> {
  return {
    timestamp: new Date(r.timestamp).toISOString(),
    serial: r.serial ?? null,
    state: r.state,
    stateText: r.stateText ?? null,
    batteryPower: r.power,
    soc: r.soc,
    gridPower: r.gridPower ?? null,
    pvPower: r.pvPower ?? null,
    loadPower: r.loadPower ?? null,
    voltage: r.voltage ?? null,
    setpoint: r.setpoint ?? null,
    faults: r.faults ?? [],
    ...(r.warnings ? { warnings: r.warnings } : {}),
  };
}

function commandSummary(res: CommandResult): Record<string, unknown> {
  return {
    command: res.text,
    accepted: true,
    requestedW: res.requestedW ?? null,
    clamped: res.clamped,
    ...(res.status
      ? {
          result: res.status.result,
          resultText: res.status.resultText,
          statusWord: '0x' + res.status.word.toString(16).toUpperCase().padStart(4, '0'),
          chargeEnabled: res.status.chargeEnabled,
          dischargeEnabled: res.status.dischargeEnabled,
          full: res.status.full,
          empty: res.status.empty,
        }
      : { path: res.path }),
  };
}

type Sub = 'read' | 'setpoint' | 'mode';

async function run(sub: Sub, rest: string[], io: Io): Promise<number> {
  const a = parseArgs(rest, { values: VALUES, booleans: sub === 'read' ? ['full'] : [] });
  let watts: number | undefined;
  let mode: 'standby' | 'auto' | undefined;
  if (sub === 'read') {
    if (a._.length) throw new UsageError(`sofar read takes no argument (got ${JSON.stringify(a._[0])})`);
  } else if (sub === 'setpoint') {
    if (a._.length !== 1) throw new UsageError('sofar setpoint needs one WATTS argument (+ discharge, − charge)');
    watts = Number(a._[0]);
    if (!isDecimal(a._[0]) || !Number.isFinite(watts) || Math.abs(watts) > 100000) throw new UsageError(`WATTS must be a number of W, got ${JSON.stringify(a._[0])}`);
  } else {
    if (a._.length !== 1 || (a._[0] !== 'standby' && a._[0] !== 'auto')) throw new UsageError('sofar mode needs standby or auto');
    mode = a._[0];
  }
  const endpoint = rtuEndpointFrom(a, { baudRate: SOFAR_DEFAULTS.baudRate, parity: 'none', dataBits: 8, stopBits: 1 });
  const unit = intOpt(a, 'unit', SOFAR_DEFAULTS.unit, 1, 247);
  const totalS = seconds(a, 'timeout', DEFAULT_TIMEOUT_S);
  // The whole command takes at most --timeout; one request most of it, so a first read that gets no
  // answer says so itself.
  const timeoutMs = Math.max(50, Math.min(SOFAR_DEFAULTS.timeoutMs, Math.round(totalS * 900)));
  const settings = settingsFrom(a);
  const where = endpoint.transport === 'rtu' ? endpoint.path! : `${endpoint.host}:${endpoint.port}`;

  const lease = acquireLink(endpoint, { timeoutMs, interRequestDelayMs: endpoint.transport === 'rtu' ? SOFAR_DEFAULTS.interRequestDelayMs : 20, backoffMinMs: 500 });
  const inv = new SofarInverter({ link: lease.link, unit, settings });
  inv.on('warning', (w: string) => io.err(`home-energy sofar: warning: ${w}`));
  try {
    const work = async (): Promise<Record<string, unknown> | BatteryReading> => {
      if (sub === 'read') {
        const r = await inv.poll();
        return a.full ? r : readingSummary(r);
      }
      // Read first: the power limit follows the battery's current limits where the inverter reports them.
      try {
        await inv.poll();
      } catch {
        /* the command may still work; its own error says why if not */
      }
      return commandSummary(watts !== undefined ? await inv.setpoint(watts) : await inv.setMode(mode!));
    };
    io.out(JSON.stringify(await withDeadline(work(), totalS, `${where} unit ${unit}`)));
    return 0;
  } catch (e) {
    const st = (e as { status?: { result: number; resultText: string; word: number } }).status;
    if (st) io.out(JSON.stringify({ accepted: false, result: st.result, resultText: st.resultText, statusWord: '0x' + st.word.toString(16).toUpperCase().padStart(4, '0') }));
    io.err(`home-energy sofar ${sub}: ${describeError(e, { where })}`);
    return 1;
  } finally {
    await inv.close();
    await lease.release();
  }
}

const sub = (name: Sub, summary: string, usage: string[]): CliAction => ({ summary, usage, run: (args, io) => run(name, args, io) });

export const command: CliCommand = {
  name: 'sofar',
  summary: 'Sofar ME3000SP inverter over Modbus RTU: read, setpoint, mode',
  subcommands: {
    read: sub('read', 'read a Sofar ME3000SP: state, batteryPower (W, + discharge), soc, gridPower', READ_USAGE),
    setpoint: sub('setpoint', 'passive-mode command (+ discharge, − charge, 0 standby); prints the reply', SETPOINT_USAGE),
    mode: sub('mode', 'standby or auto', MODE_USAGE),
  },
};
