/**
 * A simulated KOSTAL ENECTOR / Mennekes AMTRON Compact 2.0s in satellite mode (Modbus RTU slave,
 * unit 50, 57600 8N2) with a car behind it (car.ts), on a socat pty or an RTU-over-TCP gateway.
 * Registers are encoded through the descriptor's points (lib/devices/enector/descriptor.ts), so the
 * simulator and the driver agree by construction; the behaviour follows enector.md §2.5–§2.7:
 *
 * - heartbeat 0x55AA → 0x0D00; without one for 10 s the box is "master lost" (0x0E01 = 1) and acts
 *   per its fallback 0x030E: 0 keep charging as before, 1 pause (0 A), 6–32 continue at that current;
 * - charging needs heartbeat (or the fallback), release 0x0D05 = 1 and a current limit ≥ 6 A at
 *   0x0302 (float); exactly 6.0 A is rejected with exception 3 on layout ≤ 1.0.2 (the reason nymea
 *   writes 6.01; the exception code itself is UNCONFIRMED); 0.01–5.99 A signals 0 A;
 * - requested phases 0x0D04 switch after the box's pause 0x0314, only when it is 1p/3p switchable;
 *   no current flows during the pause;
 * - error state 6 (a fault) clears after the master writes current 0 and then release 1 (the
 *   recovery evcc ships); a reboot drops release, current and heartbeat;
 * - writes to read-only registers answer exception 2, FC 0x06 on a two-register value exception 3
 *   (both codes UNCONFIRMED); reads of registers the layout does not have answer exception 2.
 *
 * The car's draw appears on the household's meters (a negative source, on L1 for one phase).
 * Faults on demand: the Modbus server's (timeout, exception, crcError, delayMs, wrongUnit, …) via
 * `server.setFaults(f, unit)`, plus `injectError()`, `reboot()`, `dropClients()`.
 */
import { EventEmitter } from 'node:events';
import { decodeRegisterWords, encodeRegisters, findPoint, pointWords, RegisterImage, type DevicePoint } from '../api/device';
import { ENECTOR_DEFAULTS, ENECTOR_POINTS, HEARTBEAT_VALUE, LAYOUT, MASTER_LOST_MS, MIN_CURRENT_A, POINT_LAYOUT, REG } from '../devices/enector/descriptor';
import type { WordOrder } from '../transport/modbus/data-types';
import { ModbusServer, type ModbusException, type ModbusServerHandler } from '../transport/modbus/server';
import { systemClock, type Clock, type Timer } from '../util/clock';
import { Car, type CarOptions } from './car';
import type { Household } from './household';
import { RtuEndpoints } from './rtu-endpoints';

export interface EnectorSimOptions {
  unit?: number;
  /** Register layout (0x100 … 0x103), default 0x102 (spec rev 1.2). */
  layout?: number;
  /** Float word order on the wire, default 'be' (what evcc and nymea read). */
  wordOrder?: WordOrder;
  car?: Car | CarOptions;
  household?: Household;
  clock?: Clock;
  tickMs?: number;
  /** 0x030E: 0 keep charging, 1 pause, 6–32 this current. Default 1 (pause). */
  masterLostFallback?: number;
  /** 0x030C: 0 only 1p, 1 only 3p, 2 switchable. Default 2. */
  phaseOptions?: 0 | 1 | 2;
  /** 0x0314, s. Default 30. */
  phaseSwitchPauseS?: number;
  installationMaxA?: number;
  evseMaxA?: number;
  serial?: string;
  firmware?: string;
  voltage?: number;
}

export interface EnectorWriteLog {
  t: number;
  fc: number;
  address: number;
  values: number[];
  accepted: boolean;
}

