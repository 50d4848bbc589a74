/**
 * What the zero-export node does around its controller, without Node-RED (house rule 1): input
 * messages → controller inputs, battery readings → their unit, commands → one output per unit, the
 * status / curtailment output and its throttling, identify probes, the node status, and the
 * close-time fail-safe action. Pure, time injected: every method takes `now`; the node file
 * (nodes/zero-export/zero-export.ts) owns the timers and calls tick() every TICK_MS.
 */
import { ZeroExportController } from './controller';
import type { ZeroExportSettings } from './config';
import { observation, parseInput } from './messages';
import { PROBE_EVERY_MS, PROBE_FIRST_MS, UnitRouter, unitsToProbe, type ZeroExportTag } from './router';
import type { ZeroExportCommand, ZeroExportInputs, ZeroExportResult, ZeroExportState } from './types';

/** Controller tick (types.ts recommends 250 ms): notices stale data without new input. */
export const TICK_MS = 250;
/** The status output repeats the state this often when nothing changed. */
const STATUS_EVERY_MS = 10_000;
/** A curtailment message goes out when the curtailment changes by at least this much (or to/from 0). */
const CURTAIL_STEP_W = 50;
/** Node status text changes are shown at most this often (colour changes at once). */
const STATUS_TEXT_MS = 1000;
/** An unmatched battery reading is logged at most this often per serial/topic. */
const UNMATCHED_LOG_MS = 60_000;
/** Longest status text (Node-RED draws it under the node). */
const STATUS_MAX = 32;

export interface OutMessage {
  topic: string;
  payload?: unknown;
  zeroExport?: ZeroExportTag;
}

export interface NodeStatusLike {
  fill: 'red' | 'green' | 'yellow' | 'grey';
  shape: 'dot' | 'ring';
  text: string;
}

/** What to do after a call: messages per output port, a warning to log, a node status to show. */
export interface RuntimeOutput {
  sends: Array<{ port: number; msg: OutMessage }>;
  warn?: string;
  status?: NodeStatusLike;
}

/** Words of the status texts (locale file keys under zero-export.status); English defaults. */
export type StatusWords = (key: 'disabled' | 'dryRun' | 'waiting' | 'noMeter' | 'noBattery' | 'failsafe' | 'meterStale' | 'grid' | 'set' | 'wouldSet' | 'expired' | AttentionWord) => string;
type AttentionWord = 'charge-limit' | 'discharge-limit' | 'not-following' | 'soc-window' | 'off-target' | ModeWord;
type ModeWord = 'mode-hold' | 'mode-charge' | 'mode-peak-shaving' | 'mode-balance' | 'ended';

const ENGLISH: Record<string, string> = {
  disabled: 'disabled',
  dryRun: 'dry run',
  waiting: 'waiting',
  noMeter: 'no meter',
  noBattery: 'no battery',
  failsafe: 'fail-safe',
  meterStale: 'meter stale',
  grid: 'grid',
  set: 'set',
  wouldSet: 'would set',
  expired: 'grid-target expired',
  'charge-limit': 'charge limit',
  'discharge-limit': 'discharge limit',
  'not-following': 'not following',
  'soc-window': 'SoC window',
  'off-target': 'off target',
  'mode-hold': 'hold',
  'mode-charge': 'charge',
  'mode-peak-shaving': 'peak',
  'mode-balance': 'balance',
  ended: 'ended',
};
export const englishWords: StatusWords = (k) => ENGLISH[k] ?? k;

function watts(w: number): string {
  const r = Math.round(w);
  const a = Math.abs(r);
  const sign = r > 0 ? '+' : r < 0 ? '−' : '';
  return a >= 10000 ? `${sign}${(a / 1000).toFixed(1)} kW` : `${sign}${a} W`;
}

const clip = (t: string) => (t.length <= STATUS_MAX ? t : t.slice(0, STATUS_MAX - 1) + '…');

