/**
 * ksem-meter: reads a KOSTAL Smart Energy Meter, either by polling it through a modbus-link config
 * node (Modbus TCP or TLS) or by receiving what the KSEM writes in its Modbus-master mode, and emits
 * normalized `kind: "meter"` readings. Protocol work lives in lib/devices/ksem; this file translates.
 */
import { validator } from '../../lib/api/validate';
import { ksemMeterConfigSchema, pollerOptions, receiverOptions, staleMs, type KsemMeterConfig } from '../../lib/devices/ksem/config';
import { KsemPoller, type KsemIdentityEvent, type KsemReadingEvent } from '../../lib/devices/ksem/poller';
import { KsemPushReceiver } from '../../lib/devices/ksem/push-receiver';
import type { LinkLease } from '../../lib/transport/modbus/pool';
import { linkInfo, linkStatusSuffix } from '../_shared/link-info';
import type { ModbusLinkNode } from '../modbus-link/modbus-link';
import type { Node, NodeAPI, NodeMessage } from '../_shared/red';
import { formatAge, formatPower, freshness } from '../_shared/status';
import { translator } from '../_shared/i18n';
import { rateLimitedWarn } from '../_shared/log';
import { closeInOrder } from '../_shared/close';

const checkConfig = validator(ksemMeterConfigSchema, 'config');

/** Short status text for an error: "timeout, registers 0–65", "port 1502 in use", … */
export function statusText(e: Error & { code?: string; exceptionCode?: number; port?: number }): string {
  if (e.code === 'EADDRINUSE') return `port ${e.port} in use`;
  if (e.code === 'EACCES') return `port ${e.port} needs root`;
  const regs = /registers (\d+–\d+)/.exec(e.message)?.[1];
  if (regs && e.code) return `${e.code === 'exception' ? `exception ${e.exceptionCode ?? ''}`.trim() : e.code}, registers ${regs}`;
  return e.message.replace(/^KSEM /, '').slice(0, 60);
}

module.exports = function (RED: NodeAPI) {
  const _ = translator(RED, 'ksem-meter', __dirname);

  function KsemMeterNode(this: Node, config: KsemMeterConfig) {
    RED.nodes.createNode(this, config);
    const node = this;
    let problem = checkConfig(config);
    let poller: KsemPoller | undefined;
    let lease: LinkLease | undefined;
    let receiver: KsemPushReceiver | undefined;
    let last: { ev: KsemReadingEvent; at: number } | undefined;
    let intervalMs = 0;
    /** Short text of the last problem (status), and its full message (errors, logs). */
    let lastError: string | undefined;
    let lastErrorFull: string | undefined;
    let waitingText = _('ksem-meter.status.connecting');
    /** Problems of one kind are logged at most once a minute; status shows every one. */
    const logLimited = rateLimitedWarn(node);

    const buildMsg = (ev: KsemReadingEvent): NodeMessage => {
      const msg: NodeMessage = { topic: config.topic || 'ksem', payload: ev.reading };
      if (config.raw) msg.raw = ev.raw;
      if (lease) msg.link = linkInfo(lease.link);
      return msg;
    };

    const updateStatus = () => {
      if (problem) return;
      const age = last ? Date.now() - last.at : Infinity;
      const stale = staleMs(config, intervalMs);
      if (lastError && age > stale) {
        node.status({ fill: 'red', shape: 'ring', text: lastError });
        return;
      }
      if (!last) {
        node.status({ fill: 'yellow', shape: 'ring', text: waitingText });
        return;
      }
      node.status(freshness(age, stale, `${formatPower(last.ev.reading.power)} · ${formatAge(age)}${linkStatusSuffix(lease?.link)}`));
    };

    const onReading = (ev: KsemReadingEvent) => {
      const now = Date.now();
      if (last) intervalMs = intervalMs ? intervalMs * 0.8 + (now - last.at) * 0.2 : now - last.at;
      last = { ev, at: now };
      lastError = undefined;
      lastErrorFull = undefined;
      node.send(buildMsg(ev));
      updateStatus();
    };

    const onProblem = (e: Error) => {
      lastError = statusText(e);
      lastErrorFull = e.message;
      logLimited('problem:' + e.message, e.message);
      updateStatus();
    };

    if (!problem && config.mode === 'poll') {
      const linkNode = RED.nodes.getNode(String(config.link)) as ModbusLinkNode | null;
      if (!linkNode || typeof linkNode.acquire !== 'function') problem = `config.link: ${_('ksem-meter.errors.noLink')}`;
      else {
        try {
          lease = linkNode.acquire();
          poller = new KsemPoller(lease.link, pollerOptions(config));
        } catch (e) {
          problem = (e as Error).message;
        }
      }
    }

    if (problem) {
      node.status({ fill: 'red', shape: 'ring', text: _('ksem-meter.status.config') });
      node.error(`${_('ksem-meter.errors.config')}: ${problem}`);
    } else if (poller) {
      poller.on('reading', onReading);
      poller.on('problem', onProblem);
      let identityText = '';
      poller.on('identity', (id: KsemIdentityEvent) => {
        const c = id.identity.common;
        const text =
          `KSEM ${c?.serialNumber ?? id.identity.info?.serialNumber ?? '(no serial)'}` +
          `${c?.version ? ', firmware ' + c.version : ''}, ${id.layout} registers` +
          `${id.meterAddress !== undefined ? ', SunSpec model 203 at ' + id.meterAddress : ', no SunSpec model 203'}`;
        // Detection is redone after every error; log only what changed (a firmware update, say).
        if (text !== identityText) node.log(text);
        identityText = text;
      });
      poller.start();
    } else {
      const ro = receiverOptions(config);
      receiver = new KsemPushReceiver(ro);
      receiver.on('reading', onReading);
      receiver.on('problem', onProblem);
      waitingText = _('ksem-meter.status.starting');
      receiver.start().then(
        (port) => {
          waitingText = `${_('ksem-meter.status.listening')} ${ro.host}:${port}`;
          updateStatus();
        },
        (e: Error) => {
          lastError = statusText(e);
          lastErrorFull = e.message;
          node.error(e.message);
          updateStatus();
        },
      );
    }
    updateStatus();
    const ticker = setInterval(updateStatus, 1000);

    node.on('input', (msg, send, done) => {
      if (problem) return done(new Error(`${_('ksem-meter.errors.config')}: ${problem}`));
      // Any message asks for the latest reading again.
      if (!last) return done(new Error(lastErrorFull ? `${_('ksem-meter.errors.noReading')}: ${lastErrorFull}` : _('ksem-meter.errors.noReading')));
      send(Object.assign(msg, buildMsg(last.ev)));
      done();
    });

    closeInOrder(
      node,
      () => clearInterval(ticker),
      () => {
        const stopping = Promise.allSettled([poller?.stop(), receiver?.stop()]);
        // No reading or problem reaches the node once it is closing.
        poller?.removeAllListeners();
        receiver?.removeAllListeners();
        return stopping;
      },
      () => lease?.release(),
    );
  }

  RED.nodes.registerType('ksem-meter', KsemMeterNode);
};