export class EnectorSim extends EventEmitter {
  readonly unit: number;
  readonly clock: Clock;
  readonly car: Car;
  readonly server: ModbusServer;
  /** The register handler behind the server (also usable directly: lib/sim/handler-link.ts). */
  readonly modbus: ModbusServerHandler;
  readonly endpoints: RtuEndpoints;
  readonly layout: number;
  readonly wordOrder: WordOrder;
  readonly log: EnectorWriteLog[] = [];
  readonly heartbeats: number[] = [];
  /** Register state (our units), by point name. */
  readonly state = {
    release: 0,
    currentLimit: 0,
    requestedPhases: 0,
    switchedPhases: 0,
    locked: 0,
    solarMode: 0,
    masterLost: 0,
    errorCode: 0,
    evseState: 1,
  };
  phaseOptions: 0 | 1 | 2;
  masterLostFallback: number;
  readonly phaseSwitchPauseS: number;
  readonly installationMaxA: number;
  readonly evseMaxA: number;
  lastHeartbeatAt: number | null = null;
  /** Signalled current now, A (0 = not allowed). */
  signalledA = 0;
  private readonly serial: string;
  private readonly firmware: string;
  private readonly voltage: number;
  private readonly household?: Household;
  private removeSource?: () => void;
  private sourcePhases: 1 | 3 | null = null;
  private phaseSwitchUntil = -Infinity;
  private errorRecovery: 'none' | 'error' | 'current0' = 'none';
  private sessions = 41;
  private totalWh = 1_234_500;
  private sessionStart: number | null = null;
  private ticker?: Timer;
  private stopped = false;
  private wasPlugged = false;

  constructor(o: EnectorSimOptions = {}) {
    super();
    this.unit = o.unit ?? ENECTOR_DEFAULTS.unit;
    this.clock = o.clock ?? systemClock;
    this.car = o.car instanceof Car ? o.car : new Car(o.car);
    this.layout = o.layout ?? LAYOUT.v102;
    this.wordOrder = o.wordOrder ?? 'be';
    this.masterLostFallback = o.masterLostFallback ?? 1;
    this.phaseOptions = o.phaseOptions ?? 2;
    this.phaseSwitchPauseS = o.phaseSwitchPauseS ?? 30;
    this.installationMaxA = o.installationMaxA ?? 16;
    this.evseMaxA = o.evseMaxA ?? 16;
    this.serial = o.serial ?? '1234567890ABCDEF';
    this.firmware = o.firmware ?? '5.22';
    this.voltage = o.voltage ?? 230;
    this.household = o.household;
    this.modbus = this.handler();
    this.server = new ModbusServer({ transport: 'rtu', handler: this.modbus, units: [this.unit], baudRate: ENECTOR_DEFAULTS.baudRate, clock: this.clock });
    this.server.on('problem', (e) => this.emit('problem', e));
    this.endpoints = new RtuEndpoints(this.server, 'enector');
    this.endpoints.on('problem', (e) => this.emit('problem', e));
    this.tickMs = o.tickMs ?? 1000;
    this.ticker = this.clock.setInterval(() => this.tick(), this.tickMs);
    this.tick();
  }

  private readonly tickMs: number;

  // -------------------------------------------------------------------------------------------
  // Model
  // -------------------------------------------------------------------------------------------

  private heartbeatAlive(t: number): boolean {
    return this.lastHeartbeatAt !== null && t - this.lastHeartbeatAt <= MASTER_LOST_MS;
  }

  private limitA(): number {
    return Math.min(this.installationMaxA, this.evseMaxA);
  }

  /** The current the box signals now, from release, heartbeat, fallback, pause and limits. */
  private computeSignal(t: number): number {
    if (!this.car.plugged || this.state.locked || this.state.evseState === 6 || t < this.phaseSwitchUntil) return 0;
    const lost = this.lastHeartbeatAt !== null && !this.heartbeatAlive(t);
    this.state.masterLost = lost ? 1 : 0;
    if (lost) {
      if (this.masterLostFallback === 1) return 0;
      if (this.masterLostFallback >= MIN_CURRENT_A) return Math.min(this.masterLostFallback, this.limitA());
      // 0: keep charging as before.
    } else if (this.lastHeartbeatAt === null) return 0;
    if (!this.state.release) return 0;
    const a = this.state.currentLimit;
    if (a < MIN_CURRENT_A - 0.001) return 0;
    return Math.min(a, this.limitA());
  }

