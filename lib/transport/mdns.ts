/**
 * Sessy discovery over mDNS / DNS-SD (RFC 6762, RFC 6763) on the `multicast-dns` package (sockets,
 * group membership, packets through `dns-packet`): one PTR query for `_http._tcp.local`, answers
 * collected for a while, instances whose name starts with `sessy-` returned with their SRV target
 * and port, TXT keys and IPv4 address.
 *
 * Facts used (shared/protocols/sessy.md §1.2): the dongles announce DNS-SD service `_http._tcp.local.`
 * with an instance name starting `sessy-` (ha-sessy manifest.json zeroconf entry; Homey app
 * discovery/sessy.json); TXT `serial` is the dongle serial (= API user name) and TXT `device` is free
 * text containing `Dongle` (battery), `P1` or `CT` (Homey drivers; exact strings UNCONFIRMED). The
 * device type follows the serial's first letter where known (§1.1: D battery dongle, P P1 dongle,
 * C CT dongle), else the TXT `device` text.
 *
 * The query is sent from an ephemeral port, i.e. as a "legacy unicast" query (RFC 6762 §6.7): a
 * responder answers it with a unicast packet to the sender's address and port, so no multicast group
 * membership is needed to receive it. For responders that answer on the multicast group anyway, the
 * client also listens on port 5353 (best effort; skipped when that port cannot be bound).
 *
 * Packets that do not decode are dropped by multicast-dns; records of unexpected shape are skipped
 * here, so a broken responder never throws into the caller.
 */
import makeMdns from 'multicast-dns';
import { systemClock, type Clock, type Timer } from '../util/clock';

export const MDNS_ADDRESS = '224.0.0.251';
export const MDNS_PORT = 5353;
export const SESSY_SERVICE = '_http._tcp.local';

/** A DNS record as dns-packet decodes it (only the fields read here). */
export interface MdnsRecord {
  name: string;
  type: string;
  data?: unknown;
}

/** A decoded packet's record sections. */
export interface MdnsPacket {
  answers?: MdnsRecord[];
  additionals?: MdnsRecord[];
  authorities?: MdnsRecord[];
}

/** TXT strings → key/value map (RFC 6763 §6.3: key before '=', first occurrence wins, keys case-insensitive). */
export function txtToMap(list: ReadonlyArray<string | Uint8Array>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of list) {
    const s = typeof item === 'string' ? item : Buffer.from(item).toString('utf8');
    if (!s) continue;
    const i = s.indexOf('=');
    const key = (i < 0 ? s : s.slice(0, i)).toLowerCase();
    if (!key || Object.prototype.hasOwnProperty.call(out, key)) continue;
    out[key] = i < 0 ? '' : s.slice(i + 1);
  }
  return out;
}

export type SessyDeviceType = 'battery' | 'p1' | 'ct' | 'unknown';

export interface SessyDiscovered {
  /** Instance name, e.g. "sessy-d1a2". */
  name: string;
  /** SRV target host name, e.g. "sessy-d1a2.local" (empty when no SRV record came). */
  host: string;
  /** IPv4 address: from the A record of the host, else the sender of the answer. */
  address: string;
  /** HTTP port (SRV; 80 when no SRV record came). */
  port: number;
  /** TXT `serial` (the API user name), or null. */
  serial: string | null;
  /** TXT `device` text, or null. */
  device: string | null;
  type: SessyDeviceType;
  /** Every TXT key (lower-case keys). */
  txt: Record<string, string>;
}

/**
 * Device type: the serial's first letter when it is one of D/P/C (sessy.md §1.1), else the TXT
 * `device` text (P1, CT, Dongle/battery; sessy.md §1.2). A P1 or CT text is tested before "Dongle",
 * as the meters may call themselves dongles too.
 */
export function sessyTypeOf(serial: string | null | undefined, device: string | null | undefined): SessyDeviceType {
  const c = (serial ?? '').trim().charAt(0).toUpperCase();
  if (c === 'D') return 'battery';
  if (c === 'P') return 'p1';
  if (c === 'C') return 'ct';
  const d = device ?? '';
  if (/\bP1\b/i.test(d)) return 'p1';
  if (/\bCT\b/i.test(d)) return 'ct';
  if (/dongle|battery|batterij/i.test(d)) return 'battery';
  return 'unknown';
}

export interface DiscoverOptions {
  /** How long to collect answers, ms (default 3000). */
  timeoutMs?: number;
  /** Where the query goes: default the mDNS group 224.0.0.251 (a unicast address queries one responder). */
  address?: string;
  /** Default 5353. */
  port?: number;
  /** Local IPv4 address of the interface to send multicast on (default: the system's choice). */
  interface?: string;
  /** Also listen on the mDNS group for multicast answers (default true when address is the group). */
  listenMulticast?: boolean;
  /** Default systemClock. */
  clock?: Clock;
  /** Ends the search early; the answers so far are returned. */
  signal?: AbortSignal;
}

interface Srv {
  port: number;
  target: string;
}

interface Gathered {
  ptr: Set<string>;
  srv: Map<string, Srv>;
  txt: Map<string, Array<string | Uint8Array>>;
  a: Map<string, string>;
  from: Map<string, string>;
}

export function newGathered(): Gathered {
  return { ptr: new Set(), srv: new Map(), txt: new Map(), a: new Map(), from: new Map() };
}

const isSrv = (d: unknown): d is Srv => !!d && typeof d === 'object' && Number.isInteger((d as Srv).port) && typeof (d as Srv).target === 'string';
const isTxt = (d: unknown): d is Array<string | Uint8Array> => Array.isArray(d) && d.every((x) => typeof x === 'string' || x instanceof Uint8Array);

