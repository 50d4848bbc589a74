'use strict';
// The real Node-RED editor with this package, in headless Chromium, for dialog tests: Node-RED 4
// reads our package.json "node-red".nodes (settings.nodesDir = the repository root) with a given
// flow; playwright-core drives the system chromium. Run after `npm run build`.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { freePort, sleep } = require('../helpers');

const root = path.resolve(__dirname, '..', '..');
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const isCI = !!process.env.CI && process.env.CI !== 'false' && process.env.CI !== '0';
/** A `skip` for describe(): no chromium on a developer machine (in CI a missing browser fails). */
const skipWithoutChromium = !fs.existsSync(CHROMIUM) && !isCI ? `${CHROMIUM} not found (install Debian "chromium", or set CHROMIUM_PATH)` : false;

/** Writes the Node-RED settings of an editor test into userDir (editor on 127.0.0.1:port, our
 * package from the repository root, no tours, palette installs or telemetry); returns its path. */
function writeSettings(userDir, port, level = 'warn') {
  const settingsFile = path.join(userDir, 'settings.js');
  const settings = {
    uiHost: '127.0.0.1',
    uiPort: port,
    userDir,
    flowFile: 'flows.json',
    nodesDir: [root],
    credentialSecret: 'editor-test',
    logging: { console: { level, metrics: false, audit: false } },
    telemetry: { enabled: false, updateNotification: false },
    diagnostics: { enabled: false, ui: false },
    externalModules: { autoInstall: false, palette: { allowInstall: false } },
    editorTheme: { tours: false, projects: { enabled: false }, palette: { catalogues: [] } },
  };
  fs.writeFileSync(settingsFile, `module.exports = ${JSON.stringify(settings)};\n`);
  return settingsFile;
}

/**
 * Starts Node-RED with `flow` and opens the editor once every node id in `ids` is loaded. Returns
 * { page, errors (browser console errors and page errors), close() }.
 */
async function openEditor(flow, ids) {
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'he-editor-'));
  const port = await freePort();
  fs.writeFileSync(path.join(userDir, 'flows.json'), JSON.stringify(flow));
  const settingsFile = writeSettings(userDir, port);
  let log = '';
  const red = spawn(process.execPath, [path.join(root, 'node_modules', 'node-red', 'red.js'), '-u', userDir, '-p', String(port), '--settings', settingsFile], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  red.stdout.on('data', (d) => (log += d));
  red.stderr.on('data', (d) => (log += d));
  let browser;
  const close = async () => {
    if (browser) await browser.close().catch(() => {});
    if (red.exitCode === null) {
      const exited = new Promise((r) => red.once('exit', r));
      red.kill('SIGINT');
      await Promise.race([exited, sleep(10_000)]);
      if (red.exitCode === null) red.kill('SIGKILL');
    }
    fs.rmSync(userDir, { recursive: true, force: true });
  };
  try {
    const base = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 60_000;
    for (;;) {
      try {
        if ((await fetch(`${base}/nodes`, { headers: { Accept: 'application/json' } })).ok) break;
      } catch {
        /* not yet */
      }
      assert.ok(Date.now() < deadline && red.exitCode === null, `Node-RED did not start:\n${log}`);
      await sleep(250);
    }
    const { chromium } = require('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--headless', '--disable-gpu', '--no-first-run'] });
    const page = await (await browser.newContext({ viewport: { width: 1400, height: 900 } })).newPage();
    const errors = [];
    page.on('console', (m) => m.type() === 'error' && !/favicon/.test(m.text()) && errors.push(m.text()));
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(base + '/', { waitUntil: 'load', timeout: 60_000 });
    await page.waitForFunction((list) => typeof RED !== 'undefined' && RED.nodes && list.every((id) => RED.nodes.node(id)), ids, { timeout: 60_000 });
    await sleep(300);
    return { page, errors, close };
  } catch (e) {
    await close();
    throw e;
  }
}

module.exports = { openEditor, writeSettings, skipWithoutChromium };