  tick(): void {
    const t = this.clock.now();
    const offered: 1 | 3 = this.state.switchedPhases === 1 ? 1 : 3;
    this.signalledA = this.computeSignal(t);
    const before = this.car.plugged;
    const draw = this.car.advance(t, this.signalledA, offered);
    if (this.car.plugged && !before) {
      this.sessions++;
      this.sessionStart = t;
    }
    if (!this.car.plugged && this.wasPlugged) this.emit('unplugged', { t });
    this.wasPlugged = this.car.plugged;
    if (this.state.evseState !== 6) {
      if (!this.car.plugged) this.state.evseState = 1;
      else if (draw.powerW > 1) this.state.evseState = 5;
      else if (this.signalledA >= MIN_CURRENT_A) this.state.evseState = 4;
      else this.state.evseState = 2;
    }
    this.syncSource();
  }

  /** Keeps the household's view of the car: a load on L1 (one phase) or on all three. */
  private syncSource(): void {
    if (!this.household) return;
    const phases = this.car.phasesInUse;
    if (this.sourcePhases === phases) return;
    this.removeSource?.();
    this.sourcePhases = phases;
    this.removeSource = this.household.addSource(() => -this.car.draw().powerW, { name: 'car', split: phases === 1 ? [1, 0, 0] : [1 / 3, 1 / 3, 1 / 3] });
  }

  /** Values of every point now, in our units. */
  values(): Record<string, number | string> {
    const t = this.clock.now();
    const d = this.car.draw();
    const v: Record<string, number | string> = {
      layoutVersion: this.layout,
      firmware: this.firmware,
      serial: this.serial,
      evseState: this.state.evseState,
      authorization: 1,
      downgrade: 1,
      phaseRotation: 0,
      cpState: this.state.evseState === 1 ? 10 : this.state.evseState === 5 ? 28 : this.signalledA > 0 ? 27 : 11,
      signalledCurrent: this.signalledA,
      downgradeCurrent: 0,
      currentLimit: this.state.currentLimit,
      installationMax: this.installationMaxA,
      evseMax: this.evseMaxA,
      solarPhaseMode: 2,
      phaseOptions: this.phaseOptions,
      permanentLock: 0,
      masterLostFallback: this.masterLostFallback,
      phaseSwitchPause: this.phaseSwitchPauseS,
      power: d.powerW,
      temperature: 31.5,
      sessionMax: this.limitA(),
      sessionEnergy: this.car.sessionWh,
      sessionDuration: this.sessionStart !== null && this.car.plugged ? Math.floor((t - this.sessionStart) / 1000) : 0,
      evPhases: this.car.plugged ? this.car.o.phases : 0,
      cableLock: this.car.plugged ? 2 : 1,
      solarMode: this.state.solarMode,
      requestedPhases: this.state.requestedPhases,
      release: this.state.release,
      locked: this.state.locked,
      errorCode: this.state.errorCode,
      masterLost: this.state.masterLost,
      switchedPhases: this.state.switchedPhases,
      totalEnergy: this.totalWh + this.car.sessionWh,
      totalSessions: this.sessions,
    };
    ['L1', 'L2', 'L3'].forEach((l, i) => {
      v[`${l}.current`] = d.currents[i];
      v[`${l}.voltage`] = this.voltage;
      v[`${l}.power`] = d.currents[i] * this.voltage;
    });
    return v;
  }

  private supported(p: DevicePoint): boolean {
    return (POINT_LAYOUT[p.name] ?? LAYOUT.v100) <= this.layout;
  }

  /** The register image now: every point this layout has, encoded through the descriptor. */
  image(): RegisterImage {
    const img = new RegisterImage();
    const values = this.values();
    const pts = ENECTOR_POINTS.filter((p) => this.supported(p) && p.access !== 'w');
    encodeRegisters(img, pts, Object.fromEntries(pts.map((p) => [p.name, values[p.name]])), { wordOrder: this.wordOrder });
    return img;
  }

  private pointAt(address: number): DevicePoint | undefined {
    return ENECTOR_POINTS.find((p) => p.source.kind === 'register' && address >= p.source.address && address < p.source.address + pointWords(p));
  }

  // -------------------------------------------------------------------------------------------
  // Modbus
  // -------------------------------------------------------------------------------------------

