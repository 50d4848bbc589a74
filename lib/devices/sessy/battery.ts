/**
 * SessyBattery: one Sessy unit under our control, following the control recipe of sessy.md §1.8.
 *
 * - Polls power/status and the active strategy every `pollMs` (default 5 s, §1.9), energy counters,
 *   settings and system info every `slowPollMs` (60 s), and emits one normalized reading per poll.
 * - setSetpoint(W): makes sure the strategy is POWER_STRATEGY_API first (write, read back, retry after
 *   `strategyRetryMs`, §1.8 steps 1–2), clamps to the limits in force (our per-unit limits narrowed by
 *   the dongle's max_power; 0 in the blocked direction at BATTERY_EMPTY / BATTERY_FULL, step 5), posts
 *   it once, and re-sends it every `keepAliveMs` (default 30 s) while it is active (step 4).
 * - Read-back: the next power/status must report the setpoint we sent; otherwise a mismatch is
 *   reported ('mismatch' event, `setpointMismatch` in the reading).
 * - Writes are never replayed blindly (§1.3, ha-sessy #161): after a failed write the driver re-reads
 *   and decides again with the fresh state.
 * - strategy_overridden or POWER_STRATEGY_SESSY_CONNECT: someone else drives the unit; reported, not
 *   fought (step 6). The wanted setpoint is kept and sent once the override ends.
 * - release() / stop(): hands the unit back — the strategy it had before we switched to API (setting
 *   `restoreStrategy`, default on), otherwise setpoint 0 (step 7). A `commandTimeoutMs` without a new
 *   setpoint does the same (fail-safe, DESIGN.md §4).
 *
 * Every timer runs on the injected Clock.
 */
import { EventEmitter } from 'node:events';
import { SUPERSEDED } from '../../api/battery-setpoint';
import type { BatteryControl, CommandOutcome } from '../../api/capabilities';
import type { DeviceDescriptor } from '../../api/device';
import type { BatteryLimits, BatteryReading } from '../../api/types';
import { Backoff, LINK_BACKOFF_CAP_MS } from '../../util/backoff';
import { type Clock, type Timer, systemClock } from '../../util/clock';
import { SerialQueue } from '../../util/serial-queue';
import { SingleFlight } from '../../util/single-flight';
import { SessyClient, type SessyApi, type SessyClientOptions } from './client';
import { SESSY_DEFAULTS, SESSY_DESCRIPTOR, STARTUP_STATE, STRATEGY_LABELS, parseStrategy, type SessyStrategy } from './descriptor';
import { type SessyEnergy, type SessyPowerStatus, type SessySystemInfo, effectiveLimits, mapSystemState, toBatteryReading } from './normalize';
import { mergeSettings } from './settings';

export interface SessyBatteryOptions {
  clock?: Clock;
  /** power/status + strategy poll period, ms (default 5000). */
  pollMs?: number;
  /** energy / settings / info period, ms (default 60000). */
  slowPollMs?: number;
  /** Re-send the active setpoint this often, ms; 0 = send once (default 30000). */
  keepAliveMs?: number;
  /** On release/stop, switch back to the strategy we found (default true); otherwise setpoint 0. */
  restoreStrategy?: boolean;
  /** Switch to API before a setpoint (default true). Off: setpoints outside API are refused. */
  ensureApi?: boolean;
  /** Leave SessyConnect / strategy_overridden alone (default true). */
  yieldToConnect?: boolean;
  maxChargeW?: number;
  maxDischargeW?: number;
  /** Length of the start-up wait, s (default 60). */
  startupS?: number;
  strategyAttempts?: number;
  strategyRetryMs?: number;
  mismatchToleranceW?: number;
  /** Fail-safe: release control when no setpoint arrived for this long, ms; 0 = off (default). */
  commandTimeoutMs?: number;
  /** Renewable phase power sign (Appendix A.6), default +1. */
  pvSign?: 1 | -1;
  /** Dongle serial from the configuration (used until system/info gives one). */
  serial?: string;
  backoff?: { minMs?: number; maxMs?: number };
}

