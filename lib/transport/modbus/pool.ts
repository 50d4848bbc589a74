/**
 * Shared Modbus links (DESIGN.md §3): one link per endpoint key — tcp://host:port,
 * tls://host:port, rtu:/dev/x, rtu-tcp://host:port — reference-counted. Two config nodes naming
 * the same endpoint get the same link, hence the same queue (two devices on one RS485 bus must
 * never talk at once). The last release closes the connection.
 *
 * Settings conflicts: the first acquirer's endpoint settings (baud rate, TLS trust …) and link
 * options (timeout, delays, queue size) win while the link is shared; a later acquirer with
 * different settings gets the shared link anyway plus a `warning` naming the ignored settings.
 */
import { Clock, systemClock } from '../../util/clock';
import { ModbusClientLink, endpointKey } from './link';
import type { ModbusEndpoint, ModbusLink, ModbusLinkOptions } from './types';

export interface LinkLease {
  /** The shared link. Do not use it after release(). */
  link: ModbusLink;
  key: string;
  /** Set when this acquirer's settings differ from those the shared link runs with. */
  warning?: string;
  /** Give the link back; the last release closes it. Idempotent. */
  release(): Promise<void>;
}

interface Entry {
  link: ModbusClientLink;
  refs: number;
  endpoint: ModbusEndpoint;
  options: ModbusLinkOptions;
}

const links = new Map<string, Entry>();

/** Settings that differ between two objects (shallow, nested TLS one level deep). */
function differences(prefix: string, a: object, b: object): string[] {
  const out: string[] = [];
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  for (const k of new Set([...Object.keys(ra), ...Object.keys(rb)])) {
    const va = ra[k];
    const vb = rb[k];
    // An object on either side is compared key by key (so TLS keys set on one side only stay masked).
    const isObj = (v: unknown) => !!v && typeof v === 'object';
    if (isObj(va) || isObj(vb)) out.push(...differences(`${prefix}${k}.`, isObj(va) ? (va as object) : {}, isObj(vb) ? (vb as object) : {}));
    else if (va !== vb && !(va === undefined && vb === undefined)) {
      // Secrets and certificates are not echoed into warnings.
      const show = (v: unknown) => (/^(ca|cert|key)$/.test(k) ? (v ? '(set)' : '(none)') : v === undefined ? '(default)' : JSON.stringify(v));
      out.push(`${prefix}${k} ${show(vb)} (link uses ${show(va)})`);
    }
  }
  return out;
}

/**
 * Get the shared link for `endpoint`, creating it on first use. The link connects lazily on its
 * first request. Throws ModbusError('invalid') for an unusable endpoint.
 */
export function acquireLink(endpoint: ModbusEndpoint, options: ModbusLinkOptions = {}, clock: Clock = systemClock): LinkLease {
  const key = endpointKey(endpoint);
  let entry = links.get(key);
  let warning: string | undefined;
  if (!entry) {
    entry = { link: new ModbusClientLink(endpoint, options, clock), refs: 0, endpoint, options };
    links.set(key, entry);
  } else {
    const diff = [...differences('', entry.endpoint, endpoint), ...differences('', entry.options, options)];
    if (diff.length) warning = `${key} is shared and keeps the settings it was opened with; ignored here: ${diff.join(', ')}`;
  }
  entry.refs++;
  const e = entry;
  let released = false;
  return {
    link: e.link,
    key,
    warning,
    release: async () => {
      if (released) return;
      released = true;
      e.refs--;
      if (e.refs > 0) return;
      if (links.get(key) === e) links.delete(key);
      await e.link.close();
    },
  };
}

/** Keys and reference counts of the open links (for diagnostics and tests). */
export function openLinks(): Array<{ key: string; refs: number; connected: boolean }> {
  return [...links.entries()].map(([key, e]) => ({ key, refs: e.refs, connected: e.link.connected }));
}
