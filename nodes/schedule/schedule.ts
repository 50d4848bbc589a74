/**
 * schedule: a weekly time-mode table (weekday × hour or quarter). Output 1 a `mode` message (or the
 * bare value) on deploy and at every boundary, with `until` = the next boundary; output 2 the week
 * as JSON. Overrides arrive as messages. The table logic lives in lib/control/schedule.
 */
import { configReader } from '../../lib/api/config';
import { scheduleConfigSchema, scheduleSpec, type ScheduleNodeConfig } from '../../lib/control/schedule/config';
import { localLabel, sameEmission, scheduleInput, valueMessage, weekPayload } from '../../lib/control/schedule/messages';
import { current, type Emission, type Override, type ScheduleSpec } from '../../lib/control/schedule/schedule';
import { clip, errorText, safeInput } from '../_shared/device-node';
import { closeInOrder } from '../_shared/close';
import { translator } from '../_shared/i18n';
import type { Node, NodeAPI } from '../_shared/red';

/** Node-RED's node context (not in the shared typing). */
interface ContextNode {
  context(): { get(k: string): unknown; set(k: string, v: unknown): void };
}

const readConfig = configReader<ScheduleNodeConfig>(scheduleConfigSchema);
/** The timer re-checks at least this often (robust against a clock step). */
const RECHECK_MS = 60_000;
/**
 * A grid-target or grid-limit is sent again this often while it holds: its receivers let a
 * constraint go after two update periods of silence (DESIGN.md §4.1), so a schedule that is
 * removed or stopped does not leave its band behind.
 */
const REFRESH_MS = 30_000;
/**
 * The deploy emission waits this long: a message sent from the constructor is lost, because the
 * nodes it is wired to may not exist yet (Node-RED's inject node waits 0.1 s for its "once" too).
 */
const FIRST_EMIT_MS = 100;

module.exports = function (RED: NodeAPI) {
  const _ = translator(RED, 'schedule', __dirname);

  function ScheduleNode(this: Node, raw: Record<string, unknown>) {
    RED.nodes.createNode(this, raw);
    const node = this as Node & ContextNode;
    const read = readConfig(raw);
    let spec: ScheduleSpec | undefined;
    let problem = read.ok ? undefined : read.error;
    if (read.ok) {
      try {
        spec = scheduleSpec(read.config);
      } catch (e) {
        problem = errorText(e);
      }
    }
    const cfg = read.ok ? read.config : undefined;
    const topic = cfg?.topic || 'schedule';
    let override = node.context().get('override') as Override | undefined;
    let last: Emission | undefined;
    let sentAt = -Infinity;
    const source = `schedule:${node.id}`;
    const constraint = cfg?.output === 'grid-target' || cfg?.output === 'grid-limit';
    let timer: ReturnType<typeof setTimeout> | undefined;

    const emit = (force: boolean) => {
      if (!spec || !cfg) return;
      const now = Date.now();
      if (override && override.until <= now) {
        override = undefined;
        node.context().set('override', undefined);
      }
      const e = current(spec, now, override);
      if (force || !sameEmission(last, e)) {
        node.send([valueMessage(e, cfg.output, topic, source), { topic, payload: weekPayload(spec, now, override) }]);
        last = e;
        sentAt = now;
      } else if (constraint && now - sentAt >= REFRESH_MS) {
        node.send([valueMessage(e, cfg.output, topic, source), null]);
        sentAt = now;
      }
      const text = clip(`${String(e.value)} · ${_('schedule.status.until')} ${localLabel(spec, now, e.until)}`);
      node.status({ fill: e.source === 'override' ? 'yellow' : 'green', shape: 'dot', text });
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => emit(false), Math.max(50, Math.min(e.until - Date.now(), RECHECK_MS)));
    };

    if (problem || !spec) {
      node.status({ fill: 'red', shape: 'ring', text: _('schedule.status.config') });
      node.error(`${_('schedule.errors.config')}: ${problem}`);
    } else timer = setTimeout(() => emit(true), FIRST_EMIT_MS);

    safeInput(node, (msg) => {
      if (!spec || !cfg) throw new Error(`${_('schedule.errors.config')}: ${problem}`);
      const r = scheduleInput(msg, spec, cfg.valueType, Date.now(), cfg.output);
      if ('error' in r) throw new Error(r.error);
      if (r.what === 'override') override = r.override;
      if (r.what === 'clear') override = undefined;
      if (r.what !== 'refresh') node.context().set('override', override);
      emit(true);
    });

    closeInOrder(node, () => timer && clearTimeout(timer));
  }

  RED.nodes.registerType('schedule', ScheduleNode);
};