export interface SetpointResult {
  /** What was asked, W. */
  requested: number;
  /** What went on the wire, W (null when nothing was sent). */
  sent: number | null;
  /** true when `sent` differs from `requested` because of the limits or empty/full. */
  clamped: boolean;
  limits: { maxChargeW: number; maxDischargeW: number };
  /** Why nothing or less was sent. */
  blocked?: 'empty' | 'full' | 'override';
  /** A newer setpoint arrived before this one went on the wire; only the newest is sent. */
  superseded?: boolean;
  /** true when this call switched the strategy to API. */
  strategySwitched: boolean;
}

const SHORT: Record<SessyControlError['code'], string> = { strategy: 'strategy not taken', override: 'overridden', write: 'setpoint not confirmed', closed: 'closed' };

export class SessyControlError extends Error {
  /** Status text (nodes show it without reading the message). */
  readonly short: string;
  constructor(
    message: string,
    readonly code: 'strategy' | 'override' | 'write' | 'closed',
  ) {
    super(message);
    this.name = 'SessyControlError';
    this.short = SHORT[code];
  }
}

/** The CommandOutcome (lib/api/capabilities.ts) of a setpoint result. */
export function setpointOutcome(r: SetpointResult): CommandOutcome {
  const reason = r.superseded
    ? SUPERSEDED
    : r.blocked === 'empty'
      ? 'battery empty'
      : r.blocked === 'full'
        ? 'battery full'
        : r.blocked === 'override'
          ? 'someone else drives the unit (SessyConnect or the Sessy cloud)'
          : r.clamped
            ? `limited to −${r.limits.maxChargeW}…${r.limits.maxDischargeW} W`
            : undefined;
  return reason ? { requested: r.requested, sent: r.sent, clamped: r.clamped, reason } : { requested: r.requested, sent: r.sent, clamped: r.clamped };
}

const API: SessyStrategy = 'POWER_STRATEGY_API';

export class SessyBattery extends EventEmitter implements BatteryControl {
  readonly descriptor: DeviceDescriptor = SESSY_DESCRIPTOR;
  readonly clock: Clock;
  private readonly o: Required<Omit<SessyBatteryOptions, 'clock' | 'serial' | 'backoff'>> & { serial?: string };
  private readonly backoff: Backoff;
  private running = false;
  private closed = false;
  private pollTimer?: Timer;
  private keepAliveTimer?: Timer;
  private commandTimer?: Timer;
  /** The poll in flight, and at most one queued behind it (later reads share that one). */
  private readonly polls = new SingleFlight<BatteryReading>();
  /** The caller of the setpoint waiting for its turn (at most one: a newer setpoint supersedes it). */
  private waitingSetpoint?: { watts: number; resolve: (r: SetpointResult) => void; reject: (e: Error) => void };
  /** The last poll failed: the next one is a cheap probe (one power/status request, no retries). */
  private down = false;
  /** Command sequences, one at a time (op). */
  private readonly ops = new SerialQueue();
  private lastSlowAt = -Infinity;

  /** Latest values read. */
  status: SessyPowerStatus | null = null;
  strategy: string | null = null;
  energy: SessyEnergy | null = null;
  settings: Record<string, unknown> | null = null;
  info: SessySystemInfo | null = null;
  private energyUnsupported = false;
  /** When WAITING_IN_SAFE_SITUATION was first seen in this episode. */
  waitingSince: number | null = null;
  lastReading: BatteryReading | null = null;
  lastGoodAt: number | null = null;

  /** The setpoint the user wants (W), null = not in control. */
  requested: number | null = null;
  /** The last setpoint posted, and whether the post succeeded. */
  sent: { value: number; at: number; ok: boolean } | null = null;
  /** Strategy to restore on release (set when we switched away from it). */
  previousStrategy: string | null = null;
  mismatch = false;
  private overrideReported = false;
  counters = { polls: 0, pollFailures: 0, setpointsSent: 0, keepAlives: 0, strategyWrites: 0, mismatches: 0 };

