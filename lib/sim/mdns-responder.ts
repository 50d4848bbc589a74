/**
 * A minimal mDNS / DNS-SD responder for tests and the virtual home: answers PTR, SRV, TXT, A (and
 * ANY) questions about the instances it is given, the way a Sessy dongle announces itself
 * (shared/protocols/sessy.md §1.2: service `_http._tcp.local`, instance `sessy-…`, TXT `serial`
 * and `device`).
 *
 * Reply routing (RFC 6762): a query from a source port other than 5353 is a legacy unicast query
 * (§6.7) and gets a unicast reply to the querier's address and port, with the query ID and question
 * repeated, TTLs capped at 10 s and no cache-flush bits. A query from port 5353 gets a multicast
 * reply on the group when the responder joined it (§6), else a unicast one; a QU question
 * (§5.4) is answered by unicast as well.
 *
 * `localOnly` (used by the virtual home) answers only queries sent from this machine's own
 * addresses, so simulated devices on 127.0.0.1 are never offered to other hosts on the LAN.
 */
import * as dgram from 'node:dgram';
import * as os from 'node:os';
import {
  encodeDnsMessage,
  FLAG_AUTHORITATIVE,
  FLAG_RESPONSE,
  MDNS_ADDRESS,
  MDNS_PORT,
  parseDnsMessage,
  RR,
  SESSY_SERVICE,
  type DnsQuestion,
  type DnsRecord,
} from '../transport/mdns';

export interface MdnsInstance {
  /** Instance label, e.g. "sessy-dsim0001". */
  name: string;
  /** Service, default `_http._tcp.local`. */
  service?: string;
  /** SRV target host, e.g. "sessy-dsim0001.local". */
  host: string;
  port: number;
  /** IPv4 address for the A record. */
  address: string;
  txt?: Record<string, string>;
}

export interface MdnsResponderOptions {
  instances: MdnsInstance[];
  /** Bind address: default 0.0.0.0 when joining the group, else 127.0.0.1. */
  bind?: string;
  /** UDP port, default 5353; 0 = ephemeral (tests, unicast only). */
  port?: number;
  /** Join the mDNS group 224.0.0.251 (default true when port is 5353). */
  multicast?: boolean;
  /** Interface address for the group membership and multicast replies. */
  interface?: string;
  /** Answer only queries from this host's own addresses (default false). */
  localOnly?: boolean;
  /** Record TTL, s (default 120). */
  ttl?: number;
  /** Send only the answers, no additional records (a terse responder; clients must ask again). */
  omitAdditionals?: boolean;
}

export class MdnsResponder {
  private readonly opts: MdnsResponderOptions;
  instances: MdnsInstance[];
  private sock?: dgram.Socket;
  private joined = false;
  /** Queries received / answered (for tests and logs). */
  queries = 0;
  answered = 0;
  /** Last socket error. */
  lastError?: Error;

  constructor(opts: MdnsResponderOptions) {
    this.opts = opts;
    this.instances = opts.instances;
  }

  get port(): number {
    const a = this.sock?.address();
    return a ? a.port : 0;
  }

  /** Whether the responder is a member of the multicast group. */
  get multicast(): boolean {
    return this.joined;
  }

  async start(): Promise<{ address: string; port: number; multicast: boolean }> {
    if (this.sock) return { address: this.sock.address().address, port: this.port, multicast: this.joined };
    const port = this.opts.port ?? MDNS_PORT;
    const wantGroup = this.opts.multicast ?? port === MDNS_PORT;
    const bind = this.opts.bind ?? (wantGroup ? '0.0.0.0' : '127.0.0.1');
    const sock = dgram.createSocket({ type: 'udp4', reuseAddr: true });
    await new Promise<void>((resolve, reject) => {
      sock.once('error', reject);
      sock.bind(port, bind, () => {
        sock.off('error', reject);
        resolve();
      });
    });
    sock.on('error', (e) => (this.lastError = e));
    sock.on('message', (buf, rinfo) => this.onQuery(buf, rinfo));
    if (wantGroup) {
      try {
        sock.addMembership(MDNS_ADDRESS, this.opts.interface);
        sock.setMulticastTTL(255);
        sock.setMulticastLoopback(true);
        if (this.opts.interface) sock.setMulticastInterface(this.opts.interface);
        this.joined = true;
      } catch (e) {
        this.lastError = e as Error; // unicast queries still work
      }
    }
    this.sock = sock;
    return { address: sock.address().address, port: this.port, multicast: this.joined };
  }

