/**
 * SofarSim: a simulated Sofar ME3000SP behind Modbus RTU — on a serial pty made with socat, and
 * behind an RTU-over-TCP gateway — for the virtual home, the integration tests and `npm start`.
 *
 * Physics: a BatteryPlant (lib/sim/battery.ts, 3000 W both ways) that the household sees through
 * household.addSource(), so the virtual home's meters measure it; grid, load and PV registers come
 * from household.state(t). The state becomes values by point name (pointValues()), in our units and
 * signs, and those are encoded through the driver's own points (lib/devices/sofar/descriptor.ts,
 * encodeRegisters): the points' scales put them into the register conventions of the Sofar PDF
 * (../shared/protocols/sofar-me3000sp.md §3.3: battery power + charging, grid power + export).
 * Options pick the variant points for the documented conflicts (§3.10): battery voltage at 0.1 V
 * (default) or 0.01 V, grid power as s16 (default) or as an s32 over 0x0212–0x0213.
 *
 * Protocol (§3.6, §3.7, §3.9): FC 0x03 reads of the real-time block and the work-mode block, FC
 * 0x04 reads of the battery settings and device info, each served over the span of its points
 * (unlisted registers inside a span read 0); FC 0x06/0x10 to the work-mode points; vendor FC 0x42 passive control with the status-word reply (result codes
 * 0 accepted, 1 not in passive mode, 3 busy, 4 invalid data; bits charge/discharge enabled, full,
 * empty); vendor FC 0x49 heartbeat (reply: byte count 2 + status word — the real reply is not
 * documented). Other addresses answer exception 2, other function codes exception 1.
 *
 * Heartbeat timeout: what a real inverter does without heartbeats is UNCONFIRMED (§3.7). The sim
 * models the documented window: when no 0x49 and no command arrived for `heartbeatTimeoutMs`
 * (default 60 s, the PDF's "at least once per minute") after a passive command, it falls back to
 * `fallback` (default auto) and emits 'fallback'.
 *
 * Faults on demand (setFaults): the link layer's server faults for this unit (timeout, exception,
 * crcError, delayMs, wrongUnit — replies carry another unit id, CRC recomputed — and dropConnection —
 * the gateway closes the client's socket on the next request; on the pty it acts as a timeout),
 * plus the inverter's own: busy (0x42 answers result 3), inverter fault IDs (running state 6, or 7
 * with `permanent`).
 */
import { EventEmitter } from 'node:events';
import * as net from 'node:net';
import type { Duplex } from 'node:stream';
import { RegisterImage, decodeRegisterWords, encodeRegisters, inRange, scaleIn, scaleOut, type DevicePoint, type RegisterSource } from '../api/device';
import {
  BATTERY_SETTINGS_BLOCK,
  DEVICE_INFO_BLOCK,
  FC_HEARTBEAT,
  FC_PASSIVE,
  GRID_POINT,
  HEARTBEAT_REG,
  HEARTBEAT_VALUE,
  ME3000_MAX_POWER_W,
  PASSIVE_REG,
  PASSIVE_STANDBY_VALUE,
  REALTIME_BLOCK,
  SOFAR_POINTS,
  VOLTAGE_POINT,
  WORK_MODE,
  WORK_MODE_BLOCK,
  point,
  type GridRegisterType,
} from '../devices/sofar/descriptor';
import { faultBit } from '../devices/sofar/enums';
import { encodeStatusWord, passiveReplyData } from '../devices/sofar/passive';
import { ModbusServer, type ModbusException, type ModbusFaults, type ModbusServerHandler } from '../transport/modbus/server';
import { systemClock, type Clock, type Timer } from '../util/clock';
import { BatteryPlant, type BatteryPlantOptions } from './battery';
import { localWallMs, type Household } from './household';
import { RtuEndpoints } from './rtu-endpoints';

export type SofarSimMode = 'auto' | 'standby' | 'charge' | 'discharge';

/** The server's faults for this unit (timeout, exception, crcError, wrongUnit, dropConnection, delayMs) plus the inverter's own. */
export interface SofarSimFaults extends ModbusFaults {
  /** 0x42 answers result code 3 (busy). */
  busy?: boolean;
  /** Active inverter fault IDs (1–80): running state 6 (fault). */
  inverterFaults?: number[];
  /** With inverterFaults: running state 7 (permanent fault). */
  permanent?: boolean;
}

