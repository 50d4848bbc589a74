/**
 * `home-energy enector read | charge --current A [--phases 1|3] --for S | stop` — one KOSTAL ENECTOR
 * (Mennekes AMTRON Compact 2.0s) as a Modbus RTU satellite on a serial port or behind an
 * RTU-over-TCP gateway. `charge` takes control for S seconds (heartbeat from the start, current,
 * release 1), prints a reading every poll, then stops the heartbeat so the box falls back to its own
 * master-lost setting (with `--then pause`: release 0 first). `stop` writes release 0.
 */
import { EnectorCharger } from '../../lib/devices/enector/driver';
import { ENECTOR_DEFAULTS } from '../../lib/devices/enector/descriptor';
import type { ChargerReading } from '../../lib/api/types';
import { acquireLink } from '../../lib/transport/modbus/pool';
import { isDecimal, parseArgs, seconds, str, UsageError } from '../args';
import type { CliAction, CliCommand } from '../command';
import { withDeadline } from '../deadline';
import { rtuEndpointFrom } from '../rtu';
import { describeError } from '../hints';
import type { Io } from '../io';

const OPTIONS = [
  'options:',
  '  --serial PATH          RS485 adapter (57600 8N2)',
  '  --tcp HOST:PORT        RS485-to-Ethernet gateway in RTU-over-TCP (transparent) mode',
  '  --unit N               the box address (default 50; 11–14 by the Mennekes tool; 100 after a KSEM)',
  '  --word-order auto|be|le   float word order (default auto: detected once from voltage L1)',
  '  --timeout S            give up when the box has not answered within S seconds (default 5)',
];
const READ_USAGE = ['usage: home-energy enector read (--serial PATH | --tcp HOST:PORT) [--unit N]', '  one reading: state, power, currents (A, L1 first), phases, sessionWh, serial', ...OPTIONS, '  --full                 print the whole normalized reading'];
const CHARGE_USAGE = [
  'usage: home-energy enector charge --current A [--phases 1|3] --for S (--serial PATH | --tcp HOST:PORT) [--unit N] [--then fallback|pause] [--allow-phase-switching]',
  '  take control for S seconds (heartbeat, current, release), print a reading every 5 s, then let go',
  ...OPTIONS,
  '  --then fallback|pause  at the end: stop the heartbeat (the box applies its master-lost setting; default) or pause first (release 0)',
  '  --allow-phase-switching   allow --phases to switch a connected car (some cars are damaged by switching during a session)',
];
const STOP_USAGE = ['usage: home-energy enector stop (--serial PATH | --tcp HOST:PORT) [--unit N]', '  write release 0 (charging not allowed) and exit', ...OPTIONS];
const VALUES = ['serial', 'tcp', 'unit', 'word-order', 'timeout', 'current', 'phases', 'for', 'then'];


/** The summary of `enector read`. */
export function readingSummary(r: ChargerReading): Record<string, unknown> {
  return {
    timestamp: new Date(r.timestamp).toISOString(),
    serial: r.serial ?? null,
    state: r.state,
    stateText: r.stateText ?? null,
    power: r.power,
    currents: (r.phases ?? []).map((p) => p.current ?? null),
    phases: r.activePhases ?? null,
    enabled: r.enabled ?? null,
    signalledCurrentA: r.signalledCurrentA ?? null,
    sessionWh: r.sessionWh ?? null,
    limits: r.limits,
    masterLost: r.masterLost ?? null,
    errorCode: r.errorCode ?? null,
  };
}

type Sub = 'read' | 'charge' | 'stop';