/** Short watts for the status tag: "800", "−1.2k", "+2.5k". */
function shortW(v: number): string {
  const r = Math.round(v);
  const a = Math.abs(r);
  const sign = r > 0 ? '+' : r < 0 ? '−' : '';
  return a >= 1000 ? `${sign}${(a / 1000).toFixed(a % 1000 === 0 ? 0 : 1)}k` : `${sign}${a}`;
}

/**
 * What binds besides the configured target, briefly, for the status text: a battery mode other than
 * balance ("hold", "charge", "peak-shaving"), else a grid-target band ("0…+2.5k"), else a grid-limit
 * ("≤+2.5k"), else a mode that just ended ("hold ended"); '' when nothing does.
 */
export function bindingTag(state: ZeroExportState, t: StatusWords = englishWords): string {
  const m = state.batteryMode;
  if (m && m.mode !== 'balance' && m.mode !== 'peak-shaving') return t(`mode-${m.mode}` as 'mode-hold');
  const b = state.band;
  if (b.source === 'grid-target') return b.minW === b.maxW ? `→${shortW(b.minW)}` : `${shortW(b.minW)}…${shortW(b.maxW)}`;
  if (m && m.mode === 'peak-shaving') return t('mode-peak-shaving');
  const l = state.gridLimit;
  if (l && l.maxImportW !== null) return `≤${shortW(l.maxImportW)}`;
  if (m?.ended) return `${t(`mode-${m.ended}` as 'mode-hold')} ${t('ended')}`;
  return '';
}

/** The node status for a controller state (≤ 32 characters, real minus). */
export function statusOf(state: ZeroExportState, dryRun: boolean, t: StatusWords = englishWords): NodeStatusLike {
  const grid = state.gridW === null ? null : watts(state.gridW);
  if (state.mode === 'disabled') return { fill: 'grey', shape: 'ring', text: t('disabled') };
  if (dryRun) return { fill: 'grey', shape: 'dot', text: clip(`${t('dryRun')} · ${grid === null ? t('noMeter') : `${t('wouldSet')} ${watts(state.totalSetpointW)}`}`) };
  if (state.mode === 'waiting') return { fill: 'yellow', shape: 'ring', text: clip(`${t('waiting')}: ${grid === null ? t('noMeter') : t('noBattery')}`) };
  if (state.mode === 'failsafe') return { fill: 'yellow', shape: 'ring', text: clip(`${t('failsafe')}: ${t('meterStale')}`) };
  const a = state.attention;
  if (a) return { fill: 'yellow', shape: 'ring', text: clip(`${grid} · ${a.unit && a.code === 'not-following' ? `${a.unit} ` : ''}${t(a.code)}`) };
  if (state.band.expired) return { fill: 'yellow', shape: 'ring', text: clip(`${grid} · ${t('expired')}`) };
  const text = `${t('grid')} ${grid} · ${t('set')} ${watts(state.totalSetpointW)}`;
  const tag = bindingTag(state, t);
  if (!tag) return { fill: 'green', shape: 'dot', text: clip(text) };
  // The tag goes last; when it does not fit, it replaces the setpoint.
  const full = `${text} · ${tag}`;
  return { fill: 'green', shape: 'dot', text: clip(full.length <= STATUS_MAX ? full : `${t('grid')} ${grid} · ${tag}`) };
}

/**
 * Whether a 'flows:stopping' event of the Node-RED runtime stops the node `id` on flow `z`: a full
 * deploy, a deploy of its flow, or of the node itself (or a node it is wired to, for 'flows').
 */
export function stopsNode(e: { type?: string; diff?: Record<string, unknown> } | undefined, id: string, z: string | undefined): boolean {
  if (!e || !e.type || e.type === 'full') return true;
  const d = e.diff ?? {};
  if (d.globalConfigChanged) return true;
  const has = (k: string, v: string | undefined) => v !== undefined && Array.isArray(d[k]) && (d[k] as unknown[]).includes(v);
  if (has('flowChanged', z) || has('added', z) || has('removed', z)) return true;
  const lists = e.type === 'flows' ? ['changed', 'removed', 'linked', 'rewired'] : ['changed', 'removed'];
  return lists.some((k) => has(k, id));
}

