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
import { RegisterImage, encodePoint } from '../devices/ksem/decode';
import { NATIVE_GROUPS, NATIVE_POINTS, INFO_POINTS, PHASES, SUNSPEC, type KsemPoint } from '../devices/ksem/descriptor';
import { encodeValue } from '../transport/modbus/data-types';
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
}

const SERIAL = '74012345';
const FIRMWARE: Record<KsemFirmwareLayout, { version: string; productId: number; fw: number }> = {
  // Product ids seen at 0x2001 (ksem.md §1.1); which one belongs to which firmware is not published.
  'fw2.5': { version: '2.5.1', productId: 18514, fw: 0x0251 },
  'fw2.6': { version: '2.6.2', productId: 18530, fw: 0x0262 },
};

/** Valid register ranges of the simulated map (everything else → exception 2). */
interface Range {
  start: number;
  end: number; // exclusive
}

const POINT_BY_NAME = new Map<string, KsemPoint>([...NATIVE_POINTS, ...INFO_POINTS].map((p) => [p.name, p]));

export class KsemSimMeter {
  readonly clock: Clock;
  readonly layout: KsemFirmwareLayout;
  readonly serial: string;
  readonly version: string;
  /** Address of model 203's ID register. */
  readonly meterAddress: number;
  private readonly household: KsemPowerSource;
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

