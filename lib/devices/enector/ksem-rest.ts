/**
 * The ENECTOR behind a KOSTAL Smart Energy Meter (topology A, enector.md §2.2): the KSEM is the
 * wallbox's Modbus master, so an energy manager talks to the KSEM's web REST API instead
 * (ksem.md §1.12, COMMUNITY but consistent across three integrations): token login
 * (`POST /api/web-login/token`, form body, re-login on 401, one cookie jar), the wallbox list and
 * state (`/api/e-mobility/evselist`, `/api/e-mobility/state` in mW / mA, `/api/evse-kostal/evse/<uuid>/details`),
 * and the KSEM's charge mode (`PUT /api/e-mobility/config/chargemode`, all six fields), phase usage
 * (`PUT /api/e-mobility/config/phaseswitching`) and "use home battery"
 * (`PUT /api/kostal-energyflow/configuration/batteryusage`, text/plain).
 *
 * UNCONFIRMED and how this client behaves: the charge mode cannot be read over REST (only a
 * WebSocket that, held open, makes the KSEM pause charging) — the reading reports the mode this
 * client last set, or null; the wallbox state strings beyond `stateConnected` — unknown ones are
 * kept in `stateText` and mapped by keyword; what `controlledby: 1` does — always 0 (internal).
 * Unexpected replies reject with the endpoint and the HTTP status in the message.
 */
import { EventEmitter } from 'node:events';
import * as http from 'node:http';
import * as https from 'node:https';
import type { ChargerReading, ChargerState, PhaseValues } from '../../api/types';
import { systemClock, type Clock, type Timer } from '../../util/clock';
import { SingleFlight } from '../../util/single-flight';

/** The KSEM's charge modes (REST names) and the package's EV modes they correspond to. */
export const KSEM_CHARGE_MODES = { lock: 'lock', power: 'grid', 'solar-pure': 'pv', 'solar-plus': 'hybrid' } as const;
export type KsemChargeMode = (typeof KSEM_CHARGE_MODES)[keyof typeof KSEM_CHARGE_MODES];

export interface KsemRestOptions {
  /** http://host or https://host (port optional). */
  url: string;
  /** The KSEM's device password (user `admin`). */
  password: string;
  /** https trust: a pinned SHA-256 fingerprint, a CA / certificate PEM, or accept self-signed. */
  tls?: { fingerprint256?: string; ca?: string; insecure?: boolean };
  timeoutMs?: number;
  clock?: Clock;
}

export class KsemRestError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly short: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'KsemRestError';
  }
}

/** Login form fields the KSEM web UI sends (ksem.md §1.12). */
const LOGIN = { grant_type: 'password', client_id: 'emos', client_secret: '56951025', username: 'admin' };

/** REST wallbox state → normalized charger state (by keyword; the full list is not published). */
export function ksemWallboxState(s: unknown): ChargerState {
  const t = String(s ?? '').toLowerCase();
  if (t.includes('charging')) return 'charging';
  if (t.includes('pause')) return 'paused';
  if (t.includes('error') || t.includes('service')) return 'error';
  if (t.includes('offline')) return 'offline';
  if (t.includes('notconnected') || t.includes('idle') || t.includes('available') || t.includes('disconnected')) return 'idle';
  if (t.includes('connected') || t.includes('probing')) return 'connected';
  return 'connected';
}

export class KsemRestClient {
  private token: string | null = null;
  private cookies = new Map<string, string>();
  private uuid: string | null = null;
  /** The mode this client last set (the KSEM's own cannot be read over REST). */
  lastMode: KsemChargeMode | null = null;
  private readonly base: URL;
  private readonly clock: Clock;

