/**
 * The tariff node's configuration: one schema for runtime and editor, and its translation into a
 * TariffSpec and AccountParams.
 */
import { bool, int, num, oneOf, text, type ConfigSchema } from '../api/config';
import { validTimeZone } from '../util/local-time';
import { PRESETS, type PriceFormula } from './formula';
import { checkTable, type TariffSpec } from './tariff';
import type { AccountParams } from './account';
import type { PriceUnit } from './prices';

const f = PRESETS.NL;
const eur = (dflt: number) => num(-10, 10, { default: dflt, unit: 'EUR/kWh' });

export const tariffConfigSchema: ConfigSchema = {
  type: 'object',
  properties: {
    source: oneOf(['fixed', 'table', 'dynamic'], 'dynamic'),
    timeZone: text({ default: 'Europe/Amsterdam' }),
    importPrice: eur(0.3),
    exportPrice: eur(0.05),
    importTable: text({ empty: true }),
    exportTable: text({ empty: true }),
    preset: oneOf(['NL', 'BE', 'spot', 'custom'], 'NL'),
    importFactor: num(0, 10, { default: f.importFactor }),
    importMarkup: eur(f.importMarkup),
    energyTax: eur(f.energyTax),
    networkImport: eur(f.networkImport),
    vatPct: num(0, 100, { default: f.vatPct, unit: '%' }),
    netMetering: bool(f.netMetering),
    exportFactor: num(0, 10, { default: f.exportFactor }),
    exportMarkup: eur(f.exportMarkup),
    exportVatPct: num(0, 100, { default: f.exportVatPct, unit: '%' }),
    unit: oneOf(['EUR/MWh', 'EUR/kWh'], 'EUR/MWh'),
    csvFile: text({ empty: true }),
    csvColumn: text({ empty: true }),
    horizon: int(1, 72, { default: 48, unit: 'h' }),
    basicCharge: num(-1000, 1000, { default: 0, unit: 'EUR/month' }),
    capacityRate: num(0, 1000, { default: 0, unit: 'EUR/kW/year', description: 'capacity tariff rate per kW of the billed mean peak and year (Fluvius 2026: Antwerpen 49.40); 0 = none unless peak shaving reports one' }),
    capacityMinKW: num(0, 100, { default: 2.5, unit: 'kW', description: 'each month peak counts at least this (Flanders: 2.5 kW)' }),
    store: text({ empty: true }),
    topic: text({ empty: true }),
  },
};

export interface TariffNodeConfig extends PriceFormula {
  source: 'fixed' | 'table' | 'dynamic';
  timeZone: string;
  importPrice: number;
  exportPrice: number;
  importTable?: string;
  exportTable?: string;
  preset: 'NL' | 'BE' | 'spot' | 'custom';
  unit: PriceUnit;
  csvFile?: string;
  csvColumn?: string;
  horizon: number;
  basicCharge: number;
  capacityRate: number;
  capacityMinKW: number;
  store?: string;
  topic?: string;
}

/**
 * A saved 7 × 24 table; an empty one, and every null (unpainted) cell, is at `fill` (the fixed
 * price), resolved here so a later change of the fixed price reaches them.
 */
function table(src: string | undefined, name: string, fill: number): number[][] {
  if (!src) return Array.from({ length: 7 }, () => Array.from({ length: 24 }, () => fill));
  let t: unknown;
  try {
    t = JSON.parse(src);
  } catch {
    throw new Error(`config.${name}: not valid JSON (7 rows of 24 prices in EUR/kWh)`);
  }
  const problem = checkTable(t, `config.${name}`, true);
  if (problem) throw new Error(problem);
  return (t as (number | null)[][]).map((row) => row.map((x) => x ?? fill));
}

/** The price spec from a checked config; throws naming the field. */
export function tariffSpec(c: TariffNodeConfig): TariffSpec {
  if (!validTimeZone(c.timeZone)) throw new Error(`config.timeZone: "${c.timeZone}" is not a known time zone`);
  const formula = Object.fromEntries(Object.keys(PRESETS.spot).map((k) => [k, c[k as keyof PriceFormula]])) as unknown as PriceFormula;
  const spec: TariffSpec = { source: c.source, timeZone: c.timeZone, importPrice: c.importPrice, exportPrice: c.exportPrice, formula };
  if (c.source === 'table') {
    spec.importTable = table(c.importTable, 'importTable', c.importPrice);
    spec.exportTable = table(c.exportTable, 'exportTable', c.exportPrice);
  }
  return spec;
}

export function accountParams(c: TariffNodeConfig): AccountParams {
  return { timeZone: c.timeZone, basicChargePerMonth: c.basicCharge, capacityRate: c.capacityRate, capacityMinKW: c.capacityMinKW };
}
