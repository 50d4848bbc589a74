/**
 * VirtualHome: one household (recorded load + PV) behind the P1 transports a real home offers:
 * DSMR/e-MUCS telegrams over TCP (one port per meter profile) and over a serial pty (socat), and a
 * Sessy P1 dongle's HTTP API. Used by `npm start`, `home-energy sim` and integration tests.
 *
 * Several profiles: `profiles: ['NL', 'BE']` builds one meter per profile, all measuring the same
 * household, each on its own TCP port (the first on `tcpPort`, the next on `tcpPort + 1`, … when
 * tcpPort is not 0; all ephemeral when it is 0). The pty and the Sessy server serve the first
 * profile's meter.
 *
 * Speed: with `speed` ≠ 1 simulated time runs `speed` times as fast as the given clock (a
 * ScaledClock). Telegrams still go out once per `periodMs` of real time (default 1000 ms), each
 * one `speed × periodMs` of simulated time after the previous one; the meters integrate over the
 * whole interval, so energy registers and quarter-hour averages stay exact.
 */
import { systemClock, type Clock, type Timer } from '../util/clock';
import { DsmrMeter, type MeterProfile, type DsmrMeterOptions } from './dsmr-writer';
import { Household, type HouseholdOptions, type PowerInput } from './household';
import { P1PtyServer, P1TcpServer, SessyP1HttpServer } from './p1-server';
import { SessyBatteryServer, type SessyStrategy } from './sessy-server';
import { MdnsResponder } from './mdns-responder';
import { SofarSim } from './sofar-sim';
import { EnectorSim } from './enector-sim';
import type { CarOptions } from './car';
import { KsemPushClient, KsemSimMeter, KsemSimServer, type KsemFirmwareLayout } from './ksem-sim';

/** A clock that runs `speed` times as fast as a base clock, starting at `startAt`. */
export class ScaledClock implements Clock {
  private readonly base: Clock;
  private readonly speed: number;
  private readonly base0: number;
  private readonly sim0: number;

  constructor(base: Clock, speed: number, startAt?: number) {
    if (!(speed > 0) || !Number.isFinite(speed)) throw new Error(`invalid speed ${speed}`);
    this.base = base;
    this.speed = speed;
    this.base0 = base.now();
    this.sim0 = startAt ?? this.base0;
  }

  now(): number {
    return this.sim0 + (this.base.now() - this.base0) * this.speed;
  }

  setTimeout(fn: () => void, ms: number): Timer {
    return this.base.setTimeout(fn, ms / this.speed);
  }

  setInterval(fn: () => void, ms: number): Timer {
    return this.base.setInterval(fn, ms / this.speed);
  }
}

export type SeriesSpec = string | { file: string; column?: string | number };

/**
 * One base port for the whole demo (`npm start -- --base-port B`, `home-energy sim --base-port B`):
 * the Node-RED editor on B, every simulator at a fixed offset from it, so that a second demo runs
 * beside the first with nothing but another base.
 */
export const PORT_OFFSETS = {
  /** The Node-RED editor (and the dashboard under /dashboard). */
  editor: 0,
  /** P1 telegrams over TCP, the first meter profile (NL); the second (BE) on p1 + 1. */
  p1: 1,
  /** KSEM Modbus TCP. */
  ksem: 3,
  /** KSEM Modbus TCP over TLS. */
  ksemTls: 4,
  /** Where the KSEM pushes its registers (Modbus master): the push-mode ksem-meter node listens here. */
  ksemPush: 5,
  /** Sofar ME3000SP RTU-over-TCP gateway. */
  sofar: 6,
  /** KOSTAL ENECTOR wallbox (unit 50) RTU-over-TCP gateway. */
  enector: 8,
  /** Sessy P1 dongle API (only when asked for). */
  sessyP1: 7,
  /** The first Sessy battery; unit k on sessy + k. */
  sessy: 10,
} as const;
export const MAX_SESSY_BATTERIES = 32;

export interface PortPlan {
  editor: number;
  /** One per meter profile, in order. */
  p1: number[];
  ksem: number;
  ksemTls: number;
  ksemPush: number;
  sofar: number;
  enector: number;
  sessyP1: number;
  sessy: number[];
}

