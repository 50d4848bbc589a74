/**
 * The device-node skeleton (issue 10): what every device node shares, so a node file holds only its
 * configuration and its mapping.
 *
 * - `DeviceStatus`: the status ticker (1 s), the freshness rule (lib/util/freshness.ts), the
 *   failure precedence and rate-limited logging. Precedence, first match wins:
 *   1. configuration error → red ring, the config text;
 *   2. a failure newer than the last good reading while that reading is stale (or there is none)
 *      → red ring, the failure's short text;
 *   3. no reading yet → yellow ring, the waiting text ("connecting", "listening on …");
 *   4. a warning the node raised (`warn(key, text)`, e.g. two setpoint sources) → yellow ring,
 *      the summary and the warning;
 *   5. stale reading → yellow ring, the summary and its age;
 *   6. fresh reading → green dot, the summary and its age.
 * - `safeInput`: the v1 input handler with exactly one `done` per message, sync throws and
 *   rejections turned into `done(err)`, and error text that can never throw itself.
 * - `shortError(e)`: the status text of an error from its structured fields (`short`, `code`),
 *   never by parsing its message.
 */
import { Freshness, type FreshnessOptions } from '../../lib/util/freshness';
import type { DoneFn, Node, NodeMessage, NodeStatus, SendFn } from './red';
import { formatAge } from './status';
import { rateLimitedWarn } from './log';

/** Error fields drivers set so nodes need not read the message (lib/api errors carry them). */
export interface StructuredError extends Error {
  /** Short status text, at most ~30 characters ("timeout", "exception 2, regs 0–65"). */
  short?: string;
  /** Machine-readable cause ("timeout", "ECONNREFUSED", "exception", "EADDRINUSE"). */
  code?: string;
}

/** Longest status text (Node-RED draws it under the node; longer runs under its neighbours). */
export const STATUS_MAX = 32;

/** Cuts a status text to STATUS_MAX characters with an ellipsis. */
export function clip(text: string, max = STATUS_MAX): string {
  return text.length <= max ? text : text.slice(0, max - 1) + '…';
}

/** Text of anything thrown, for logs and done(err); never throws (BigInt, circular, null, getters that throw). */
export function errorText(e: unknown): string {
  try {
    if (e instanceof Error) return e.message || e.name;
    if (typeof e === 'string') return e;
    return String(e);
  } catch {
    return 'unprintable error';
  }
}

/** The short status text of a failure. */
export function shortError(e: unknown): string {
  const s = e as StructuredError | undefined;
  if (s && typeof s.short === 'string' && s.short) return clip(s.short);
  if (s && typeof s.code === 'string' && s.code) return clip(s.code);
  return clip(errorText(e));
}

export interface DeviceStatusOptions {
  freshness: FreshnessOptions;
  /** Status summary of the latest reading ("+1.2 kW · 64%"); the age is added. */
  summary: () => string;
  /** Text while nothing has been read yet. */
  waiting: string;
  /** Word for a stale reading ("stale"). */
  staleWord?: string;
  /** Extra text after the age (" · 3 err"). */
  suffix?: () => string;
  /** Injected for tests; default Date.now. */
  now?: () => number;
  /** Ticker period, ms (default 1000; 0 = no ticker, call update() yourself). */
  tickMs?: number;
}

export class DeviceStatus {
  readonly freshness: Freshness;
  private configError: string | undefined;
  private failure: { short: string; at: number } | undefined;
  private lastGoodAt: number | undefined;
  private waitingText: string;
  private readonly warnings = new Map<string, string>();
  private readonly ticker: ReturnType<typeof setInterval> | undefined;
  private readonly now: () => number;
  private readonly log: (kind: string, text: string) => void;
  private lastShown = '';

