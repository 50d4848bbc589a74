/**
 * The cost account: energy counters of a meter (Wh, monotonic) priced slot by slot, summed per
 * local day and month, with the monthly basic charge and the capacity component. The capacity
 * component is the Belgian (Flemish) one: the mean of the last 12 month peaks, each counted at least
 * at the floor (2.5 kW), × the rate in EUR per kW per year ÷ 12 (the unit Fluvius publishes). A
 * peak-shaving node's state carries that account (lib/control/peak-shaving/account.ts: billedMeanW,
 * its rate and costPerMonthEur); the tariff takes its billed mean, and its monthly cost when it has a
 * rate. With only a month peak (topic "peak", or a state without an account) the mean is that month
 * alone, at least the floor. The state is plain JSON so the node keeps it in Node-RED context and a
 * restart continues where it stopped. Pure: time and prices are passed in.
 */
import { localFields } from '../util/local-time';

export interface Totals {
  importKWh: number;
  exportKWh: number;
  /** EUR */
  importCost: number;
  exportRevenue: number;
}

export interface AccountState {
  version: 1;
  /** Local date ("2026-03-29") and month ("2026-03") the totals belong to. */
  day: string;
  month: string;
  today: Totals;
  thisMonth: Totals;
  yesterday?: Totals & { day: string };
  lastMonth?: Totals & { month: string; peakKW: number };
  last?: { importWh: number; exportWh: number; at: number };
  /** The month's peak (kW) a peak-shaving node reported. */
  peakKW: number;
  /** The capacity account of a peak-shaving node's last state, for `month`. */
  capacity?: CapacityReport & { month: string };
}

/** What a peak-shaving state says of the capacity tariff (its `account`). */
export interface CapacityReport {
  /** Mean of the last 12 month peaks, each at least the floor (W). */
  billedMeanW: number;
  /** EUR per kW per year, when peak shaving has a rate set. */
  rateEurPerKWYear?: number;
  /** EUR, when peak shaving has a rate set. */
  costPerMonthEur?: number;
}

export interface AccountParams {
  timeZone: string;
  /** EUR per month. */
  basicChargePerMonth: number;
  /** EUR per kW per year (Fluvius publishes the rates so, e.g. 49.40 for Antwerpen in 2026); 0 = none unless peak shaving reports a rate. */
  capacityRate: number;
  /** The floor of each month peak (kW): 2.5 in Flanders. Used when only a month peak is reported. */
  capacityMinKW: number;
  /** Deltas above this power are dropped as a counter jump (W). Default 100 kW. */
  maxPowerW?: number;
}

export interface AccountView {
  kind: 'cost-account';
  currency: 'EUR';
  today: Totals & { day: string; basicCharge: number; net: number };
  month: Totals & {
    month: string;
    basicCharge: number;
    /** EUR for this month: billedMeanKW × the yearly rate ÷ 12. */
    capacityCost: number;
    peakKW: number;
    /** The mean the capacity cost is billed on (kW). */
    billedMeanKW: number;
    /** EUR per kW per year the capacity cost is at. */
    capacityRate: number;
    /** "peak-shaving": its 12-month account; "month peak": this month's peak alone, at least the floor. */
    capacityFrom: 'peak-shaving' | 'month peak';
    net: number;
  };
  yesterday?: AccountState['yesterday'];
  lastMonth?: AccountState['lastMonth'];
}

const zero = (): Totals => ({ importKWh: 0, exportKWh: 0, importCost: 0, exportRevenue: 0 });

export function newAccount(t: number, tz: string): AccountState {
  const f = localFields(t, tz);
  return { version: 1, day: f.date, month: f.date.slice(0, 7), today: zero(), thisMonth: zero(), peakKW: 0 };
}

/** A stored state back from context; a malformed one gives a fresh account. */
export function restoreAccount(raw: unknown, t: number, tz: string): AccountState {
  const s = raw as AccountState;
  const ok = !!s && typeof s === 'object' && s.version === 1 && typeof s.day === 'string' && typeof s.month === 'string' && !!s.today && !!s.thisMonth;
  return ok ? (JSON.parse(JSON.stringify(s)) as AccountState) : newAccount(t, tz);
}

function add(a: Totals, imp: number, exp: number, pi: number, pe: number): void {
  a.importKWh += imp;
  a.exportKWh += exp;
  a.importCost += imp * pi;
  a.exportRevenue += exp * pe;
}

/** Moves into the local day/month of `t`, archiving the finished ones. */
export function rollOver(s: AccountState, t: number, tz: string): boolean {
  const f = localFields(t, tz);
  const month = f.date.slice(0, 7);
  let changed = false;
  if (f.date !== s.day) {
    s.yesterday = { ...s.today, day: s.day };
    s.today = zero();
    s.day = f.date;
    changed = true;
  }
  if (month !== s.month) {
    s.lastMonth = { ...s.thisMonth, month: s.month, peakKW: s.peakKW };
    s.thisMonth = zero();
    s.month = month;
    s.peakKW = 0;
    delete s.capacity;
    changed = true;
  }
  return changed;
}

