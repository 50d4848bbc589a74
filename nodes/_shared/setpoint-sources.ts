/**
 * Who sends setpoints to a battery node (issue 11: two sources driving one battery fight). Node-RED
 * gives a node no sender with a message, so a preDeliver hook (RED.hooks, Node-RED ≥ 2) notes the
 * sending node of each message delivered to a watched battery node; without it (a message injected
 * in a test, a link) the origin part of the command's `reason` stands in.
 */
import type { NodeAPI } from './red';

/** Messages delivered to watched battery nodes → the id of the node that sent them (Node-RED's preDeliver hook). */
const senders = new WeakMap<object, string>();
const watched = new Set<string>();
const hooked = new WeakSet<object>();

export function watchSenders(RED: NodeAPI, id: string): void {
  watched.add(id);
  const hooks = (RED as unknown as { hooks?: { add(name: string, fn: (ev: SendEvent) => void): void } }).hooks;
  if (!hooks || hooked.has(hooks)) return;
  hooked.add(hooks);
  hooks.add('preDeliver.homeEnergyBatterySources', (ev) => {
    const dest = ev?.destination?.id;
    if (dest && watched.has(dest) && ev.msg && typeof ev.msg === 'object') senders.set(ev.msg, ev.source?.node?.id ?? ev.source?.id ?? '');
  });
}

interface SendEvent {
  msg?: object;
  source?: { id?: string; node?: { id?: string } };
  destination?: { id?: string };
}

/**
 * Who sent a setpoint: the upstream node (when Node-RED says), else the origin part of its `reason`
 * ("zero-export: control" → "zero-export"), else "unnamed". Counts the sources seen within `windowMs`.
 */
export class SetpointSources {
  private readonly seen = new Map<string, number>();
  constructor(private readonly windowMs: number) {}

  /** Notes a setpoint message at `now` and returns how many sources sent setpoints within the window. */
  note(msg: object, reason: string | undefined, now: number): number {
    const node = senders.get(msg);
    const origin = reason ? reason.split(':')[0].trim() : '';
    const key = node ? `node:${node}` : origin ? `reason:${origin}` : 'unnamed';
    this.seen.set(key, now);
    for (const [k, at] of this.seen) if (now - at > this.windowMs) this.seen.delete(k);
    return this.seen.size;
  }
}

/** Stops noting senders for a node (its close). */
export function unwatchSenders(id: string): void {
  watched.delete(id);
}
