'use strict';
// Sessy battery simulator: real HTTP on loopback, model time on a VirtualClock (shared/protocols/sessy.md Part 1).
const { describe, it, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const { SessyBatteryServer, SESSY_STRATEGIES, compareVersions } = require('../../dist/lib/sim/sessy-server');
const { Household } = require('../../dist/lib/sim/household');
const { BatteryPlant } = require('../../dist/lib/sim/battery');
const { VirtualClock } = require('../../dist/lib/util/clock');

const T0 = Date.UTC(2024, 5, 1, 10, 0, 0);
const GOOD = { user: 'DSIM0001', password: 'SIMPASS1' };

/** One HTTP request; resolves { status, headers, text, json } or rejects with the socket error. */
function request(url, method, path, { body, auth, timeoutMs = 2000, raw } = {}) {
  return new Promise((resolve, reject) => {
    const headers = {};
    if (auth) headers.authorization = 'Basic ' + Buffer.from(`${auth.user}:${auth.password}`).toString('base64');
    const data = raw !== undefined ? raw : body !== undefined ? JSON.stringify(body) : undefined;
    if (data !== undefined) headers['content-type'] = 'application/json';
    const req = http.request(url + path, { method, headers, agent: false }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode, headers: res.headers, text, json });
      });
    });
    req.setTimeout(timeoutMs, () => req.destroy(Object.assign(new Error('client timeout'), { code: 'TIMEOUT' })));
    req.on('error', reject);
    if (data !== undefined) req.write(data);
    req.end();
  });
}

let servers = [];
afterEach(async () => {
  for (const s of servers) await s.stop();
  servers = [];
});

async function start(opts = {}) {
  const clock = opts.clock ?? new VirtualClock(T0);
  const s = new SessyBatteryServer({ clock, ...opts });
  servers.push(s);
  const { url, serial } = await s.start();
  const get = async (path, o) => (await request(url, 'GET', path, o)).json;
  const post = (path, body, o = {}) => request(url, 'POST', path, { body, auth: GOOD, ...o });
  return { s, clock, url, serial, get, post };
}

const status = async (get) => (await get('/api/v1/power/status')).sessy;