export interface SofarSimOptions {
  /** Slave address, default 1. Other ids get no reply (an absent device on the bus). */
  unit?: number;
  /** Clock of the plant and household (simulated time), default systemClock. Wire timing always uses the system clock. */
  clock?: Clock;
  /** The virtual home's household: the plant is added as a source; grid/load/PV registers follow it. Without one, load and PV are 0. */
  household?: Household;
  /** Battery plant or its options (defaults: 4800 Wh, 3000 W both ways, SoC 50 %, min SoC 10 %). */
  plant?: BatteryPlant | BatteryPlantOptions;
  /** Work mode on the LCD is Passive (default true); otherwise 0x42 answers "invalid mode". */
  passiveMode?: boolean;
  /** Fall back when neither heartbeat nor command arrived for this long, ms (default 60000; 0 = never). */
  heartbeatTimeoutMs?: number;
  fallback?: 'auto' | 'standby';
  /** Mode before the first command (default standby: passive mode waiting for commands, the battery idle). */
  initialMode?: SofarSimMode;
  /** Encoding of 0x020E: 0.1 V (PDF, default) or 0.01 V (what several implementations read). */
  batteryVoltageScale?: 0.1 | 0.01;
  /** A PV CT (CTpv) is installed: 0x0215 carries PV power (default true). */
  pvCt?: boolean;
  /**
   * Encoding of 0x0212 (§3.10): s16 (PDF, default); u16 (no import can be shown); or s32 over
   * 0x0212–0x0213 as evcc reads it (a firmware whose load register then is elsewhere: 0x0213 carries
   * the grid's low word).
   */
  gridRegister?: GridRegisterType;
  /** Serial number, 14 characters (0x2001–0x2007). */
  serial?: string;
  /** Control step of the auto mode and bookkeeping period, ms of simulated time (default 1000). */
  tickMs?: number;
  /** Baud rate for RTU silence timing (default 9600). */
  baudRate?: number;
}

export interface SofarCommandLog {
  /** Simulated time. */
  t: number;
  fc: number;
  register: number;
  value: number;
  /** 0x42 result code (0 for accepted writes and heartbeats). */
  result: number;
}

/** The faults setFaults() hands to the Modbus server (for this unit). */
const SERVER_FAULTS = ['timeout', 'exception', 'crcError', 'wrongUnit', 'dropConnection', 'delayMs'] as const;

const TYPE_RANGE: Partial<Record<RegisterSource['type'], [number, number]>> = { u16: [0, 0xffff], s16: [-0x8000, 0x7fff], u32: [0, 0xffffffff], s32: [-0x80000000, 0x7fffffff] };

/** A value as the register can hold it: a real register saturates at its type's range rather than wrapping. */
function saturate(p: DevicePoint, v: number): number {
  const range = TYPE_RANGE[(p.source as RegisterSource).type];
  if (!range) return v;
  const raw = Math.round(scaleOut(p, v));
  if (!Number.isFinite(raw)) return 0;
  const c = Math.max(range[0], Math.min(range[1], raw));
  return c === raw ? v : scaleIn(p, c);
}

/** The blocks the simulator answers reads of: the spans of the descriptor's points. */
const SERVED = [REALTIME_BLOCK, WORK_MODE_BLOCK, BATTERY_SETTINGS_BLOCK, DEVICE_INFO_BLOCK];
/** Writable points by address (the work-mode block, §3.9). */
const WRITABLE = new Map(SOFAR_POINTS.filter((p) => p.access === 'rw' && p.source.kind === 'register').map((p) => [(p.source as { address: number }).address, p.name]));

const DEFAULT_PLANT: BatteryPlantOptions = { capacityWh: 4800, maxChargeW: ME3000_MAX_POWER_W, maxDischargeW: ME3000_MAX_POWER_W, socPct: 50, minSocPct: 10 };

