/**
 * KsemPoller: reads a KSEM over a shared ModbusLink once per period (default 1 s, the meter's own
 * refresh rate, ksem.md §1.2) and emits normalized readings.
 *
 * Layouts (the `layout` option):
 * - 'native' — the KSEM's own registers (ksem.md §1.4–1.7): 0.1 W resolution, unsigned energy
 *   counters, addresses stable across firmware. Per poll: 0–65, 80–145, 512–551 (3 reads); the
 *   per-phase energies 592–791 (2 reads) every `phaseEnergyEveryMs` (30 s).
 * - 'sunspec' — SunSpec model 203 found by walking the chain (§1.11), one read of 55 registers per
 *   poll; 10 W resolution on the KSEM.
 * - 'auto' (default) — native; falls back to SunSpec when the native registers answer with an
 *   exception (a device that lacks them) and a model 203 exists.
 * Identification (serial, model, firmware) always comes from SunSpec model 1 when present, else
 * from the native device-info block 0x2000 (§1.8).
 *
 * Detection (SunSpec walk, device info, the effective layout) is done before the first poll and
 * cached; it is redone after any failed poll and after the link reconnects, so a firmware update
 * that moves model 203 (2.6: +1 register) is picked up without a redeploy.
 *
 * The poller is the KSEM's `MeterSource` (lib/api/capabilities.ts). Events: 'reading'
 * (MeterReading, and the KsemRaw decoded values as a second argument), 'poll-error' (a
 * ModbusError or KsemDataError whose message names the registers and the cause, with `code` and a
 * `short` status text; also emitted as 'problem' for older listeners), 'identity'
 * (KsemIdentityEvent, after each detection).
 */
import { EventEmitter } from 'node:events';
import type { MeterSource } from '../../api/capabilities';
import { RegisterImage } from '../../api/device';
import type { MeterReading } from '../../api/types';
import { ModbusError } from '../../transport/modbus/errors';
import type { ModbusLink } from '../../transport/modbus/types';
import { systemClock, type Clock, type Timer } from '../../util/clock';
import { decodeCommon, decodeInfo, decodeMeter203, decodeNative, layoutOf, SunSpecError, walkSunSpec, type SunSpecMap, type SunSpecMeterValues } from './decode';
import { KSEM_DEFAULTS, KSEM_DESCRIPTOR, POLL_BLOCKS, SUNSPEC, type RegisterBlock } from './descriptor';
import { KsemDataError, nativeToReading, sunspecToReading, type KsemIdentity } from './normalize';

export type KsemLayout = 'auto' | 'native' | 'sunspec';

export interface KsemPollerOptions {
  /** Unit id (default 1; the KSEM answers on any, ksem.md §1.2). */
  unit?: number;
  /** Poll period, ms (default 1000). */
  pollMs?: number;
  layout?: KsemLayout;
  /** Per-phase energies every this many ms (default 30000; 0 = every poll; < 0 = never). */
  phaseEnergyEveryMs?: number;
  /** Per-request timeout, ms (default: the link's). */
  timeoutMs?: number;
  clock?: Clock;
}

export interface KsemRaw {
  layout: 'native' | 'sunspec';
  /** Decoded values: native point names (W, var, VA, V, A, Hz, Wh) or model 203 point names. */
  values: Record<string, number>;
  identity: KsemIdentity;
  sunspec?: { base: number; models: Array<{ id: number; address: number; length: number }> };
}

export interface KsemReadingEvent {
  reading: MeterReading;
  raw: KsemRaw;
}

export interface KsemIdentityEvent {
  identity: KsemIdentity;
  layout: 'native' | 'sunspec';
  sunspec?: SunSpecMap;
  /** Address of SunSpec model 203 (40069 before firmware 2.6, 40070 from 2.6). */
  meterAddress?: number;
}

interface Detection extends KsemIdentityEvent {
  phaseEnergy: boolean;
}