describe('Sessy simulator: state machine', () => {
  it('power-up STANDBY; a running strategy waits exactly 60 s in WAITING_IN_SAFE_SITUATION, then RUNNING_SAFE', async () => {
    const { s, clock, get, post } = await start({ strategy: 'POWER_STRATEGY_IDLE' });
    assert.equal((await status(get)).system_state, 'SYSTEM_STATE_STANDBY');
    clock.advance(5000);
    assert.equal((await post('/api/v1/power/active_strategy', { strategy: 'POWER_STRATEGY_API' })).status, 200);
    assert.deepEqual(await get('/api/v1/power/active_strategy'), { status: 'ok', strategy: 'POWER_STRATEGY_API' });
    assert.equal((await status(get)).system_state, 'SYSTEM_STATE_WAITING_IN_SAFE_SITUATION');
    clock.advance(59_999);
    assert.equal(s.startupRemainingMs, 1);
    // A setpoint during the wait is accepted and ignored.
    assert.equal((await post('/api/v1/power/setpoint', { setpoint: 1000 })).status, 200);
    let st = await status(get);
    assert.equal(st.system_state, 'SYSTEM_STATE_WAITING_IN_SAFE_SITUATION');
    assert.equal(st.power_setpoint, 0);
    clock.advance(1);
    st = await status(get);
    assert.equal(st.system_state, 'SYSTEM_STATE_RUNNING_SAFE');
    assert.equal(st.power_setpoint, 0, 'the ignored setpoint is not applied later');
    // IDLE goes back to STANDBY; the next running strategy waits again.
    await post('/api/v1/power/active_strategy', { strategy: 'POWER_STRATEGY_IDLE' });
    assert.equal((await status(get)).system_state, 'SYSTEM_STATE_STANDBY');
    await post('/api/v1/power/active_strategy', { strategy: 'POWER_STRATEGY_NOM' });
    assert.equal(s.systemState, 'SYSTEM_STATE_WAITING_IN_SAFE_SITUATION');
    assert.equal(s.startupRemainingMs, 60_000);
  });

  it('a change between running strategies keeps running (waits again with waitOnStrategyChange); startRunning skips the power-up wait', async () => {
    const a = await start({ strategy: 'POWER_STRATEGY_NOM', startRunning: true, waitOnStrategyChange: true });
    assert.equal(a.s.systemState, 'SYSTEM_STATE_RUNNING_SAFE');
    await a.post('/api/v1/power/active_strategy', { strategy: 'POWER_STRATEGY_API' });
    assert.equal(a.s.systemState, 'SYSTEM_STATE_WAITING_IN_SAFE_SITUATION');
    assert.equal(a.s.startupRemainingMs, 60_000);
    await a.post('/api/v1/power/active_strategy', { strategy: 'POWER_STRATEGY_API' });
    assert.equal(a.s.startupRemainingMs, 60_000, 'posting the same strategy again does not restart the wait');
    const b = await start({ strategy: 'POWER_STRATEGY_NOM', startRunning: true });
    await b.post('/api/v1/power/active_strategy', { strategy: 'POWER_STRATEGY_API' });
    assert.equal(b.s.systemState, 'SYSTEM_STATE_RUNNING_SAFE');
    await b.post('/api/v1/power/setpoint', { setpoint: 400 });
    assert.equal(b.s.setpoint(), 400);
  });

  it('a strategy that runs the battery at power-up starts waiting at once; startupMs is configurable', async () => {
    const { s, clock } = await start({ strategy: 'POWER_STRATEGY_API', startupMs: 10_000 });
    assert.equal(s.systemState, 'SYSTEM_STATE_WAITING_IN_SAFE_SITUATION');
    clock.advance(9_999);
    assert.equal(s.systemState, 'SYSTEM_STATE_WAITING_IN_SAFE_SITUATION');
    clock.advance(1);
    assert.equal(s.systemState, 'SYSTEM_STATE_RUNNING_SAFE');
  });

  it('forced states (ERROR) deliver 0 W and ignore setpoints until a normal state is set', async () => {
    const { s, clock, get, post } = await start({ strategy: 'POWER_STRATEGY_API', startupMs: 0, plant: { rampWPerS: 1e9 } });
    await post('/api/v1/power/setpoint', { setpoint: 800 });
    clock.advance(1001); // latency 1000 ms, then an instant ramp
    assert.equal((await status(get)).power, 800);
    s.systemState = 'SYSTEM_STATE_ERROR';
    clock.advance(1001);
    let st = await status(get);
    assert.equal(st.system_state, 'SYSTEM_STATE_ERROR');
    assert.equal(st.power, 0);
    await post('/api/v1/power/setpoint', { setpoint: 500 });
    clock.advance(2000);
    assert.equal((await status(get)).power, 0);
    s.systemState = 'SYSTEM_STATE_RUNNING_SAFE';
    await post('/api/v1/power/setpoint', { setpoint: 500 });
    clock.advance(1001);
    st = await status(get);
    assert.equal(st.system_state, 'SYSTEM_STATE_RUNNING_SAFE');
    assert.equal(st.power, 500);
    assert.throws(() => (s.systemState = 'SYSTEM_STATE_BOGUS'), /unknown system state/);
  });

  it('restart: OK reply, then STANDBY → wait again, setpoint cleared, SoC kept', async () => {
    const { s, clock, get, post } = await start({ strategy: 'POWER_STRATEGY_API', startupMs: 1000, plant: { rampWPerS: 1e9 } });
    clock.advance(1000);
    await post('/api/v1/power/setpoint', { setpoint: -1500 });
    clock.advance(600_000);
    const soc = (await status(get)).state_of_charge;
    assert.ok(soc > 0.5 + 0.03, String(soc));
    assert.deepEqual((await post('/api/v1/system/restart', undefined, { raw: '' })).json, { status: 'ok' });
    assert.equal(s.restarts, 1);
    const st = await status(get);
    assert.equal(st.system_state, 'SYSTEM_STATE_WAITING_IN_SAFE_SITUATION');
    assert.equal(st.power_setpoint, 0);
    assert.equal(st.state_of_charge, soc);
  });
});