/** The ports of a demo on `basePort` with `profiles` meters and `sessyBatteries` units. */
export function portPlan(basePort: number, opts: { profiles?: number; sessyBatteries?: number } = {}): PortPlan {
  const profiles = opts.profiles ?? 2;
  const sessy = opts.sessyBatteries ?? 0;
  if (!Number.isInteger(profiles) || profiles < 1 || profiles > PORT_OFFSETS.ksem - PORT_OFFSETS.p1) throw new RangeError(`profiles: 1–${PORT_OFFSETS.ksem - PORT_OFFSETS.p1}, got ${profiles}`);
  if (!Number.isInteger(sessy) || sessy < 0 || sessy > MAX_SESSY_BATTERIES) throw new RangeError(`sessyBatteries: 0–${MAX_SESSY_BATTERIES}, got ${sessy}`);
  const top = basePort + PORT_OFFSETS.sessy + MAX_SESSY_BATTERIES - 1;
  if (!Number.isInteger(basePort) || basePort < 1 || top > 65535) throw new RangeError(`base port: 1–${65535 - PORT_OFFSETS.sessy - MAX_SESSY_BATTERIES + 1}, got ${basePort}`);
  const at = (o: number) => basePort + o;
  return {
    editor: at(PORT_OFFSETS.editor),
    p1: Array.from({ length: profiles }, (_, i) => at(PORT_OFFSETS.p1 + i)),
    ksem: at(PORT_OFFSETS.ksem),
    ksemTls: at(PORT_OFFSETS.ksemTls),
    ksemPush: at(PORT_OFFSETS.ksemPush),
    sofar: at(PORT_OFFSETS.sofar),
    enector: at(PORT_OFFSETS.enector),
    sessyP1: at(PORT_OFFSETS.sessyP1),
    sessy: Array.from({ length: sessy }, (_, i) => at(PORT_OFFSETS.sessy + i)),
  };
}

/** One simulated Sessy battery of the virtual home. */
export interface SessyUnitOptions {
  port?: number;
  serial?: string;
  password?: string;
  socPct?: number;
  /** Strategy at power-up, default POWER_STRATEGY_NOM (the device's own net-zero control). */
  strategy?: SessyStrategy;
}

export interface VirtualHomeOptions {
  /**
   * Every simulator port not given explicitly follows this base (see PORT_OFFSETS and portPlan):
   * P1 on base + 1 (and + 2), KSEM base + 3 (TLS + 4, only with ksem.tlsPort or ksem given), Sofar
   * base + 6, Sessy P1 API base + 7 (with sessyP1Port), Sessy batteries base + 10 + k. The base
   * itself is left for the Node-RED editor. With a base port, a port given as 0 also takes its
   * planned port (no ephemeral ports); a port given as a number ≠ 0 wins.
   */
  basePort?: number;
  /** TCP port of the (first) P1 telegram server; 0 = ephemeral (default). */
  tcpPort?: number;
  /** Listen address of all servers, default 127.0.0.1. */
  host?: string;
  /** Also serve telegrams on a serial pty (needs socat); an object chooses the link directory. */
  pty?: boolean | { dir?: string };
  /** Meter profile, default 'NL'. */
  profile?: MeterProfile;
  /** Several meters on one TCP port each (overrides profile). */
  profiles?: MeterProfile[];
  /** Start the Sessy P1 HTTP server on this port (0 = ephemeral); omitted = no Sessy server. */
  sessyP1Port?: number;
  /** Basic-auth credentials for the Sessy server. */
  sessyAuth?: { username: string; password: string };
  /** Base clock, default systemClock. */
  clock?: Clock;
  /** Simulated start time (ms UTC); default the base clock's now. Only used when speed or startTime is set. */
  startTime?: number;
  /** Simulated seconds per real second, default 1. */
  speed?: number;
  /** Telegram period in base-clock ms (default 1000). */
  periodMs?: number;
  /** Load / PV recordings (default the shipped sample); pvFile null = no PV. */
  loadFile?: SeriesSpec | PowerInput;
  pvFile?: SeriesSpec | PowerInput | null;
  /** Further household options (scales, phase split, noise, time zone). */
  household?: Omit<HouseholdOptions, 'clock' | 'load' | 'pv'>;
  /** Further meter options per profile (serials, start registers, gas, history). */
  meter?: Partial<Record<MeterProfile, Omit<DsmrMeterOptions, 'profile' | 'clock' | 'household' | 'periodMs'>>>;
  /**
   * Sessy batteries (lib/sim/sessy-server.ts): a count or one entry per unit. Serials DSIM0001,
   * DSIM0002, …, passwords SIMPASS1, SIMPASS2, …; units on phases L1, L2, L3, L1, …; each one's
   * AC power is a household source, so the meters see it.
   */
  sessyBatteries?: number | SessyUnitOptions[];
  /** Port of the first Sessy battery; the next units take the following ports. 0 = ephemeral (default). */
  sessyBatteryPort?: number;
  /** Announce the Sessy batteries by mDNS (`_http._tcp`, `sessy-…`), answering local queries only; default port 5353. */
  mdns?: boolean | { port?: number };
  /**
   * A Sofar ME3000SP (lib/sim/sofar-sim.ts) as a household source: Modbus RTU behind an RTU-over-TCP
   * gateway on `gatewayPort` (0 = ephemeral, default) and, with `pty`, on a serial pty (socat).
   */
  sofar?: { gatewayPort?: number; pty?: boolean | { dir?: string }; unit?: number };
  /**
   * A KOSTAL ENECTOR wallbox (lib/sim/enector-sim.ts) with a car: Modbus RTU unit 50 behind an
   * RTU-over-TCP gateway on `gatewayPort` (0 = ephemeral) and, with `pty`, on a serial pty. The car
   * (lib/sim/car.ts options) is plugged in from the start unless `car.schedule` says otherwise; its
   * load is a household source, so the meters see it.
   */
  enector?: { gatewayPort?: number; pty?: boolean | { dir?: string }; car?: CarOptions; plugged?: boolean };
  /**
   * A KOSTAL Smart Energy Meter (lib/sim/ksem-sim.ts) measuring the household: Modbus TCP on `port`
   * and, with `tlsPort`, Modbus TCP over TLS (0 = ephemeral); SunSpec layout of firmware 2.5 or 2.6
   * (default); with `push`, a KSEM master client writing its registers to that receiver every second.
   */
  ksem?: { port?: number; tlsPort?: number; layout?: KsemFirmwareLayout; push?: { host: string; port: number } };
}

