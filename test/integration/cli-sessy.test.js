'use strict';
// The `home-energy sessy …` commands as a user runs them (a child process) against the Sessy battery
// simulator over real HTTP, and `sessy discover` against the mDNS responder on loopback.
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { SessyBatteryServer } = require('../../dist/lib/sim/sessy-server');
const { MdnsResponder } = require('../../dist/lib/sim/mdns-responder');

const { runCli } = require('../helpers');

/** Async: the simulator runs in this process and must keep answering. */
const run = (args) => runCli(args, { timeoutMs: 30000 });

describe('home-energy sessy', () => {
  let server;
  let url;
  let auth;
  before(async () => {
    server = new SessyBatteryServer({ startupMs: 0, latencyMs: 0, plant: { socPct: 42 } });
    ({ url } = await server.start());
    // Lower case on purpose: the CLI upper-cases the sticker credentials.
    auth = ['--url', url, '--user', 'dsim0001', '--password', 'simpass1'];
  });
  after(() => server.stop());

  it('status prints one JSON object with soc %, power W, setpoint, state, strategy', async () => {
    const r = await run(['sessy', 'status', '--url', url.replace('http://', '')]);
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, 1);
    const o = JSON.parse(lines[0]);
    assert.ok(Math.abs(o.soc - 42) < 0.5, `soc in % (${o.soc})`);
    assert.equal(o.power, 0);
    assert.equal(o.setpoint, 0);
    assert.equal(o.state, 'ready');
    assert.equal(o.strategy, 'POWER_STRATEGY_NOM');
    assert.equal(o.serial, 'DSIM0001');
    assert.deepEqual(o.limits, { maxChargeW: 2200, maxDischargeW: 1700 });
    assert.equal(o.raw, undefined);
    const raw = JSON.parse((await run(['sessy', 'status', '--url', url, '--raw'])).stdout);
    assert.equal(raw.raw['/api/v1/power/status'].status, 'ok');
  });

  it('setpoint switches to API when needed, sets the setpoint, clamps and says so', async () => {
    server.strategy = 'POWER_STRATEGY_NOM';
    const r = await run(['sessy', 'setpoint', '-1000', ...auth]);
    assert.equal(r.status, 0, r.stderr);
    const o = JSON.parse(r.stdout);
    assert.equal(o.sent, -1000);
    assert.equal(o.strategySwitched, true);
    assert.equal(o.strategy, 'POWER_STRATEGY_API');
    assert.equal(o.previousStrategy, 'POWER_STRATEGY_NOM');
    assert.equal(server.strategy, 'POWER_STRATEGY_API');
    assert.equal(server.setpoint(), -1000, 'the setpoint holds after the command ends (no hand-back)');
    const c = await run(['sessy', 'setpoint', '5000', ...auth, '--max-discharge', '1200']);
    assert.equal(c.status, 0, c.stderr);
    assert.equal(JSON.parse(c.stdout).sent, 1200);
    assert.equal(JSON.parse(c.stdout).strategySwitched, false);
    assert.match(c.stderr, /5000 W was limited to 1200 W/);
    assert.equal(server.setpoint(), 1200);
  });

  it('strategy sets every enum value by name or alias', async () => {
    for (const [name, want] of [['eco', 'POWER_STRATEGY_ECO'], ['dynamic', 'POWER_STRATEGY_ROI'], ['IDLE', 'POWER_STRATEGY_IDLE'], ['POWER_STRATEGY_SESSY_CONNECT', 'POWER_STRATEGY_SESSY_CONNECT'], ['api', 'POWER_STRATEGY_API'], ['nom', 'POWER_STRATEGY_NOM']]) {
      const r = await run(['sessy', 'strategy', name, ...auth]);
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(JSON.parse(r.stdout), { strategy: want, switched: true });
      assert.equal(server.strategy, want);
    }
  });

  it('failures exit non-zero with a clear message and change nothing', async () => {
    const before = server.requests.filter((x) => x.method === 'POST').length;
    const cases = [
      [['sessy', 'setpoint', '500', '--url', url, '--user', 'DSIM0001', '--password', 'WRONG'], 1, /authentication failed \(HTTP 401\); check user and password/],
      [['sessy', 'status', '--url', '127.0.0.1:1', '--timeout', '1'], 1, /home-energy sessy status: 127\.0\.0\.1:1: ECONNREFUSED/],
      [['sessy', 'strategy', 'charge', ...auth], 2, /unknown strategy "charge"; use api, nom/],
      [['sessy', 'setpoint', 'abc', ...auth], 2, /WATTS must be a number/],
      [['sessy', 'setpoint', '500', '--url', url], 2, /needs the user \(the serial on the dongle sticker\): --user U or HOME_ENERGY_USER/],
      [['sessy', 'status'], 2, /--url is required/],
      [['sessy', 'status', '--url', url, '--bogus'], 2, /unknown option --bogus/],
      [['sessy', 'fly'], 2, /home-energy sessy: unknown command "fly"/],
    ];
    for (const [args, code, re] of cases) {
      const r = await run(args);
      assert.equal(r.status, code, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, re, args.join(' '));
      assert.equal(r.stdout, '');
    }
    server.faults = { http500: true };
    const f = await run(['sessy', 'status', '--url', url, '--timeout', '1']);
    server.faults = {};
    assert.equal(f.status, 1);
    assert.match(f.stderr, /HTTP 500/);
    assert.equal(server.requests.filter((x) => x.method === 'POST').length, before, 'nothing was written');
  });

  it('setpoint while SessyConnect drives the unit: exit 1, nothing sent', async () => {
    server.strategy = 'POWER_STRATEGY_SESSY_CONNECT';
    const n = server.requests.filter((x) => x.method === 'POST').length;
    const r = await run(['sessy', 'setpoint', '800', ...auth]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /not sent: .*SessyConnect/);
    assert.equal(server.requests.filter((x) => x.method === 'POST').length, n);
    server.strategy = 'POWER_STRATEGY_NOM';
  });

  it('discover lists dongles answering mDNS with serial and type', async () => {
    const mdns = new MdnsResponder({
      port: 0,
      instances: [
        { name: 'sessy-dsim0001', host: 'sessy-dsim0001.local', port: server.port, address: '127.0.0.1', txt: { serial: 'DSIM0001', device: 'Sessy Dongle' } },
        { name: 'sessy-p1', host: 'sessy-p1.local', port: 80, address: '127.0.0.1', txt: { serial: 'PSIM0009', device: 'Sessy P1' } },
      ],
    });
    const m = await mdns.start();
    try {
      const r = await run(['sessy', 'discover', '--mdns-address', '127.0.0.1', '--mdns-port', String(m.port), '--timeout', '0.5', '--json']);
      assert.equal(r.status, 0, r.stderr);
      const list = JSON.parse(r.stdout);
      assert.deepEqual(
        list.map((d) => [d.name, d.address, d.port, d.serial, d.type]),
        [
          ['sessy-dsim0001', '127.0.0.1', server.port, 'DSIM0001', 'battery'],
          ['sessy-p1', '127.0.0.1', 80, 'PSIM0009', 'p1'],
        ],
      );
      const t = await run(['sessy', 'discover', '--mdns-address', '127.0.0.1', '--mdns-port', String(m.port), '--timeout', '0.5']);
      assert.match(t.stdout, new RegExp(`^sessy-dsim0001\\t127\\.0\\.0\\.1:${server.port}\\tserial DSIM0001\\tbattery`, 'm'));
    } finally {
      await mdns.stop();
    }
  });
});
