/**
 * battery-planner: plans battery charge and discharge per 15-minute slot from prices (a `tariff`
 * node), PV and load forecasts and the battery's SoC. Output 1 a `grid-target` for `zero-export`
 * at every slot boundary (with `until`), output 2 the whole plan. The model and solver live in
 * lib/control/planner.
 */
import { configReader } from '../../lib/api/config';
import { BatteryPlanner, gridTargetOf, type PlannerParams } from '../../lib/control/planner/planner';
import { buildSlots, plannerConfigSchema, plannerInput, plannerParams, type PlannerNodeConfig, type PriceSlot, type ValueSlot } from '../../lib/control/planner/inputs';
import { clip, errorText, safeInput } from '../_shared/device-node';
import { closeInOrder } from '../_shared/close';
import { translator } from '../_shared/i18n';
import type { Node, NodeAPI } from '../_shared/red';

const readConfig = configReader<PlannerNodeConfig>(plannerConfigSchema);
/** The grid-target is sent again this often: zero export drops a band its sender stops refreshing. */
const REFRESH_MS = 30_000;
const sign = (w: number) => (w < 0 ? `−${Math.abs(w)}` : String(w));

module.exports = function (RED: NodeAPI) {
  const _ = translator(RED, 'battery-planner', __dirname);

  function BatteryPlannerNode(this: Node, raw: Record<string, unknown>) {
    RED.nodes.createNode(this, raw);
    const node = this;
    const read = readConfig(raw);
    let params: PlannerParams | undefined;
    let problem = read.ok ? undefined : read.error;
    const cfg = read.ok ? read.config : undefined;
    if (cfg) {
      try {
        params = plannerParams(cfg);
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
    let sentFor = 0;
    let sentAt = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;

    const replan = () => {
      if (!planner || !cfg) return;
      const now = Date.now();
      const slots = buildSlots(prices, pv, load, cfg.loadW, now, cfg.horizon);
      if (!slots.length) {
        node.status({ fill: 'yellow', shape: 'ring', text: _('battery-planner.status.noPrices') });
        return;
      }
      const r = planner.replan(slots, soc ?? NaN, now);
      node.send([null, { topic, payload: { kind: 'battery-plan', changed: r.changed, reason: r.reason, costEur: r.plan.costEur, noBatteryCostEur: r.plan.noBatteryCostEur, savingEur: r.plan.savingEur, warnings: r.plan.warnings, slots: r.plan.slots } }]);
      sendTarget(true);
    };
    const sendTarget = (force: boolean) => {
      if (!planner || !cfg) return;
      const now = Date.now();
      const s = planner.slotAt(now);
      if (s && (force || s.start !== sentFor || now - sentAt >= REFRESH_MS)) {
        sentFor = s.start;
        sentAt = now;
        const g = gridTargetOf(s, cfg.holdBandW);
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
      const r = plannerInput(msg);
      if ('error' in r) throw new Error(r.error);
      if (r.what === 'soc') {
        const first = soc === undefined;
        soc = r.soc;
        if (first && prices.length) replan();
        return;
      }
      if (r.what === 'prices') prices = r.slots;
      if (r.what === 'pv') pv = r.slots;
      if (r.what === 'load') load = r.slots;
      replan();
    });

    closeInOrder(node, () => timer && clearTimeout(timer));
  }

  RED.nodes.registerType('battery-planner', BatteryPlannerNode);
};
