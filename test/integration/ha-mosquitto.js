'use strict';
// A real MQTT broker for the ha-* tests: Debian's mosquitto on a free loopback port with a
// temporary config (anonymous, no persistence), killed after the tests. Not a test itself.
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const net = require('node:net');
const { freePort, waitFor } = require('../helpers');

const BIN = ['/usr/sbin/mosquitto', '/usr/bin/mosquitto'].find((p) => fs.existsSync(p)) ?? (spawnSync('which', ['mosquitto']).stdout?.toString().trim() || null);
/** For `{ skip: skipWithoutMosquitto }` outside CI (CI installs it; there a missing broker fails). */
const skipWithoutMosquitto = BIN || process.env.CI ? false : 'mosquitto is not installed (apt-get install mosquitto)';

async function startMosquitto() {
  if (!BIN) throw new Error('mosquitto is not installed (apt-get install mosquitto)');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'he-mosquitto-'));
  const port = await freePort();
  const conf = path.join(dir, 'mosquitto.conf');
  fs.writeFileSync(conf, `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\nlog_dest stderr\nlog_type error\n`);
  const proc = spawn(BIN, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (d) => (stderr += d));
  await waitFor(
    () =>
      new Promise((resolve) => {
        if (proc.exitCode !== null) throw new Error(`mosquitto exited: ${stderr}`);
        const s = net.connect(port, '127.0.0.1');
        s.once('connect', () => (s.destroy(), resolve(true)));
        s.once('error', () => resolve(false));
      }),
    10_000,
    'mosquitto listening',
    50,
  );
  return {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    stop: () =>
      new Promise((resolve) => {
        const done = () => (fs.rmSync(dir, { recursive: true, force: true }), resolve());
        if (proc.exitCode !== null) return done();
        proc.once('exit', done);
        proc.kill('SIGTERM');
      }),
  };
}

module.exports = { startMosquitto, skipWithoutMosquitto };
