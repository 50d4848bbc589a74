/**
 * KOSTAL Smart Energy Meter simulator (DESIGN.md §5), in three parts:
 *
 * - KsemSimMeter: the register map of a KSEM measuring the virtual home's household — native
 *   registers 0–145, 512–551, 592–791 (ksem.md §1.4–1.7), device info 0x2000–0x2003 and 0x2024
 *   (§1.8), and the SunSpec chain at 40000 with model 1 and model 203 in either firmware layout
 *   (§1.11): 'fw2.5' declares model 1 with L = 65 so model 203 sits at 40069; 'fw2.6' declares
 *   L = 66 (with Pad) and model 203 sits at 40070. Values refresh once per second (§1.2) from
 *   `household.state(t)`; energy counters integrate the grid power (total: net power; per phase:
 *   each phase's power). Reads outside the map answer exception 2 (§1.13).
 * - KsemSimServer: that map behind Modbus TCP and, optionally, Modbus TCP over TLS (the KSEM's port
 *   802, with the simulator certificate from lib/sim/certs), with the server's fault injection.
 * - KsemPushClient: a KSEM in Modbus-master mode: every period it writes the four register groups
 *   (FC 16, at most 123 registers per write) to a receiver, as the KSEM's push feature does.
 *
 * Modelling choices that no KSEM document fixes (UNCONFIRMED on hardware): cos φ is given the sign
 * of the power direction (negative while exporting); reactive power is |P|·tan φ on the "+"
 * register while importing and on "−" while exporting; reserved registers inside 0–145 read 0.
 */
import { EventEmitter } from 'node:events';
import { encodeRegisters, RegisterImage, type DevicePoint } from '../api/device';
import { notImplementedWords, toScaledCounts } from '../devices/ksem/decode';
import { INFO_POINTS, NATIVE_AREAS, NATIVE_GROUPS, NATIVE_POINTS, PHASES, SUNSPEC, sunspecPoints, SUNSPEC_FW25, SUNSPEC_FW26, WALLBOX_BLOCK, WALLBOX_POINTS, type SunSpecLayout } from '../devices/ksem/descriptor';
import { ModbusClientLink } from '../transport/modbus/link';
import { ModbusServer, type ModbusException, type ModbusFaults } from '../transport/modbus/server';
import { systemClock, type Clock, type Timer } from '../util/clock';
import type { HouseholdState } from './household';

export type KsemFirmwareLayout = 'fw2.5' | 'fw2.6';

/** What the meter needs from a household (the Household class satisfies it). */
export interface KsemPowerSource {
  state(t: number): HouseholdState;
}

export interface KsemSimMeterOptions {
  household: KsemPowerSource;
  clock?: Clock;
  layout?: KsemFirmwareLayout;
  /** Serial number (SunSpec SN and the native 0x2024 string, 8 characters there). */
  serial?: string;
  /** Unit id the SunSpec DA register reports (default 1). */
  deviceAddress?: number;
  /** Start values of the total energy counters, Wh. */
  startEnergyWh?: { import?: number; export?: number };
  /** cos φ magnitude used for reactive/apparent values (default 0.95). */
  powerFactor?: number;
  /**
   * A registered ENECTOR (the KSEM is its master): its state for the wallbox block 49206…49258
   * (ksem.md §1.10). Without it, or while it returns null, that block answers exception 2.
   */
  wallbox?: () => { state: number; currentL1A: number; powerW: number; energyWh: number } | null;
}

const SERIAL = '74012345';
const FIRMWARE: Record<KsemFirmwareLayout, { version: string; productId: number; fw: number; sunspec: SunSpecLayout }> = {
  // Product ids seen at 0x2001 (ksem.md §1.1); which one belongs to which firmware is not published.
  'fw2.5': { version: '2.5.1', productId: 18514, fw: 0x0251, sunspec: SUNSPEC_FW25 },
  'fw2.6': { version: '2.6.2', productId: 18530, fw: 0x0262, sunspec: SUNSPEC_FW26 },
};

