/**
 * SofarInverter: the controller-side driver of one Sofar ME3000SP on a (shared) Modbus link.
 * Implements BatteryControl (lib/api/capabilities.ts): read(), setPower(), release(), limits(),
 * start(), close(), `descriptor`, `serial`; events 'reading' and 'poll-error'.
 *
 * - read() (= poll()): reads the real-time block (FC 0x03 0x0200…), device info and battery
 *   settings (FC 0x04, once and then every 10 min) and returns a normalized BatteryReading.
 * - setPower(W) (= setpoint(W) with the older result shape): + discharge → discharge command,
 *   − charge → charge command, 0 → standby or auto (a setting); clamped to limits() (the power
 *   limit setting, lowered by the battery's max charge/discharge current × voltage where readable,
 *   and to 0 towards a full or empty battery) before anything goes on the wire.
 * - passive-mode path (default): vendor FC 0x42, the reply's status word checked (result code ≠ 0
 *   rejects the promise with the reason); heartbeat FC 0x49 every `heartbeatMs` (1–60 s window,
 *   §3.7) while a command of ours is in force; the command re-sent every `resendMs` and after each
 *   reconnect (§3.8 "recommended loop").
 * - work-mode path (newer firmware, §3.9, COMMUNITY): the `workMode` point = passive written once
 *   when it is not already, then `passiveStandby` / `passiveDischargeW` / `passiveChargeW` with
 *   FC 0x10; auto writes `workMode` = auto. Persistent settings: re-sent only after a reconnect,
 *   never periodically (flash wear).
 * - close(): stops the timers and leaves the inverter in auto or standby (setting) when we had
 *   commanded it.
 *
 * All timers run on an injected Clock. Every failure rejects only its own call and is emitted as
 * 'problem' (a failed poll also as 'poll-error'); errors carry `short` and `code` for status texts.
 * The link reconnects by itself; a failed command is retried after at most RETRY_MS, and missing
 * device info is read again at most RETRY_MS after a good poll, so recovery follows within seconds
 * of the device coming back. Grid register advice passes GridRegisterCheck (persistent findings
 * only, never right after a command or a power step).
 *
 * Events: 'reading' (BatteryReading), 'poll-error' (SofarError), 'command' (CommandResult),
 * 'heartbeat' ({ ok, at, error? }), 'problem' (SofarError with .phase 'poll' | 'command' |
 * 'heartbeat' | 'info'), 'warning' (string, once per kind of finding).
 */
import { EventEmitter } from 'node:events';
import type { BatteryControl, CommandOutcome } from '../../api/capabilities';
import { clampToRange, encodeRegisterPoint } from '../../api/device';
import type { BatteryLimits, BatteryReading } from '../../api/types';
import type { ModbusLink } from '../../transport/modbus/types';
import { ModbusError } from '../../transport/modbus/errors';
import { systemClock, type Clock, type Timer } from '../../util/clock';
import { SingleFlight } from '../../util/single-flight';
import {
  BATTERY_SETTINGS_BLOCK,
  DEFAULT_SETTINGS,
  DEVICE_INFO_BLOCK,
  FC_HEARTBEAT,
  FC_PASSIVE,
  HEARTBEAT_MAX_MS,
  HEARTBEAT_MIN_MS,
  PASSIVE_STANDBY_VALUE,
  REALTIME_BLOCK,
  REALTIME_BLOCK_SHORT,
  SOFAR_DEFAULTS,
  SOFAR_MAX_POWER_LIMIT_W,
  WORK_MODE,
  point,
  sofarDescriptor,
  type SofarSettings,
} from './descriptor';
import { releaseMode } from './commands';
import { decodeBatterySettings, decodeDeviceInfo, decodeRealtime, plausibleVoltageRange, toBatteryReading, type SofarBatterySettings, type SofarDeviceInfo, type SofarRealtime } from './normalize';
import { GridRegisterCheck } from './plausibility';
import {
  commandSetpoint,
  describeCommand,
  heartbeatReplyLength,
  heartbeatRequestData,
  parseHeartbeatReply,
  parsePassiveReply,
  passiveReplyLength,
  passiveRequestData,
  type PassiveCommand,
  type PassiveStatus,
} from './passive';

/** Longest wait before a failed command or missing device info is tried again, ms (issue 11: recovery within ~5 s). */
export const RETRY_MS = 5000;

