'use strict';
// Editor test: starts Node-RED 4 with this package (via settings.nodesDir = the repository root,
// so Node-RED reads the "node-red".nodes map from our package.json exactly as for an installed
// module), opens the editor in headless Chromium (playwright-core driving the system chromium),
// and checks every node type: palette entry under "home energy", drag onto the workspace, edit
// dialog with translated labels and default values, help in the sidebar. Any browser console
// error or page error fails the test. Screenshots go to test-artifacts/ (git-ignored).
// Run after `npm run build`.
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const net = require('node:net');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { writeSettings } = require('./red-editor');

const root = path.resolve(__dirname, '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const types = Object.keys(pkg['node-red'].nodes);
const artifacts = path.join(root, 'test-artifacts');
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const isCI = !!process.env.CI && process.env.CI !== 'false' && process.env.CI !== '0';
const haveChromium = fs.existsSync(CHROMIUM);
const CATEGORY = 'home energy';
const CATEGORY_ID = 'red-ui-palette-container-home_energy';

// On a developer machine without chromium the test is skipped; in CI a missing browser fails.
const skip = !haveChromium && !isCI ? `${CHROMIUM} not found (install Debian "chromium", or set CHROMIUM_PATH); set CI=true to make this a failure` : false;

const pathWithoutUdevadm = (process.env.PATH || '')
  .split(path.delimiter)
  .filter((d) => d && !fs.existsSync(path.join(d, 'udevadm')))
  .join(path.delimiter);

const escapeRe = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Editor category of a type, read from the built editor HTML (config nodes are not in the palette). */
function editorCategory(type) {
  const html = fs.readFileSync(path.join(root, 'dist', 'nodes', type, `${type}.html`), 'utf8');
  const at = html.search(new RegExp(`registerType\\(\\s*['"]${escapeRe(type)}['"]`));
  const m = at < 0 ? null : /category\s*:\s*['"]([^'"]*)['"]/.exec(html.slice(at));
  return m ? m[1] : undefined;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Resolves with the promise's value, or rejects after ms. */
function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: timed out after ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

describe('Node-RED editor (headless Chromium)', { skip }, () => {
  let userDir;
  let port;
  let red; // child process
  let redLog = '';
  let browser;
  let page;
  const browserErrors = [];
  const paletteTypes = [];

  before(async () => {
    assert.ok(haveChromium, `CI: ${CHROMIUM} is required for the editor test but is missing`);
    for (const type of types) {
      assert.ok(fs.existsSync(path.join(root, pkg['node-red'].nodes[type])), `${type} is built (run npm run build)`);
      if (editorCategory(type) !== 'config') paletteTypes.push(type);
    }
    fs.mkdirSync(artifacts, { recursive: true });

    // --- Node-RED ---
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'he-editor-'));
    port = await freePort();
    fs.writeFileSync(path.join(userDir, 'flows.json'), '[]');
    const settingsFile = writeSettings(userDir, port, 'info');
    red = spawn(
      process.execPath,
      [path.join(root, 'node_modules', 'node-red', 'red.js'), '-u', userDir, '-p', String(port), '--settings', settingsFile],
      // PATH without udevadm: serialport cannot list ports, and the p1-meter dialog must say so.
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_RED_ENABLE_PROJECTS: '', PATH: pathWithoutUdevadm } },
    );
    red.stdout.on('data', (d) => (redLog += d));
    red.stderr.on('data', (d) => (redLog += d));
    const base = `http://127.0.0.1:${port}`;
    let sets;
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      if (red.exitCode !== null) break;
      try {
        const res = await fetch(`${base}/nodes`, { headers: { Accept: 'application/json' } });
        if (res.ok) {
          sets = await res.json();
          if (/Started flows|Starting flows/.test(redLog)) break;
        }
      } catch {
        /* not listening yet */
      }
      await sleep(250);
    }
    assert.ok(sets, `Node-RED did not start on ${base}:\n${redLog}`);
    const ours = sets.filter((s) => s.module === pkg.name);
    const loadedTypes = ours.flatMap((s) => s.types);
    for (const type of types) assert.ok(loadedTypes.includes(type), `Node-RED loaded ${type}; node sets: ${JSON.stringify(ours)}\n${redLog}`);
    for (const s of ours) {
      assert.equal(s.err, undefined, `node set ${s.id} failed to load: ${s.err}`);
      assert.equal(s.enabled, true, `${s.id} enabled`);
      if ('loaded' in s) assert.equal(s.loaded, true, `${s.id} loaded`);
    }

    // --- Browser ---
    const { chromium } = require('playwright-core');
    browser = await withTimeout(
      chromium.launch({
        executablePath: CHROMIUM,
        args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      }),
      60_000,
      'chromium launch',
    );
    const context = await browser.newContext({ viewport: { width: 1400, height: 1300 } });
    page = await context.newPage();
    page.on('console', (m) => {
      if (m.type() !== 'error') return;
      // The editor page has no favicon in some setups; a 404 for it is not a defect of this package.
      if (/favicon\.ico/.test(m.location().url || '') || /favicon/.test(m.text())) return;
      browserErrors.push(`console.error: ${m.text()} (${m.location().url || '?'}:${m.location().lineNumber})`);
    });
    page.on('pageerror', (e) => browserErrors.push(`pageerror: ${e.stack || e.message}`));
    page.on('requestfailed', (r) => {
      if (/favicon/.test(r.url())) return;
      browserErrors.push(`request failed: ${r.url()} ${r.failure() && r.failure().errorText}`);
    });
    await page.goto(base + '/', { waitUntil: 'load', timeout: 60_000 });
    // The editor is ready when a workspace is active and the palette is populated.
    await page.waitForFunction(
      (t) =>
        typeof RED !== 'undefined' &&
        RED.workspaces &&
        RED.workspaces.active() &&
        !!document.querySelector(`.red-ui-palette-node[data-palette-type="${t}"]`) &&
        $('#red-ui-main-container').is(':visible'),
      paletteTypes[0] || types[0],
      { timeout: 60_000 },
    );
    await sleep(500); // let the initial notifications and sidebar settle
  });

  after(async () => {
    if (browser) await withTimeout(browser.close(), 15_000, 'browser close').catch(() => {});
    if (red && red.exitCode === null) {
      const exited = new Promise((r) => red.once('exit', r));
      red.kill('SIGINT');
      await withTimeout(exited, 10_000, 'Node-RED stop').catch(async () => {
        red.kill('SIGKILL');
        await withTimeout(exited, 5_000, 'Node-RED kill').catch(() => {});
      });
    }
    if (userDir) fs.rmSync(userDir, { recursive: true, force: true });
  });

  it('shows every node type in the palette under "home energy"', async () => {
    assert.ok(paletteTypes.length > 0, 'package has palette nodes');
    const header = (await page.locator(`#${CATEGORY_ID} .red-ui-palette-header`).first().innerText()).trim().toLowerCase();
    assert.equal(header, CATEGORY);
    for (const type of paletteTypes) {
      const el = page.locator(`#${CATEGORY_ID} .red-ui-palette-node[data-palette-type="${type}"]`);
      assert.equal(await el.count(), 1, `${type} is in the "${CATEGORY}" palette category`);
      assert.ok(await el.isVisible(), `${type} palette entry is visible`);
      const label = (await el.innerText()).trim();
      assert.ok(label.length > 0, `${type} has a palette label`);
    }
    // Our icons are served beside the nodes, not the fallback.
    const iconUrls = await page.$$eval(`#${CATEGORY_ID} .red-ui-palette-icon-container`, (els) =>
      els.map((e) => e.getAttribute('data-palette-icon') || ''),
    );
    for (const url of iconUrls) assert.doesNotMatch(url, /\/arrow-in\.svg$/, `palette icon ${url} is not the default icon`);
    for (const url of iconUrls.filter((u) => u.startsWith('icons/'))) {
      const res = await fetch(`http://127.0.0.1:${port}/${url}`);
      assert.equal(res.status, 200, `icon ${url} is served`);
    }
    // Bring the category into view so the screenshot shows it.
    await page.locator(`#${CATEGORY_ID}`).scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(artifacts, 'editor-palette.png') });
    assert.deepEqual(browserErrors, [], 'no browser errors while loading the editor');
  });

  for (const [i, type] of types.entries()) {
    it(`${type}: add to workspace, edit dialog, help`, async () => {
      if (editorCategory(type) === 'config') {
        // Config nodes are not in the palette; they are opened from the node that uses them.
        return;
      }
      // Drag the palette entry onto the workspace, like a user.
      const before = await page.evaluate((t) => RED.nodes.filterNodes({ type: t }).map((n) => n.id), type);
      const src = page.locator(`#${CATEGORY_ID} .red-ui-palette-node[data-palette-type="${type}"]`);
      await src.scrollIntoViewIfNeeded();
      const sb = await src.boundingBox();
      const ws = await page.locator('#red-ui-workspace-chart').boundingBox();
      assert.ok(sb && ws, 'palette entry and workspace are on screen');
      const target = { x: ws.x + 220 + (i % 3) * 230, y: ws.y + 100 + Math.floor(i / 3) * 110 };
      await page.mouse.move(sb.x + sb.width / 2, sb.y + sb.height / 2);
      await page.mouse.down();
      await page.mouse.move(sb.x + sb.width / 2 + 20, sb.y + sb.height / 2 + 5, { steps: 5 });
      await page.mouse.move(target.x, target.y, { steps: 20 });
      await page.mouse.up();
      await page.waitForFunction(
        ([t, n]) => RED.nodes.filterNodes({ type: t }).length > n,
        [type, before.length],
        { timeout: 10_000 },
      );
      const id = await page.evaluate(
        ([t, old]) => RED.nodes.filterNodes({ type: t }).map((n) => n.id).find((x) => !old.includes(x)),
        [type, before],
      );
      assert.ok(id, `dragging ${type} from the palette added a node`);
      const placed = await page.evaluate((nid) => {
        const n = RED.nodes.node(nid);
        return { z: n.z, active: RED.workspaces.active(), valid: n.valid, changed: n.changed };
      }, id);
      assert.equal(placed.z, placed.active, 'node is on the active workspace');

      // Double-click the node on the canvas to open its edit dialog.
      const nodeEl = page.locator(`g.red-ui-flow-node-group[id="${id}"] rect.red-ui-flow-node`);
      await nodeEl.waitFor({ state: 'visible', timeout: 10_000 });
      await page.keyboard.press('Escape'); // drop the selection-after-drop state if any
      await nodeEl.dblclick();
      await page.locator('.red-ui-tray #dialog-form').waitFor({ state: 'visible', timeout: 15_000 });
      await page.waitForFunction(() => !$('.red-ui-tray').is(':animated'), null, { timeout: 5_000 });

      const form = await page.evaluate((t) => {
        const def = RED.nodes.getType(t);
        const f = $('.red-ui-tray #dialog-form');
        const fields = {};
        for (const key of Object.keys(def.defaults || {})) {
          const el = f.find('#node-input-' + key);
          // A config-node reference (defaults[key].type) shows "Add new …" (_ADD_) until one exists.
          if (!el.length || def.defaults[key].type) continue;
          fields[key] = {
            expected: def.defaults[key].value,
            actual: el.is(':checkbox') ? el.prop('checked') : el.val(),
          };
        }
        const i18n = f.find('[data-i18n]').toArray().map((e) => ({ key: e.getAttribute('data-i18n'), text: e.textContent.trim() }));
        return { inputs: f.find('input, select, textarea').length, fields, i18n };
      }, type);
      assert.ok(form.inputs > 0, 'edit dialog shows the node template with inputs');
      assert.ok(Object.keys(form.fields).length > 0, 'template has #node-input-<property> fields');
      for (const [key, { expected, actual }] of Object.entries(form.fields)) {
        if (typeof expected === 'boolean') assert.equal(actual, expected, `#node-input-${key} checked = default`);
        else assert.equal(String(actual ?? ''), String(expected ?? ''), `#node-input-${key} shows its default`);
      }
      for (const { key, text } of form.i18n) {
        assert.ok(text.length > 0 && text !== key && !text.startsWith(`${type}.`), `label ${key} is translated (got "${text}")`);
      }
      if (type === 'p1-meter') {
        assert.ok(await page.locator('#node-input-source').isVisible(), '#node-input-source is shown');
        // The port list cannot be read (no udevadm): the dialog says why, and a typed path stays.
        await page.selectOption('#node-input-source', 'serial');
        const serialNote = page.locator('.red-ui-tray .he-serial-note');
        await serialNote.waitFor({ state: 'visible', timeout: 10_000 });
        assert.match(await serialNote.innerText(), /udevadm is not installed.*type the device path/);
        await page.fill('#node-input-serialPort', '/dev/ttyUSB7');
        assert.equal(await page.inputValue('#node-input-serialPort'), '/dev/ttyUSB7');
      }

      // Help in the sidebar.
      await page.evaluate((t) => RED.sidebar.help.show(t), type);
      const help = page.locator('.red-ui-sidebar-help-stack .red-ui-help').first();
      await help.waitFor({ state: 'visible', timeout: 10_000 });
      const helpText = await help.innerText();
      for (const s of ['Inputs', 'Outputs', 'Details']) assert.ok(helpText.includes(s), `help for ${type} shows "${s}"`);
      assert.doesNotMatch(helpText, /no help|No information available/i);
      // Message properties written as `: name (type) : description` must render as Node-RED's
      // property list; that syntax needs one line per property and no ':' in the description,
      // otherwise the raw markup shows up in the text.
      const props = await help.evaluate((el) => [...el.querySelectorAll('dl.message-properties dt')].map((dt) => dt.firstChild && dt.firstChild.textContent.trim()));
      assert.ok(props.length > 0, `help for ${type} lists message properties (dl.message-properties), got none`);
      const helpSource = fs.readFileSync(path.join(root, 'dist', 'nodes', type, 'locales', 'en-US', `${type}.html`), 'utf8');
      const declared = (helpSource.match(/^:[^:\n]+\([^)\n]*\)\s*:/gm) || []).length;
      assert.equal(props.length, declared, `all ${declared} message property lines of the help render as properties (rendered: ${props.join(", ")})`);
      const stray = helpText.match(/(?:^|\s):\s*[\w.]+\s*\([^)\n]*\)\s*:/m);
      assert.equal(stray, null, `help for ${type} shows unrendered property markup: "${stray && stray[0]}"`);

      await page.screenshot({ path: path.join(artifacts, `editor-dialog-${type}.png`) });
      await page.locator('.red-ui-sidebar-help-stack').screenshot({ path: path.join(artifacts, `editor-help-${type}.png`) });

      // Close the dialog without changes.
      await page.locator('#node-dialog-cancel').click();
      await page.locator('.red-ui-tray #dialog-form').waitFor({ state: 'detached', timeout: 10_000 });
      assert.deepEqual(browserErrors, [], `no browser errors while editing ${type}`);
    });
  }
});