export interface VirtualHomeEndpoints {
  /** The first profile's TCP telegram server. */
  p1Tcp: { host: string; port: number; profile: MeterProfile };
  /** Every profile's TCP server. */
  p1TcpByProfile: Partial<Record<MeterProfile, { host: string; port: number }>>;
  p1Serial?: { path: string; profile: MeterProfile };
  sessyP1?: { url: string; profile: MeterProfile; auth: boolean };
  /** Simulated Sessy batteries: API base URL and the Basic-auth credentials (user = serial). */
  sessyBatteries?: Array<{ url: string; serial: string; password: string }>;
  /** The mDNS responder for the Sessy batteries. */
  mdns?: { port: number; multicast: boolean; error?: string };
  /** The simulated Sofar ME3000SP: RTU-over-TCP gateway, serial pty, unit id. */
  sofar?: { gateway: { host: string; port: number }; serial?: { path: string }; unit: number };
  /** The simulated ENECTOR wallbox: RTU-over-TCP gateway, serial pty, unit id. */
  enector?: { gateway: { host: string; port: number }; serial?: { path: string }; unit: number };
  /** The simulated KSEM: Modbus TCP, TLS (with the certificate's fingerprint), push target. */
  ksem?: { host: string; port: number; tlsPort?: number; fingerprint256?: string; layout: KsemFirmwareLayout; serial: string; push?: { host: string; port: number } };
}

/** The options with every port that was not given set from opts.basePort (see portPlan). */
export function withBasePort(opts: VirtualHomeOptions, profiles: number): VirtualHomeOptions {
  const units = typeof opts.sessyBatteries === 'number' ? opts.sessyBatteries : (opts.sessyBatteries?.length ?? 0);
  const plan = portPlan(opts.basePort!, { profiles, sessyBatteries: Math.min(units, MAX_SESSY_BATTERIES) });
  const o: VirtualHomeOptions = { ...opts };
  o.tcpPort = o.tcpPort || plan.p1[0];
  o.sessyBatteryPort = o.sessyBatteryPort || (plan.sessy[0] ?? 0);
  if (o.sessyP1Port === 0) o.sessyP1Port = plan.sessyP1;
  if (o.sofar) o.sofar = { ...o.sofar, gatewayPort: o.sofar.gatewayPort || plan.sofar };
  if (o.enector) o.enector = { ...o.enector, gatewayPort: o.enector.gatewayPort || plan.enector };
  if (o.ksem) o.ksem = { ...o.ksem, port: o.ksem.port || plan.ksem, tlsPort: o.ksem.tlsPort === 0 ? plan.ksemTls : o.ksem.tlsPort };
  return o;
}

