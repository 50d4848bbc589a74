/**
 * KsemPushReceiver: a Modbus TCP server for the KSEM's "Modbus master" mode. The KSEM writes its
 * internal registers to up to 10 TCP slaves, with the register groups ticked in its web UI:
 * current values total 0–27, current values phases 40–145, energy totals 512–551, energy phases
 * 592–791 (ksem.md §1.2, OFFICIAL: documents.kostal.com/KSEM-G2/BA_202306/en-GB/83581451.html and
 * 83583371.html). SunSpec and device-info registers are not pushed, so pushed readings carry no
 * serial.
 *
 * Accepted: FC 16 (and FC 6) writes that lie wholly inside one of the four groups; anything else
 * gets exception 2 (illegal data address). Reads (FC 3) of the same ranges return the image, which
 * helps when checking a setup with a Modbus tool. With `unitId` set, requests to other unit ids get
 * no reply at all (ModbusServer unit filter); without it every unit id is accepted.
 *
 * When a reading is emitted (the documented rule; the order and chunking of the KSEM's writes is
 * not published): the registers written since the last reading form the current cycle.
 *  1. A write that touches a register already written in this cycle starts a new cycle: the
 *     previous one is emitted first.
 *  2. When the cycle has rewritten every register the previous cycle had, it is emitted at once
 *     (from the second cycle on this is the normal case: one reading right after the last write).
 *  3. Otherwise it is emitted `settleMs` (default 250 ms) after its last write.
 * A reading needs registers 0–3 (active power + and −) written within `staleGroupMs` (default
 * 60 s); other groups are used while they are that fresh, so a group switched off in the KSEM ages
 * out instead of freezing. The timestamp is the time of the cycle's first write.
 *
 * Who may write (issue 11: a receiver on 0.0.0.0 took a write of 99,999.9 W from any client as a
 * meter reading, and zero export steers on it): the receiver listens on loopback unless told
 * otherwise, and accepts connections only from the addresses in `allowFrom` (the KSEM's IP);
 * with an empty list only from this machine (127.0.0.0/8, ::1). Any other client is disconnected
 * before it can write, counted (`counters.refused`) and reported ('refused', address).
 *
 * Events: 'reading' (MeterReading, KsemRaw), 'poll-error' (Error with `code` and `short`: an
 * incomplete cycle, a rejected write, a listen failure), 'refused' (address).
 */
import { EventEmitter } from 'node:events';
import * as net from 'node:net';
import { ModbusServer, type ModbusException } from '../../transport/modbus/server';
import { systemClock, type Clock, type Timer } from '../../util/clock';
import { decodeNative, RegisterImage } from './decode';
import { NATIVE_GROUPS } from './descriptor';
import { KsemDataError, nativeToReading } from './normalize';
import type { KsemReadingEvent } from './poller';

export interface KsemPushReceiverOptions {
  /** Listen address (default 127.0.0.1; the address of the interface the KSEM reaches, or 0.0.0.0 for all). */
  host?: string;
  /** Client addresses allowed to connect (the KSEM's IP); empty or absent: this machine only. */
  allowFrom?: readonly string[];
  /** Listen port (default 1502; 502 needs root on Linux). 0 = any free port. */
  port?: number;
  /** Accept only this unit id (default: any). */
  unitId?: number;
  settleMs?: number;
  staleGroupMs?: number;
  clock?: Clock;
}

export const PUSH_DEFAULTS = { host: '127.0.0.1', port: 1502, settleMs: 250, staleGroupMs: 60_000 };

/** A loopback address (127.0.0.0/8, ::1). */
export function isLoopback(address: string): boolean {
  return address === '::1' || /^127\./.test(address);
}

/** An error with the structured fields nodes show (`code`, `short`). */
function pushError(message: string, code: string, short: string, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(message), { code, short }, extra);
}

const IMAGE_SIZE = 792;