/** The scale factors the simulated KSEM puts into model 203: 0.01 A, 0.1 V, 0.01 Hz, 10 W / VA / var, 0.1 % PF, 1 Wh. */
const KSEM_SF = { A_SF: -2, V_SF: -1, Hz_SF: -2, W_SF: 1, VA_SF: 1, VAR_SF: 1, PF_SF: -1, TotWh_SF: 0 };

/** Valid register ranges of the simulated map (everything else → exception 2). */
interface Range {
  start: number;
  end: number; // exclusive
}

export class KsemSimMeter {
  readonly clock: Clock;
  readonly layout: KsemFirmwareLayout;
  readonly serial: string;
  readonly version: string;
  /** Address of model 203's ID register. */
  readonly meterAddress: number;
  /** Where the SunSpec models sit in this firmware's map. */
  readonly sunspec: SunSpecLayout;
  /** Every point of the map: native, device info, SunSpec at this layout's addresses. */
  readonly points: readonly DevicePoint[];
  /**
   * What was last written through each point, by point name (null: the not-implemented pattern).
   * Native values in the point's unit; model 203 values as raw counts (its points are raw).
   */
  readonly written: Record<string, number | string | null> = {};
  private readonly household: KsemPowerSource;
  private readonly wallbox?: KsemSimMeterOptions['wallbox'];
  private readonly pf: number;
  private readonly deviceAddress: number;
  private readonly image = new RegisterImage();
  private readonly ranges: Range[];
  private lastT: number;
  private snapAt = -Infinity;
  /** Energy counters, Wh: total and per phase. */
  private readonly energy = { import: 0, export: 0, phases: [0, 1, 2].map(() => ({ import: 0, export: 0 })) };
  /** Reads served (for tests). */
  reads = 0;

  constructor(opts: KsemSimMeterOptions) {
    this.household = opts.household;
    this.wallbox = opts.wallbox;
    this.clock = opts.clock ?? systemClock;
    this.layout = opts.layout ?? 'fw2.6';
    if (this.layout !== 'fw2.5' && this.layout !== 'fw2.6') throw new Error(`unknown KSEM layout ${String(this.layout)} (fw2.5 or fw2.6)`);
    this.serial = opts.serial ?? SERIAL;
    this.version = FIRMWARE[this.layout].version;
    this.pf = opts.powerFactor ?? 0.95;
    this.deviceAddress = opts.deviceAddress ?? 1;
    this.energy.import = opts.startEnergyWh?.import ?? 4_321_000;
    this.energy.export = opts.startEnergyWh?.export ?? 1_234_000;
    // Phase counters start at a third of the totals (they need not add up: the total counts net power).
    for (const p of this.energy.phases) {
      p.import = Math.round(this.energy.import / 3);
      p.export = Math.round(this.energy.export / 3);
    }
    this.lastT = this.clock.now();

    this.sunspec = FIRMWARE[this.layout].sunspec;
    this.meterAddress = this.sunspec.meterAddress;
    this.points = [...NATIVE_POINTS, ...INFO_POINTS, ...sunspecPoints(this.sunspec)];
    // The chain ends with the end model header right after model 203.
    const end = this.meterAddress + 2 + SUNSPEC.m203Length;
    this.ranges = [...NATIVE_AREAS.map((a) => ({ start: a.start, end: a.start + a.count })), { start: this.sunspec.base, end: end + 2 }];
    this.writeStatic(end);
  }

  /** Writes values through their points and records them in `written`; null writes the not-implemented pattern. */
  private put(values: Record<string, number | string | null>): void {
    const encodable: Record<string, number | string> = {};
    for (const [name, v] of Object.entries(values)) {
      this.written[name] = v;
      if (v === null) {
        const p = this.points.find((q) => q.name === name);
        if (!p || p.source.kind !== 'register') throw new Error(`unknown point ${name}`);
        this.image.set(p.source.address, notImplementedWords(p), p.source.fc);
      } else encodable[name] = v;
    }
    encodeRegisters(this.image, this.points, encodable);
  }

