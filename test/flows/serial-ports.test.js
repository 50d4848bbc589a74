'use strict';
// The editor's serial port endpoint (GET /home-energy/serial-ports, registered by p1-meter) in a
// real Node-RED runtime: without udevadm on the PATH, serialport cannot list ports and the reply
// says so, so the editor can show the reason and let the user type the path.
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const helper = require('node-red-node-test-helper');

const p1Node = require(path.join(__dirname, '../../dist/nodes/p1-meter/p1-meter.js'));
helper.init(require.resolve('node-red'));

describe('serial port endpoint', () => {
  before(() => new Promise((r) => helper.startServer(r)));
  after(() => new Promise((r) => helper.stopServer(r)));

  it('replies with an empty list and the reason when udevadm is missing', async () => {
    await helper.load([p1Node], [{ id: 'p1', type: 'p1-meter', source: 'input' }]);
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'he-nopath-'));
    const savedPath = process.env.PATH;
    process.env.PATH = empty; // serialport spawns `udevadm` through the PATH
    try {
      const res = await helper.request().get('/home-energy/serial-ports').set('Accept', 'application/json');
      assert.equal(res.status, 200);
      assert.deepEqual(res.body.ports, []);
      assert.match(res.body.error, /^Cannot list serial ports: udevadm is not installed .*type the device path/);
    } finally {
      process.env.PATH = savedPath;
      fs.rmSync(empty, { recursive: true, force: true });
      await helper.unload();
    }
  });
});
