'use strict';
// The serial port list behind the editor's port field (lib/transport/serial-list.ts): the reply
// says why listing failed instead of coming back empty without a word.
const test = require('node:test');
const assert = require('node:assert/strict');
const { serialPortList, listSerialPorts, listErrorText, serialPortsHandler } = require('../../dist/lib/transport/serial-list');

const enoent = () => Object.assign(new Error('spawn udevadm ENOENT'), { code: 'ENOENT', errno: -2, syscall: 'spawn udevadm', path: 'udevadm' });

test('a missing udevadm is named, with what to do', async () => {
  const reply = await serialPortList(() => Promise.reject(enoent()));
  assert.deepEqual(reply.ports, []);
  assert.match(reply.error, /udevadm is not installed/);
  assert.match(reply.error, /type the device path/);
});

test('any other failure gives its message (bounded), and never throws', async () => {
  const reply = await serialPortList(() => Promise.reject(new Error('permission denied: /sys/class/tty')));
  assert.equal(reply.error, 'Cannot list serial ports: permission denied: /sys/class/tty; type the device path (for example /dev/ttyUSB0 or /dev/serial/by-id/…)');
  const sync = await serialPortList(() => {
    throw 'not an Error';
  });
  assert.match(sync.error, /^Cannot list serial ports: not an Error;/);
  assert.match(listErrorText(new Error('x'.repeat(1000))), /^Cannot list serial ports: x{200}; type/);
  assert.deepEqual(await listSerialPorts(() => Promise.reject(enoent())), []);
});

test('ports are listed once each, without error', async () => {
  const reply = await serialPortList(async () => [
    { path: '/dev/ttyUSB0', manufacturer: 'FTDI', serialNumber: 'A1', pnpId: 'x' },
    { path: '/dev/ttyUSB0', manufacturer: 'FTDI' },
    { path: '/dev/ttyACM0' },
    null,
  ]);
  assert.deepEqual(reply, {
    ports: [
      { path: '/dev/ttyUSB0', manufacturer: 'FTDI', serialNumber: 'A1' },
      { path: '/dev/ttyACM0', manufacturer: undefined, serialNumber: undefined },
    ],
  });
});

test('the endpoint handler replies with ports and error', async () => {
  const body = await new Promise((resolve) => serialPortsHandler(() => Promise.reject(enoent()))({}, { json: resolve }));
  assert.deepEqual(body.ports, []);
  assert.match(body.error, /udevadm/);
});