  private writeStatic(end: number): void {
    const fw = FIRMWARE[this.layout];
    // Reserved registers inside the map read 0.
    for (const r of this.ranges) this.image.set(r.start, new Array(r.end - r.start).fill(0));
    this.put({ manufacturerId: 0x0001, productId: fw.productId, hardwareVersion: 0x0100, firmwareVersion: fw.fw, serialNumber: this.serial.slice(-8) });
    const m1: Record<string, number | string | null> = {
      'sunspec.marker': 'SunS',
      'm1.ID': SUNSPEC.commonId,
      'm1.L': this.sunspec.commonLength,
      'm1.Mn': 'KOSTAL',
      'm1.Md': 'KOSTAL Smart Energy Meter',
      'm1.Opt': '',
      'm1.Vr': this.version,
      'm1.SN': this.serial,
      'm1.DA': this.deviceAddress,
    };
    if (this.points.some((p) => p.name === 'm1.Pad')) m1['m1.Pad'] = null;
    this.put(m1);
    // Model 203 beyond the energy scale factor is "not implemented": apparent and reactive energies
    // (acc32 0 = not accumulated), their scale factors, no event bits.
    const rest: Record<string, number | null> = { 'm203.ID': SUNSPEC.meterIds[0], 'm203.L': SUNSPEC.m203Length, 'm203.Evt': 0, 'm203.TotVAh_SF': null, 'm203.TotVArh_SF': null };
    for (const p of this.points) if (/^m203\.TotVA(r)?h(Exp|Imp)/.test(p.name)) rest[p.name] = 0;
    this.put(rest);
    this.image.set(end, [SUNSPEC.endId, 0]);
  }

  /** Integrates the counters up to now and refreshes the values once per second (ksem.md §1.2). */
  update(): void {
    const now = this.clock.now();
    if (now > this.lastT) {
      const maxStep = Math.max(1000, (now - this.lastT) / 20_000);
      let t = this.lastT;
      while (t < now) {
        const t1 = Math.min(now, t + maxStep);
        const s = this.household.state(t);
        const h = (t1 - t) / 3_600_000;
        this.energy.import += Math.max(0, s.gridW) * h;
        this.energy.export += Math.max(0, -s.gridW) * h;
        s.phases.forEach((p, i) => {
          this.energy.phases[i].import += Math.max(0, p.powerW) * h;
          this.energy.phases[i].export += Math.max(0, -p.powerW) * h;
        });
        t = t1;
      }
      this.lastT = now;
    }
    const sec = Math.floor(now / 1000) * 1000;
    if (sec !== this.snapAt) {
      this.snapAt = sec;
      this.writeValues(this.household.state(sec));
    }
  }

  private writeValues(s: HouseholdState): void {
    const tanPhi = Math.tan(Math.acos(Math.min(1, Math.max(0.01, this.pf))));
    const v: Record<string, number> = {};
    const powers = (prefix: string, w: number) => {
      v[`${prefix}activePowerPlus`] = Math.max(0, w);
      v[`${prefix}activePowerMinus`] = Math.max(0, -w);
      v[`${prefix}reactivePowerPlus`] = w > 0 ? w * tanPhi : 0;
      v[`${prefix}reactivePowerMinus`] = w < 0 ? -w * tanPhi : 0;
      v[`${prefix}apparentPowerPlus`] = w > 0 ? w / this.pf : 0;
      v[`${prefix}apparentPowerMinus`] = w < 0 ? -w / this.pf : 0;
      v[`${prefix}powerFactor`] = w < 0 ? -this.pf : this.pf;
    };
    powers('', s.gridW);
    // Mains frequency: a slow deterministic wobble around 50 Hz.
    v.frequency = 50 + 0.03 * Math.sin((2 * Math.PI * s.t) / 600_000);
    PHASES.forEach((ph, i) => {
      const p = s.phases[i];
      powers(`${ph}.`, p.powerW);
      v[`${ph}.voltage`] = p.voltage;
      v[`${ph}.current`] = Math.abs(p.current);
    });
    const energies = (prefix: string, imp: number, exp: number) => {
      v[`${prefix}activeEnergyPlus`] = imp;
      v[`${prefix}activeEnergyMinus`] = exp;
      v[`${prefix}reactiveEnergyPlus`] = imp * tanPhi;
      v[`${prefix}reactiveEnergyMinus`] = exp * tanPhi;
      v[`${prefix}apparentEnergyPlus`] = imp / this.pf;
      v[`${prefix}apparentEnergyMinus`] = exp / this.pf;
    };
    energies('', this.energy.import, this.energy.export);
    PHASES.forEach((ph, i) => energies(`${ph}.`, this.energy.phases[i].import, this.energy.phases[i].export));
    this.put(v);
    this.writeSunSpec(v);
  }