export class ZeroExportRuntime {
  readonly controller: ZeroExportController;
  private readonly index: Map<string, number>;
  private readonly router: UnitRouter;
  private readonly statusPort: number;
  private lastState: ZeroExportState | undefined;
  private sentKey: string | undefined;
  private sentEvents = '';
  private statusSentAt = -Infinity;
  private curtailSent = 0;
  private shown: { key?: string; fill?: string; at: number } = { at: -Infinity };
  /** Units we sent a setpoint to and did not release since (they get the fail-safe action on close). */
  private readonly holding = new Set<string>();
  /** When a reading of each unit last arrived. */
  private readonly seen = new Map<string, number>();
  private readonly unmatchedLogged = new Map<string, number>();
  private nextProbeAt: number;
  private closed = false;

  constructor(
    private readonly settings: ZeroExportSettings,
    private readonly nodeId: string,
    now: number,
    private readonly words: StatusWords = englishWords,
  ) {
    this.controller = new ZeroExportController(settings.params);
    this.index = new Map(settings.units.map((u, i) => [u.label, i]));
    this.router = new UnitRouter(nodeId, settings.units);
    this.statusPort = settings.units.length;
    this.nextProbeAt = now + PROBE_FIRST_MS;
  }

  /** The first step (enabled or not, as configured). */
  start(now: number): RuntimeOutput {
    return this.step(this.settings.startEnabled ? {} : { enabled: false }, now);
  }

  /** The latest state (for tests and the debugger). */
  get state(): ZeroExportState | undefined {
    return this.lastState;
  }

  /** One input message: what it changes, or `{ error }` for done(err). */
  input(msg: { topic?: unknown; payload?: unknown; zeroExport?: unknown }, now: number): RuntimeOutput | { error: string } {
    const input = parseInput(msg, now);
    if ('error' in input) return { error: input.error };
    let inputs: ZeroExportInputs;
    switch (input.type) {
      case 'meter':
        inputs = { meter: input.meter };
        break;
      case 'battery': {
        const r = this.router.route(msg, input.reading);
        if ('unmatched' in r) {
          const key = `${input.reading.serial ?? ''}|${typeof msg.topic === 'string' ? msg.topic : ''}`;
          const prev = this.unmatchedLogged.get(key);
          if (prev !== undefined && now - prev < UNMATCHED_LOG_MS) return { sends: [] };
          this.unmatchedLogged.set(key, now);
          return { sends: [], warn: r.unmatched };
        }
        this.seen.set(r.unit, now);
        inputs = { units: { [r.unit]: observation(input.reading) } };
        break;
      }
      case 'enabled':
        inputs = { enabled: input.enabled };
        break;
      case 'target':
        inputs = { targetW: input.targetW };
        break;
      case 'exportCap':
        inputs = { exportCapW: input.exportCapW };
        break;
      case 'gridTarget':
        inputs = { gridTarget: input.gridTarget };
        break;
      case 'gridLimit':
        inputs = { gridLimit: input.gridLimit };
        break;
      case 'mode':
        inputs = { mode: input.mode };
        break;
      case 'charger':
        inputs = { charger: input.charger };
        break;
    }
    return this.step(inputs, now);
  }

  /** The regular tick: the controller notices stale data; unknown units are asked to identify themselves. */
  tick(now: number): RuntimeOutput {
    const out = this.step({}, now);
    if (!this.settings.dryRun && !this.closed && now >= this.nextProbeAt) {
      this.nextProbeAt = now + PROBE_EVERY_MS;
      for (const label of unitsToProbe(this.settings.units, this.router.learned, this.seen, now)) {
        out.sends.push({ port: this.index.get(label)!, msg: { topic: 'refresh', zeroExport: { node: this.nodeId, unit: label } } });
      }
    }
    return out;
  }

