/**
 * enector-charger: a KOSTAL ENECTOR wallbox (Mennekes AMTRON Compact 2.0s) as Modbus RTU satellite,
 * through a modbus-link config node (RS485 adapter or RTU-over-TCP gateway). Emits a normalized
 * `kind: "charger"` reading every poll and after each command; takes `charger-setpoint` commands
 * (DESIGN.md §4.1). Protocol and safety rules live in lib/devices/enector; this file translates.
 */
import { configReader } from '../../lib/api/config';
import { validator } from '../../lib/api/validate';
import { chargerSetpointSchema } from '../../lib/api/charger-schemas';
import type { ChargerReading } from '../../lib/api/types';
import { driverOptions, enectorConfigSchema, type EnectorNodeConfig } from '../../lib/devices/enector/config';
import { EnectorCharger } from '../../lib/devices/enector/driver';
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
    let charger: EnectorCharger | undefined;
    /** Commands waiting for their read-back: that reading goes out as the command's reply, not on its own. */
    let replying = 0;
    if (config) {
      const linkNode = RED.nodes.getNode(config.link) as ModbusLinkNode | null;
      if (!linkNode || typeof linkNode.acquire !== 'function') problem = `config.link: ${_('enector-charger.errors.noLink')}`;
      else {
        try {
          lease = linkNode.acquire();
          charger = new EnectorCharger({ link: lease.link, ...driverOptions(config) });
        } catch (e) {
          problem = errorText(e);
        }
      }
    }
    const topic = config?.topic || 'enector';
    const message = (r: ChargerReading): NodeMessage => ({ topic, payload: r, ...(lease ? { link: linkInfo(lease.link) } : {}) });
    const status = new DeviceStatus(node, {
      freshness: { expectedMs: (config?.pollInterval ?? 5) * 1000, fixedMs: (config?.staleAfter ?? 0) * 1000 },
      summary: () => (charger?.last ? chargerSummary(charger.last) : ''),
      waiting: _('enector-charger.status.connecting'),
      suffix: () => linkStatusSuffix(lease?.link),
    });
    if (problem || !charger) {
      status.config(_('enector-charger.status.config'));
      node.error(`${_('enector-charger.errors.config')}: ${problem}`);
    } else {
      const c = charger;
      c.on('reading', (r: ChargerReading) => {
        status.good();
        status.warn('master', r.masterLost ? _('enector-charger.status.masterLost') : undefined);
        if (!replying) node.send(message(r));
      });
      c.on('poll-error', (e: Error) => status.failed(e));
      c.on('command-error', (e: Error) => status.failed(e));
      c.on('word-order', (o: string) => node.log(`${_('enector-charger.log.wordOrder')} ${o === 'be' ? 'high word first' : 'low word first'}`));
      c.start();
    }

    safeInput(node, async (msg, send) => {
      if (problem || !charger) throw new Error(`${_('enector-charger.errors.config')}: ${problem}`);
      const p = msg.payload as Record<string, unknown> | undefined;
      const isCommand = !!p && typeof p === 'object' && (p as { kind?: unknown }).kind === 'charger-setpoint';
      if (!isCommand) {
        if (!charger.last) throw new Error(_('enector-charger.errors.noReading'));
        return send(Object.assign(msg, message(charger.last)));
      }
      const err = checkSetpoint(p);
      if (err) throw new Error(err);
      if (typeof p.serial === 'string' && p.serial && charger.serial && p.serial.toUpperCase() !== charger.serial.toUpperCase()) return;
      const outcome = await charger.apply({ enabled: p.enabled as boolean, currentA: p.currentA as number, ...(p.phases ? { phases: p.phases as 1 | 3 } : {}) });
      replying++;
      try {
        const r = await charger.read();
        send(Object.assign(msg, message(r), { command: outcome }));
      } finally {
        replying--;
      }
    });

    closeInOrder(
      node,
      () => status.close(),
      () => charger?.close(),
      () => lease?.release(),
      () => charger?.removeAllListeners(),
    );
  }

  RED.nodes.registerType('enector-charger', EnectorChargerNode);
};
