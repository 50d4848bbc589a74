/**
 * `home-energy ksem read`: one reading from a KOSTAL Smart Energy Meter over Modbus TCP or TLS, as
 * one JSON object (the normalized meter reading plus `layout`), or one per poll with --watch.
 */
import * as fs from 'node:fs';
import type { MeterReading } from '../../lib/api/types';
import { KsemPoller, type KsemLayout, type KsemRaw } from '../../lib/devices/ksem/poller';
import { KSEM_DEFAULTS } from '../../lib/devices/ksem/descriptor';
import { ModbusClientLink, endpointProblem } from '../../lib/transport/modbus/link';
import type { ModbusEndpoint } from '../../lib/transport/modbus/types';
import { parseArgs, seconds, str, UsageError, type Args } from '../args';
import type { CliCommand } from '../command';
import { withDeadline } from '../deadline';
import { describeError } from '../hints';
import type { Io } from '../io';

export const KSEM_USAGE = [
  'usage: home-energy ksem read --host H [--port P] [--unit N] [--tls [--insecure | --fingerprint F | --ca FILE]]',
  '                             [--layout auto|native|sunspec] [--timeout S] [--watch [--interval S] [--count N]] [--raw]',
  '  --port        default 502, or 802 with --tls (the KSEM serves TLS only on 802)',
  '  --unit        unit id, default 1 (the KSEM answers on any)',
  '  --tls         Modbus TCP over TLS; the certificate must be trusted: --fingerprint F pins its SHA-256',
  '                fingerprint, --ca FILE pins a PEM certificate, --insecure accepts any certificate',
  '  --timeout S   give up when the meter has not answered within S seconds, all requests included (default 5;',
  '                with --watch: for each reading)',
  '  --watch       keep polling every --interval seconds (default 1) until Ctrl-C or --count readings',
];

function intArg(v: string | undefined, flag: string, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`${flag} needs a whole number ${min}–${max}, got ${JSON.stringify(v)}`);
  return n;
}

export function endpointFromArgs(a: Args): ModbusEndpoint {
  const host = str(a, 'host');
  if (!host) throw new UsageError('ksem read needs --host');
  const tls = a.tls === true;
  const fingerprint = str(a, 'fingerprint');
  const caFile = str(a, 'ca');
  if (!tls && (a.insecure === true || fingerprint || caFile)) throw new UsageError('--insecure, --fingerprint and --ca need --tls');
  if ([a.insecure === true, !!fingerprint, !!caFile].filter(Boolean).length > 1) throw new UsageError('use one of --insecure, --fingerprint, --ca');
  const e: ModbusEndpoint = { transport: tls ? 'tls' : 'tcp', host, port: intArg(str(a, 'port'), '--port', 1, 65535) ?? (tls ? KSEM_DEFAULTS.tlsPort : KSEM_DEFAULTS.port) };
  if (tls) {
    e.tls = {};
    if (a.insecure === true) e.tls.insecure = true;
    if (fingerprint) e.tls.fingerprint256 = fingerprint;
    if (caFile) {
      try {
        e.tls.ca = fs.readFileSync(caFile, 'utf8');
      } catch (err) {
        throw new UsageError(`--ca: cannot read ${caFile}: ${(err as Error).message}`);
      }
    }
  }
  const problem = endpointProblem(e);
  if (problem) throw new UsageError(problem);
  return e;
}

async function readCmd(args: string[], io: Io): Promise<number> {
  const a = parseArgs(args, {
    values: ['host', 'port', 'unit', 'fingerprint', 'ca', 'layout', 'timeout', 'interval', 'count'],
    booleans: ['tls', 'insecure', 'watch', 'raw'],
  });
  if (a._.length) throw new UsageError(`unexpected argument ${JSON.stringify(a._[0])}`);
  const endpoint = endpointFromArgs(a);
  const layout = (str(a, 'layout') ?? 'auto') as KsemLayout;
  if (!['auto', 'native', 'sunspec'].includes(layout)) throw new UsageError('--layout is auto, native or sunspec');
  const unit = intArg(str(a, 'unit'), '--unit', 0, 255) ?? KSEM_DEFAULTS.unitId;
  const totalS = seconds(a, 'timeout', 5);
  const intervalS = str(a, 'interval') !== undefined ? Number(str(a, 'interval')) : 1;
  if (!(intervalS >= 0.1)) throw new UsageError('--interval needs a number of seconds ≥ 0.1');
  const count = intArg(str(a, 'count'), '--count', 1, Number.MAX_SAFE_INTEGER) ?? (a.watch === true ? Infinity : 1);
  const where = `${endpoint.host}:${endpoint.port}`;

  // The whole read takes at most --timeout; connecting or one request most of it, so their own
  // error (refused, not Modbus, no reply) comes before the deadline's.
  const ms = Math.max(1, Math.round(totalS * 900));
  const link = new ModbusClientLink(endpoint, { timeoutMs: Math.min(2000, ms), connectTimeoutMs: ms, backoffMinMs: 500, backoffMaxMs: 5000 });
  const poller = new KsemPoller(link, { unit, layout, pollMs: Math.round(intervalS * 1000), phaseEnergyEveryMs: a.watch === true ? KSEM_DEFAULTS.phaseEnergyEveryMs : 0 });
  const print = (ev: Awaited<ReturnType<KsemPoller['poll']>>) => io.out(JSON.stringify({ ...ev.reading, layout: ev.raw.layout, ...(a.raw === true ? { raw: ev.raw } : {}) }));
  try {
    if (a.watch !== true && count === 1) {
      try {
        print(await withDeadline(poller.poll(), totalS, `${where} unit ${unit}`));
        return 0;
      } catch (e) {
        io.err(`home-energy ksem read: ${describeError(e, { where })}`);
        return 1;
      }
    }
    io.err(`reading KSEM ${link.key} unit ${unit} every ${intervalS} s (Ctrl-C to stop)`);
    let n = 0;
    return await new Promise<number>((resolve) => {
      const finish = (code: number) => {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        void poller.stop().then(() => resolve(code));
      };
      const onSignal = () => finish(0);
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      poller.on('reading', (reading: MeterReading, raw: KsemRaw) => {
        print({ reading, raw });
        if (++n >= count) finish(0);
      });
      poller.on('poll-error', (e: Error) => io.err(describeError(e, { where })));
      poller.start();
    });
  } finally {
    await link.close();
  }
}

export const command: CliCommand = {
  name: 'ksem',
  summary: 'KOSTAL Smart Energy Meter over Modbus TCP or TLS: read',
  subcommands: {
    read: { summary: 'read a KOSTAL KSEM: power (W, + import), phases, frequency, energy, serial', usage: KSEM_USAGE, run: readCmd },
  },
};
