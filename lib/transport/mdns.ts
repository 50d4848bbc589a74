/**
 * A small mDNS / DNS-SD client (RFC 6762, RFC 6763) on node:dgram, enough to find Sessy dongles:
 * one PTR query for `_http._tcp.local`, answers collected for a while, instances whose name starts
 * with `sessy-` returned with their SRV target and port, TXT keys and IPv4 address.
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
 * The parser never throws: malformed packets yield null or the records read before the damage.
 */
import * as dgram from 'node:dgram';
import { systemClock, type Clock, type Timer } from '../util/clock';

export const MDNS_ADDRESS = '224.0.0.251';
export const MDNS_PORT = 5353;
export const SESSY_SERVICE = '_http._tcp.local';

export const RR = { A: 1, PTR: 12, TXT: 16, AAAA: 28, SRV: 33, ANY: 255 } as const;
const CLASS_IN = 1;

export interface DnsQuestion {
  name: string;
  type: number;
  /** Class without the unicast-response bit (1 = IN). */
  class?: number;
  /** QU bit (RFC 6762 §5.4). */
  unicastResponse?: boolean;
}

export interface SrvData {
  priority: number;
  weight: number;
  port: number;
  target: string;
}

export type DnsRecordData = string | SrvData | string[] | Uint8Array;

export interface DnsRecord {
  name: string;
  type: number;
  class?: number;
  /** Cache-flush bit (RFC 6762 §10.2). */
  cacheFlush?: boolean;
  ttl: number;
  /** PTR: target name; A/AAAA: address text; SRV: SrvData; TXT: the strings; others: raw bytes. */
  data: DnsRecordData;
}

export interface DnsMessage {
  id: number;
  flags: number;
  questions: DnsQuestion[];
  answers: DnsRecord[];
  authorities: DnsRecord[];
  additionals: DnsRecord[];
  /** True when the packet ended or broke before every announced record was read. */
  truncated?: boolean;
}

/** QR bit: 1 = response. */
export const FLAG_RESPONSE = 0x8000;
/** AA bit (every mDNS response sets it). */
export const FLAG_AUTHORITATIVE = 0x0400;

// ---------------------------------------------------------------------------------------------
// Encoding
// ---------------------------------------------------------------------------------------------

class Writer {
  private buf = Buffer.alloc(512);
  len = 0;
  private readonly names = new Map<string, number>();

  private room(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const b = Buffer.alloc(Math.max(this.buf.length * 2, this.len + n));
    this.buf.copy(b, 0, 0, this.len);
    this.buf = b;
  }

  u8(v: number): void {
    this.room(1);
    this.buf[this.len++] = v & 0xff;
  }

  u16(v: number): void {
    this.room(2);
    this.buf.writeUInt16BE(v & 0xffff, this.len);
    this.len += 2;
  }

  u32(v: number): void {
    this.room(4);
    this.buf.writeUInt32BE(v >>> 0, this.len);
    this.len += 4;
  }

  bytes(b: Uint8Array): void {
    this.room(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }

  /** A domain name, compressed against names written before unless `compress` is false. */
  name(name: string, compress = true): void {
    const labels = splitName(name);
    for (let i = 0; i < labels.length; i++) {
      const key = labels.slice(i).join('.').toLowerCase();
      const at = this.names.get(key);
      if (compress && at !== undefined) {
        this.u16(0xc000 | at);
        return;
      }
      if (this.len < 0x3fff) this.names.set(key, this.len);
      const l = Buffer.from(labels[i], 'utf8');
      if (l.length === 0 || l.length > 63) throw new Error(`DNS label of ${l.length} bytes in ${JSON.stringify(name)}`);
      this.u8(l.length);
      this.bytes(l);
    }
    this.u8(0);
  }

  at(): number {
    return this.len;
  }

  patch16(pos: number, v: number): void {
    this.buf.writeUInt16BE(v & 0xffff, pos);
  }

  result(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.len));
  }
}

function splitName(name: string): string[] {
  return name.replace(/\.$/, '').split('.').filter((l) => l.length > 0);
}

