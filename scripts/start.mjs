#!/usr/bin/env node
// `npm start`: run Node-RED with this package, the virtual home, the example flows and a dashboard.
// The Node-RED user dir is .node-red-user/ inside the repo (git-ignored; $HOME_ENERGY_USER_DIR for
// another). `npm start -- --help` lists the options and the ports.
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

/** FlowFuse Dashboard 2.0 (Apache-2.0), installed into the user dir by the setup, not a dependency of the package. */
export const DASHBOARD_PACKAGE = '@flowfuse/node-red-dashboard';
export const DASHBOARD_VERSION = '1.31.0';
export const DASHBOARD_PATH = '/dashboard';

/** The ports without --base-port: the ones the example flows name (so a palette user sees the same). */
export const CLASSIC_PORTS = { editor: 1880, p1: [2323, 2324], ksem: 1502, ksemTls: 1802, ksemPush: 1503, sofar: 1505, enector: 1506, sessy: 8091 };
/** Simulated Sessy batteries the examples use: 02 drives the first, 05 (zero export) the second, 08 (peak shaving) the third, 22 (zero export from an HA sensor) the fourth. */
export const EXAMPLE_SESSY_UNITS = 4;
const CREDENTIAL_SECRET = 'home-energy-virtual-home';

export const USAGE = `usage: npm start -- [options]      (or: node scripts/start.mjs [options])

Runs the virtual home (simulated P1 meters, Sessy batteries, KOSTAL KSEM, Sofar ME3000SP, all one
household), Node-RED with this package and the example flows, and a dashboard.

  --base-port B          editor on B and every simulator at its offset from B (below), so a second
                         demo runs beside the first: npm start -- --base-port 12000
  --port N               editor port only (default 1880, $PORT, or the base port)
  --sessy-batteries N    simulated Sessy batteries, ${EXAMPLE_SESSY_UNITS}–32 (default ${EXAMPLE_SESSY_UNITS}: one each for examples 02, 05, 08 and 22)
  --reset                rewrite the flows from examples/ (your own edits in the user dir are replaced)
  --no-dashboard         do not install FlowFuse Dashboard 2.0 and leave out its example tab
  -h, --help             this text

port          default   with --base-port B
editor        1880      B          (dashboard on http://127.0.0.1:<editor>${DASHBOARD_PATH})
P1 NL / BE    2323/2324 B+1 / B+2
KSEM          1502      B+3        (TLS: 1802 / B+4; pushes to 1503 / B+5)
Sofar gateway 1505      B+6
ENECTOR gw    1506      B+8        (wallbox unit 50 with a car plugged in)
Sessy k=1,2…  8091…     B+10…      (user DSIM0001…, password SIMPASS1…)
`;

export class UsageError extends Error {}