  /** Model 203 from the same values, with the scale factors a KSEM uses (KSEM_SF), encoded through the model 203 points. */
  private writeSunSpec(v: Record<string, number>): void {
    const net = (prefix: string) => v[`${prefix}activePowerPlus`] - v[`${prefix}activePowerMinus`];
    const sum = (f: (ph: string) => number) => PHASES.reduce((a, ph) => a + f(ph), 0);
    const volts = sum((ph) => v[`${ph}.voltage`]) / 3;
    const m: Record<string, number> = {
      A: sum((ph) => v[`${ph}.current`]),
      PhV: volts,
      // Line-to-line voltages: √3 × the average phase voltage, as a balanced system.
      PPV: volts * Math.sqrt(3),
      PPVphAB: volts * Math.sqrt(3),
      PPVphBC: volts * Math.sqrt(3),
      PPVphCA: volts * Math.sqrt(3),
      Hz: v.frequency,
      W: net(''),
      VA: v.apparentPowerPlus + v.apparentPowerMinus,
      VAR: v.reactivePowerPlus - v.reactivePowerMinus,
      PF: v.powerFactor,
      TotWhExp: v.activeEnergyMinus,
      TotWhImp: v.activeEnergyPlus,
    };
    PHASES.forEach((ph, i) => {
      const x = 'ABC'[i];
      m[`Aph${x}`] = v[`${ph}.current`];
      m[`PhVph${x}`] = v[`${ph}.voltage`];
      m[`Wph${x}`] = net(`${ph}.`);
      m[`VAph${x}`] = v[`${ph}.apparentPowerPlus`] + v[`${ph}.apparentPowerMinus`];
      m[`VARph${x}`] = v[`${ph}.reactivePowerPlus`] - v[`${ph}.reactivePowerMinus`];
      m[`PFph${x}`] = v[`${ph}.powerFactor`];
      m[`TotWhExpPh${x}`] = v[`${ph}.activeEnergyMinus`];
      m[`TotWhImpPh${x}`] = v[`${ph}.activeEnergyPlus`];
    });
    this.put(toScaledCounts(m, KSEM_SF));
  }

  /** FC 3 read: words, or exception 2 when the range leaves the map (ksem.md §1.13). */
  read(address: number, count: number): number[] | ModbusException {
    const wb = WALLBOX_BLOCK;
    if (address >= wb.start && address + count <= wb.start + wb.count) {
      const w = this.wallbox?.();
      if (!w) return { exception: 2 };
      const img = new RegisterImage();
      encodeRegisters(img, WALLBOX_POINTS, { 'wallbox.state': w.state, 'wallbox.currentL1': w.currentL1A, 'wallbox.power': w.powerW, 'wallbox.energy': w.energyWh });
      this.reads++;
      return img.block(address, count);
    }
    const inside = this.ranges.some((r) => address >= r.start && address + count <= r.end);
    if (!inside) return { exception: 2 };
    this.update();
    this.reads++;
    return this.image.block(address, count);
  }

