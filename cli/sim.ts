/**
 * `home-energy sim`: runs the virtual home (lib/sim/home.ts) until SIGINT/SIGTERM and prints its
 * endpoints, one per line or as one JSON object with --json.
 */
import * as fs from 'node:fs';
import type { MeterProfile } from '../lib/sim/dsmr-writer';
import { VirtualHome, type SeriesSpec, type VirtualHomeOptions } from '../lib/sim/home';
import { DEVICES } from '../lib/registry';
import { parseArgs, str, UsageError } from './args';
import type { CliCommand } from './command';

export const SIM_USAGE = [
  'usage: home-energy sim [options]',
  '  --tcp-port N           P1 telegrams over TCP on port N (default 0 = any free port)',
  '  --host ADDR            listen address (default 127.0.0.1)',
  '  --pty                  also serve telegrams on a serial pty (needs socat)',
  '  --profile NL|BE|NL,BE  meter type; NL,BE runs both, each on its own TCP port (default NL)',
  '  --sessy-port N         also serve a Sessy P1 dongle API on port N (0 = any free port)',
  '  --sessy-auth USER:PASS require HTTP Basic auth on the Sessy API',
  '  --sessy-batteries N    also run N simulated Sessy batteries (HTTP API; user DSIM0001…, password SIMPASS1…)',
  '  --sessy-battery-port N first Sessy battery port, the next units on the following ports (default 0 = any free port)',
  '  --mdns                 announce the Sessy batteries by mDNS on this host (port 5353; --mdns-port N for another)',
  '  --sofar-port N         also run a Sofar ME3000SP, Modbus RTU behind an RTU-over-TCP gateway on port N (0 = any free port)',
  '  --sofar-pty            also serve the Sofar ME3000SP on a serial pty (needs socat; implies --sofar-port 0 if not given)',
  '  --enector-port N       also run a KOSTAL ENECTOR wallbox with a car plugged in, Modbus RTU unit 50 behind an RTU-over-TCP gateway on port N (0 = any free port)',
  '  --enector-pty          also serve the ENECTOR on a serial pty (57600 8N2; needs socat; implies --enector-port 0 if not given)',
  '  --ksem-port N          also run a KOSTAL KSEM, Modbus TCP on port N (0 = any free port)',
  '  --ksem-tls-port N      also serve the KSEM over TLS on port N (the meter uses 802; simulator certificate)',
  '  --ksem-layout fw2.5|fw2.6  KSEM SunSpec layout: model 203 at 40069 (before 2.6) or 40070 (default fw2.6)',
  '  --ksem-push HOST:PORT  the KSEM also pushes its registers (Modbus master mode) to HOST:PORT every second',
  '  --load FILE[:COLUMN]   load recording (CSV, W or kW; default the shipped 2-day sample)',
  '  --pv FILE[:COLUMN]     PV recording (CSV; default the shipped sample; "none" for no PV)',
  '  --speed X              simulated seconds per real second (default 1)',
  '  --start ISO-TIME       simulated start time (default now)',
  '  --json                 print the endpoints as one JSON object',
  '  -h, --help             this text',
];

