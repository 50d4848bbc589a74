/**
 * The battery-node skeleton (sessy-battery, sofar-inverter): everything a battery node does with a
 * driver through the BatteryControl interface (lib/api/capabilities.ts), so a battery node file is
 * its configuration, its own commands (a Sessy's strategy and settings, a Sofar's mode) and its
 * locale texts.
 *
 * - Readings: each poll reading goes out as its own message; a command's message goes out as its
 *   reply, with the reading taken after the command (one message per command, not two).
 * - Setpoints: `done` is called as soon as the setpoint is accepted for sending; the driver sends
 *   the latest one (a newer setpoint supersedes one still waiting, and a superseded one gets no
 *   reply). A failure after that is reported on the status and with node.error(…, msg).
 * - Commands naming another battery's serial are ignored.
 * - Status (DeviceStatus): the battery's power and SoC; yellow with the reason while the unit cannot
 *   follow (starting, override, device error, unknown state, setpoint mismatch) or when setpoints
 *   arrive from two sources within the keep-alive window.
 * - Close: a command arriving while or after the node closes is dropped without an error (the
 *   close hands the unit back anyway); the driver is closed, then the node's own close steps run.
 */
import { SUPERSEDED } from '../../lib/api/battery-setpoint';
import type { BatteryControl, CommandOutcome } from '../../lib/api/capabilities';
import type { BatteryReading } from '../../lib/api/types';
import { DeviceStatus, errorText, safeInput } from './device-node';
import type { Node, NodeAPI, NodeMessage, SendFn } from './red';
import { formatPower } from './status';
import { closeInOrder } from './close';
import { SetpointSources, unwatchSenders, watchSenders } from './setpoint-sources';

/**
 * True when the command names a serial that is not this battery's (case-insensitive): the node
 * ignores it. While the own serial is not known yet, every command counts as ours.
 */
export function forAnotherBattery(command: object, mine: string | null | undefined): boolean {
  const serial = (command as { serial?: unknown }).serial;
  return typeof serial === 'string' && serial !== '' && !!mine && serial.toUpperCase() !== mine.toUpperCase();
}

/** "+1.2 kW · 64%": power and state of charge, the start of a battery's status text. */
export function batterySummary(r: Pick<BatteryReading, 'power' | 'soc'>): string {
  return `${formatPower(r.power)} · ${r.soc === null || r.soc === undefined ? '?' : `${Math.round(r.soc)}%`}`;
}

/** Status text keys every battery node's messages.json has under `<type>.status`. */
export type BatteryStatusKey = 'connecting' | 'stale' | 'starting' | 'override' | 'deviceError' | 'offline' | 'mismatch' | 'empty' | 'full' | 'standby' | 'sources';

/**
 * The one mapping of a normalized battery state to status text: a warning (yellow) while the unit
 * cannot follow setpoints, or undefined when it can (its state word then joins the summary).
 */
export function batteryStateWarning(r: BatteryReading, text: (k: BatteryStatusKey) => string): string | undefined {
  switch (r.state) {
    case 'starting':
      return `${text('starting')}${typeof r.startupRemainingS === 'number' ? ` ${r.startupRemainingS} s` : ''}`;
    case 'override':
      return text('override');
    case 'error':
      return text('deviceError');
    case 'offline':
      return text('offline');
    case 'unknown':
      return String(r.stateText ?? 'unknown');
  }
  if (r.setpointMismatch === true) return `${text('mismatch')} ${formatPower(Number(r.sentSetpoint ?? 0))}`;
  return undefined;
}

/** One battery command as the node's parser gives it. */
export interface BatteryNodeCommand {
  type: string;
  power?: number;
  serial?: string;
  reason?: string;
}

export interface BatteryNodeOptions<C extends BatteryNodeCommand> {
  RED: NodeAPI;
  node: Node;
  /** The driver, or a configuration error text. */
  device: (BatteryControl & { removeAllListeners?(): unknown }) | { error: string };
  topic: string;
  /** Expected update interval (the poll period), ms. */
  pollMs: number;
  /** Setpoints from two sources within this window raise the warning (the keep-alive period). */
  sourceWindowMs: number;
  /** Locale status texts. */
  text: (k: BatteryStatusKey | 'config') => string;
  parse(msg: NodeMessage): { command: C } | { error: string };
  /** The node's own commands (not setpoint / release / refresh); what it returns goes to msg.command. */
  extra?(command: C): Promise<Record<string, unknown> | undefined>;
  /** Status after the power and SoC (the strategy or mode) for a reading that can follow setpoints. */
  label?(r: BatteryReading): string;
  /** What goes to msg.raw (undefined: nothing). */
  raw?(): Record<string, unknown> | undefined;
  /** Further message properties. */
  extras?(): Record<string, unknown> | undefined;
  /** What the reply of a release adds to msg.command (the strategy now active, say). */
  released?(): Record<string, unknown>;
  /** Close steps after the driver's close (a link lease's release, say). */
  afterClose?: Array<() => unknown>;
}

