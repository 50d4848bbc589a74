/**
 * `home-energy sessy status|setpoint WATTS|strategy NAME|discover`: the Sessy battery dongle from the
 * command line, through the same driver the nodes use (lib/devices/sessy). Exit 0 on success, 1 when
 * the dongle could not be read or did not take the command, 2 for usage errors.
 */
import { SessyBattery } from '../devices/sessy/battery';
import { SessyClient } from '../devices/sessy/client';
import { SESSY_DEFAULTS, STRATEGY_NAMES_TEXT, parseStrategy } from '../devices/sessy/descriptor';
import { discoverSessy } from '../transport/mdns';
import { parseArgs, str, UsageError, type Args } from './args';
import type { Out } from './main';

export const SESSY_USAGE = [
  'usage: home-energy sessy status --url URL [--user U --password P] [--timeout S] [--raw]',
  '       home-energy sessy setpoint WATTS --url URL --user U --password P [--max-charge W] [--max-discharge W]',
  '       home-energy sessy strategy NAME --url URL --user U --password P',
  '       home-energy sessy discover [--timeout S] [--json]',
  '  URL       the dongle: IP address, host name, IP:PORT or http://…',
  '  U, P      the serial and password on the dongle sticker (case does not matter)',
  '  WATTS     + discharge, − charge (e.g. -1000 charges at 1 kW); switches to API strategy when needed',
  `  NAME      ${STRATEGY_NAMES_TEXT}`,
];

const CONNECT = ['url', 'user', 'password', 'timeout'];

function positiveSeconds(a: Args, key: string, fallback: number): number {
  const v = str(a, key);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!(n > 0 && n <= 600)) throw new UsageError(`--${key} needs seconds (0 < S ≤ 600), got ${JSON.stringify(v)}`);
  return n;
}

function watts(a: Args, key: string): number | undefined {
  const v = str(a, key);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!(n >= 0 && n <= 10000)) throw new UsageError(`--${key} needs watts 0–10000, got ${JSON.stringify(v)}`);
  return n;
}

function client(a: Args): SessyClient {
  const url = str(a, 'url');
  if (!url) throw new UsageError('--url is required (the dongle address, e.g. --url 192.168.1.50)');
  try {
    return new SessyClient({ host: url, user: str(a, 'user'), password: str(a, 'password'), timeoutMs: Math.round(positiveSeconds(a, 'timeout', SESSY_DEFAULTS.timeoutMs / 1000) * 1000) });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

function needCredentials(a: Args, what: string): void {
  if (!str(a, 'user') || !str(a, 'password')) throw new UsageError(`${what} needs --user and --password (the serial and password on the dongle sticker)`);
}

async function status(args: string[], out: Out): Promise<number> {
  const a = parseArgs(args, { values: CONNECT, booleans: ['raw'] });
  if (a._.length) throw new UsageError(`sessy status takes no argument (got ${JSON.stringify(a._[0])})`);
  const c = client(a);
  const battery = new SessyBattery(c, { serial: str(a, 'user') });
  const reading = await battery.refresh();
  out(JSON.stringify(a.raw ? { ...reading, raw: c.raw } : reading));
  return 0;
}

async function setpoint(args: string[], out: Out, err: Out): Promise<number> {
  const a = parseArgs(args, { values: [...CONNECT, 'max-charge', 'max-discharge'] });
  if (a._.length !== 1) throw new UsageError('sessy setpoint needs one WATTS value (+ discharge, − charge)');
  const w = Number(a._[0]);
  if (a._[0].trim() === '' || !Number.isFinite(w) || Math.abs(w) > 100000) throw new UsageError(`WATTS must be a number between -100000 and 100000, got ${JSON.stringify(a._[0])}`);
  needCredentials(a, 'sessy setpoint');
  // Send once and leave it: no keep-alive, no hand-back when the command ends.
  const battery = new SessyBattery(client(a), { serial: str(a, 'user'), keepAliveMs: 0, restoreStrategy: false, maxChargeW: watts(a, 'max-charge'), maxDischargeW: watts(a, 'max-discharge') });
  await battery.refresh(); // state and settings first: limits, empty/full
  const r = await battery.setSetpoint(w);
  if (r.blocked === 'override') {
    err(`home-energy sessy setpoint: not sent: ${battery.isOverridden() ? 'the Sessy cloud or SessyConnect is in control of this battery' : 'overridden'}; use "sessy strategy api" to take over`);
    return 1;
  }
  out(JSON.stringify({ ...r, strategy: battery.strategy, previousStrategy: battery.previousStrategy }));
  if (r.clamped) err(`note: ${w} W was limited to ${r.sent} W${r.blocked ? ` (battery ${r.blocked})` : ''}`);
  return 0;
}

async function strategy(args: string[], out: Out): Promise<number> {
  const a = parseArgs(args, { values: CONNECT });
  if (a._.length !== 1) throw new UsageError(`sessy strategy needs one NAME: ${STRATEGY_NAMES_TEXT}`);
  const s = parseStrategy(a._[0]);
  if (!s) throw new UsageError(`unknown strategy ${JSON.stringify(a._[0])}; use ${STRATEGY_NAMES_TEXT}`);
  needCredentials(a, 'sessy strategy');
  const battery = new SessyBattery(client(a), { serial: str(a, 'user'), keepAliveMs: 0, restoreStrategy: false });
  out(JSON.stringify(await battery.setStrategy(s)));
  return 0;
}

async function discover(args: string[], out: Out, err: Out): Promise<number> {
  const a = parseArgs(args, { values: ['timeout', 'mdns-address', 'mdns-port'], booleans: ['json'] });
  if (a._.length) throw new UsageError(`sessy discover takes no argument (got ${JSON.stringify(a._[0])})`);
  const timeoutMs = Math.round(positiveSeconds(a, 'timeout', 3) * 1000);
  const port = str(a, 'mdns-port') !== undefined ? Number(str(a, 'mdns-port')) : undefined;
  if (port !== undefined && !(Number.isInteger(port) && port > 0 && port < 65536)) throw new UsageError('--mdns-port needs a port number');
  const found = await discoverSessy({ timeoutMs, address: str(a, 'mdns-address'), port });
  if (a.json) out(JSON.stringify(found.map((d) => ({ name: d.name, host: d.host, address: d.address, port: d.port, serial: d.serial, device: d.device, type: d.type }))));
  else for (const d of found) out(`${d.name}\t${d.address}${d.port !== 80 ? ':' + d.port : ''}\tserial ${d.serial ?? '?'}\t${d.type}${d.device ? `\t(${d.device})` : ''}`);
  if (!found.length) err('no Sessy dongle answered by mDNS; enter the dongle IP address instead (see your router)');
  return 0;
}

export async function runSessy(args: string[], out: Out, err: Out): Promise<number> {
  const [sub, ...rest] = args;
  const run = async (): Promise<number> => {
    switch (sub) {
      case 'status':
        return status(rest, out);
      case 'setpoint':
        return setpoint(rest, out, err);
      case 'strategy':
        return strategy(rest, out);
      case 'discover':
        return discover(rest, out, err);
      default:
        throw new UsageError(`unknown sessy command ${JSON.stringify(sub ?? '')}: use "sessy status", "sessy setpoint WATTS", "sessy strategy NAME" or "sessy discover"`);
    }
  };
  try {
    return await run();
  } catch (e) {
    if (e instanceof UsageError) {
      err(`home-energy sessy: ${e.message}`);
      for (const l of SESSY_USAGE) err(l);
      return 2;
    }
    err(`home-energy sessy ${sub}: ${(e as Error).message}`);
    return 1;
  }
}