describe('Sessy simulator: setpoints, latency, SoC, limits', () => {
  it('the setpoint shows at once in power_setpoint; power follows latencyMs later at the ramp rate', async () => {
    const { clock, get, post } = await start({ strategy: 'POWER_STRATEGY_API', startupMs: 0, latencyMs: 1000, plant: { rampWPerS: 2000 } });
    assert.equal((await post('/api/v1/power/setpoint', { setpoint: -1000 })).status, 200);
    let st = await status(get);
    assert.equal(st.power_setpoint, -1000);
    assert.equal(st.power, 0);
    clock.advance(999);
    assert.equal((await status(get)).power, 0);
    clock.advance(251); // 250 ms after the command took effect: 2000 W/s × 0.25 s
    assert.equal((await status(get)).power, -500);
    clock.advance(250);
    st = await status(get);
    assert.equal(st.power, -1000);
    assert.equal(st.inverter_current_ma, Math.round((1000 / 230) * 1000));
  });

  it('setpoints count only in POWER_STRATEGY_API; elsewhere accepted and ignored (or 400 when configured)', async () => {
    const { s, clock, get, post } = await start({ strategy: 'POWER_STRATEGY_ROI', startupMs: 0 });
    clock.advance(1);
    assert.deepEqual((await post('/api/v1/power/setpoint', { setpoint: 1200 })).json, { status: 'ok' });
    clock.advance(5000);
    let st = await status(get);
    assert.equal(st.power_setpoint, 0);
    assert.equal(st.power, 0);
    await post('/api/v1/power/active_strategy', { strategy: 'POWER_STRATEGY_API' });
    await post('/api/v1/power/setpoint', { setpoint: 1200 });
    clock.advance(5000);
    assert.equal((await status(get)).power, 1200);
    // Leaving API mode drops the setpoint: ROI idles at 0 W in the simulator.
    await post('/api/v1/power/active_strategy', { strategy: 'POWER_STRATEGY_ECO' });
    clock.advance(5000);
    st = await status(get);
    assert.equal(st.power_setpoint, 0);
    assert.equal(st.power, 0);
    assert.equal(s.setpoint(), 0);

    const strict = await start({ strategy: 'POWER_STRATEGY_NOM', startupMs: 0, rejectSetpointOutsideApi: true });
    const r = await strict.post('/api/v1/power/setpoint', { setpoint: 100 });
    assert.equal(r.status, 400);
    assert.match(r.text, /POWER_STRATEGY_API/);
  });

  it('invalid strategy and setpoint bodies are 400 with a text naming the problem', async () => {
    const { s, post } = await start({ strategy: 'POWER_STRATEGY_API', startupMs: 0 });
    let r = await post('/api/v1/power/active_strategy', { strategy: 'POWER_STRATEGY_SESSY_ECO' });
    assert.equal(r.status, 400);
    assert.match(r.text, /invalid strategy/);
    for (const body of [{ setpoint: 10.5 }, { setpoint: '100' }, {}, [1]]) {
      r = await post('/api/v1/power/setpoint', body);
      assert.equal(r.status, 400, JSON.stringify(body));
    }
    r = await post('/api/v1/power/setpoint', undefined, { raw: '{"setpoint": 1' });
    assert.equal(r.status, 400);
    assert.equal(s.strategy, 'POWER_STRATEGY_API');
    for (const st of SESSY_STRATEGIES) assert.equal((await post('/api/v1/power/active_strategy', { strategy: st })).status, 200, st);
  });

  it('SoC integrates on the clock exactly as the plant model: 1 h at 1000 W discharge, then 1 h at 1000 W charge', async () => {
    const { s, clock, get, post } = await start({ strategy: 'POWER_STRATEGY_API', startupMs: 0, latencyMs: 0, plant: { rampWPerS: 1e9, socPct: 60 } });
    // The same plant driven directly, as reference.
    const ref = new BatteryPlant({ rampWPerS: 1e9, socPct: 60, t0: T0 });
    await post('/api/v1/power/setpoint', { setpoint: 1000 });
    ref.command(1000, T0);
    clock.advance(3_600_000);
    ref.advance(T0 + 3_600_000);
    const eta = s.plant.efficiency(1000);
    let st = await status(get);
    assert.equal(st.state_of_charge, ref.socPct / 100);
    // Analytic: the cells deliver P/η for one hour (the plant's first 1-s step ramps, hence 0.01 %).
    const afterDischarge = 60 - (100 * (1000 / eta)) / 5200;
    assert.ok(Math.abs(st.state_of_charge * 100 - afterDischarge) < 0.01, `${st.state_of_charge}`);
    await post('/api/v1/power/setpoint', { setpoint: -1000 });
    ref.command(-1000, T0 + 3_600_000);
    clock.advance(3_600_000);
    ref.advance(T0 + 7_200_000);
    st = await status(get);
    assert.equal(st.state_of_charge, ref.socPct / 100);
    const afterCharge = afterDischarge + (100 * (1000 * (2 - 1 / eta))) / 5200;
    assert.ok(Math.abs(st.state_of_charge * 100 - afterCharge) < 0.01, `${st.state_of_charge}`);
    const e = await get('/api/v1/energy/status');
    assert.equal(e.status, 'ok');
    assert.deepEqual(e.sessy_energy, { import_wh: Math.floor(ref.chargedWh), export_wh: Math.floor(ref.dischargedWh) });
    assert.ok(ref.chargedWh > 999 && ref.chargedWh <= 1000 && ref.dischargedWh > 999 && ref.dischargedWh <= 1000);
  });

  it('clamps to the hardware limits (2200 W charge, 1700 W discharge) and to settings.max_power', async () => {
    const { clock, get, post } = await start({ strategy: 'POWER_STRATEGY_API', startupMs: 0, plant: { rampWPerS: 1e9 } });
    await post('/api/v1/power/setpoint', { setpoint: 5000 });
    clock.advance(2000);
    let st = await status(get);
    assert.equal(st.power_setpoint, 1700);
    assert.equal(st.power, 1700);
    await post('/api/v1/power/setpoint', { setpoint: -5000 });
    clock.advance(2000);
    st = await status(get);
    assert.equal(st.power_setpoint, -2200);
    assert.equal(st.power, -2200);
    const settings = await get('/api/v1/system/settings');
    assert.equal(settings.max_power, 2200);
    settings.max_power = 1000;
    assert.equal((await post('/api/v1/system/settings', settings)).status, 200);
    clock.advance(2000);
    st = await status(get);
    assert.equal(st.power_setpoint, -1000);
    assert.equal(st.power, -1000);
  });

  it('BATTERY_EMPTY at the minimum SoC (discharge stops, charging still works), BATTERY_FULL at the maximum', async () => {
    const { clock, get, post } = await start({ strategy: 'POWER_STRATEGY_API', startupMs: 0, plant: { rampWPerS: 1e9, socPct: 1 } });
    await post('/api/v1/power/setpoint', { setpoint: 1700 });
    clock.advance(3_600_000);
    let st = await status(get);
    assert.equal(st.system_state, 'SYSTEM_STATE_BATTERY_EMPTY');
    assert.equal(st.power, 0);
    assert.equal(st.state_of_charge, 0);
    await post('/api/v1/power/setpoint', { setpoint: -2200 });
    clock.advance(60_000);
    st = await status(get);
    assert.equal(st.system_state, 'SYSTEM_STATE_RUNNING_SAFE');
    assert.equal(st.power, -2200);
    clock.advance(4 * 3_600_000);
    st = await status(get);
    assert.equal(st.system_state, 'SYSTEM_STATE_BATTERY_FULL');
    assert.equal(st.power, 0);
    assert.equal(st.state_of_charge, 1);
  });

  it('firmware before 1.5.0 names the limit state BATTERY_EMPTY_OR_FULL and lacks newer endpoints and fields', async () => {
    const { clock, get, post, url } = await start({ firmware: '1.4.2', strategy: 'POWER_STRATEGY_API', startupMs: 0, plant: { socPct: 100 } });
    clock.advance(1);
    const st = await status(get);
    assert.equal(st.system_state, 'SYSTEM_STATE_BATTERY_EMPTY_OR_FULL');
    for (const k of ['inverter_current_ma', 'strategy_overridden', 'pack_voltage', 'external_power']) assert.ok(!(k in st), k);
    assert.ok('frequency' in st);
    assert.equal((await request(url, 'GET', '/api/v1/energy/status')).status, 404);
    assert.equal((await request(url, 'GET', '/api/v2/dynamic/schedule')).status, 404);
    const settings = await get('/api/v1/system/settings');
    assert.ok(!('eco_charge_power' in settings));
    assert.equal((await post('/api/v1/ota/start', { target: 'OTA_TARGET_ALL' })).status, 400, 'OTA_TARGET_ALL needs fw 1.5.1');
    assert.ok(compareVersions('1.11.8', '1.9.2') > 0);
  });

  it('setpointTimeoutMs drops an API setpoint that is not renewed', async () => {
    const { clock, get, post } = await start({ strategy: 'POWER_STRATEGY_API', startupMs: 0, setpointTimeoutMs: 30_000, plant: { rampWPerS: 1e9 } });
    await post('/api/v1/power/setpoint', { setpoint: 700 });
    clock.advance(29_999);
    assert.equal((await status(get)).power_setpoint, 700);
    clock.advance(1);
    assert.equal((await status(get)).power_setpoint, 0);
    clock.advance(1001);
    assert.equal((await status(get)).power, 0);
  });
});

