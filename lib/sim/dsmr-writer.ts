/**
 * Smart-meter model of the virtual home: integrates the household's grid power into energy
 * registers and writes P1 telegrams with a valid CRC-16/ARC, CR LF line ends.
 *
 * Profiles (shared/protocols/p1-dsmr.md §2.1–2.7, layouts imitate vectors V1/V2 and V5/V6 of §2.9):
 *  - 'NL': DSMR 5.0 (`1-3:0.2.8(50)`), Iskra AM550-like header, tariff 1 = low (23:00–07:00 local
 *    and all weekend), tariff 2 = normal; whole-ampere currents; gas on M-Bus channel 1
 *    (`24.1.0(003)`, `96.1.0`, `24.2.1` temperature-corrected value captured every 5 min).
 *  - 'BE': e-MUCS 1.7 (`0-0:96.1.4(50217)`), Fluvius-like header; tariff 1 = day, 2 = night
 *    (night 22:00–07:00 local and all weekend); currents with 2 decimals; capacity registers:
 *    `1-0:1.4.0` = average import demand of the running fixed clock quarter-hour (:00/:15/:30/:45)
 *    = imported energy since the quarter began ÷ elapsed time (0 in its first instant),
 *    `1-0:1.6.0` = highest completed quarter-hour average of the month, stamped with the end boundary
 *    of that quarter (as real meters do, `…134500W`), `0-0:98.1.0` = one entry per completed month,
 *    oldest first, at most 13, each stamped with the start of the following month (00:00 local,
 *    V5); gas `24.2.3` (not corrected) on channel 1 and a water meter (device type 007, `24.2.1`) on
 *    channel 2, both captured every 5 min.
 *
 * Integration: `update()` / `telegram()` advance the registers from the previous call to
 * clock.now() in steps of at most 1 s (larger steps only for jumps over ~5 h), split exactly at
 * 5-minute boundaries; each step counts the net grid power at its start for its whole length (a
 * left Riemann sum, so a power step at a boundary is counted exactly) — the registers count the net
 * of the three phases, as "saldering" meters do. Each step counts in the tariff active at its
 * midpoint. The displayed kWh values are the registers truncated to whole Wh, so they never
 * decrease.
 *
 * Month peaks: a quarter belongs to the month in which it starts (local time). A quarter that was
 * not fully observed (the meter started in the middle of it) never becomes a peak. At the start the
 * month peak is 0 kW stamped with the start of the month. The history starts empty in the month of
 * start, or, with `history.syntheticMonths = n`, with n invented earlier months (peaks 2.0–6.0 kW at
 * a random quarter boundary between 07:00 and 21:45 local of a random day; PRNG seeded with
 * `history.seed`, default 1), so that controllers see a realistic 12-month average at once.
 *
 * The DST flag of every time stamp is S when the zone's offset at that instant is above its winter
 * offset (Europe/Amsterdam or Europe/Brussels: S = UTC+02:00, W = UTC+01:00).
 */
import { crc16Arc, crcHex } from '../devices/p1/crc';
import { CAPTURE_IDS, obisCode, p1Point } from '../devices/p1/descriptor';
import { scaleOut, type DevicePoint } from '../api/device';
import type { Clock } from '../util/clock';
import { localWallMs, utcOffsetMs, wallToUtcMs, DAY_MS, type Household, type HouseholdState } from './household';

export type MeterProfile = 'NL' | 'BE';

/** What the meter needs from a household: the Household class satisfies it. */
export interface PowerSource {
  state(t: number): HouseholdState;
  gridW(t: number): number;
}

export interface EnergyRegisters {
  /** Wh, tariff 1 / tariff 2 import and export. */
  import1: number;
  import2: number;
  export1: number;
  export2: number;
}

export interface MbusOptions {
  /** M-Bus channel 1–4. */
  channel?: number;
  /** Equipment id (ASCII; sent hex-encoded). */
  id?: string;
  /** Counter at start, m³. */
  startM3?: number;
  /** Flow, m³/h: a constant or a function of t (ms UTC). Default: a daily heating / tap profile. */
  m3PerHour?: number | ((t: number) => number);
}

