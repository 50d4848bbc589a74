/**
 * What a command talks to: output lines, the environment, and a prompt. Every line a command
 * prints goes through `redact`, so a password given in a URL (`http://user:pass@host`), in an
 * option or in the environment is never printed, whatever message carries it.
 */
import type { Out } from './command';

export interface Io {
  out: Out;
  err: Out;
  env: Readonly<Record<string, string | undefined>>;
  /** Asks for a secret without echo; undefined when there is no terminal to ask on. */
  prompt(question: string): Promise<string | undefined>;
  /** Registers a secret: from now on it is printed as "***". */
  secret(value: string | undefined): void;
}

/** The environment variables the CLI reads credentials from. */
export const ENV_USER = 'HOME_ENERGY_USER';
export const ENV_PASSWORD = 'HOME_ENERGY_PASSWORD';

const MASK = '***';

/** `scheme://user:pass@host` → `scheme://user:***@host` anywhere in a text. */
export function redactUrls(text: string): string {
  return text.replace(/\b([a-z][a-z0-9+.-]*:\/\/)([^\s/@:]*):([^\s/@]*)@/gi, (_m, scheme: string, user: string) => `${scheme}${user}:${MASK}@`);
}

export function redact(text: string, secrets: Iterable<string>): string {
  let t = redactUrls(text);
  // Longest first, so a secret that contains another is masked whole.
  for (const s of [...secrets].sort((a, b) => b.length - a.length)) {
    if (s.length < 3) continue; // too short to mask without garbling the text
    t = t.split(s).join(MASK);
  }
  return t;
}

/** Reads a line from a TTY with echo off. */
function promptTty(question: string): Promise<string | undefined> {
  const stdin = process.stdin;
  if (!stdin.isTTY || typeof stdin.setRawMode !== 'function') return Promise.resolve(undefined);
  return new Promise((resolve) => {
    process.stderr.write(question);
    let text = '';
    stdin.setRawMode(true);
    stdin.setEncoding('utf8');
    stdin.resume();
    const done = (v: string | undefined) => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
      resolve(v);
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') return done(text);
        if (ch === '\u0003' || ch === '\u0004') return done(undefined); // Ctrl-C, Ctrl-D
        if (ch === '\u007f' || ch === '\b') text = text.slice(0, -1);
        else text += ch;
      }
    };
    stdin.on('data', onData);
  });
}

/** The process's Io: stdout/stderr, process.env, the terminal. */
export function processIo(out: Out = (l) => process.stdout.write(l + '\n'), err: Out = (l) => process.stderr.write(l + '\n'), env: Io['env'] = process.env): Io {
  return makeIo({ out, err, env, prompt: promptTty });
}

/** An Io around plain functions (tests); every printed line is redacted. */
export function makeIo(o: { out: Out; err: Out; env?: Io['env']; prompt?: Io['prompt'] }): Io {
  const secrets = new Set<string>();
  for (const k of [ENV_PASSWORD]) if (o.env?.[k]) secrets.add(o.env[k]!);
  return {
    out: (l) => o.out(redact(l, secrets)),
    err: (l) => o.err(redact(l, secrets)),
    env: o.env ?? {},
    prompt: o.prompt ?? (async () => undefined),
    secret(v) {
      if (v) {
        secrets.add(v);
        secrets.add(v.toUpperCase()); // the Sessy client upper-cases what it sends
      }
    },
  };
}