describe('Sessy simulator: settings', () => {
  it('GET returns the whole object; POST needs the whole object, validates it and accepts the read-back status key', async () => {
    const { get, post, s } = await start();
    const settings = await get('/api/v1/system/settings');
    assert.equal(settings.status, 'ok');
    assert.equal(settings.min_power, 50);
    assert.equal(settings.active_phase, 1);
    assert.equal(typeof settings.disable_noise_level, 'boolean');
    const { max_power, ...partial } = settings;
    let r = await post('/api/v1/system/settings', partial);
    assert.equal(r.status, 400);
    assert.match(r.text, /missing setting max_power/);
    r = await post('/api/v1/system/settings', { ...settings, bogus: 1 });
    assert.match(r.text, /unknown setting bogus/);
    r = await post('/api/v1/system/settings', { ...settings, min_power: 2000, max_power: 1000 });
    assert.match(r.text, /min_power must not exceed max_power/);
    r = await post('/api/v1/system/settings', { ...settings, enabled_time: '7:00-23:00' });
    assert.match(r.text, /enabled_time/);
    r = await post('/api/v1/system/settings', { ...settings, max_power: 2201 });
    assert.match(r.text, /max_power must be an integer 50–2200/);
    // disable_noise_level as the string "true" (type drift, sessy.md §1.11 #5) is accepted.
    r = await post('/api/v1/system/settings', { ...settings, disable_noise_level: 'false', allowed_noise_level: 3 });
    assert.equal(r.status, 200);
    const back = await get('/api/v1/system/settings');
    assert.equal(back.disable_noise_level, false);
    assert.equal(back.allowed_noise_level, 3);
    assert.equal(s.settings.max_power, max_power);
  });
});