/** Exceptions and malformed replies say something about the register map; everything else is the transport. */
export function isTransportError(e: unknown): boolean {
  return !(e instanceof ModbusError && (e.code === 'exception' || e.code === 'malformed')) && !(e instanceof SunSpecError);
}

const isException = (e: unknown) => e instanceof ModbusError && e.code === 'exception';

/** The status text of a failed read of registers a–b: "timeout, regs 0–65", "exception 2, regs 512–551"; transport failures keep their own ("connection refused"). */
function readShort(e: ModbusError, address: number, count: number): string {
  const regs = `regs ${address}–${address + count - 1}`;
  if (e.code === 'exception') return `exception ${e.exceptionCode ?? ''}, ${regs}`;
  if (e.code === 'timeout' || e.code === 'malformed' || e.code === 'crc') return `${e.short ?? e.code}, ${regs}`;
  return e.short ?? e.code;
}

export class KsemPoller extends EventEmitter implements MeterSource {
  readonly descriptor = KSEM_DESCRIPTOR;
  readonly link: ModbusLink;
  readonly unit: number;
  readonly pollMs: number;
  readonly layout: KsemLayout;
  private readonly phaseEnergyEveryMs: number;
  private readonly timeoutMs?: number;
  private readonly clock: Clock;
  private detection?: Detection;
  private phaseEnergyAt = -Infinity;
  private phaseEnergy: Record<string, number> = {};
  private timer?: Timer;
  private running = false;
  private busy?: Promise<void>;
  private readonly onConnected = () => {
    // A reconnect may mean a rebooted meter with new firmware: detect again.
    this.detection = undefined;
  };
  readonly counters = { polls: 0, readings: 0, errors: 0, detections: 0 };
  lastError?: Error;

  constructor(link: ModbusLink, opts: KsemPollerOptions = {}) {
    super();
    this.link = link;
    this.unit = opts.unit ?? KSEM_DEFAULTS.unitId;
    this.pollMs = opts.pollMs ?? KSEM_DEFAULTS.pollMs;
    this.layout = opts.layout ?? 'auto';
    this.phaseEnergyEveryMs = opts.phaseEnergyEveryMs ?? KSEM_DEFAULTS.phaseEnergyEveryMs;
    this.timeoutMs = opts.timeoutMs;
    this.clock = opts.clock ?? systemClock;
    if (!Number.isInteger(this.unit) || this.unit < 0 || this.unit > 255) throw new RangeError(`unit id ${this.unit} is not in 0..255`);
    if (!(this.pollMs >= 100)) throw new RangeError(`poll period ${this.pollMs} ms is below 100 ms`);
    if (!['auto', 'native', 'sunspec'].includes(this.layout)) throw new RangeError(`layout ${String(this.layout)} is not auto, native or sunspec`);
  }

  /** Serial number from the last detection (SunSpec model 1, else the native 0x2024 string). */
  get serial(): string | null {
    const id = this.detection?.identity;
    return id?.common?.serialNumber || id?.info?.serialNumber || null;
  }

  /** MeterSource: one fresh reading now. */
  async read(): Promise<MeterReading> {
    return (await this.poll()).reading;
  }

  /** MeterSource: stops polling (the link belongs to whoever passed it in). */
  close(): Promise<void> {
    return this.stop();
  }

  /** The cached detection, if any. */
  get identity(): KsemIdentityEvent | undefined {
    return this.detection;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.link.on('connected', this.onConnected);
    // A poll still in flight from before stop() schedules the next one itself; a second loop would double the polls.
    if (!this.busy) this.schedule(0);
  }

  /** Stops polling; resolves when a poll in flight has finished. */
  async stop(): Promise<void> {
    this.running = false;
    this.timer?.cancel();
    this.timer = undefined;
    this.link.off('connected', this.onConnected);
    await this.busy;
  }

