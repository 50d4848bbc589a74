/**
 * `home-energy sim`: runs the virtual home (lib/sim/home.ts) until SIGINT/SIGTERM and prints its
 * endpoints, one per line or as one JSON object with --json.
 */
import * as fs from 'node:fs';
import type { MeterProfile } from '../sim/dsmr-writer';
import { VirtualHome, type SeriesSpec, type VirtualHomeOptions } from '../sim/home';
import { parseArgs, str, UsageError } from './args';

export const SIM_USAGE = [
  'usage: home-energy sim [options]',
  '  --tcp-port N           P1 telegrams over TCP on port N (default 0 = any free port)',
  '  --host ADDR            listen address (default 127.0.0.1)',
  '  --pty                  also serve telegrams on a serial pty (needs socat)',
  '  --profile NL|BE|NL,BE  meter type; NL,BE runs both, each on its own TCP port (default NL)',
  '  --sessy-port N         also serve a Sessy P1 dongle API on port N (0 = any free port)',
  '  --sessy-auth USER:PASS require HTTP Basic auth on the Sessy API',
  '  --load FILE[:COLUMN]   load recording (CSV, W or kW; default the shipped 2-day sample)',
  '  --pv FILE[:COLUMN]     PV recording (CSV; default the shipped sample; "none" for no PV)',
  '  --speed X              simulated seconds per real second (default 1)',
  '  --start ISO-TIME       simulated start time (default now)',
  '  --json                 print the endpoints as one JSON object',
  '  -h, --help             this text',
];

function fileSpec(v: string): SeriesSpec {
  if (fs.existsSync(v)) return v;
  const i = v.lastIndexOf(':');
  if (i > 0 && fs.existsSync(v.slice(0, i))) return { file: v.slice(0, i), column: v.slice(i + 1) };
  throw new UsageError(`file not found: ${v}`);
}

function port(v: string, flag: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`${flag} needs a port number 0–65535, got ${JSON.stringify(v)}`);
  return n;
}

export interface ParsedSimArgs {
  options: VirtualHomeOptions;
  json: boolean;
  help: boolean;
}

export function parseSimArgs(args: string[]): ParsedSimArgs {
  const a = parseArgs(args, {
    values: ['tcp-port', 'host', 'profile', 'sessy-port', 'sessy-auth', 'load', 'pv', 'speed', 'start'],
    booleans: ['pty', 'json', 'help'],
  });
  if (a._.length) throw new UsageError(`unexpected argument ${JSON.stringify(a._[0])}`);
  const options: VirtualHomeOptions = { tcpPort: 0 };
  const v = (key: string) => str(a, key);
  if (v('tcp-port') !== undefined) options.tcpPort = port(v('tcp-port')!, '--tcp-port');
  if (v('host') !== undefined) options.host = v('host');
  if (a.pty === true) options.pty = true;
  if (v('profile') !== undefined) {
    const list = v('profile')!
      .split(',')
      .map((s) => s.trim().toUpperCase())
      .filter(Boolean);
    if (!list.length || list.some((p) => p !== 'NL' && p !== 'BE')) throw new UsageError('--profile is NL, BE or NL,BE');
    options.profiles = list as MeterProfile[];
  }
  if (v('sessy-port') !== undefined) options.sessyP1Port = port(v('sessy-port')!, '--sessy-port');
  const auth = v('sessy-auth');
  if (auth !== undefined) {
    const j = auth.indexOf(':');
    if (j < 1) throw new UsageError('--sessy-auth is USER:PASSWORD');
    options.sessyAuth = { username: auth.slice(0, j), password: auth.slice(j + 1) };
  }
  if (v('load') !== undefined) options.loadFile = fileSpec(v('load')!);
  if (v('pv') !== undefined) options.pvFile = v('pv') === 'none' ? null : fileSpec(v('pv')!);
  if (v('speed') !== undefined) {
    const n = Number(v('speed'));
    if (!(n > 0) || !Number.isFinite(n)) throw new UsageError('--speed needs a positive number');
    options.speed = n;
  }
  if (v('start') !== undefined) {
    const t = Date.parse(v('start')!);
    if (!Number.isFinite(t)) throw new UsageError(`--start: cannot read time ${JSON.stringify(v('start'))}`);
    options.startTime = t;
  }
  return { options, json: a.json === true, help: a.help === true };
}

/**
 * Runs the virtual home until SIGINT/SIGTERM (or `opts.signal` aborts), then stops it.
 * Returns 0 after a clean stop, 1 when it could not start, 2 for bad arguments.
 */
export async function runSim(args: string[], out: (line: string) => void, opts: { signal?: AbortSignal } = {}): Promise<number> {
  let parsed: ParsedSimArgs;
  try {
    parsed = parseSimArgs(args);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    out(`home-energy sim: ${e.message}`);
    for (const l of SIM_USAGE) out(l);
    return 2;
  }
  if (parsed.help) {
    for (const l of SIM_USAGE) out(l);
    return 0;
  }
  const home = new VirtualHome();
  let ep;
  try {
    ep = await home.start(parsed.options);
  } catch (e) {
    out(`home-energy sim: cannot start: ${(e as Error).message}`);
    return 1;
  }
  const meters = [...home.meters.values()];
  if (parsed.json) {
    out(
      JSON.stringify({
        p1Tcp: ep.p1Tcp,
        p1TcpByProfile: ep.p1TcpByProfile,
        p1Serial: ep.p1Serial ?? null,
        sessyP1: ep.sessyP1 ?? null,
        speed: parsed.options.speed ?? 1,
        simTime: new Date(home.clock.now()).toISOString(),
        inputs: home.household!.describe(),
      }),
    );
  } else {
    for (const m of meters) {
      const a = ep.p1TcpByProfile[m.profile]!;
      out(`P1 telegrams (${m.profile === 'NL' ? 'DSMR 5.0' : 'e-MUCS 1.7'}, ${m.profile}) over TCP: ${a.host}:${a.port}`);
    }
    if (ep.p1Serial) out(`P1 telegrams (${ep.p1Serial.profile}) on serial port: ${ep.p1Serial.path} (115200 8N1)`);
    if (ep.sessyP1) out(`Sessy P1 dongle API: ${ep.sessyP1.url}/api/v2/p1/details${ep.sessyP1.auth ? ' (Basic auth)' : ''}`);
    for (const l of home.household!.describe()) out(`  ${l}`);
    out(`  simulated time ${new Date(home.clock.now()).toISOString()}, speed ${parsed.options.speed ?? 1}x; Ctrl-C stops`);
  }

  await new Promise<void>((resolve) => {
    const done = () => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      opts.signal?.removeEventListener('abort', done);
      resolve();
    };
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
    if (opts.signal) {
      if (opts.signal.aborted) done();
      else opts.signal.addEventListener('abort', done, { once: true });
    }
  });
  await home.stop();
  if (!parsed.json) out('virtual home stopped');
  return 0;
}
