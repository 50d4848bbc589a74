/**
 * A minimal mDNS / DNS-SD responder for tests and the virtual home, on the `multicast-dns` package:
 * answers PTR, SRV, TXT, A (and ANY) questions about the instances it is given, the way a Sessy
 * dongle announces itself (shared/protocols/sessy.md §1.2: service `_http._tcp.local`, instance
 * `sessy-…`, TXT `serial` and `device`).
 *
 * Reply routing (RFC 6762): a query from a source port other than 5353 is a legacy unicast query
 * (§6.7) and gets a unicast reply to the querier's address and port, with the query ID and question
 * repeated, TTLs capped at 10 s and no cache-flush bits. A query from port 5353 gets a multicast
 * reply on the group when the responder joined it (§6), else a unicast one; a QU question (§5.4) is
 * answered by unicast as well.
 *
 * `localOnly` (used by the virtual home) answers only queries sent from this machine's own
 * addresses, so simulated devices on 127.0.0.1 are never offered to other hosts on the LAN.
 */
import * as dgram from 'node:dgram';
import * as os from 'node:os';
import { encode } from 'dns-packet';
import makeMdns from 'multicast-dns';
import { MDNS_ADDRESS, MDNS_PORT, SESSY_SERVICE } from '../transport/mdns';

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

/** A record as dns-packet encodes it. */
interface Rec {
  name: string;
  type: 'PTR' | 'SRV' | 'TXT' | 'A';
  ttl: number;
  flush?: boolean;
  data: unknown;
}

interface Query {
  id?: number;
  questions?: Array<{ name: string; type: string; class?: string }>;
}

type Mdns = ReturnType<typeof makeMdns>;

export class MdnsResponder {
  private readonly opts: MdnsResponderOptions;
  instances: MdnsInstance[];
  private mdns?: Mdns;
  private boundPort = 0;
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
    return this.mdns ? this.boundPort : 0;
  }

  /** Whether the responder is a member of the multicast group. */
  get multicast(): boolean {
    return this.joined;
  }

  async start(): Promise<{ address: string; port: number; multicast: boolean }> {
    const port = this.opts.port ?? MDNS_PORT;
    const wantGroup = this.opts.multicast ?? port === MDNS_PORT;
    const bind = this.opts.bind ?? (wantGroup ? '0.0.0.0' : '127.0.0.1');
    if (this.mdns) return { address: bind, port: this.port, multicast: this.joined };
    let m: Mdns;
    if (wantGroup && port !== 0) {
      // multicast-dns binds, joins the group on every interface (checked again every 5 s) and sets TTL and loopback.
      m = makeMdns({ port, bind, multicast: true, interface: this.opts.interface, reuseAddr: true, loopback: true });
      m.on('networkInterface', () => (this.joined = true));
      await new Promise<void>((resolve, reject) => {
        m.once('ready', resolve);
        m.once('error', reject);
      }).catch((e: Error) => {
        m.destroy();
        throw e;
      });
      this.boundPort = port;
    } else {
      // Bound here so that port 0 gives a known ephemeral port before the first query (tests, unicast only).
      const socket = dgram.createSocket({ type: 'udp4', reuseAddr: true });
      await new Promise<void>((resolve, reject) => {
        socket.once('error', reject);
        socket.bind(port, bind, () => {
          socket.off('error', reject);
          resolve();
        });
      });
      this.boundPort = socket.address().port;
      m = makeMdns({ socket, bind: false, port: this.boundPort, multicast: false });
    }
    m.on('error', (e: Error) => (this.lastError = e));
    m.on('warning', (e: Error) => (this.lastError = e));
    m.on('query', (q: Query, rinfo: dgram.RemoteInfo) => this.onQuery(q, rinfo));
    this.mdns = m;
    return { address: bind, port: this.boundPort, multicast: this.joined };
  }

  async stop(): Promise<void> {
    const m = this.mdns;
    this.mdns = undefined;
    this.joined = false;
    if (m) await new Promise<void>((resolve) => m.destroy(() => resolve()));
  }

  /** The records answering one question (answers) and their helpers (additionals). */
  private recordsFor(q: { name: string; type: string }, ttl: number, flush: boolean): { answers: Rec[]; additionals: Rec[] } {
    const answers: Rec[] = [];
    const additionals: Rec[] = [];
    const qn = String(q.name).toLowerCase().replace(/\.$/, '');
    const any = q.type === 'ANY';
    for (const inst of this.instances) {
      const service = inst.service ?? SESSY_SERVICE;
      const full = `${inst.name}.${service}`;
      const srv: Rec = { name: full, type: 'SRV', ttl, flush, data: { priority: 0, weight: 0, port: inst.port, target: inst.host } };
      const txt: Rec = { name: full, type: 'TXT', ttl, flush, data: Object.entries(inst.txt ?? {}).map(([k, v]) => `${k}=${v}`) };
      const a: Rec = { name: inst.host, type: 'A', ttl, flush, data: inst.address };
      if (qn === service.toLowerCase() && (q.type === 'PTR' || any)) {
        answers.push({ name: service, type: 'PTR', ttl, data: full });
        additionals.push(srv, txt, a);
      } else if (qn === full.toLowerCase()) {
        if (q.type === 'SRV' || any) answers.push(srv);
        if (q.type === 'TXT' || any) answers.push(txt);
        if (answers.length) additionals.push(a);
      } else if (qn === inst.host.toLowerCase() && (q.type === 'A' || any)) {
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

  private onQuery(q: Query, rinfo: dgram.RemoteInfo): void {
    const questions = Array.isArray(q.questions) ? q.questions : [];
    if (!questions.length) return;
    this.queries++;
    if (this.opts.localOnly && !this.isLocal(rinfo.address)) return;
    const legacy = rinfo.port !== MDNS_PORT;
    const ttl = legacy ? Math.min(10, this.opts.ttl ?? 120) : (this.opts.ttl ?? 120);
    const answers: Rec[] = [];
    const additionals: Rec[] = [];
    let unicast = legacy;
    for (const question of questions) {
      const r = this.recordsFor(question, ttl, !legacy);
      // dns-packet 5 reads a question's QU bit (RFC 6762 §5.4) as class "UNKNOWN_32769".
      if (r.answers.length && question.class === 'UNKNOWN_32769') unicast = true;
      answers.push(...r.answers);
      additionals.push(...r.additionals);
    }
    const m = this.mdns;
    if (!answers.length || !m) return;
    const key = (r: Rec) => `${r.name.toLowerCase()}|${r.type}`;
    const seen = new Set(answers.map(key));
    const extra = additionals.filter((r) => !seen.has(key(r)) && seen.add(key(r)));
    const reply = {
      type: 'response' as const,
      id: legacy ? (q.id ?? 0) : 0,
      questions: legacy ? questions.map((x) => ({ name: x.name, type: x.type, class: 'IN' })) : [],
      answers,
      additionals: this.opts.omitAdditionals ? [] : extra,
    };
    try {
      encode(reply as Parameters<typeof encode>[0]); // a bad instance (label > 63 bytes, bad address) is reported, not thrown from a socket callback
    } catch (e) {
      this.lastError = e as Error;
      return;
    }
    this.answered++;
    const to = unicast || !this.joined ? { address: rinfo.address, port: rinfo.port } : { address: MDNS_ADDRESS, port: this.boundPort };
    m.respond(reply as Parameters<Mdns['respond']>[0], to, (e?: Error | null) => {
      if (e) this.lastError = e;
    });
  }
}
