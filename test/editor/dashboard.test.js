'use strict';
// The demo's dashboard in headless Chromium: `npm start` installs FlowFuse Dashboard 2.0 from the
// npm registry into its user dir and prints the dashboard URL; the page shows the power flow, zero
// export, the capacity tariff and the charts; its numbers move; the browser logs no error. A
// screenshot goes to test-artifacts/dashboard.png (git-ignored). Skips only when the npm registry
// cannot be reached (or, outside CI, without chromium). Run after `npm run build`.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { freePortRange } = require('../helpers');

const root = path.join(__dirname, '../..');
const artifacts = path.join(root, 'test-artifacts');
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const isCI = !!process.env.CI && process.env.CI !== 'false' && process.env.CI !== '0';
const skip = !fs.existsSync(CHROMIUM) && !isCI ? `${CHROMIUM} not found (install Debian "chromium", or set CHROMIUM_PATH)` : false;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));


/** Why the npm registry cannot serve the dashboard package, or null when it can. */
async function registryProblem(spec) {
  const r = spawnSync('npm', ['view', spec, 'version', '--json'], { encoding: 'utf8', timeout: 30000 });
  if (r.status === 0 && /\d+\.\d+\.\d+/.test(r.stdout)) return null;
  return (r.error ? r.error.message : (r.stderr || r.stdout).trim().split('\n').slice(-3).join(' ')) || `npm exited with ${r.status}`;
}

test('dashboard: npm start serves it, its values move, the browser logs no error', { skip, timeout: 170000 }, async (t) => {
  const { DASHBOARD_PACKAGE, DASHBOARD_VERSION } = await import(require('node:url').pathToFileURL(path.join(root, 'scripts/start.mjs')).href);
  const problem = await registryProblem(`${DASHBOARD_PACKAGE}@${DASHBOARD_VERSION}`);
  if (problem) {
    t.skip(`the npm registry is unreachable, so ${DASHBOARD_PACKAGE} cannot be installed: ${problem}`);
    return;
  }
  const { chromium } = require('playwright-core');
  const base = await freePortRange(42);
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'he-dash-'));
  const browserDir = fs.mkdtempSync(path.join(os.tmpdir(), 'he-dash-chromium-'));
  const child = spawn(process.execPath, [path.join(root, 'scripts/start.mjs'), '--base-port', String(base)], {
    cwd: root,
    env: { ...process.env, HOME_ENERGY_USER_DIR: userDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout.on('data', (b) => (log += b));
  child.stderr.on('data', (b) => (log += b));
  const exited = new Promise((r) => child.on('exit', (code) => r(code)));
  let context;
  try {
    const url = `http://127.0.0.1:${base}/dashboard`;
    await Promise.race([
      (async () => {
        while ((!/Started flows/.test(log) || !log.includes(`Dashboard:       ${url}`)) && child.exitCode === null) await sleep(200);
      })(),
      exited.then((code) => Promise.reject(new Error(`start exited with ${code}:\n${log}`))),
      new Promise((_, reject) => setTimeout(() => reject(new Error(`no dashboard URL within 150 s:\n${log}`)), 150000).unref()),
    ]);
    assert.match(log, /Node-RED Dashboard 2\.0 \(v[\d.]+\) started at \/dashboard/);

    context = await chromium.launchPersistentContext(browserDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      viewport: { width: 1280, height: 1100 },
    });
    const page = context.pages()[0] ?? (await context.newPage());
    const errors = [];
    page.on('console', (m) => m.type() === 'error' && errors.push(`console: ${m.text()}`));
    page.on('pageerror', (e) => errors.push(`page: ${e.message}`));
    await page.goto(url, { waitUntil: 'load' });

    const fields = ['grid', 'load', 'pv', 'batteries', 'ze-setpoint', 'cap-average'];
    const read = async () => {
      const out = {};
      for (const f of fields) out[f] = ((await page.locator(`[data-field="${f}"]`).first().textContent({ timeout: 30000 })) ?? '').trim();
      return out;
    };
    // The power flow shows watts for the grid, the home and the batteries (three simulated units).
    let first;
    for (const end = Date.now() + 40000; ; await sleep(500)) {
      first = await read();
      const ready = /\d W|\d kW/.test(first.grid) && /\d/.test(first.load) && (first.batteries.match(/DSIM000\d|SA1ES/g) ?? []).length >= 3 && /\d/.test(first['ze-setpoint']) && /\d/.test(first['cap-average']);
      if (ready) break;
      if (Date.now() > end) assert.fail(`the dashboard did not fill in: ${JSON.stringify(first)}`);
    }
    assert.match(first.batteries, /DSIM0001/);
    assert.match(first.batteries, /DSIM0002/);
    assert.match(first.pv, /\d/);
    // Values move: read again seconds later until one has changed.
    let later;
    for (const end = Date.now() + 30000; ; ) {
      await sleep(3000);
      later = await read();
      if (fields.some((f) => later[f] !== first[f])) break;
      if (Date.now() > end) assert.fail(`no value changed in 30 s: ${JSON.stringify(later)}`);
    }
    // Both charts are drawn.
    assert.ok((await page.locator('canvas').count()) >= 2, 'two charts');
    fs.mkdirSync(artifacts, { recursive: true });
    await page.screenshot({ path: path.join(artifacts, 'dashboard.png'), fullPage: true });
    assert.deepEqual(errors, [], 'no browser console errors');
  } finally {
    if (context) await context.close().catch(() => {});
    if (child.exitCode === null) {
      child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20000);
      await exited;
      clearTimeout(timer);
    }
    fs.rmSync(userDir, { recursive: true, force: true });
    fs.rmSync(browserDir, { recursive: true, force: true });
  }
});