/** The usage, with what each registered device's simulator offers (lib/registry.ts). */
export function simUsage(): string[] {
  const sims = DEVICES.filter((d) => d.simulator).map((d) => `  ${d.descriptor.name.padEnd(10)} ${d.simulator}`);
  return sims.length ? [...SIM_USAGE, 'simulated devices:', ...sims] : SIM_USAGE;
}

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
    values: ['tcp-port', 'host', 'profile', 'sessy-port', 'sessy-auth', 'load', 'pv', 'speed', 'start', 'sessy-batteries', 'sessy-battery-port', 'mdns-port', 'sofar-port', 'enector-port', 'ksem-port', 'ksem-tls-port', 'ksem-layout', 'ksem-push'],
    booleans: ['pty', 'json', 'help', 'mdns', 'sofar-pty', 'enector-pty'],
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
  if (v('sessy-batteries') !== undefined) {
    const n = Number(v('sessy-batteries'));
    if (!Number.isInteger(n) || n < 0 || n > 32) throw new UsageError('--sessy-batteries needs a count 0–32');
    options.sessyBatteries = n;
  }
  if (v('sessy-battery-port') !== undefined) options.sessyBatteryPort = port(v('sessy-battery-port')!, '--sessy-battery-port');
  if (a.mdns === true || v('mdns-port') !== undefined) options.mdns = v('mdns-port') !== undefined ? { port: port(v('mdns-port')!, '--mdns-port') } : true;
  if (v('enector-port') !== undefined || a['enector-pty'] === true) {
    options.enector = { gatewayPort: v('enector-port') !== undefined ? port(v('enector-port')!, '--enector-port') : 0, pty: a['enector-pty'] === true };
  }
  if (v('sofar-port') !== undefined || a['sofar-pty'] === true) {
    options.sofar = { gatewayPort: v('sofar-port') !== undefined ? port(v('sofar-port')!, '--sofar-port') : 0, pty: a['sofar-pty'] === true };
  }
  if (v('ksem-port') !== undefined || v('ksem-tls-port') !== undefined || v('ksem-layout') !== undefined || v('ksem-push') !== undefined) {
    const layout = v('ksem-layout');
    if (layout !== undefined && layout !== 'fw2.5' && layout !== 'fw2.6') throw new UsageError('--ksem-layout is fw2.5 or fw2.6');
    options.ksem = { port: v('ksem-port') !== undefined ? port(v('ksem-port')!, '--ksem-port') : 0, layout: layout as 'fw2.5' | 'fw2.6' | undefined };
    if (v('ksem-tls-port') !== undefined) options.ksem.tlsPort = port(v('ksem-tls-port')!, '--ksem-tls-port');
    const push = v('ksem-push');
    if (push !== undefined) {
      const i = push.lastIndexOf(':');
      const p = i > 0 ? Number(push.slice(i + 1)) : NaN;
      if (!(Number.isInteger(p) && p > 0 && p < 65536)) throw new UsageError('--ksem-push needs HOST:PORT');
      options.ksem.push = { host: push.slice(0, i), port: p };
    }
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
export async function runSim(args: string[], out: (line: string) => void, opts: { signal?: AbortSignal; err?: (line: string) => void } = {}): Promise<number> {
  const err = opts.err ?? out;
  let parsed: ParsedSimArgs;
  try {
    parsed = parseSimArgs(args);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    err(`home-energy sim: ${e.message}`);
    for (const l of simUsage()) err(l);
    return 2;
  }
  if (parsed.help) {
    for (const l of simUsage()) out(l);
    return 0;
  }
  const home = new VirtualHome();
  let ep;
  try {
    ep = await home.start(parsed.options);
  } catch (e) {
    err(`home-energy sim: cannot start: ${(e as Error).message}`);
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
        sessyBatteries: ep.sessyBatteries ?? [],
        mdns: ep.mdns ?? null,
        sofar: ep.sofar ?? null,
        enector: ep.enector ?? null,
        ksem: ep.ksem ?? null,
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
    for (const b of ep.sessyBatteries ?? []) out(`Sessy battery API: ${b.url}  user ${b.serial}  password ${b.password}`);
    if (ep.mdns) out(ep.mdns.error ? `mDNS announcement unavailable: ${ep.mdns.error}` : `mDNS: Sessy batteries answer _http._tcp queries on UDP port ${ep.mdns.port}${ep.mdns.multicast ? ' (multicast)' : ''}`);
    if (ep.enector) {
      out(`KOSTAL ENECTOR wallbox (unit ${ep.enector.unit}, a car plugged in), Modbus RTU over TCP: ${ep.enector.gateway.host}:${ep.enector.gateway.port}`);
      if (ep.enector.serial) out(`KOSTAL ENECTOR (unit ${ep.enector.unit}) on serial port: ${ep.enector.serial.path} (57600 8N2)`);
    }
    if (ep.sofar) {
      out(`Sofar ME3000SP (unit ${ep.sofar.unit}), Modbus RTU over TCP: ${ep.sofar.gateway.host}:${ep.sofar.gateway.port}`);
      if (ep.sofar.serial) out(`Sofar ME3000SP (unit ${ep.sofar.unit}) on serial port: ${ep.sofar.serial.path} (9600 8N1)`);
    }
    if (ep.ksem) {
      out(`KOSTAL KSEM (${ep.ksem.layout}, serial ${ep.ksem.serial}), Modbus TCP: ${ep.ksem.host}:${ep.ksem.port}`);
      if (ep.ksem.tlsPort) out(`KOSTAL KSEM, Modbus TCP over TLS: ${ep.ksem.host}:${ep.ksem.tlsPort}  certificate SHA-256 ${ep.ksem.fingerprint256}`);
      if (ep.ksem.push) out(`KOSTAL KSEM pushes (Modbus master) to ${ep.ksem.push.host}:${ep.ksem.push.port} every second`);
    }
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

export const command: CliCommand = {
  name: 'sim',
  summary: 'run the virtual home (the simulators of the meters, batteries and inverters) and print its endpoints',
  action: {
    summary: 'run the virtual home and print its endpoints',
    get usage() {
      return simUsage();
    },
    run: (args, io) => runSim(args, io.out, { err: io.err }),
  },
};