/** Wires a battery node to its driver (see the file comment). */
export function runBatteryNode<C extends BatteryNodeCommand>(o: BatteryNodeOptions<C>): DeviceStatus {
  const { node, text } = o;
  const device = 'error' in o.device ? undefined : o.device;
  let last: BatteryReading | undefined;
  let replying = 0;
  let closing = false;
  const sources = new SetpointSources(o.sourceWindowMs);
  // One warning at a time (the unit's state first, then two setpoint sources), so the summary can make room for it.
  const warnings: { state?: string; sources?: string } = {};
  const warn = (k: 'state' | 'sources', v: string | undefined) => {
    warnings[k] = v;
    status.warn('battery', warnings.state ?? warnings.sources);
  };
  const status = new DeviceStatus(node, {
    freshness: { expectedMs: o.pollMs },
    waiting: text('connecting'),
    staleWord: text('stale'),
    summary: () => {
      if (!last) return '';
      const warning = warnings.state ?? warnings.sources;
      // Status texts stay within 32 characters: with a warning, the power (and the SoC when it fits).
      if (warning) return batterySummary(last).length + warning.length + 3 <= 32 ? batterySummary(last) : formatPower(last.power);
      const state = last.state === 'empty' || last.state === 'full' || last.state === 'standby' ? text(last.state) : (o.label?.(last) ?? '');
      return state ? `${batterySummary(last)} · ${state}` : batterySummary(last);
    },
  });
  watchSenders(o.RED, node.id);

  const message = (reading: BatteryReading, msg: NodeMessage = {}): NodeMessage => {
    msg.topic = o.topic;
    msg.payload = reading;
    const raw = o.raw?.();
    if (raw) msg.raw = raw;
    return Object.assign(msg, o.extras?.());
  };
  /** The command's message as its reply: the reading taken after it, and what was done. */
  const reply = async (msg: NodeMessage, send: SendFn, command: Record<string, unknown>): Promise<void> => {
    replying++;
    let reading: BatteryReading | undefined;
    try {
      reading = await device!.read();
    } catch {
      /* the poll loop reports read problems */
    } finally {
      replying--;
    }
    if (!reading) return;
    msg.command = command;
    send(message(reading, msg));
  };
  const ignorable = (e: unknown) => closing || (e as { code?: unknown })?.code === 'closed';

  if (!device) {
    status.config(text('config'));
    node.error(`${text('config')}: ${(o.device as { error: string }).error}`);
  } else {
    device.on('reading', (r) => {
      last = r;
      warn('state', batteryStateWarning(r, text));
      status.good();
      if (replying === 0) node.send(message(r));
    });
    device.on('poll-error', (e) => status.failed(e));
    device.start();
  }

  safeInput(node, async (msg, send) => {
    if (closing) return; // the close hands the unit back anyway
    const parsed = o.parse(msg);
    if ('error' in parsed) throw new Error(parsed.error);
    if (!device) throw new Error(`${text('config')}: ${(o.device as { error: string }).error}`);
    const c = parsed.command;
    if (forAnotherBattery(c, last?.serial ?? device.serial)) return;
    try {
      if (c.type === 'setpoint') {
        const n = sources.note(msg, c.reason, Date.now());
        warn('sources', n > 1 ? `${n} ${text('sources')}` : undefined);
        // Accepted for sending: done now; the reply follows when the driver has sent it.
        void device.setPower(c.power!).then(
          (r: CommandOutcome) => (r.reason === SUPERSEDED ? undefined : reply(msg, send, { type: 'setpoint', ...r })),
          (e: unknown) => {
            if (ignorable(e)) return;
            status.failed(e);
            node.error(errorText(e), msg);
          },
        );
        return;
      }
      let result: Record<string, unknown> | undefined = { type: c.type };
      if (c.type === 'release') {
        await device.release();
        result = { ...result, ...o.released?.() };
      }
      else if (c.type !== 'refresh') result = o.extra ? { type: c.type, ...(await o.extra(c)) } : result;
      await reply(msg, send, result);
    } catch (e) {
      if (ignorable(e)) return;
      if (!(e instanceof TypeError)) status.failed(e); // a TypeError is the message's fault, not the battery's
      throw e;
    }
  });

  closeInOrder(
    node,
    () => {
      closing = true;
      unwatchSenders(node.id);
      status.close();
    },
    () => device?.close(),
    ...(o.afterClose ?? []),
    () => device?.removeAllListeners?.(),
  );
  return status;
}

// The per-node command loop sofar-inverter uses until it moves onto runBatteryNode.
export { BatteryOutput, type BatteryCommandJob } from './battery-output';