export interface DsmrMeterOptions {
  profile: MeterProfile;
  clock: Clock;
  household: Household | PowerSource;
  /** Meter equipment id, ASCII (sent hex-encoded in 0-0:96.1.1). */
  serial?: string;
  /** Identification line without the leading '/'. */
  header?: string;
  /** Register values at start, Wh. */
  startEnergyWh?: Partial<EnergyRegisters>;
  /** Telegram period, ms (default 1000, DSMR 5 / e-MUCS). */
  periodMs?: number;
  /** Time zone of the meter clock. Default Europe/Amsterdam (NL) / Europe/Brussels (BE). */
  timeZone?: string;
  /** 3 (default) or 1: a single-phase meter reports only L1 (with the whole net power). */
  phases?: 1 | 3;
  /** Gas meter (default on), false for none. */
  gas?: MbusOptions | false;
  /** Water meter (BE default on, NL default off), false for none. */
  water?: MbusOptions | false;
  /** BE month-peak history. */
  history?: { syntheticMonths?: number; seed?: number };
}

export interface PhaseSnapshot {
  /** W ≥ 0, as the telegram shows them (whole W). */
  importW: number;
  exportW: number;
  /** V, 1 decimal as sent. */
  voltage: number;
  /** A, magnitude as sent (NL whole amps, truncated; BE 2 decimals). */
  current: number;
}

export interface MbusSnapshot {
  channel: number;
  /** 3 gas, 7 water. */
  deviceType: number;
  id: string;
  idHex: string;
  /** Captured value, m³ (3 decimals as sent). */
  m3: number;
  /** Capture time, ms UTC, and as the DSMR string. */
  at: number;
  atText: string;
}

export interface CapacitySnapshot {
  /** 1-0:1.4.0, W. */
  currentAverageW: number;
  /** 1-0:1.6.0, W, and its time stamp. */
  monthPeakW: number;
  monthPeakAt: number;
  monthPeakAtText: string;
  /** 0-0:98.1.0 entries, oldest first. */
  history: Array<{ month: number; monthText: string; peakW: number; at: number | null; atText: string }>;
}

/** Everything one telegram shows, in telegram resolution. */
export interface MeterSnapshot {
  t: number;
  profile: MeterProfile;
  header: string;
  serial: string;
  serialHex: string;
  /** 0-0:1.0.0 text (YYMMDDhhmmssX). */
  timestampText: string;
  tariff: 1 | 2;
  /** Registers, whole Wh as shown. */
  energyWh: EnergyRegisters;
  /** 1.7.0 / 2.7.0, whole W. */
  importW: number;
  exportW: number;
  phases: PhaseSnapshot[];
  powerFailures: number;
  longPowerFailures: number;
  gas?: MbusSnapshot;
  water?: MbusSnapshot;
  capacity?: CapacitySnapshot;
}

/** M-Bus device types of the simulated sub-meters (descriptor point mbus.deviceType). */
const MBUS_GAS = 3;
const MBUS_WATER = 7;

const MIN5 = 5 * 60_000;
const QUARTER = 15 * 60_000;

/** DSMR time stamp YYMMDDhhmmssX of instant t in timeZone. */
export function dsmrTimestamp(t: number, timeZone: string): string {
  const off = utcOffsetMs(t, timeZone);
  const d = new Date(t + off);
  const p2 = (n: number) => String(n).padStart(2, '0');
  const s =
    p2(d.getUTCFullYear() % 100) + p2(d.getUTCMonth() + 1) + p2(d.getUTCDate()) + p2(d.getUTCHours()) + p2(d.getUTCMinutes()) + p2(d.getUTCSeconds());
  return s + (isSummerTime(t, timeZone) ? 'S' : 'W');
}

/** True when the zone's offset at t is above its winter (lowest) offset of that year. */
export function isSummerTime(t: number, timeZone: string): boolean {
  const y = new Date(t).getUTCFullYear();
  const winter = Math.min(utcOffsetMs(Date.UTC(y, 0, 1), timeZone), utcOffsetMs(Date.UTC(y, 6, 1), timeZone));
  return utcOffsetMs(t, timeZone) > winter;
}

function toHex(s: string): string {
  return Buffer.from(s, 'latin1').toString('hex').toUpperCase();
}

/** Zero-padded fixed-point text of an integer count of 10^-decimals units, e.g. (4000647, 6, 3) → "004000.647". */
function fixed(scaled: number, intDigits: number, decimals: number): string {
  const max = 10 ** (intDigits + decimals) - 1;
  const v = Math.min(max, Math.max(0, Math.round(scaled)));
  const div = 10 ** decimals;
  const ip = Math.floor(v / div);
  const fp = v - ip * div;
  return decimals > 0 ? `${String(ip).padStart(intDigits, '0')}.${String(fp).padStart(decimals, '0')}` : String(ip).padStart(intDigits, '0');
}

