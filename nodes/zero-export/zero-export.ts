/**
 * zero-export ("nul op de meter"): holds the grid power at a target with one or more batteries. A thin
 * adapter (house rule 1) around lib/control/zero-export: this file turns the configuration into the
 * controller's parameters (config.ts), input messages into controller inputs (inputs.ts), steps the
 * controller on every input and every 250 ms, and turns its commands into messages on one output
 * per battery unit, plus a last output for status and curtailment.
 */
import { ZeroExportController } from '../../lib/control/zero-export/controller';
import type { ZeroExportCommand, ZeroExportInputs, ZeroExportResult, ZeroExportState } from '../../lib/control/zero-export/types';
import type { Node, NodeAPI, NodeMessage, NodeStatus } from '../_shared/red';
import { formatPower } from '../_shared/status';
import { translator } from '../_shared/i18n';
import { settingsFromConfig, type ZeroExportNodeConfig, type ZeroExportNodeSettings } from './config';
import { observation, parseInput, UnitRouter, type ZeroExportTag } from './inputs';

/** Controller tick (types.ts recommends 250 ms): notices stale data without new input. */
const TICK_MS = 250;
/** The status output repeats the state this often when nothing changed. */
const STATUS_EVERY_MS = 10_000;
/** A curtailment message goes out when the curtailment changes by at least this much (or to/from 0). */
const CURTAIL_STEP_W = 50;
/** Node status text changes are shown at most this often (colour changes at once). */
const STATUS_TEXT_MS = 1000;
/** A unit without serial or topic is asked to identify itself (topic "refresh") this often until it has. */
const PROBE_EVERY_MS = 30_000;
const PROBE_FIRST_MS = 2000;
/** An unmatched battery reading is logged at most this often per serial/topic. */
const UNMATCHED_LOG_MS = 60_000;

