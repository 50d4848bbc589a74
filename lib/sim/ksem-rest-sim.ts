/**
 * The KSEM's web REST API for its wallbox (ksem.md §1.12) in front of a simulated ENECTOR
 * (enector-sim.ts): the KSEM is the box's Modbus master here, so this simulator keeps the box's
 * heartbeat alive and drives release and current from the charge mode — lock: paused; grid (Power):
 * the maximum; pv (Solar Pure): the household's surplus, paused below 6 A; hybrid (Solar Plus): the
 * floor `mincharginpowerquota` % of the maximum plus surplus. Login with the device password
 * (form body), Bearer token, 401 without it; a chargemode PUT without all six fields answers 400,
 * as the real one does. Faults: `failNext` (status code for the next request), `expireTokens()`.
 */
import * as crypto from 'node:crypto';
import type * as http from 'node:http';
import { systemClock, type Clock, type Timer } from '../util/clock';
import type { EnectorSim } from './enector-sim';
import type { Household } from './household';
import { SimHttpServer, sendJson, sendText } from './http-sim';

export interface KsemRestSimOptions {
  enector: EnectorSim;
  household?: Household;
  password?: string;
  clock?: Clock;
  tickMs?: number;
}

const CHARGEMODE_FIELDS = ['mode', 'mincharginpowerquota', 'minpvpowerquota', 'lastminchargingpowerquota', 'lastminpvpowerquota', 'controlledby'];

export class KsemRestSim {
  readonly uuid = '3f1a2b4c-0000-4000-8000-00000000e1ec';
  readonly password: string;
  mode: 'lock' | 'grid' | 'pv' | 'hybrid' = 'pv';
  quotas = { min: 0, pv: 0 };
  phaseUsage = 2;
  batteryUsage = true;
  readonly requests: Array<{ method: string; path: string; body: string }> = [];
  failNext: number | null = null;
  private tokens = new Set<string>();
  private readonly server: SimHttpServer;
  private readonly clock: Clock;
  private ticker?: Timer;

  constructor(private readonly o: KsemRestSimOptions) {
    this.password = o.password ?? 'KSEMPASS';
    this.clock = o.clock ?? systemClock;
    this.server = new SimHttpServer((req, res) => this.handle(req, res));
  }

  async start(port = 0, host = '127.0.0.1'): Promise<{ url: string; password: string }> {
    const p = await this.server.start(port, host);
    this.ticker = this.clock.setInterval(() => this.control(), this.o.tickMs ?? 1000);
    this.control();
    return { url: `http://${host}:${p}`, password: this.password };
  }

  async stop(): Promise<void> {
    this.ticker?.cancel();
    await this.server.stop();
  }

  expireTokens(): void {
    this.tokens.clear();
  }

  /** The KSEM as master: heartbeat, release and current from the charge mode. */
  control(): void {
    const box = this.o.enector;
    const now = this.clock.now();
    box.lastHeartbeatAt = now;
    const max = Math.min(box.installationMaxA, box.evseMaxA);
    const surplus = this.o.household ? -this.o.household.gridW(now) + box.car.draw().powerW : 0;
    let a = 0;
    if (this.mode === 'grid') a = max;
    else if (this.mode === 'pv') a = surplus / 690;
    else if (this.mode === 'hybrid') a = Math.max((this.quotas.min / 100) * max, surplus / 690);
    const on = this.mode !== 'lock' && a >= 6;
    box.state.release = on ? 1 : 0;
    box.state.currentLimit = on ? Math.min(max, Math.floor(a * 10) / 10) : box.state.currentLimit;
    box.tick();
  }