/** Mulberry32: small seeded PRNG. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Default gas draw, m³/h, by local hour: a heated house in the heating season (~6.5 m³/day). */
function defaultGasFlow(hour: number): number {
  if (hour < 6) return 0.05;
  if (hour < 9) return 0.6;
  if (hour < 17) return 0.2;
  if (hour < 22) return 0.5;
  return 0.1;
}

/** Default water draw, m³/h, by local hour (~0.35 m³/day). */
function defaultWaterFlow(hour: number): number {
  if (hour === 7 || hour === 19) return 0.1;
  if (hour >= 23 || hour < 6) return 0.002;
  return 0.01;
}

interface MbusState {
  channel: number;
  deviceType: number;
  id: string;
  flow: (t: number) => number;
  m3: number;
  captured: number;
  capturedAt: number;
}

interface HistoryEntry {
  month: number;
  peakW: number;
  at: number | null;
}

const DEFAULTS = {
  NL: { header: 'ISK5\\2M550T-1012', serial: 'E0099000000000001', gasId: 'G0099000000000001', tz: 'Europe/Amsterdam' },
  BE: { header: 'FLU5\\253769484_A', serial: '1SIM0000000001', gasId: '7SIM0000000001', waterId: '8SIM0000000001', tz: 'Europe/Brussels' },
};

export class DsmrMeter {
  readonly profile: MeterProfile;
  readonly clock: Clock;
  readonly periodMs: number;
  readonly timeZone: string;
  readonly header: string;
  readonly serial: string;
  readonly phaseCount: 1 | 3;
  private readonly household: PowerSource;
  private lastT: number;
  private readonly reg: EnergyRegisters;
  private readonly gas?: MbusState;
  private readonly water?: MbusState;
  // BE capacity
  private quarterStart: number;
  private quarterObservedFrom: number;
  private quarterImportWs = 0;
  private monthKey: number;
  private monthPeakW = 0;
  private monthPeakAt: number;
  private history: HistoryEntry[] = [];
  private readonly failureLog: number;

  constructor(opts: DsmrMeterOptions) {
    if (opts.profile !== 'NL' && opts.profile !== 'BE') throw new Error(`unknown meter profile ${String(opts.profile)}`);
    this.profile = opts.profile;
    this.clock = opts.clock;
    this.household = opts.household;
    const def = DEFAULTS[this.profile];
    this.periodMs = opts.periodMs ?? 1000;
    this.timeZone = opts.timeZone ?? def.tz;
    this.header = opts.header ?? def.header;
    this.serial = opts.serial ?? def.serial;
    this.phaseCount = opts.phases ?? 3;
    const e = opts.startEnergyWh ?? {};
    this.reg = {
      import1: e.import1 ?? (this.profile === 'NL' ? 3_250_000 : 1_850_000),
      import2: e.import2 ?? (this.profile === 'NL' ? 2_750_000 : 2_150_000),
      export1: e.export1 ?? (this.profile === 'NL' ? 850_000 : 1_100_000),
      export2: e.export2 ?? (this.profile === 'NL' ? 1_450_000 : 450_000),
    };
    const now = this.clock.now();
    this.lastT = now;
    this.failureLog = Math.floor((now - 37 * DAY_MS) / 60_000) * 60_000;

    const hourOf = (t: number) => new Date(localWallMs(t, this.timeZone)).getUTCHours();
    const mbus = (o: MbusOptions | false | undefined, dflt: boolean, channel: number, type: number, id: string, start: number, flow: (h: number) => number): MbusState | undefined => {
      if (o === false || (o === undefined && !dflt)) return undefined;
      const f = o?.m3PerHour;
      const fn = typeof f === 'function' ? f : typeof f === 'number' ? () => f : (t: number) => flow(hourOf(t));
      const m3 = o?.startM3 ?? start;
      return { channel: o?.channel ?? channel, deviceType: type, id: o?.id ?? id, flow: fn, m3, captured: m3, capturedAt: Math.floor(now / MIN5) * MIN5 };
    };
    this.gas = mbus(opts.gas, true, 1, MBUS_GAS, def.gasId, this.profile === 'NL' ? 4321.123 : 1234.567, defaultGasFlow);
    this.water = mbus(opts.water, this.profile === 'BE', 2, MBUS_WATER, DEFAULTS.BE.waterId, 123.456, defaultWaterFlow);

    this.quarterStart = Math.floor(now / QUARTER) * QUARTER;
    this.quarterObservedFrom = now;
    this.monthKey = this.monthOf(now);
    this.monthPeakAt = this.monthStartUtc(this.monthKey);
    const n = Math.max(0, Math.min(13, Math.floor(opts.history?.syntheticMonths ?? 0)));
    if (n > 0) this.history = this.syntheticHistory(n, opts.history?.seed ?? 1);
  }