/**
 * Adds a counter reading. The energy since the previous reading is priced at `price` (the slot
 * of the previous reading) and booked to the previous reading's day; then the day rolls over if
 * the new reading is in the next one. Out-of-order readings are ignored; a counter that goes back
 * or jumps (above maxPowerW) re-baselines without booking. Returns what happened.
 */
export function addReading(
  s: AccountState,
  r: { importWh: number; exportWh: number; timestamp: number },
  price: { importPrice: number; exportPrice: number },
  p: AccountParams,
): 'booked' | 'baseline' | 'ignored' | 'jump' {
  if (s.last && r.timestamp <= s.last.at) return 'ignored';
  let what: 'booked' | 'baseline' | 'jump' = 'baseline';
  if (s.last) {
    const imp = r.importWh - s.last.importWh;
    const exp = r.exportWh - s.last.exportWh;
    const hours = (r.timestamp - s.last.at) / 3_600_000;
    const maxWh = (p.maxPowerW ?? 100_000) * hours + 1;
    if (imp < 0 || exp < 0 || imp > maxWh || exp > maxWh) what = 'jump';
    else {
      add(s.today, imp / 1000, exp / 1000, price.importPrice, price.exportPrice);
      add(s.thisMonth, imp / 1000, exp / 1000, price.importPrice, price.exportPrice);
      what = 'booked';
    }
  }
  rollOver(s, r.timestamp, p.timeZone);
  s.last = { importWh: r.importWh, exportWh: r.exportWh, at: r.timestamp };
  return what;
}

/**
 * Records the month's peak (W) reported by peak shaving (the account keeps the highest) and, when
 * its state carries one, its capacity account (replaced by each new one; it belongs to this month).
 */
export function setPeak(s: AccountState, peakW: number, report?: CapacityReport): void {
  if (Number.isFinite(peakW) && peakW >= 0) s.peakKW = Math.max(s.peakKW, peakW / 1000);
  if (report) s.capacity = { ...report, month: s.month };
}

/** This month's capacity component: from peak shaving's account where it reported one, else the month peak alone. */
export function capacityOf(s: AccountState, p: AccountParams): { cost: number; billedMeanKW: number; rate: number; from: 'peak-shaving' | 'month peak' } {
  const c = s.capacity && s.capacity.month === s.month ? s.capacity : undefined;
  if (c) {
    const billedMeanKW = c.billedMeanW / 1000;
    if (c.rateEurPerKWYear !== undefined && c.costPerMonthEur !== undefined) return { cost: c.costPerMonthEur, billedMeanKW, rate: c.rateEurPerKWYear, from: 'peak-shaving' };
    return { cost: (billedMeanKW * p.capacityRate) / 12, billedMeanKW, rate: p.capacityRate, from: 'peak-shaving' };
  }
  const billedMeanKW = Math.max(s.peakKW, p.capacityMinKW);
  return { cost: (billedMeanKW * p.capacityRate) / 12, billedMeanKW, rate: p.capacityRate, from: 'month peak' };
}

function daysInMonth(month: string): number {
  const [y, m] = month.split('-').map(Number);
  return new Date(Date.UTC(y, m, 0)).getUTCDate();
}

const r4 = (x: number) => Math.round(x * 10_000) / 10_000;
const round = <T extends object>(o: T): T => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, typeof v === 'number' ? r4(v) : v])) as T;

/** The account as a message payload (EUR rounded to 0.0001). */
export function accountView(s: AccountState, p: AccountParams): AccountView {
  const basicDay = p.basicChargePerMonth / daysInMonth(s.month);
  const cap = capacityOf(s, p);
  const capacityCost = cap.cost;
  const today = { ...s.today, day: s.day, basicCharge: basicDay, net: s.today.importCost - s.today.exportRevenue + basicDay };
  const month = {
    ...s.thisMonth,
    month: s.month,
    basicCharge: p.basicChargePerMonth,
    capacityCost,
    peakKW: s.peakKW,
    billedMeanKW: cap.billedMeanKW,
    capacityRate: cap.rate,
    capacityFrom: cap.from,
    net: s.thisMonth.importCost - s.thisMonth.exportRevenue + p.basicChargePerMonth + capacityCost,
  };
  return {
    kind: 'cost-account',
    currency: 'EUR',
    today: round(today),
    month: round(month),
    ...(s.yesterday ? { yesterday: round(s.yesterday) } : {}),
    ...(s.lastMonth ? { lastMonth: round(s.lastMonth) } : {}),
  };
}