    const commonLength = this.layout === 'fw2.5' ? 65 : 66;
    this.meterAddress = 40002 + 2 + commonLength;
    const end = this.meterAddress + 2 + SUNSPEC.m203Length;
    this.ranges = [
      { start: 0, end: 146 },
      { start: 512, end: 552 },
      { start: 592, end: 792 },
      { start: 8192, end: 8196 },
      { start: 8228, end: 8232 },
      { start: 40000, end: end + 2 },
    ];
    this.writeStatic(commonLength, end);
  }

  private writeStatic(commonLength: number, end: number): void {
    const fw = FIRMWARE[this.layout];
    const img = this.image;
    for (const r of this.ranges) img.set(r.start, new Array(r.end - r.start).fill(0));
    const put = (name: string, v: number | string) => img.set(POINT_BY_NAME.get(name)!.address, encodePoint(POINT_BY_NAME.get(name)!, v));
    put('manufacturerId', 0x0001);
    put('productId', fw.productId);
    put('hardwareVersion', 0x0100);
    put('firmwareVersion', fw.fw);
    put('serialNumber', this.serial.slice(-8));
    // SunSpec: marker, model 1, model 203 header, end marker.
    img.set(40000, [...SUNSPEC.marker]);
    img.set(40002, [SUNSPEC.commonId, commonLength]);
    const str = (off: number, len: number, s: string) => img.set(40002 + off, encodeValue(s, 'string', { length: len }));
    str(2, 16, 'KOSTAL');
    str(18, 16, 'KOSTAL Smart Energy Meter');
    str(34, 8, '');
    str(42, 8, this.version);
    str(50, 16, this.serial);
    img.set(40002 + 66, [this.deviceAddress]);
    if (commonLength === 66) img.set(40002 + 67, [0x8000]); // Pad
    const m = this.meterAddress;
    img.set(m, [203, SUNSPEC.m203Length]);
    // Everything after the energy scale factor (offset 54) is "not implemented": apparent and
    // reactive energies (acc32 0), their scale factors TotVAh_SF (71) and TotVArh_SF (104) 0x8000,
    // the event bits (105–106) 0.
    for (let a = m + 55; a < end; a++) img.set(a, [0]);
    img.set(m + 71, [0x8000]);
    img.set(m + 104, [0x8000]);
    img.set(end, [SUNSPEC.endId, 0]);
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
    for (const [name, value] of Object.entries(v)) {
      const p = POINT_BY_NAME.get(name)!;
      this.image.set(p.address, encodePoint(p, value));
    }
    this.writeSunSpec(v);
  }

  /** Model 203 from the same values, with the scale factors a KSEM uses (10 W, 0.01 A, 0.1 V, 0.01 Hz, Wh). */
  private writeSunSpec(v: Record<string, number>): void {
    const m = this.meterAddress;
    const o = SUNSPEC.m203;
    const sf = { A_SF: -2, V_SF: -1, Hz_SF: -2, W_SF: 1, VA_SF: 1, VAR_SF: 1, PF_SF: -1, TotWh_SF: 0 };
    const i16 = (name: string, value: number, scale: number) => {
      const raw = Math.max(-0x7fff, Math.min(0x7fff, Math.round(value / 10 ** scale)));
      this.image.set(m + o[name], [raw & 0xffff]);
    };
    const acc32 = (name: string, value: number) => this.image.set(m + o[name], encodeValue(Math.max(0, Math.min(0x7fffffff, Math.floor(value))), 'u32'));
    for (const [k, x] of Object.entries(sf)) this.image.set(m + o[k], [x & 0xffff]);
    const net = (prefix: string) => v[`${prefix}activePowerPlus`] - v[`${prefix}activePowerMinus`];
    const amps = PHASES.map((ph) => v[`${ph}.current`]);
    i16('A', amps[0] + amps[1] + amps[2], sf.A_SF);
    ['AphA', 'AphB', 'AphC'].forEach((k, i) => i16(k, amps[i], sf.A_SF));
    const volts = PHASES.map((ph) => v[`${ph}.voltage`]);
    i16('PhV', (volts[0] + volts[1] + volts[2]) / 3, sf.V_SF);
    ['PhVphA', 'PhVphB', 'PhVphC'].forEach((k, i) => i16(k, volts[i], sf.V_SF));
    // Line-to-line voltages (offsets 11–14): √3 × the average phase voltage, as a balanced system.
    for (let k = 11; k <= 14; k++) this.image.set(m + k, [Math.round((((volts[0] + volts[1] + volts[2]) / 3) * Math.sqrt(3)) / 10 ** sf.V_SF) & 0xffff]);
    i16('Hz', v.frequency, sf.Hz_SF);
    i16('W', net(''), sf.W_SF);
    ['WphA', 'WphB', 'WphC'].forEach((k, i) => i16(k, net(`${PHASES[i]}.`), sf.W_SF));
    i16('VA', v.apparentPowerPlus + v.apparentPowerMinus, sf.VA_SF);
    for (let k = 24; k <= 26; k++) this.image.set(m + k, [Math.round((v[`${PHASES[k - 24]}.apparentPowerPlus`] + v[`${PHASES[k - 24]}.apparentPowerMinus`]) / 10) & 0xffff]);
    i16('VAR', v.reactivePowerPlus - v.reactivePowerMinus, sf.VAR_SF);
    for (let k = 29; k <= 31; k++) this.image.set(m + k, [Math.round((v[`${PHASES[k - 29]}.reactivePowerPlus`] - v[`${PHASES[k - 29]}.reactivePowerMinus`]) / 10) & 0xffff]);
    i16('PF', v.powerFactor * 100, sf.PF_SF);
    ['PFphA', 'PFphB', 'PFphC'].forEach((k, i) => i16(k, v[`${PHASES[i]}.powerFactor`] * 100, sf.PF_SF));
    acc32('TotWhExp', v.activeEnergyMinus);
    acc32('TotWhImp', v.activeEnergyPlus);
    ['A', 'B', 'C'].forEach((x, i) => {
      acc32(`TotWhExpPh${x}`, v[`${PHASES[i]}.activeEnergyMinus`]);
      acc32(`TotWhImpPh${x}`, v[`${PHASES[i]}.activeEnergyPlus`]);
    });
  }

  /** FC 3 read: words, or exception 2 when the range leaves the map (ksem.md §1.13). */
  read(address: number, count: number): number[] | ModbusException {
    const inside = this.ranges.some((r) => address >= r.start && address + count <= r.end);
    if (!inside) return { exception: 2 };
    this.update();
    this.reads++;
    return this.image.block({ start: address, count });
  }

  /** The words of a native group, current (for the push client). */
  block(start: number, count: number): number[] {
    this.update();
    return this.image.block({ start, count });
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
