/**
 * ha-server: config node naming a Home Assistant instance for the websocket API: its URL and a
 * long-lived access token (a credential), or, inside the Home Assistant add-on, the Supervisor
 * proxy with SUPERVISOR_TOKEN. ha-state nodes share one connection per URL and token
 * (lib/ha/ws.ts), which reconnects by itself and resubscribes.
 */
import { acquireHaClient, readHaServerSettings, type HaClient } from '../../lib/ha/ws';
import type { Node, NodeAPI } from '../_shared/red';
import { translator } from '../_shared/i18n';
import { errorText } from '../_shared/device-node';

/** What ha-state sees of an ha-server config node. */
export interface HaServerNode extends Node {
  acquire(): { client: HaClient; release: () => void };
  readonly problem: string | null;
}

module.exports = function (RED: NodeAPI) {
  const _ = translator(RED, 'ha-server', __dirname);

  function HaServerConfigNode(this: Node, saved: Record<string, unknown>) {
    RED.nodes.createNode(this, saved);
    const node = this as HaServerNode;
    const r = readHaServerSettings(saved, { token: node.credentials?.token });
    Object.defineProperty(node, 'problem', { value: r.ok ? null : r.error, enumerable: true });
    if (!r.ok) node.error(`${_('ha-server.errors.config')}: ${r.error}`);
    node.acquire = () => {
      if (!r.ok) throw new Error(`${_('ha-server.errors.config')}: ${r.error}`);
      return acquireHaClient(r.settings);
    };
  }

  RED.nodes.registerType('ha-server', HaServerConfigNode, { credentials: { token: { type: 'password' } } });

  // The ha-state editor's entity picker: the entities of a deployed ha-server.
  if (RED.httpAdmin && RED.auth) {
    RED.httpAdmin.get('/home-energy/ha-server/:id/entities', RED.auth.needsPermission('ha-server.read'), (req, res) => {
      const node = RED.nodes.getNode(String(req.params.id)) as HaServerNode | null;
      if (!node || typeof node.acquire !== 'function') return res.status(404).json({ error: 'ha-server not deployed' });
      let lease: ReturnType<HaServerNode['acquire']>;
      try {
        lease = node.acquire();
      } catch (e) {
        return res.status(400).json({ error: errorText(e) });
      }
      lease.client.entities().then(
        (list) => res.json(list),
        (e) => res.status(502).json({ error: errorText(e) }),
      ).finally(() => lease.release());
    });
  }
};