export class SofarSim extends EventEmitter {
  readonly unit: number;
  readonly clock: Clock;
  readonly plant: BatteryPlant;
  readonly household?: Household;
  readonly server: ModbusServer;
  readonly serial: string;
  mode: SofarSimMode;
  /** Charge / discharge power of the passive command, W. */
  modeW = 0;
  /** Auto mode grid target, W (+ = import allowed; FW ≥ V1.40 signed target). */
  autoTarget = 0;
  /** Work mode 0x1200: 0 auto, 3 passive. */
  workMode: number;
  simFaults: SofarSimFaults = {};
  readonly heartbeatTimeoutMs: number;
  readonly fallback: 'auto' | 'standby';
  readonly log: SofarCommandLog[] = [];
  heartbeats: number[] = [];
  /** Time of the last heartbeat or command (simulated), or null before the first. */
  lastLifeSign: number | null = null;
  private readonly voltageScale: 0.1 | 0.01;
  private readonly gridRegister: GridRegisterType;
  private readonly pvCt: boolean;
  private readonly tickMs: number;
  private readonly removeSource?: () => void;
  private ticker?: Timer;
  private lastT: number;
  private dayKey: number;
  private readonly today = { pvWh: 0, exportWh: 0, importWh: 0, loadWh: 0, chargeWh: 0, dischargeWh: 0, genMin: 0 };
  private readonly totals = { pvWh: 12_340_000, exportWh: 6_120_000, importWh: 9_870_000, loadWh: 16_090_000, chargeWh: 1_230_000, dischargeWh: 1_110_000, genH: 4321 };
  private plantCharged: number;
  private plantDischarged: number;
  /** The gateway and the pty (lib/sim/rtu-endpoints.ts). */
  private readonly endpoints: RtuEndpoints;
  private stopped = false;

  constructor(o: SofarSimOptions = {}) {
    super();
    this.unit = o.unit ?? 1;
    this.clock = o.clock ?? systemClock;
    this.plant = o.plant instanceof BatteryPlant ? o.plant : new BatteryPlant({ ...DEFAULT_PLANT, t0: this.clock.now(), ...o.plant });
    this.household = o.household;
    this.workMode = o.passiveMode === false ? WORK_MODE.auto : WORK_MODE.passive;
    this.mode = o.initialMode ?? 'standby';
    this.heartbeatTimeoutMs = o.heartbeatTimeoutMs ?? 60_000;
    this.fallback = o.fallback ?? 'auto';
    this.voltageScale = o.batteryVoltageScale ?? 0.1;
    this.pvCt = o.pvCt ?? true;
    this.gridRegister = o.gridRegister ?? 's16';
    this.serial = (o.serial ?? 'SA1ES130K12345').padEnd(14, ' ').slice(0, 14);
    this.tickMs = o.tickMs ?? 1000;
    this.lastT = this.clock.now();
    this.dayKey = this.localDay(this.lastT);
    this.plantCharged = this.plant.chargedWh;
    this.plantDischarged = this.plant.dischargedWh;
    if (this.household) this.removeSource = this.household.addSource((t) => this.plant.advance(t), { name: 'sofar' });
    this.server = new ModbusServer({ transport: 'rtu', handler: this.handler(), units: [this.unit], baudRate: o.baudRate ?? 9600 });
    this.server.on('problem', (e) => this.emit('problem', e));
    this.endpoints = new RtuEndpoints(this.server, 'sofar');
    this.endpoints.on('problem', (e) => this.emit('problem', e));
    this.endpoints.on('connection', () => this.emit('connection'));
    this.ticker = this.clock.setInterval(() => this.tick(), this.tickMs);
    this.control(this.clock.now());
  }

  // -------------------------------------------------------------------------------------------
  // Model
  // -------------------------------------------------------------------------------------------

  private localDay(t: number): number {
    return Math.floor(localWallMs(t, this.household?.timeZone ?? 'Europe/Amsterdam') / 86_400_000);
  }

  /** Grid power without this battery, W + import. */
  private netLoad(t: number): number {
    if (!this.household) return 0;
    return this.household.gridW(t) + this.plant.advance(t);
  }

  private get faulted(): boolean {
    return !!this.simFaults.inverterFaults?.length;
  }

  /** Applies the mode to the plant at time t. */
  private control(t: number): void {
    let w = 0;
    if (this.faulted) w = 0;
    else if (this.mode === 'auto') w = this.netLoad(t) - this.autoTarget;
    else if (this.mode === 'charge') w = -this.modeW;
    else if (this.mode === 'discharge') w = this.modeW;
    w = Math.max(-this.plant.maxChargeW, Math.min(this.plant.maxDischargeW, w));
    if (Math.abs(w - this.plant.activeSetpointW) >= 1) this.plant.command(w, t);
  }

  private tick(): void {
    const t = this.clock.now();
    if (
      this.heartbeatTimeoutMs > 0 &&
      this.lastLifeSign !== null &&
      this.workMode === WORK_MODE.passive &&
      this.mode !== this.fallback &&
      t - this.lastLifeSign >= this.heartbeatTimeoutMs
    ) {
      const from = this.mode;
      this.mode = this.fallback;
      this.modeW = 0;
      this.autoTarget = 0;
      this.emit('fallback', { t, from, to: this.fallback });
    }
    this.control(t);
    this.account(t);
  }

