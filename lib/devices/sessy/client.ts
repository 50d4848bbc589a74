/**
 * HTTP client for the Sessy battery dongle on the package's one HTTP layer (lib/transport/http.ts,
 * the same one the Sessy P1 dongle uses).
 *
 * - Basic auth with the dongle's serial and password from its sticker, both upper-cased (sessy.md
 *   §1.3: HY changelog 2.1.0 "Ignore case for username and password").
 * - One request at a time per dongle (§1.9: "serialise requests per dongle").
 * - Reads are retried with backoff (timeouts, connection errors, 5xx); writes are sent once and never
 *   replayed (§1.3, ha-sessy #161): the caller re-reads and decides again.
 * - Every reply's `"status": "ok"` envelope and shape are checked (normalize.ts); a bad reply is an
 *   HttpError with code 'envelope' or 'json' naming the endpoint and field.
 */
import { HttpError, baseUrl, httpJson } from '../../transport/http';
import { SerialQueue } from '../../util/serial-queue';
import { encodeJson } from '../../api/device';
import { SESSY_DEFAULTS, SESSY_PATHS, SESSY_POINTS, type SessyStrategy } from './descriptor';
import {
  type Parsed,
  type SessyEnergy,
  type SessyFirmwarePart,
  type SessyNetwork,
  type SessyPowerStatus,
  type SessySystemInfo,
  checkEnvelope,
  parseEnergyStatus,
  parseNetworkStatus,
  parseOtaStatus,
  parsePowerStatus,
  parseSettings,
  parseStrategyReply,
  parseSystemInfo,
} from './normalize';

export interface SessyClientOptions {
  /** "192.168.1.50", "sessy-abcd.local", "127.0.0.1:8091" or "http://…" */
  host: string;
  /** Dongle serial (the sticker's user name). */
  user?: string;
  password?: string;
  timeoutMs?: number;
  readRetries?: number;
  readRetryDelayMs?: number;
}

/** The operations SessyBattery needs; a test can pass a fake with the same methods. */
export interface SessyApi {
  readonly url: string;
  /** `retries: 0` makes it a cheap probe (one attempt), used while the dongle is down. */
  getPowerStatus(opts?: { retries?: number }): Promise<SessyPowerStatus>;
  getStrategy(): Promise<string>;
  setStrategy(strategy: SessyStrategy): Promise<void>;
  setSetpoint(watts: number): Promise<void>;
  getEnergyStatus(): Promise<SessyEnergy>;
  getSettings(): Promise<Record<string, unknown>>;
  setSettings(all: Record<string, unknown>): Promise<void>;
  getSystemInfo(): Promise<SessySystemInfo>;
  /** The last raw JSON body of each path (for msg.raw). */
  readonly raw: Record<string, unknown>;
}

export class SessyClient implements SessyApi {
  readonly url: string;
  readonly raw: Record<string, unknown> = {};
  private readonly user?: string;
  private readonly password?: string;
  private readonly timeoutMs: number;
  private readonly readRetries: number;
  private readonly readRetryDelayMs: number;
  /** Requests one after the other; a failure fails only its own promise. */
  private readonly queue = new SerialQueue();
  /** Requests sent, for diagnostics and tests. */
  requests = 0;

  constructor(o: SessyClientOptions) {
    if (!o.host || !o.host.trim()) throw new Error('Sessy dongle address is empty');
    this.url = baseUrl(o.host);
    try {
      const u = new URL(this.url);
      if (u.protocol !== 'http:') throw new Error(`only http:// is supported (got ${u.protocol})`);
    } catch (e) {
      throw new Error(`invalid Sessy dongle address ${JSON.stringify(o.host)}: ${(e as Error).message}`, { cause: e });
    }
    this.user = o.user ? o.user.trim().toUpperCase() : undefined;
    this.password = o.password ? o.password.trim().toUpperCase() : undefined;
    this.timeoutMs = o.timeoutMs ?? SESSY_DEFAULTS.timeoutMs;
    this.readRetries = o.readRetries ?? SESSY_DEFAULTS.readRetries;
    this.readRetryDelayMs = o.readRetryDelayMs ?? SESSY_DEFAULTS.readRetryDelayMs;
  }

  private request(path: string, method: 'GET' | 'POST', body?: unknown, retries = this.readRetries): Promise<unknown> {
    return this.queue.run(async () => {
      this.requests++;
      const reply = await httpJson(this.url + path, {
        method,
        body,
        user: this.user,
        password: this.password,
        timeoutMs: this.timeoutMs,
        retries: method === 'GET' ? retries : 0,
        retryDelayMs: this.readRetryDelayMs,
      });
      this.raw[path] = reply;
      return reply;
    });
  }

  private async get<T>(path: string, parse: (b: unknown) => Parsed<T>, retries?: number): Promise<T> {
    const p = parse(await this.request(path, 'GET', undefined, retries));
    if (!p.ok) throw new HttpError(p.error, /status is/.test(p.error) ? 'envelope' : 'json');
    return p.value;
  }

  private async post(path: string, body: unknown): Promise<void> {
    const what = path.replace(/^\/api\/v\d\//, '');
    const env = checkEnvelope(await this.request(path, 'POST', body), what);
    if (!env.ok) throw new HttpError(env.error, 'envelope');
  }

  getPowerStatus(opts: { retries?: number } = {}): Promise<SessyPowerStatus> {
    return this.get(SESSY_PATHS.powerStatus, parsePowerStatus, opts.retries);
  }

  async getStrategy(): Promise<string> {
    return (await this.get(SESSY_PATHS.activeStrategy, parseStrategyReply)).strategy;
  }

  setStrategy(strategy: SessyStrategy): Promise<void> {
    return this.post(SESSY_PATHS.activeStrategy, encodeJson(SESSY_POINTS, {}, { strategy }));
  }

  /** Integer W, + discharge / − charge (§1.5.3). The caller clamps. */
  setSetpoint(watts: number): Promise<void> {
    if (!Number.isFinite(watts)) return Promise.reject(new Error(`setpoint must be a finite number (got ${watts})`));
    return this.post(SESSY_PATHS.setpoint, encodeJson(SESSY_POINTS, {}, { setpointCommand: watts }));
  }

  getEnergyStatus(): Promise<SessyEnergy> {
    return this.get(SESSY_PATHS.energyStatus, parseEnergyStatus);
  }

  getSettings(): Promise<Record<string, unknown>> {
    return this.get(SESSY_PATHS.systemSettings, parseSettings);
  }

  /** Writes the WHOLE settings object (read-modify-write, §1.5.5). */
  setSettings(all: Record<string, unknown>): Promise<void> {
    return this.post(SESSY_PATHS.systemSettings, all);
  }

  getSystemInfo(): Promise<SessySystemInfo> {
    return this.get(SESSY_PATHS.systemInfo, parseSystemInfo);
  }

  getNetworkStatus(): Promise<SessyNetwork> {
    return this.get(SESSY_PATHS.networkStatus, parseNetworkStatus);
  }

  getFirmwareStatus(): Promise<{ dongle: SessyFirmwarePart | null; battery: SessyFirmwarePart | null }> {
    return this.get(SESSY_PATHS.otaStatus, parseOtaStatus);
  }
}
