/**
 * ha-entities: every normalized payload on the input (meter, battery, charger, and the state of
 * zero-export, ev-charging and peak-shaving) becomes a Home Assistant device through MQTT
 * device-based discovery, with its state rate-limited; commands from HA's number, select, switch
 * and button entities come out of the output as the matching messages. Entities are removed
 * (empty retained config) only when this node is deleted. The logic lives in lib/ha.
 */
import { configReader } from '../../lib/api/config';
import { HaDeviceBook } from '../../lib/ha/discovery';
import { parseCommand } from '../../lib/ha/commands';
import { haEntitiesConfigSchema, type HaEntitiesConfig } from '../../lib/ha/config';
import { KINDS, payloadProblem } from '../../lib/ha/entities';
import { packageOrigin } from '../../lib/ha/origin';
import type { HaBridge } from '../../lib/ha/mqtt';
import { clip, errorText, safeInput } from '../_shared/device-node';
import { translator } from '../_shared/i18n';
import type { Node, NodeAPI } from '../_shared/red';
import type { HaMqttNode } from '../ha-mqtt/ha-mqtt';

const readConfig = configReader<HaEntitiesConfig>(haEntitiesConfigSchema);
const TICK_MS = 1000;
const KIND_LIST = Object.keys(KINDS).join(', ');
/** Messages of this package with nothing to show in HA (commands, constraints): passed over without an error, so a whole output can be wired in. */
const PASSED_OVER = new Set(['battery-setpoint', 'battery-release', 'battery-strategy', 'battery-mode', 'charger-setpoint', 'grid-target', 'grid-limit', 'mode', 'curtailment']);

module.exports = function (RED: NodeAPI) {
  const _ = translator(RED, 'ha-entities', __dirname);

  function HaEntitiesNode(this: Node, raw: Record<string, unknown>) {
    RED.nodes.createNode(this, raw);
    const node = this;
    const read = readConfig(raw);
    const server = read.ok ? (RED.nodes.getNode(read.config.server) as HaMqttNode | null) : null;
    const problem = !read.ok ? read.error : !server ? _('ha-entities.errors.server') : server.problem;
    let lease: { bridge: HaBridge; release: () => Promise<void> } | null = null;
    let book: HaDeviceBook | null = null;
    let lastError: string | null = null;

    const status = () => {
      if (problem || !lease || !book) return node.status({ fill: 'red', shape: 'ring', text: _('ha-entities.status.config') });
      const n = book.size;
      if (!lease.bridge.connected) return node.status({ fill: 'yellow', shape: 'ring', text: clip(`${_('ha-entities.status.connecting')}${lastError ? ` · ${lastError}` : ''}`) });
      node.status({ fill: n ? 'green' : 'grey', shape: 'dot', text: clip(`${n} ${n === 1 ? _('ha-entities.status.device') : _('ha-entities.status.devices')}`) });
    };

    if (problem) node.error(`${_('ha-entities.errors.config')}: ${problem}`);
    else {
      try {
        lease = server!.acquire();
        book = new HaDeviceBook(server!.settings!, packageOrigin(), read.ok ? read.config.interval * 1000 : 5000);
      } catch (e) {
        node.error(errorText(e));
      }
    }
    const offlineMs = read.ok ? read.config.offlineAfter * 1000 : 0;
    const device = read.ok ? (read.config.device ?? null) : null;

    const onConnect = () => {
      lastError = null;
      if (book) lease!.bridge.publish(book.republish());
      status();
    };
    const onOffline = (why: string) => {
      lastError = why;
      status();
    };
    const onBirth = () => {
      if (book) lease!.bridge.publish(book.republish());
    };
    const onCommand = (topic: string, payload: Buffer) => {
      const target = book?.commandTarget(topic);
      if (!target) return; // another node's device, or one this node has not announced
      const r = parseCommand(target.device, target.entity, payload);
      if ('error' in r) node.warn(`${_('ha-entities.errors.command')}: ${r.error}`);
      else node.send({ topic: r.message.topic, payload: r.message.payload, device: r.message.device, entity: r.message.entity });
    };
    if (lease) {
      lease.bridge.on('connect', onConnect);
      lease.bridge.on('offline', onOffline);
      lease.bridge.on('birth', onBirth);
      lease.bridge.on('command', onCommand);
    }
    status();
    const ticker = setInterval(() => {
      if (book && lease) lease.bridge.publish(book.tick(Date.now(), offlineMs));
    }, TICK_MS);

    safeInput(node, (msg) => {
      if (!book || !lease) throw new Error(`${_('ha-entities.errors.config')}: ${problem ?? 'no broker'}`);
      const kind = (msg.payload as { kind?: unknown } | null)?.kind;
      if (typeof kind === 'string' && PASSED_OVER.has(kind)) return;
      const bad = payloadProblem(msg.payload);
      if (bad) throw new Error(bad);
      const r = book.update(msg, Date.now(), device);
      if (!r) throw new Error(`msg.payload: not a reading or controller state this node knows (payload.kind must be one of ${KIND_LIST})`);
      lease.bridge.publish(r.publish);
      status();
    });

    node.on('close', (removed, done) => {
      clearInterval(ticker);
      const l = lease;
      lease = null;
      if (!l) {
        node.status({});
        return done();
      }
      l.bridge.off('connect', onConnect);
      l.bridge.off('offline', onOffline);
      l.bridge.off('birth', onBirth);
      l.bridge.off('command', onCommand);
      // Deleted: remove this node's devices from HA. Redeploy or restart: leave them (retained).
      if (removed && book) l.bridge.publish(book.removal());
      void l.release().then(() => {
        node.status({});
        done();
      });
    });
  }

  RED.nodes.registerType('ha-entities', HaEntitiesNode);
};