  private account(t: number): void {
    const dt = t - this.lastT;
    if (dt <= 0) return;
    const day = this.localDay(t);
    if (day !== this.dayKey) {
      this.dayKey = day;
      for (const k of Object.keys(this.today) as Array<keyof typeof this.today>) this.today[k] = 0;
    }
    const h = dt / 3_600_000;
    const load = this.household ? this.household.loadW(t) : 0;
    const pv = this.household ? this.household.pvW(t) : 0;
    const grid = this.household ? this.household.gridW(t) : -this.plant.advance(t);
    const add = (k: 'pvWh' | 'exportWh' | 'importWh' | 'loadWh', wh: number) => {
      this.today[k] += wh;
      this.totals[k] += wh;
    };
    add('pvWh', pv * h);
    add('loadWh', load * h);
    if (grid > 0) add('importWh', grid * h);
    else add('exportWh', -grid * h);
    const c = this.plant.chargedWh - this.plantCharged;
    const d = this.plant.dischargedWh - this.plantDischarged;
    this.plantCharged = this.plant.chargedWh;
    this.plantDischarged = this.plant.dischargedWh;
    this.today.chargeWh += c;
    this.today.dischargeWh += d;
    this.totals.chargeWh += c;
    this.totals.dischargeWh += d;
    if (pv > 0) {
      this.today.genMin += dt / 60_000;
      this.totals.genH += dt / 3_600_000;
    }
    this.lastT = t;
  }

  /** Running state (§3.4) now. */
  runningState(t = this.clock.now()): number {
    if (this.faulted) return this.simFaults.permanent ? 7 : 6;
    const ac = this.plant.advance(t);
    if (ac < -20) return 2;
    if (ac > 20) return 4;
    return 0;
  }

  /** Real-time values by point name, our units and signs (+ discharge, + import), at time t. */
  values(t = this.clock.now()): Record<string, number> {
    this.control(t);
    this.account(t);
    const ac = this.plant.advance(t);
    const eff = this.plant.efficiency(ac) || 1;
    const dc = ac > 0 ? ac / eff : ac * eff; // DC side, + discharge
    const soc = this.plant.socPct;
    const volts = 46 + 0.08 * soc - (0.5 * dc) / 1000;
    const st = this.household?.state(t);
    const grid = st ? st.gridW : -ac;
    return {
      runningState: this.runningState(t),
      gridVoltage: st ? st.phases[0].voltage : 230,
      gridCurrent: st ? st.phases[0].current : 0,
      gridFrequency: 50,
      batteryDcPower: dc,
      [VOLTAGE_POINT[this.voltageScale === 0.01 ? '0.01' : '0.1']]: volts,
      batteryCurrent: dc / volts,
      soc: Math.round(soc),
      batteryTemperature: 24,
      loadPower: st ? st.loadW : 0,
      // After the load: an s32 grid value covers 0x0213 too.
      [GRID_POINT[this.gridRegister]]: grid,
      acPower: ac,
      pvPower: this.pvCt && st ? st.pvW : 0,
      epsVoltage: 0,
      epsPower: 0,
      pvTodayWh: this.today.pvWh,
      exportTodayWh: this.today.exportWh,
      importTodayWh: this.today.importWh,
      loadTodayWh: this.today.loadWh,
      pvTotalWh: Math.floor(this.totals.pvWh / 1000) * 1000,
      exportTotalWh: Math.floor(this.totals.exportWh / 1000) * 1000,
      importTotalWh: Math.floor(this.totals.importWh / 1000) * 1000,
      loadTotalWh: Math.floor(this.totals.loadWh / 1000) * 1000,
      chargeTodayWh: this.today.chargeWh,
      dischargeTodayWh: this.today.dischargeWh,
      chargeTotalWh: Math.floor(this.totals.chargeWh / 1000) * 1000,
      dischargeTotalWh: Math.floor(this.totals.dischargeWh / 1000) * 1000,
      countdownS: 0,
      alertBits: 0,
      batteryCycles: 123,
      invBusVoltage: 380,
      llcBusVoltage: 400,
      pvCurrent: this.pvCt && st ? st.pvW / 230 : 0,
      innerTemperature: 35,
      heatsinkTemperature: 31,
      countryCode: 0,
      commBoardBits: 0,
      generationTimeTodayMin: Math.floor(this.today.genMin),
      generationTimeTotalH: Math.floor(this.totals.genH),
    };
  }