  constructor(
    readonly client: SessyApi,
    opts: SessyBatteryOptions = {},
  ) {
    super();
    this.clock = opts.clock ?? systemClock;
    const d = SESSY_DEFAULTS;
    this.o = {
      pollMs: opts.pollMs ?? d.pollMs,
      slowPollMs: opts.slowPollMs ?? d.slowPollMs,
      keepAliveMs: opts.keepAliveMs ?? d.keepAliveMs,
      restoreStrategy: opts.restoreStrategy ?? true,
      ensureApi: opts.ensureApi ?? true,
      yieldToConnect: opts.yieldToConnect ?? true,
      maxChargeW: opts.maxChargeW ?? d.maxChargeW,
      maxDischargeW: opts.maxDischargeW ?? d.maxDischargeW,
      startupS: opts.startupS ?? d.startupS,
      strategyAttempts: Math.max(1, opts.strategyAttempts ?? d.strategyAttempts),
      strategyRetryMs: opts.strategyRetryMs ?? d.strategyRetryMs,
      mismatchToleranceW: opts.mismatchToleranceW ?? d.mismatchToleranceW,
      commandTimeoutMs: opts.commandTimeoutMs ?? 0,
      pvSign: opts.pvSign ?? 1,
      serial: opts.serial ? opts.serial.toUpperCase() : undefined,
    };
    if (!(this.o.pollMs >= 200)) throw new Error(`poll interval must be at least 200 ms (got ${this.o.pollMs})`);
    if (!(this.o.keepAliveMs === 0 || this.o.keepAliveMs >= 1000)) throw new Error(`keep-alive must be 0 (off) or at least 1 s (got ${this.o.keepAliveMs} ms)`);
    if (!(this.o.maxChargeW >= 0 && this.o.maxDischargeW >= 0)) throw new Error('limits must be ≥ 0 W');
    // Capped so a dongle that comes back is read again within about 5 s (issue 11 defect 2).
    const maxMs = opts.backoff?.maxMs ?? LINK_BACKOFF_CAP_MS;
    this.backoff = new Backoff(Math.min(opts.backoff?.minMs ?? 1000, maxMs), maxMs);
  }

  get options(): Readonly<SessyBatteryOptions> {
    return this.o;
  }

  /** Starts polling (the first poll runs at once). */
  start(): void {
    if (this.running || this.closed) return;
    this.running = true;
    this.schedulePoll(0);
  }

  private schedulePoll(ms: number): void {
    this.pollTimer?.cancel();
    if (!this.running) return;
    this.pollTimer = this.clock.setTimeout(() => {
      this.read().then(
        () => this.schedulePoll(this.o.pollMs),
        () => this.schedulePoll(Math.min(this.o.pollMs, this.backoff.next())),
      );
    }, ms);
  }

  /** The dongle's serial (system/info, else the configured user), once known. */
  get serial(): string | null {
    return this.info?.serial ?? this.o.serial ?? null;
  }

  /**
   * Polls now and returns the reading; rejects on failure. While a poll runs, one more is queued
   * after it and every further call shares that one, so reads never pile up behind a hung dongle.
   */
  read(): Promise<BatteryReading> {
    return this.polls.next(() => this.pollOnce());
  }

  /** The old name of read(). */
  refresh(): Promise<BatteryReading> {
    return this.read();
  }

  private async pollOnce(): Promise<BatteryReading> {
    if (this.closed) throw new SessyControlError('closed', 'closed');
    this.counters.polls++;
    try {
      // While the dongle is down, one cheap request (no retries) tells whether it is back.
      const status = await this.client.getPowerStatus(this.down ? { retries: 0 } : undefined);
      this.down = false;
      const strategy = await this.client.getStrategy();
      const now = this.clock.now();
      if (now - this.lastSlowAt >= this.o.slowPollMs) {
        this.lastSlowAt = now;
        await this.slowPoll();
      }
      if (this.closed) throw new SessyControlError('closed', 'closed'); // no reading after stop()
      // Only a seen transition counts (the first poll has nothing to compare with).
      const wasRunning = this.status === null || this.runningNow();
      this.status = status;
      this.strategy = strategy;
      if (status.systemState === STARTUP_STATE) this.waitingSince ??= now;
      else this.waitingSince = null;
      this.lastGoodAt = now;
      this.backoff.reset();
      const startedRunning = !wasRunning && this.runningNow();
      // A setpoint sent before the unit ran is dropped by the dongle: re-sent below, not a mismatch.
      if (!startedRunning) this.checkReadBack(status);
      const reading = this.buildReading(now);
      this.lastReading = reading;
      this.emit('reading', reading);
      this.afterPoll(startedRunning);
      return reading;
    } catch (e) {
      this.counters.pollFailures++;
      this.down = true;
      if (!this.closed) {
        this.emit('poll-error', e as Error);
        this.emit('problem', e as Error, 'poll');
      }
      throw e;
    }
  }