  /**
   * The fail-safe action to every unit we left with a setpoint (0 W, or battery-release), once:
   * the node calls it when the flows start to stop, before any battery node closes, and again on
   * close (then it sends nothing more). Stops everything else.
   */
  release(): RuntimeOutput {
    this.closed = true;
    const release = this.settings.params.failSafe === 'release';
    const commands: ZeroExportCommand[] = this.settings.dryRun ? [] : [...this.holding].map((unit) => ({ unit, power: 0, ...(release ? { release: true } : {}), reason: 'node closed' }));
    const sends = this.commandSends(commands);
    this.holding.clear();
    return { sends };
  }

  private commandSends(commands: ZeroExportCommand[]): RuntimeOutput['sends'] {
    const sends: RuntimeOutput['sends'] = [];
    for (const c of commands) {
      const port = this.index.get(c.unit);
      if (port === undefined) continue;
      if (c.release) this.holding.delete(c.unit);
      else this.holding.add(c.unit);
      const reason = `zero-export: ${c.reason}`;
      const payload = c.release ? { kind: 'battery-release', reason } : { kind: 'battery-setpoint', power: Math.round(c.power), reason };
      sends.push({ port, msg: { topic: c.unit, payload, zeroExport: { node: this.nodeId, unit: c.unit } } });
    }
    return sends;
  }

  private step(inputs: ZeroExportInputs, now: number): RuntimeOutput {
    if (this.closed) return { sends: [] };
    return this.handle(this.controller.step(inputs, now), now);
  }

  /** What the controller decided → command messages, status output, curtailment, node status. */
  private handle(r: ZeroExportResult, now: number): RuntimeOutput {
    const { commands, state, reasons } = r;
    this.lastState = state;
    const dryRun = this.settings.dryRun;
    const sends = dryRun ? [] : this.commandSends(commands);
    // A new kind of event (numbers masked), a new mode, attention or band: the status output says so at once.
    const events = !(reasons.length === 1 && reasons[0] === state.summary);
    if (events) this.sentEvents = reasons.join(' | ').replace(/[−+-]?\d[\d.,]*/g, '#');
    const a = state.attention;
    const bm = state.batteryMode;
    const key = [state.mode, a ? `${a.code}:${a.unit ?? ''}` : '', `${state.band.source}:${state.band.expired}`, `${bm.mode}:${bm.ended ?? ''}`, state.gridLimit ? 'limit' : '', this.sentEvents].join('\n');
    if (key !== this.sentKey || (dryRun && commands.length > 0) || now - this.statusSentAt >= STATUS_EVERY_MS) {
      this.sentKey = key;
      this.statusSentAt = now;
      const payload: Record<string, unknown> = { kind: 'zero-export-status', ...state, reasons, dryRun };
      if (dryRun) payload.commands = commands.map((c) => ({ ...c }));
      sends.push({ port: this.statusPort, msg: { topic: 'zero-export', payload } });
    }
    const c = Math.max(0, state.curtailmentW || 0);
    if ((c === 0) !== (this.curtailSent === 0) || Math.abs(c - this.curtailSent) >= CURTAIL_STEP_W) {
      this.curtailSent = c;
      sends.push({ port: this.statusPort, msg: { topic: 'curtailment', payload: { kind: 'curtailment', power: Math.round(c), exportCapW: state.exportCapW, gridW: state.gridW, timestamp: now } } });
    }
    const out: RuntimeOutput = { sends };
    const s = statusOf(state, dryRun, this.words);
    const sKey = `${s.fill}|${s.shape}|${s.text}`;
    if (sKey !== this.shown.key && (s.fill !== this.shown.fill || now - this.shown.at >= STATUS_TEXT_MS)) {
      this.shown = { key: sKey, fill: s.fill, at: now };
      out.status = s;
    }
    return out;
  }
}
