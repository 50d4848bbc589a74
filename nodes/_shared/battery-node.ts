/**
 * What the battery nodes (sessy-battery, sofar-inverter) share: the output message of a reading,
 * answering a command message with the reading taken right after the command, the serial filter
 * of battery commands (BatterySetpointCommand.serial in lib/api/types.ts), and the status summary.
 */
import type { BatteryReading } from '../../lib/api/types';
import type { DoneFn, Node, NodeMessage, SendFn } from './red';
import { formatPower } from './status';

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

/** One command message as the node understood it. */
export interface BatteryCommandJob {
  /** The command (its optional `serial` picks the battery). */
  command: object;
  /** This battery's serial, when known. */
  serial: string | null | undefined;
  /** Carries the command out; what it returns goes to `msg.command` of the reply. */
  execute(): Promise<Record<string, unknown> | undefined>;
  /** Reads the battery once (the device also emits this reading as its 'reading' event). */
  read(): Promise<BatteryReading>;
  /** When set, a failed read after the command fails the message with this text. */
  noReading?: string;
  /** Sees a failed command before the message fails with it (status update and the like). */
  onError?(e: Error): void;
}

/**
 * A battery node's output: keeps the latest reading, sends each poll reading as its own message,
 * and while a command waits for its read-back, lets that reading go out as the command's reply
 * instead (one message per command, not two).
 */
export class BatteryOutput {
  /** The latest reading and when it came (Date.now()). */
  last: { reading: BatteryReading; at: number } | undefined;
  private replying = 0;

  /** `raw` returns what goes to `msg.raw`, or undefined when the node does not add it. */
  constructor(
    private readonly node: Pick<Node, 'send'>,
    private readonly topic: string,
    private readonly raw: () => Record<string, unknown> | undefined = () => undefined,
    /** Further message properties (e.g. `link` counters of a Modbus device). */
    private readonly extras: () => Record<string, unknown> | undefined = () => undefined,
  ) {}

  /** `{ topic, payload: reading, raw?, ...extras }` */
  message(reading: BatteryReading): NodeMessage {
    const msg: NodeMessage = { topic: this.topic, payload: reading };
    const raw = this.raw();
    if (raw) msg.raw = raw;
    Object.assign(msg, this.extras());
    return msg;
  }

  /** Call from the device's 'reading' event: keeps it and sends it unless it answers a command. */
  reading(reading: BatteryReading): void {
    this.last = { reading, at: Date.now() };
    if (this.replying === 0) this.node.send(this.message(reading));
  }

  /**
   * Runs one command message: a command for another battery is ignored (done at once); otherwise
   * the command is carried out, the battery read again, and the message itself goes out as the
   * reply: payload (and raw) from that reading, `msg.command` from execute(). A failed read after
   * a successful command only costs the reply (the poll loop reports the read problem).
   */
  run(msg: NodeMessage, send: SendFn, done: DoneFn, job: BatteryCommandJob): void {
    if (forAnotherBattery(job.command, job.serial)) return done();
    (async () => {
      const result = await job.execute();
      let reading: BatteryReading | undefined;
      this.replying++;
      try {
        reading = await job.read();
      } catch {
        /* see above */
      } finally {
        this.replying--;
      }
      if (!reading) {
        if (job.noReading) throw new Error(job.noReading);
        return;
      }
      const out = this.message(reading);
      msg.topic = out.topic;
      msg.payload = out.payload;
      if (out.raw) msg.raw = out.raw;
      if (result) msg.command = result;
      send(msg);
    })().then(
      () => done(),
      (e: Error) => {
        job.onError?.(e);
        done(e);
      },
    );
  }
}
