/**
 * Legacy: the per-node command loop of a battery node (sofar-inverter uses it until its driver
 * serves BatteryControl and the node moves onto runBatteryNode in battery-node.ts; then this file goes).
 */
import type { BatteryReading } from '../../lib/api/types';
import type { DoneFn, Node, NodeMessage, SendFn } from './red';
import { forAnotherBattery } from './battery-node';

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