describe('Sessy simulator: authentication', () => {
  it('writes need Basic auth with serial and password; reads are open; reads with wrong credentials are 401', async () => {
    const { s, url } = await start({ strategy: 'POWER_STRATEGY_IDLE' });
    const body = { strategy: 'POWER_STRATEGY_API' };
    let r = await request(url, 'POST', '/api/v1/power/active_strategy', { body });
    assert.equal(r.status, 401);
    assert.match(r.headers['www-authenticate'], /^Basic/);
    r = await request(url, 'POST', '/api/v1/power/active_strategy', { body, auth: { ...GOOD, password: 'WRONG' } });
    assert.equal(r.status, 401);
    assert.equal(s.strategy, 'POWER_STRATEGY_IDLE', 'nothing changed');
    r = await request(url, 'GET', '/api/v1/power/status');
    assert.equal(r.status, 200);
    r = await request(url, 'GET', '/api/v1/power/status', { auth: { ...GOOD, user: 'DSIM9999' } });
    assert.equal(r.status, 401);
    r = await request(url, 'POST', '/api/v1/power/active_strategy', { body, auth: GOOD });
    assert.equal(r.status, 200);
    assert.equal(s.strategy, 'POWER_STRATEGY_API');
    const log = s.requests.filter((e) => e.method === 'POST');
    assert.deepEqual(log.map((e) => [e.auth, e.status]), [[false, 401], [true, 401], [true, 200]]);
    assert.deepEqual(log[2].body, body);
  });

  it('auth: false opens writes; readAuth "required" closes reads; serial and password are configurable', async () => {
    const open = await start({ auth: false });
    assert.equal((await request(open.url, 'POST', '/api/v1/power/active_strategy', { body: { strategy: 'POWER_STRATEGY_API' } })).status, 200);
    const closed = await start({ readAuth: 'required', serial: 'D0000042', password: 'ABCD1234' });
    assert.equal(closed.serial, 'D0000042');
    assert.equal((await request(closed.url, 'GET', '/api/v1/power/status')).status, 401);
    assert.equal((await request(closed.url, 'GET', '/api/v1/power/status', { auth: { user: 'D0000042', password: 'ABCD1234' } })).status, 200);
  });
});