  private schedule(ms: number): void {
    if (!this.running) return;
    this.timer = this.clock.setTimeout(() => {
      const started = this.clock.now();
      this.busy = this.poll().then(
        () => undefined,
        () => undefined,
      );
      void this.busy.then(() => {
        this.busy = undefined;
        this.schedule(Math.max(0, started + this.pollMs - this.clock.now()));
      });
    }, ms);
  }

  /** One poll: detect if needed, read, normalize. Emits 'reading' or 'poll-error' and also returns/throws. */
  async poll(): Promise<KsemReadingEvent> {
    this.counters.polls++;
    try {
      const ev = await this.pollInner();
      this.counters.readings++;
      this.lastError = undefined;
      this.emit('reading', ev.reading, ev.raw);
      return ev;
    } catch (e) {
      const err = e instanceof Error ? e : new Error(String(e));
      this.counters.errors++;
      this.lastError = err;
      this.detection = undefined;
      if (this.listenerCount('poll-error')) this.emit('poll-error', err);
      if (this.listenerCount('problem')) this.emit('problem', err);
      throw err;
    }
  }

  private readBlock(b: RegisterBlock): Promise<number[]> {
    return this.readAt(b.start, b.count);
  }

  private async readAt(address: number, count: number): Promise<number[]> {
    try {
      const words = await this.link.readHoldingRegisters(this.unit, address, count, this.timeoutMs ? { timeoutMs: this.timeoutMs } : undefined);
      if (!Array.isArray(words) || words.length !== count) throw new ModbusError('malformed', `expected ${count} registers, got ${Array.isArray(words) ? words.length : typeof words}`);
      return words;
    } catch (e) {
      const m = e instanceof Error ? e.message : String(e);
      const me = e instanceof ModbusError ? e : new ModbusError('disconnected', m);
      const wrapped = new ModbusError(me.code, `KSEM registers ${address}–${address + count - 1}: ${m}`, me.exceptionCode, readShort(me, address, count));
      if (me.fingerprint256) wrapped.fingerprint256 = me.fingerprint256;
      if (me.errno) wrapped.errno = me.errno;
      throw wrapped;
    }
  }

  /** Walks SunSpec, reads device info, decides the layout. */
  async detect(): Promise<KsemIdentityEvent> {
    const identity: KsemIdentity = {};
    let sunspec: SunSpecMap | undefined;
    let meterAddress: number | undefined;
    let window: RegisterImage | undefined;
    try {
      window = new RegisterImage();
      const w = window;
      sunspec = await walkSunSpec(
        async (a, n) => {
          const words = await this.readAt(a, n);
          w.set(a, words);
          return words;
        },
        { isTransportError },
      );
    } catch (e) {
      if (isTransportError(e)) throw e;
      sunspec = undefined;
    }
    if (sunspec && window) {
      const m1 = sunspec.models[0];
      const words = window.get(m1.address, 2 + m1.length) ?? (await this.readAt(m1.address, Math.min(125, 2 + m1.length)));
      identity.common = decodeCommon(words, sunspec.base);
      meterAddress = layoutOf(sunspec)?.meterAddress;
    }
    const info = new RegisterImage();
    for (const b of POLL_BLOCKS.info) {
      try {
        info.set(b.start, await this.readBlock(b));
      } catch (e) {
        if (isTransportError(e)) throw e;
      }
    }
    const di = decodeInfo(info);
    if (Object.keys(di).length) identity.info = di;

    let layout: 'native' | 'sunspec' = 'native';
    if (this.layout === 'sunspec') {
      if (meterAddress === undefined) throw new SunSpecError(sunspec ? 'SunSpec map has no model 203 (three-phase meter)' : 'no SunSpec map at 40000, 0 or 50000', 'no SunSpec model 203');
      layout = 'sunspec';
    }
    const d: Detection = { identity, layout, sunspec, meterAddress, phaseEnergy: this.phaseEnergyEveryMs >= 0 };
    this.detection = d;
    this.phaseEnergyAt = -Infinity;
    this.counters.detections++;
    const ev: KsemIdentityEvent = { identity, layout, sunspec, meterAddress };
    this.emit('identity', ev);
    return ev;
  }