function writeRecord(w: Writer, r: DnsRecord): void {
  w.name(r.name);
  w.u16(r.type);
  w.u16(((r.class ?? CLASS_IN) & 0x7fff) | (r.cacheFlush ? 0x8000 : 0));
  w.u32(r.ttl);
  const lenAt = w.at();
  w.u16(0);
  const start = w.at();
  const d = r.data;
  switch (r.type) {
    case RR.PTR:
      w.name(String(d));
      break;
    case RR.SRV: {
      const s = d as SrvData;
      w.u16(s.priority);
      w.u16(s.weight);
      w.u16(s.port);
      w.name(s.target, false); // RFC 2782: the SRV target is not compressed
      break;
    }
    case RR.TXT: {
      const list = (d as string[]).length ? (d as string[]) : [''];
      for (const s of list) {
        const b = Buffer.from(s, 'utf8');
        if (b.length > 255) throw new Error('TXT string longer than 255 bytes');
        w.u8(b.length);
        w.bytes(b);
      }
      break;
    }
    case RR.A: {
      const parts = String(d).split('.').map(Number);
      if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) throw new Error(`bad IPv4 address ${String(d)}`);
      for (const p of parts) w.u8(p);
      break;
    }
    default:
      w.bytes(d as Uint8Array);
  }
  w.patch16(lenAt, w.at() - start);
}

/** Encodes a DNS message (with name compression). Throws on invalid input (labels > 63 bytes, bad addresses). */
export function encodeDnsMessage(m: Partial<DnsMessage>): Buffer {
  const w = new Writer();
  const qs = m.questions ?? [];
  const an = m.answers ?? [];
  const ns = m.authorities ?? [];
  const ar = m.additionals ?? [];
  w.u16(m.id ?? 0);
  w.u16(m.flags ?? 0);
  w.u16(qs.length);
  w.u16(an.length);
  w.u16(ns.length);
  w.u16(ar.length);
  for (const q of qs) {
    w.name(q.name);
    w.u16(q.type);
    w.u16(((q.class ?? CLASS_IN) & 0x7fff) | (q.unicastResponse ? 0x8000 : 0));
  }
  for (const r of [...an, ...ns, ...ar]) writeRecord(w, r);
  return w.result();
}

/** A standard query packet for one or more names (default: PTR `_http._tcp.local`). */
export function buildQuery(questions: DnsQuestion[] = [{ name: SESSY_SERVICE, type: RR.PTR }], id = 0): Buffer {
  return encodeDnsMessage({ id, flags: 0, questions });
}

// ---------------------------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------------------------

class ParseError extends Error {}

const MAX_NAME = 255;
const MAX_JUMPS = 64;

/** Reads a (possibly compressed) name at off; returns it and the offset after it in the packet. */
function readName(buf: Uint8Array, off: number): { name: string; next: number } {
  const labels: string[] = [];
  let pos = off;
  let next = -1;
  let jumps = 0;
  let total = 0;
  for (;;) {
    if (pos >= buf.length) throw new ParseError('name runs past the packet');
    const len = buf[pos];
    if ((len & 0xc0) === 0xc0) {
      if (pos + 1 >= buf.length) throw new ParseError('cut compression pointer');
      const target = ((len & 0x3f) << 8) | buf[pos + 1];
      // Pointers must point backwards (to an earlier occurrence); this also rules out loops.
      if (target >= pos) throw new ParseError('forward compression pointer');
      if (++jumps > MAX_JUMPS) throw new ParseError('too many compression pointers');
      if (next < 0) next = pos + 2;
      pos = target;
      continue;
    }
    if ((len & 0xc0) !== 0) throw new ParseError('reserved label type');
    if (len === 0) {
      if (next < 0) next = pos + 1;
      break;
    }
    if (pos + 1 + len > buf.length) throw new ParseError('label runs past the packet');
    total += len + 1;
    if (total > MAX_NAME) throw new ParseError('name longer than 255 bytes');
    labels.push(Buffer.from(buf.buffer, buf.byteOffset + pos + 1, len).toString('utf8'));
    pos += 1 + len;
  }
  return { name: labels.join('.'), next };
}

function u16(buf: Uint8Array, off: number): number {
  if (off + 2 > buf.length) throw new ParseError('packet too short');
  return (buf[off] << 8) | buf[off + 1];
}

function u32(buf: Uint8Array, off: number): number {
  if (off + 4 > buf.length) throw new ParseError('packet too short');
  return ((buf[off] << 24) >>> 0) + ((buf[off + 1] << 16) | (buf[off + 2] << 8) | buf[off + 3]);
}

