/**
 * enector-charger: a KOSTAL ENECTOR wallbox (Mennekes AMTRON Compact 2.0s). Direct: this node is the
 * box's Modbus RTU master through a modbus-link config node and takes `charger-setpoint` commands.
 * Behind a KSEM: the KSEM is the master and this node reads the wallbox and sets the KSEM's charge
 * mode over its REST API (`mode` messages). Emits `kind: "charger"` readings every poll and after
 * each command. Protocol and safety rules live in lib/devices/enector; this file translates.
 */
import { configReader } from '../../lib/api/config';
import { validator } from '../../lib/api/validate';
import { chargerSetpointSchema } from '../../lib/api/charger-schemas';
import type { ChargerReading } from '../../lib/api/types';
import { driverOptions, enectorConfigSchema, ksemOptions, type EnectorNodeConfig } from '../../lib/devices/enector/config';
import { EnectorCharger } from '../../lib/devices/enector/driver';
import { KsemWallbox } from '../../lib/devices/enector/ksem-rest';
import type { LinkLease } from '../../lib/transport/modbus/pool';
import { DeviceStatus, errorText, safeInput } from '../_shared/device-node';
import { linkInfo, linkStatusSuffix } from '../_shared/link-info';
import { closeInOrder } from '../_shared/close';
import { translator } from '../_shared/i18n';
import type { Node, NodeAPI, NodeMessage } from '../_shared/red';
import type { ModbusLinkNode } from '../modbus-link/modbus-link';

const readConfig = configReader<EnectorNodeConfig>(enectorConfigSchema);
const checkSetpoint = validator(chargerSetpointSchema, 'payload');

/** "charging 6900 W 3p", "paused", "idle" */
export function chargerSummary(r: ChargerReading): string {
  const w = r.power >= 10_000 ? `${(r.power / 1000).toFixed(1)} kW` : `${Math.round(r.power)} W`;
  if (r.state === 'charging') return `charging ${w}${r.activePhases ? ` ${r.activePhases}p` : ''}`;
  if (r.state === 'error') return `error${r.errorCode ? ` ${r.errorCode}` : ''}`;
  return r.state;
}

module.exports = function (RED: NodeAPI) {
  const _ = translator(RED, 'enector-charger', __dirname);

  function EnectorChargerNode(this: Node, raw: Record<string, unknown>) {
    RED.nodes.createNode(this, raw);
    const node = this;
    const read = readConfig(raw);
    let problem = read.ok ? undefined : read.error;
    const config = read.ok ? read.config : undefined;
    let lease: LinkLease | undefined;
    let direct: EnectorCharger | undefined;
    let ksem: KsemWallbox | undefined;
    /** Commands waiting for their read-back: that reading goes out as the command's reply, not on its own. */
    let replying = 0;
    if (config?.topology === 'ksem') {
      try {
        ksem = new KsemWallbox(ksemOptions(config, node.credentials?.password), config.pollInterval * 1000);
      } catch (e) {
        problem = errorText(e);
      }
    } else if (config) {
      const linkNode = RED.nodes.getNode(config.link ?? '') as ModbusLinkNode | null;
      if (!linkNode || typeof linkNode.acquire !== 'function') problem = `config.link: ${_('enector-charger.errors.noLink')}`;
      else {
        try {
          lease = linkNode.acquire();
          direct = new EnectorCharger({ link: lease.link, ...driverOptions(config) });
        } catch (e) {
          problem = errorText(e);
        }
      }
    }
    const device = direct ?? ksem;
    const topic = config?.topic || 'enector';
    const message = (r: ChargerReading): NodeMessage => ({ topic, payload: r, ...(lease ? { link: linkInfo(lease.link) } : {}) });
    const status = new DeviceStatus(node, {
      freshness: { expectedMs: (config?.pollInterval ?? 5) * 1000, fixedMs: (config?.staleAfter ?? 0) * 1000 },
      summary: () => (device?.last ? chargerSummary(device.last) : ''),
      waiting: _('enector-charger.status.connecting'),
      suffix: () => linkStatusSuffix(lease?.link),
    });
    if (problem || !device) {
      status.config(_('enector-charger.status.config'));
      node.error(`${_('enector-charger.errors.config')}: ${problem}`);
    } else {
      device.on('reading', (r: ChargerReading) => {
        status.good();
        status.warn('master', r.masterLost ? _('enector-charger.status.masterLost') : undefined);
        if (!replying) node.send(message(r));
      });
      device.on('poll-error', (e: Error) => status.failed(e));
      device.on('command-error', (e: Error) => status.failed(e));
      device.on('word-order', (o: string) => node.log(`${_('enector-charger.log.wordOrder')} ${o === 'be' ? 'high word first' : 'low word first'}`));
      device.start();
    }

    /** Runs a command, then sends the reading taken right after it as the message's reply. */
    const reply = async (msg: NodeMessage, send: (m: NodeMessage) => void, command: () => Promise<unknown>) => {
      const outcome = await command();
      replying++;
      try {
        send(Object.assign(msg, message(await device!.read()), { command: outcome }));
      } finally {
        replying--;
      }
    };

    safeInput(node, async (msg, send) => {
      if (problem || !device) throw new Error(`${_('enector-charger.errors.config')}: ${problem}`);
      const p = msg.payload as Record<string, unknown> | undefined;
      const kind = p && typeof p === 'object' ? (p as { kind?: unknown }).kind : undefined;
      if (kind === 'charger-setpoint') {
        if (!direct) throw new Error(_('enector-charger.errors.ksemSetpoint'));
        const err = checkSetpoint(p);
        if (err) throw new Error(err);
        if (typeof p!.serial === 'string' && p!.serial && direct.serial && p!.serial.toUpperCase() !== direct.serial.toUpperCase()) return;
        return reply(msg, send, () => direct!.apply({ enabled: p!.enabled as boolean, currentA: p!.currentA as number, ...(p!.phases ? { phases: p!.phases as 1 | 3 } : {}) }));
      }
      if (kind === 'mode') {
        if (!ksem) throw new Error(_('enector-charger.errors.directMode'));
        const q = p as { mode?: unknown; minChargingPowerPct?: number; minPvPowerPct?: number };
        return reply(msg, send, async () => ({ chargeMode: await ksem!.setMode(String(q.mode), { minChargingPowerPct: q.minChargingPowerPct, minPvPowerPct: q.minPvPowerPct }) }));
      }
      if (!device.last) throw new Error(_('enector-charger.errors.noReading'));
      send(Object.assign(msg, message(device.last)));
    });

    closeInOrder(
      node,
      () => status.close(),
      () => device?.close(),
      () => lease?.release(),
      () => device?.removeAllListeners(),
    );
  }

  RED.nodes.registerType('enector-charger', EnectorChargerNode, { credentials: { password: { type: 'password' } } });
};