/** Adds one decoded packet's records to the collection; records of an unexpected shape are skipped. */
export function gather(g: Gathered, packet: MdnsPacket, sender: string, service = SESSY_SERVICE): void {
  const svc = service.toLowerCase();
  const records = [...(packet.answers ?? []), ...(packet.additionals ?? []), ...(packet.authorities ?? [])];
  for (const r of records) {
    if (!r || typeof r.name !== 'string') continue;
    const name = r.name.toLowerCase();
    if (r.type === 'PTR' && name === svc && typeof r.data === 'string') {
      const inst = r.data.toLowerCase();
      const label = inst.split('.')[0] ?? '';
      if (label.startsWith('sessy-') && inst.endsWith('.' + svc)) {
        g.ptr.add(inst);
        if (!g.from.has(inst)) g.from.set(inst, sender);
      }
    } else if (r.type === 'SRV' && isSrv(r.data)) {
      g.srv.set(name, { port: r.data.port, target: r.data.target });
      if (!g.from.has(name)) g.from.set(name, sender);
    } else if (r.type === 'TXT' && isTxt(r.data)) {
      g.txt.set(name, r.data);
    } else if (r.type === 'A' && typeof r.data === 'string') {
      g.a.set(name, r.data);
    }
  }
}

/** The Sessy instances in a collection, sorted by name. */
export function sessyResults(g: Gathered): SessyDiscovered[] {
  const out: SessyDiscovered[] = [];
  for (const inst of g.ptr) {
    const label = inst.split('.')[0];
    const srv = g.srv.get(inst);
    const txt = txtToMap(g.txt.get(inst) ?? []);
    const host = srv?.target ?? '';
    const address = (host && g.a.get(host.toLowerCase())) || g.from.get(inst) || '';
    const serial = txt.serial ? txt.serial.trim() : null;
    const device = txt.device ?? null;
    out.push({ name: label, host, address, port: srv?.port || 80, serial, device, type: sessyTypeOf(serial, device), txt });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

function isMulticast(addr: string): boolean {
  const first = Number(addr.split('.')[0]);
  return first >= 224 && first <= 239;
}

type Mdns = ReturnType<typeof makeMdns>;

/**
 * Looks for Sessy dongles: sends a PTR query for `_http._tcp.local` (again after a third of the
 * timeout, and SRV/TXT queries for instances whose details did not come with the PTR answer) and
 * returns the instances whose name starts with `sessy-` after `timeoutMs`. Rejects only when the
 * socket cannot be opened or the first query cannot be sent; an empty network gives [].
 */
export function discoverSessy(opts: DiscoverOptions = {}): Promise<SessyDiscovered[]> {
  const clock = opts.clock ?? systemClock;
  const timeoutMs = opts.timeoutMs ?? 3000;
  const target = { address: opts.address ?? MDNS_ADDRESS, port: opts.port ?? MDNS_PORT };
  const multicast = isMulticast(target.address);
  const listen = opts.listenMulticast ?? (multicast && target.address === MDNS_ADDRESS);
  const g = newGathered();
  const asked = new Set<string>();
  const timers: Timer[] = [];
  const instances: Mdns[] = [];

  return new Promise<SessyDiscovered[]>((resolve, reject) => {
    let finished = false;
    const finish = (err?: Error) => {
      if (finished) return;
      finished = true;
      for (const t of timers) t.cancel();
      for (const m of instances) m.destroy();
      opts.signal?.removeEventListener('abort', onAbort);
      if (err) reject(err);
      else resolve(sessyResults(g));
    };
    const onAbort = () => finish();
    if (opts.signal?.aborted) return resolve([]);
    opts.signal?.addEventListener('abort', onAbort, { once: true });

    const onResponse = (packet: MdnsPacket, rinfo: { address: string }) => {
      gather(g, packet, rinfo.address);
      // Ask for details the answer left out (a responder that sends PTR only).
      const missing: Array<{ name: string; type: 'SRV' | 'TXT' }> = [];
      for (const inst of g.ptr) {
        if (asked.has(inst) || (g.srv.has(inst) && g.txt.has(inst))) continue;
        asked.add(inst);
        missing.push({ name: inst, type: 'SRV' }, { name: inst, type: 'TXT' });
      }
      if (missing.length && !finished) main.query(missing, { ...target });
    };

    // Port 0: no bind of our own; the first send binds an ephemeral port (a legacy-unicast querier).
    const main = makeMdns({ port: 0, multicast, interface: opts.interface, reuseAddr: false });
    instances.push(main);
    main.on('error', (e: Error) => finish(e));
    main.on('warning', () => undefined); // undecodable packets: dropped
    main.on('response', onResponse);
    const query = () => main.query([{ name: SESSY_SERVICE, type: 'PTR' }], { ...target });
    main.query([{ name: SESSY_SERVICE, type: 'PTR' }], { ...target }, (e?: Error | null) => {
      if (e) finish(e);
    });
    timers.push(clock.setTimeout(() => !finished && query(), Math.max(1, Math.floor(timeoutMs / 3))));
    timers.push(clock.setTimeout(() => finish(), timeoutMs));

    if (listen) {
      // Best effort: multicast answers (responders that ignore the legacy-unicast rule).
      const mc = makeMdns({ port: MDNS_PORT, interface: opts.interface, bind: '0.0.0.0' });
      instances.push(mc);
      mc.on('error', () => undefined); // 5353 taken without reuse, or no multicast: the unicast answers still arrive
      mc.on('warning', () => undefined);
      mc.on('response', onResponse);
    }
  });
}
