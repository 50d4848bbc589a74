/**
 * The CLI's one argument parser: --flag, --key value, --key=value, positionals. Every command names its
 * options, so a typo or a missing value is a usage error instead of being ignored.
 */
export interface Args {
  _: string[];
  [key: string]: string | boolean | string[];
}

export class UsageError extends Error {
  readonly code = 'EUSAGE';
}

/** A usage error from the CLI or from a benchmark's own option parser (code EUSAGE). */
export function isUsageError(e: unknown): boolean {
  return e instanceof UsageError || (typeof e === 'object' && e !== null && (e as { code?: unknown }).code === 'EUSAGE');
}

export interface ArgSpec {
  /** Options that take a value (--key value or --key=value). */
  values?: string[];
  /** Options without a value. */
  booleans?: string[];
}

export function parseArgs(argv: string[], spec: ArgSpec = {}): Args {
  const values = spec.values ?? [];
  const booleans = spec.booleans ?? [];
  const out: Args = { _: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      out._.push(...argv.slice(i + 1));
      break;
    }
    if (!a.startsWith('--')) {
      // "-x" is an option we do not know; "-5" and "-1500" are numbers (watts).
      if (/^-[^\d.]/.test(a)) throw new UsageError(`unknown option ${a}`);
      out._.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const key = a.slice(2, eq > 0 ? eq : undefined);
    if (booleans.includes(key)) {
      if (eq > 0) throw new UsageError(`--${key} takes no value`);
      out[key] = true;
    } else if (values.includes(key)) {
      if (eq > 0) out[key] = a.slice(eq + 1);
      else if (i + 1 < argv.length) out[key] = argv[++i];
      else throw new UsageError(`--${key} needs a value`);
    } else throw new UsageError(`unknown option --${key}`);
  }
  return out;
}

export function str(a: Args, key: string): string | undefined {
  const v = a[key];
  return typeof v === 'string' ? v : undefined;
}

/** A number of seconds 0 < S ≤ max from --key, or the fallback. */
export function seconds(a: Args, key: string, fallback: number, max = 600): number {
  const v = str(a, key);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (v.trim() === '' || !(n > 0 && n <= max)) throw new UsageError(`--${key} needs seconds (0 < S ≤ ${max}), got ${JSON.stringify(v)}`);
  return n;
}

/** A whole number lo–hi from --key, or the fallback. */
export function integer(a: Args, key: string, fallback: number, lo: number, hi: number): number {
  const v = str(a, key);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (v.trim() === '' || !Number.isInteger(n) || n < lo || n > hi) throw new UsageError(`--${key} needs a whole number ${lo}–${hi}, got ${JSON.stringify(v)}`);
  return n;
}

/** Decimal number text ("-1500", "2.5", "1e3"); not hex ("0x10" is 16 to Number()), not empty. */
export function isDecimal(text: string): boolean {
  return /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(text.trim());
}
