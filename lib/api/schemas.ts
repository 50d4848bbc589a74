/**
 * JSON Schemas of the normalized messages (DESIGN.md §2).
 *
 * Every number is finite: ajv's `type: "number"` alone rejects NaN and ±Infinity, but a type list
 * (`["number", "null"]`) does not, and JS objects (unlike JSON) can carry them (issue 11 defect 4:
 * 400 digits in a telegram became Infinity). `finite()` gives every numeric schema bounds of
 * ±Number.MAX_VALUE where it has none, which ajv checks with NaN failing too.
 */
import type { SchemaObject } from 'ajv';

/** The widest finite bounds. */
const FINITE_MIN = -Number.MAX_VALUE;
const FINITE_MAX = Number.MAX_VALUE;

function isNumeric(type: unknown): boolean {
  const types = Array.isArray(type) ? type : [type];
  return types.includes('number') || types.includes('integer');
}

/** A copy of `schema` in which every number or integer schema (at any depth) also rejects NaN and ±Infinity. */
export function finite<T>(schema: T): T {
  if (Array.isArray(schema)) return schema.map((s) => finite(s)) as T;
  if (schema === null || typeof schema !== 'object') return schema;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(schema as Record<string, unknown>)) out[k] = k === 'const' || k === 'enum' || k === 'default' ? v : finite(v);
  if (isNumeric(out.type)) {
    if (out.minimum === undefined && out.exclusiveMinimum === undefined) out.minimum = FINITE_MIN;
    if (out.maximum === undefined && out.exclusiveMaximum === undefined) out.maximum = FINITE_MAX;
  }
  return out as T;
}

const num = { type: 'number' };
const isoOrNull = { type: ['string', 'null'] };
const phase = {
  type: 'object',
  properties: { voltage: num, current: num, power: num, importPower: { type: 'number', minimum: 0 }, exportPower: { type: 'number', minimum: 0 }, powerFactor: { type: 'number', minimum: -1, maximum: 1 } },
  additionalProperties: false,
};
const volume = { type: 'object', required: ['m3', 'at'], properties: { m3: num, at: isoOrNull } };

export const meterReadingSchema: SchemaObject = finite({
  $id: 'home-energy/meter-reading',
  type: 'object',
  required: ['kind', 'timestamp', 'source', 'power'],
  properties: {
    kind: { const: 'meter' },
    timestamp: { type: 'integer', minimum: 0 },
    source: { type: 'string' },
    serial: { type: ['string', 'null'] },
    model: { type: ['string', 'null'] },
    protocol: { type: ['string', 'null'] },
    power: num,
    importPower: { type: 'number', minimum: 0 },
    exportPower: { type: 'number', minimum: 0 },
    phases: { type: 'array', maxItems: 3, items: phase },
    energy: {
      type: 'object',
      required: ['importWh', 'exportWh'],
      properties: {
        importWh: { type: 'number', minimum: 0 },
        exportWh: { type: 'number', minimum: 0 },
        importTariffWh: { type: 'array', items: { type: 'number', minimum: 0 } },
        exportTariffWh: { type: 'array', items: { type: 'number', minimum: 0 } },
        phases: {
          type: 'array',
          maxItems: 3,
          items: { type: 'object', required: ['importWh', 'exportWh'], properties: { importWh: { type: 'number', minimum: 0 }, exportWh: { type: 'number', minimum: 0 } } },
        },
      },
    },
    tariff: { type: ['integer', 'null'] },
    frequency: num,
    powerFactor: { type: 'number', minimum: -1, maximum: 1 },
    capacity: {
      type: 'object',
      properties: {
        currentAverageW: { type: ['number', 'null'] },
        monthPeakW: { type: ['number', 'null'] },
        monthPeakAt: isoOrNull,
        history: { type: 'array', items: { type: 'object', required: ['month', 'peakW', 'at'], properties: { month: isoOrNull, peakW: num, at: isoOrNull } } },
        projectedW: { type: ['number', 'null'] },
        quarterStart: { type: 'integer' },
        computed: { type: 'boolean' },
        partial: { type: 'boolean' },
      },
    },
    gas: volume,
    water: volume,
    heat: { type: 'object', required: ['GJ', 'at'], properties: { GJ: num, at: isoOrNull } },
  },
});

export const batteryStates = ['ready', 'starting', 'empty', 'full', 'standby', 'override', 'error', 'offline', 'unknown'];

export const batteryReadingSchema: SchemaObject = finite({
  $id: 'home-energy/battery-reading',
  type: 'object',
  required: ['kind', 'timestamp', 'source', 'soc', 'power', 'state', 'limits'],
  properties: {
    kind: { const: 'battery' },
    timestamp: { type: 'integer', minimum: 0 },
    source: { type: 'string' },
    serial: { type: ['string', 'null'] },
    model: { type: ['string', 'null'] },
    soc: { type: ['number', 'null'], minimum: 0, maximum: 100 },
    power: num,
    setpoint: { type: ['number', 'null'] },
    state: { enum: batteryStates },
    stateText: { type: 'string' },
    startupRemainingS: { type: 'number', minimum: 0 },
    strategy: { type: ['string', 'null'] },
    limits: {
      type: 'object',
      required: ['maxChargeW', 'maxDischargeW'],
      properties: { maxChargeW: { type: 'number', minimum: 0 }, maxDischargeW: { type: 'number', minimum: 0 } },
    },
    capacityWh: { type: ['number', 'null'], minimum: 0 },
    energy: { type: 'object', properties: { chargedWh: { type: 'number', minimum: 0 }, dischargedWh: { type: 'number', minimum: 0 } } },
  },
});

/** A battery-setpoint command as it arrives in msg.payload (both sessy-battery and sofar-inverter). */
export const batterySetpointSchema: SchemaObject = finite({
  $id: 'home-energy/battery-setpoint',
  type: 'object',
  required: ['kind', 'power'],
  properties: {
    kind: { const: 'battery-setpoint' },
    power: { type: 'number', minimum: -100000, maximum: 100000 },
    serial: { type: 'string' },
    reason: { type: 'string' },
  },
  additionalProperties: false,
});

/** A battery-release command (both sessy-battery and sofar-inverter): hand the unit back to its own control. */
export const batteryReleaseSchema: SchemaObject = finite({
  $id: 'home-energy/battery-release',
  type: 'object',
  required: ['kind'],
  properties: {
    kind: { const: 'battery-release' },
    serial: { type: 'string' },
    reason: { type: 'string' },
  },
  additionalProperties: false,
});
