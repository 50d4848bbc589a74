'use strict';
// Helpers shared by the test files. Not a test itself: scripts/run-tests.mjs runs only *.test.js.
const { spawn, spawnSync } = require('node:child_process');
const net = require('node:net');
const path = require('node:path');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** mulberry32: small seeded PRNG (floats in [0, 1)), so randomized tests reproduce from their seed (lib/util/random.ts). */
const { mulberry32 } = require('../dist/lib/util/random');

/** socat makes the serial ptys the RTU and P1 serial tests use; those tests skip without it. */
const haveSocat = spawnSync('socat', ['-V'], { stdio: 'ignore' }).status === 0;
/** For `{ skip: skipWithoutSocat }` on a test or suite that needs a serial pty. */
const skipWithoutSocat = haveSocat ? false : 'socat is not on PATH: install it (apt-get install socat) to run the serial pty tests';

/**
 * Resolves with fn()'s first truthy value (fn may be async), checked every `everyMs` of real time;
 * rejects after timeoutMs naming `what`. An exception from fn rejects at once.
 */
async function waitFor(fn, timeoutMs = 5000, what = 'condition', everyMs = 20) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** A TCP port that was free a moment ago on 127.0.0.1 (for servers that cannot take port 0). */
function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** A base port B with B … B+count−1 free on 127.0.0.1 a moment ago (for `npm start`'s fixed port layout). */
async function freePortRange(count = 42) {
  const free = (port) =>
    new Promise((r) => {
      const s = net.createServer();
      s.once('error', () => r(false));
      s.listen(port, '127.0.0.1', () => s.close(() => r(true)));
    });
  for (let tries = 0; tries < 50; tries++) {
    const b = 20000 + Math.floor(Math.random() * 40000);
    let ok = true;
    for (let i = 0; i < count && ok; i++) ok = await free(b + i);
    if (ok) return b;
  }
  throw new Error(`no free range of ${count} ports`);
}

// ---- Node-RED flows (node-red-node-test-helper) ---------------------------------------------

/** Node-RED's catch node, to load beside the nodes under test. */
const catchNode = require('@node-red/nodes/core/common/25-catch.js');

/** A catch node for every error in the flow ('c'), wired to the helper node 'caught'. */
const catcher = () => [
  { id: 'c', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
  { id: 'caught', type: 'helper' },
];

/**
 * Resolves with the next message on a helper node that matches `pred` (any message when left out);
 * rejects after timeoutMs, naming `what` and showing the last message seen.
 * `nextMessage(node, 5000)` is short for `nextMessage(node, () => true, 5000)`.
 */
function nextMessage(node, pred = () => true, timeoutMs = 8000, what = 'message') {
  if (typeof pred === 'number') return nextMessage(node, undefined, pred, timeoutMs === 8000 ? what : timeoutMs);
  return new Promise((resolve, reject) => {
    let last;
    const t = setTimeout(() => {
      node.removeListener('input', on);
      const seen = last === undefined ? 'none' : JSON.stringify(last.payload ?? last).slice(0, 300);
      reject(new Error(`no ${what} within ${timeoutMs} ms (last seen: ${seen})`));
    }, timeoutMs);
    const on = (msg) => {
      last = msg;
      if (!pred(msg)) return;
      clearTimeout(t);
      node.removeListener('input', on);
      resolve(msg);
    };
    node.on('input', on);
  });
}

/** Every message a helper node receives from now on, in an array that grows. */
function collect(node) {
  const msgs = [];
  node.on('input', (m) => msgs.push(m));
  return msgs;
}

/** Records every status a node sets from now on (and still sets it). */
function statusSpy(node) {
  const calls = [];
  const orig = node.status.bind(node);
  node.status = (s) => {
    calls.push(s);
    return orig(s);
  };
  return calls;
}

/** Does status `s` match `want`: { fill, shape, text } where text is a string (prefix) or RegExp? */
function statusMatches(s, want) {
  if (!s) return false;
  if (typeof want === 'function') return want(s);
  if (want.fill !== undefined && s.fill !== want.fill) return false;
  if (want.shape !== undefined && s.shape !== want.shape) return false;
  if (want.text instanceof RegExp) return want.text.test(s.text ?? '');
  if (typeof want.text === 'string') return (s.text ?? '').startsWith(want.text);
  return true;
}

/**
 * Waits until a status recorded by statusSpy matches `want` (see statusMatches); with
 * `{ latest: true }` only the latest status counts. Resolves with it; the timeout error lists the
 * last statuses seen.
 */
async function waitForStatus(calls, want, timeoutMs = 5000, { latest = false } = {}) {
  const find = () => (latest ? (statusMatches(calls.at(-1), want) ? calls.at(-1) : undefined) : calls.find((s) => statusMatches(s, want)));
  try {
    return await waitFor(find, timeoutMs, 'status', 20);
  } catch {
    throw new Error(`no status like ${typeof want === 'function' ? want.toString() : JSON.stringify(want, (k, v) => (v instanceof RegExp ? String(v) : v))} within ${timeoutMs} ms; last: ${JSON.stringify(calls.slice(-3))}`);
  }
}

// ---- The CLI as a user runs it -----------------------------------------------------------------

const BIN = path.join(__dirname, '../bin/home-energy.js');

/**
 * Runs `home-energy <args>` as a child process without blocking this one (the simulators the
 * command talks to live here). `input` goes to its stdin. Resolves with { status, stdout, stderr };
 * after timeoutMs the child is killed (status null).
 */
function runCli(args, { input, timeoutMs = 20000 } = {}) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (b) => (stdout += b));
    child.stderr.setEncoding('utf8').on('data', (b) => (stderr += b));
    if (input !== undefined) {
      child.stdin.on('error', () => undefined); // the command may exit before reading all of it
      child.stdin.end(input); // a string goes as UTF-8
    }
    const t = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (status) => {
      clearTimeout(t);
      resolve({ status, stdout, stderr });
    });
  });
}

