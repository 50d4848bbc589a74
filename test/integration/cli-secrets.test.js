'use strict';
// CLI secrets (issue 11 defect 7): passwords from the URL, HOME_ENERGY_USER/HOME_ENERGY_PASSWORD or a
// prompt instead of only --password, and never printed — `p1 read --sessy http://user:pass@host`
// echoed the password before.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { runCli, startCli, jsonLines } = require('../helpers');

const P1_PASSWORD = 'S3cretP1pw';
let sim;
let ep;
before(async () => {
  sim = await startCli(['sim', '--sessy-port', '0', '--sessy-auth', `meter:${P1_PASSWORD}`, '--sessy-batteries', '1', '--pv', 'none', '--json']);
  ep = sim.first;
});
after(async () => {
  await sim.stop();
});

/** Runs the CLI with extra environment variables (the child inherits process.env). */
async function withEnv(env, args) {
  const saved = {};
  for (const k of Object.keys(env)) {
    saved[k] = process.env[k];
    process.env[k] = env[k];
  }
  try {
    return await runCli(args, { timeoutMs: 20000 });
  } finally {
    for (const k of Object.keys(env)) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  }
}

const printed = (r) => r.stdout + r.stderr;

test('p1 read --sessy http://user:pass@host: reads with those credentials and never prints the password', async () => {
  const url = ep.sessyP1.url.replace('http://', `http://meter:${P1_PASSWORD}@`);
  const r = await runCli(['p1', 'read', '--sessy', url, '--count', '1'], { timeoutMs: 20000 });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(jsonLines(r.stdout).length, 1);
  assert.ok(!printed(r).includes(P1_PASSWORD), printed(r));
  assert.match(r.stderr, /^reading /m);
});

test('a wrong password in the URL: the error does not print it either', async () => {
  const url = ep.sessyP1.url.replace('http://', 'http://meter:WrongPw99@');
  const saved = await new Promise((resolve) => {
    const { spawn } = require('node:child_process');
    const child = spawn(process.execPath, [require('../helpers').BIN, 'p1', 'read', '--sessy', url, '--interval', '0.2'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let all = '';
    const onData = (b) => {
      all += b;
      if (/401|auth/i.test(all)) child.kill('SIGINT');
    };
    child.stdout.setEncoding('utf8').on('data', onData);
    child.stderr.setEncoding('utf8').on('data', onData);
    const t = setTimeout(() => child.kill('SIGKILL'), 15000);
    child.on('close', () => {
      clearTimeout(t);
      resolve(all);
    });
  });
  assert.match(saved, /401|auth/i);
  assert.ok(!saved.includes('WrongPw99'), saved);
});

test('sessy status with HOME_ENERGY_USER and HOME_ENERGY_PASSWORD instead of options', async () => {
  const b = ep.sessyBatteries[0];
  const r = await withEnv({ HOME_ENERGY_USER: b.serial, HOME_ENERGY_PASSWORD: b.password }, ['sessy', 'status', '--url', b.url]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(typeof JSON.parse(r.stdout).soc, 'number');
  assert.ok(!printed(r).includes(b.password));
  assert.equal(r.stderr, '', 'no note: the password did not come from the command line');
});

test('sessy setpoint: wrong password from the environment fails (exit 1) without printing it; none at all is a usage error', async () => {
  const b = ep.sessyBatteries[0];
  const wrong = await withEnv({ HOME_ENERGY_PASSWORD: 'NOTTHEPW7' }, ['sessy', 'setpoint', '100', '--url', b.url, '--user', b.serial]);
  assert.equal(wrong.status, 1, wrong.stderr);
  assert.match(wrong.stderr, /HOME_ENERGY_PASSWORD/);
  assert.ok(!printed(wrong).toUpperCase().includes('NOTTHEPW7'), printed(wrong));
  const none = await withEnv({ HOME_ENERGY_PASSWORD: '' }, ['sessy', 'setpoint', '100', '--url', b.url, '--user', b.serial]);
  assert.equal(none.status, 2);
  assert.match(none.stderr, /needs the password \(on the dongle sticker\): set HOME_ENERGY_PASSWORD, or run it in a terminal to be asked/);
});

test('--password still works, with a note that it is visible; the password is not echoed', async () => {
  const b = ep.sessyBatteries[0];
  const r = await runCli(['sessy', 'status', '--url', b.url, '--user', b.serial, '--password', b.password, '--raw']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /^note: a password given with --password is visible to other users \(ps\) and stays in the shell history; set HOME_ENERGY_PASSWORD instead$/m);
  assert.ok(!printed(r).includes(b.password));
});