  constructor(
    private readonly node: Pick<Node, 'status' | 'warn'>,
    private readonly o: DeviceStatusOptions,
  ) {
    this.freshness = new Freshness(o.freshness);
    this.now = o.now ?? Date.now;
    this.waitingText = o.waiting;
    this.log = rateLimitedWarn(node, undefined, this.now);
    const tick = o.tickMs ?? 1000;
    this.ticker = tick > 0 ? setInterval(() => this.update(), tick) : undefined;
    this.ticker?.unref?.();
    this.update();
  }

  /** A good reading arrived. */
  good(): void {
    const t = this.now();
    this.freshness.good(t);
    this.lastGoodAt = t;
    this.failure = undefined;
    this.update();
  }

  /** A read or command failed: shown per the precedence, logged at most once a minute per kind. */
  failed(e: unknown): void {
    this.freshness.failed();
    this.failure = { short: shortError(e), at: this.now() };
    const code = (e as StructuredError | undefined)?.code;
    this.log(`failure:${code ?? errorText(e)}`, errorText(e));
    this.update();
  }

  /** The link is back (connected) but nothing read yet: the last failure no longer holds. */
  recovered(): void {
    this.failure = undefined;
    this.update();
  }

  /** The configuration is unusable: red until the node is redeployed. */
  config(text: string): void {
    this.configError = clip(text);
    this.update();
  }

  /** Changes the text shown before the first reading. */
  waiting(text: string): void {
    this.waitingText = text;
    this.update();
  }

  /** Raises (text) or clears (undefined) a warning of one kind. */
  warn(key: string, text: string | undefined): void {
    if (text === undefined) this.warnings.delete(key);
    else this.warnings.set(key, text);
    this.update();
  }

  /** The status as it should be now (pure of timers; tests call it). */
  compute(): NodeStatus {
    if (this.configError) return { fill: 'red', shape: 'ring', text: this.configError };
    const t = this.now();
    const fresh = this.freshness.fresh(t);
    if (this.failure && (this.lastGoodAt === undefined || (!fresh && this.failure.at >= this.lastGoodAt))) return { fill: 'red', shape: 'ring', text: this.failure.short };
    if (this.lastGoodAt === undefined) return { fill: 'yellow', shape: 'ring', text: clip(this.waitingText) };
    const age = formatAge(this.freshness.age(t));
    const summary = this.o.summary();
    const suffix = this.o.suffix?.() ?? '';
    const warning = [...this.warnings.values()][0];
    if (warning) return { fill: 'yellow', shape: 'ring', text: clip(`${summary} · ${warning}`) };
    if (!fresh) return { fill: 'yellow', shape: 'ring', text: clip(`${summary} · ${this.o.staleWord ?? 'stale'} ${age}${suffix}`) };
    return { fill: 'green', shape: 'dot', text: clip(`${summary} · ${age}${suffix}`) };
  }

  /** Shows compute() when it changed. */
  update(): void {
    const s = this.compute();
    const key = `${s.fill}|${s.shape}|${s.text}`;
    if (key === this.lastShown) return;
    this.lastShown = key;
    this.node.status(s);
  }

  /** Stops the ticker (first step of a node's close). */
  close(): void {
    if (this.ticker) clearInterval(this.ticker);
  }
}

/**
 * Registers the node's input handler: `handler` may return a promise; whatever it throws or
 * rejects with ends the message with done(err), and done is called exactly once per message.
 */
export function safeInput(node: Node, handler: (msg: NodeMessage, send: SendFn) => void | Promise<void>): void {
  node.on('input', (msg, send, done: DoneFn) => {
    let finished = false;
    const finish = (err?: unknown) => {
      if (finished) return;
      finished = true;
      if (err === undefined) done();
      else done(err instanceof Error ? err : new Error(errorText(err)));
    };
    try {
      const r = handler(msg, send);
      if (r && typeof (r as Promise<void>).then === 'function') (r as Promise<void>).then(() => finish(), finish);
      else finish();
    } catch (e) {
      finish(e ?? new Error('input handler failed'));
    }
  });
}
