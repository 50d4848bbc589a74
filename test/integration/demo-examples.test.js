'use strict';
// The demo's example flows and the pieces of scripts/start.mjs, without starting anything: every
// example on its own simulated device, the debug sidebar gets only rate-limited or changed
// messages, example 05 on the controller's defaults, one base port for every port, the settings
// that keep the update-notification modal away. Run after `npm run build`.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { pathToFileURL } = require('node:url');

const root = path.join(__dirname, '../..');
const exDir = path.join(root, 'examples');
const files = fs.readdirSync(exDir).filter((f) => f.endsWith('.json')).sort();
const byFile = Object.fromEntries(files.map((f) => [f, JSON.parse(fs.readFileSync(path.join(exDir, f), 'utf8'))]));
const all = Object.values(byFile).flat();
const start = () => import(pathToFileURL(path.join(root, 'scripts/start.mjs')).href);
const ourTypes = Object.keys(require(path.join(root, 'package.json'))['node-red'].nodes);
const CORE = ['tab', 'comment', 'inject', 'debug', 'change', 'delay', 'rbe', 'link in', 'link out', 'catch', 'function', 'switch', 'status'];

/** Upstream neighbours of every node: wires, and link out → link in. */
function upstreamMap(nodes) {
  const up = new Map(nodes.map((n) => [n.id, []]));
  for (const n of nodes) {
    for (const out of n.wires ?? []) for (const id of out) up.get(id)?.push(n);
    if (n.type === 'link out') for (const id of n.links ?? []) up.get(id)?.push(n);
  }
  return up;
}

/** Seconds between two messages a delay node in rate-limit mode lets through (drops the rest), else null. */
function rateLimitS(n) {
  if (n.type !== 'delay' || n.pauseType !== 'rate' || n.drop !== true) return null;
  const unit = { second: 1, minute: 60, hour: 3600, day: 86400 }[n.rateUnits] ?? NaN;
  return (unit * (Number(n.nbRateUnits) > 0 ? Number(n.nbRateUnits) : 1)) / Number(n.rate);
}

/** The paths into `node` that reach a source without passing a rate limit (≥ 10 s) or a change filter. */
function unfilteredPaths(node, up, seen = new Set([node.id])) {
  const ins = up.get(node.id) ?? [];
  const limiter = (n) => (rateLimitS(n) ?? 0) >= 10 || (n.type === 'rbe' && (n.func === 'rbe' || n.func === 'rbei'));
  // Sources that only speak when something happens: a person's click, an error.
  const quiet = (n) => (n.type === 'inject' && !n.repeat && !n.crontab && !n.once) || n.type === 'catch';
  if (!ins.length) return quiet(node) ? [] : [[node.name || node.type]];
  const bad = [];
  for (const n of ins) {
    if (limiter(n) || quiet(n) || seen.has(n.id)) continue;
    for (const p of unfilteredPaths(n, up, new Set([...seen, n.id]))) bad.push([...p, node.name || node.type]);
  }
  return bad;
}

test('every active debug node in the examples is behind a rate limit or a change filter', () => {
  const up = upstreamMap(all);
  const debugs = all.filter((n) => n.type === 'debug');
  assert.ok(debugs.length >= 8, 'the examples have debug nodes');
  const offenders = [];
  for (const d of debugs.filter((n) => n.active !== false && n.tosidebar !== false)) {
    for (const p of unfilteredPaths(d, up)) offenders.push(p.join(' → '));
  }
  assert.deepEqual(offenders, [], 'active debug nodes fed without a rate limit (delay, rate mode, drop, ≥ 10 s) or a filter (rbe)');
  // Each tab that has a device reading still shows something: one active debug node at least, and
  // the full readings behind a disabled one.
  for (const [f, nodes] of Object.entries(byFile)) {
    if (f.includes('Dashboard')) continue;
    assert.ok(nodes.some((n) => n.type === 'debug' && n.active !== false), `${f}: an active debug node`);
    assert.ok(nodes.some((n) => n.type === 'debug' && n.active === false && /every/.test(n.name)), `${f}: a disabled "every …" debug node`);
  }
});

test('the filter finds an unfiltered debug node (the check can fail)', () => {
  const nodes = [
    { id: 'm', type: 'p1-meter', wires: [['d', 'l']] },
    { id: 'd', type: 'debug', name: 'raw', active: true, wires: [] },
    { id: 'l', type: 'delay', pauseType: 'rate', rate: '1', nbRateUnits: '2', rateUnits: 'second', drop: true, wires: [['d2']] },
    { id: 'd2', type: 'debug', name: 'every 2 s', active: true, wires: [] },
  ];
  const up = upstreamMap(nodes);
  assert.deepEqual(unfilteredPaths(nodes[1], up), [['p1-meter', 'raw']]);
  assert.deepEqual(unfilteredPaths(nodes[3], up), [['p1-meter', 'delay', 'every 2 s']], 'a limit of one per 2 s is too fast');
});