  /** Every point's value by name at time t: the real-time block, battery settings, device info, work mode. */
  pointValues(t = this.clock.now()): Record<string, number | string> {
    const v: Record<string, number | string> = this.values(t);
    const fault = [0, 0, 0, 0, 0];
    for (const id of this.simFaults.inverterFaults ?? []) {
      try {
        const [reg, bit] = faultBit(id);
        fault[reg] |= 1 << bit;
      } catch {
        /* ignore ids out of range */
      }
    }
    for (let i = 0; i < 5; i++) {
      v[`inverterFault${i}`] = fault[i];
      v[`batteryFault${i}`] = 0;
    }
    return {
      ...v,
      // Battery settings (a 48 V pack of the plant's capacity).
      batteryType: 1,
      capacityAh: Math.round(this.plant.capacityWh / 48),
      maxChargeVoltage: 53.2,
      maxChargeCurrent: 62.5,
      overVoltageProtection: 54,
      minDischargeVoltage: 46,
      maxDischargeCurrent: 62.5,
      underVoltageProtection: 45,
      depthOfDischarge: Math.round(100 - this.plant.minSocPct),
      emptyVoltage: 46,
      fullVoltage: 53.2,
      // Device info.
      productionCode: 1,
      serial: this.serial,
      softwareVersion: 0x56333430, // "V340"
      hardwareVersion: 0x00010002,
      // Work-mode block.
      workMode: this.workMode,
      passiveStandby: this.mode === 'standby' ? PASSIVE_STANDBY_VALUE : 0,
      passiveDischargeW: this.mode === 'discharge' ? this.modeW : 0,
      passiveChargeW: this.mode === 'charge' ? this.modeW : 0,
    };
  }

  /** The register image now, encoded through the points. */
  image(t = this.clock.now()): RegisterImage {
    const image = new RegisterImage();
    const values = this.pointValues(t);
    for (const [name, v] of Object.entries(values)) if (typeof v === 'number') values[name] = saturate(point(name), v);
    encodeRegisters(image, SOFAR_POINTS, values);
    return image;
  }

  /** The real-time block now (0x0200 onwards, as the driver reads it). */
  realtimeWords(t = this.clock.now()): number[] {
    return this.image(t).block(REALTIME_BLOCK.address, REALTIME_BLOCK.count, REALTIME_BLOCK.fc);
  }

  private statusWord(result: number): number {
    const plant = this.plant;
    return encodeStatusWord({ result, chargeEnabled: !plant.full, dischargeEnabled: !plant.empty, full: plant.full, empty: plant.empty });
  }

  /** Sets the mode as a command would (tests, the CLI's virtual home). */
  setMode(mode: SofarSimMode, watts = 0): void {
    const t = this.clock.now();
    this.mode = mode;
    this.modeW = mode === 'charge' || mode === 'discharge' ? watts : 0;
    if (mode !== 'auto') this.autoTarget = 0;
    this.control(t);
  }

  private command(fc: number, register: number, value: number, result: number): void {
    const t = this.clock.now();
    this.log.push({ t, fc, register, value, result });
    if (this.log.length > 1000) this.log.splice(0, this.log.length - 1000);
    this.emit('command', this.log[this.log.length - 1]);
  }