describe('Sessy simulator: faults', () => {
  it('http500, malformed, badEnvelope, wrongCredentials and notFound; a failed write changes nothing', async () => {
    const { s, url, post } = await start({ strategy: 'POWER_STRATEGY_IDLE' });
    s.faults.http500 = true;
    let r = await request(url, 'GET', '/api/v1/power/status');
    assert.equal(r.status, 500);
    assert.equal(r.headers['content-type'], 'text/plain');
    assert.match(r.text, /error/i);
    r = await post('/api/v1/power/active_strategy', { strategy: 'POWER_STRATEGY_API' });
    assert.equal(r.status, 500);
    assert.equal(s.strategy, 'POWER_STRATEGY_IDLE');
    s.faults = { malformed: true };
    r = await request(url, 'GET', '/api/v1/power/status');
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'application/json');
    assert.throws(() => JSON.parse(r.text));
    s.faults = { badEnvelope: true };
    r = await request(url, 'GET', '/api/v1/power/status');
    assert.equal(r.json.status, 'error');
    r = await post('/api/v1/power/active_strategy', { strategy: 'POWER_STRATEGY_API' });
    assert.equal(r.json.status, 'error');
    assert.equal(s.strategy, 'POWER_STRATEGY_IDLE');
    s.faults = { wrongCredentials: true };
    assert.equal((await post('/api/v1/power/active_strategy', { strategy: 'POWER_STRATEGY_API' })).status, 401);
    assert.equal((await request(url, 'GET', '/api/v1/power/status', { auth: GOOD })).status, 401);
    assert.equal((await request(url, 'GET', '/api/v1/power/status')).status, 200, 'anonymous reads still work');
    s.faults = { notFound: ['/api/v1/energy/status'] };
    assert.equal((await request(url, 'GET', '/api/v1/energy/status')).status, 404);
    assert.equal((await request(url, 'GET', '/api/v1/power/status')).status, 200);
    s.faults = {};
    assert.equal((await request(url, 'GET', '/api/v1/energy/status')).status, 200);
  });

  it('timeout: accepted, never answered; drop: the socket closes without a reply; both recover when cleared', async () => {
    const { s, url } = await start();
    s.faults.timeout = true;
    await assert.rejects(request(url, 'GET', '/api/v1/power/status', { timeoutMs: 300 }), (e) => e.code === 'TIMEOUT');
    s.faults = { drop: true };
    await assert.rejects(request(url, 'GET', '/api/v1/power/status'), (e) => e.code === 'ECONNRESET' || /socket hang up/.test(e.message));
    s.faults = {};
    assert.equal((await request(url, 'GET', '/api/v1/power/status')).status, 200);
    assert.deepEqual(s.requests.slice(-3).map((e) => e.status), [0, 0, 200]);
  });

  it('unknown paths are 404, wrong methods 405; stop() ends hung requests', async () => {
    const { s, url } = await start();
    assert.equal((await request(url, 'GET', '/api/v1/nope')).status, 404);
    assert.equal((await request(url, 'GET', '/api/v1/power/setpoint')).status, 405);
    assert.equal((await request(url, 'POST', '/api/v1/power/status', { auth: GOOD, body: {} })).status, 405);
    s.faults.timeout = true;
    const hung = request(url, 'GET', '/api/v1/power/status', { timeoutMs: 10000 });
    await new Promise((r) => setTimeout(r, 50));
    await s.stop();
    await assert.rejects(hung, (e) => e.code === 'ECONNRESET' || /socket hang up/.test(e.message));
  });
});