/** The group a register range lies wholly inside, or undefined. */
export function pushGroupOf(address: number, count: number): number | undefined {
  const i = NATIVE_GROUPS.findIndex((g) => address >= g.start && address + count <= g.start + g.count);
  return i >= 0 ? i : undefined;
}

export class KsemPushReceiver extends EventEmitter {
  readonly host: string;
  readonly requestedPort: number;
  readonly unitId?: number;
  private readonly settleMs: number;
  private readonly staleGroupMs: number;
  private readonly clock: Clock;
  private server?: ModbusServer;
  private readonly image = new RegisterImage();
  /** When each register was last written (clock ms), 0 = never. */
  private readonly writtenAt = new Float64Array(IMAGE_SIZE);
  private cycle = new Uint8Array(IMAGE_SIZE);
  private cycleCount = 0;
  private cycleStart = 0;
  private expected?: Uint8Array;
  private expectedCount = 0;
  private settle?: Timer;
  readonly counters = { writes: 0, rejected: 0, cycles: 0, readings: 0, incomplete: 0, refused: 0 };
  lastWriteAt?: number;
  /** Addresses allowed to connect (empty: loopback only). */
  readonly allowFrom: readonly string[];
  /** The last refused client address. */
  lastRefused?: string;

  constructor(opts: KsemPushReceiverOptions = {}) {
    super();
    this.host = opts.host ?? PUSH_DEFAULTS.host;
    this.requestedPort = opts.port ?? PUSH_DEFAULTS.port;
    this.unitId = opts.unitId;
    this.settleMs = opts.settleMs ?? PUSH_DEFAULTS.settleMs;
    this.staleGroupMs = opts.staleGroupMs ?? PUSH_DEFAULTS.staleGroupMs;
    this.clock = opts.clock ?? systemClock;
    this.allowFrom = (opts.allowFrom ?? []).map((a) => a.trim()).filter(Boolean);
    const bad = this.allowFrom.find((a) => !net.isIP(a));
    if (bad !== undefined) throw new RangeError(`allowed address ${JSON.stringify(bad)} is not an IP address`);
    if (this.unitId !== undefined && !(Number.isInteger(this.unitId) && this.unitId >= 0 && this.unitId <= 255)) throw new RangeError(`unit id ${this.unitId} is not in 0..255`);
    if (!(Number.isInteger(this.requestedPort) && this.requestedPort >= 0 && this.requestedPort < 65536)) throw new RangeError(`port ${this.requestedPort} is not in 0..65535`);
  }

  /** Starts listening; resolves to the port. */
  async start(): Promise<number> {
    if (this.server) throw new Error('push receiver already started');
    const server = new ModbusServer({
      transport: 'tcp',
      clock: this.clock,
      units: this.unitId === undefined ? undefined : [this.unitId],
      allow: (from) => this.allows(from),
      handler: {
        read: (_unit, fc, address, count) => this.onRead(fc, address, count),
        write: (_unit, _fc, address, values) => this.onWrite(address, values),
      },
    });
    server.on('problem', (e: Error) => this.problem(e));
    server.on('refused', (from: string) => {
      this.counters.refused++;
      this.lastRefused = from;
      this.emit('refused', from);
    });
    this.server = server;
    try {
      return await server.listen(this.requestedPort, this.host);
    } catch (e) {
      this.server = undefined;
      await server.close().catch(() => undefined);
      const err = e as NodeJS.ErrnoException;
      const hint = err.code === 'EACCES' ? ' (ports below 1024 need root; use 1502 and enter that port in the KSEM)' : err.code === 'EADDRINUSE' ? ' (port in use)' : '';
      const short = err.code === 'EACCES' ? `port ${this.requestedPort} needs root` : err.code === 'EADDRINUSE' ? `port ${this.requestedPort} in use` : err.code === 'EADDRNOTAVAIL' ? `no interface ${this.host}` : 'cannot listen';
      throw pushError(`KSEM push receiver cannot listen on ${this.host}:${this.requestedPort}: ${err.message}${hint}`, err.code ?? 'listen', short, { port: this.requestedPort });
    }
  }

