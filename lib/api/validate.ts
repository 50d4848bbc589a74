/**
 * One ajv instance for the package. validator(schema) returns a function that gives null for a
 * valid value or a message naming the field and the rule ("payload.power: must be number").
 */
import Ajv, { ErrorObject, SchemaObject } from 'ajv';

const ajv = new Ajv({ allErrors: false, strict: false, coerceTypes: false });

function describe(e: ErrorObject, root: string): string {
  const field = root + (e.instancePath ? e.instancePath.replace(/\//g, '.') : '');
  if (e.keyword === 'required') return `${field}.${(e.params as { missingProperty: string }).missingProperty}: is required`;
  if (e.keyword === 'enum') return `${field}: must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
  // finite() bounds (schemas.ts): only NaN and ±Infinity break them
  if ((e.keyword === 'maximum' || e.keyword === 'minimum') && Math.abs((e.params as { limit: number }).limit) === Number.MAX_VALUE) return `${field}: must be a finite number`;
  if (e.keyword === 'additionalProperties') return `${field}.${(e.params as { additionalProperty: string }).additionalProperty}: is not allowed`;
  return `${field}: ${e.message}`;
}

export function validator(schema: SchemaObject, root = 'value'): (v: unknown) => string | null {
  const fn = ajv.compile(schema);
  return (v) => (fn(v) ? null : describe(fn.errors![0], root));
}