  /** Energy, settings and info: a failure keeps the previous values and is reported, not fatal. */
  private async slowPoll(): Promise<void> {
    if (!this.energyUnsupported) {
      try {
        this.energy = await this.client.getEnergyStatus();
      } catch (e) {
        // 404: firmware < 1.7.2 has no energy/status (§1.4); stop asking.
        if ((e as { status?: number }).status === 404) this.energyUnsupported = true;
        else this.emit('problem', e as Error, 'energy');
      }
    }
    try {
      this.settings = await this.client.getSettings();
    } catch (e) {
      this.emit('problem', e as Error, 'settings');
    }
    if (!this.info?.serial) {
      try {
        this.info = await this.client.getSystemInfo();
      } catch (e) {
        this.emit('problem', e as Error, 'info');
      }
    }
  }

  /** The limits in force now (our limits ∩ the dongle's max_power ∩ empty/full). */
  limits(state = this.unitState()): BatteryLimits {
    return effectiveLimits({ settings: this.settings, maxChargeW: this.o.maxChargeW, maxDischargeW: this.o.maxDischargeW }, state);
  }

  /** The unit's state from the last power/status, undefined before the first. */
  private unitState() {
    return this.status ? mapSystemState(this.status.systemState, this.status.soc).state : undefined;
  }

  private buildReading(now: number): BatteryReading {
    const r = toBatteryReading(this.status!, {
      now,
      strategy: this.strategy,
      energy: this.energy,
      settings: this.settings,
      info: this.info,
      serial: this.o.serial ?? null,
      waitingSince: this.waitingSince,
      maxChargeW: this.o.maxChargeW,
      maxDischargeW: this.o.maxDischargeW,
      startupS: this.o.startupS,
      pvSign: this.o.pvSign,
    });
    r.requestedSetpoint = this.requested;
    r.sentSetpoint = this.sent ? this.sent.value : null;
    r.setpointMismatch = this.mismatch;
    r.controlled = this.requested !== null;
    return r;
  }

  /** true when the cloud / a supplier drives the unit (§1.8 step 6). */
  isOverridden(): boolean {
    return this.status?.strategyOverridden === true || parseStrategy(this.strategy ?? '') === 'POWER_STRATEGY_SESSY_CONNECT';
  }

  private checkReadBack(st: SessyPowerStatus): void {
    if (!this.sent || this.requested === null) {
      this.mismatch = false;
      return;
    }
    const inApi = parseStrategy(this.strategy ?? '') === API || this.strategy === null;
    const state = mapSystemState(st.systemState, st.soc).state;
    // Only a running unit in API mode is expected to report our setpoint.
    if (!inApi || !(state === 'ready' || state === 'empty' || state === 'full') || this.isOverridden()) {
      this.mismatch = false;
      return;
    }
    const reported = st.setpoint;
    const bad = reported === null || Math.abs(reported - this.sent.value) > this.o.mismatchToleranceW;
    if (bad && !this.mismatch) {
      this.counters.mismatches++;
      this.emit('mismatch', { sent: this.sent.value, reported });
    }
    this.mismatch = bad;
    if (!bad) this.sent.ok = true;
  }

  /** true when the last status shows a unit that carries out setpoints (running, empty or full). */
  private runningNow(): boolean {
    const s = this.unitState();
    return s === 'ready' || s === 'empty' || s === 'full';
  }

  /**
   * Follow-up after a good poll: the unit started running (a setpoint sent during standby or the
   * start-up wait is not kept by the dongle), empty/full transitions, override end, re-evaluation
   * after a failed write.
   */
  private afterPoll(startedRunning: boolean): void {
    if (this.requested === null || this.closed) return;
    if (this.isOverridden() && this.o.yieldToConnect) {
      if (!this.overrideReported) {
        this.overrideReported = true;
        this.emit('override', this.overrideText());
      }
      return;
    }
    const wasOverridden = this.overrideReported;
    this.overrideReported = false;
    if (this.ops.pending > 0) return;
    const target = this.target(this.requested).value;
    // Send again only for a reason seen in this fresh reading: the override ended, empty/full or the
    // limits changed what may be sent, or a failed post did not land. Other failures wait for the
    // keep-alive, so a dongle that refuses is not hammered every poll.
    const needs = wasOverridden || (startedRunning && this.sent !== null) || (this.sent !== null && (this.sent.value !== target || (!this.sent.ok && this.mismatch)));
    if (needs) {
      this.op(() => this.sendSetpoint('re-evaluate')).catch((e) => this.emit('problem', e as Error, 'setpoint'));
    }
  }