  private handler(): ModbusServerHandler {
    return {
      read: (_unit, fc, address, count): number[] | ModbusException => {
        if (fc !== 3 && fc !== 4) return { exception: 1 };
        this.tick();
        for (let a = address; a < address + count; a++) {
          const p = this.pointAt(a);
          if (p && !this.supported(p)) return { exception: 2 };
        }
        return this.image().block(address, count);
      },
      write: (_unit, fc, address, values): void | ModbusException => this.write(fc, address, values),
    };
  }

  private write(fc: number, address: number, values: number[]): void | ModbusException {
    const t = this.clock.now();
    const entry: EnectorWriteLog = { t, fc, address, values: [...values], accepted: false };
    this.log.push(entry);
    const r = this.applyWrite(fc, address, values, t);
    entry.accepted = r === undefined;
    this.tick();
    this.emit('write', entry);
    return r;
  }

  private applyWrite(fc: number, address: number, values: number[], t: number): void | ModbusException {
    const p = this.pointAt(address);
    if (!p || p.access === 'r' || !this.supported(p)) return { exception: 2 };
    const words = pointWords(p);
    if (values.length !== words || (p.source as { address: number }).address !== address) return { exception: 3 };
    if (fc === 6 && words !== 1) return { exception: 3 };
    const v = values[0];
    switch (address) {
      case REG.heartbeat:
        if (v !== HEARTBEAT_VALUE) return { exception: 3 };
        this.lastHeartbeatAt = t;
        this.heartbeats.push(t);
        this.state.masterLost = 0;
        return;
      case REG.currentLimit: {
        const a = decodeRegisterWords(findPoint(ENECTOR_POINTS, 'currentLimit'), values, { wordOrder: this.wordOrder });
        if (typeof a !== 'number' || a < 0 || a > 80) return { exception: 3 };
        if (this.layout <= LAYOUT.v102 && Math.abs(a - MIN_CURRENT_A) < 1e-6) return { exception: 3 };
        this.state.currentLimit = a;
        if (this.errorRecovery === 'error' && a === 0) this.errorRecovery = 'current0';
        return;
      }
      case REG.release:
        if (v > 1) return { exception: 3 };
        this.state.release = v;
        if (v === 1 && this.errorRecovery === 'current0') {
          this.errorRecovery = 'none';
          this.state.evseState = 2;
          this.state.errorCode = 0;
          this.emit('recovered', { t });
        }
        return;
      case REG.requestedPhases:
        if (v > 1) return { exception: 3 };
        if (this.phaseOptions !== 2) return { exception: 3 };
        if (v !== this.state.requestedPhases) {
          this.state.requestedPhases = v;
          this.phaseSwitchUntil = t + this.phaseSwitchPauseS * 1000;
          this.state.switchedPhases = v;
        }
        return;
      case REG.lock:
        if (v > 1) return { exception: 3 };
        this.state.locked = v;
        return;
      case 0x0d03:
        if (v > 3) return { exception: 3 };
        this.state.solarMode = v;
        return;
      default:
        return { exception: 2 };
    }
  }

  // -------------------------------------------------------------------------------------------
  // Faults
  // -------------------------------------------------------------------------------------------

  /** Puts the box in error state 6 until the master recovers it (current 0, then release 1). */
  injectError(code = 0x2a): void {
    this.state.evseState = 6;
    this.state.errorCode = code;
    this.errorRecovery = 'error';
    this.tick();
  }

  /** A reboot: release, current and heartbeat are gone. */
  reboot(): void {
    this.state.release = 0;
    this.state.currentLimit = 0;
    this.lastHeartbeatAt = null;
    this.state.masterLost = 0;
    this.tick();
  }

  // -------------------------------------------------------------------------------------------
  // Transports
  // -------------------------------------------------------------------------------------------

  startGateway(o: { host?: string; port?: number } = {}): Promise<{ host: string; port: number }> {
    return this.endpoints.startGateway(o);
  }

  startPty(o: { dir?: string; socat?: string } = {}): Promise<{ path: string }> {
    return this.endpoints.startPty({ ...o, baudRate: ENECTOR_DEFAULTS.baudRate });
  }

  dropClients(): void {
    this.endpoints.dropClients();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.ticker?.cancel();
    this.removeSource?.();
    await this.endpoints.stop();
    await this.server.close();
  }
}
