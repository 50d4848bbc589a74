/**
 * ksem-meter: reads a KOSTAL Smart Energy Meter, either by polling it through a modbus-link config
 * node (Modbus TCP or TLS) or by receiving what the KSEM writes in its Modbus-master mode, and emits
 * normalized `kind: "meter"` readings. Protocol work lives in lib/devices/ksem; status, freshness,
 * input and close come from the device-node skeleton (nodes/_shared/device-node.ts).
 */
import type { MeterReading } from '../../lib/api/types';
import { expectedIntervalMs, pollerOptions, readKsemConfig, receiverOptions } from '../../lib/devices/ksem/config';
import { describeIdentity, KsemPoller, type KsemIdentityEvent, type KsemRaw } from '../../lib/devices/ksem/poller';
import { KsemPushReceiver } from '../../lib/devices/ksem/push-receiver';
import type { LinkLease } from '../../lib/transport/modbus/pool';
import { closeInOrder } from '../_shared/close';
import { DeviceStatus, errorText, safeInput } from '../_shared/device-node';
import { translator } from '../_shared/i18n';
import { linkInfo, linkStatusSuffix } from '../_shared/link-info';
import type { Node, NodeAPI, NodeMessage } from '../_shared/red';
import { formatPower } from '../_shared/status';
import type { ModbusLinkNode } from '../modbus-link/modbus-link';

/** A refused push client shows in the status this long after the last refusal. */
const REFUSED_SHOWN_MS = 60_000;

module.exports = function (RED: NodeAPI) {
  const _ = translator(RED, 'ksem-meter', __dirname);

  function KsemMeterNode(this: Node, saved: Record<string, unknown>) {
    RED.nodes.createNode(this, saved);
    const node = this;
    const read = readKsemConfig(saved);
    const config = read.ok ? read.config : undefined;
    let problem = read.ok ? undefined : read.error;
    let lease: LinkLease | undefined;
    let poller: KsemPoller | undefined;
    let receiver: KsemPushReceiver | undefined;
    let last: { reading: MeterReading; raw: KsemRaw } | undefined;
    let lastError: string | undefined;
    let refusedTimer: ReturnType<typeof setTimeout> | undefined;
    let waitingText = _('ksem-meter.status.connecting');
    const refusedLogged = new Set<string>();

    const status = new DeviceStatus(node, {
      freshness: { fixedMs: config?.staleAfter ? config.staleAfter * 1000 : undefined, expectedMs: config ? expectedIntervalMs(config) : 1000 },
      summary: () => (last ? formatPower(last.reading.power) : ''),
      waiting: waitingText,
      suffix: () => linkStatusSuffix(lease?.link),
    });

    const buildMsg = (l: NonNullable<typeof last>): NodeMessage => {
      const msg: NodeMessage = { topic: config?.topic ?? 'ksem', payload: l.reading };
      if (config?.raw) msg.raw = l.raw;
      if (lease) msg.link = linkInfo(lease.link);
      return msg;
    };
    const onReading = (reading: MeterReading, raw: KsemRaw) => {
      last = { reading, raw };
      lastError = undefined;
      status.good();
      node.send(buildMsg(last));
    };
    const onError = (e: Error) => {
      lastError = errorText(e);
      status.failed(e);
    };
    const waiting = (text: string) => status.waiting((waitingText = text));
    const onRefused = (from: string) => {
      const text = `${_('ksem-meter.status.refused')} ${from}`;
      // Before the first reading the warning takes the waiting text's place.
      if (last) status.warn('refused', text);
      else status.waiting(text);
      if (!refusedLogged.has(from)) node.warn(`${_('ksem-meter.errors.refused')}: ${from}`);
      refusedLogged.add(from);
      if (refusedTimer) clearTimeout(refusedTimer);
      refusedTimer = setTimeout(() => {
        status.warn('refused', undefined);
        status.waiting(waitingText);
      }, REFUSED_SHOWN_MS);
    };

    if (config && config.mode === 'poll') {
      const linkNode = RED.nodes.getNode(String(config.link)) as ModbusLinkNode | null;
      if (!linkNode || typeof linkNode.acquire !== 'function') problem = `config.link: ${_('ksem-meter.errors.noLink')}`;
      else {
        try {
          lease = linkNode.acquire();
          poller = new KsemPoller(lease.link, pollerOptions(config));
        } catch (e) {
          problem = errorText(e);
        }
      }
    }

    if (problem || !config) {
      status.config(_('ksem-meter.status.config'));
      node.error(`${_('ksem-meter.errors.config')}: ${problem}`);
    } else if (poller) {
      poller.on('reading', onReading);
      poller.on('poll-error', onError);
      let identityText = '';
      poller.on('identity', (id: KsemIdentityEvent) => {
        // Detection is redone after every error; log only what changed (a firmware update, say).
        const text = describeIdentity(id);
        if (text !== identityText) node.log(text);
        identityText = text;
      });
      poller.start();
    } else {
      const ro = receiverOptions(config);
      receiver = new KsemPushReceiver(ro);
      receiver.on('reading', onReading);
      receiver.on('poll-error', onError);
      receiver.on('refused', onRefused);
      waiting(_('ksem-meter.status.starting'));
      const rx = receiver;
      rx.start().then(
        (port) => waiting(`${_('ksem-meter.status.listening')} ${ro.host}:${port}`),
        (e: Error) => {
          onError(e);
          node.error(e.message);
        },
      );
    }

    safeInput(node, (msg, send) => {
      if (problem || !config) throw new Error(`${_('ksem-meter.errors.config')}: ${problem}`);
      // Any message asks for the latest reading again.
      if (!last) throw new Error(lastError ? `${_('ksem-meter.errors.noReading')}: ${lastError}` : _('ksem-meter.errors.noReading'));
      send(Object.assign(msg, buildMsg(last)));
    });

    closeInOrder(
      node,
      () => {
        status.close();
        if (refusedTimer) clearTimeout(refusedTimer);
      },
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
