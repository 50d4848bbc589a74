/**
 * A number from a saved config field (the editor stores numbers as numbers or as text), or
 * undefined when the field is empty or not a number — the caller then uses its default.
 */
export function configNumber(v: unknown): number | undefined {
  if (v === undefined || v === null || (typeof v === 'string' && v.trim() === '')) return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}