test('examples other than the dashboard use only this package\'s nodes and core nodes; the dashboard adds only ui-* nodes', () => {
  for (const [f, nodes] of Object.entries(byFile)) {
    const foreign = [...new Set(nodes.map((n) => n.type))].filter((t) => !ourTypes.includes(t) && !CORE.includes(t));
    if (f.includes('Dashboard')) assert.deepEqual(foreign.filter((t) => !t.startsWith('ui-')), [], f);
    else assert.deepEqual(foreign, [], f);
  }
  assert.ok(files.some((f) => f.includes('Dashboard')), 'a dashboard example');
  const ids = all.map((n) => n.id);
  assert.equal(new Set(ids).size, ids.length, 'node ids are unique across the examples');
  for (const lo of all.filter((n) => n.type === 'link out')) for (const id of lo.links) assert.ok(ids.includes(id), `${lo.id} links to ${id}`);
});

test('every example that drives a battery has its own simulated device', async () => {
  const { demoPorts, demoFlows, parseArgs } = await start();
  const p = demoPorts(parseArgs(['--base-port', '12000']));
  const { flows } = demoFlows(all, p);
  const endpoints = batteryEndpoints(flows);
  assert.ok(endpoints.length >= 6, 'Sessy (02), Sofar (04), Sessy (05), ENECTOR (07), Sessy (08), Sessy (22)');
  const seen = new Map();
  for (const e of endpoints) {
    assert.ok(!seen.has(e.endpoint), `${e.tab} and ${seen.get(e.endpoint)} both drive ${e.endpoint}`);
    seen.set(e.endpoint, e.tab);
  }
  // Every one of them is a simulated device of the demo.
  for (const e of endpoints) assert.ok([...p.sessy, p.sofar, p.enector].map((x) => `127.0.0.1:${x}`).includes(e.endpoint), e.endpoint);
});

/** [{tab, endpoint}] of every battery/inverter node: its dongle's or Modbus link's host:port. */
function batteryEndpoints(flows) {
  const byId = new Map(flows.map((n) => [n.id, n]));
  const tab = (n) => byId.get(n.z)?.label ?? n.z;
  const out = [];
  for (const n of flows) {
    if (n.type === 'sessy-battery') {
      const d = byId.get(n.dongle);
      out.push({ tab: tab(n), endpoint: d.port ? `${d.host}:${d.port}` : String(d.host) });
    }
    if (n.type === 'sofar-inverter' || n.type === 'enector-charger') {
      const l = byId.get(n.link);
      out.push({ tab: tab(n), endpoint: `${l.host}:${l.port}` });
    }
  }
  return out;
}

test('npm start deploys the Home Assistant websocket examples disabled, each with its server node inside the tab', async () => {
  const { demoFlows, demoPorts, parseArgs } = await start();
  const { flows } = demoFlows(all, demoPorts(parseArgs([])));
  const byId = new Map(flows.map((n) => [n.id, n]));
  const states = flows.filter((n) => n.type === 'ha-state');
  assert.ok(states.length >= 3);
  const haTabs = new Set(states.map((n) => n.z));
  assert.deepEqual([...haTabs].sort(), ['he21tab000000001', 'he22tab000000001', 'he23tab000000001']);
  for (const n of states) assert.equal(byId.get(n.server).z, n.z, `${n.id}: its server is in its tab`);
  for (const t of flows.filter((n) => n.type === 'tab')) assert.equal(t.disabled === true, haTabs.has(t.id), t.label);
  // The examples themselves are unchanged: a palette user imports them enabled, the server global.
  assert.ok(all.filter((n) => n.type === 'ha-server').every((n) => n.z === undefined));
  assert.ok(all.filter((n) => n.type === 'tab').every((n) => !n.disabled));
});

test('example 05 uses the zero-export controller\'s defaults', () => {
  const { ZERO_EXPORT_DEFAULTS: d } = require(path.join(root, 'dist/lib/control/zero-export/controller.js'));
  const ze = all.find((n) => n.type === 'zero-export' && n.z === 'he05tab000000001');
  assert.equal(ze.deadbandW, d.deadbandW);
  assert.equal(ze.errorBudgetWs, d.errorBudgetWs);
  assert.equal(ze.deadbandW, 15);
  assert.equal(ze.errorBudgetWs, 150);
  assert.equal(ze.slewWPerS, d.slewWPerS);
  assert.equal(ze.reserveChargeW, d.reserveChargeW);
  assert.equal(ze.refreshS * 1000, d.refreshMs);
});