  /** Advances the registers to the clock's time. Calling it twice at the same time changes nothing. */
  update(): void {
    const now = this.clock.now();
    if (!(now > this.lastT)) return;
    const span = now - this.lastT;
    const maxStep = Math.max(1000, span / 20_000);
    let t = this.lastT;
    while (t < now) {
      const next5 = (Math.floor(t / MIN5) + 1) * MIN5;
      const t1 = Math.min(now, t + maxStep, next5);
      const p0 = this.household.gridW(t);
      const dt = t1 - t;
      const dtS = dt / 1000;
      const impWs = Math.max(0, p0) * dtS;
      const expWs = Math.max(0, -p0) * dtS;
      const tariff = this.tariffAt(t + dt / 2);
      if (tariff === 1) {
        this.reg.import1 += impWs / 3600;
        this.reg.export1 += expWs / 3600;
      } else {
        this.reg.import2 += impWs / 3600;
        this.reg.export2 += expWs / 3600;
      }
      this.quarterImportWs += impWs;
      for (const m of [this.gas, this.water]) if (m) m.m3 += (Math.max(0, m.flow(t + dt / 2)) * dt) / 3_600_000;
      t = t1;
      if (t1 === next5) {
        for (const m of [this.gas, this.water]) {
          if (m) {
            m.captured = m.m3;
            m.capturedAt = t1;
          }
        }
        if (t1 % QUARTER === 0) this.closeQuarter(t1);
      }
    }
    this.lastT = now;
  }

  /** Tariff register in use at t: NL 1 = low (night 23–7, weekend), BE 1 = day (night 22–7 and weekend are 2). */
  tariffAt(t: number): 1 | 2 {
    const d = new Date(localWallMs(t, this.timeZone));
    const h = d.getUTCHours();
    const dow = d.getUTCDay();
    const weekend = dow === 0 || dow === 6;
    const nightStart = this.profile === 'NL' ? 23 : 22;
    const low = weekend || h >= nightStart || h < 7;
    if (this.profile === 'NL') return low ? 1 : 2;
    return low ? 2 : 1;
  }

  private closeQuarter(end: number): void {
    const start = end - QUARTER;
    if (this.quarterObservedFrom <= start) {
      const avgW = this.quarterImportWs / (QUARTER / 1000);
      if (this.monthOf(start) === this.monthKey && avgW > this.monthPeakW) {
        this.monthPeakW = avgW;
        this.monthPeakAt = end;
      }
    }
    this.quarterStart = end;
    this.quarterObservedFrom = end;
    this.quarterImportWs = 0;
    const mk = this.monthOf(end);
    if (mk !== this.monthKey) {
      this.history.push({ month: this.monthStartUtc(mk), peakW: this.monthPeakW, at: this.monthPeakW > 0 ? this.monthPeakAt : null });
      while (this.history.length > 13) this.history.shift();
      this.monthKey = mk;
      this.monthPeakW = 0;
      this.monthPeakAt = this.monthStartUtc(mk);
    }
  }

  /** Month index (year*12 + month) of t in local time. */
  private monthOf(t: number): number {
    const d = new Date(localWallMs(t, this.timeZone));
    return d.getUTCFullYear() * 12 + d.getUTCMonth();
  }

  private monthStartUtc(key: number): number {
    return wallToUtcMs(Date.UTC(Math.floor(key / 12), key % 12, 1), this.timeZone);
  }