  /** The words of a native group, current (for the push client). */
  block(start: number, count: number): number[] {
    this.update();
    return this.image.block(start, count);
  }
}

// ---------------------------------------------------------------------------------------------

export type KsemSimFault = 'none' | 'timeout' | 'exception' | 'disconnect' | 'wrong-unit' | 'slow' | 'garble';

export interface KsemSimServerOptions {
  meter: KsemSimMeter;
  host?: string;
  /** Modbus TCP port (0 = any free port; the real meter uses 502). */
  port?: number;
  /** Also serve Modbus TCP over TLS on this port (0 = any free port; the real meter uses 802). */
  tlsPort?: number;
  /** TLS key and certificate (default the simulator certificate, lib/sim/certs). */
  tls?: { key: string; cert: string };
  clock?: Clock;
}

export interface KsemSimEndpoints {
  host: string;
  port: number;
  tlsPort?: number;
  /** SHA-256 fingerprint of the TLS certificate, for pinning. */
  fingerprint256?: string;
  layout: KsemFirmwareLayout;
  serial: string;
}

export class KsemSimServer {
  readonly meter: KsemSimMeter;
  private readonly opts: KsemSimServerOptions;
  private readonly servers: ModbusServer[] = [];
  endpoints?: KsemSimEndpoints;

  constructor(opts: KsemSimServerOptions) {
    this.meter = opts.meter;
    this.opts = opts;
  }

  async start(): Promise<KsemSimEndpoints> {
    if (this.endpoints) throw new Error('KSEM simulator already started');
    const host = this.opts.host ?? '127.0.0.1';
    const handler = {
      read: (_unit: number, fc: number, address: number, count: number) => (fc === 3 ? this.meter.read(address, count) : { exception: 1 }),
      // The KSEM slave serves no writes (ksem.md §1.13).
      write: () => ({ exception: 1 }),
    };
    try {
      const tcp = new ModbusServer({ transport: 'tcp', handler, clock: this.opts.clock });
      this.servers.push(tcp);
      const port = await tcp.listen(this.opts.port ?? 0, host);
      const ep: KsemSimEndpoints = { host, port, layout: this.meter.layout, serial: this.meter.serial };
      if (this.opts.tlsPort !== undefined) {
        let pair = this.opts.tls;
        let fingerprint256: string | undefined;
        if (!pair) {
          const { simCertificate } = require('./certs') as typeof import('./certs');
          const c = simCertificate();
          pair = { key: c.key, cert: c.cert };
          fingerprint256 = c.fingerprint256;
        } else {
          const crypto = require('node:crypto') as typeof import('node:crypto');
          fingerprint256 = new crypto.X509Certificate(pair.cert).fingerprint256;
        }
        const tls = new ModbusServer({ transport: 'tls', handler, tls: pair, clock: this.opts.clock });
        this.servers.push(tls);
        ep.tlsPort = await tls.listen(this.opts.tlsPort, host);
        ep.fingerprint256 = fingerprint256;
      }
      this.endpoints = ep;
      return ep;
    } catch (e) {
      await this.stop();
      throw e;
    }
  }

  /** The underlying servers (TCP first), e.g. for their counters. */
  get modbusServers(): readonly ModbusServer[] {
    return this.servers;
  }

  /** Faults on both servers (see ModbusServer: also wrongUnit, garble 'length'). */
  setFaults(f: ModbusFaults): void {
    for (const s of this.servers) s.setFaults(f);
  }