  constructor(private readonly o: KsemRestOptions) {
    try {
      this.base = new URL(/^https?:\/\//.test(o.url) ? o.url : `http://${o.url}`);
    } catch {
      throw new KsemRestError(`KSEM address "${o.url}" is not a URL or host name`, 'invalid', 'bad address');
    }
    this.clock = o.clock ?? systemClock;
  }

  private request(method: string, path: string, body?: { type: string; text: string }, auth = true): Promise<{ status: number; text: string }> {
    const url = new URL(path, this.base);
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (auth && this.token) headers.Authorization = `Bearer ${this.token}`;
    if (this.cookies.size) headers.Cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    if (body) {
      headers['Content-Type'] = body.type;
      headers['Content-Length'] = String(Buffer.byteLength(body.text));
    }
    const isHttps = url.protocol === 'https:';
    const tls = this.o.tls ?? {};
    return new Promise((resolve, reject) => {
      const req = (isHttps ? https : http).request(
        url,
        {
          method,
          headers,
          timeout: this.o.timeoutMs ?? 5000,
          ...(isHttps ? { rejectUnauthorized: !(tls.insecure || tls.fingerprint256), ca: tls.ca, checkServerIdentity: () => undefined } : {}),
        },
        (res) => {
          if (isHttps && tls.fingerprint256) {
            const cert = (res.socket as import('node:tls').TLSSocket).getPeerCertificate();
            const want = tls.fingerprint256.replace(/[^0-9a-f]/gi, '').toUpperCase();
            const got = (cert?.fingerprint256 ?? '').replace(/:/g, '').toUpperCase();
            if (want !== got) {
              res.destroy();
              reject(new KsemRestError(`KSEM ${this.base.host}: certificate fingerprint ${cert?.fingerprint256 ?? '?'} is not the pinned one`, 'tls-fingerprint', 'cert fingerprint'));
              return;
            }
          }
          for (const c of ([] as string[]).concat(res.headers['set-cookie'] ?? [])) {
            const m = /^([^=;]+)=([^;]*)/.exec(c);
            if (m) this.cookies.set(m[1].trim(), m[2]);
          }
          const chunks: Buffer[] = [];
          res.on('data', (d: Buffer) => chunks.push(d));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new KsemRestError(`KSEM ${this.base.host}: no reply to ${method} ${path} within ${this.o.timeoutMs ?? 5000} ms`, 'timeout', 'timeout')));
      req.on('error', (e: Error & { code?: string }) =>
        reject(e instanceof KsemRestError ? e : new KsemRestError(`KSEM ${this.base.host}: ${method} ${path} failed: ${e.message}`, e.code ?? 'connect', e.code === 'ECONNREFUSED' ? `refused ${this.base.host}` : (e.code ?? 'connect'))),
      );
      if (body) req.write(body.text);
      req.end();
    });
  }

  async login(): Promise<void> {
    const form = new URLSearchParams({ ...LOGIN, password: this.o.password }).toString();
    const r = await this.request('POST', '/api/web-login/token', { type: 'application/x-www-form-urlencoded', text: form }, false);
    if (r.status === 401 || r.status === 400) throw new KsemRestError(`KSEM ${this.base.host}: login refused (HTTP ${r.status}): check the device password`, 'auth', 'login refused', r.status);
    const body = this.parse(r, 'POST /api/web-login/token') as { access_token?: unknown };
    if (typeof body?.access_token !== 'string' || !body.access_token) throw new KsemRestError(`KSEM ${this.base.host}: login reply has no access_token`, 'reply', 'bad login reply');
    this.token = body.access_token;
  }

  private parse(r: { status: number; text: string }, what: string): unknown {
    if (r.status < 200 || r.status >= 300) throw new KsemRestError(`KSEM ${this.base.host}: ${what} answered HTTP ${r.status}${r.text ? `: ${r.text.slice(0, 120)}` : ''}`, 'status', `HTTP ${r.status}`, r.status);
    if (!r.text.trim()) return null;
    try {
      return JSON.parse(r.text);
    } catch {
      throw new KsemRestError(`KSEM ${this.base.host}: ${what} did not answer JSON (${r.text.slice(0, 60)}…)`, 'reply', 'not JSON');
    }
  }

  /** A request with the token; one re-login on 401. */
  private async call(method: string, path: string, body?: { type: string; text: string }): Promise<unknown> {
    if (!this.token) await this.login();
    let r = await this.request(method, path, body);
    if (r.status === 401) {
      await this.login();
      r = await this.request(method, path, body);
    }
    return this.parse(r, `${method} ${path}`);
  }

  /** The wallbox reading (first ENECTOR of the KSEM's list). */
  async read(): Promise<ChargerReading> {
    const list = await this.call('GET', '/api/e-mobility/evselist');
    const evse = Array.isArray(list) ? (list[0] as Record<string, unknown> | undefined) : undefined;
    if (!evse || typeof evse.uuid !== 'string') throw new KsemRestError(`KSEM ${this.base.host}: no wallbox in /api/e-mobility/evselist (is an ENECTOR registered with this KSEM?)`, 'no-wallbox', 'no wallbox');
    this.uuid = evse.uuid;
    const state = (await this.call('GET', '/api/e-mobility/state')) as Record<string, unknown> | null;
    const details = (await this.call('GET', `/api/evse-kostal/evse/${encodeURIComponent(evse.uuid)}/details`)) as Record<string, unknown> | null;
    const p = (state?.EvChargingPower ?? {}) as Record<string, unknown>;
    const mW = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v / 1000 : undefined);
    const phases: PhaseValues[] = ['l1', 'l2', 'l3'].map((k) => ({ power: Math.round(mW(p[k]) ?? 0) }));
    const power = Math.max(0, Math.round(mW(p.total) ?? phases.reduce((s, x) => s + (x.power ?? 0), 0)));
    const maxA = typeof details?.max_install_current === 'number' ? details.max_install_current / 1000 : 16;
    const switchable = details?.phase_switching_option !== undefined ? Boolean(details.phase_switching_option) : Boolean(evse.supports_phase_switching);
    const carrying = phases.filter((x) => (x.power ?? 0) > 200).length;
    return {
      kind: 'charger',
      timestamp: this.clock.now(),
      source: 'enector-ksem',
      serial: typeof details?.serial === 'string' ? details.serial : null,
      model: `${String(evse.model ?? 'ENECTOR')}${details?.version ? ` (${String(details.version)})` : ''} behind a KSEM`,
      state: ksemWallboxState(evse.state),
      stateText: String(evse.state ?? ''),
      power,
      phases,
      activePhases: power > 0 && carrying ? (carrying as 1 | 2 | 3) : null,
      enabled: this.lastMode === null ? true : this.lastMode !== 'lock',
      sessionWh: null,
      energyWh: null,
      limits: { minCurrentA: 6, maxCurrentA: Math.min(32, maxA), phaseOptions: switchable ? [1, 3] : [3] },
      chargeMode: this.lastMode,
      overloadProtection: state?.OverloadProtectionActive === true,
    };
  }