  private overrideText(): string {
    return parseStrategy(this.strategy ?? '') === 'POWER_STRATEGY_SESSY_CONNECT'
      ? 'SessyConnect is in control (strategy POWER_STRATEGY_SESSY_CONNECT); setpoint kept, not sent'
      : 'the Sessy cloud overrides the local strategy (strategy_overridden); setpoint kept, not sent';
  }

  /** Clamp a wanted setpoint to what may be sent now. */
  target(w: number): { value: number; clamped: boolean; blocked?: 'empty' | 'full' } {
    const state = this.unitState();
    const lim = this.limits(state);
    let v = Math.round(Math.max(-lim.maxChargeW, Math.min(lim.maxDischargeW, w)));
    if (Object.is(v, -0)) v = 0;
    const blocked = w > 0 && state === 'empty' ? 'empty' : w < 0 && state === 'full' ? 'full' : undefined;
    return { value: v, clamped: v !== Math.round(w), blocked };
  }

  /** Serialises command sequences (strategy switch + setpoint, settings read-modify-write, release). */
  private op<T>(fn: () => Promise<T>): Promise<T> {
    return this.ops.run(fn);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((r) => this.clock.setTimeout(r, ms));
  }

  /**
   * Switch to `target` and read it back; up to `strategyAttempts` writes, `strategyRetryMs` apart. A
   * failed write is not replayed: the next round re-reads first and writes only if still needed.
   */
  private async switchStrategy(target: SessyStrategy): Promise<boolean> {
    let current = await this.client.getStrategy();
    this.strategy = current;
    if (current === target) return false;
    let lastError: Error | undefined;
    for (let attempt = 1; attempt <= this.o.strategyAttempts; attempt++) {
      if (attempt > 1) {
        await this.sleep(this.o.strategyRetryMs);
        if (this.closed && target === API) throw new SessyControlError('closed', 'closed');
        current = await this.client.getStrategy();
        this.strategy = current;
        if (current === target) return true;
      }
      try {
        this.counters.strategyWrites++;
        await this.client.setStrategy(target);
        lastError = undefined;
      } catch (e) {
        lastError = e as Error;
      }
      current = await this.client.getStrategy();
      this.strategy = current;
      if (current === target) return true;
    }
    throw new SessyControlError(
      `strategy ${target} not confirmed after ${this.o.strategyAttempts} attempt(s): the dongle still reports ${current}${lastError ? ` (last write: ${lastError.message})` : ''}`,
      'strategy',
    );
  }

  /** Makes sure the unit is in API mode; returns true when it switched. */
  private async ensureApi(): Promise<boolean> {
    const current = await this.client.getStrategy();
    this.strategy = current;
    // Checked before the API shortcut: the cloud can override while the strategy still reads API.
    if (this.o.yieldToConnect && this.isOverridden()) throw new SessyControlError(this.overrideText(), 'override');
    if (current === API) return false;
    if (!this.o.ensureApi) {
      throw new SessyControlError(`strategy is ${current}, not POWER_STRATEGY_API; the dongle only honours setpoints in API mode (switch with a strategy "api" command, or turn on "switch to API")`, 'strategy');
    }
    const switched = await this.switchStrategy(API);
    if (switched && this.previousStrategy === null) this.previousStrategy = current;
    return switched;
  }

  /** Posts the current wanted setpoint (clamped, empty/full applied). Must run inside op(). */
  private async sendSetpoint(why: 'command' | 'keep-alive' | 're-evaluate'): Promise<SetpointResult> {
    const requested = this.requested;
    if (requested === null) throw new SessyControlError('no setpoint to send', 'write');
    const switched = await this.ensureApi();
    const t = this.target(requested);
    const result: SetpointResult = { requested, sent: null, clamped: t.clamped, limits: this.limits(), strategySwitched: switched };
    if (t.blocked) result.blocked = t.blocked;
    const now = this.clock.now();
    try {
      await this.client.setSetpoint(t.value);
    } catch (e) {
      // Not replayed: the next poll reads the dongle's power_setpoint and decides again.
      this.sent = { value: t.value, at: now, ok: false };
      this.armKeepAlive();
      throw new SessyControlError(`setpoint ${t.value} W not confirmed: ${(e as Error).message}`, 'write');
    }
    this.sent = { value: t.value, at: this.clock.now(), ok: true };
    this.counters.setpointsSent++;
    if (why === 'keep-alive') this.counters.keepAlives++;
    result.sent = t.value;
    this.armKeepAlive();
    return result;
  }

