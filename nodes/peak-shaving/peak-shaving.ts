/**
 * peak-shaving: keeps the capacity tariff's 15-minute average import below a limit with the home
 * battery. Output 1 `grid-target` bands to zero-export, output 2 `grid-limit` to ev-charging (the
 * car throttles first), output 3 the state. The control law lives in lib/control/peak-shaving.
 */
import { configReader } from '../../lib/api/config';
import { peakConfigSchema, peakParams, type PeakNodeConfig } from '../../lib/control/peak-shaving/config';
import { PeakShavingController, hhmm, type PeakInputs, type PeakResult } from '../../lib/control/peak-shaving/controller';
import { BatteryBook } from '../../lib/control/battery-book';
import { CapacityAccount } from '../../lib/control/peak-shaving/account';
import { peakInputFromMessage } from '../../lib/control/peak-shaving/inputs';
import { clip, errorText, safeInput } from '../_shared/device-node';
import { closeInOrder } from '../_shared/close';
import { translator } from '../_shared/i18n';
import type { Node, NodeAPI, NodeMessage, NodeStatus } from '../_shared/red';

const readConfig = configReader<PeakNodeConfig>(peakConfigSchema);
const TICK_MS = 1000;
const STATE_EVERY_MS = 10_000;

type ContextNode = Node & { context(): { get(k: string, store?: string): unknown; set(k: string, v: unknown, store?: string): void } };

/**
 * "1.82/2.50 kW · limiting" — quarter average (or projection) against the limit, and the band; another mode in force
 * instead of the band ("· charge to 06:00", "· balance, no band"); stale data (DESIGN.md §2: yellow ring) says what it
 * falls back to; off is grey.
 */
export function peakStatus(r: PeakResult, timeZone = 'Europe/Brussels'): NodeStatus {
  const s = r.state;
  const avg = s.projectedW ?? s.quarterAverageW;
  const q = `${avg === null ? '?' : (avg / 1000).toFixed(2)}/${(s.limitW / 1000).toFixed(2)} kW`;
  if (s.mode === 'off') return { fill: 'grey', shape: 'ring', text: clip(`off${s.modeUntil !== null ? ` to ${hhmm(s.modeUntil, timeZone)}` : ''} · ${q}`) };
  if (s.band === 'fallback') return { fill: 'yellow', shape: 'ring', text: clip(`meter stale → ${(s.limitW / 1000).toFixed(2)} kW static`) };
  if (s.mode !== 'peak-shaving') {
    const text = clip(`${q} · ${s.mode}${s.modeUntil !== null ? ` to ${hhmm(s.modeUntil, timeZone)}` : s.mode === 'balance' ? ', no band' : ''}`);
    return { fill: s.allowedW !== null ? 'yellow' : 'green', shape: 'dot', text };
  }
  if (s.batteryStale) return { fill: 'yellow', shape: 'ring', text: clip(`battery stale ${s.batteryAgeS} s → ${s.band}`) };
  const text = clip(`${q} · ${s.band}`);
  if (s.allowedW !== null || s.band === 'recharge') return { fill: 'yellow', shape: 'dot', text };
  return { fill: 'green', shape: 'dot', text };
}

module.exports = function (RED: NodeAPI) {
  const _ = translator(RED, 'peak-shaving', __dirname);

  function PeakShavingNode(this: Node, raw: Record<string, unknown>) {
    RED.nodes.createNode(this, raw);
    const node = this as ContextNode;
    const read = readConfig(raw);
    let controller: PeakShavingController | undefined;
    let account: CapacityAccount | undefined;
    let problem = read.ok ? undefined : read.error;
    if (read.ok) {
      try {
        controller = new PeakShavingController({ ...peakParams(read.config), source: `peak-shaving:${node.id}` });
        account = new CapacityAccount(read.config.timeZone, read.config.rate ?? null);
      } catch (e) {
        problem = errorText(e);
      }
    }
    const topic = (read.ok && read.config.topic) || 'peak-shaving';
    const socs = new BatteryBook(controller?.p.batteryTimeoutMs);
    const timeZone = read.ok ? read.config.timeZone : undefined;
    // Node-RED keeps context over a restart only in a persistent store (settings.js contextStorage).
    const store = (read.ok && read.config.store) || undefined;
    const ctx = node.context();
    let capacityWarned = false;
    let lastStateAt = 0;
    let lastBand = '';
    let savedPeak = -1;
    const saved = ctx.get('monthPeak', store) as { monthKey: string; monthPeakW: number } | undefined;
    let restore: PeakInputs['restore'] = saved && typeof saved.monthKey === 'string' && typeof saved.monthPeakW === 'number' ? saved : undefined;

    // The learnt quarters (the SoC reserve and the level come from them) survive a restart too.
    controller?.restoreHistory(ctx.get('loadHistory', store));
    // The month peaks of the capacity tariff's 12-month mean, where the meter does not send them.
    account?.restore(ctx.get('capacityAccount', store));
    let savedQuarter = 0;

    const run = (inputs: PeakInputs) => {
      if (!controller) return;
      const now = Date.now();
      const r = controller.step(restore ? { ...inputs, restore } : inputs, now);
      restore = undefined;
      if (account) {
        const fromMeter = inputs.meter?.history ? account.fromMeter(inputs.meter.history) : false;
        if (account.current(r.state.monthKey, r.state.monthPeakW) || fromMeter) ctx.set('capacityAccount', account.snapshot(), store);
      }
      const out: Array<NodeMessage | null> = [null, null, null];
      if (r.gridTarget) out[0] = { topic, payload: { ...r.gridTarget } };
      if (r.gridLimit) out[1] = { topic, payload: { ...r.gridLimit } };
      if (r.state.band !== lastBand || now - lastStateAt >= STATE_EVERY_MS || r.reasons.length) {
        out[2] = { topic, payload: { kind: 'peak-shaving-state', ...r.state, account: account?.summary(now), reasons: r.reasons } };
        lastStateAt = now;
        lastBand = r.state.band;
      }
      if (out.some(Boolean)) node.send(out);
      node.status(peakStatus(r, timeZone));
      // Once: batteries that report no capacity and no Capacity setting leave the learnt reserve off.
      if (!capacityWarned && controller.p.adaptive && r.state.capacityWh === null && r.state.batteryAgeS !== null) {
        capacityWarned = true;
        node.warn(_('peak-shaving.warnings.capacity'));
      }
      if (r.state.quarterStart !== savedQuarter) {
        if (savedQuarter) ctx.set('loadHistory', controller.historySnapshot(), store);
        savedQuarter = r.state.quarterStart;
      }
      // Keep the month's peak across restarts.
      if (r.state.monthPeakW !== savedPeak) {
        savedPeak = r.state.monthPeakW;
        ctx.set('monthPeak', { monthKey: r.state.monthKey, monthPeakW: r.state.monthPeakW }, store);
      }
    };

    if (problem || !controller) {
      node.status({ fill: 'red', shape: 'ring', text: _('peak-shaving.status.config') });
      node.error(`${_('peak-shaving.errors.config')}: ${problem}`);
    }
    const ticker = setInterval(() => run({}), TICK_MS);

    safeInput(node, (msg) => {
      if (!controller) throw new Error(`${_('peak-shaving.errors.config')}: ${problem}`);
      const r = peakInputFromMessage(msg, Date.now(), socs);
      if ('error' in r) throw new Error(r.error);
      run(r.inputs);
    });

    closeInOrder(node, () => clearInterval(ticker));
  }

  RED.nodes.registerType('peak-shaving', PeakShavingNode);
};
