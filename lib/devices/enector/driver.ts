/**
 * EnectorCharger: the energy-manager side of one KOSTAL ENECTOR / Mennekes AMTRON Compact 2.0s on a
 * (shared) Modbus RTU link, the box as slave (enector.md §2.2 topology B). Implements ChargerControl.
 *
 * - start(): the heartbeat 0x55AA → 0x0D00 starts at once and runs every `heartbeatMs` (2–8 s,
 *   default 5 s) on its own timer, whatever else happens (§2.7: evcc "start heartbeat immediately");
 *   polling every `pollMs`.
 * - read(): identity once (layout version 0x0000 first: it gates every later read), then the state,
 *   limits, meter, session, control and error blocks, each cut to the points the box's layout has.
 *   Float word order: a setting, default high word first; 'auto' decides once from voltage L1
 *   (plausible 180–260 V, or ≈ 0, one way only — §2.4).
 * - apply({ enabled, currentA, phases }): §2.7 exactly — release 0x0D05 = 0 stops (never current 0);
 *   current as float to 0x0302, clamped to 6 A … the lowest of the box's, the session's and the
 *   installation's limits, 6.01 instead of 6.0 on layout ≤ 1.0.2; increases written no faster than
 *   every `currentWriteMs` (later values coalesced into one deferred write), decreases at once (they
 *   protect fuses and grid limits); release 1 to charge.
 *   Phase switching only where the box reports 1p/3p switchable (0x030C = 2) and the user allowed
 *   it: release 0, write 0x0D04, wait the box's pause (0x0314), release again.
 * - Recovery: on EVSE state 6 (error) once per episode current 0 and release 1 (as evcc), then the
 *   wanted command again; a box that reads release 0 while we want 1 (it rebooted) is re-commanded.
 * - close(): optional final command (`onClose: 'pause'` = release 0), then the heartbeat stops so
 *   the box falls back to its own master-lost behaviour (0x030E) — deterministic on a redeploy.
 *
 * Time is injected (Clock). Failures reject only their own call and are emitted as 'poll-error'
 * (reads) or 'command-error' (writes), with `code` and `short` for status texts.
 */
import { EventEmitter } from 'node:events';
import type { ChargerControl, CommandOutcome } from '../../api/capabilities';
import { decodeBlock, decodeRegisterWords, encodeRegisterPoint, findPoint, pointWords, type DevicePoint } from '../../api/device';
import type { ChargerReading, ChargerSetpointCommand, ChargerState, PhaseValues } from '../../api/types';
import type { ModbusLink } from '../../transport/modbus/types';
import type { WordOrder } from '../../transport/modbus/data-types';
import { systemClock, type Clock, type Timer } from '../../util/clock';
import { SerialQueue } from '../../util/serial-queue';
import { SingleFlight } from '../../util/single-flight';
import {
  ENECTOR_BLOCKS,
  ENECTOR_DEFAULTS,
  ENECTOR_DESCRIPTOR,
  ENECTOR_POINTS,
  EVSE_STATES,
  CP_STATES,
  CABLE_LOCK,
  HEARTBEAT_VALUE,
  LAYOUT,
  MIN_CURRENT_A,
  OLD_LAYOUT_MIN_A,
  POINT_LAYOUT,
  REG,
  layoutText,
} from './descriptor';

export interface EnectorOptions {
  link: ModbusLink;
  /** Modbus unit id, default 50. */
  unit?: number;
  /** Float word order: 'be' (high word first, default), 'le', or 'auto' (decide once from voltage L1). */
  wordOrder?: WordOrder | 'auto';
  heartbeatMs?: number;
  /** Poll interval, ms (default 5000; 0 = only on read()). */
  pollMs?: number;
  /** Allow 1/3-phase switching for the connected car (default false: some cars are damaged by switching during a session). */
  allowPhaseSwitching?: boolean;
  /** Largest current per phase the installation allows (main fuse share), A; default the box's own limits. */
  installationMaxA?: number;
  /** Pause after a phase switch when the box does not report its own, s. */
  phaseSwitchPauseS?: number;
  /** Minimum spacing of current-limit writes, ms (default 5000). */
  currentWriteMs?: number;
  /** What close() does before the heartbeat stops: 'fallback' (nothing: the box's master-lost setting applies) or 'pause' (release 0). */
  onClose?: 'fallback' | 'pause';
  timeoutMs?: number;
  clock?: Clock;
}