export function parseArgs(argv, env = {}) {
  const o = { reset: false, help: false, dashboard: true, basePort: undefined, port: undefined, sessyBatteries: EXAMPLE_SESSY_UNITS };
  const num = (name, v, min, max) => {
    const n = Number(v);
    if (v === undefined || !/^\d+$/.test(String(v)) || n < min || n > max) throw new UsageError(`${name} needs a whole number ${min}–${max}, got ${v === undefined ? 'nothing' : JSON.stringify(v)}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--reset') o.reset = true;
    else if (a === '-h' || a === '--help') o.help = true;
    else if (a === '--no-dashboard') o.dashboard = false;
    else if (a === '--base-port') o.basePort = num('--base-port', argv[++i], 1024, 65535 - 41);
    else if (a === '--port') o.port = num('--port', argv[++i], 1, 65535);
    else if (a === '--sessy-batteries') o.sessyBatteries = num('--sessy-batteries', argv[++i], EXAMPLE_SESSY_UNITS, 32);
    else throw new UsageError(`unknown option ${a}`);
  }
  if (o.port === undefined && o.basePort === undefined && env.PORT) o.port = num('$PORT', env.PORT, 1, 65535);
  return o;
}

/** Every port of this demo: the classic ones, or the plan of lib/sim/home.ts around --base-port. */
export function demoPorts(o) {
  let p;
  if (o.basePort !== undefined) {
    const { portPlan } = require(path.join(root, 'dist/lib/sim/home.js'));
    p = portPlan(o.basePort, { profiles: 2, sessyBatteries: o.sessyBatteries });
    delete p.sessyP1;
  } else {
    p = { ...CLASSIC_PORTS, p1: [...CLASSIC_PORTS.p1], sessy: Array.from({ length: o.sessyBatteries }, (_, k) => CLASSIC_PORTS.sessy + k) };
  }
  if (o.port !== undefined) p.editor = o.port;
  return p;
}

/** [port, what] for every listening port of the demo. */
export function portRoles(p) {
  return [
    [p.editor, 'Node-RED editor'],
    [p.p1[0], 'P1 meter NL'],
    [p.p1[1], 'P1 meter BE'],
    [p.ksem, 'KSEM'],
    [p.ksemTls, 'KSEM TLS'],
    [p.ksemPush, 'KSEM push receiver'],
    [p.sofar, 'Sofar gateway'],
    [p.enector, 'ENECTOR gateway'],
    ...p.sessy.map((port, k) => [port, `Sessy ${k + 1}`]),
  ];
}

export function portInUseMessage(port, what, o) {
  const next = o.basePort !== undefined ? o.basePort + 100 : 12000;
  return `start: port ${port} (${what}) on 127.0.0.1 is in use (another npm start running?). Stop it, or run this demo on other ports: npm start -- --base-port ${next} (editor on ${next}, simulators on ${next + 1}–${next + 41}).`;
}

/**
 * The example flows for the demo: every loopback port the examples name (CLASSIC_PORTS) becomes the
 * demo's port, and each sessy-dongle gets its simulated unit's credentials (returned apart, for
 * flows_cred.json). Without the dashboard its tab (nodes of type ui-*) is left out. The tabs with
 * ha-state nodes come disabled, each with its ha-server node moved into it.
 */
export function demoFlows(examples, p, { dashboard = true } = {}) {
  const map = new Map([
    [CLASSIC_PORTS.p1[0], p.p1[0]],
    [CLASSIC_PORTS.p1[1], p.p1[1]],
    [CLASSIC_PORTS.ksem, p.ksem],
    [CLASSIC_PORTS.ksemTls, p.ksemTls],
    [CLASSIC_PORTS.ksemPush, p.ksemPush],
    [CLASSIC_PORTS.sofar, p.sofar],
    [CLASSIC_PORTS.enector, p.enector],
  ]);
  const flows = [];
  const creds = {};
  const dashboardTabs = new Set(examples.filter((n) => n.type === 'ui-base' || n.type?.startsWith('ui-')).map((n) => n.z).filter(Boolean));
  for (const src of examples) {
    if (!dashboard && (src.type?.startsWith('ui-') || dashboardTabs.has(src.z) || dashboardTabs.has(src.id))) continue;
    const n = structuredClone(src);
    if ((n.type === 'p1-meter' || n.type === 'modbus-link') && n.host === '127.0.0.1' && map.has(Number(n.port))) n.port = map.get(Number(n.port));
    if (n.type === 'ksem-meter' && n.mode === 'push' && map.has(Number(n.listenPort))) n.listenPort = map.get(Number(n.listenPort));
    // sessy-dongle on the simulated Sessy k (host "127.0.0.1:8091+k", or host 127.0.0.1 with port 8091+k).
    const sessy = n.type === 'sessy-dongle' ? /^127\.0\.0\.1(?::(\d+))?$/.exec(String(n.host ?? '').trim()) : null;
    const k = sessy ? Number(n.port || sessy[1] || 80) - CLASSIC_PORTS.sessy : -1;
    if (k >= 0 && k < p.sessy.length) {
      if (n.port !== undefined && n.port !== '') n.port = p.sessy[k];
      else n.host = `127.0.0.1:${p.sessy[k]}`;
      delete n.credentials;
      creds[n.id] = { user: `DSIM${String(k + 1).padStart(4, '0')}`, password: `SIMPASS${k + 1}` };
    }
    flows.push(n);
  }
  // The Home Assistant websocket examples need an HA instance and a token of the user's: their tabs
  // come disabled (with their server node moved into the tab) so the first start logs no errors.
  const byId = new Map(flows.map((n) => [n.id, n]));
  const haTabs = new Set(flows.filter((n) => n.type === 'ha-state').map((n) => n.z));
  for (const n of flows) {
    if (n.type === 'tab' && haTabs.has(n.id)) n.disabled = true;
    if (n.type === 'ha-state' && byId.get(n.server)?.z === undefined && byId.has(n.server)) byId.get(n.server).z = n.z;
  }
  if (!dashboard) {
    // Link-out nodes in the other tabs that pointed at the dashboard now point nowhere: drop the targets.
    const ids = new Set(flows.map((n) => n.id));
    for (const n of flows) if (n.type === 'link out' && Array.isArray(n.links)) n.links = n.links.filter((id) => ids.has(id));
  }
  return { flows, creds };
}

/** The demo's settings.js: loopback editor, fixed credential secret, no update-notification modal. */
export function settingsJs(p) {
  return `module.exports = {
  uiHost: '127.0.0.1',
  uiPort: ${p.editor},
  flowFile: 'flows.json',
  credentialSecret: '${CREDENTIAL_SECRET}',
  logging: { console: { level: 'info', metrics: false, audit: false } },
  // No telemetry and no "Enable Update Notifications" modal over the editor on the first open
  // (the editor asks while telemetry is undecided); no welcome tour.
  telemetry: { enabled: false, updateNotification: false },
  editorTheme: { tours: false, projects: { enabled: false } },
};
`;
}

// Node-RED keeps credentials out of flows.json (inline `credentials` are dropped on load) in
// flows_cred.json: AES-256-CTR, key = SHA-256(credentialSecret), stored as {"$": hex(iv) + base64(data)}
// (format of node-red's runtime lib/nodes/credentials.js).
function writeCredentials(file, creds) {
  const key = crypto.createHash('sha256').update(CREDENTIAL_SECRET).digest();
  const iv = crypto.randomBytes(16);
  const cipher = crypto.createCipheriv('aes-256-ctr', key, iv);
  const data = cipher.update(JSON.stringify(creds), 'utf8', 'base64') + cipher.final('base64');
  fs.writeFileSync(file, JSON.stringify({ $: iv.toString('hex') + data }));
}

function portFree(port) {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

function dashboardInstalled(userDir) {
  try {
    return JSON.parse(fs.readFileSync(path.join(userDir, 'node_modules', DASHBOARD_PACKAGE, 'package.json'), 'utf8')).version === DASHBOARD_VERSION;
  } catch {
    return false;
  }
}

/** Installs the dashboard into the user dir once (npm, from the registry); false when that fails. */
function installDashboard(userDir) {
  if (dashboardInstalled(userDir)) return true;
  console.log(`start: installing FlowFuse Dashboard 2.0 (${DASHBOARD_PACKAGE}@${DASHBOARD_VERSION}, Apache-2.0) into ${userDir} (once)`);
  const npm = process.env.npm_execpath && /npm-cli\.js$/.test(process.env.npm_execpath) ? [process.execPath, [process.env.npm_execpath]] : ['npm', []];
  const r = spawnSync(npm[0], [...npm[1], 'install', '--no-audit', '--no-fund', '--omit=dev', '--no-package-lock', '--loglevel=error'], { cwd: userDir, stdio: ['ignore', 'inherit', 'inherit'], timeout: 180000 });
  if (r.status === 0 && dashboardInstalled(userDir)) return true;
  console.error(`start: could not install ${DASHBOARD_PACKAGE} (is the npm registry reachable?); running without the dashboard. npm start -- --no-dashboard skips this step.`);
  return false;
}

function prepareUserDir(userDir, o, p) {
  fs.mkdirSync(path.join(userDir, 'node_modules'), { recursive: true });
  fs.writeFileSync(
    path.join(userDir, 'package.json'),
    JSON.stringify({ name: 'node-red-project', private: true, dependencies: o.dashboard ? { [DASHBOARD_PACKAGE]: DASHBOARD_VERSION } : {} }, null, 2),
  );
  const dashboard = o.dashboard && installDashboard(userDir);
  // After npm (which prunes what its package.json does not name): this package, linked.
  const link = path.join(userDir, 'node_modules', 'node-red-contrib-home-energy');
  fs.rmSync(link, { recursive: true, force: true });
  fs.symlinkSync(root, link, 'dir');
  fs.writeFileSync(path.join(userDir, 'settings.js'), settingsJs(p));
  const flowFile = path.join(userDir, 'flows.json');
  if (o.reset || !fs.existsSync(flowFile)) {
    const examples = [];
    for (const f of fs.readdirSync(path.join(root, 'examples')).filter((f) => f.endsWith('.json')).sort()) {
      examples.push(...JSON.parse(fs.readFileSync(path.join(root, 'examples', f), 'utf8')));
    }
    const { flows, creds } = demoFlows(examples, p, { dashboard });
    fs.writeFileSync(flowFile, JSON.stringify(flows, null, 2));
    writeCredentials(path.join(userDir, 'flows_cred.json'), creds);
    console.log(`start: deployed ${flows.filter((n) => n.type === 'tab').length} example flow(s) into ${flowFile}`);
    const off = flows.filter((n) => n.type === 'tab' && n.disabled).map((n) => `"${n.label}"`);
    if (off.length) console.log(`start: ${off.join(', ')} need your Home Assistant and start disabled: enter its URL and token in the flow's server node, then Enable flow (tab menu)`);
  } else if (!dashboard && fs.readFileSync(flowFile, 'utf8').includes('"ui-base"')) {
    console.error('start: the flows use the dashboard, which is not installed: Node-RED will wait for its node types. npm start -- --reset --no-dashboard deploys the examples without it.');
  }
  return { dashboard };
}

/** Stops Node-RED (SIGINT, then SIGKILL after timeoutMs) and resolves with its exit code. */
function stopChild(child, timeoutMs) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve(child.exitCode ?? 1);
    const t = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(t);
      resolve(code ?? 1);
    });
    child.kill('SIGINT');
  });
}