/** A simulated RS485 device's endpoints: its RTU-over-TCP gateway and, when asked, its serial pty. */
type Rs485Endpoints = NonNullable<VirtualHomeEndpoints['sofar']>;
async function rs485Endpoints(sim: SofarSim | EnectorSim, host: string, o: { gatewayPort?: number; pty?: boolean | { dir?: string } }): Promise<Rs485Endpoints> {
  const g = await sim.startGateway({ host, port: o.gatewayPort ?? 0 });
  const ep: Rs485Endpoints = { gateway: { host, port: g.port }, unit: sim.unit };
  if (o.pty) ep.serial = { path: (await sim.startPty({ dir: typeof o.pty === 'object' ? o.pty.dir : undefined })).path };
  return ep;
}

export class VirtualHome {
  clock: Clock = systemClock;
  household?: Household;
  readonly meters = new Map<MeterProfile, DsmrMeter>();
  readonly tcp = new Map<MeterProfile, P1TcpServer>();
  pty?: P1PtyServer;
  sessy?: SessyP1HttpServer;
  sessyBatteries: SessyBatteryServer[] = [];
  mdns?: MdnsResponder;
  sofar?: SofarSim;
  enector?: EnectorSim;
  ksem?: KsemSimServer;
  ksemPush?: KsemPushClient;
  endpoints?: VirtualHomeEndpoints;

  /** The meter of a profile (default the first). */
  meter(profile?: MeterProfile): DsmrMeter {
    const m = profile ? this.meters.get(profile) : this.meters.values().next().value;
    if (!m) throw new Error(`no ${profile ?? ''} meter (start() first)`);
    return m;
  }

