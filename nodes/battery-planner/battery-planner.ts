/**
 * battery-planner: plans battery charge and discharge per 15-minute slot from prices (a `tariff`
 * node), PV and load forecasts (messages, or the clear-sky PV model and the node's own load
 * history) and the battery's SoC. Output 1 a `grid-target` for `zero-export` at every slot
 * boundary (with `until`), output 2 the whole plan. The model and solver live in lib/control/planner.
 */
import { BatteryPlanner, gridTargetOf, type PlannerParams } from '../../lib/control/planner/planner';
import { buildSlots, CAPACITY_FLOOR_W, capacityRatePerKW, combinedSoc, mergeForecast, plannerInput, plannerParams, pvSiteOf, readPlannerConfig, type PriceSlot, type SocReading, type ValueSlot } from '../../lib/control/planner/inputs';
import { addLoad, historyLoadW, householdLoadW, restoreHistory } from '../../lib/control/planner/load-history';
import { clip, errorText, safeInput } from '../_shared/device-node';
import { closeInOrder } from '../_shared/close';
import { translator } from '../_shared/i18n';
import type { Node, NodeAPI } from '../_shared/red';

type Ctx = { get(k: string, store?: string): unknown; set(k: string, v: unknown, store?: string): void };
/** The load history goes to context at most this often (and on close). */
const SAVE_EVERY_MS = 60_000;
/** The grid-target is sent again this often: zero export drops a band its sender stops refreshing. */
const REFRESH_MS = 30_000;
const sign = (w: number) => (w < 0 ? `−${Math.abs(w)}` : String(w));

