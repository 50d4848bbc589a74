/**
 * `home-energy sessy status|setpoint WATTS|strategy NAME|discover`: the Sessy battery dongle from the
 * command line, through the same driver the nodes use (lib/devices/sessy). Exit 0 on success, 1 when
 * the dongle could not be read or did not take the command, 2 for usage errors.
 */
import { SessyBattery } from '../../lib/devices/sessy/battery';
import { SessyClient } from '../../lib/devices/sessy/client';
import { SESSY_DEFAULTS, STRATEGY_NAMES_TEXT, parseStrategy } from '../../lib/devices/sessy/descriptor';
import { discoverSessy } from '../../lib/transport/mdns';
import { isDecimal, parseArgs, seconds, str, UsageError, type Args } from '../args';
import type { CliAction, CliCommand } from '../command';
import { credentials } from '../credentials';
import { withDeadline } from '../deadline';
import { ENV_PASSWORD, ENV_USER, type Io } from '../io';

const CONNECT_HELP = [
  '  --url URL      the dongle: IP address, host name, IP:PORT or http://…',
  `  --user U       the serial on the dongle sticker (or ${ENV_USER}); case does not matter`,
  `  --password P   the password on the sticker; better ${ENV_PASSWORD}, or you are asked on a terminal (never printed)`,
  '  --timeout S    give up when the dongle has not answered within S seconds, retries included (default 5)',
];

const STATUS_USAGE = ['usage: home-energy sessy status --url URL [--user U] [--timeout S] [--raw]', '  prints soc (%), power (W, + discharge), setpoint, state, strategy as one JSON object', ...CONNECT_HELP, '  --raw          add the dongle\'s replies'];
const SETPOINT_USAGE = [
  'usage: home-energy sessy setpoint WATTS --url URL --user U [--max-charge W] [--max-discharge W] [--timeout S]',
  '  WATTS          + discharge, − charge (e.g. -1000 charges at 1 kW); switches to API strategy when needed',
  ...CONNECT_HELP,
  '  --max-charge W, --max-discharge W   limit the setpoint (0–10000 W)',
];
const STRATEGY_USAGE = ['usage: home-energy sessy strategy NAME --url URL --user U [--timeout S]', `  NAME           ${STRATEGY_NAMES_TEXT}`, ...CONNECT_HELP];
const DISCOVER_USAGE = ['usage: home-energy sessy discover [--timeout S] [--json]', '  lists the Sessy dongles that answer by mDNS (name, address, serial, type)', '  --timeout S    listen for S seconds (default 3)', '  --json         one JSON array'];

const CONNECT = ['url', 'user', 'password', 'timeout'];
const DEFAULT_TIMEOUT_S = 5;

function watts(a: Args, key: string): number | undefined {
  const v = str(a, key);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !(n >= 0 && n <= 10000)) throw new UsageError(`--${key} needs watts 0–10000, got ${JSON.stringify(v)}`);
  return n;
}

interface Connection {
  client: SessyClient;
  user?: string;
  timeoutS: number;
  where: string;
}

