/**
 * The CLI's one argument parser: --flag, --key value, --key=value, positionals. Every command names its
 * options, so a typo or a missing value is a usage error instead of being ignored.
 */
export interface Args {
  _: string[];
  [key: string]: string | boolean | string[];
}

export class UsageError extends Error {}

export interface ArgSpec {
  /** Options that take a value (--key value or --key=value). */
  values?: string[];
  /** Options without a value. "-h" is read as "--help" when "help" is listed. */
  booleans?: string[];
}

export function parseArgs(argv: string[], spec: ArgSpec = {}): Args {
  const values = spec.values ?? [];
  const booleans = spec.booleans ?? [];
  const out: Args = { _: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] === '-h' && booleans.includes('help') ? '--help' : argv[i];
    if (a === '--') {
      out._.push(...argv.slice(i + 1));
      break;
    }
    if (!a.startsWith('--')) {
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
