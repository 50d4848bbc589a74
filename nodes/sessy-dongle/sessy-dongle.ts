/**
 * sessy-dongle: configuration node for one Sessy battery dongle (host, the sticker's serial and
 * password as Node-RED credentials, poll interval, timeout). It owns the dongle's HTTP client, so
 * every node using it shares one request queue (serialise requests per dongle).
 * Also serves the editor's mDNS search (GET /home-energy/sessy-discover).
 */
import { SessyClient } from '../../lib/devices/sessy/client';
import { dongleSettings, type SessyDongleConfig } from '../../lib/devices/sessy/commands';
import { discoverSessy } from '../../lib/transport/mdns';
import { errorText } from '../_shared/device-node';
import type { Node, NodeAPI } from '../_shared/red';

export interface SessyDongleNode extends Node {
  host: string;
  pollMs: number;
  timeoutMs: number;
  /** The configured user (dongle serial), upper-cased. */
  serial?: string;
  client?: SessyClient;
  /** Configuration problem, naming the field, when the client could not be made. */
  problem?: string;
}

module.exports = function (RED: NodeAPI) {
  function SessyDongleConfigNode(this: Node, config: SessyDongleConfig & { name?: string }) {
    RED.nodes.createNode(this, config);
    const self = this as SessyDongleNode;
    const creds = this.credentials ?? {};
    const s = dongleSettings(config);
    self.host = String(config.host ?? '').trim();
    self.pollMs = 'error' in s ? 5000 : s.pollMs;
    self.timeoutMs = 'error' in s ? 5000 : s.timeoutMs;
    if ('error' in s) self.problem = s.error;
    else {
      self.serial = creds.user ? creds.user.trim().toUpperCase() : undefined;
      try {
        self.client = new SessyClient({ host: s.host, user: creds.user, password: creds.password, timeoutMs: s.timeoutMs });
      } catch (e) {
        self.problem = `config.host: ${errorText(e)}`;
      }
    }
  }

  RED.nodes.registerType('sessy-dongle', SessyDongleConfigNode, {
    credentials: { user: { type: 'text' }, password: { type: 'password' } },
  });

  // mDNS search for the editor: dongles announcing _http._tcp with names starting "sessy-".
  if (RED.httpAdmin && RED.auth) {
    RED.httpAdmin.get('/home-energy/sessy-discover', RED.auth.needsPermission('sessy-dongle.read'), (req, res) => {
      const s = Number(req.query?.timeout);
      const timeoutMs = Number.isFinite(s) && s > 0 ? Math.min(10, s) * 1000 : 3000;
      discoverSessy({ timeoutMs }).then(
        (found) => res.json({ devices: found.map((d) => ({ name: d.name, host: d.host, address: d.address, port: d.port, serial: d.serial, device: d.device, type: d.type })) }),
        (e: unknown) => res.json({ devices: [], error: errorText(e) }),
      );
    });
  }
};
