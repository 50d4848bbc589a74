/**
 * ev-charging: PV-surplus EV charging (Lock, Power, Solar Pure, Solar Plus, Time) with automatic
 * phases and fuse protection. One input (meter, battery and charger readings, grid-limit and mode
 * messages, or topic + value), output 1 `charger-setpoint` to a charger node, output 2 the state.
 * The control law lives in lib/control/ev-charging; this file routes messages and owns the tick.
 */
import { configReader } from '../../lib/api/config';
import { evParams, type EvNodeConfig, evConfigSchema } from '../../lib/control/ev-charging/config';
import { EvChargingController } from '../../lib/control/ev-charging/controller';
import { BatteryBook, evInputFromMessage } from '../../lib/control/ev-charging/inputs';
import type { EvInputs, EvResult } from '../../lib/control/ev-charging/types';
import { clip, errorText, safeInput } from '../_shared/device-node';
import { closeInOrder } from '../_shared/close';
import { translator } from '../_shared/i18n';
import type { Node, NodeAPI, NodeMessage, NodeStatus } from '../_shared/red';

const readConfig = configReader<EvNodeConfig>(evConfigSchema);
/** Controller tick: timers (hold, wait, phase checks) and stale inputs are noticed without new input. */
const TICK_MS = 1000;
/** The state output goes out on every change of the decision, and at least this often. */
const STATE_EVERY_MS = 10_000;

/** Status: "solar-pure · 10 A 3p · surplus" (green), yellow while held back by a limit or waiting, red in fail safe. */
export function evStatus(r: EvResult): NodeStatus {
  const s = r.state;
  const sp = s.setpoint;
  const what = sp?.enabled ? `${sp.currentA} A ${sp.phases ?? s.phases}p` : 'paused';
  const text = clip(`${s.activeMode} · ${what} · ${s.binding}`);
  if (s.phase === 'failsafe') return { fill: 'red', shape: 'ring', text };
  if (s.phase === 'idle' || s.phase === 'disabled') return { fill: 'grey', shape: 'ring', text };
  if (['fuse', 'imbalance', 'grid-limit', 'wait', 'hold'].includes(s.binding)) return { fill: 'yellow', shape: 'dot', text };
  return { fill: 'green', shape: 'dot', text };
}

module.exports = function (RED: NodeAPI) {
  const _ = translator(RED, 'ev-charging', __dirname);

  function EvChargingNode(this: Node, raw: Record<string, unknown>) {
    RED.nodes.createNode(this, raw);
    const node = this;
    const read = readConfig(raw);
    let controller: EvChargingController | undefined;
    let problem = read.ok ? undefined : read.error;
    if (read.ok) {
      try {
        controller = new EvChargingController(evParams(read.config));
      } catch (e) {
        problem = errorText(e);
      }
    }
    const topic = (read.ok && read.config.topic) || 'ev-charging';
    const batteries = new BatteryBook();
    let lastKey = '';
    let lastStateAt = 0;

    const run = (inputs: EvInputs) => {
      if (!controller) return;
      const now = Date.now();
      const r = controller.step(inputs, now);
      const out: Array<NodeMessage | null> = [null, null];
      if (r.command) out[0] = { topic, payload: { kind: 'charger-setpoint', ...r.command, reason: r.reasons[0] ?? 'ev-charging' } };
      const key = `${r.state.phase}|${r.state.binding}|${r.state.activeMode}|${r.state.phaseUsage}|${JSON.stringify(r.state.setpoint)}`;
      if (key !== lastKey || now - lastStateAt >= STATE_EVERY_MS) {
        out[1] = { topic, payload: { kind: 'ev-charging-state', ...r.state, reasons: r.reasons } };
        lastKey = key;
        lastStateAt = now;
      }
      if (out[0] || out[1]) node.send(out);
      node.status(evStatus(r));
    };

    if (problem || !controller) {
      node.status({ fill: 'red', shape: 'ring', text: _('ev-charging.status.config') });
      node.error(`${_('ev-charging.errors.config')}: ${problem}`);
    }
    const ticker = setInterval(() => run({}), TICK_MS);

    safeInput(node, (msg) => {
      if (!controller) throw new Error(`${_('ev-charging.errors.config')}: ${problem}`);
      const r = evInputFromMessage(msg, Date.now(), batteries);
      if ('error' in r) throw new Error(r.error);
      if ('ignored' in r) return;
      run(r.inputs);
    });

    closeInOrder(node, () => clearInterval(ticker));
  }

  RED.nodes.registerType('ev-charging', EvChargingNode);
};
