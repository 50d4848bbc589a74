'use strict';
// `home-energy bench` where the comparison parsers (devDependencies) or the benchmarks themselves are
// not installed, as in a package installed from npm: the modules are hidden by a preloaded resolver.
const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { BIN } = require('../helpers');

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'he-cli-bench-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A preload that makes require() of matching requests fail as if the module were not installed. */
function hider(pattern) {
  const f = path.join(dir, `hide-${Math.random().toString(36).slice(2)}.js`);
  fs.writeFileSync(
    f,
    `const Module = require('node:module');
const orig = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  if (${pattern}.test(request)) { const e = new Error("Cannot find module '" + request + "'"); e.code = 'MODULE_NOT_FOUND'; throw e; }
  return orig.call(this, request, ...rest);
};
`,
  );
  return f;
}

function run(preload, args) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['-r', preload, BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (b) => (stdout += b));
    child.stderr.setEncoding('utf8').on('data', (b) => (stderr += b));
    const t = setTimeout(() => child.kill('SIGKILL'), 60000);
    child.on('close', (status) => {
      clearTimeout(t);
      resolve({ status, stdout, stderr });
    });
  });
}

test('bench p1-parse without dsmr-parser and p1-reader: says so plainly and measures ours alone', async () => {
  const hide = hider(/^(dsmr-parser|p1-reader)(\/|$)/);
  const json = await run(hide, ['bench', 'p1-parse', '--seconds', '0.3', '--json']);
  assert.equal(json.status, 0, json.stderr);
  assert.match(json.stderr, /^home-energy bench p1-parse: note: dsmr-parser and p1-reader are not installed, so ours is measured alone \(the comparison parsers are devDependencies/m);
  const r = JSON.parse(json.stdout);
  assert.deepEqual(Object.keys(r.results).sort(), ['ours', 'ours-parse-only']);
  assert.ok(r.results.ours.telegramsPerSecond > 0);
  assert.equal(r.fastestOther, null);
  const md = await run(hide, ['bench', 'p1-parse', '--seconds', '0.3']);
  assert.equal(md.status, 0, md.stderr);
  assert.match(md.stdout, /not measured: no comparison parser is installed/);
  assert.doesNotMatch(md.stdout, /NOT met/);
});

test('bench without the benchmarks installed (not in the npm package): exit 1 and where to run them', async () => {
  const r = await run(hider(/^\.\.\/bench\/index$/), ['bench', 'p1-parse']);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /^home-energy bench: the benchmarks are not part of the installed package; run them in a clone of the repository/);
  const help = await run(hider(/^\.\.\/bench\/index$/), ['help']);
  assert.equal(help.status, 0, 'the help still works');
  assert.match(help.stdout, /bench — benchmarks \(not installed with the package\)/);
});