  /** Sets the KSEM's charge mode; Solar Plus takes its two quotas (% of the wallbox maximum, % of that floor). */
  async setChargeMode(mode: KsemChargeMode, quotas: { minChargingPowerPct?: number; minPvPowerPct?: number } = {}): Promise<void> {
    if (!Object.values(KSEM_CHARGE_MODES).includes(mode)) throw new KsemRestError(`charge mode must be one of ${Object.values(KSEM_CHARGE_MODES).join(', ')}`, 'invalid', 'bad mode');
    const pct = (v: number | undefined, what: string) => {
      const n = v ?? 0;
      if (!Number.isFinite(n) || n < 0 || n > 100) throw new KsemRestError(`${what} must be 0–100 %`, 'invalid', 'bad quota');
      return Math.round(n);
    };
    const a = pct(quotas.minChargingPowerPct, 'minimum charging power');
    const b = pct(quotas.minPvPowerPct, 'minimum PV share');
    // All six fields are required (a mode alone answers 400); note the KSEM's own spelling "mincharginpowerquota".
    const body = { mode, mincharginpowerquota: a, minpvpowerquota: b, lastminchargingpowerquota: a, lastminpvpowerquota: b, controlledby: 0 };
    await this.call('PUT', '/api/e-mobility/config/chargemode', { type: 'application/json', text: JSON.stringify(body) });
    this.lastMode = mode;
  }

  /** 0 = 3-phase, 1 = 1-phase, 2 = automatic (the KSEM's phase usage). */
  async setPhaseUsage(usage: 0 | 1 | 2): Promise<void> {
    await this.call('PUT', '/api/e-mobility/config/phaseswitching', { type: 'application/json', text: JSON.stringify({ phase_usage: usage }) });
  }

  /** The KSEM's "use home battery" (in Solar Pure the battery's discharge counts as solar unless off). */
  async setBatteryUsage(on: boolean): Promise<void> {
    await this.call('PUT', '/api/kostal-energyflow/configuration/batteryusage', { type: 'text/plain', text: on ? 'true' : 'false' });
  }
}

/**
 * The KSEM topology as a polling driver with the events of every device driver ('reading',
 * 'poll-error'), so the enector-charger node serves both topologies alike. Control is by charge
 * mode: the package's EV modes map to the KSEM's (lock, power → grid, solar-pure → pv,
 * solar-plus → hybrid).
 */

export class KsemWallbox extends EventEmitter {
  readonly client: KsemRestClient;
  last: ChargerReading | null = null;
  serial: string | null = null;
  private timer?: Timer;
  private readonly reads = new SingleFlight<ChargerReading>();
  private readonly clk: Clock;

  constructor(
    o: KsemRestOptions,
    private readonly pollMs = 5000,
  ) {
    super();
    this.client = new KsemRestClient(o);
    this.clk = o.clock ?? systemClock;
    this.on('error', () => undefined);
  }

  start(): void {
    if (this.timer) return;
    this.timer = this.clk.setInterval(() => this.reads.poke(() => this.readOnce()), this.pollMs);
    this.reads.poke(() => this.readOnce());
  }

  /** One read; a caller while one is in flight shares it. */
  read(): Promise<ChargerReading> {
    return this.reads.run(() => this.readOnce());
  }

  private readOnce(): Promise<ChargerReading> {
    return this.client.read().then(
      (r) => {
        this.last = r;
        this.serial = r.serial ?? null;
        this.emit('reading', r);
        return r;
      },
      (e: Error) => {
        this.emit('poll-error', e);
        throw e;
      },
    );
  }

  /** A `mode` of the package (lock, power, solar-pure, solar-plus) as the KSEM's charge mode. */
  async setMode(mode: string, quotas?: { minChargingPowerPct?: number; minPvPowerPct?: number }): Promise<KsemChargeMode> {
    const m = (KSEM_CHARGE_MODES as Record<string, KsemChargeMode>)[mode];
    if (!m) throw new KsemRestError(`mode "${mode}" has no KSEM charge mode (lock, power, solar-pure, solar-plus)`, 'invalid', 'bad mode');
    await this.client.setChargeMode(m, quotas);
    return m;
  }

  async close(): Promise<void> {
    this.timer?.cancel();
    this.timer = undefined;
  }
}