  /**
   * One named fault, or 'none' to clear: 'timeout' (no replies), 'exception' (exception 4 to every
   * request, or `code`), 'disconnect' (drop the connection on the next request), 'wrong-unit'
   * (answer only unit 247, so requests to any other id go unanswered), 'slow' (replies `ms` late),
   * 'garble' (every reply a broken frame — the PDU cut short — as line noise does on RTU).
   */
  fault(kind: KsemSimFault, arg?: number): void {
    for (const s of this.servers) {
      s.clearFaults();
      s.setUnits(undefined);
      switch (kind) {
        case 'timeout':
          s.setFaults({ timeout: true });
          break;
        case 'exception':
          s.setFaults({ exception: arg ?? 4 });
          break;
        case 'disconnect':
          s.setFaults({ dropConnection: true });
          break;
        case 'wrong-unit':
          s.setUnits([arg ?? 247]);
          break;
        case 'slow':
          s.setFaults({ delayMs: arg ?? 1500 });
          break;
        case 'garble':
          s.setFaults({ garble: true });
          break;
        case 'none':
          break;
        default:
          throw new Error(`unknown KSEM fault ${String(kind)}`);
      }
    }
  }

  async stop(): Promise<void> {
    const all = this.servers.splice(0).map((s) => s.close());
    await Promise.allSettled(all);
    this.endpoints = undefined;
  }
}

// ---------------------------------------------------------------------------------------------

export interface KsemPushClientOptions {
  meter: KsemSimMeter;
  host: string;
  port: number;
  /** Unit id the writes carry (default 1). */
  unitId?: number;
  /** Push period, ms of the clock (default 1000). */
  periodMs?: number;
  /** Register groups to push, by start address (default all four: 0, 40, 512, 592). */
  groups?: number[];
  clock?: Clock;
}

/** Largest FC 16 write (Modbus Application Protocol v1.1b3 §6.12). */
const MAX_WRITE = 123;

/**
 * A KSEM in Modbus-master mode, pushing to a receiver. Events: 'pushed' (cycle number),
 * 'problem' (Error). Write failures are counted and the next period tries again; the link
 * reconnects by itself.
 */
export class KsemPushClient extends EventEmitter {
  readonly meter: KsemSimMeter;
  private readonly link: ModbusClientLink;
  private readonly unitId: number;
  private readonly periodMs: number;
  private readonly groups: Array<{ start: number; count: number }>;
  private readonly clock: Clock;
  private timer?: Timer;
  private busy = false;
  readonly counters = { cycles: 0, writes: 0, errors: 0 };

  constructor(opts: KsemPushClientOptions) {
    super();
    this.meter = opts.meter;
    this.clock = opts.clock ?? systemClock;
    this.unitId = opts.unitId ?? 1;
    this.periodMs = opts.periodMs ?? 1000;
    const wanted = opts.groups ?? NATIVE_GROUPS.map((g) => g.start);
    this.groups = NATIVE_GROUPS.filter((g) => wanted.includes(g.start)).map((g) => ({ start: g.start, count: g.count }));
    this.link = new ModbusClientLink({ transport: 'tcp', host: opts.host, port: opts.port }, { timeoutMs: 1000, backoffMinMs: 500, backoffMaxMs: 5000 }, this.clock);
  }

  start(): void {
    if (this.timer) return;
    this.timer = this.clock.setInterval(() => void this.pushOnce().catch(() => undefined), this.periodMs);
  }

  /** Writes every group once; rejects with the first failure (the rest of the cycle is skipped). */
  async pushOnce(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      for (const g of this.groups) {
        const words = this.meter.block(g.start, g.count);
        // Equal chunks of at most 123: 592–791 (200 registers) goes as two writes of 100.
        const size = Math.ceil(g.count / Math.ceil(g.count / MAX_WRITE));
        for (let off = 0; off < g.count; off += size) {
          await this.link.writeMultipleRegisters(this.unitId, g.start + off, words.slice(off, off + size));
          this.counters.writes++;
        }
      }
      this.counters.cycles++;
      this.emit('pushed', this.counters.cycles);
    } catch (e) {
      this.counters.errors++;
      if (this.listenerCount('problem')) this.emit('problem', e);
      throw e;
    } finally {
      this.busy = false;
    }
  }

  async stop(): Promise<void> {
    this.timer?.cancel();
    this.timer = undefined;
    await this.link.close();
  }
}