  async start(opts: VirtualHomeOptions = {}): Promise<VirtualHomeEndpoints> {
    if (this.endpoints) throw new Error('virtual home already started');
    const profiles = [...new Set(opts.profiles?.length ? opts.profiles : [opts.profile ?? 'NL'])];
    for (const p of profiles) if (p !== 'NL' && p !== 'BE') throw new Error(`unknown profile ${String(p)} (NL or BE)`);
    const host = opts.host ?? '127.0.0.1';
    if (opts.basePort !== undefined) opts = withBasePort(opts, profiles.length);
    const base = opts.clock ?? systemClock;
    const speed = opts.speed ?? 1;
    this.clock = speed !== 1 || opts.startTime !== undefined ? new ScaledClock(base, speed, opts.startTime) : base;
    const realPeriod = opts.periodMs ?? 1000;
    const simPeriod = realPeriod * speed;

    this.household = new Household({
      ...opts.household,
      timeZone: opts.household?.timeZone ?? (profiles[0] === 'BE' ? 'Europe/Brussels' : 'Europe/Amsterdam'),
      clock: this.clock,
      load: opts.loadFile,
      pv: opts.pvFile,
    });
    for (const p of profiles) {
      this.meters.set(p, new DsmrMeter({ ...opts.meter?.[p], profile: p, clock: this.clock, household: this.household, periodMs: simPeriod }));
    }

    try {
      const byProfile: VirtualHomeEndpoints['p1TcpByProfile'] = {};
      const basePort = opts.tcpPort ?? 0;
      for (let i = 0; i < profiles.length; i++) {
        const p = profiles[i];
        const srv = new P1TcpServer({ source: this.meter(p), clock: this.clock, host, port: basePort === 0 ? 0 : basePort + i, periodMs: simPeriod });
        this.tcp.set(p, srv);
        const a = await srv.start();
        byProfile[p] = { host: a.host, port: a.port };
      }
      const first = profiles[0];
      const ep: VirtualHomeEndpoints = { p1Tcp: { ...byProfile[first]!, profile: first }, p1TcpByProfile: byProfile };
      if (opts.pty) {
        this.pty = new P1PtyServer({ source: this.meter(first), clock: this.clock, periodMs: simPeriod, dir: typeof opts.pty === 'object' ? opts.pty.dir : undefined });
        const r = await this.pty.start();
        ep.p1Serial = { path: r.path, profile: first };
      }
      if (opts.sessyP1Port !== undefined) {
        this.sessy = new SessyP1HttpServer({ meter: this.meter(first), host, port: opts.sessyP1Port, auth: opts.sessyAuth });
        const r = await this.sessy.start();
        ep.sessyP1 = { url: r.url, profile: first, auth: !!opts.sessyAuth };
      }
      const units = typeof opts.sessyBatteries === 'number' ? Array.from({ length: Math.max(0, Math.floor(opts.sessyBatteries)) }, () => ({})) : (opts.sessyBatteries ?? []);
      if (units.length) {
        ep.sessyBatteries = [];
        const first = opts.sessyBatteryPort ?? 0;
        for (let i = 0; i < units.length; i++) {
          const u: SessyUnitOptions = units[i];
          const srv = new SessyBatteryServer({
            clock: this.clock,
            household: this.household,
            host,
            port: u.port ?? (first === 0 ? 0 : first + i),
            serial: u.serial ?? `DSIM${String(i + 1).padStart(4, '0')}`,
            password: u.password ?? `SIMPASS${i + 1}`,
            phase: ((i % 3) + 1) as 1 | 2 | 3,
            pvSplit: opts.household?.pvPhases === 'L1' ? [1, 0, 0] : undefined,
            plant: { socPct: u.socPct ?? 50 },
            ...(u.strategy ? { strategy: u.strategy } : {}),
            settings: { total_sessys: units.length },
            startRunning: true, // the household's batteries have been on for a while
          });
          this.sessyBatteries.push(srv);
          const r = await srv.start();
          ep.sessyBatteries.push({ url: r.url, serial: srv.serial, password: srv.password });
        }
        if (opts.mdns) {
          this.mdns = new MdnsResponder({
            port: typeof opts.mdns === 'object' ? (opts.mdns.port ?? 5353) : 5353,
            localOnly: true,
            instances: this.sessyBatteries.map((b) => ({
              name: `sessy-${b.serial.toLowerCase()}`,
              host: `sessy-${b.serial.toLowerCase()}.local`,
              port: b.port,
              address: host === '0.0.0.0' ? '127.0.0.1' : host,
              txt: { serial: b.serial, device: 'Sessy Dongle (simulated)' },
            })),
          });
          try {
            const m = await this.mdns.start();
            ep.mdns = { port: m.port, multicast: m.multicast };
          } catch (e) {
            // Not fatal: the batteries work without discovery (e.g. port 5353 held by another responder).
            this.mdns = undefined;
            ep.mdns = { port: 0, multicast: false, error: (e as Error).message };
          }
        }
      }
      if (opts.enector) {
        this.enector = new EnectorSim({ clock: this.clock, household: this.household, car: opts.enector.car });
        if (opts.enector.plugged !== false && !opts.enector.car?.schedule) this.enector.car.plugIn();
        ep.enector = await rs485Endpoints(this.enector, host, opts.enector);
      }
      if (opts.sofar) {
        this.sofar = new SofarSim({ clock: this.clock, household: this.household, unit: opts.sofar.unit ?? 1 });
        ep.sofar = await rs485Endpoints(this.sofar, host, opts.sofar);
      }
      if (opts.ksem) {
        const meter = new KsemSimMeter({ household: this.household, clock: this.clock, layout: opts.ksem.layout });
        this.ksem = new KsemSimServer({ meter, host, port: opts.ksem.port ?? 0, tlsPort: opts.ksem.tlsPort, clock: this.clock });
        const k = await this.ksem.start();
        ep.ksem = { ...k };
        if (opts.ksem.push) {
          // Push period in real time: one write round per second, like the meter.
          this.ksemPush = new KsemPushClient({ meter, host: opts.ksem.push.host, port: opts.ksem.push.port, periodMs: realPeriod, clock: base });
          this.ksemPush.start();
          ep.ksem.push = { ...opts.ksem.push };
        }
      }
      this.endpoints = ep;
      return ep;
    } catch (e) {
      await this.stop();
      throw e;
    }
  }

  /** Stops every server; safe to call more than once. */
  async stop(): Promise<void> {
    const all: Array<Promise<void>> = [];
    for (const s of this.tcp.values()) all.push(s.stop());
    if (this.pty) all.push(this.pty.stop());
    if (this.sessy) all.push(this.sessy.stop());
    for (const b of this.sessyBatteries) all.push(b.stop());
    if (this.mdns) all.push(this.mdns.stop());
    if (this.sofar) all.push(this.sofar.stop());
    if (this.enector) all.push(this.enector.stop());
    if (this.ksem) all.push(this.ksem.stop());
    if (this.ksemPush) all.push(this.ksemPush.stop());
    await Promise.allSettled(all);
    this.sessyBatteries = [];
    this.mdns = undefined;
    this.sofar = undefined;
    this.enector = undefined;
    this.ksem = undefined;
    this.ksemPush = undefined;
    this.tcp.clear();
    this.pty = undefined;
    this.sessy = undefined;
    this.meters.clear();
    this.endpoints = undefined;
  }
}