export class EnectorError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly short: string,
    override readonly cause?: unknown,
  ) {
    super(message);
    this.name = 'EnectorError';
  }
}

function wrap(e: unknown, what: string): EnectorError {
  if (e instanceof EnectorError) return e;
  const c = e as { code?: string; exceptionCode?: number; message?: string };
  const code = typeof c?.code === 'string' ? c.code : 'error';
  const short = code === 'exception' ? `${what}: exception ${c.exceptionCode ?? ''}`.trim() : `${what}: ${code}`;
  return new EnectorError(`ENECTOR ${what} failed: ${c?.message ?? String(e)}`, code, short, e);
}

const point = (name: string): DevicePoint => findPoint(ENECTOR_POINTS, name);
/** A plausible phase voltage: 180–260 V, or about 0 (no phase) — a denormal from swapped words is neither. */
const PLAUSIBLE_V = (v: number) => (v >= 180 && v <= 260) || v === 0 || (Math.abs(v) >= 0.01 && Math.abs(v) < 5);

/** Decides the float word order from the two words of voltage L1; undefined while it cannot tell. */
export function detectWordOrder(words: readonly number[]): WordOrder | undefined {
  const p = point('L1.voltage');
  const be = decodeRegisterWords(p, words, { wordOrder: 'be' });
  const le = decodeRegisterWords(p, words, { wordOrder: 'le' });
  const okBe = typeof be === 'number' && PLAUSIBLE_V(be);
  const okLe = typeof le === 'number' && PLAUSIBLE_V(le);
  if (okBe && !okLe) return 'be';
  if (okLe && !okBe) return 'le';
  return undefined;
}

type Values = Record<string, number | string>;

export class EnectorCharger extends EventEmitter implements ChargerControl {
  readonly descriptor = ENECTOR_DESCRIPTOR;
  readonly link: ModbusLink;
  readonly unit: number;
  readonly clock: Clock;
  serial: string | null = null;
  firmware: string | null = null;
  layout: number | null = null;
  wordOrder: WordOrder;
  /** true once the word order is fixed (setting, or auto-detected). */
  wordOrderKnown: boolean;
  /** The latest decoded values by point name. */
  values: Values = {};
  last: ChargerReading | null = null;
  readonly counters = { polls: 0, pollErrors: 0, heartbeats: 0, heartbeatErrors: 0, writes: 0, writeErrors: 0, recoveries: 0 };

  private readonly o: Required<Omit<EnectorOptions, 'link' | 'unit' | 'wordOrder' | 'installationMaxA' | 'timeoutMs' | 'clock'>> & { installationMaxA?: number; timeoutMs?: number };
  private wanted: Omit<ChargerSetpointCommand, 'kind'> | null = null;
  private writtenCurrent: number | null = null;
  private currentWrittenAt = -Infinity;
  private writtenRelease: 0 | 1 | null = null;
  private deferred?: Timer;
  private heartbeatTimer?: Timer;
  private pollTimer?: Timer;
  private readonly steps = new SerialQueue();
  private readonly reads = new SingleFlight<ChargerReading>();
  private inErrorEpisode = false;
  private switching = false;
  private started = false;
  private closed = false;

  constructor(o: EnectorOptions) {
    super();
    this.link = o.link;
    this.unit = o.unit ?? ENECTOR_DEFAULTS.unit;
    if (!Number.isInteger(this.unit) || this.unit < 1 || this.unit > 247) throw new RangeError(`unit id ${this.unit} is not 1–247`);
    this.clock = o.clock ?? systemClock;
    const wo = o.wordOrder ?? 'be';
    this.wordOrder = wo === 'le' ? 'le' : 'be';
    this.wordOrderKnown = wo !== 'auto';
    const hb = Number(o.heartbeatMs ?? ENECTOR_DEFAULTS.heartbeatMs);
    this.o = {
      heartbeatMs: Math.max(ENECTOR_DEFAULTS.heartbeatMinMs, Math.min(ENECTOR_DEFAULTS.heartbeatMaxMs, Number.isFinite(hb) ? hb : ENECTOR_DEFAULTS.heartbeatMs)),
      pollMs: o.pollMs ?? ENECTOR_DEFAULTS.pollMs,
      allowPhaseSwitching: o.allowPhaseSwitching ?? false,
      installationMaxA: o.installationMaxA,
      phaseSwitchPauseS: o.phaseSwitchPauseS ?? ENECTOR_DEFAULTS.phaseSwitchPauseS,
      currentWriteMs: o.currentWriteMs ?? ENECTOR_DEFAULTS.currentWriteMs,
      onClose: o.onClose ?? 'fallback',
      timeoutMs: o.timeoutMs,
    };
    this.on('error', () => undefined);
  }

