/** Minimal argv parser for the CLI: --flag, --key value, --key=value, positionals. */
export interface Args {
  _: string[];
  [key: string]: string | boolean | string[];
}

export function parseArgs(argv: string[], booleans: string[] = []): Args {
  const out: Args = { _: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      out._.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const key = a.slice(2, eq > 0 ? eq : undefined);
      if (eq > 0) out[key] = a.slice(eq + 1);
      else if (booleans.includes(key) || i + 1 >= argv.length || argv[i + 1].startsWith('--')) out[key] = true;
      else out[key] = argv[++i];
    } else out._.push(a);
  }
  return out;
}

export function str(a: Args, key: string): string | undefined {
  const v = a[key];
  return typeof v === 'string' ? v : undefined;
}

export class UsageError extends Error {}
