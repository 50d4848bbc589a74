/**
 * Option parsing for the benchmarks, on node:util parseArgs: bench/ does not import the CLI (cli/
 * imports bench/index.ts). A bad option is a BenchUsageError, which the CLI reports with the
 * benchmark's usage and exit code 2.
 */
import * as fs from 'node:fs';
import { parseArgs } from 'node:util';

export class BenchUsageError extends Error {
  readonly code = 'EUSAGE';
}

/** Parsed options: positionals in `_`, every option by its long name. */
export interface BenchArgs {
  _: string[];
  [key: string]: string | boolean | string[];
}

/** Parses `args`; only the listed options are accepted. */
export function parseBenchArgs(args: readonly string[], valueOptions: readonly string[], booleanOptions: readonly string[]): BenchArgs {
  const options: Record<string, { type: 'string' | 'boolean' }> = {};
  for (const k of valueOptions) options[k] = { type: 'string' };
  for (const k of booleanOptions) options[k] = { type: 'boolean' };
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: [...args], options, strict: true, allowPositionals: true });
  } catch (e) {
    const err = e as Error & { code?: string };
    const opt = /'(-[^' ]+)/.exec(err.message)?.[1];
    if (err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw new BenchUsageError(`unknown option ${opt ?? err.message}`);
    if (err.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') throw new BenchUsageError(opt && valueOptions.includes(opt.replace(/^-+/, '')) ? `${opt} needs a value` : `${opt ?? 'option'} takes no value`);
    throw new BenchUsageError(err.message);
  }
  const out: BenchArgs = { _: [...parsed.positionals] };
  for (const [k, v] of Object.entries(parsed.values)) if (typeof v === 'string' || typeof v === 'boolean') out[k] = v;
  return out;
}

export function str(a: BenchArgs, key: string): string | undefined {
  const v = a[key];
  return typeof v === 'string' ? v : undefined;
}

export interface FileSpec {
  file: string;
  column?: string;
}

/** `FILE[:COLUMN]`: the whole text when it names an existing file, else split at the last ':'. */
export function parseFileSpec(spec: string): FileSpec {
  if (fs.existsSync(spec)) return { file: spec };
  const i = spec.lastIndexOf(':');
  if (i > 0 && !/^[A-Za-z]$/.test(spec.slice(0, i))) return { file: spec.slice(0, i), column: spec.slice(i + 1) || undefined };
  return { file: spec };
}

/** A decimal option from min to max, or undefined when not given; anything else is a usage error. */
export function numberOption(a: BenchArgs, key: string, min: number, max: number): number | undefined {
  const v = str(a, key);
  if (v === undefined) return undefined;
  if (!/^\d+(\.\d+)?$/.test(v) || Number(v) < min || Number(v) > max) throw new BenchUsageError(`--${key} must be a number ${min}–${max}, got ${JSON.stringify(v)}`);
  return Number(v);
}
