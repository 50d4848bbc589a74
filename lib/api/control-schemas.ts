/**
 * JSON Schemas of the constraint messages controllers exchange (DESIGN.md §4.1), validated with
 * ajv at the boundary of the node that receives them. Powers in W, + import from the grid; times in
 * ms since epoch. Numbers must be finite (ajv's `number` accepts neither NaN nor ±Infinity from
 * JSON; the receiving node checks values that did not come through JSON).
 */
import type { SchemaObject } from 'ajv';
import { decimalNumber } from './config';

/** Largest power in a constraint message, W (the package's limit for plain numbers). */
export const CONSTRAINT_MAX_W = 100000;

const watts = { type: 'number', minimum: -CONSTRAINT_MAX_W, maximum: CONSTRAINT_MAX_W };

/** A power reading in W within ±CONSTRAINT_MAX_W (a number or decimal text), else undefined: 8.64e15 W is no house's reading. */
export function wattsOf(v: unknown): number | undefined {
  const w = decimalNumber(v);
  return w !== undefined && Math.abs(w) <= CONSTRAINT_MAX_W ? w : undefined;
}

/**
 * When a reading was taken, ms since epoch: its `timestamp` (a number or decimal text), or `now`,
 * its arrival, when it has none or one more than 1 s ahead of the arrival (a far-future stamp would
 * keep a reading fresh for ever).
 */
export function readingTime(v: unknown, now: number): number {
  const t = decimalNumber(v);
  return t !== undefined && t <= now + 1000 ? t : now;
}

/** What wattsOf accepts, for error texts. */
export const WATTS_TEXT = `a finite number of W from −${CONSTRAINT_MAX_W} to ${CONSTRAINT_MAX_W}`;

/**
 * kind "grid-target": hold the grid inside [minW, maxW] (a point target when minW = maxW) until
 * `until`, or until the sender stops refreshing it (two of its update periods).
 */
export const gridTargetSchema: SchemaObject = {
  $id: 'home-energy/grid-target',
  type: 'object',
  required: ['kind', 'minW', 'maxW'],
  properties: {
    kind: { const: 'grid-target' },
    minW: watts,
    maxW: watts,
    until: { type: 'integer', minimum: 0 },
    reason: { type: 'string', maxLength: 200 },
    source: { type: 'string' },
    timestamp: { type: 'integer', minimum: 0 },
  },
  additionalProperties: false,
};

/**
 * kind "grid-limit": the site may import at most `maxImportW` (and export at most `maxExportW`)
 * until `until`; `failsafeW` applies after `failsafeS` without an update from the source.
 */
export const gridLimitSchema: SchemaObject = {
  $id: 'home-energy/grid-limit',
  type: 'object',
  required: ['kind'],
  properties: {
    kind: { const: 'grid-limit' },
    maxImportW: { type: 'number', minimum: 0, maximum: 1e7 },
    maxExportW: { type: 'number', minimum: 0, maximum: 1e7 },
    until: { type: 'number', minimum: 0 },
    failsafeW: { type: 'number', minimum: 0, maximum: 1e7 },
    failsafeS: { type: 'number', minimum: 0, maximum: 86_400 },
    reason: { type: 'string' },
    source: { type: 'string' },
  },
  anyOf: [{ required: ['maxImportW'] }, { required: ['maxExportW'] }],
};

/** The battery modes of a kind "mode" message (DESIGN.md §4.1). */
export const BATTERY_MODES = ['balance', 'peak-shaving', 'hold', 'charge'] as const;

/**
 * kind "mode" for a battery controller: one of BATTERY_MODES until `until` (ms since epoch or an
 * ISO time); `chargeW` asks zero export for another grid-charge power in mode `charge`.
 */
export const batteryModeMessageSchema: SchemaObject = {
  $id: 'home-energy/controller-mode',
  type: 'object',
  required: ['kind', 'mode'],
  properties: {
    kind: { const: 'mode' },
    mode: { enum: [...BATTERY_MODES] },
    until: { anyOf: [{ type: 'number', minimum: 0 }, { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}T' }] },
    reason: { type: 'string', maxLength: 200 },
    source: { type: 'string' },
    chargeW: { type: 'number', minimum: 0, maximum: CONSTRAINT_MAX_W },
    timestamp: { type: 'integer', minimum: 0 },
  },
};

/** The part of a kind "charger" reading a controller needs: its charging power (W ≥ 0) and when it was measured. */
export const chargerPowerSchema: SchemaObject = {
  $id: 'home-energy/charger-power',
  type: 'object',
  required: ['kind', 'power'],
  properties: {
    kind: { const: 'charger' },
    power: { type: 'number', minimum: 0, maximum: CONSTRAINT_MAX_W },
    timestamp: { type: 'integer', minimum: 0 },
    state: { enum: ['idle', 'connected', 'charging', 'paused', 'error', 'offline'] },
  },
};