  private armKeepAlive(): void {
    this.keepAliveTimer?.cancel();
    this.keepAliveTimer = undefined;
    if (!this.o.keepAliveMs || this.requested === null || this.closed) return;
    this.keepAliveTimer = this.clock.setTimeout(() => {
      this.keepAliveTimer = undefined;
      if (this.requested === null || this.closed) return;
      if (this.isOverridden() && this.o.yieldToConnect) {
        this.armKeepAlive();
        return;
      }
      this.op(() => this.sendSetpoint('keep-alive')).catch((e) => {
        this.emit('problem', e as Error, 'keep-alive');
        this.armKeepAlive();
      });
    }, this.o.keepAliveMs);
  }

  private armCommandTimeout(): void {
    this.commandTimer?.cancel();
    this.commandTimer = undefined;
    if (!this.o.commandTimeoutMs || this.closed) return;
    this.commandTimer = this.clock.setTimeout(() => {
      this.commandTimer = undefined;
      this.emit('failsafe', `no setpoint for ${Math.round(this.o.commandTimeoutMs / 1000)} s`);
      this.release().catch((e) => this.emit('problem', e as Error, 'release'));
    }, this.o.commandTimeoutMs);
  }

  /**
   * Asks for a setpoint, W (+ discharge, − charge). Resolves with what was sent (`blocked: 'override'`
   * and nothing sent while someone else drives the unit); rejects when the strategy switch or the post
   * fails (nothing is replayed; the keep-alive tries again after a fresh read).
   */
  setSetpoint(watts: number): Promise<SetpointResult> {
    if (typeof watts !== 'number' || !Number.isFinite(watts)) return Promise.reject(new TypeError(`setpoint must be a finite number of W (got ${String(watts)})`));
    if (this.closed) return Promise.reject(new SessyControlError('battery driver is closed', 'closed'));
    this.requested = watts;
    this.armCommandTimeout();
    return new Promise<SetpointResult>((resolve, reject) => {
      // Coalescing (issue 11 defect 3): a setpoint still waiting for its turn is answered now as
      // superseded and this one takes its place, so at most one setpoint waits behind the one on
      // the wire, and a hung dongle sees the latest setpoint once it answers again, not a backlog.
      const prev = this.waitingSetpoint;
      this.waitingSetpoint = { watts, resolve, reject };
      if (prev) {
        prev.resolve(this.supersededResult(prev.watts));
        return; // the op queued for `prev` serves this one
      }
      this.op(async () => {
        const w = this.waitingSetpoint;
        this.waitingSetpoint = undefined;
        if (!w) return;
        // Released or handed to another strategy while waiting: nothing to send.
        if (this.requested === null || this.closed) return w.resolve(this.supersededResult(w.watts));
        try {
          const r = await this.sendSetpoint('command');
          this.overrideReported = false;
          w.resolve(r);
        } catch (e) {
          // Tried again by the keep-alive (with a fresh read), not by replaying now.
          this.armKeepAlive();
          if (e instanceof SessyControlError && e.code === 'override') {
            // Reported, not fought: the setpoint is kept and sent when the override ends.
            if (!this.overrideReported) this.emit('override', e.message);
            this.overrideReported = true;
            w.resolve({ requested: w.watts, sent: null, clamped: false, limits: this.limits(), blocked: 'override', strategySwitched: false });
          } else w.reject(e as Error);
        }
      }).catch(() => undefined);
    });
  }

  private supersededResult(watts: number): SetpointResult {
    return { requested: watts, sent: null, clamped: false, limits: this.limits(), strategySwitched: false, superseded: true };
  }

  /** BatteryControl: the setpoint as a CommandOutcome (see setSetpoint). */
  async setPower(watts: number): Promise<CommandOutcome> {
    return setpointOutcome(await this.setSetpoint(watts));
  }