async function run(sub: Sub, rest: string[], io: Io): Promise<number> {
  const a = parseArgs(rest, { values: VALUES, booleans: sub === 'read' ? ['full'] : sub === 'charge' ? ['allow-phase-switching'] : [] });
  if (a._.length) throw new UsageError(`enector ${sub} takes no argument (got ${JSON.stringify(a._[0])})`);
  const endpoint = rtuEndpointFrom(a, { baudRate: ENECTOR_DEFAULTS.baudRate, parity: 'none', dataBits: 8, stopBits: 2 });
  const unitText = str(a, 'unit');
  const unit = unitText === undefined ? ENECTOR_DEFAULTS.unit : Number(unitText);
  if (!Number.isInteger(unit) || unit < 1 || unit > 247) throw new UsageError(`--unit needs an integer 1–247, got ${JSON.stringify(unitText)}`);
  const wo = str(a, 'word-order') ?? 'auto';
  if (!['auto', 'be', 'le'].includes(wo)) throw new UsageError(`--word-order is one of auto, be, le, got ${JSON.stringify(wo)}`);
  let currentA = 0;
  let phases: 1 | 3 | undefined;
  let forS = 0;
  let then: 'fallback' | 'pause' = 'fallback';
  if (sub === 'charge') {
    const c = str(a, 'current');
    if (c === undefined || !isDecimal(c) || Number(c) < 6 || Number(c) > 32) throw new UsageError(`--current needs a number of amperes 6–32, got ${JSON.stringify(c)}`);
    currentA = Number(c);
    const p = str(a, 'phases');
    if (p !== undefined && p !== '1' && p !== '3') throw new UsageError(`--phases is 1 or 3, got ${JSON.stringify(p)}`);
    phases = p === undefined ? undefined : (Number(p) as 1 | 3);
    forS = seconds(a, 'for', NaN, 86_400);
    if (!(forS > 0)) throw new UsageError('enector charge needs --for S (seconds of control)');
    const t = str(a, 'then') ?? 'fallback';
    if (t !== 'fallback' && t !== 'pause') throw new UsageError(`--then is fallback or pause, got ${JSON.stringify(t)}`);
    then = t;
  }
  const totalS = seconds(a, 'timeout', 5);
  const timeoutMs = Math.max(50, Math.min(ENECTOR_DEFAULTS.timeoutMs, Math.round(totalS * 900)));
  const where = endpoint.transport === 'rtu' ? endpoint.path! : `${endpoint.host}:${endpoint.port}`;
  const lease = acquireLink(endpoint, { timeoutMs, interRequestDelayMs: ENECTOR_DEFAULTS.interRequestDelayMs, backoffMinMs: 500 });
  const box = new EnectorCharger({ link: lease.link, unit, wordOrder: wo as 'auto', pollMs: 0, onClose: then, allowPhaseSwitching: a['allow-phase-switching'] === true });
  try {
    const first = await withDeadline(box.read(), totalS, `${where} unit ${unit}`);
    if (sub === 'read') {
      io.out(JSON.stringify(a.full ? first : readingSummary(first)));
      return 0;
    }
    if (sub === 'stop') {
      await withDeadline(box.apply({ enabled: false, currentA: 6 }), totalS, `${where} unit ${unit}`);
      io.out(JSON.stringify({ command: 'release 0', reading: readingSummary(await box.read()) }));
      return 0;
    }
    box.start();
    const out = await withDeadline(box.apply({ enabled: true, currentA, ...(phases ? { phases } : {}) }), totalS + (phases ? 1200 : 0), `${where} unit ${unit}`);
    io.out(JSON.stringify({ command: `charge ${out.sent} A${phases ? ` on ${phases} phase(s)` : ''} for ${forS} s`, ...out }));
    const end = Date.now() + forS * 1000;
    while (Date.now() < end) {
      await new Promise((r) => setTimeout(r, Math.min(5000, Math.max(0, end - Date.now()))));
      try {
        io.out(JSON.stringify(readingSummary(await box.read())));
      } catch (e) {
        io.err(`home-energy enector charge: ${describeError(e, { where })}`);
      }
    }
    io.out(JSON.stringify({ command: then === 'pause' ? 'release 0, heartbeat stopped' : 'heartbeat stopped: the box applies its master-lost setting within 10 s' }));
    return 0;
  } catch (e) {
    io.err(`home-energy enector ${sub}: ${describeError(e, { where })}`);
    return 1;
  } finally {
    await box.close();
    await lease.release();
  }
}

const sub = (name: Sub, summary: string, usage: string[]): CliAction => ({ summary, usage, run: (args, io) => run(name, args, io) });

export const command: CliCommand = {
  name: 'enector',
  summary: 'KOSTAL ENECTOR wallbox over Modbus RTU: read, charge, stop',
  subcommands: {
    read: sub('read', 'read an ENECTOR: state, power, currents, phases, sessionWh, serial', READ_USAGE),
    charge: sub('charge', 'take control for --for S seconds at --current A, then let go', CHARGE_USAGE),
    stop: sub('stop', 'write release 0 (charging not allowed)', STOP_USAGE),
  },
};
