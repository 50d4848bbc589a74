/**
 * Changes to the dongle's system settings. The dongle only takes the whole object back (read-modify-
 * write, sessy.md §1.5.5: SP set_system_setting(), HY setSystemSettings()), so a change is checked
 * here, merged into a fresh copy of the current object, and only then written.
 * Ranges are the ones HA exposes (§1.5.5 table); keys the dongle does not have are refused.
 */
import type { SchemaObject } from 'ajv';
import { validator } from '../../api/validate';
import type { Parsed } from './normalize';

const int = (minimum: number, maximum: number) => ({ type: 'integer', minimum, maximum });
const bool = { type: 'boolean' };

export const sessySettingsChangeSchema: SchemaObject = {
  $id: 'home-energy/sessy-settings-change',
  type: 'object',
  minProperties: 1,
  properties: {
    min_power: int(0, 2200),
    max_power: int(50, 2200),
    allowed_noise_level: int(1, 101),
    // Type drift: GET gives a bool, HY's POST sample sends "true" (§1.11 quirk 5). Both accepted;
    // written back in the type the dongle used.
    disable_noise_level: { enum: [true, false, 'true', 'false'] },
    enabled_time: { type: 'string', pattern: '^([01]\\d|2[0-3]):[0-5]\\d-([01]\\d|2[0-3]):[0-5]\\d$' },
    eco_charge_power: int(50, 2200),
    eco_charge_hours: int(0, 24),
    eco_nom_charge: bool,
    pack_temp_limit_enabled: bool,
    // Scale UNCONFIRMED (Appendix A.7); HA treats it as percent 0–100.
    min_soc: { type: 'number', minimum: 0, maximum: 100 },
    sessy_enabled: bool,
    cloud_enabled: bool,
    p1_hostname: { type: 'string', maxLength: 253 },
    pv_hostname: { type: 'string', maxLength: 253 },
    group_current: int(0, 1000),
    phase_current: int(0, 1000),
    group_sessys: int(0, 100),
    phase_sessys: int(0, 100),
    total_sessys: int(0, 100),
    active_phase: int(1, 3),
    status: { not: {} },
    error: { not: {} },
  },
};

const checkChange = validator(sessySettingsChangeSchema, 'payload.settings');

/** Checks a change on its own (before anything is read from the dongle). null = fine. */
export function checkSettingsChange(change: unknown): string | null {
  const e = checkChange(change);
  if (!e) return null;
  // "must NOT be valid" from the { not: {} } guard reads badly: say what it means.
  return e.replace(/^(payload\.settings\.(?:status|error)): must NOT be valid$/, '$1: is not a setting and cannot be written');
}

/** Merges a checked change into the dongle's current object. Refuses keys the dongle does not have. */
export function mergeSettings(current: Record<string, unknown>, change: Record<string, unknown>): Parsed<Record<string, unknown>> {
  const pre = checkSettingsChange(change);
  if (pre) return { ok: false, error: pre };
  const merged: Record<string, unknown> = { ...current };
  for (const [k, v] of Object.entries(change)) {
    // Own keys only: `toString`, `constructor` or `__proto__` are not settings (issue 11 defect 5).
    if (!Object.hasOwn(current, k)) return { ok: false, error: `payload.settings.${k}: this dongle has no such setting (it has ${Object.keys(current).filter((x) => x !== 'status').join(', ')})` };
    const cur = current[k];
    if (k === 'disable_noise_level') {
      const b = v === true || v === 'true';
      merged[k] = typeof cur === 'string' ? String(b) : b;
      continue;
    }
    if (!Object.hasOwn(sessySettingsChangeSchema.properties, k) && cur !== null && typeof cur !== typeof v) {
      return { ok: false, error: `payload.settings.${k}: must be a ${typeof cur} like the dongle's value (got ${typeof v})` };
    }
    merged[k] = v;
  }
  const lo = merged.min_power;
  const hi = merged.max_power;
  if (typeof lo === 'number' && typeof hi === 'number' && lo > hi) return { ok: false, error: `payload.settings.min_power: must not exceed max_power (${lo} > ${hi})` };
  return { ok: true, value: merged };
}