export interface SofarInverterOptions {
  link: ModbusLink;
  /** Slave address, default 1. */
  unit?: number;
  clock?: Clock;
  settings?: Partial<SofarSettings>;
  /** Poll period, ms; 0 = no automatic polling (call read() yourself). Default 0. */
  pollMs?: number;
  /** Per-request timeout, ms (default: the link's). */
  timeoutMs?: number;
  /** Re-read the battery settings this often, ms (default 10 min). */
  settingsEveryMs?: number;
}

export interface CommandResult {
  command: PassiveCommand;
  /** "charge 1500 W" */
  text: string;
  /** The setpoint asked for, W (+ discharge), when the command came from setpoint(). */
  requestedW?: number;
  /** true when the request was clamped to the power limit. */
  clamped: boolean;
  /** The 0x42 reply's status (passive path only). */
  status?: PassiveStatus;
  path: SofarSettings['controlPath'];
  /** When the reply arrived, ms. */
  at: number;
}

export type SofarPhase = 'poll' | 'command' | 'heartbeat' | 'info';

/** Status texts of the 0x42 result codes (§3.6). */
const RESULT_SHORT: Record<number, string> = { 1: 'wrong work mode', 2: 'CRC failed', 3: 'inverter busy', 4: 'invalid data' };

export class SofarError extends Error {
  /** Status text (≤ 32 characters). */
  readonly short: string;
  /** Machine-readable cause: the Modbus error code, 'rejected', 'malformed', 'closed'. */
  readonly code: string;
  constructor(
    message: string,
    readonly phase: SofarPhase,
    readonly status?: PassiveStatus,
    override readonly cause?: unknown,
    short?: string,
    code?: string,
  ) {
    super(message);
    this.name = 'SofarError';
    const c = cause as { short?: unknown; code?: unknown; exceptionCode?: unknown } | undefined;
    const causeCode = typeof c?.code === 'string' ? c.code : undefined;
    this.code = code ?? (status && !status.accepted ? 'rejected' : (causeCode ?? 'failed'));
    this.short =
      short ??
      (status && !status.accepted
        ? (RESULT_SHORT[status.result] ?? `result ${status.result}`)
        : typeof c?.short === 'string'
          ? c.short
          : causeCode === 'timeout'
            ? 'no reply'
            : causeCode === 'exception'
              ? `exception ${String(c?.exceptionCode ?? '')}`.trim()
              : (causeCode ?? `${phase} failed`));
  }
}

/** Pure mapping of a battery setpoint (W, + discharge) to a passive command, clamped to the limits. */
export function commandForSetpoint(
  watts: number,
  limits: { maxChargeW: number; maxDischargeW: number },
  zeroMeans: SofarSettings['zeroMeans'] = 'standby',
): { command: PassiveCommand; clamped: boolean } {
  if (typeof watts !== 'number' || !Number.isFinite(watts)) throw new RangeError(`setpoint ${String(watts)} is not a finite number`);
  const w = Math.round(watts);
  if (w === 0) return { command: zeroMeans === 'auto' ? { mode: 'auto' } : { mode: 'standby' }, clamped: false };
  const cap = (lim: number) => Math.max(0, Math.min(SOFAR_MAX_POWER_LIMIT_W, Math.floor(lim)));
  if (w > 0) {
    const max = cap(limits.maxDischargeW);
    return { command: { mode: 'discharge', watts: Math.min(w, max) }, clamped: w > max };
  }
  const max = cap(limits.maxChargeW);
  return { command: { mode: 'charge', watts: Math.min(-w, max) }, clamped: -w > max };
}

/** A failure as one sentence. */
export function describeError(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}

export class SofarInverter extends EventEmitter implements BatteryControl {
  readonly descriptor = sofarDescriptor;
  readonly link: ModbusLink;
  readonly unit: number;
  readonly clock: Clock;
  readonly settings: SofarSettings;
  private readonly pollMs: number;
  private readonly timeoutMs?: number;
  private readonly settingsEveryMs: number;
  private blockCount: number = REALTIME_BLOCK.count;

  info: SofarDeviceInfo | null = null;
  battery: SofarBatterySettings | null = null;
  private batteryAt = -Infinity;
  private infoTriedAt = -Infinity;
  /** Last decoded real-time record and reading. */
  last: { rt: SofarRealtime; reading: BatteryReading; at: number; words: number[] } | null = null;