module.exports = function (RED: NodeAPI) {
  const _ = translator(RED, 'zero-export', __dirname);

  /** The text of a reason for the status line: short, one clause. */
  function shortReason(reason: string | undefined, state: ZeroExportState): string {
    if (!reason || /^grid /.test(reason)) {
      const cap = state.exportCapW === null ? '' : ` · ${_('zero-export.status.cap')} ${Math.round(state.exportCapW)} W`;
      return `${_('zero-export.status.target')} ${formatPower(state.targetW)}${cap}`;
    }
    return reason.length > 40 ? reason.slice(0, 39) + '…' : reason;
  }

  function ZeroExportNode(this: Node, config: ZeroExportNodeConfig) {
    RED.nodes.createNode(this, config);
    const node = this;
    const parsed = settingsFromConfig(config);
    let problem: string | null = 'error' in parsed ? parsed.error : null;
    let controller: ZeroExportController | undefined;
    if (!problem) {
      try {
        controller = new ZeroExportController((parsed as ZeroExportNodeSettings).params);
      } catch (e) {
        problem = (e as Error).message;
      }
    }
    if (problem || !controller) {
      const text = `${_('zero-export.errors.config')}: ${problem}`;
      node.status({ fill: 'red', shape: 'ring', text: _('zero-export.status.config') });
      node.error(text);
      node.on('input', (_msg, _send, done) => done(new Error(text)));
      node.on('close', (_removed, done) => {
        node.status({});
        done();
      });
      return;
    }

    const ctl = controller;
    const { units, dryRun, startEnabled, params } = parsed as ZeroExportNodeSettings;
    const failSafe = params.failSafe ?? 'zero';
    const index = new Map(units.map((u, i) => [u.label, i]));
    const outputs = units.length + 1;
    const router = new UnitRouter(node.id, units);

    let lastState: ZeroExportState | undefined;
    /** The latest non-empty reasons: why things are as they are. */
    let lastReasons: string[] = [];
    let sentMode: string | undefined;
    let sentReasonsKey: string | undefined;
    let statusSentAt = -Infinity;
    let curtailSent = 0;
    let shown: { fill?: string; shape?: string; text?: string; at: number } = { at: -Infinity };
    /** Units we sent a setpoint to and did not release since (they get the fail-safe action on close). */
    const holding = new Set<string>();
    /** When a reading of each unit last arrived (Date.now()). */
    const seen = new Map<string, number>();
    const unmatchedLogged = new Map<string, number>();
    let closing = false;

    const tag = (unit: string): ZeroExportTag => ({ node: node.id, unit });

    /** Sends messages on their ports (port → messages) in one send. */
    const emitPorts = (byPort: Map<number, NodeMessage[]>) => {
      if (!byPort.size) return;
      const out: Array<NodeMessage | NodeMessage[] | null> = new Array(outputs).fill(null);
      for (const [port, msgs] of byPort) out[port] = msgs.length === 1 ? msgs[0] : msgs;
      node.send(out as Array<NodeMessage | null>);
    };
    const emit = (port: number, msg: NodeMessage) => emitPorts(new Map([[port, [msg]]]));

    /** A controller command → the unit's command message. */
    const commandMessage = (c: ZeroExportCommand): NodeMessage => {
      const reason = `zero-export: ${c.reason}`;
      const payload = c.release ? { kind: 'battery-release', reason } : { kind: 'battery-setpoint', power: Math.round(c.power), reason };
      return { topic: c.unit, payload, zeroExport: tag(c.unit) };
    };

    const sendCommands = (commands: ZeroExportCommand[]) => {
      const byPort = new Map<number, NodeMessage[]>();
      for (const c of commands) {
        const port = index.get(c.unit);
        if (port === undefined) continue;
        if (c.release) holding.delete(c.unit);
        else holding.add(c.unit);
        const list = byPort.get(port) ?? [];
        list.push(commandMessage(c));
        byPort.set(port, list);
      }
      emitPorts(byPort);
    };

    const statusPayload = (state: ZeroExportState, commands: ZeroExportCommand[]) => {
      const payload: Record<string, unknown> = { kind: 'zero-export-status', ...state, reasons: lastReasons, dryRun };
      if (dryRun) payload.commands = commands.map((c) => ({ ...c }));
      return payload;
    };

    const nodeStatus = (state: ZeroExportState): NodeStatus => {
      const reason = lastReasons[0];
      const grid = state.gridW === null ? null : formatPower(state.gridW);
      if (state.mode === 'disabled') return { fill: 'grey', shape: 'ring', text: _('zero-export.status.disabled') };
      if (dryRun) {
        if (grid === null) return { fill: 'grey', shape: 'dot', text: `${_('zero-export.status.dryRun')} · ${_('zero-export.status.noMeter')}` };
        return { fill: 'grey', shape: 'dot', text: `${_('zero-export.status.dryRun')} · ${_('zero-export.status.grid')} ${grid} · ${_('zero-export.status.wouldSet')} ${formatPower(state.totalSetpointW)}` };
      }
      if (state.mode === 'waiting') {
        // No meter reading yet, or no unit can be driven (no data, stale, starting, error, …).
        const units = state.units.map((u) => `${u.id} ${u.note ?? u.state}`).join(', ');
        const why = grid === null ? _('zero-export.status.noMeter') : `${_('zero-export.status.noBattery')} (${units})`;
        return { fill: 'yellow', shape: 'ring', text: `${_('zero-export.status.waiting')}: ${why}`.slice(0, 70) };
      }
      if (state.mode === 'failsafe') {
        const why = reason ?? _('zero-export.status.meterStale');
        return { fill: 'yellow', shape: 'ring', text: `${_('zero-export.status.failsafe')}: ${why}`.slice(0, 70) };
      }
      return {
        fill: 'green',
        shape: 'dot',
        text: `${_('zero-export.status.grid')} ${grid ?? '?'} · ${_('zero-export.status.set')} ${formatPower(state.totalSetpointW)} · ${shortReason(reason, state)}`,
      };
    };

    const showStatus = (state: ZeroExportState, now: number) => {
      const s = nodeStatus(state);
      if (s.fill === shown.fill && s.shape === shown.shape && (s.text === shown.text || now - shown.at < STATUS_TEXT_MS)) return;
      shown = { ...s, at: now };
      node.status(s);
    };

    /** What the controller decided → messages, status output, curtailment, node status. */
    const handle = (r: ZeroExportResult, now: number) => {
      const { commands, state, reasons } = r;
      lastState = state;
      if (reasons.length) lastReasons = reasons.slice();
      if (commands.length && !dryRun) sendCommands(commands);
      // Numbers change every step; a reason counts as new when its wording does.
      const reasonsKey = reasons.length ? reasons.join(' | ').replace(/[−+-]?\d[\d.,]*/g, '#') : sentReasonsKey;
      if (state.mode !== sentMode || reasonsKey !== sentReasonsKey || (dryRun && commands.length > 0) || now - statusSentAt >= STATUS_EVERY_MS) {
        sentMode = state.mode;
        sentReasonsKey = reasonsKey;
        statusSentAt = now;
        emit(outputs - 1, { topic: 'zero-export', payload: statusPayload(state, commands) });
      }
      const c = Math.max(0, state.curtailmentW || 0);
      if ((c === 0) !== (curtailSent === 0) || Math.abs(c - curtailSent) >= CURTAIL_STEP_W) {
        curtailSent = c;
        emit(outputs - 1, { topic: 'curtailment', payload: { kind: 'curtailment', power: Math.round(c), exportCapW: state.exportCapW, gridW: state.gridW, timestamp: now } });
      }
      showStatus(state, now);
    };

    const step = (inputs: ZeroExportInputs, now: number) => {
      handle(ctl.step(inputs, now), now);
    };

    /** Units the node cannot recognise by serial or topic ask to identify themselves (see inputs.ts). */
    const probe = () => {
      if (dryRun || closing || units.length < 2) return;
      const now = Date.now();
      const learnedUnits = new Set(router.learned.values());
      for (const u of units) {
        if (u.serial || u.topic || learnedUnits.has(u.label)) continue;
        const at = seen.get(u.label);
        if (at !== undefined && now - at < PROBE_EVERY_MS) continue;
        emit(index.get(u.label)!, { topic: 'refresh', zeroExport: tag(u.label) });
      }
    };

    const unmatched = (key: string, text: string) => {
      const now = Date.now();
      const prev = unmatchedLogged.get(key);
      if (prev !== undefined && now - prev < UNMATCHED_LOG_MS) return;
      unmatchedLogged.set(key, now);
      node.warn(text);
    };

    let failing = false;
    const tick = () => {
      try {
        step({}, Date.now());
        failing = false;
      } catch (e) {
        // A controller exception is a bug; report it once per episode and keep ticking.
        if (!failing) node.error(`zero-export: controller step failed: ${(e as Error).message}`);
        failing = true;
        node.status({ fill: 'red', shape: 'ring', text: _('zero-export.status.error') });
        shown = { at: -Infinity };
      }
    };

    try {
      step(startEnabled ? {} : { enabled: false }, Date.now());
    } catch (e) {
      node.error(`zero-export: controller step failed: ${(e as Error).message}`);
    }
    const timer = setInterval(tick, TICK_MS);
    let probeTimer: ReturnType<typeof setTimeout> | undefined = setTimeout(function again() {
      probe();
      probeTimer = setTimeout(again, PROBE_EVERY_MS);
    }, PROBE_FIRST_MS);

    node.on('input', (msg, _send, done) => {
      const now = Date.now();
      const input = parseInput(msg, now);
      if ('error' in input) return done(new Error(input.error));
      let inputs: ZeroExportInputs;
      switch (input.type) {
        case 'meter':
          inputs = { meter: input.meter };
          break;
        case 'battery': {
          const r = router.route(msg, input.reading);
          if ('unmatched' in r) {
            unmatched(`${input.reading.serial ?? ''}|${typeof msg.topic === 'string' ? msg.topic : ''}`, r.unmatched);
            return done();
          }
          seen.set(r.unit, now);
          inputs = { units: { [r.unit]: observation(input.reading) } };
          break;
        }
        case 'enabled':
          inputs = { enabled: input.enabled };
          break;
        case 'target':
          inputs = { targetW: input.targetW };
          break;
        case 'exportCap':
          inputs = { exportCapW: input.exportCapW };
          break;
      }
      try {
        step(inputs, now);
      } catch (e) {
        return done(new Error(`zero-export: controller step failed: ${(e as Error).message}`));
      }
      done();
    });

    node.on('close', (_removed, done) => {
      closing = true;
      clearInterval(timer);
      if (probeTimer) clearTimeout(probeTimer);
      probeTimer = undefined;
      // Best effort: the fail-safe action to every unit we left with a setpoint.
      if (!dryRun && holding.size) {
        const commands: ZeroExportCommand[] = [...holding].map((unit) => ({ unit, power: 0, release: failSafe === 'release' || undefined, reason: 'node closed' }));
        try {
          sendCommands(commands);
        } catch {
          /* best effort */
        }
      }
      node.status({});
      done();
    });

    // For tests and the debugger: the latest state.
    (node as unknown as { zeroExport: () => ZeroExportState | undefined }).zeroExport = () => lastState;
  }

  RED.nodes.registerType('zero-export', ZeroExportNode);
};
