/**
 * zero-export ("nul op de meter"): holds the grid power at a target with one or more batteries. A thin
 * adapter (house rule 1): the configuration is read with its schema (lib/control/zero-export/config.ts),
 * everything else — input parsing, unit routing, throttling, probes, status — is the runtime in
 * lib/control/zero-export/runtime.ts. This file owns the timers and hands messages to Node-RED:
 * one output per battery unit, plus a last output for status and curtailment.
 */
import { readZeroExportConfig, type ZeroExportSettings } from '../../lib/control/zero-export/config';
import { stopsNode, TICK_MS, ZeroExportRuntime, type RuntimeOutput, type StatusWords } from '../../lib/control/zero-export/runtime';
import type { ZeroExportState } from '../../lib/control/zero-export/types';
import { errorText, safeInput } from '../_shared/device-node';
import type { Node, NodeAPI, NodeMessage } from '../_shared/red';
import { translator } from '../_shared/i18n';

interface Events {
  on(event: string, fn: (e: unknown) => void): void;
  removeListener(event: string, fn: (e: unknown) => void): void;
}

module.exports = function (RED: NodeAPI) {
  const _ = translator(RED, 'zero-export', __dirname);
  const words: StatusWords = (k) => _(`zero-export.status.${k}`);
  const events = (RED as unknown as { events?: Events }).events;

  function ZeroExportNode(this: Node, config: Record<string, unknown>) {
    RED.nodes.createNode(this, config);
    const node = this;
    const parsed = readZeroExportConfig(config);
    let runtime: ZeroExportRuntime | undefined;
    let problem = 'error' in parsed ? parsed.error : null;
    if (!problem) {
      try {
        runtime = new ZeroExportRuntime(parsed as ZeroExportSettings, node.id, Date.now(), words);
      } catch (e) {
        problem = errorText(e);
      }
    }
    if (problem || !runtime) {
      const text = `${_('zero-export.errors.config')}: ${problem}`;
      node.status({ fill: 'red', shape: 'ring', text: _('zero-export.status.config') });
      node.error(text);
      safeInput(node, () => {
        throw new Error(text);
      });
      node.on('close', (_removed, done) => {
        node.status({});
        done();
      });
      return;
    }
    const rt = runtime;
    const outputs = (parsed as ZeroExportSettings).units.length + 1;

    /** A runtime result → one send (one message or an array per port), a warning, the node status. Never throws. */
    const apply = (out: RuntimeOutput) => {
      if (out.sends.length) {
        const ports: Array<NodeMessage | NodeMessage[] | null> = new Array(outputs).fill(null);
        for (const { port, msg } of out.sends) {
          const m = msg as unknown as NodeMessage;
          const prev = ports[port];
          ports[port] = prev === null ? m : Array.isArray(prev) ? [...prev, m] : [prev, m];
        }
        try {
          node.send(ports as Array<NodeMessage | null>);
        } catch (e) {
          node.warn(`zero-export: could not send: ${errorText(e)}`);
        }
      }
      if (out.warn) node.warn(out.warn);
      if (out.status) node.status(out.status);
    };

    let failing = false;
    const guarded = (what: () => RuntimeOutput) => {
      try {
        apply(what());
        failing = false;
      } catch (e) {
        // A controller exception is a bug: report it once per episode and keep ticking.
        if (!failing) node.error(`zero-export: controller step failed: ${errorText(e)}`);
        failing = true;
        node.status({ fill: 'red', shape: 'ring', text: _('zero-export.status.error') });
      }
    };

    guarded(() => rt.start(Date.now()));
    const timer = setInterval(() => guarded(() => rt.tick(Date.now())), TICK_MS);

    safeInput(node, (msg) => {
      const out = rt.input(msg, Date.now());
      if ('error' in out) throw new Error(out.error);
      apply(out);
    });

    // The fail-safe action goes out when the flows start to stop, before any battery node closes
    // (Node-RED closes the nodes of a flow in no set order); close only sends what is left.
    const release = () => guarded(() => rt.release());
    const onStopping = (e: unknown) => {
      if (stopsNode(e as Parameters<typeof stopsNode>[0], node.id, config.z as string | undefined)) release();
    };
    events?.on('flows:stopping', onStopping);

    node.on('close', (_removed, done) => {
      events?.removeListener('flows:stopping', onStopping);
      clearInterval(timer);
      release();
      node.status({});
      done();
    });

    // For tests and the debugger: the latest state.
    (node as unknown as { zeroExport: () => ZeroExportState | undefined }).zeroExport = () => rt.state;
  }

  RED.nodes.registerType('zero-export', ZeroExportNode);
};