  // -------------------------------------------------------------------------------------------
  // Lifecycle
  // -------------------------------------------------------------------------------------------

  start(): void {
    if (this.started || this.closed) return;
    this.started = true;
    void this.heartbeat();
    this.heartbeatTimer = this.clock.setInterval(() => void this.heartbeat(), this.o.heartbeatMs);
    if (this.o.pollMs > 0) {
      this.pollTimer = this.clock.setInterval(() => this.pollQuietly(), this.o.pollMs);
      this.pollQuietly();
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.pollTimer?.cancel();
    this.deferred?.cancel();
    if (this.o.onClose === 'pause' && this.started) {
      await this.write(REG.release, [0], 'release 0').catch(() => undefined);
    }
    this.heartbeatTimer?.cancel();
    this.removeAllListeners('reading');
  }

  private reqOpts(): { timeoutMs: number } | undefined {
    return this.o.timeoutMs ? { timeoutMs: this.o.timeoutMs } : undefined;
  }

  /** One heartbeat write; failures are counted and emitted, never thrown. */
  async heartbeat(): Promise<void> {
    try {
      await this.link.writeSingleRegister(this.unit, REG.heartbeat, HEARTBEAT_VALUE, this.reqOpts());
      this.counters.heartbeats++;
      this.emit('heartbeat', { ok: true, at: this.clock.now() });
    } catch (e) {
      this.counters.heartbeatErrors++;
      const err = wrap(e, 'heartbeat');
      // Exception 2 on the heartbeat: not a Mennekes controller (e.g. a KSEM), enector.md §2.8.
      const ex = (e as { exceptionCode?: number }).exceptionCode;
      const hint = ex === 2 ? ' (exception 2 on the heartbeat: this is not an ENECTOR/AMTRON in satellite mode — a KSEM answers like this)' : '';
      const out = new EnectorError(err.message + hint, err.code, err.short, e);
      this.emit('heartbeat', { ok: false, at: this.clock.now(), error: out });
      this.emit('command-error', out);
    }
  }

  // -------------------------------------------------------------------------------------------
  // Reading
  // -------------------------------------------------------------------------------------------

  private pollQuietly(): void {
    if (!this.closed) this.reads.poke(() => this.doRead());
  }

  /** One read; a caller while one is in flight shares it. */
  read(): Promise<ChargerReading> {
    return this.reads.run(() => this.doRead());
  }

  /** Points of a block this box's layout has. */
  private supported(block: { address: number; count: number }): DevicePoint[] {
    const layout = this.layout ?? LAYOUT.v100;
    return ENECTOR_POINTS.filter((p) => {
      if (p.source.kind !== 'register' || p.access === 'w') return false;
      const a = p.source.address;
      return a >= block.address && a + pointWords(p) <= block.address + block.count && (POINT_LAYOUT[p.name] ?? LAYOUT.v100) <= layout;
    });
  }

  private async readBlock(block: { name: string; address: number; count: number }): Promise<Values> {
    const pts = this.supported(block);
    if (!pts.length) return {};
    const start = Math.min(...pts.map((p) => (p.source as { address: number }).address));
    const end = Math.max(...pts.map((p) => (p.source as { address: number }).address + pointWords(p)));
    let words: number[];
    try {
      words = await this.link.readHoldingRegisters(this.unit, start, end - start, this.reqOpts());
    } catch (e) {
      throw wrap(e, `read ${block.name} ${start}–${end - 1}`);
    }
    if (block.name === 'meter' && !this.wordOrderKnown) {
      const off = 0x0506 - start;
      const order = off >= 0 ? detectWordOrder(words.slice(off, off + 2)) : undefined;
      if (order) {
        this.wordOrder = order;
        this.wordOrderKnown = true;
        this.emit('word-order', order);
      }
    }
    return decodeBlock(pts, 0x03, start, words, { wordOrder: this.wordOrder });
  }

  private async readIdentity(): Promise<void> {
    let words: number[];
    try {
      words = await this.link.readHoldingRegisters(this.unit, REG.layout, 1, this.reqOpts());
    } catch (e) {
      throw wrap(e, 'read layout version');
    }
    const layout = words[0];
    this.layout = layout >= LAYOUT.v100 && layout < 0x200 ? layout : LAYOUT.v100;
    const id = await this.readBlock(ENECTOR_BLOCKS[0]);
    this.firmware = typeof id.firmware === 'string' && id.firmware ? id.firmware : null;
    this.serial = typeof id.serial === 'string' && id.serial ? id.serial : null;
  }

  private async doRead(): Promise<ChargerReading> {
    try {
      if (this.layout === null) await this.readIdentity();
      const v: Values = {};
      for (const b of ENECTOR_BLOCKS) if (b.every === 'poll') Object.assign(v, await this.readBlock(b));
      this.values = v;
      this.counters.polls++;
      const reading = this.normalize(v);
      this.last = reading;
      this.afterRead(v);
      this.emit('reading', reading);
      return reading;
    } catch (e) {
      this.counters.pollErrors++;
      const err = wrap(e, 'read');
      this.emit('poll-error', err);
      throw err;
    }
  }

  /** Current limits now, A. */
  currentLimits(v: Values = this.values): { min: number; max: number } {
    const caps = [v.installationMax, v.evseMax, v.sessionMax, this.o.installationMaxA].filter((x): x is number => typeof x === 'number' && x >= MIN_CURRENT_A);
    return { min: MIN_CURRENT_A, max: caps.length ? Math.min(...caps) : 16 };
  }

  phaseOptions(v: Values = this.values): Array<1 | 3> {
    const o = v.phaseOptions;
    return o === 0 ? [1] : o === 2 ? [1, 3] : [3];
  }

  normalize(v: Values): ChargerReading {
    const evse = typeof v.evseState === 'number' ? v.evseState : -1;
    const released = v.release === 1;
    let state: ChargerState;
    if (evse === 1) state = 'idle';
    else if (evse === 5) state = 'charging';
    else if (evse === 6 || evse === 7) state = 'error';
    else if (evse >= 2 && evse <= 4) state = released ? 'connected' : 'paused';
    else state = 'offline';
    const num = (k: string) => (typeof v[k] === 'number' ? (v[k] as number) : undefined);
    const phases: PhaseValues[] = ['L1', 'L2', 'L3'].map((l) => {
      const ph: PhaseValues = {};
      const c = num(`${l}.current`);
      const u = num(`${l}.voltage`);
      const w = num(`${l}.power`);
      if (c !== undefined) ph.current = round(c, 2);
      if (u !== undefined) ph.voltage = round(u, 1);
      if (w !== undefined) ph.power = Math.round(w);
      return ph;
    });
    const carrying = phases.filter((p) => (p.current ?? 0) > 1).length;
    const switched = v.switchedPhases === 1 ? 1 : v.switchedPhases === 0 ? 3 : null;
    const activePhases = state === 'charging' && carrying > 0 ? (carrying as 1 | 2 | 3) : switched;
    const limits = this.currentLimits(v);
    const power = Math.max(0, Math.round(num('power') ?? 0));
    const reading: ChargerReading = {
      kind: 'charger',
      timestamp: this.clock.now(),
      source: 'enector',
      serial: this.serial,
      model: this.firmware ? `ENECTOR / AMTRON Compact 2.0s, firmware ${this.firmware}` : 'ENECTOR / AMTRON Compact 2.0s',
      state,
      stateText: EVSE_STATES[evse] ?? `EVSE state ${evse}`,
      power,
      phases,
      activePhases,
      signalledCurrentA: num('signalledCurrent') ?? (released ? (num('currentLimit') ?? null) : 0),
      enabled: released,
      sessionWh: num('sessionEnergy') !== undefined ? Math.round(num('sessionEnergy')!) : null,
      sessionDurationS: num('sessionDuration') ?? null,
      energyWh: num('totalEnergy') !== undefined ? Math.round(num('totalEnergy')!) : null,
      limits: { minCurrentA: limits.min, maxCurrentA: limits.max, phaseOptions: this.phaseOptions(v) },
      evPhases: num('evPhases') ?? null,
      cpState: typeof v.cpState === 'number' ? (CP_STATES[v.cpState] ?? String(v.cpState)) : null,
      cableLock: typeof v.cableLock === 'number' ? (CABLE_LOCK[v.cableLock] ?? 'unknown') : null,
      locked: v.locked === 1,
      errorCode: num('errorCode') ?? 0,
      masterLost: v.masterLost === 1,
      temperature: num('temperature') !== undefined ? round(num('temperature')!, 1) : null,
      totalSessions: num('totalSessions') ?? null,
      layout: this.layout !== null ? layoutText(this.layout) : null,
      wordOrder: this.wordOrder,
    };
    return reading;
  }

  /** Recovery rules after each read (§2.7). */
  private afterRead(v: Values): void {
    if (this.closed) return;
    if (v.evseState === 6) {
      if (!this.inErrorEpisode) {
        this.inErrorEpisode = true;
        this.counters.recoveries++;
        this.emit('recovery', { at: this.clock.now(), reason: 'EVSE state 6 (error)' });
        void this.serial_(async () => {
          await this.writeCurrentNow(0, true);
          await this.write(REG.release, [1], 'release 1');
          this.writtenRelease = 1;
          this.writtenCurrent = null; // resume: the wanted current goes out again
        })
          .then(() => this.enforce())
          .catch(() => undefined);
      }
      return;
    }
    this.inErrorEpisode = false;
    // A box that lost our release (reboot, power cut) while we want to charge: command it again.
    if (!this.switching && this.wanted?.enabled && this.writtenRelease === 1 && v.release === 0) {
      this.writtenRelease = null;
      this.writtenCurrent = null;
      void this.enforce().catch(() => undefined);
    }
  }

  // -------------------------------------------------------------------------------------------
  // Control
  // -------------------------------------------------------------------------------------------

  /** Runs `fn` after every earlier command step (one sequence on the wire at a time). */
  private serial_<T>(fn: () => Promise<T>): Promise<T> {
    return this.steps.run(fn);
  }

  private async write(address: number, values: number[], what: string): Promise<void> {
    try {
      if (values.length === 1) await this.link.writeSingleRegister(this.unit, address, values[0], this.reqOpts());
      else await this.link.writeMultipleRegisters(this.unit, address, values, this.reqOpts());
      this.counters.writes++;
      this.emit('write', { address, values, what, at: this.clock.now() });
    } catch (e) {
      this.counters.writeErrors++;
      const err = wrap(e, what);
      this.emit('command-error', err);
      throw err;
    }
  }

  /** The current as it goes on the wire (6.01 for 6.0 on layout ≤ 1.0.2). */
  wireCurrent(a: number): number {
    if (a === MIN_CURRENT_A && (this.layout ?? LAYOUT.v100) <= LAYOUT.v102) return OLD_LAYOUT_MIN_A;
    return a;
  }

  private async writeCurrentNow(a: number, force = false): Promise<void> {
    if (!force && this.writtenCurrent !== null && Math.abs(this.writtenCurrent - a) < 0.005) return;
    const words = encodeRegisterPoint(point('currentLimit'), a === 0 ? 0 : this.wireCurrent(a), { wordOrder: this.wordOrder });
    await this.write(REG.currentLimit, words, `current ${a} A`);
    this.writtenCurrent = a;
    this.currentWrittenAt = this.clock.now();
  }

  /** Clamps a wanted current to 6 A … the limit now. */
  clampCurrent(a: number): { value: number; clamped: boolean; reason?: string } {
    const { min, max } = this.currentLimits();
    if (a < min) return { value: min, clamped: true, reason: `below the ${min} A minimum` };
    if (a > max) return { value: max, clamped: true, reason: `above the ${max} A limit` };
    return { value: Math.round(a * 100) / 100, clamped: false };
  }

  async apply(sp: Omit<ChargerSetpointCommand, 'kind'>): Promise<CommandOutcome> {
    if (this.closed) throw new EnectorError('ENECTOR driver is closed', 'closed', 'closed');
    if (typeof sp.enabled !== 'boolean') throw new EnectorError('charger-setpoint: enabled must be true or false', 'invalid', 'invalid setpoint');
    if (typeof sp.currentA !== 'number' || !Number.isFinite(sp.currentA) || sp.currentA < 0) throw new EnectorError('charger-setpoint: currentA must be a number of amperes ≥ 0', 'invalid', 'invalid setpoint');
    if (sp.phases !== undefined && sp.phases !== 1 && sp.phases !== 3) throw new EnectorError('charger-setpoint: phases must be 1 or 3', 'invalid', 'invalid setpoint');
    const c = this.clampCurrent(sp.currentA);
    let reason = c.reason;
    let phases = sp.phases;
    if (phases !== undefined) {
      const why = this.phaseSwitchBlocked(phases);
      if (why) {
        if (this.currentPhases() !== phases) reason = reason ? `${reason}; ${why}` : why;
        phases = undefined;
      }
    }
    this.wanted = { enabled: sp.enabled, currentA: c.value, ...(phases ? { phases } : {}) };
    await this.enforce();
    return { requested: sp.currentA, sent: sp.enabled ? c.value : 0, clamped: c.clamped, ...(reason ? { reason } : {}) };
  }

  /** Phases the box uses now: 1 or 3 (from switched phases, else requested phases). */
  currentPhases(): 1 | 3 {
    if (this.values.switchedPhases === 1) return 1;
    if (this.values.switchedPhases === 0) return 3;
    return this.values.requestedPhases === 1 ? 1 : 3;
  }

  /** Why a switch to `phases` is not done, or undefined when it may be. */
  phaseSwitchBlocked(phases: 1 | 3): string | undefined {
    if (phases === this.currentPhases()) return undefined;
    if (this.values.phaseOptions !== 2) return 'the box cannot switch phases (0x030C ≠ 2)';
    if (!this.o.allowPhaseSwitching) return 'phase switching is not allowed for this car (setting)';
    return undefined;
  }

  /** Brings the box to the wanted command (phase switch, current, release), in one sequence. */
  private enforce(): Promise<void> {
    return this.serial_(async () => {
      const w = this.wanted;
      if (!w || this.closed) return;
      if (w.phases && w.phases !== this.currentPhases() && !this.phaseSwitchBlocked(w.phases)) await this.switchPhases(w.phases);
      const now = this.wanted;
      if (!now) return;
      if (!now.enabled) {
        if (this.writtenRelease !== 0) {
          await this.write(REG.release, [0], 'release 0');
          this.writtenRelease = 0;
        }
        return;
      }
      await this.currentRateLimited(now.currentA);
      if (this.writtenRelease !== 1) {
        await this.write(REG.release, [1], 'release 1');
        this.writtenRelease = 1;
      }
    });
  }

  /**
   * Writes the current now if the last write is `currentWriteMs` old, else once when it is (latest
   * value wins). A decrease always goes out at once: it may protect a fuse or a grid limit.
   */
  private async currentRateLimited(a: number): Promise<void> {
    if (this.writtenCurrent !== null && Math.abs(this.writtenCurrent - a) < 0.005) return;
    const due = this.currentWrittenAt + this.o.currentWriteMs;
    const t = this.clock.now();
    if (this.writtenCurrent === null || t >= due || a < this.writtenCurrent) {
      this.deferred?.cancel();
      this.deferred = undefined;
      return this.writeCurrentNow(a);
    }
    if (!this.deferred) {
      this.deferred = this.clock.setTimeout(() => {
        this.deferred = undefined;
        void this.enforce().catch(() => undefined);
      }, due - t);
    }
  }

  private async switchPhases(phases: 1 | 3): Promise<void> {
    this.switching = true;
    try {
      await this.write(REG.release, [0], 'release 0 (phase switch)');
      this.writtenRelease = 0;
      await this.write(REG.requestedPhases, [phases === 1 ? 1 : 0], `phases ${phases}`);
      this.values = { ...this.values, requestedPhases: phases === 1 ? 1 : 0, switchedPhases: phases === 1 ? 1 : 0 };
      const pauseS = typeof this.values.phaseSwitchPause === 'number' ? this.values.phaseSwitchPause : this.o.phaseSwitchPauseS;
      this.emit('phase-switch', { phases, pauseS, at: this.clock.now() });
      await new Promise<void>((resolve) => this.clock.setTimeout(resolve, pauseS * 1000));
    } finally {
      this.switching = false;
    }
  }
}

function round(v: number, d: number): number {
  const f = 10 ** d;
  return Math.round(v * f) / f;
}

export function createEnector(params: Record<string, unknown>): EnectorCharger {
  return new EnectorCharger(params as unknown as EnectorOptions);
}