function readRecord(buf: Uint8Array, off: number): { rec: DnsRecord; next: number } {
  const n = readName(buf, off);
  let p = n.next;
  const type = u16(buf, p);
  const cls = u16(buf, p + 2);
  const ttl = u32(buf, p + 4);
  const rdlen = u16(buf, p + 8);
  p += 10;
  const end = p + rdlen;
  if (end > buf.length) throw new ParseError('record data runs past the packet');
  let data: DnsRecordData;
  switch (type) {
    case RR.PTR: {
      const t = readName(buf, p);
      if (t.next > end) throw new ParseError('PTR name runs past its record');
      data = t.name;
      break;
    }
    case RR.SRV: {
      if (rdlen < 7) throw new ParseError('short SRV record');
      const t = readName(buf, p + 6);
      if (t.next > end) throw new ParseError('SRV target runs past its record');
      data = { priority: u16(buf, p), weight: u16(buf, p + 2), port: u16(buf, p + 4), target: t.name };
      break;
    }
    case RR.TXT: {
      const list: string[] = [];
      let q = p;
      while (q < end) {
        const l = buf[q];
        if (q + 1 + l > end) throw new ParseError('TXT string runs past its record');
        list.push(Buffer.from(buf.buffer, buf.byteOffset + q + 1, l).toString('utf8'));
        q += 1 + l;
      }
      data = list;
      break;
    }
    case RR.A:
      if (rdlen !== 4) throw new ParseError('A record is not 4 bytes');
      data = `${buf[p]}.${buf[p + 1]}.${buf[p + 2]}.${buf[p + 3]}`;
      break;
    case RR.AAAA: {
      if (rdlen !== 16) throw new ParseError('AAAA record is not 16 bytes');
      const parts: string[] = [];
      for (let i = 0; i < 16; i += 2) parts.push(((buf[p + i] << 8) | buf[p + i + 1]).toString(16));
      data = parts.join(':');
      break;
    }
    default:
      data = Uint8Array.prototype.slice.call(buf, p, end);
  }
  return { rec: { name: n.name, type, class: cls & 0x7fff, cacheFlush: (cls & 0x8000) !== 0, ttl, data }, next: end };
}

/**
 * Parses a DNS message. Returns null when not even the header and questions can be read; otherwise
 * every record up to the first damaged one (then `truncated: true`). Never throws.
 */
export function parseDnsMessage(input: Uint8Array): DnsMessage | null {
  try {
    const buf = input;
    if (!buf || buf.length < 12) return null;
    const id = u16(buf, 0);
    const flags = u16(buf, 2);
    const counts = [u16(buf, 4), u16(buf, 6), u16(buf, 8), u16(buf, 10)];
    const msg: DnsMessage = { id, flags, questions: [], answers: [], authorities: [], additionals: [] };
    let off = 12;
    try {
      for (let i = 0; i < counts[0]; i++) {
        const n = readName(buf, off);
        const type = u16(buf, n.next);
        const cls = u16(buf, n.next + 2);
        msg.questions.push({ name: n.name, type, class: cls & 0x7fff, unicastResponse: (cls & 0x8000) !== 0 });
        off = n.next + 4;
      }
    } catch (e) {
      if (e instanceof ParseError) return null;
      throw e;
    }
    const sections: DnsRecord[][] = [msg.answers, msg.authorities, msg.additionals];
    for (let s = 0; s < 3; s++) {
      for (let i = 0; i < counts[s + 1]; i++) {
        try {
          const r = readRecord(buf, off);
          sections[s].push(r.rec);
          off = r.next;
        } catch (e) {
          if (!(e instanceof ParseError)) throw e;
          msg.truncated = true;
          return msg;
        }
      }
    }
    return msg;
  } catch {
    return null; // anything unexpected: treat the packet as garbage
  }
}