  private syntheticHistory(n: number, seed: number): HistoryEntry[] {
    const rnd = prng(seed);
    const out: HistoryEntry[] = [];
    for (let i = n; i >= 1; i--) {
      const mk = this.monthKey - i;
      const y = Math.floor(mk / 12);
      const m = mk % 12;
      const daysIn = new Date(Date.UTC(y, m + 1, 0)).getUTCDate();
      const day = 1 + Math.floor(rnd() * daysIn);
      const quarter = 28 + Math.floor(rnd() * 60); // 07:00 … 21:45
      const wall = Date.UTC(y, m, day) + quarter * QUARTER;
      out.push({ month: this.monthStartUtc(mk + 1), peakW: 2000 + Math.round(rnd() * 4000), at: wallToUtcMs(wall, this.timeZone) });
    }
    return out;
  }

  /** Current values in telegram resolution (advances the registers first). */
  snapshot(): MeterSnapshot {
    this.update();
    const t = this.lastT;
    const st = this.household.state(t);
    const round = Math.round;
    const ts = (x: number) => dsmrTimestamp(x, this.timeZone);
    const current = (a: number) => (this.profile === 'NL' ? Math.floor(Math.abs(a) + 1e-9) : round(Math.abs(a) * 100) / 100);
    const phaseList =
      this.phaseCount === 1
        ? [{ powerW: st.gridW, voltage: st.phases[0].voltage, current: st.gridW / (st.phases[0].voltage * 0.95) }]
        : st.phases;
    const phases: PhaseSnapshot[] = phaseList.map((p) => ({
      importW: round(Math.max(0, p.powerW)),
      exportW: round(Math.max(0, -p.powerW)),
      voltage: round(p.voltage * 10) / 10,
      current: current(p.current),
    }));
    const mb = (m: MbusState | undefined): MbusSnapshot | undefined =>
      m && {
        channel: m.channel,
        deviceType: m.deviceType,
        id: m.id,
        idHex: toHex(m.id),
        m3: Math.floor(m.captured * 1000 + 1e-6) / 1000,
        at: m.capturedAt,
        atText: ts(m.capturedAt),
      };
    const wh = (x: number) => Math.floor(x + 1e-6);
    const snap: MeterSnapshot = {
      t,
      profile: this.profile,
      header: this.header,
      serial: this.serial,
      serialHex: toHex(this.serial),
      timestampText: ts(t),
      tariff: this.tariffAt(t),
      energyWh: { import1: wh(this.reg.import1), import2: wh(this.reg.import2), export1: wh(this.reg.export1), export2: wh(this.reg.export2) },
      importW: round(Math.max(0, st.gridW)),
      exportW: round(Math.max(0, -st.gridW)),
      phases,
      powerFailures: 4,
      longPowerFailures: 1,
      gas: mb(this.gas),
      water: mb(this.water),
    };
    if (this.profile === 'BE') {
      const elapsed = t - Math.max(this.quarterStart, this.quarterObservedFrom);
      snap.capacity = {
        currentAverageW: elapsed > 0 ? round(this.quarterImportWs / (elapsed / 1000)) : 0,
        monthPeakW: round(this.monthPeakW),
        monthPeakAt: this.monthPeakAt,
        monthPeakAtText: ts(this.monthPeakAt),
        history: this.history.map((h) => ({
          month: h.month,
          monthText: ts(h.month),
          peakW: round(h.peakW),
          at: h.at,
          atText: h.at === null ? NULL_TIMESTAMP : ts(h.at),
        })),
      };
    }
    return snap;
  }

  /** The telegram for the clock's current time (advances the registers). */
  telegram(): string {
    return formatTelegram(this.snapshot(), this.failureLog, this.timeZone);
  }
}

/** Appends "!" + CRC + CR LF to a telegram body that starts with "/" and whose lines end with CR LF. */
export function withCrc(body: string): string {
  const s = body + '!';
  return s + crcHex(crc16Arc(s)) + '\r\n';
}

// ---------------------------------------------------------------------------------------------
// Encoding through the P1 descriptor (lib/devices/p1/descriptor.ts): every OBIS code, scale and
// device unit comes from its points; this file adds only the fixed-width text layout the vectors
// of p1-dsmr.md §2.9 show.
// ---------------------------------------------------------------------------------------------