  private handler(): ModbusServerHandler {
    const ex = (code: number): ModbusException => ({ exception: code });
    return {
      read: (_unit, fc, address, count) => {
        const end = address + count;
        const inside = SERVED.some((b) => b.fc === fc && address >= b.address && end <= b.address + b.count);
        return inside ? this.image().block(address, count, fc as 0x03 | 0x04) : ex(2);
      },
      write: (_unit, fc, address, values) => {
        const t = this.clock.now();
        for (let i = 0; i < values.length; i++) {
          const a = address + i;
          const v = values[i];
          const name = WRITABLE.get(a);
          if (!name) return ex(2);
          const p = point(name);
          const value = decodeRegisterWords(p, [v]) as number;
          if (!inRange(p, value)) return ex(3);
          if (name === 'workMode') {
            this.workMode = value;
            if (value !== WORK_MODE.passive) this.setMode('auto');
          } else {
            if (this.workMode !== WORK_MODE.passive) return ex(4);
            if (name === 'passiveStandby') {
              if (value !== PASSIVE_STANDBY_VALUE) return ex(3);
              this.setMode('standby');
            } else this.setMode(name === 'passiveChargeW' ? 'charge' : 'discharge', value);
            this.lastLifeSign = t;
          }
          this.command(fc, a, v, 0);
        }
        return undefined;
      },
      custom: (_unit, fc, data) => {
        if (fc === FC_HEARTBEAT) {
          if (data.length !== 4 || data.readUInt16BE(0) !== HEARTBEAT_REG || data.readUInt16BE(2) !== HEARTBEAT_VALUE) return ex(3);
          const t = this.clock.now();
          this.lastLifeSign = t;
          this.heartbeats.push(t);
          if (this.heartbeats.length > 1000) this.heartbeats.splice(0, this.heartbeats.length - 1000);
          this.command(fc, HEARTBEAT_REG, HEARTBEAT_VALUE, 0);
          this.emit('heartbeat', t);
          return passiveReplyData(this.statusWord(0));
        }
        if (fc === FC_PASSIVE) {
          if (data.length !== 4) return ex(3);
          const reg = data.readUInt16BE(0);
          const v = data.readUInt16BE(2);
          const result = this.passive(reg, v);
          this.command(fc, reg, v, result);
          return passiveReplyData(this.statusWord(result));
        }
        return ex(1);
      },
      requestLength: (fc) => (fc === FC_PASSIVE || fc === FC_HEARTBEAT ? 4 : -1),
    };
  }

  /** 0x42: the result code (§3.6). */
  private passive(reg: number, v: number): number {
    if (this.workMode !== WORK_MODE.passive) return 1;
    if (this.simFaults.busy) return 3;
    switch (reg) {
      case PASSIVE_REG.standby:
        if (v !== PASSIVE_STANDBY_VALUE) return 4;
        this.setMode('standby');
        break;
      case PASSIVE_REG.discharge:
      case PASSIVE_REG.charge:
        if (v > ME3000_MAX_POWER_W) return 4;
        this.setMode(reg === PASSIVE_REG.charge ? 'charge' : 'discharge', v);
        break;
      case PASSIVE_REG.auto: {
        const target = v === PASSIVE_STANDBY_VALUE ? 0 : v >= 0x8000 ? v - 0x10000 : v;
        if (target < -9999 || target > 9999) return 4;
        this.setMode('auto');
        this.autoTarget = target;
        this.control(this.clock.now());
        break;
      }
      default:
        return 4;
    }
    this.lastLifeSign = this.clock.now();
    return 0;
  }

  // -------------------------------------------------------------------------------------------
  // Faults
  // -------------------------------------------------------------------------------------------

  /** Replaces the faults; {} clears them. */
  setFaults(f: SofarSimFaults): void {
    this.simFaults = { ...f };
    const server: ModbusFaults = {};
    for (const k of SERVER_FAULTS) if (f[k] !== undefined && f[k] !== false) (server as Record<string, unknown>)[k] = f[k];
    this.server.setFaults(server, this.unit);
    this.control(this.clock.now());
  }

  /** Closes every gateway client connection now. */
  dropClients(): void {
    this.endpoints.dropClients();
  }

  // -------------------------------------------------------------------------------------------
  // Transports
  // -------------------------------------------------------------------------------------------

  /** RTU-over-TCP gateway (like a USR/Waveshare RS485-to-Ethernet box in transparent mode). */
  startGateway(o: { host?: string; port?: number } = {}): Promise<{ host: string; port: number }> {
    return this.endpoints.startGateway(o);
  }

  get gatewayAddress(): { host: string; port: number } | undefined {
    return this.endpoints.gatewayAddress;
  }

  stopGateway(): Promise<void> {
    return this.endpoints.stopGateway();
  }

  /** Serves RTU on a socat pty pair; clients open the returned path (9600 8N1). */
  startPty(o: { dir?: string; socat?: string } = {}): Promise<{ path: string }> {
    return this.endpoints.startPty({ ...o, baudRate: 9600 });
  }

  get ptyPath(): string | undefined {
    return this.endpoints.ptyPath;
  }

  stopPty(): Promise<void> {
    return this.endpoints.stopPty();
  }

  /** Stops transports and timers and removes the plant from the household. Safe to call twice. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.ticker?.cancel();
    this.removeSource?.();
    await this.stopGateway();
    await this.stopPty();
    await this.server.close();
  }
}
