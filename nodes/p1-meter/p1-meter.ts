/**
 * p1-meter: reads a DSMR / e-MUCS smart meter from a serial port, a raw TCP gateway, a Sessy P1
 * dongle, or telegrams arriving on its input, and emits one normalized `kind: "meter"` payload per
 * valid telegram. All protocol work lives in lib/devices/p1; this file only translates.
 */
import { configReader } from '../../lib/api/config';
import { expectedIntervalMs, p1ConfigSchema, sourceConfig, type P1NodeConfig } from '../../lib/devices/p1/config';
import { P1Source, type P1ReadingEvent } from '../../lib/devices/p1/source';
import { listSerialPorts } from '../../lib/transport/serial-list';
import type { Node, NodeAPI, NodeMessage } from '../_shared/red';
import { formatPower } from '../_shared/status';
import { translator } from '../_shared/i18n';
import { rateLimitedWarn } from '../_shared/log';
import { closeInOrder } from '../_shared/close';
import { DeviceStatus, errorText, safeInput } from '../_shared/device-node';

const readConfig = configReader<P1NodeConfig>(p1ConfigSchema);

module.exports = function (RED: NodeAPI) {
  const _ = translator(RED, 'p1-meter', __dirname);
  function P1MeterNode(this: Node, raw: Record<string, unknown>) {
    RED.nodes.createNode(this, raw);
    const node = this;
    const read = readConfig(raw);
    const config = read.ok ? read.config : undefined;
    let problem = read.ok ? undefined : read.error;
    let source: P1Source | undefined;
    let last: P1ReadingEvent | undefined;
    if (config) {
      try {
        source = new P1Source(sourceConfig(config, node.credentials), undefined, { computeCapacity: config.capacity });
      } catch (e) {
        problem = errorText(e);
      }
    }
    const counts = () => {
      const c = source?.counters;
      const parts = [c?.crcErrors ? `${c.crcErrors} ${_('p1-meter.status.crc')}` : '', c?.badValues ? `${c.badValues} ${_('p1-meter.status.bad')}` : ''];
      return parts.filter(Boolean).map((p) => ` · ${p}`).join('');
    };
    let waitingFor = _(`p1-meter.status.${config?.source === 'input' ? 'waiting' : 'connecting'}`);
    const status = new DeviceStatus(node, {
      freshness: { expectedMs: config ? expectedIntervalMs(config) : 1000, fixedMs: (config?.staleAfter ?? 0) * 1000 },
      summary: () => (last ? formatPower(last.reading.power) : ''),
      waiting: waitingFor,
      suffix: counts,
    });
    const waiting = (text = waitingFor) => {
      waitingFor = text;
      status.waiting(text + counts());
    };
    const logLimited = rateLimitedWarn(node);
    const message = (ev: P1ReadingEvent): NodeMessage => {
      const msg: NodeMessage = { topic: config?.topic || 'p1', payload: ev.reading };
      if (config?.raw) {
        msg.raw = ev.raw;
        if (ev.telegram) msg.telegram = ev.telegram;
      }
      return msg;
    };

    if (problem || !source || !config) {
      status.config(_('p1-meter.status.config'));
      node.error(`${_('p1-meter.errors.config')}: ${problem}`);
    } else {
      const src = source;
      src.on('reading', (ev: P1ReadingEvent) => {
        last = ev;
        status.good();
        node.send(message(ev));
      });
      src.on('invalid', (ev: { reason: string }) => {
        logLimited('invalid', `${_('p1-meter.errors.invalid')}: ${ev.reason}${counts()}`);
        waiting();
      });
      src.on('problem', (e: Error) => status.failed(e));
      src.on('state', (s: string) => {
        if (s === 'connected') status.recovered();
        waiting(_(`p1-meter.status.${s}`));
      });
      src.start();
    }

    safeInput(node, (msg, send) => {
      if (problem || !source) throw new Error(`${_('p1-meter.errors.config')}: ${problem}`);
      if (config?.source === 'input') {
        const p = msg.payload;
        if (typeof p !== 'string' && !Buffer.isBuffer(p)) throw new Error(`msg.payload: must be a telegram as a string or Buffer (got ${p === null ? 'null' : typeof p})`);
        source.onBytes(p);
        return;
      }
      // Other sources: any message asks for the latest reading again.
      if (!last) throw new Error(_('p1-meter.errors.noReading'));
      send(Object.assign(msg, message(last)));
    });

    closeInOrder(
      node,
      () => status.close(),
      () => source?.stop(),
      () => source?.removeAllListeners(),
    );
  }

  RED.nodes.registerType('p1-meter', P1MeterNode, {
    credentials: { user: { type: 'text' }, password: { type: 'password' } },
  });

  // Serial ports for the editor's drop-down.
  if (RED.httpAdmin && RED.auth) {
    RED.httpAdmin.get('/home-energy/serial-ports', RED.auth.needsPermission('p1-meter.read'), (_req, res) => {
      listSerialPorts().then(
        (ports) => res.json(ports),
        () => res.json([]),
      );
    });
  }
};