/** Digits before and after the decimal point of a number in a device unit (vectors V1, V5, V6). */
const LAYOUT: Record<string, { int: number; dec: number }> = {
  kWh: { int: 6, dec: 3 },
  kW: { int: 2, dec: 3 },
  V: { int: 3, dec: 1 },
  m3: { int: 5, dec: 3 },
  s: { int: 10, dec: 0 },
};
/** Points whose layout differs from their unit's (V5/V6: `(999.9*kW)`, `(999*A)`). */
const LAYOUT_OF_POINT: Record<string, { int: number; dec: number }> = { limiter: { int: 3, dec: 1 }, fuse: { int: 3, dec: 0 } };
/** Whole-number widths (`0-0:96.14.0(0002)`, `0-0:96.7.21(00004)`, `0-1:24.1.0(003)`). */
const WIDTH_OF_POINT: Record<string, number> = {
  tariff: 4,
  'powerFailures.count': 5,
  'powerFailures.longCount': 5,
  'mbus.deviceType': 3,
  breaker: 1,
  'mbus.valve': 1,
};
const SAG_SWELL = /^L\d\.(sags|swells)$/;

export interface EncodeOptions {
  /** NL currents are whole amps, BE currents have 2 decimals (p1-dsmr.md §2.6). */
  profile?: MeterProfile;
  /** Time zone of time stamps given as ms (default Europe/Amsterdam). */
  timeZone?: string;
}

function layoutOf(p: DevicePoint, profile: MeterProfile): { int: number; dec: number } {
  const own = LAYOUT_OF_POINT[p.name];
  if (own) return own;
  if (p.deviceUnit === 'A') return profile === 'NL' ? { int: 3, dec: 0 } : { int: 3, dec: 2 };
  const l = p.deviceUnit ? LAYOUT[p.deviceUnit] : undefined;
  if (!l) throw new Error(`dsmr-writer: no layout for point ${p.name} (${p.deviceUnit ?? 'no unit'})`);
  return l;
}

/**
 * The text inside one group of point `name` for a value in our unit: numbers scaled to the device
 * unit, fixed width, with `*unit`; whole numbers zero-padded; hex text hex-encoded; time stamps
 * (ms) as `YYMMDDhhmmssX`; other strings as they are.
 */
export function encodeValue(name: string, value: number | string, o: EncodeOptions = {}): string {
  const p = p1Point(name);
  const profile = o.profile ?? 'NL';
  const t = p.valueType ?? 'number';
  if (t === 'timestamp') return typeof value === 'number' ? dsmrTimestamp(value, o.timeZone ?? DEFAULTS.NL.tz) : value;
  if (typeof value === 'string') {
    if (p.deviceUnit === 'hex') return toHex(value);
    if (p.deviceUnit === 'version digits') return value.replace('.', '');
    return value;
  }
  const width = WIDTH_OF_POINT[p.name] ?? (SAG_SWELL.test(p.name) ? 5 : undefined);
  if (t === 'integer' || t === 'enum') return fixed(value, width ?? 1, 0);
  const l = layoutOf(p, profile);
  return `${fixed(scaleOut(p, value) * 10 ** l.dec, l.int, l.dec)}*${p.deviceUnit}`;
}

/** One group `(…)` of a point. */
export function encodeGroup(name: string, value: number | string, o: EncodeOptions = {}): string {
  return `(${encodeValue(name, value, o)})`;
}

/** A data line: the point's OBIS code (M-Bus points on `channel`) followed by the groups. */
export function obisLine(name: string, groups: string[], channel?: number): string {
  return obisCode(name, channel) + groups.join('');
}

/** A one-group line of a point for a value in our unit. */
export function pointLine(name: string, value: number | string, o: EncodeOptions & { channel?: number } = {}): string {
  return obisLine(name, [encodeGroup(name, value, o)], o.channel);
}

/** `1-0:99.97.0(n)(0-0:96.7.19)(end)(duration*s)…` (p1-dsmr.md §2.3 profile buffers). */
export function failureLogLine(entries: Array<{ end: number; durationS: number }>, o: EncodeOptions = {}): string {
  const groups = [`(${entries.length})`, `(${CAPTURE_IDS.failureEnd})`];
  for (const e of entries) groups.push(encodeGroup('timestamp', e.end, o), encodeGroup('powerFailures.log', e.durationS, o));
  return obisLine('powerFailures.log', groups);
}