async function connect(a: Args, io: Io, what: string, required: boolean): Promise<Connection> {
  if (!str(a, 'url')) throw new UsageError('--url is required (the dongle address, e.g. --url 192.168.1.50)');
  const timeoutS = seconds(a, 'timeout', DEFAULT_TIMEOUT_S);
  const c = await credentials(a, io, { what, urlOption: 'url', required });
  try {
    // No retries: --timeout is the whole exchange, and a refused or unknown host says so at once.
    const client = new SessyClient({ host: c.url, user: c.user, password: c.password, timeoutMs: Math.round(timeoutS * 900), readRetries: 0 });
    return { client, user: c.user, timeoutS, where: client.url };
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

async function status(args: string[], io: Io): Promise<number> {
  const a = parseArgs(args, { values: CONNECT, booleans: ['raw'] });
  if (a._.length) throw new UsageError(`sessy status takes no argument (got ${JSON.stringify(a._[0])})`);
  const c = await connect(a, io, 'sessy status', false);
  const battery = new SessyBattery(c.client, { serial: c.user });
  const reading = await withDeadline(battery.refresh(), c.timeoutS, c.where);
  io.out(JSON.stringify(a.raw ? { ...reading, raw: c.client.raw } : reading));
  return 0;
}

async function setpoint(args: string[], io: Io): Promise<number> {
  const a = parseArgs(args, { values: [...CONNECT, 'max-charge', 'max-discharge'] });
  if (a._.length !== 1) throw new UsageError('sessy setpoint needs one WATTS value (+ discharge, − charge)');
  const w = Number(a._[0]);
  if (!isDecimal(a._[0]) || !Number.isFinite(w) || Math.abs(w) > 100000) throw new UsageError(`WATTS must be a number between -100000 and 100000, got ${JSON.stringify(a._[0])}`);
  const limits = { maxChargeW: watts(a, 'max-charge'), maxDischargeW: watts(a, 'max-discharge') };
  const c = await connect(a, io, 'sessy setpoint', true);
  // Send once and leave it: no keep-alive, no hand-back when the command ends.
  const battery = new SessyBattery(c.client, { serial: c.user, keepAliveMs: 0, restoreStrategy: false, ...limits });
  const r = await withDeadline(
    (async () => {
      await battery.refresh(); // state and settings first: limits, empty/full
      return battery.setSetpoint(w);
    })(),
    c.timeoutS,
    c.where,
  );
  if (r.blocked === 'override') {
    io.err(`home-energy sessy setpoint: not sent: ${battery.isOverridden() ? 'the Sessy cloud or SessyConnect is in control of this battery' : 'overridden'}; use "sessy strategy api" to take over`);
    return 1;
  }
  io.out(JSON.stringify({ ...r, strategy: battery.strategy, previousStrategy: battery.previousStrategy }));
  if (r.clamped) io.err(`note: ${w} W was limited to ${r.sent} W${r.blocked ? ` (battery ${r.blocked})` : ''}`);
  return 0;
}

async function strategy(args: string[], io: Io): Promise<number> {
  const a = parseArgs(args, { values: CONNECT });
  if (a._.length !== 1) throw new UsageError(`sessy strategy needs one NAME: ${STRATEGY_NAMES_TEXT}`);
  const s = parseStrategy(a._[0]);
  if (!s) throw new UsageError(`unknown strategy ${JSON.stringify(a._[0])}; use ${STRATEGY_NAMES_TEXT}`);
  const c = await connect(a, io, 'sessy strategy', true);
  const battery = new SessyBattery(c.client, { serial: c.user, keepAliveMs: 0, restoreStrategy: false });
  io.out(JSON.stringify(await withDeadline(battery.setStrategy(s), c.timeoutS, c.where)));
  return 0;
}

async function discover(args: string[], io: Io): Promise<number> {
  const a = parseArgs(args, { values: ['timeout', 'mdns-address', 'mdns-port'], booleans: ['json'] });
  if (a._.length) throw new UsageError(`sessy discover takes no argument (got ${JSON.stringify(a._[0])})`);
  const timeoutMs = Math.round(seconds(a, 'timeout', 3) * 1000);
  const port = str(a, 'mdns-port') !== undefined ? Number(str(a, 'mdns-port')) : undefined;
  if (port !== undefined && !(Number.isInteger(port) && port > 0 && port < 65536)) throw new UsageError('--mdns-port needs a port number');
  const found = await discoverSessy({ timeoutMs, address: str(a, 'mdns-address'), port });
  if (a.json) io.out(JSON.stringify(found.map((d) => ({ name: d.name, host: d.host, address: d.address, port: d.port, serial: d.serial, device: d.device, type: d.type }))));
  else for (const d of found) io.out(`${d.name}\t${d.address}${d.port !== 80 ? ':' + d.port : ''}\tserial ${d.serial ?? '?'}\t${d.type}${d.device ? `\t(${d.device})` : ''}`);
  if (!found.length) io.err('no Sessy dongle answered by mDNS; enter the dongle IP address instead (see your router)');
  return 0;
}

const sub = (summary: string, usage: string[], run: CliAction['run']): CliAction => ({ summary, usage, run });

export const command: CliCommand = {
  name: 'sessy',
  summary: 'Sessy battery: status, setpoint, strategy, discover',
  subcommands: {
    status: sub('read a Sessy battery: soc (%), power (W, + discharge), setpoint, state, strategy', STATUS_USAGE, status),
    setpoint: sub('switch to API strategy when needed and set the setpoint (+ discharge, − charge)', SETPOINT_USAGE, setpoint),
    strategy: sub(`set the strategy: ${STRATEGY_NAMES_TEXT}`, STRATEGY_USAGE, strategy),
    discover: sub('list Sessy dongles found by mDNS (name, address, serial, type)', DISCOVER_USAGE, discover),
  },
};
