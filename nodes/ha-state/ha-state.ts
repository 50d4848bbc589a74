/**
 * ha-state: follows one Home Assistant entity over the websocket and sends each change as a
 * message our controllers take: a power sensor in W or kW as `topic: "grid"` W (+ import, sign
 * chosen in the editor), a state of charge in %, any number, the state text, or day-ahead prices /
 * a PV forecast from the attributes (for tariff / battery-planner). Status shows the
 * value and marks it stale when HA sent nothing for a while. Conversion lives in lib/ha/state.ts.
 */
import { configReader } from '../../lib/api/config';
import { haStateConfigSchema, type HaStateConfig } from '../../lib/ha/config';
import { stateToMessage, type StateMessage } from '../../lib/ha/state';
import type { HaClient } from '../../lib/ha/ws';
import { clip, errorText } from '../_shared/device-node';
import { formatAge, formatPower } from '../_shared/status';
import { translator } from '../_shared/i18n';
import type { Node, NodeAPI } from '../_shared/red';
import type { HaServerNode } from '../ha-server/ha-server';

const readConfig = configReader<HaStateConfig>(haStateConfigSchema);

/** Status text: the power, the number with its unit, or for a forecast its slot count and end. */
function statusText(m: StateMessage): string {
  const p = m.payload;
  if (typeof p === 'object') {
    const last = p.slots[p.slots.length - 1];
    const end = last ? ('end' in last && last.end !== undefined ? last.end : last.start) : undefined;
    return `${m.format ?? p.kind} · ${p.slots.length} slots${end !== undefined ? ` → ${new Date(end).toISOString().slice(5, 16).replace('T', ' ')} UTC` : ''}`;
  }
  if (typeof p === 'number' && m.unit === 'W') return formatPower(p);
  return `${String(p).replace(/^-/, '−')}${m.unit && m.unit !== 'W' ? ` ${m.unit}` : ''}`;
}

module.exports = function (RED: NodeAPI) {
  const _ = translator(RED, 'ha-state', __dirname);

  function HaStateNode(this: Node, raw: Record<string, unknown>) {
    RED.nodes.createNode(this, raw);
    const node = this;
    const read = readConfig(raw);
    const server = read.ok ? (RED.nodes.getNode(read.config.server) as HaServerNode | null) : null;
    const problem = !read.ok ? read.error : !server ? _('ha-state.errors.server') : server.problem;
    let lease: { client: HaClient; release: () => void } | null = null;
    let unsubscribe: (() => Promise<void>) | null = null;
    let last: { text: string; at: number } | null = null;
    let note: string | null = null;
    let closed = false;
    let subscribing = false;

    const status = () => {
      if (problem || !lease) return node.status({ fill: 'red', shape: 'ring', text: _('ha-state.status.config') });
      if (lease.client.lastError === 'auth') return node.status({ fill: 'red', shape: 'ring', text: _('ha-state.status.auth') });
      if (!lease.client.connected) return node.status({ fill: 'yellow', shape: 'ring', text: _('ha-state.status.connecting') });
      if (note) return node.status({ fill: 'yellow', shape: 'ring', text: clip(note) });
      if (!last) return node.status({ fill: 'grey', shape: 'ring', text: _('ha-state.status.waiting') });
      const age = Date.now() - last.at;
      const stale = read.ok && read.config.staleAfter > 0 && age > read.config.staleAfter * 1000;
      node.status(stale ? { fill: 'yellow', shape: 'ring', text: clip(`${_('ha-state.status.stale')} ${formatAge(age)} · ${last.text}`) } : { fill: 'green', shape: 'dot', text: clip(last.text) });
    };

    const subscribe = async () => {
      if (!lease || !read.ok || unsubscribe || subscribing || closed) return;
      subscribing = true;
      try {
        const u = await lease.client.watch([read.config.entity], (s) => {
          const r = stateToMessage(s, { as: read.config.as, topic: read.config.topic, sign: read.config.sign });
          if ('skip' in r) note = `${read.config.entity} ${r.skip}`;
          else if ('error' in r) {
            note = _('ha-state.status.invalid');
            node.warn(r.error);
          } else {
            note = null;
            const m = r.message;
            last = { text: statusText(m), at: Date.now() };
            node.send({ topic: m.topic, payload: m.payload, entity_id: m.entity_id, unit: m.unit, timestamp: m.timestamp, attributes: m.attributes, ...(m.format ? { format: m.format } : {}) });
          }
          status();
        });
        if (closed) void u().catch(() => undefined);
        else unsubscribe = u;
      } catch (e) {
        note = clip(errorText(e));
        status();
      } finally {
        subscribing = false;
      }
    };

    if (problem) node.error(`${_('ha-state.errors.config')}: ${problem}`);
    else {
      lease = server!.acquire();
      lease.client.on('ready', onReady);
      lease.client.on('disconnected', status);
      lease.client.on('auth-error', status);
      void subscribe();
    }
    function onReady() {
      status();
      void subscribe(); // only when the first attempt found no connection; the library resubscribes the rest
    }
    status();
    const ticker = setInterval(status, 1000);

    node.on('close', (_removed, done) => {
      closed = true;
      clearInterval(ticker);
      const l = lease;
      lease = null;
      if (l) {
        l.client.off('ready', onReady);
        l.client.off('disconnected', status);
        l.client.off('auth-error', status);
      }
      const u = unsubscribe;
      unsubscribe = null;
      void Promise.race([u ? u().catch(() => undefined) : Promise.resolve(), new Promise((r) => setTimeout(r, 2000))]).then(() => {
        l?.release();
        node.status({});
        done();
      });
    });
  }

  RED.nodes.registerType('ha-state', HaStateNode);
};