  get port(): number | undefined {
    return this.server?.port;
  }

  async stop(): Promise<void> {
    this.settle?.cancel();
    this.settle = undefined;
    const s = this.server;
    this.server = undefined;
    if (s) await s.close();
  }

  /** Whether a client at this address may connect. */
  allows(address: string): boolean {
    return this.allowFrom.length ? this.allowFrom.includes(address) : isLoopback(address);
  }

  private problem(e: Error): void {
    if (this.listenerCount('poll-error')) this.emit('poll-error', e);
  }

  private onRead(fc: number, address: number, count: number): number[] | ModbusException {
    if (fc !== 3 || pushGroupOf(address, count) === undefined) return { exception: 2 };
    return this.image.block(address, count);
  }

  private onWrite(address: number, values: number[]): void | ModbusException {
    if (pushGroupOf(address, values.length) === undefined) {
      this.counters.rejected++;
      this.problem(pushError(`KSEM push: write to registers ${address}–${address + values.length - 1} rejected (exception 2): outside 0–27, 40–145, 512–551, 592–791`, 'rejected-write', `write to ${address} refused`));
      return { exception: 2 };
    }
    const now = this.clock.now();
    this.counters.writes++;
    this.lastWriteAt = now;
    let repeat = false;
    for (let i = 0; i < values.length; i++) if (this.cycle[address + i]) repeat = true;
    if (repeat) this.closeCycle();
    if (this.cycleCount === 0) this.cycleStart = now;
    this.image.set(address, values);
    for (let i = 0; i < values.length; i++) {
      const a = address + i;
      this.writtenAt[a] = now;
      if (!this.cycle[a]) {
        this.cycle[a] = 1;
        this.cycleCount++;
      }
    }
    this.settle?.cancel();
    this.settle = undefined;
    if (this.expected && this.cycleCount >= this.expectedCount && this.covers(this.expected)) {
      this.closeCycle();
      return;
    }
    this.settle = this.clock.setTimeout(() => {
      this.settle = undefined;
      this.closeCycle();
    }, this.settleMs);
  }

  private covers(expected: Uint8Array): boolean {
    for (let a = 0; a < IMAGE_SIZE; a++) if (expected[a] && !this.cycle[a]) return false;
    return true;
  }

  /** Ends the current cycle and emits its reading. */
  private closeCycle(): void {
    this.settle?.cancel();
    this.settle = undefined;
    if (this.cycleCount === 0) return;
    this.expected = this.cycle;
    this.expectedCount = this.cycleCount;
    this.cycle = new Uint8Array(IMAGE_SIZE);
    this.cycleCount = 0;
    this.counters.cycles++;
    const now = this.clock.now();
    // Only registers written recently enough count.
    const fresh = new RegisterImage();
    for (let a = 0; a < IMAGE_SIZE; a++) {
      if (this.writtenAt[a] > 0 && now - this.writtenAt[a] <= this.staleGroupMs) {
        const w = this.image.get(a, 1);
        if (w) fresh.set(a, w);
      }
    }
    const values = decodeNative(fresh);
    try {
      const reading = nativeToReading(values, this.cycleStart, undefined, 'KSEM Modbus master (push)');
      this.counters.readings++;
      const ev: KsemReadingEvent = { reading, raw: { layout: 'native', values, identity: {} } };
      this.emit('reading', ev.reading, ev.raw);
    } catch (e) {
      this.counters.incomplete++;
      const msg = e instanceof KsemDataError ? `${e.message}; tick "current values total" (registers 0–27) in the KSEM's Modbus master settings` : String(e);
      this.problem(pushError(`KSEM push: no reading from this cycle: ${msg}`, 'incomplete', 'no power in push (regs 0–3)'));
    }
  }
}
