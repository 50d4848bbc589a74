/** JSON Schemas of the charger messages (DESIGN.md §4.1): the `charger` reading and the `charger-setpoint` command. */
import type { SchemaObject } from 'ajv';

const finite = { type: 'number', minimum: -1e15, maximum: 1e15 };
const nonNeg = { type: 'number', minimum: 0, maximum: 1e15 };

export const chargerStates = ['idle', 'connected', 'charging', 'paused', 'error', 'offline'];

export const chargerReadingSchema: SchemaObject = {
  $id: 'home-energy/charger-reading',
  type: 'object',
  required: ['kind', 'timestamp', 'source', 'state', 'power', 'limits'],
  properties: {
    kind: { const: 'charger' },
    timestamp: { type: 'integer', minimum: 0 },
    source: { type: 'string' },
    serial: { type: ['string', 'null'] },
    state: { enum: chargerStates },
    power: nonNeg,
    phases: { type: 'array', maxItems: 3, items: { type: 'object', properties: { current: finite, voltage: finite, power: finite } } },
    activePhases: { enum: [1, 2, 3, null] },
    signalledCurrentA: { type: ['number', 'null'], minimum: 0, maximum: 80 },
    enabled: { type: 'boolean' },
    sessionWh: { type: ['number', 'null'], minimum: 0 },
    energyWh: { type: ['number', 'null'], minimum: 0 },
    limits: {
      type: 'object',
      required: ['minCurrentA', 'maxCurrentA', 'phaseOptions'],
      properties: { minCurrentA: nonNeg, maxCurrentA: nonNeg, phaseOptions: { type: 'array', items: { enum: [1, 3] }, minItems: 1 } },
    },
  },
};

/** `{ kind: "charger-setpoint", enabled, currentA, phases? }` — the only way a charger is commanded. */
export const chargerSetpointSchema: SchemaObject = {
  $id: 'home-energy/charger-setpoint',
  type: 'object',
  required: ['kind', 'enabled', 'currentA'],
  properties: {
    kind: { const: 'charger-setpoint' },
    enabled: { type: 'boolean' },
    currentA: { type: 'number', minimum: 0, maximum: 80 },
    phases: { enum: [1, 3] },
    serial: { type: 'string' },
    reason: { type: 'string' },
  },
  additionalProperties: false,
};