/** TXT strings → key/value map (RFC 6763 §6.3: key before '=', first occurrence wins, keys case-insensitive). */
export function txtToMap(list: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const s of list) {
    if (!s) continue;
    const i = s.indexOf('=');
    const key = (i < 0 ? s : s.slice(0, i)).toLowerCase();
    if (!key || Object.prototype.hasOwnProperty.call(out, key)) continue;
    out[key] = i < 0 ? '' : s.slice(i + 1);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Sessy discovery
// ---------------------------------------------------------------------------------------------

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

interface Gathered {
  ptr: Set<string>;
  srv: Map<string, SrvData>;
  txt: Map<string, string[]>;
  a: Map<string, string>;
  from: Map<string, string>;
}

/** Adds one parsed packet's records to the collection (exported for tests). */
export function gather(g: Gathered, msg: DnsMessage, sender: string, service = SESSY_SERVICE): void {
  const svc = service.toLowerCase();
  for (const r of [...msg.answers, ...msg.additionals, ...msg.authorities]) {
    const name = r.name.toLowerCase();
    if (r.type === RR.PTR && name === svc && typeof r.data === 'string') {
      const inst = r.data;
      const label = inst.split('.')[0] ?? '';
      if (label.toLowerCase().startsWith('sessy-') && inst.toLowerCase().endsWith('.' + svc)) {
        g.ptr.add(inst.toLowerCase());
        if (!g.from.has(inst.toLowerCase())) g.from.set(inst.toLowerCase(), sender);
      }
    } else if (r.type === RR.SRV && typeof r.data === 'object' && !Array.isArray(r.data) && !(r.data instanceof Uint8Array)) {
      g.srv.set(name, r.data);
      if (!g.from.has(name)) g.from.set(name, sender);
    } else if (r.type === RR.TXT && Array.isArray(r.data)) {
      g.txt.set(name, r.data);
    } else if (r.type === RR.A && typeof r.data === 'string') {
      g.a.set(name, r.data);
    }
  }
}

export function newGathered(): Gathered {
  return { ptr: new Set(), srv: new Map(), txt: new Map(), a: new Map(), from: new Map() };
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

/**
 * Looks for Sessy dongles: sends a PTR query for `_http._tcp.local` (again after a third of the
 * timeout, and SRV/TXT queries for instances whose details did not come with the PTR answer) and
 * returns the instances whose name starts with `sessy-` after `timeoutMs`. Rejects only when the
 * socket cannot be opened or the first query cannot be sent; an empty network gives [].
 */
export function discoverSessy(opts: DiscoverOptions = {}): Promise<SessyDiscovered[]> {
  const clock = opts.clock ?? systemClock;
  const timeoutMs = opts.timeoutMs ?? 3000;
  const address = opts.address ?? MDNS_ADDRESS;
  const port = opts.port ?? MDNS_PORT;
  const multicast = isMulticast(address);
  const listen = opts.listenMulticast ?? (multicast && address === MDNS_ADDRESS);
  const g = newGathered();
  const asked = new Set<string>();
  const timers: Timer[] = [];
  const sockets: dgram.Socket[] = [];

  return new Promise<SessyDiscovered[]>((resolve, reject) => {
    let finished = false;
    const finish = (err?: Error) => {
      if (finished) return;
      finished = true;
      for (const t of timers) t.cancel();
      for (const s of sockets) {
        try {
          s.close();
        } catch {
          /* already closed */
        }
      }
      opts.signal?.removeEventListener('abort', onAbort);
      if (err) reject(err);
      else resolve(sessyResults(g));
    };
    const onAbort = () => finish();
    if (opts.signal?.aborted) {
      resolve([]);
      return;
    }
    opts.signal?.addEventListener('abort', onAbort, { once: true });

    const onMessage = (buf: Buffer, rinfo: dgram.RemoteInfo) => {
      const msg = parseDnsMessage(buf);
      if (!msg || !(msg.flags & FLAG_RESPONSE)) return;
      gather(g, msg, rinfo.address);
      // Ask for details the answer left out (a responder that sends PTR only).
      const missing: DnsQuestion[] = [];
      for (const inst of g.ptr) {
        if (asked.has(inst)) continue;
        if (!g.srv.has(inst) || !g.txt.has(inst)) {
          asked.add(inst);
          missing.push({ name: inst, type: RR.SRV }, { name: inst, type: RR.TXT });
        }
      }
      if (missing.length) send(buildQuery(missing));
    };

    const main = dgram.createSocket({ type: 'udp4', reuseAddr: false });
    sockets.push(main);
    main.on('error', (e) => finish(e));
    main.on('message', onMessage);

    const send = (packet: Buffer, cb?: (e: Error | null) => void) => {
      if (finished) return;
      main.send(packet, port, address, (e) => cb?.(e ?? null));
    };

    main.bind(0, () => {
      try {
        if (multicast) {
          main.setMulticastTTL(255);
          main.setMulticastLoopback(true);
          if (opts.interface) main.setMulticastInterface(opts.interface);
        }
      } catch (e) {
        finish(e as Error);
        return;
      }
      const query = buildQuery();
      send(query, (e) => {
        if (e) finish(e);
      });
      timers.push(clock.setTimeout(() => send(query), Math.max(1, Math.floor(timeoutMs / 3))));
      timers.push(clock.setTimeout(() => finish(), timeoutMs));
    });

    if (listen) {
      // Best effort: multicast answers (responders that ignore the legacy-unicast rule).
      const mc = dgram.createSocket({ type: 'udp4', reuseAddr: true });
      sockets.push(mc);
      mc.on('error', () => {
        try {
          mc.close();
        } catch {
          /* ignore */
        }
      });
      mc.on('message', onMessage);
      try {
        mc.bind(MDNS_PORT, () => {
          try {
            mc.addMembership(MDNS_ADDRESS, opts.interface);
          } catch {
            /* no multicast here: the unicast answers still arrive */
          }
        });
      } catch {
        /* port unavailable */
      }
    }
  });
}
