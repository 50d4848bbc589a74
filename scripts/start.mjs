#!/usr/bin/env node
// `npm start`: run Node-RED with this package, the virtual home, and the example flows.
// The Node-RED user dir is .node-red-user/ inside the repo (git-ignored). Options:
//   --reset        rewrite the flows from examples/ (your own edits in the user dir are replaced)
//   --port N       editor port (default 1880, or $PORT)
//   --sessy-batteries N   simulated Sessy batteries (default 1; the first on 127.0.0.1:8091 or $HOME_ENERGY_SESSY_PORT)
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const args = process.argv.slice(2);
const flag = (name) => args.includes(name);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? args[i + 1] : dflt;
};
const userDir = process.env.HOME_ENERGY_USER_DIR ? path.resolve(process.env.HOME_ENERGY_USER_DIR) : path.join(root, '.node-red-user');
const uiPort = Number(opt('--port', process.env.PORT || 1880));
// Loopback ports of the virtual home. The example flows name 2323 (NL) and 2324 (BE); other ports
// (HOME_ENERGY_P1_PORT, used by the tests) are written into the deployed flows instead.
const EXAMPLE_P1_PORT = 2323;
const P1_TCP_PORT = Number(process.env.HOME_ENERGY_P1_PORT || EXAMPLE_P1_PORT);
const P1_BE_TCP_PORT = P1_TCP_PORT + 1;
// The Sofar ME3000SP simulator's RTU-over-TCP gateway; the example flow's modbus-link names 1505.
const EXAMPLE_SOFAR_PORT = 1505;
const SOFAR_PORT = Number(process.env.HOME_ENERGY_SOFAR_PORT || EXAMPLE_SOFAR_PORT);
// The KSEM simulator: Modbus TCP 1502 (the example flow's modbus-link), TLS 1802, and its Modbus-master
// pushes go to 1503, where the example flow's push-mode ksem-meter listens.
const EXAMPLE_KSEM_PORT = 1502;
const EXAMPLE_KSEM_PUSH_PORT = 1503;
const KSEM_PORT = Number(process.env.HOME_ENERGY_KSEM_PORT || EXAMPLE_KSEM_PORT);
const KSEM_TLS_PORT = Number(process.env.HOME_ENERGY_KSEM_TLS_PORT || 1802);
const KSEM_PUSH_PORT = Number(process.env.HOME_ENERGY_KSEM_PUSH_PORT || EXAMPLE_KSEM_PUSH_PORT);
// Simulated Sessy batteries: the first on 8091 (the example flow's sessy-dongle), further units on the
// following ports; user DSIM0001…, password SIMPASS1…, written into the deployed flows' credentials.
const EXAMPLE_SESSY_PORT = 8091;
const SESSY_PORT = Number(process.env.HOME_ENERGY_SESSY_PORT || EXAMPLE_SESSY_PORT);
const SESSY_COUNT = Number(opt('--sessy-batteries', 1));
if (!Number.isInteger(SESSY_COUNT) || SESSY_COUNT < 0 || SESSY_COUNT > 32) {
  console.error('start: --sessy-batteries needs a count 0–32');
  process.exit(2);
}
const CREDENTIAL_SECRET = 'home-energy-virtual-home';