  async stop(): Promise<void> {
    const s = this.sock;
    this.sock = undefined;
    this.joined = false;
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  /** The records answering one question (answers) and their helpers (additionals). */
  private recordsFor(q: DnsQuestion, ttl: number, flush: boolean): { answers: DnsRecord[]; additionals: DnsRecord[] } {
    const answers: DnsRecord[] = [];
    const additionals: DnsRecord[] = [];
    const qn = q.name.toLowerCase().replace(/\.$/, '');
    const any = q.type === RR.ANY;
    for (const inst of this.instances) {
      const svc = (inst.service ?? SESSY_SERVICE).toLowerCase();
      const full = `${inst.name}.${inst.service ?? SESSY_SERVICE}`;
      const srv: DnsRecord = { name: full, type: RR.SRV, ttl, cacheFlush: flush, data: { priority: 0, weight: 0, port: inst.port, target: inst.host } };
      const txt: DnsRecord = { name: full, type: RR.TXT, ttl, cacheFlush: flush, data: Object.entries(inst.txt ?? {}).map(([k, v]) => `${k}=${v}`) };
      const a: DnsRecord = { name: inst.host, type: RR.A, ttl, cacheFlush: flush, data: inst.address };
      if (qn === svc && (q.type === RR.PTR || any)) {
        answers.push({ name: inst.service ?? SESSY_SERVICE, type: RR.PTR, ttl, data: full });
        additionals.push(srv, txt, a);
      } else if (qn === full.toLowerCase()) {
        if (q.type === RR.SRV || any) answers.push(srv);
        if (q.type === RR.TXT || any) answers.push(txt);
        if (answers.length) additionals.push(a);
      } else if (qn === inst.host.toLowerCase() && (q.type === RR.A || any)) {
        answers.push(a);
      }
    }
    return { answers, additionals };
  }

  private isLocal(address: string): boolean {
    if (address.startsWith('127.')) return true;
    for (const list of Object.values(os.networkInterfaces())) for (const i of list ?? []) if (i.address === address) return true;
    return false;
  }

  private onQuery(buf: Buffer, rinfo: dgram.RemoteInfo): void {
    const msg = parseDnsMessage(buf);
    if (!msg || msg.flags & FLAG_RESPONSE || !msg.questions.length) return;
    this.queries++;
    if (this.opts.localOnly && !this.isLocal(rinfo.address)) return;
    const legacy = rinfo.port !== MDNS_PORT;
    const ttl = legacy ? Math.min(10, this.opts.ttl ?? 120) : (this.opts.ttl ?? 120);
    const answers: DnsRecord[] = [];
    const additionals: DnsRecord[] = [];
    let unicast = legacy;
    for (const q of msg.questions) {
      const r = this.recordsFor(q, ttl, !legacy);
      if (r.answers.length && q.unicastResponse) unicast = true;
      answers.push(...r.answers);
      additionals.push(...r.additionals);
    }
    if (!answers.length) return;
    const key = (r: DnsRecord) => `${r.name.toLowerCase()}|${r.type}`;
    const seen = new Set(answers.map(key));
    const extra = additionals.filter((r) => {
      const k = key(r);
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    });
    let packet: Buffer;
    try {
      packet = encodeDnsMessage({
        id: legacy ? msg.id : 0,
        flags: FLAG_RESPONSE | FLAG_AUTHORITATIVE,
        questions: legacy ? msg.questions : [],
        answers,
        additionals: this.opts.omitAdditionals ? [] : extra,
      });
    } catch (e) {
      this.lastError = e as Error;
      return;
    }
    const sock = this.sock;
    if (!sock) return;
    const to = unicast || !this.joined ? { address: rinfo.address, port: rinfo.port } : { address: MDNS_ADDRESS, port: this.port };
    this.answered++;
    sock.send(packet, to.port, to.address, (e) => {
      if (e) this.lastError = e;
    });
  }
}