  private body(req: http.IncomingMessage): Promise<string> {
    return new Promise((resolve) => {
      const chunks: Buffer[] = [];
      req.on('data', (d: Buffer) => chunks.push(d));
      req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    });
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://ksem');
    const text = await this.body(req);
    this.requests.push({ method: req.method ?? '', path: url.pathname, body: text });
    if (this.failNext !== null) {
      const code = this.failNext;
      this.failNext = null;
      return sendText(res, code, 'simulated failure');
    }
    if (req.method === 'POST' && url.pathname === '/api/web-login/token') {
      const f = new URLSearchParams(text);
      if (f.get('grant_type') !== 'password' || f.get('client_id') !== 'emos' || f.get('username') !== 'admin' || f.get('password') !== this.password) return sendJson(res, 401, { error: 'invalid_grant' });
      const token = 'ey' + crypto.randomBytes(18).toString('base64url');
      this.tokens.add(token);
      res.setHeader('set-cookie', 'session=sim; Path=/; HttpOnly');
      return sendJson(res, 200, { access_token: token, token_type: 'Bearer', expires_in: 3600 });
    }
    const auth = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
    if (!auth || !this.tokens.has(auth[1])) return sendJson(res, 401, { error: 'unauthorized' });
    const box = this.o.enector;
    const d = box.car.draw();
    const key = `${req.method} ${url.pathname}`;
    if (key === 'GET /api/e-mobility/evselist') {
      const s = box.state.evseState;
      const state = s === 5 ? 'stateCharging' : s === 1 ? 'stateNotConnected' : s === 6 ? 'stateError' : box.state.release ? 'stateConnected' : 'statePaused';
      return sendJson(res, 200, [{ label: 'ENECTOR', uuid: this.uuid, manufacturer: 'kostal', slave_addr: '100', modbus_interface: 'APP2', state, model: 'ac-3_7_11', supports_phase_switching: box.phaseOptions === 2 }]);
    }
    if (key === 'GET /api/e-mobility/state') {
      const mW = (w: number) => Math.round(w * 1000);
      return sendJson(res, 200, { EvChargingPower: { total: mW(d.powerW), l1: mW(d.currents[0] * 230), l2: mW(d.currents[1] * 230), l3: mW(d.currents[2] * 230) }, CurtailmentSetpoint: { total: Math.round(box.signalledA * 1000) }, OverloadProtectionActive: false });
    }
    if (key === `GET /api/evse-kostal/evse/${this.uuid}/details`) return sendJson(res, 200, { serial: '90123456', model: 'ac-3_7_11', version: 'FW: 2023.21.11024-20; COM: 1.03', max_install_current: Math.min(box.installationMaxA, box.evseMaxA) * 1000, phase_switching_option: box.phaseOptions === 2 ? 1 : 0 });
    if (key === 'PUT /api/e-mobility/config/chargemode') {
      let b: Record<string, unknown>;
      try {
        b = JSON.parse(text);
      } catch {
        return sendText(res, 400, 'bad json');
      }
      if (!CHARGEMODE_FIELDS.every((f) => f in b) || !['lock', 'grid', 'pv', 'hybrid'].includes(b.mode as string)) return sendText(res, 400, 'invalid chargemode');
      this.mode = b.mode as KsemRestSim['mode'];
      this.quotas = { min: Number(b.mincharginpowerquota), pv: Number(b.minpvpowerquota) };
      this.control();
      res.writeHead(204).end();
      return;
    }
    if (key === 'GET /api/e-mobility/config/chargemode') return sendText(res, 405, 'method not allowed');
    if (key === 'PUT /api/e-mobility/config/phaseswitching') {
      const b = JSON.parse(text || '{}') as { phase_usage?: number };
      if (![0, 1, 2].includes(b.phase_usage as number)) return sendText(res, 400, 'invalid phase_usage');
      this.phaseUsage = b.phase_usage!;
      res.writeHead(204).end();
      return;
    }
    if (key === 'PUT /api/kostal-energyflow/configuration/batteryusage') {
      if (text !== 'true' && text !== 'false') return sendText(res, 400, 'true or false');
      this.batteryUsage = text === 'true';
      res.writeHead(204).end();
      return;
    }
    return sendText(res, 404, 'not found');
  }
}
