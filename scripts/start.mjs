#!/usr/bin/env node
// `npm start`: run Node-RED with this package, the virtual home, and the example flows.
// The Node-RED user dir is .node-red-user/ inside the repo (git-ignored). Options:
//   --reset        rewrite the flows from examples/ (your own edits in the user dir are replaced)
//   --port N       editor port (default 1880, or $PORT)
import { spawn } from 'node:child_process';
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

function portFree(port) {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
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
  credentialSecret: 'home-energy-virtual-home',
  logging: { console: { level: 'info', metrics: false, audit: false } },
  editorTheme: { tours: false, projects: { enabled: false } },
};
`,
  );
  const flowFile = path.join(userDir, 'flows.json');
  if (flag('--reset') || !fs.existsSync(flowFile)) {
    const flows = [];
    for (const f of fs.readdirSync(path.join(root, 'examples')).filter((f) => f.endsWith('.json')).sort()) {
      flows.push(...JSON.parse(fs.readFileSync(path.join(root, 'examples', f), 'utf8')));
    }
    for (const n of flows) {
      if (n.type === 'p1-meter' && n.host === '127.0.0.1' && [EXAMPLE_P1_PORT, EXAMPLE_P1_PORT + 1].includes(Number(n.port))) {
        n.port = P1_TCP_PORT + (Number(n.port) - EXAMPLE_P1_PORT);
      }
    }
    fs.writeFileSync(flowFile, JSON.stringify(flows, null, 2));
    console.log(`start: deployed ${flows.filter((n) => n.type === 'tab').length} example flow(s) into ${path.relative(root, flowFile)}`);
  }
}

async function main() {
  for (const p of [uiPort, P1_TCP_PORT, P1_BE_TCP_PORT]) {
    if (!(await portFree(p))) {
      console.error(`start: port ${p} on 127.0.0.1 is in use (another npm start running?). Stop it, or use --port for the editor.`);
      process.exit(1);
    }
  }
  const { VirtualHome } = require(path.join(root, 'dist/lib/sim/home.js'));
  const home = new VirtualHome();
  // NL meter on P1_TCP_PORT, BE meter on the next port (VirtualHome numbers them consecutively).
  const endpoints = await home.start({ profiles: ['NL', 'BE'], tcpPort: P1_TCP_PORT, host: '127.0.0.1' });
  console.log('start: virtual home running:');
  for (const [profile, a] of Object.entries(endpoints.p1TcpByProfile)) console.log(`  P1 meter (${profile}) on tcp://${a.host}:${a.port}`);

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