  /** What we want the inverter to do (re-sent until accepted, and periodically). */
  private desired: PassiveCommand | null = null;
  private desiredMeta: { requestedW?: number; clamped: boolean } = { clamped: false };
  /** The last command the inverter accepted. */
  private confirmed: PassiveCommand | null = null;
  lastStatus: PassiveStatus | null = null;
  /** Work mode 0x1200 as last read or written (work-mode path). */
  workMode: number | null = null;
  /** Counters for status and tests. */
  readonly counters = { polls: 0, pollErrors: 0, commands: 0, commandErrors: 0, heartbeats: 0, heartbeatErrors: 0, resends: 0 };
  lastHeartbeatAt: number | null = null;
  readonly gridCheck = new GridRegisterCheck();

  private pollTimer?: Timer;
  private heartbeatTimer?: Timer;
  private resendTimer?: Timer;
  private readonly polls = new SingleFlight<BatteryReading>();
  /** Commands sent and not yet answered. */
  private inFlight = 0;
  private started = false;
  private closed = false;
  private readonly warned = new Set<string>();
  private readonly onConnected = () => this.afterReconnect();

  constructor(o: SofarInverterOptions) {
    super();
    if (!o || !o.link) throw new TypeError('the Sofar driver needs a Modbus link');
    this.link = o.link;
    this.unit = o.unit ?? SOFAR_DEFAULTS.unit;
    if (!Number.isInteger(this.unit) || this.unit < 1 || this.unit > 247) throw new RangeError(`unit id ${this.unit} is not 1–247`);
    this.clock = o.clock ?? systemClock;
    const s: SofarSettings = { ...DEFAULT_SETTINGS };
    for (const [k, v] of Object.entries(o.settings ?? {})) if (v !== undefined) (s as unknown as Record<string, unknown>)[k] = v;
    s.maxPowerW = Math.max(0, Math.min(SOFAR_MAX_POWER_LIMIT_W, Number(s.maxPowerW)));
    s.heartbeatMs = Math.max(HEARTBEAT_MIN_MS, Math.min(HEARTBEAT_MAX_MS, Number(s.heartbeatMs)));
    s.resendMs = Math.max(0, Number(s.resendMs) || 0);
    this.settings = s;
    this.pollMs = o.pollMs ?? 0;
    this.timeoutMs = o.timeoutMs;
    this.settingsEveryMs = o.settingsEveryMs ?? 600_000;
    this.on('error', () => undefined); // never an unhandled 'error' event: problems go out as 'problem'
    // Re-send the active command after every reconnect (§3.8), timers or not.
    this.link.on('connected', this.onConnected);
  }

  /** The inverter's serial number once read (registers 0x2001–0x2007). */
  get serial(): string | null {
    return this.info?.serial ?? null;
  }

  /** Starts polling (when pollMs > 0) and the heartbeat timer. */
  start(): void {
    if (this.started || this.closed) return;
    this.started = true;
    if (this.settings.controlPath === 'passive') {
      this.heartbeatTimer = this.clock.setInterval(() => {
        if (this.desired) this.heartbeat().catch(() => undefined);
      }, this.settings.heartbeatMs);
    }
    if (this.pollMs > 0) {
      this.pollTimer = this.clock.setInterval(() => this.pollQuietly(), this.pollMs);
      this.pollQuietly();
    }
  }

  /** The command in force as last accepted by the inverter. */
  get active(): PassiveCommand | null {
    return this.confirmed;
  }

  /** The command we are trying to keep in force. */
  get wanted(): PassiveCommand | null {
    return this.desired;
  }

  /** Power limits from the settings and the battery, W: the setting, lowered by the battery's current limits × voltage when readable. */
  powerLimits(): BatteryLimits {
    const cap = this.settings.maxPowerW;
    const b = this.battery;
    // The measured pack voltage when plausible (a wrong scale setting must not shrink the limit tenfold).
    const [lo, hi] = plausibleVoltageRange(this.settings.nominalVoltage);
    const measured = this.last?.rt.batteryVoltage;
    const v = measured && measured >= lo && measured <= hi ? measured : this.settings.nominalVoltage;
    const fromCurrent = (a: number | undefined) => (a && a > 0 ? Math.round(a * v) : Infinity);
    return {
      maxChargeW: Math.min(cap, fromCurrent(b?.maxChargeCurrent as number | undefined)),
      maxDischargeW: Math.min(cap, fromCurrent(b?.maxDischargeCurrent as number | undefined)),
    };
  }

  /** The limits that apply now: powerLimits(), and 0 towards a full or empty battery or while faulted (the last reading's state). */
  limits(): BatteryLimits {
    const lim = this.powerLimits();
    const state = this.last?.reading.state;
    return {
      maxChargeW: state === 'full' || state === 'error' ? 0 : lim.maxChargeW,
      maxDischargeW: state === 'empty' || state === 'error' ? 0 : lim.maxDischargeW,
    };
  }

