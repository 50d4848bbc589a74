'use strict';
// The ENECTOR behind a KSEM (topology A): the KSEM REST client against the simulated KSEM web API in
// front of the simulated box with a car, over HTTP on loopback: login and re-login on 401, the
// wallbox reading, every charge mode driving the box, the six-field chargemode body, phase usage,
// "use home battery", clear errors for a wrong password, an unknown host and an HTTP failure.
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');

const dist = path.join(__dirname, '../../dist');
const { EnectorSim } = require(path.join(dist, 'lib/sim/enector-sim'));
const { KsemRestSim } = require(path.join(dist, 'lib/sim/ksem-rest-sim'));
const { KsemRestClient, ksemWallboxState } = require(path.join(dist, 'lib/devices/enector/ksem-rest'));
const { Household } = require(path.join(dist, 'lib/sim/household'));
const { validator } = require(path.join(dist, 'lib/api/validate'));
const { chargerReadingSchema } = require(path.join(dist, 'lib/api/charger-schemas'));
const { waitFor } = require('../helpers');

const check = validator(chargerReadingSchema, 'payload');

describe('ENECTOR behind a KSEM: REST API', () => {
  let box;
  let ksem;
  let ep;
  let pv = 6000;
  before(async () => {
    const household = new Household({ load: 500, pv: () => pv });
    box = new EnectorSim({ household, car: { rampAps: 100 }, tickMs: 100 });
    box.car.plugIn();
    ksem = new KsemRestSim({ enector: box, household, tickMs: 200 });
    ep = await ksem.start();
  });
  after(async () => {
    await ksem.stop();
    await box.stop();
  });

  it('logs in with the device password and reads the wallbox as a valid charger reading', async () => {
    const c = new KsemRestClient({ url: ep.url, password: ep.password });
    const r = await c.read();
    assert.equal(check(r), null);
    assert.equal(r.source, 'enector-ksem');
    assert.equal(r.serial, '90123456');
    assert.deepEqual(r.limits, { minCurrentA: 6, maxCurrentA: 16, phaseOptions: [1, 3] });
    const login = ksem.requests.find((q) => q.path === '/api/web-login/token');
    assert.deepEqual(Object.fromEntries(new URLSearchParams(login.body)), { grant_type: 'password', client_id: 'emos', client_secret: '56951025', username: 'admin', password: ep.password });
  });

  it('charge modes drive the box: Solar Pure follows the surplus, Power the maximum, Lock pauses; the body has all six fields', async () => {
    const c = new KsemRestClient({ url: ep.url, password: ep.password });
    await c.setChargeMode('pv');
    await waitFor(() => box.car.currentA > 6, 5000, 'charging on surplus');
    assert.equal((await c.read()).state, 'charging');
    const put = ksem.requests.filter((q) => q.path === '/api/e-mobility/config/chargemode').at(-1);
    assert.deepEqual(Object.keys(JSON.parse(put.body)), ['mode', 'mincharginpowerquota', 'minpvpowerquota', 'lastminchargingpowerquota', 'lastminpvpowerquota', 'controlledby']);
    await c.setChargeMode('grid');
    await waitFor(() => box.state.currentLimit === 16, 5000, 'power mode: 16 A');
    await c.setChargeMode('hybrid', { minChargingPowerPct: 50, minPvPowerPct: 60 });
    assert.deepEqual(ksem.quotas, { min: 50, pv: 60 });
    await c.setChargeMode('lock');
    await waitFor(() => box.state.release === 0, 5000, 'lock: paused');
    const r = await c.read();
    assert.equal(r.chargeMode, 'lock');
    assert.equal(r.enabled, false);
    await c.setPhaseUsage(1);
    assert.equal(ksem.phaseUsage, 1);
    await c.setBatteryUsage(false);
    assert.equal(ksem.batteryUsage, false);
    await assert.rejects(c.setChargeMode('turbo'), /charge mode must be one of lock, grid, pv, hybrid/);
  });

  it('re-logs in once on 401 (expired token); wrong password, HTTP failures and a dead host give clear errors', async () => {
    const c = new KsemRestClient({ url: ep.url, password: ep.password });
    await c.read();
    ksem.expireTokens();
    assert.equal((await c.read()).kind, 'charger');
    const bad = new KsemRestClient({ url: ep.url, password: 'wrong' });
    await assert.rejects(bad.read(), (e) => e.code === 'auth' && /login refused \(HTTP 401\): check the device password/.test(e.message));
    ksem.failNext = 500;
    await assert.rejects(c.read(), (e) => e.short === 'HTTP 500' && /GET \/api\/e-mobility\/evselist answered HTTP 500/.test(e.message));
    const dead = new KsemRestClient({ url: 'http://127.0.0.1:1', password: 'x', timeoutMs: 1000 });
    await assert.rejects(dead.read(), (e) => /refused 127\.0\.0\.1:1/.test(e.short));
  });

  it('maps the KSEM wallbox state words', () => {
    assert.equal(ksemWallboxState('stateCharging'), 'charging');
    assert.equal(ksemWallboxState('stateConnected'), 'connected');
    assert.equal(ksemWallboxState('stateNotConnected'), 'idle');
    assert.equal(ksemWallboxState('statePaused'), 'paused');
    assert.equal(ksemWallboxState('stateError'), 'error');
  });
});