test('examples that assume npm start say so and name what a palette user changes', () => {
  for (const [f, nodes] of Object.entries(byFile)) {
    const c = nodes.find((n) => n.type === 'comment' && /npm start/.test(n.name));
    assert.ok(c, `${f}: a comment node naming npm start`);
    assert.match(c.info, /palette/, f);
    assert.match(c.info, /Host|Serial port|link/, f);
  }
});

test('one base port: the editor on it, every simulator at its offset, two demos side by side', async () => {
  const { demoPorts, parseArgs, portRoles, demoFlows, CLASSIC_PORTS, USAGE } = await start();
  const a = demoPorts(parseArgs(['--base-port', '12000']));
  assert.deepEqual(
    portRoles(a).map(([port]) => port),
    [12000, 12001, 12002, 12003, 12004, 12005, 12006, 12008, 12010, 12011, 12012, 12013],
  );
  const b = demoPorts(parseArgs(['--base-port', '12100', '--sessy-batteries', '32']));
  const pa = portRoles(a).map(([x]) => x);
  const pb = portRoles(b).map(([x]) => x);
  assert.equal(new Set(pb).size, pb.length, 'no port twice');
  assert.deepEqual(pa.filter((x) => pb.includes(x)), [], 'base 12000 and 12100 share no port');
  assert.equal(Math.max(...pb), 12100 + 41);
  // Without --base-port: the ports the examples name; --port moves only the editor.
  const c = demoPorts(parseArgs([]));
  assert.deepEqual(portRoles(c).map(([x]) => x), [1880, 2323, 2324, 1502, 1802, 1503, 1505, 1506, 8091, 8092, 8093, 8094]);
  assert.equal(demoPorts(parseArgs(['--port', '1890'])).editor, 1890);
  assert.equal(demoPorts(parseArgs([], { PORT: '1999' })).editor, 1999);
  // The deployed flows name only the plan's ports, none of the classic ones.
  const { flows, creds } = demoFlows(all, a);
  const named = [];
  for (const n of flows) {
    if (n.port !== undefined && n.port !== '') named.push(Number(n.port));
    if (n.type === 'ksem-meter' && n.mode === 'push') named.push(Number(n.listenPort));
    const m = /:(\d+)$/.exec(n.type === 'sessy-dongle' ? n.host : '');
    if (m) named.push(Number(m[1]));
  }
  const classic = [CLASSIC_PORTS.editor, ...CLASSIC_PORTS.p1, CLASSIC_PORTS.ksem, CLASSIC_PORTS.ksemTls, CLASSIC_PORTS.ksemPush, CLASSIC_PORTS.sofar, CLASSIC_PORTS.enector, CLASSIC_PORTS.sessy, CLASSIC_PORTS.sessy + 1, CLASSIC_PORTS.sessy + 2];
  assert.deepEqual(named.filter((x) => classic.includes(x)), []);
  assert.ok(named.length >= 8 && named.every((x) => pa.includes(x)), `ports ${named}`);
  assert.deepEqual(Object.values(creds).map((c) => c.user).sort(), ['DSIM0001', 'DSIM0002', 'DSIM0003', 'DSIM0004']);
  for (const s of ['--base-port', 'B+1', 'B+8', 'B+10']) assert.ok(USAGE.includes(s), `usage names ${s}`);
});

test('bad options are usage errors; the port-in-use message suggests --base-port', async () => {
  const { parseArgs, portInUseMessage, UsageError } = await start();
  assert.throws(() => parseArgs(['--base-port', '0x10']), UsageError);
  assert.throws(() => parseArgs(['--base-port', '65530']), UsageError);
  assert.throws(() => parseArgs(['--sessy-batteries', '1']), /4–32/);
  assert.throws(() => parseArgs(['--bogus']), /unknown option --bogus/);
  const m = portInUseMessage(2323, 'P1 meter NL', parseArgs([]));
  assert.match(m, /port 2323 \(P1 meter NL\).*in use/);
  assert.match(m, /npm start -- --base-port 12000/);
  assert.doesNotMatch(m, /--port\b/);
  assert.match(portInUseMessage(12003, 'KSEM', parseArgs(['--base-port', '12000'])), /--base-port 12100/);
});