async function main() {
  let o;
  try {
    o = parseArgs(process.argv.slice(2), process.env);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    console.error(`start: ${e.message}\n\n${USAGE}`);
    process.exit(2);
  }
  if (o.help) {
    process.stdout.write(USAGE);
    return;
  }
  const userDir = process.env.HOME_ENERGY_USER_DIR ? path.resolve(process.env.HOME_ENERGY_USER_DIR) : path.join(root, '.node-red-user');
  const p = demoPorts(o);
  for (const [port, what] of portRoles(p)) {
    if (!(await portFree(port))) {
      console.error(portInUseMessage(port, what, o));
      process.exit(1);
    }
  }
  const { VirtualHome } = require(path.join(root, 'dist/lib/sim/home.js'));
  const home = new VirtualHome();
  // NL meter on p1[0], BE meter on p1[1] (VirtualHome numbers them consecutively).
  const endpoints = await home.start({
    profiles: ['NL', 'BE'],
    tcpPort: p.p1[0],
    host: '127.0.0.1',
    sofar: { gatewayPort: p.sofar },
    enector: { gatewayPort: p.enector, car: { socAtPlugIn: 35, capacityWh: 60_000 } },
    ksem: { port: p.ksem, tlsPort: p.ksemTls, push: { host: '127.0.0.1', port: p.ksemPush } },
    // Example 02's unit starts idle: only zero export (example 05, on the second unit) steers the grid
    // until someone presses a button on tab 02. Example 22's unit (the fourth) starts idle too: without
    // a Home Assistant its zero export never runs. Further units run the device's own net-zero strategy.
    sessyBatteries: p.sessy.map((_, k) => (k === 0 || k === 3 ? { strategy: 'POWER_STRATEGY_IDLE' } : {})),
    sessyBatteryPort: p.sessy[0],
    mdns: true,
  });
  console.log('start: virtual home running (one household: the meters see every battery):');
  for (const [profile, a] of Object.entries(endpoints.p1TcpByProfile)) console.log(`  P1 meter (${profile}) on tcp://${a.host}:${a.port}`);
  if (endpoints.ksem) console.log(`  KOSTAL KSEM on tcp://127.0.0.1:${endpoints.ksem.port}, TLS on ${endpoints.ksem.tlsPort}, pushing to 127.0.0.1:${p.ksemPush}`);
  const users = ['example 02 (idle until a button there is pressed)', 'example 05 (zero export)', 'example 08 (peak shaving)', 'example 22 (zero export from a Home Assistant sensor; idle without HA)'];
  for (const [k, b] of (endpoints.sessyBatteries ?? []).entries()) console.log(`  Sessy battery ${b.serial} on ${b.url} (user ${b.serial}, password ${b.password})${users[k] ? ` — ${users[k]}` : ''}`);
  if (endpoints.mdns && !endpoints.mdns.error) console.log(`  mDNS: the Sessy batteries answer local _http._tcp queries (UDP ${endpoints.mdns.port})`);
  if (endpoints.enector) console.log(`  KOSTAL ENECTOR wallbox (unit ${endpoints.enector.unit}, a car plugged in), Modbus RTU over TCP on ${endpoints.enector.gateway.host}:${endpoints.enector.gateway.port}`);
  if (endpoints.sofar) console.log(`  Sofar ME3000SP (unit ${endpoints.sofar.unit}), Modbus RTU over TCP on ${endpoints.sofar.gateway.host}:${endpoints.sofar.gateway.port}`);

  let red;
  let stopping = false;
  // Node-RED first (its battery nodes hand the batteries back to the simulated devices), then the virtual home.
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    const code = red ? await stopChild(red, 20000) : 0;
    await home.stop();
    process.exit(code);
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);

  const { dashboard } = prepareUserDir(userDir, o, p);
  if (stopping) return;
  red = spawn(process.execPath, [require.resolve('node-red/red.js'), '--userDir', userDir, '--port', String(p.editor)], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let announced = false;
  red.stdout.on('data', (b) => {
    process.stdout.write(b);
    if (!announced && /Started flows|Server now running/.test(b.toString())) {
      announced = true;
      console.log(`\n  Node-RED editor: http://127.0.0.1:${p.editor}/   (Ctrl-C stops Node-RED and the virtual home)`);
      if (dashboard) console.log(`  Dashboard:       http://127.0.0.1:${p.editor}${DASHBOARD_PATH}`);
      console.log('');
    }
  });
  red.on('exit', async (code) => {
    if (stopping) return;
    stopping = true;
    await home.stop();
    process.exit(code ?? 1);
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main().catch((e) => {
    console.error('start: ' + (e && e.stack ? e.stack : e));
    process.exit(1);
  });
}
