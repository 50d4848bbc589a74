'use strict';
// One payload of every kind ha-entities takes (as the device and controller nodes send them), for the ha-* tests.
const t0 = Date.UTC(2026, 5, 1, 12);

const meter = {
  kind: 'meter', timestamp: t0, source: 'p1', serial: '4530303331303033', protocol: 'DSMR 5.0', power: -1250, importPower: 0, exportPower: 1250,
  phases: [{ voltage: 231.2, current: 2.1, power: -410 }, { voltage: 230.1, current: 1.9, power: -420 }, { voltage: 229.9, current: 1.8, power: -420 }],
  energy: { importWh: 1234567, exportWh: 765432, importTariffWh: [600000, 634567], exportTariffWh: [300000, 465432] },
  tariff: 2, frequency: 50.01, powerFactor: 0.97,
  capacity: { currentAverageW: 1830, monthPeakW: 3120 }, gas: { m3: 1234.567, at: null }, water: { m3: 12.5, at: null }, heat: { GJ: 3.2, at: null },
};
const battery = {
  kind: 'battery', timestamp: t0, source: 'sessy', serial: 'AB12-CD34', soc: 63.5, power: -800, setpoint: -800, state: 'ready', stateText: 'SYSTEM_STATE_RUNNING_SAFE',
  strategy: 'POWER_STRATEGY_API', limits: { maxChargeW: 2200, maxDischargeW: 1700 }, capacityWh: 5200, energy: { chargedWh: 100000, dischargedWh: 90000 },
  voltage: 52.1, current: -15.3, frequency: 50.0, temperature: 24.5,
};
const sofar = { kind: 'battery', timestamp: t0, source: 'sofar', serial: 'SF4ES005', soc: 40, power: 0, setpoint: null, state: 'standby', strategy: 'passive', limits: { maxChargeW: 3000, maxDischargeW: 3000 } };
const charger = {
  kind: 'charger', timestamp: t0, source: 'enector', serial: 'EN-0042', state: 'charging', power: 7200,
  phases: [{ current: 10.4, voltage: 230, power: 2400 }, { current: 10.4, voltage: 231, power: 2400 }, { current: 10.4, voltage: 229, power: 2400 }],
  activePhases: 3, signalledCurrentA: 10, enabled: true, sessionWh: 5400, energyWh: 1200000, limits: { minCurrentA: 6, maxCurrentA: 16, phaseOptions: [1, 3] },
};
const zeroExport = {
  kind: 'zero-export-status', mode: 'active', gridW: 12, meterAgeMs: 300, meterPeriodMs: 1000, targetW: 0, exportCapW: null, totalSetpointW: 850, curtailmentW: 0,
  units: [{ id: 'Sessy 1', setpoint: 850, power: 840, soc: 60, state: 'ready', active: true }], counters: { commands: 12, failsafes: 0 }, reasons: ['grid 12 W'], dryRun: false,
  batteryMode: { mode: 'balance', source: 'config', until: null, reason: null, ended: null, chargeW: null },
};
const ev = {
  kind: 'ev-charging-state', mode: 'solar-pure', activeMode: 'solar-pure', phaseUsage: 'automatic', override: null, phase: 'charging', phases: 1, setpoint: { enabled: true, currentA: 10, phases: 1 },
  surplusW: 2400, surplusFilteredW: 2300, limitA: 16, binding: 'surplus', holdUntil: null, waitUntil: null, gridLimitW: null,
  counters: { solarWh: 3000, gridWh: 200, solarSharePct: 93.75, starts: 1, phaseSwitches: 0, totalStarts: 3, totalPhaseSwitches: 1, commands: 9, failsafes: 0 }, reasons: ['surplus 2.3 kW → 10 A on 1 phase'],
};
const peak = {
  kind: 'peak-shaving-state', band: 'limiting', limitW: 3120, desiredPeakW: 2500, monthPeakW: 3120, monthKey: '2026-06', quarterStart: t0, quarterAverageW: 2800,
  projectedW: 3050, allowedW: 3300, soc: 25, quartersAboveLimit: 0, lastQuarterW: 2950, reasons: ['peak limiting'], mode: 'peak-shaving',
  account: { months: [{ month: '2026-05', peakW: 4100, source: 'meter' }, { month: '2026-06', peakW: 3120, source: 'node' }], billedMeanW: 3610, floorW: 2500, rateEurPerKWYear: 54.2, costPerYearEur: 195.66, costPerMonthEur: 16.31 },
};
const tariff = { kind: 'tariff', unit: 'EUR/kWh', importPrice: 0.23412, exportPrice: 0.0712, source: 'spot', start: t0, end: t0 + 900000, slot: { start: t0, end: t0 + 900000 }, slots: [] };
const plan = { kind: 'battery-plan', changed: true, reason: 'new prices', costEur: 1.234, noBatteryCostEur: 2.5, savingEur: 1.266, warnings: [], slots: [] };
const ALL = { meter, battery, sofar, charger, zeroExport, ev, peak, tariff, plan };
module.exports = { t0, ALL, ...ALL };
