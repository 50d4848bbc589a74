'use strict';
// An in-memory ModbusLink onto a SofarSim's request handler (the same handler its RTU server uses),
// for driver ↔ simulator tests in virtual time without sockets. Exceptions become ModbusErrors.
const path = require('node:path');

const dist = path.join(__dirname, '../../dist');
const { ModbusError } = require(path.join(dist, 'lib/transport/modbus/errors'));

/** What every in-memory ModbusLink of the Sofar tests has: a key, counters, and 'connected' listeners. */
class MemoryLink {
  constructor(key) {
    this.key = key;
    this.listeners = {};
    this.connected = true;
    this.counters = { requests: 0, errors: 0, timeouts: 0, queue: 0, reconnects: 0 };
  }
  on(ev, fn) {
    (this.listeners[ev] = this.listeners[ev] || []).push(fn);
    return this;
  }
  off(ev, fn) {
    this.listeners[ev] = (this.listeners[ev] || []).filter((f) => f !== fn);
    return this;
  }
  emit(ev) {
    for (const f of this.listeners[ev] || []) f();
  }
}

class SimLink extends MemoryLink {
  constructor(sim) {
    super('sim');
    this.sim = sim;
    this.handler = sim['handler']();
  }
  /** Runs one request against the simulator (subclasses cut the line here). */
  request(fn) {
    return this.answer(fn());
  }
  answer(r) {
    this.counters.requests++;
    if (r && typeof r === 'object' && 'exception' in r) {
      this.counters.errors++;
      return Promise.reject(new ModbusError('exception', `exception ${r.exception}`, r.exception));
    }
    return Promise.resolve(r);
  }
  readHoldingRegisters(unit, address, count) {
    return this.request(() => this.handler.read(unit, 3, address, count));
  }
  readInputRegisters(unit, address, count) {
    return this.request(() => this.handler.read(unit, 4, address, count));
  }
  writeMultipleRegisters(unit, address, values) {
    return this.request(() => this.handler.write(unit, 16, address, values));
  }
  custom(unit, fc, data) {
    return this.request(() => this.handler.custom(unit, fc, Buffer.from(data)));
  }
}

module.exports = { MemoryLink, SimLink };