describe('Sessy simulator: shapes and units (device form)', () => {
  it('power/status: SoC 0–1, W integers, mHz, mV, mA; renewable phases from the household PV', async () => {
    const clock = new VirtualClock(T0);
    const household = new Household({ clock, load: 500, pv: 3000, pvPhases: 'all' });
    const { get, url } = await start({ clock, household, plant: { socPct: 85 }, strategy: 'POWER_STRATEGY_IDLE' });
    clock.advance(1000);
    const r = await request(url, 'GET', '/api/v1/power/status');
    assert.equal(r.headers['content-type'], 'application/json');
    const j = r.json;
    assert.equal(j.status, 'ok');
    assert.ok(Math.abs(j.sessy.state_of_charge - 0.85) < 1e-9);
    assert.equal(j.sessy.power, 0);
    assert.equal(j.sessy.system_state, 'SYSTEM_STATE_STANDBY');
    assert.equal(j.sessy.system_state_details, '');
    assert.ok(Number.isInteger(j.sessy.frequency) && Math.abs(j.sessy.frequency - 50000) <= 35, String(j.sessy.frequency));
    assert.ok(Number.isInteger(j.sessy.pack_voltage) && j.sessy.pack_voltage > 46000 && j.sessy.pack_voltage < 55000);
    assert.equal(j.sessy.strategy_overridden, false);
    const st = household.state(clock.now());
    for (let i = 0; i < 3; i++) {
      const p = j[`renewable_energy_phase${i + 1}`];
      assert.equal(p.power, 1000);
      assert.equal(p.voltage_rms, Math.round(st.phases[i].voltage * 1000));
      assert.ok(p.voltage_rms > 220000 && p.voltage_rms < 240000);
      assert.equal(p.current_rms, Math.round((1000 / st.phases[i].voltage) * 1000));
    }
    // PV energy per phase: 1000 W for one hour = 1000 Wh.
    clock.advance(3_600_000);
    const e = await get('/api/v1/energy/status');
    for (let i = 1; i <= 3; i++) assert.ok(Math.abs(e[`energy_phase${i}`].export_wh - 1000) <= 1, JSON.stringify(e));
  });

  it('system/info, network/status, ota/status and ota/check, dynamic schedule', async () => {
    const { get, post, s } = await start({ serial: 'D1A2B3C4', password: 'PW', firmware: '1.10.0' });
    const info = await get('/api/v1/system/info');
    assert.equal(info.status, 'ok');
    assert.equal(info.self_serial, 'D1A2B3C4');
    assert.match(info.sessy_serial, /^A/);
    const net = await get('/api/v1/network/status');
    assert.deepEqual(net.wifi_sta.ip, [127, 0, 0, 1]);
    assert.deepEqual(net.eth.ip, [0, 0, 0, 0]);
    let ota = await get('/api/v1/ota/status');
    assert.equal(ota.self.installed_firmware.version, '1.10.0');
    assert.equal(ota.self.available_firmware.version, '');
    assert.deepEqual(await get('/api/v1/ota/check'), { status: 'ok' });
    ota = await get('/api/v1/ota/status');
    assert.equal(ota.serial.state, 'OTA_UP_TO_DATE');
    assert.equal(ota.self.available_firmware.version, '1.10.0');
    assert.equal((await post('/api/v1/ota/start', { target: 'OTA_TARGET_ALL' }, { auth: { user: 'D1A2B3C4', password: 'PW' } })).status, 200);
    s.schedule.dynamic_schedule.push({ start_time: 1735686000, end_time: 1735686900, power: -1500 });
    const sch = await get('/api/v2/dynamic/schedule');
    assert.deepEqual(sch, { status: 'ok', dynamic_schedule: [{ start_time: 1735686000, end_time: 1735686900, power: -1500 }], energy_prices: [] });
  });

  it('keeps a bounded request log', async () => {
    const { s, url } = await start();
    for (let i = 0; i < 520; i++) await request(url, 'GET', '/api/v1/power/active_strategy');
    assert.equal(s.requests.length, 500);
  });
});

