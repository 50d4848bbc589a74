/**
 * Day-ahead (spot) price → consumer price. All amounts in EUR/kWh except the spot price (EUR/MWh,
 * as the exchanges publish it). The formula, per slot:
 *
 *   import = (spot / 1000 × importFactor + importMarkup + energyTax + networkImport) × (1 + vatPct / 100)
 *   export = netMetering ? import
 *          : (spot / 1000 × exportFactor − exportMarkup) × (1 + exportVatPct / 100)
 *
 * `importMarkup` is the supplier's surcharge per kWh, `energyTax` the per-kWh taxes and levies,
 * `networkImport` per-kWh grid charges (0 where the grid operator bills per connection, as in NL),
 * all excluding VAT. `netMetering` credits feed-in at the full import price (NL "salderen").
 * Fixed monthly amounts (supplier and grid fees, a yearly tax credit spread over months) belong in
 * the basic charge, the capacity tariff (BE) in the capacity rate.
 */
export interface PriceFormula {
  importFactor: number;
  importMarkup: number;
  energyTax: number;
  networkImport: number;
  vatPct: number;
  netMetering: boolean;
  exportFactor: number;
  exportMarkup: number;
  exportVatPct: number;
}

/**
 * Presets: starting points, to be checked against the user's contract and edited.
 * - NL: energy tax 2026, 0–10 000 kWh band, 0.09160 EUR/kWh excl. VAT (Belastingdienst table);
 *   VAT 21 %; grid charges are per connection (basic charge); supplier markup 0.02 EUR/kWh is an
 *   example; feed-in at the spot price minus 0.02 (net metering ends on 2027-01-01; tick
 *   `netMetering` for a contract that still nets).
 * - BE (Flanders): VAT 6 % (permanent since 2023-04-01, FPS Finance); excise and contributions
 *   0.05 EUR/kWh and distribution + transmission 0.07 EUR/kWh are rounded examples that differ
 *   per grid operator; feed-in at the spot price minus 0.015, no VAT for a household.
 */
export const PRESETS: Record<'NL' | 'BE' | 'spot', PriceFormula> = {
  NL: { importFactor: 1, importMarkup: 0.02, energyTax: 0.0916, networkImport: 0, vatPct: 21, netMetering: false, exportFactor: 1, exportMarkup: 0.02, exportVatPct: 0 },
  BE: { importFactor: 1, importMarkup: 0.015, energyTax: 0.05, networkImport: 0.07, vatPct: 6, netMetering: false, exportFactor: 1, exportMarkup: 0.015, exportVatPct: 0 },
  spot: { importFactor: 1, importMarkup: 0, energyTax: 0, networkImport: 0, vatPct: 0, netMetering: false, exportFactor: 1, exportMarkup: 0, exportVatPct: 0 },
};

export interface ConsumerPrices {
  importPrice: number;
  exportPrice: number;
}

/** The consumer prices (EUR/kWh) for a spot price in EUR/MWh. */
export function consumerPrices(spotEurPerMWh: number, f: PriceFormula): ConsumerPrices {
  const spot = spotEurPerMWh / 1000;
  const importPrice = (spot * f.importFactor + f.importMarkup + f.energyTax + f.networkImport) * (1 + f.vatPct / 100);
  const exportPrice = f.netMetering ? importPrice : (spot * f.exportFactor - f.exportMarkup) * (1 + f.exportVatPct / 100);
  return { importPrice, exportPrice };
}