  private opts(): { timeoutMs?: number } | undefined {
    return this.timeoutMs ? { timeoutMs: this.timeoutMs } : undefined;
  }

  private problem(phase: SofarPhase, e: unknown, status?: PassiveStatus): SofarError {
    const err = e instanceof SofarError ? e : new SofarError(`${phase === 'poll' ? 'read' : phase} failed: ${describeError(e)}`, phase, status, e);
    this.emit('problem', err);
    if (phase === 'poll') this.emit('poll-error', err);
    return err;
  }

  /** Emits a warning once per key. */
  private warn(key: string, text: string): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.emit('warning', text);
  }

  private pollQuietly(): void {
    if (!this.closed) this.polls.poke(() => this.doPoll());
  }

  /** BatteryControl.read(): one poll. */
  read(): Promise<BatteryReading> {
    return this.poll();
  }

  /** One read cycle (a caller while one is in flight shares it). Rejects (and emits 'problem' and 'poll-error') when the real-time block cannot be read. */
  poll(): Promise<BatteryReading> {
    return this.polls.run(() => this.doPoll());
  }

  private async readRealtime(): Promise<number[]> {
    try {
      return await this.link.readHoldingRegisters(this.unit, REALTIME_BLOCK.address, this.blockCount, this.opts());
    } catch (e) {
      // A device that refuses the full block: fall back to the 69 registers known to work (§3.2).
      if (e instanceof ModbusError && e.code === 'exception' && this.blockCount !== REALTIME_BLOCK_SHORT) {
        this.blockCount = REALTIME_BLOCK_SHORT;
        return await this.link.readHoldingRegisters(this.unit, REALTIME_BLOCK.address, this.blockCount, this.opts());
      }
      throw e;
    }
  }

  private async readInfo(now: number): Promise<void> {
    // Identity and battery settings only while the device answers (a dead unit costs one timeout per poll).
    if (!this.info && now - this.infoTriedAt >= RETRY_MS) {
      this.infoTriedAt = now;
      try {
        this.info = decodeDeviceInfo(await this.link.readInputRegisters(this.unit, DEVICE_INFO_BLOCK.address, DEVICE_INFO_BLOCK.count, this.opts()));
      } catch (e) {
        this.problem('info', e);
      }
    }
    if (now - this.batteryAt >= this.settingsEveryMs || (!this.battery && now - this.batteryAt >= RETRY_MS)) {
      this.batteryAt = now;
      try {
        this.battery = decodeBatterySettings(await this.link.readInputRegisters(this.unit, BATTERY_SETTINGS_BLOCK.address, BATTERY_SETTINGS_BLOCK.count, this.opts()));
      } catch (e) {
        this.problem('info', e);
      }
    }
    if (this.settings.controlPath === 'work-mode') {
      const wm = point('workMode').source as { address: number };
      try {
        this.workMode = (await this.link.readHoldingRegisters(this.unit, wm.address, 1, this.opts()))[0];
      } catch (e) {
        this.problem('info', e);
      }
    }
  }

  private async doPoll(): Promise<BatteryReading> {
    this.counters.polls++;
    let words: number[];
    try {
      words = await this.readRealtime();
    } catch (e) {
      this.counters.pollErrors++;
      throw this.problem('poll', e);
    }
    const at = this.clock.now();
    const rt = decodeRealtime(words, this.settings);
    if (!rt) {
      this.counters.pollErrors++;
      throw this.problem('poll', new SofarError(`read failed: real-time block of ${words.length} registers is too short`, 'poll', undefined, undefined, 'short reply', 'malformed'));
    }
    await this.readInfo(at);
    const warnings = [...rt.warnings];
    const advice = this.gridCheck.observe(rt, at);
    if (advice) warnings.push(advice);
    for (const w of rt.warnings) this.warn(w, w);
    if (advice && rt.gridAdvice) this.warn(`grid:${rt.gridAdvice.type}`, advice);
    const reading = this.reading({ ...rt, warnings }, at);
    this.last = { rt, reading, at, words };
    this.emit('reading', reading);
    return reading;
  }

  private reading(rt: SofarRealtime, at: number): BatteryReading {
    const lim = this.powerLimits();
    return toBatteryReading({
      rt,
      timestamp: at,
      settings: this.settings,
      info: this.info,
      battery: this.battery,
      control: {
        active: this.confirmed,
        lastStatus: this.lastStatus,
        workMode: this.settings.controlPath === 'work-mode' ? this.workMode : undefined,
        maxChargeW: lim.maxChargeW,
        maxDischargeW: lim.maxDischargeW,
      },
    });
  }

  /** Battery setpoint, W: + discharge, − charge, 0 → standby or auto (setting). */
  async setpoint(watts: number): Promise<CommandResult> {
    const { command, clamped } = commandForSetpoint(watts, this.limits(), this.settings.zeroMeans);
    return this.command(command, { requestedW: watts, clamped });
  }

  /** BatteryControl.setPower(): the setpoint, and what went on the wire. */
  async setPower(watts: number): Promise<CommandOutcome> {
    const r = await this.setpoint(watts);
    const sent = (commandSetpoint(r.command) ?? 0) + 0; // no −0 for a charge of 0 W
    const out: CommandOutcome = { requested: watts, sent, clamped: r.clamped };
    if (r.command.mode === 'auto') out.reason = "0 W: handed to the inverter's auto mode";
    else if (r.clamped) {
      const lim = this.limits();
      const which = watts > 0 ? 'discharge' : 'charge';
      const max = watts > 0 ? lim.maxDischargeW : lim.maxChargeW;
      out.reason = max === 0 ? `${which} not possible now (${this.last?.reading.state ?? 'limit'})` : `${which} limit ${max} W`;
    }
    return out;
  }

  /** BatteryControl.release(): hands the battery back in the On stop mode (auto unless that is standby). */
  async release(): Promise<void> {
    await this.setMode(releaseMode(this.settings.onClose));
  }

  /** Standby (hold the battery) or auto (the inverter's own self-consumption). */
  async setMode(mode: 'standby' | 'auto'): Promise<CommandResult> {
    if (mode !== 'standby' && mode !== 'auto') throw new RangeError(`mode ${JSON.stringify(mode)} is not standby or auto`);
    return this.command({ mode });
  }

  /** Sends a command now and keeps it in force (heartbeat, re-send) until the next one. */
  async command(cmd: PassiveCommand, meta: { requestedW?: number; clamped?: boolean } = {}): Promise<CommandResult> {
    if (this.closed) throw new SofarError('the inverter driver is closed', 'command', undefined, undefined, 'closed', 'closed');
    this.desired = cmd;
    this.desiredMeta = { requestedW: meta.requestedW, clamped: !!meta.clamped };
    this.gridCheck.changed(this.clock.now());
    return this.send(cmd, this.desiredMeta);
  }

  private scheduleResend(afterFailure: boolean): void {
    this.resendTimer?.cancel();
    this.resendTimer = undefined;
    if (this.closed || !this.desired || this.settings.resendMs <= 0) return;
    // Work-mode registers are persistent: written again only after a failure, never periodically.
    if (this.settings.controlPath !== 'passive' && !afterFailure) return;
    const delay = afterFailure ? Math.min(this.settings.resendMs, RETRY_MS) : this.settings.resendMs;
    this.resendTimer = this.clock.setTimeout(() => {
      this.resendTimer = undefined;
      if (!this.desired || this.closed) return;
      this.counters.resends++;
      this.send(this.desired, this.desiredMeta).catch(() => undefined);
    }, delay);
  }

  private afterReconnect(): void {
    // A command waiting in the queue goes out on the new connection anyway.
    if (this.closed || !this.desired || this.inFlight > 0) return;
    if (this.settings.controlPath === 'work-mode') this.workMode = null;
    this.counters.resends++;
    this.send(this.desired, this.desiredMeta).catch(() => undefined);
  }

  private async send(cmd: PassiveCommand, meta: { requestedW?: number; clamped: boolean }): Promise<CommandResult> {
    this.counters.commands++;
    this.scheduleResend(false);
    this.inFlight++;
    try {
      const status = this.settings.controlPath === 'work-mode' ? await this.sendWorkMode(cmd) : await this.sendPassive(cmd);
      if (status && !status.accepted) {
        this.lastStatus = status;
        throw new SofarError(`inverter rejected ${describeCommand(cmd)}: ${status.resultText}`, 'command', status);
      }
      if (status) this.lastStatus = status;
      this.confirmed = cmd; // FIFO link: the last reply belongs to the last command sent
      const result: CommandResult = { command: cmd, text: describeCommand(cmd), requestedW: meta.requestedW, clamped: meta.clamped, status: status ?? undefined, path: this.settings.controlPath, at: this.clock.now() };
      this.emit('command', result);
      return result;
    } catch (e) {
      this.counters.commandErrors++;
      // Retried soon: recovery within RETRY_MS of the inverter answering again.
      if (cmd === this.desired) this.scheduleResend(true);
      const err = e instanceof SofarError ? e : new SofarError(`${describeCommand(cmd)} failed: ${describeError(e)}`, 'command', undefined, e);
      throw this.problem('command', err);
    } finally {
      this.inFlight--;
    }
  }

  private async sendPassive(cmd: PassiveCommand): Promise<PassiveStatus> {
    const reply = await this.link.custom(this.unit, FC_PASSIVE, passiveRequestData(cmd), { ...this.opts(), replyLength: passiveReplyLength });
    const st = parsePassiveReply(reply);
    if ('error' in st) throw new SofarError(`${describeCommand(cmd)}: malformed reply (${st.error})`, 'command', undefined, undefined, 'malformed reply', 'malformed');
    return st;
  }

  /** Writes one work-mode point (clamped to its range) with FC 0x10. */
  private async writePoint(name: string, value: number): Promise<void> {
    const p = point(name);
    const s = p.source as { address: number };
    await this.link.writeMultipleRegisters(this.unit, s.address, encodeRegisterPoint(p, clampToRange(p, value)), this.opts());
  }

  private async sendWorkMode(cmd: PassiveCommand): Promise<null> {
    if (cmd.mode === 'auto') {
      if (this.workMode !== WORK_MODE.auto) await this.writePoint('workMode', WORK_MODE.auto);
      this.workMode = WORK_MODE.auto;
      return null;
    }
    if (this.workMode === null) {
      try {
        this.workMode = (await this.link.readHoldingRegisters(this.unit, (point('workMode').source as { address: number }).address, 1, this.opts()))[0];
      } catch {
        this.workMode = null;
      }
    }
    if (this.workMode !== WORK_MODE.passive) {
      await this.writePoint('workMode', WORK_MODE.passive);
      this.workMode = WORK_MODE.passive;
    }
    if (cmd.mode === 'standby') await this.writePoint('passiveStandby', PASSIVE_STANDBY_VALUE);
    else await this.writePoint(cmd.mode === 'charge' ? 'passiveChargeW' : 'passiveDischargeW', cmd.watts);
    return null;
  }

  /** One heartbeat (FC 0x49). Resolves when the inverter answered. */
  async heartbeat(): Promise<void> {
    this.counters.heartbeats++;
    try {
      const reply = await this.link.custom(this.unit, FC_HEARTBEAT, heartbeatRequestData(), { ...this.opts(), replyLength: heartbeatReplyLength });
      const r = parseHeartbeatReply(reply);
      if ('error' in r) throw new SofarError(r.error, 'heartbeat', undefined, undefined, 'bad heartbeat reply', 'malformed');
      this.lastHeartbeatAt = this.clock.now();
      this.emit('heartbeat', { ok: true, at: this.lastHeartbeatAt });
    } catch (e) {
      this.counters.heartbeatErrors++;
      const err = new SofarError(`heartbeat failed: ${describeError(e)}`, 'heartbeat', undefined, e);
      this.emit('heartbeat', { ok: false, at: this.clock.now(), error: err.message });
      throw this.problem('heartbeat', err);
    }
  }

  /**
   * Stops every timer; when we had commanded the inverter, leaves it in the close action's mode
   * (auto or standby; 'none' leaves it as it is). Never throws; resolves within `timeoutMs`.
   */
  async close(timeoutMs = 2000): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.pollTimer?.cancel();
    this.heartbeatTimer?.cancel();
    this.resendTimer?.cancel();
    this.link.off('connected', this.onConnected);
    const action = this.settings.onClose;
    if (this.desired && action !== 'none') {
      const cmd: PassiveCommand = { mode: action };
      const sending = (this.settings.controlPath === 'work-mode' ? this.sendWorkMode(cmd) : this.sendPassive(cmd)).then(
        (st) => {
          if (st && !st.accepted) this.emit('problem', new SofarError(`close: inverter rejected ${action}: ${st.resultText}`, 'command', st));
        },
        (e) => this.emit('problem', new SofarError(`close: ${action} failed: ${describeError(e)}`, 'command', undefined, e)),
      );
      let timer: Timer | undefined;
      await Promise.race([sending, new Promise<void>((r) => (timer = this.clock.setTimeout(r, timeoutMs)))]);
      timer?.cancel();
    }
    this.desired = null;
  }
}