function portFree(port) {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
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

function prepareUserDir() {
  fs.mkdirSync(path.join(userDir, 'node_modules'), { recursive: true });
  const link = path.join(userDir, 'node_modules', 'node-red-contrib-home-energy');
  try {
    fs.rmSync(link, { recursive: true, force: true });
  } catch {}
  fs.symlinkSync(root, link, 'dir');
  fs.writeFileSync(
    path.join(userDir, 'package.json'),
    JSON.stringify({ name: 'node-red-project', private: true, dependencies: { 'node-red-contrib-home-energy': 'file:..' } }, null, 2),
  );
  fs.writeFileSync(
    path.join(userDir, 'settings.js'),
    `module.exports = {
  uiHost: '127.0.0.1',
  uiPort: ${uiPort},
  flowFile: 'flows.json',
  credentialSecret: '${CREDENTIAL_SECRET}',
  logging: { console: { level: 'info', metrics: false, audit: false } },
  editorTheme: { tours: false, projects: { enabled: false } },
};
`,
  );
  const flowFile = path.join(userDir, 'flows.json');
  if (flag('--reset') || !fs.existsSync(flowFile)) {
    const flows = [];
    const sessyCreds = {};
    for (const f of fs.readdirSync(path.join(root, 'examples')).filter((f) => f.endsWith('.json')).sort()) {
      flows.push(...JSON.parse(fs.readFileSync(path.join(root, 'examples', f), 'utf8')));
    }
    for (const n of flows) {
      if (n.type === 'p1-meter' && n.host === '127.0.0.1' && [EXAMPLE_P1_PORT, EXAMPLE_P1_PORT + 1].includes(Number(n.port))) {
        n.port = P1_TCP_PORT + (Number(n.port) - EXAMPLE_P1_PORT);
      }
      if (n.type === 'modbus-link' && n.host === '127.0.0.1' && Number(n.port) === EXAMPLE_SOFAR_PORT) n.port = SOFAR_PORT;
      if (n.type === 'modbus-link' && n.host === '127.0.0.1' && Number(n.port) === EXAMPLE_KSEM_PORT) n.port = KSEM_PORT;
      if (n.type === 'ksem-meter' && n.mode === 'push' && Number(n.listenPort) === EXAMPLE_KSEM_PUSH_PORT) n.listenPort = KSEM_PUSH_PORT;
      // sessy-dongle on the simulated Sessy k (host "127.0.0.1:8091+k", or host 127.0.0.1 with port 8091+k).
      const sessy = n.type === 'sessy-dongle' ? /^127\.0\.0\.1(?::(\d+))?$/.exec(String(n.host ?? '').trim()) : null;
      const k = sessy ? Number(n.port ?? sessy[1] ?? 80) - EXAMPLE_SESSY_PORT : -1;
      if (k >= 0 && k < SESSY_COUNT) {
        if (n.port !== undefined && n.port !== '') n.port = SESSY_PORT + k;
        else n.host = `127.0.0.1:${SESSY_PORT + k}`;
        delete n.credentials;
        sessyCreds[n.id] = { user: `DSIM${String(k + 1).padStart(4, '0')}`, password: `SIMPASS${k + 1}` };
      }
    }
    fs.writeFileSync(flowFile, JSON.stringify(flows, null, 2));
    writeCredentials(path.join(userDir, 'flows_cred.json'), sessyCreds);
    console.log(`start: deployed ${flows.filter((n) => n.type === 'tab').length} example flow(s) into ${path.relative(root, flowFile)}`);
  }
}

async function main() {
  const sessyPorts = Array.from({ length: SESSY_COUNT }, (_, i) => SESSY_PORT + i);
  for (const p of [uiPort, P1_TCP_PORT, P1_BE_TCP_PORT, SOFAR_PORT, KSEM_PORT, KSEM_TLS_PORT, KSEM_PUSH_PORT, ...sessyPorts]) {
    if (!(await portFree(p))) {
      console.error(`start: port ${p} on 127.0.0.1 is in use (another npm start running?). Stop it, or use --port for the editor.`);
      process.exit(1);
    }
  }
  const { VirtualHome } = require(path.join(root, 'dist/lib/sim/home.js'));
  const home = new VirtualHome();
  // NL meter on P1_TCP_PORT, BE meter on the next port (VirtualHome numbers them consecutively).
  const endpoints = await home.start({ profiles: ['NL', 'BE'], tcpPort: P1_TCP_PORT, host: '127.0.0.1', sofar: { gatewayPort: SOFAR_PORT }, ksem: { port: KSEM_PORT, tlsPort: KSEM_TLS_PORT, push: { host: '127.0.0.1', port: KSEM_PUSH_PORT } }, sessyBatteries: SESSY_COUNT, sessyBatteryPort: SESSY_PORT, mdns: true });
  console.log('start: virtual home running:');
  for (const [profile, a] of Object.entries(endpoints.p1TcpByProfile)) console.log(`  P1 meter (${profile}) on tcp://${a.host}:${a.port}`);
  if (endpoints.ksem) console.log(`  KOSTAL KSEM on tcp://127.0.0.1:${endpoints.ksem.port}, TLS on ${endpoints.ksem.tlsPort}, pushing to 127.0.0.1:${KSEM_PUSH_PORT}`);
  for (const b of endpoints.sessyBatteries ?? []) console.log(`  Sessy battery ${b.serial} on ${b.url} (user ${b.serial}, password ${b.password})`);
  if (endpoints.mdns && !endpoints.mdns.error) console.log(`  mDNS: the Sessy batteries answer local _http._tcp queries (UDP ${endpoints.mdns.port})`);
  if (endpoints.sofar) console.log(`  Sofar ME3000SP (unit ${endpoints.sofar.unit}), Modbus RTU over TCP on ${endpoints.sofar.gateway.host}:${endpoints.sofar.gateway.port}`);

  prepareUserDir();
  const red = spawn(process.execPath, [require.resolve('node-red/red.js'), '--userDir', userDir, '--port', String(uiPort)], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let announced = false;
  red.stdout.on('data', (b) => {
    process.stdout.write(b);
    if (!announced && /Started flows|Server now running/.test(b.toString())) {
      announced = true;
      console.log(`\n  Node-RED editor: http://127.0.0.1:${uiPort}/   (Ctrl-C stops Node-RED and the virtual home)\n`);
    }
  });
  const stop = async () => {
    red.kill('SIGINT');
    await home.stop();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  red.on('exit', async (code) => {
    await home.stop();
    process.exit(code ?? 0);
  });
}

main().catch((e) => {
  console.error('start: ' + (e && e.stack ? e.stack : e));
  process.exit(1);
});