test('the demo settings turn off telemetry and its "Enable Update Notifications" modal', async () => {
  const { settingsJs, demoPorts, parseArgs } = await start();
  const mod = { exports: {} };
  new Function('module', settingsJs(demoPorts(parseArgs(['--base-port', '12000']))))(mod);
  const s = mod.exports;
  assert.equal(s.uiPort, 12000);
  assert.equal(s.uiHost, '127.0.0.1');
  // The editor shows the modal while telemetry is undecided (RED.settings.telemetryEnabled undefined):
  // an explicit `enabled: false` decides it.
  assert.equal(s.telemetry.enabled, false);
  assert.equal(s.telemetry.updateNotification, false);
  assert.equal(s.editorTheme.tours, false);
});

test('without the dashboard its tab is left out and the links to it are dropped', async () => {
  const { demoFlows, demoPorts, parseArgs } = await start();
  const { flows } = demoFlows(all, demoPorts(parseArgs([])), { dashboard: false });
  assert.deepEqual(flows.filter((n) => n.type.startsWith('ui-')), []);
  assert.ok(!flows.some((n) => n.type === 'tab' && n.label === 'Dashboard'));
  assert.ok(flows.filter((n) => n.type === 'link out').every((n) => n.links.length === 0));
  assert.equal(flows.filter((n) => n.type === 'tab').length, files.length - 1);
});

test('the dashboard\'s power-flow function: load from grid, PV and batteries; the BE meter only for the capacity tariff', () => {
  const fn = all.find((n) => n.type === 'function' && n.name === 'power flow');
  assert.equal(fn.outputs, 5);
  const store = {};
  const context = { get: (k) => store[k], set: (k, v) => (store[k] = v) };
  const run = new Function('msg', 'context', 'node', fn.func);
  const send = (msg) => run(msg, context, {});
  assert.deepEqual(send({ topic: 'sessy', payload: { kind: 'battery', serial: 'DSIM0001', power: -500, soc: 40.5, renewable: { power: 3000 } } }), [null, null, null, null, null]);
  send({ topic: 'sofar', payload: { kind: 'battery', serial: 'SA1', power: 200, soc: 70, pvPower: 3000 } });
  send({ topic: 'enector', payload: { kind: 'charger', power: 1400, state: 'charging' } });
  const out = send({ topic: 'p1', payload: { kind: 'meter', power: 150 } });
  const flow = out[0].payload;
  assert.equal(flow.grid, 150);
  assert.equal(flow.pv, 3000);
  assert.equal(flow.batteryW, -300);
  assert.equal(flow.load, 150 + 3000 - 300 - 1400);
  assert.equal(flow.car.power, 1400);
  assert.deepEqual(flow.batteries.map((b) => [b.label, b.power, b.soc]), [['Sessy DSIM0001', -500, 40.5], ['Sofar SA1', 200, 70]]);
  // The first grid reading also gives chart points: four power lines and the car, one SoC line per battery.
  assert.deepEqual(out[1].map((m) => [m.topic, m.payload]), [['grid (+ import)', 150], ['PV', 3000], ['load', 1450], ['batteries (+ discharge)', -300], ['car', 1400]]);
  assert.deepEqual(out[2].map((m) => [m.topic, m.payload]), [['Sessy DSIM0001', 40.5], ['Sofar SA1', 70]]);
  // The Belgian meter: its capacity values, but not the grid while the Dutch meter reads.
  const be = send({ topic: 'p1-be', payload: { kind: 'meter', power: 999, capacity: { currentAverageW: 321, projectedW: 400, monthPeakW: 2800 } } });
  assert.deepEqual(be[4].payload, { currentAverageW: 321, projectedW: 400, monthPeakW: 2800 });
  assert.equal(be[0], null);
  const again = send({ topic: 'p1', payload: { kind: 'meter', power: 160 } });
  assert.equal(again[0].payload.grid, 160);
  assert.equal(again[1], null, 'chart points at most every 10 s');
  const ze = send({ topic: 'zero-export', payload: { kind: 'zero-export-status', mode: 'active', targetW: 0, gridW: 160, totalSetpointW: -300, reasons: ['a', 'b', 'c', 'd', 'e'], units: [{ id: 'Sessy', setpoint: -300, power: -290 }] } });
  assert.equal(ze[3].payload.mode, 'active');
  assert.equal(ze[3].payload.reasons.length, 4);
  // Malformed input does not throw.
  for (const bad of [undefined, null, 42, 'x', { kind: 'meter' }, { kind: 'battery', power: 'NaN' }]) assert.doesNotThrow(() => send({ payload: bad }));
});
