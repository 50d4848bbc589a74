'use strict';
// Checks the built package the way Node-RED and the flow library see it: every node type listed in
// package.json "node-red".nodes has its runtime, editor HTML, icons, help and messages in
// dist/nodes/<type>/, registers exactly its own type, and is used in an example flow.
// Run after `npm run build`.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const nodes = (pkg['node-red'] && pkg['node-red'].nodes) || {};
const types = Object.keys(nodes);

const escapeRe = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const distDir = (type) => path.join(root, 'dist', 'nodes', type);
const htmlFile = (type) => path.join(distDir(type), `${type}.html`);

/** The editor category of a type, read from its registerType call in the editor HTML. */
function editorCategory(type) {
  const html = fs.readFileSync(htmlFile(type), 'utf8');
  const at = html.search(new RegExp(`registerType\\(\\s*['"]${escapeRe(type)}['"]`));
  if (at < 0) return undefined;
  const m = /category\s*:\s*['"]([^'"]*)['"]/.exec(html.slice(at));
  return m ? m[1] : undefined;
}

/** A minimal stand-in for the RED object handed to a node module. */
function fakeRED() {
  const registered = [];
  const noop = () => {};
  const RED = {
    registered,
    nodes: {
      registerType: (type, ctor, opts) => registered.push({ type, ctor, opts }),
      createNode: noop,
      getNode: () => null,
      eachNode: noop,
      getCredentials: () => ({}),
    },
    httpAdmin: { get: noop, post: noop, put: noop, delete: noop, use: noop },
    httpNode: { get: noop, post: noop, put: noop, delete: noop, use: noop },
    auth: { needsPermission: () => (_req, _res, next) => next && next() },
    log: { info: noop, warn: noop, error: noop, debug: noop, trace: noop, log: noop },
    settings: {},
    events: { on: noop, off: noop, once: noop, emit: noop, removeListener: noop },
    util: { cloneMessage: (m) => JSON.parse(JSON.stringify(m)), getMessageProperty: noop, setMessageProperty: noop },
    version: () => '4.1.8',
    _: (key) => key,
  };
  return RED;
}

test('package.json basics', () => {
  assert.equal(pkg.name, 'node-red-contrib-home-energy');
  assert.ok(Array.isArray(pkg.keywords) && pkg.keywords.includes('node-red'), 'keywords include "node-red"');
  assert.equal(pkg['node-red'] && pkg['node-red'].version, '>=4.0.0', 'node-red.version');
  assert.equal(pkg.engines && pkg.engines.node, '>=20', 'engines.node');
  const deps = Object.keys(pkg.dependencies || {});
  assert.ok(deps.length <= 6, `at most 6 runtime dependencies, got ${deps.length}: ${deps.join(', ')}`);
  assert.ok(!deps.includes('node-red'), 'node-red must not be a runtime dependency');
  assert.ok(types.length > 0, 'package.json "node-red".nodes lists at least one type');
  for (const [type, p] of Object.entries(nodes)) {
    assert.equal(p, `dist/nodes/${type}/${type}.js`, `${type}: registered file follows dist/nodes/<type>/<type>.js`);
  }
});

for (const type of types) {
  test(`${type}: built files`, async (t) => {
    const dir = distDir(type);

    await t.test('editor HTML has template and a literal registerType', () => {
      assert.ok(fs.existsSync(htmlFile(type)), `${path.relative(root, htmlFile(type))} exists`);
      const html = fs.readFileSync(htmlFile(type), 'utf8');
      assert.ok(html.includes(`data-template-name="${type}"`), `data-template-name="${type}"`);
      assert.match(html, new RegExp(`registerType\\(\\s*(['"])${escapeRe(type)}\\1`), `registerType('${type}'`);
      assert.ok(editorCategory(type), 'editor definition names a category');
    });

    await t.test('runtime registers exactly its own type', async () => {
      const js = path.join(root, nodes[type]);
      assert.ok(fs.existsSync(js), `${nodes[type]} exists`);
      const mod = require(js);
      const fn = typeof mod === 'function' ? mod : mod && mod.default;
      assert.equal(typeof fn, 'function', 'module exports a function (RED) => void');
      const RED = fakeRED();
      await fn(RED);
      assert.deepEqual(RED.registered.map((r) => r.type), [type]);
      assert.equal(typeof RED.registered[0].ctor, 'function', 'constructor is a function');
    });

    await t.test('every icon named in the editor is beside the node', () => {
      const html = fs.readFileSync(htmlFile(type), 'utf8');
      const icons = [...html.matchAll(/icon\s*:\s*["']([\w.-]+\.(?:svg|png))["']/g)].map((m) => m[1]);
      for (const icon of icons) {
        assert.ok(fs.existsSync(path.join(dir, 'icons', icon)), `icons/${icon} exists in dist/nodes/${type}`);
      }
    });

    await t.test('help file with data-help-name and sections', () => {
      const help = path.join(dir, 'locales', 'en-US', `${type}.html`);
      assert.ok(fs.existsSync(help), `locales/en-US/${type}.html exists`);
      const text = fs.readFileSync(help, 'utf8');
      assert.ok(text.includes(`data-help-name="${type}"`), `data-help-name="${type}"`);
      const hasSection = (name) =>
        new RegExp(`^\\s*#{1,4}\\s*${name}\\b`, 'm').test(text) || new RegExp(`<h\\d[^>]*>\\s*${name}\\b`, 'i').test(text);
      const sections = editorCategory(type) === 'config' ? ['Details'] : ['Inputs', 'Outputs', 'Details'];
      for (const s of sections) assert.ok(hasSection(s), `help has a "${s}" section`);
    });

    await t.test('messages file is valid JSON', () => {
      const messages = path.join(dir, 'locales', 'en-US', `${type}.json`);
      assert.ok(fs.existsSync(messages), `locales/en-US/${type}.json exists`);
      const parsed = JSON.parse(fs.readFileSync(messages, 'utf8'));
      assert.equal(typeof parsed, 'object');
      assert.ok(parsed && Object.keys(parsed).length > 0, 'messages are not empty');
    });
  });
}

test('every non-config node appears in an example flow', () => {
  const exDir = path.join(root, 'examples');
  const files = fs.existsSync(exDir) ? fs.readdirSync(exDir).filter((f) => f.endsWith('.json')) : [];
  const texts = files.map((f) => {
    const text = fs.readFileSync(path.join(exDir, f), 'utf8');
    assert.doesNotThrow(() => JSON.parse(text), `examples/${f} is valid JSON`);
    return text;
  });
  const missing = types
    .filter((type) => editorCategory(type) !== 'config')
    .filter((type) => !texts.some((text) => new RegExp(`"type"\\s*:\\s*"${escapeRe(type)}"`).test(text)));
  assert.deepEqual(missing, [], `types without an example flow in examples/*.json (found ${files.length} file(s))`);
});