  private async pollInner(): Promise<KsemReadingEvent> {
    const d = (this.detection ?? ((await this.detect()), this.detection)) as Detection;
    if (d.layout === 'native') {
      try {
        return await this.pollNative(d);
      } catch (e) {
        if (this.layout === 'auto' && isException(e) && d.meterAddress !== undefined) {
          d.layout = 'sunspec';
          this.emit('identity', { identity: d.identity, layout: d.layout, sunspec: d.sunspec, meterAddress: d.meterAddress });
          return await this.pollSunSpec(d);
        }
        throw e;
      }
    }
    return this.pollSunSpec(d);
  }

  private rawSunSpec(d: Detection): KsemRaw['sunspec'] {
    return d.sunspec ? { base: d.sunspec.base, models: d.sunspec.models.map((m) => ({ ...m })) } : undefined;
  }

  private async pollNative(d: Detection): Promise<KsemReadingEvent> {
    const image = new RegisterImage();
    const [first, ...rest] = POLL_BLOCKS.current;
    image.set(first.start, await this.readBlock(first));
    const timestamp = this.clock.now();
    for (const b of [...rest, ...POLL_BLOCKS.energy]) image.set(b.start, await this.readBlock(b));
    const now = this.clock.now();
    if (d.phaseEnergy && now - this.phaseEnergyAt >= this.phaseEnergyEveryMs) {
      try {
        const pe = new RegisterImage();
        for (const b of POLL_BLOCKS.phaseEnergy) pe.set(b.start, await this.readBlock(b));
        this.phaseEnergy = {};
        for (const [k, v] of Object.entries(decodeNative(pe))) if (k.includes('Energy')) this.phaseEnergy[k] = v;
        this.phaseEnergyAt = now;
      } catch (e) {
        if (!isException(e)) throw e;
        d.phaseEnergy = false; // the meter lacks them; ask again after the next detection
        this.phaseEnergy = {};
      }
    }
    const values = { ...decodeNative(image), ...this.phaseEnergy };
    const reading = nativeToReading(values, timestamp, d.identity);
    return { reading, raw: { layout: 'native', values, identity: d.identity, sunspec: this.rawSunSpec(d) } };
  }

  private async pollSunSpec(d: Detection): Promise<KsemReadingEvent> {
    const addr = d.meterAddress!;
    const words = await this.readAt(addr, SUNSPEC.m203ReadCount);
    const timestamp = this.clock.now();
    if (!SUNSPEC.meterIds.includes(words[0]) || words[1] < SUNSPEC.m203ReadCount - 2) {
      throw new SunSpecError(`SunSpec model 203 is no longer at ${addr} (found id ${words[0]}, length ${words[1]}): map changed, detecting again`, 'SunSpec map changed');
    }
    const m: SunSpecMeterValues = decodeMeter203(words, addr);
    const reading = sunspecToReading(m, timestamp, d.identity);
    return { reading, raw: { layout: 'sunspec', values: m as Record<string, number>, identity: d.identity, sunspec: this.rawSunSpec(d) } };
  }
}

export { KsemDataError };

/** One line for the log after a detection: "KSEM 74012345, firmware 2.6.2, native registers, SunSpec model 203 at 40070". */
export function describeIdentity(id: KsemIdentityEvent): string {
  const c = id.identity.common;
  return (
    `KSEM ${c?.serialNumber ?? id.identity.info?.serialNumber ?? '(no serial)'}` +
    `${c?.version ? ', firmware ' + c.version : ''}, ${id.layout} registers` +
    `${id.meterAddress !== undefined ? ', SunSpec model 203 at ' + id.meterAddress : ', no SunSpec model 203'}`
  );
}

/** The driver factory (DESIGN.md §3): the KSEM's MeterSource on a link. */
export function createKsem(link: ModbusLink, params: KsemPollerOptions = {}): KsemPoller {
  return new KsemPoller(link, params);
}