describe('Sessy simulator: household and NOM', () => {
  it('registers on the household (one phase); NOM drives the grid towards the target, API overrides it', async () => {
    const clock = new VirtualClock(T0);
    const household = new Household({ clock, load: 1200, pv: 0 });
    const { s, post } = await start({ clock, household, phase: 2, startupMs: 60_000, plant: { socPct: 80 } });
    assert.equal(household.sourceCount, 1);
    assert.ok(Math.abs(household.gridW(clock.now()) - 1200) < 1e-9);
    clock.advance(60_000 + 40_000); // wait, then 20 NOM steps
    assert.equal(s.systemState, 'SYSTEM_STATE_RUNNING_SAFE');
    assert.ok(Math.abs(household.gridW(clock.now())) < 25, `grid ${household.gridW(clock.now())}`);
    const st = household.state(clock.now());
    assert.ok(st.phases[1].powerW < st.phases[0].powerW - 500, 'the battery feeds L2 only');
    // Grid target 300 W: the battery lets 300 W through.
    s.gridTargetW = 300;
    clock.advance(40_000);
    assert.ok(Math.abs(household.gridW(clock.now()) - 300) < 25, `grid ${household.gridW(clock.now())}`);
    await post('/api/v1/power/active_strategy', { strategy: 'POWER_STRATEGY_API' });
    clock.advance(5_000); // API without a setpoint yet: 0 W
    assert.ok(Math.abs(household.gridW(clock.now()) - 1200) < 1e-9);
    await post('/api/v1/power/setpoint', { setpoint: -1000 });
    clock.advance(10_000);
    assert.equal(Math.round(household.gridW(clock.now())), 2200);
    await s.stop();
    servers = servers.filter((x) => x !== s);
    assert.equal(household.sourceCount, 0);
  });
});