module.exports = function (RED: NodeAPI) {
  const _ = translator(RED, 'battery-planner', __dirname);

  function BatteryPlannerNode(this: Node, raw: Record<string, unknown>) {
    RED.nodes.createNode(this, raw);
    const node = this as Node & { context(): Ctx };
    const read = readPlannerConfig(raw, (RED as { settings?: { homeEnergy?: { latitude?: unknown; longitude?: unknown } } }).settings?.homeEnergy);
    let params: PlannerParams | undefined;
    let problem = read.ok ? undefined : read.error;
    const cfg = read.ok ? read.config : undefined;
    if (cfg) {
      try {
        params = plannerParams(cfg, `battery-planner:${node.id}`);
      } catch (e) {
        problem = errorText(e);
      }
    }
    const topic = cfg?.topic || 'battery-planner';
    const planner = params ? new BatteryPlanner(params) : undefined;
    let prices: PriceSlot[] = [];
    let pv: ValueSlot[] = [];
    let load: ValueSlot[] = [];
    let soc: number | undefined;
    /** The last SoC of each battery (by serial / source; topic "soc" is one more): planned as one battery. */
    const socs = new Map<string, SocReading>();
    const ctx = node.context();
    const store = cfg?.store || undefined;
    const history = restoreHistory(ctx.get('loadHistory', store));
    let savedAt = 0;
    const saveHistory = (force: boolean) => {
      if (!cfg || cfg.loadForecast !== 'history' || (!force && Date.now() - savedAt < SAVE_EVERY_MS)) return;
      savedAt = Date.now();
      ctx.set('loadHistory', history, store);
    };
    const batteries: Record<string, { w: number; at: number }> = {};
    let pvNow: { w: number; at: number } | undefined;
    const pvSite = cfg ? pvSiteOf(cfg) : undefined;
    let sentFor = 0;
    let sentAt = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;

    const replan = () => {
      if (!planner || !cfg) return;
      const now = Date.now();
      const slots = buildSlots(prices, pv, load, cfg.loadW, now, cfg.horizon, {
        pvSite,
        pvMessages: cfg.pvForecast === 'auto' || cfg.pvForecast === 'message',
        loadAt: cfg.loadForecast === 'history' ? (t) => historyLoadW(history, t, cfg.timeZone, cfg.loadWeeks) : undefined,
      });
      if (!slots.length) {
        node.status({ fill: 'yellow', shape: 'ring', text: _('battery-planner.status.noPrices') });
        return;
      }
      const r = planner.replan(slots, soc ?? NaN, now);
      const inputs = new Map(slots.map((x) => [x.start, x]));
      const planned = r.plan.slots.map((x) => ({ ...x, pvW: inputs.get(x.start)?.pvW ?? null, loadW: inputs.get(x.start)?.loadW ?? null }));
      node.send([null, { topic, payload: { kind: 'battery-plan', changed: r.changed, reason: r.reason, costEur: r.plan.costEur, noBatteryCostEur: r.plan.noBatteryCostEur, savingEur: r.plan.savingEur, warnings: r.plan.warnings, slots: planned } }]);
      sendTarget(true);
    };
    const sendTarget = (force: boolean) => {
      if (!planner || !cfg) return;
      const now = Date.now();
      const s = planner.slotAt(now);
      if (s && (force || s.start !== sentFor || now - sentAt >= REFRESH_MS)) {
        sentFor = s.start;
        sentAt = now;
        const g = gridTargetOf(s, params?.holdBandW, params?.source);
        if (!cfg.dryRun) node.send([{ topic, payload: g }, null]);
        const band = g.minW === g.maxW ? `${sign(g.minW)} W` : 'hold';
        node.status({ fill: cfg.dryRun ? 'grey' : 'green', shape: 'dot', text: clip(`${s.action} · ${band}`) });
      }
      if (timer) clearTimeout(timer);
      timer = setTimeout(tick, Math.max(50, Math.min((s?.end ?? now + REFRESH_MS) - now, REFRESH_MS)));
    };
    // every slot boundary: plan again (the horizon moves on), then send that slot's target
    const tick = () => {
      const s = planner?.slotAt(Date.now());
      if (!s || s.start !== sentFor) replan();
      else sendTarget(false);
    };

    if (!planner || !cfg) {
      node.status({ fill: 'red', shape: 'ring', text: _('battery-planner.status.config') });
      node.error(`${_('battery-planner.errors.config')}: ${problem}`);
    } else node.status({ fill: 'yellow', shape: 'ring', text: _('battery-planner.status.noPrices') });

    safeInput(node, (msg) => {
      if (!planner || !cfg) throw new Error(`${_('battery-planner.errors.config')}: ${problem}`);
      const r = plannerInput(msg, Date.now());
      if ('error' in r) throw new Error(r.error);
      if (r.what === 'grid') {
        addLoad(history, r.at, householdLoadW(r.w, r.at, batteries, pvNow), cfg.timeZone, cfg.loadWeeks);
        saveHistory(false);
        return;
      }
      if (r.what === 'pv-power') {
        pvNow = { w: r.w, at: r.at };
        return;
      }
      if (r.what === 'peak') {
        // peak shaving's rate when its account has one, else the configured one; each month peak counts at least the floor
        const rate = planner.setCapacityRate(capacityRatePerKW(r.rateEurPerKWYear ?? cfg.capacityRate));
        const peak = planner.setMonthPeak(Math.max(r.peakW, r.floorW ?? CAPACITY_FLOOR_W));
        if ((rate || peak) && prices.length) replan();
        return;
      }
      if (r.what === 'battery') batteries[r.source] = { w: r.w, at: r.at };
      if (r.what === 'soc' || r.what === 'battery') {
        const first = soc === undefined;
        if (r.soc !== null) socs.set(r.what === 'soc' ? 'topic soc' : r.source, { soc: r.soc, ...(r.what === 'battery' && r.capacityWh ? { capacityWh: r.capacityWh } : {}) });
        soc = combinedSoc([...socs.values()]);
        if (first && soc !== undefined && prices.length) replan();
        return;
      }
      if (r.what === 'prices') prices = r.slots;
      if (r.what === 'pv') pv = mergeForecast(pv, r.slots, Date.now());
      if (r.what === 'load') load = mergeForecast(load, r.slots, Date.now());
      replan();
    });

    closeInOrder(
      node,
      () => timer && clearTimeout(timer),
      () => saveHistory(true),
    );
  }

  RED.nodes.registerType('battery-planner', BatteryPlannerNode);
};