/** `0-0:98.1.0(n)(1-0:1.6.0)(1-0:1.6.0)(month)(time)(peak*kW)…`; `at` null → the `632525252525W` placeholder (V7). */
export function historyLine(entries: Array<{ month: number | string; at: number | string | null; peakW: number }>, o: EncodeOptions = {}): string {
  const peakId = obisCode('capacity.monthPeak');
  const groups = [`(${entries.length})`, `(${peakId})`, `(${peakId})`];
  for (const h of entries) groups.push(encodeGroup('capacity.monthPeakAt', h.month, o), encodeGroup('capacity.monthPeakAt', h.at ?? NULL_TIMESTAMP, o), encodeGroup('capacity.history', h.peakW, o));
  return obisLine('capacity.history', groups);
}

/** Fluvius "no value" time stamp (p1-dsmr.md §2.5, vector V7). */
export const NULL_TIMESTAMP = '632525252525W';

function formatTelegram(s: MeterSnapshot, failureLog: number, tz: string): string {
  const o: EncodeOptions = { profile: s.profile, timeZone: tz };
  const one = (name: string, value: number | string, channel?: number) => pointLine(name, value, { ...o, channel });
  const L: string[] = [`/${s.header}`, ''];
  const n = s.phases.length;
  const perPhase = (point: string, value: (ph: PhaseSnapshot) => number) => {
    for (let i = 0; i < n; i++) L.push(one(`L${i + 1}.${point}`, value(s.phases[i])));
  };
  const energyLines = () => {
    const e = s.energyWh;
    L.push(one('energy.import.t1', e.import1), one('energy.import.t2', e.import2), one('energy.export.t1', e.export1), one('energy.export.t2', e.export2));
  };
  const powerLines = () => L.push(one('importPower', s.importW), one('exportPower', s.exportW));
  if (s.profile === 'NL') {
    L.push(one('version', '5.0'), one('timestamp', s.timestampText), one('equipmentId', s.serial));
    energyLines();
    L.push(one('tariff', s.tariff));
    powerLines();
    L.push(one('powerFailures.count', s.powerFailures), one('powerFailures.longCount', s.longPowerFailures));
    L.push(failureLogLine([{ end: failureLog, durationS: 240 }], o));
    perPhase('sags', () => 0);
    perPhase('swells', () => 0);
    L.push(obisLine('message.text', ['()']));
    perPhase('voltage', (p) => p.voltage);
    perPhase('current', (p) => p.current);
    perPhase('importPower', (p) => p.importW);
    perPhase('exportPower', (p) => p.exportW);
    if (s.gas) {
      const g = s.gas;
      L.push(one('mbus.deviceType', g.deviceType, g.channel), one('mbus.id', g.id, g.channel));
      L.push(obisLine('mbus.reading', [encodeGroup('mbus.readingAt', g.atText, o), encodeGroup('mbus.reading', g.m3, o)], g.channel));
    }
  } else {
    const c = s.capacity!;
    L.push(one('versionBE', '50217'), one('equipmentId', s.serial), one('timestamp', s.timestampText));
    energyLines();
    L.push(one('tariff', s.tariff));
    L.push(one('capacity.currentAverage', c.currentAverageW));
    L.push(obisLine('capacity.monthPeak', [encodeGroup('capacity.monthPeakAt', c.monthPeakAtText, o), encodeGroup('capacity.monthPeak', c.monthPeakW, o)]));
    L.push(historyLine(c.history.map((h) => ({ month: h.monthText, at: h.atText, peakW: h.peakW })), o));
    powerLines();
    perPhase('importPower', (p) => p.importW);
    perPhase('exportPower', (p) => p.exportW);
    perPhase('voltage', (p) => p.voltage);
    perPhase('current', (p) => p.current);
    L.push(one('breaker', 1), one('limiter', 999_900), one('fuse', 999), obisLine('message.text', ['()']));
    for (const m of [s.gas, s.water]) {
      if (!m) continue;
      const gas = m.deviceType === MBUS_GAS;
      L.push(one('mbus.deviceType', m.deviceType, m.channel), one('mbus.idBE', m.id, m.channel));
      if (gas) L.push(one('mbus.valve', 1, m.channel));
      // BE gas on 24.2.3 (not temperature-corrected), water on 24.2.1 (§2.7)
      const [at, value] = gas ? ['mbus.uncorrectedAt', 'mbus.uncorrected'] : ['mbus.readingAt', 'mbus.reading'];
      L.push(obisLine(value, [encodeGroup(at, m.atText, o), encodeGroup(value, m.m3, o)], m.channel));
    }
  }
  return withCrc(L.map((l) => l + '\r\n').join(''));
}