  /**
   * Sets a strategy. API keeps the wanted setpoint (if any); any other strategy hands control to the
   * dongle: the wanted setpoint is dropped and nothing is restored later.
   */
  setStrategy(name: string): Promise<{ strategy: SessyStrategy; switched: boolean }> {
    const target = parseStrategy(name);
    if (!target) return Promise.reject(new TypeError(`unknown strategy ${JSON.stringify(name)}`));
    if (this.closed) return Promise.reject(new SessyControlError('battery driver is closed', 'closed'));
    if (target !== API) {
      this.requested = null;
      this.sent = null;
      this.mismatch = false;
      this.keepAliveTimer?.cancel();
      this.commandTimer?.cancel();
    }
    return this.op(async () => {
      if (target === API) {
        const before = await this.client.getStrategy();
        const switched = await this.switchStrategy(API);
        if (switched && this.previousStrategy === null) this.previousStrategy = before;
        return { strategy: target, switched };
      }
      this.previousStrategy = null;
      return { strategy: target, switched: await this.switchStrategy(target) };
    });
  }

  /** Read-modify-write of the settings object; verifies the changed keys by reading back. */
  changeSettings(change: Record<string, unknown>): Promise<Record<string, unknown>> {
    if (this.closed) return Promise.reject(new SessyControlError('battery driver is closed', 'closed'));
    return this.op(async () => {
      const current = await this.client.getSettings();
      const merged = mergeSettings(current, change);
      if (!merged.ok) throw new TypeError(merged.error);
      await this.client.setSettings(merged.value);
      const after = await this.client.getSettings();
      this.settings = after;
      const lost = Object.keys(change).filter((k) => JSON.stringify(after[k]) !== JSON.stringify(merged.value[k]));
      if (lost.length) throw new SessyControlError(`settings not applied by the dongle: ${lost.map((k) => `${k} is ${JSON.stringify(after[k])}, wanted ${JSON.stringify(merged.value[k])}`).join('; ')}`, 'write');
      return after;
    });
  }

  /**
   * Hands the unit back: the strategy found before we switched to API (when `restoreStrategy`),
   * otherwise setpoint 0. Nothing happens when we are not in control.
   */
  release(): Promise<void> {
    const wasControlling = this.requested !== null || this.previousStrategy !== null;
    this.requested = null;
    this.mismatch = false;
    this.keepAliveTimer?.cancel();
    this.commandTimer?.cancel();
    if (!wasControlling) return Promise.resolve();
    return this.op(async () => {
      const prev = this.previousStrategy ? parseStrategy(this.previousStrategy) : null;
      this.previousStrategy = null;
      if (this.o.restoreStrategy && prev && prev !== API) {
        this.counters.strategyWrites++;
        await this.client.setStrategy(prev);
        const now = await this.client.getStrategy();
        this.strategy = now;
        if (now !== prev) throw new SessyControlError(`strategy ${prev} not confirmed on release: the dongle reports ${now}`, 'strategy');
        this.sent = null;
        return;
      }
      // Nothing to restore: leave API mode at 0 W rather than at the last setpoint.
      const current = await this.client.getStrategy();
      this.strategy = current;
      if (current === API) {
        await this.client.setSetpoint(0);
        this.sent = { value: 0, at: this.clock.now(), ok: true };
      }
    });
  }

  /** BatteryControl: stops polling and hands the unit back (see stop). */
  close(): Promise<void> {
    return this.stop();
  }

  /** Stops polling and timers; hands the unit back (release) within `capMs`. */
  async stop(capMs = 4000): Promise<void> {
    this.running = false;
    this.pollTimer?.cancel();
    this.commandTimer?.cancel();
    this.keepAliveTimer?.cancel();
    if (this.closed) return;
    const releasing = this.release();
    this.closed = true;
    let timer: Timer | undefined;
    const cap = new Promise<void>((r) => (timer = this.clock.setTimeout(r, capMs)));
    try {
      await Promise.race([releasing.catch((e) => this.emit('problem', e as Error, 'release')), cap]);
    } finally {
      timer?.cancel();
    }
  }

  /** Status text of the strategy for humans. */
  strategyLabel(): string | null {
    const s = parseStrategy(this.strategy ?? '');
    return s ? STRATEGY_LABELS[s] : this.strategy;
  }
}

/** Factory (DESIGN.md §3): a SessyBattery on its own HTTP client. */
export function createSessyBattery(params: SessyClientOptions & SessyBatteryOptions): SessyBattery {
  return new SessyBattery(new SessyClient(params), { ...params, serial: params.serial ?? params.user });
}