/**
 * Starts a long-running `home-energy <args>` (e.g. `sim … --json`) and resolves once it printed its
 * first line, with { child, first: that line parsed as JSON, stop() }; stop() sends SIGINT and
 * waits for the exit. Rejects when the command exits or stays silent for timeoutMs.
 */
function startCli(args, timeoutMs = 20000) {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise((r) => child.once('exit', r));
  const stop = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
    return exited;
  };
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const fail = (why) => {
      clearTimeout(t);
      stop().then(() => reject(new Error(`home-energy ${args.join(' ')}: ${why}\n${out}${err}`)));
    };
    const t = setTimeout(() => fail(`nothing printed within ${timeoutMs} ms`), timeoutMs);
    child.stderr.setEncoding('utf8').on('data', (b) => (err += b));
    child.stdout.setEncoding('utf8').on('data', (b) => {
      out += b;
      const i = out.indexOf('\n');
      if (i < 0) return;
      clearTimeout(t);
      child.removeListener('exit', onExit);
      try {
        resolve({ child, first: JSON.parse(out.slice(0, i)), stop });
      } catch (e) {
        fail(`first line is not JSON (${e.message})`);
      }
    });
    const onExit = (code) => fail(`exited with ${code} before printing a line`);
    child.once('exit', onExit);
  });
}

/** Output with one JSON object a line → the objects. */
const jsonLines = (s) => s.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));

/**
 * Runs a built editor HTML's scripts (dist/nodes/<type>/<type>.html) with a stand-in RED; returns
 * the registered definition and the schemas the build injected (HomeEnergyEditor.schemas).
 */
function editorDefinition(type) {
  const fs = require('node:fs');
  const path = require('node:path');
  const vm = require('node:vm');
  const html = fs.readFileSync(path.join(__dirname, '..', 'dist', 'nodes', type, `${type}.html`), 'utf8');
  const scripts = [...html.matchAll(/<script type="text\/javascript">([\s\S]*?)<\/script>/g)].map((m) => m[1]);
  let def;
  const window = { RED: { nodes: { registerType: (t, d) => (def = { type: t, ...d }) } }, $: () => ({ length: 0 }) };
  window.window = window;
  vm.createContext(window);
  for (const sc of scripts) vm.runInContext(sc, window);
  return { def, schemas: window.HomeEnergyEditor.schemas };
}

module.exports = { sleep, mulberry32, haveSocat, skipWithoutSocat, waitFor, freePort, freePortRange, catchNode, catcher, nextMessage, collect, statusSpy, statusMatches, waitForStatus, BIN, runCli, startCli, jsonLines, editorDefinition };
