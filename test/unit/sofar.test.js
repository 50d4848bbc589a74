'use strict';
// Sofar ME3000SP driver without a wire: register decoding from hand-built words, enums and fault
// text, 0x42/0x49 frame bytes against the vendor example frames (protocols/sofar-me3000sp.md §3.6),
// clamping and setpoint mapping, heartbeat and re-send timing in virtual time, plausibility checks,
// garbage that must never throw.
const { describe, it } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');

const dist = path.join(__dirname, '../../dist');
const sofar = require(path.join(dist, 'lib/devices/sofar'));
const { VirtualClock } = require(path.join(dist, 'lib/util/clock'));
const { ModbusError } = require(path.join(dist, 'lib/transport/modbus/errors'));
const { validator } = require(path.join(dist, 'lib/api/validate'));
const { batteryReadingSchema } = require(path.join(dist, 'lib/api/schemas'));
const { MemoryLink } = require('./sofar-sim-link');

const checkReading = validator(batteryReadingSchema, 'payload');
const hex = (b) => Buffer.from(b).toString('hex').toUpperCase().match(/../g).join(' ');
const s16 = (v) => v & 0xffff;

/** 70 registers from 0x0200 with the given values (address → word). */
function block(values) {
  const w = new Array(70).fill(0);
  for (const [addr, v] of Object.entries(values)) w[Number(addr) - 0x0200] = v & 0xffff;
  return w;
}

/** A consistent charging snapshot: load 2500 W, PV 1000 W, battery charging 1480 W AC → grid import 2980 W. */
const CHARGING = {
  0x0200: 2,
  0x0206: 2314,
  0x0207: s16(-1296),
  0x020c: 5002,
  0x020d: 150, // +1500 W DC, + = charging
  0x020e: 5230, // 52.30 V at 0.01 V
  0x020f: 2868, // +28.68 A charging
  0x0210: 64,
  0x0211: s16(-3),
  0x0212: s16(-298), // −2980 W: importing
  0x0213: 250,
  0x0214: s16(-148), // −1480 W: charging from AC
  0x0215: 100,
  0x0218: 1234, // 12.34 kWh
  0x0219: 56,
  0x021a: 789,
  0x021b: 1011,
  0x021c: 0x0001,
  0x021d: 0x0002, // 65538 kWh
  0x0220: 0,
  0x0221: 4321,
  0x0224: 320,
  0x0225: 210,
  0x0226: 0,
  0x0227: 1500,
  0x0228: 0,
  0x0229: 1400,
  0x022c: 321,
  0x0238: 41,
  0x0239: 38,
};

describe('Sofar passive-mode frames (vendor examples, §3.6)', () => {
  const cases = [
    ['heartbeat to slave 1', sofar.heartbeatFrame(1), '01 49 22 01 22 02 1E DD'],
    ['broadcast heartbeat', sofar.heartbeatFrame(0x88), '88 49 22 01 22 02 01 84'],
    ['standby', sofar.passiveFrame(1, { mode: 'standby' }), '01 42 01 00 55 55 87 56'],
    ['discharge 500 W', sofar.passiveFrame(1, { mode: 'discharge', watts: 500 }), '01 42 01 01 01 F4 29 EE'],
    ['discharge 3000 W', sofar.passiveFrame(1, { mode: 'discharge', watts: 3000 }), '01 42 01 01 0B B8 2E BB'],
    ['charge 500 W', sofar.passiveFrame(1, { mode: 'charge', watts: 500 }), '01 42 01 02 01 F4 D9 EE'],
    ['charge 3000 W', sofar.passiveFrame(1, { mode: 'charge', watts: 3000 }), '01 42 01 02 0B B8 DE BB'],
    ['auto', sofar.passiveFrame(1, { mode: 'auto' }), '01 42 01 03 00 00 88 39'],
  ];
  for (const [name, frame, want] of cases) it(name, () => assert.equal(hex(frame), want));

  it('request data is the 4 bytes after the function code; the auto target is signed', () => {
    assert.equal(hex(sofar.passiveRequestData({ mode: 'charge', watts: 1500 })), '01 02 05 DC');
    assert.equal(hex(sofar.passiveRequestData({ mode: 'auto', target: -200 })), '01 03 FF 38');
    assert.equal(hex(sofar.heartbeatRequestData()), '22 01 22 02');
  });

  it('refuses values the protocol cannot carry (callers clamp first)', () => {
    assert.throws(() => sofar.passiveRequestData({ mode: 'charge', watts: 1500.5 }), RangeError);
    assert.throws(() => sofar.passiveRequestData({ mode: 'discharge', watts: -1 }), RangeError);
    assert.throws(() => sofar.passiveRequestData({ mode: 'discharge', watts: 6001 }), RangeError);
    assert.throws(() => sofar.passiveRequestData({ mode: 'auto', target: 10000 }), RangeError);
    assert.throws(() => sofar.passiveRequestData({ mode: 'boost' }), RangeError);
  });
});

describe('Sofar 0x42 reply status word', () => {
  it('low byte = result code, high byte = status bits', () => {
    const ok = sofar.parsePassiveReply(Buffer.from([0x02, 0x03, 0x00]));
    assert.deepEqual(
      { ...ok },
      { word: 0x0300, result: 0, resultText: 'accepted', accepted: true, chargeEnabled: true, dischargeEnabled: true, full: false, empty: false },
    );
    const full = sofar.parsePassiveReply(Buffer.from([0x02, 0x06, 0x00]));
    assert.equal(full.full, true);
    assert.equal(full.chargeEnabled, false);
    assert.equal(full.dischargeEnabled, true);
    const notPassive = sofar.parsePassiveReply(Buffer.from([0x02, 0x0b, 0x01]));
    assert.equal(notPassive.accepted, false);
    assert.equal(notPassive.result, 1);
    assert.match(notPassive.resultText, /not in passive mode/);
    assert.equal(notPassive.empty, true);
    assert.equal(sofar.decodeStatusWord(0x0004).resultText, 'invalid data');
    assert.equal(sofar.decodeStatusWord(0x0003).resultText, 'busy');
    assert.equal(sofar.decodeStatusWord(0x0009).resultText, 'unknown result code 9');
  });

  it('status word round trip', () => {
    for (let bits = 0; bits < 16; bits++) {
      for (const result of [0, 1, 3, 4]) {
        const s = { result, chargeEnabled: !!(bits & 1), dischargeEnabled: !!(bits & 2), full: !!(bits & 4), empty: !!(bits & 8) };
        const d = sofar.decodeStatusWord(sofar.encodeStatusWord(s));
        assert.deepEqual([d.result, d.chargeEnabled, d.dischargeEnabled, d.full, d.empty], [result, s.chargeEnabled, s.dischargeEnabled, s.full, s.empty]);
      }
    }
  });

  it('malformed replies are errors, not exceptions', () => {
    assert.match(sofar.parsePassiveReply(Buffer.alloc(0)).error, /empty/);
    assert.match(sofar.parsePassiveReply(Buffer.from([0x04, 0, 0, 0, 0])).error, /byte count 4/);
    assert.match(sofar.parsePassiveReply(Buffer.from([0x02, 0])).error, /1 data byte/);
    assert.match(sofar.parsePassiveReply('nonsense').error, /empty/);
  });

  it('reply lengths for the link: byte count + data; a heartbeat echo is 4 bytes', () => {
    assert.equal(sofar.passiveReplyLength(Buffer.alloc(0)), undefined);
    assert.equal(sofar.passiveReplyLength(Buffer.from([2])), 3);
    assert.equal(sofar.heartbeatReplyLength(Buffer.from([2])), 3);
    assert.equal(sofar.heartbeatReplyLength(Buffer.from([0x22])), 4);
    assert.deepEqual(sofar.parseHeartbeatReply(Buffer.from([0x22, 0x01, 0x22, 0x02])), { ok: true });
    assert.deepEqual(sofar.parseHeartbeatReply(Buffer.from([2, 0, 0])), { ok: true });
    assert.match(sofar.parseHeartbeatReply(Buffer.from([2, 0])).error, /expected 3/);
  });
});

describe('Sofar real-time decoding (§3.3) and signs (DESIGN.md §2)', () => {
  it('decodes a charging snapshot with + discharge / + import conventions', () => {
    const rt = sofar.decodeRealtime(block(CHARGING), { batteryVoltageScale: 'auto' });
    assert.equal(rt.runningState, 2);
    assert.equal(rt.runningStateText, 'charging');
    assert.equal(rt.acPower, -1480, 'AC power + discharge: charging is negative');
    assert.equal(rt.dcPower, -1500, 'DC register + charging, negated');
    assert.equal(rt.gridPower, 2980, 'grid register + export, negated: importing is positive');
    assert.equal(rt.batteryVoltage, 52.3);
    assert.equal(rt.batteryVoltageScale, 0.01);
    assert.equal(rt.batteryCurrent, -28.68);
    assert.equal(rt.soc, 64);
    assert.equal(rt.values.batteryTemperature, -3);
    assert.equal(rt.values.gridVoltage, 231.4);
    assert.equal(rt.values.gridCurrent, -12.96);
    assert.equal(rt.values.gridFrequency, 50.02);
    assert.equal(rt.values.loadPower, 2500);
    assert.equal(rt.values.pvPower, 1000);
    assert.equal(rt.values.pvTodayWh, 12340);
    assert.equal(rt.values.pvTotalWh, 65538000, 'u32 high word first, kWh → Wh');
    assert.equal(rt.values.importTotalWh, 4321000);
    assert.equal(rt.values.chargeTotalWh, 1500000);
    assert.deepEqual(rt.warnings, []);
  });

  it('normalizes to a valid kind:"battery" reading', () => {
    const rt = sofar.decodeRealtime(block(CHARGING));
    const r = sofar.toBatteryReading({
      rt,
      timestamp: 1700000000000,
      info: { serial: 'SA1ES130K12345', softwareVersion: 'V340', hardwareVersion: '0x1', productionCode: 1 },
      battery: { capacityAh: 100, maxChargeCurrent: 50, maxDischargeCurrent: 50 },
      control: { active: { mode: 'charge', watts: 1500 }, maxChargeW: 2500, maxDischargeW: 3000 },
    });
    assert.equal(checkReading(r), null);
    assert.equal(r.source, 'sofar');
    assert.equal(r.serial, 'SA1ES130K12345');
    assert.equal(r.power, -1480);
    assert.equal(r.setpoint, -1500);
    assert.equal(r.state, 'ready');
    assert.equal(r.strategy, 'passive charge 1500 W');
    assert.deepEqual(r.limits, { maxChargeW: 2500, maxDischargeW: 3000 });
    assert.equal(r.capacityWh, 4800);
    assert.deepEqual(r.energy, { chargedWh: 1500000, dischargedWh: 1400000 });
    assert.equal(r.gridPower, 2980);
    assert.equal(r.pvPower, 1000);
    assert.equal(r.loadPower, 2500);
    assert.deepEqual(r.today, { pvWh: 12340, exportWh: 560, importWh: 7890, loadWh: 10110, chargeWh: 3200, dischargeWh: 2100 });
    assert.equal(r.voltage, 52.3);
    assert.equal(r.current, -28.68);
    assert.equal(r.frequency, 50.02);
    assert.equal(r.cycles, 321);
  });

  it('retrofit variant (no PV CT) leaves PV out', () => {
    const r = sofar.toBatteryReading({ rt: sofar.decodeRealtime(block(CHARGING), { variant: 'retrofit' }), timestamp: 0, settings: { variant: 'retrofit' } });
    assert.equal(r.pvPower, undefined);
    assert.equal(r.today.pvWh, undefined);
    assert.equal(checkReading(r), null);
  });

  it('battery-voltage scale: auto detects both, a wrong fixed choice is flagged with the fix', () => {
    assert.deepEqual(sofar.batteryVoltage(5230, 'auto'), { volts: 52.3, scale: 0.01 });
    assert.deepEqual(sofar.batteryVoltage(523, 'auto'), { volts: 52.3, scale: 0.1 });
    const wrong = sofar.batteryVoltage(5230, '0.1');
    assert.equal(wrong.volts, 523);
    assert.match(wrong.warning, /523 V is implausible for a 48 V pack.*52\.3 V.*0\.01/);
    const wrong2 = sofar.batteryVoltage(523, '0.01');
    assert.match(wrong2.warning, /5\.23 V is implausible.*52\.3 V.*set "battery voltage scale" to 0\.1/);
    assert.equal(sofar.batteryVoltage(523, '0.1').warning, undefined);
    const neither = sofar.batteryVoltage(2000, 'auto');
    assert.equal(neither.volts, null);
    assert.match(neither.warning, /neither/);
    assert.equal(sofar.batteryVoltage(0, 'auto').warning, undefined, 'a switched-off pack reads 0: no warning');
    // 24 V class pack: the range follows the nominal voltage.
    assert.deepEqual(sofar.batteryVoltage(2650, 'auto', 24), { volts: 26.5, scale: 0.01 });
  });

  it('grid register type: s16 per the PDF; u16 and s32 readings of s16 data are a finding of the block', () => {
    assert.equal(sofar.gridPowerAs('s16', s16(-298), 250), 2980);
    assert.equal(sofar.gridPowerAs('u16', s16(-298), 250), -(0x10000 - 298) * 10);
    assert.equal(sofar.gridPowerAs('s32', 0xffff, s16(-298)), 2980);
    assert.ok(Object.is(sofar.gridPowerAs('s16', 0, 0), 0), 'no −0');
    const asU16 = sofar.decodeRealtime(block(CHARGING), { gridRegister: 'u16' });
    assert.deepEqual(asU16.warnings, [], 'grid findings are not warnings of one block');
    assert.equal(asU16.gridAdvice.type, 's16');
    assert.match(asU16.gridAdvice.text, /implausible; as s16 the register gives 2980 W: set "grid register" to s16/);
    assert.equal(asU16.notS32, true, 'upper word 0xFFE2 cannot be the top of a household s32');
    const asS32 = sofar.decodeRealtime(block(CHARGING), { gridRegister: 's32' });
    assert.match(asS32.gridAdvice.text, /set "grid register" to s16/);
    // Exporting 500 W with small numbers: u16 misreads only show through the energy balance.
    const exporting = block({ ...CHARGING, 0x0212: 50, 0x0213: 50, 0x0214: 0, 0x0215: 100 });
    assert.deepEqual(sofar.decodeRealtime(exporting).warnings, []);
    assert.equal(sofar.decodeRealtime(exporting).gridAdvice, null);
    assert.equal(sofar.decodeRealtime(block({ ...CHARGING, 0x0212: 0 })).notS32, false);
  });

  it('state mapping: faults, EPS, not-passive, full/empty bits, checks, wait', () => {
    const rt = (state, extra = {}) => sofar.decodeRealtime(block({ ...CHARGING, 0x0200: state, ...extra }));
    const st = (word) => sofar.decodeStatusWord(word);
    assert.deepEqual(sofar.mapState(rt(6)), { state: 'error', stateText: 'fault' });
    assert.deepEqual(sofar.mapState(rt(7)), { state: 'error', stateText: 'permanent fault' });
    assert.equal(sofar.mapState(rt(5)).state, 'override');
    assert.equal(sofar.mapState(rt(9)).state, 'unknown');
    assert.equal(sofar.mapState(rt(9)).stateText, 'unknown state 9');
    assert.deepEqual(sofar.mapState(rt(0), { lastStatus: st(0x0301) }), { state: 'override', stateText: 'wait; not in passive mode' });
    assert.equal(sofar.mapState(rt(2), { lastStatus: st(0x0600) }).state, 'full');
    assert.equal(sofar.mapState(rt(4), { lastStatus: st(0x0900) }).state, 'empty');
    assert.equal(sofar.mapState(rt(2, { 0x0210: 100 })).state, 'full');
    assert.equal(sofar.mapState(rt(1)).state, 'starting');
    assert.equal(sofar.mapState(rt(3)).state, 'starting');
    assert.equal(sofar.mapState(rt(0)).state, 'standby');
    assert.equal(sofar.mapState(rt(0), { active: { mode: 'standby' } }).state, 'ready', 'standby by our command still accepts setpoints');
    assert.equal(sofar.mapState(rt(4)).state, 'ready');
    const err = sofar.toBatteryReading({ rt: rt(6), timestamp: 0 });
    assert.deepEqual(err.limits, { maxChargeW: 0, maxDischargeW: 0 });
  });

  it('short block (69 registers) still decodes; too short is null', () => {
    const w = block(CHARGING).slice(0, 69);
    const rt = sofar.decodeRealtime(w);
    assert.equal(rt.acPower, -1480);
    assert.equal(rt.values.generationTimeTotalH, undefined, 'the u32 at 0x0244 needs register 0x0245');
    assert.equal(sofar.decodeRealtime(w.slice(0, 21)), null);
  });
});

describe('Sofar enums and fault text (§3.3, §3.4)', () => {
  it('running states', () => {
    assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 7].map(sofar.runningStateText), [
      'wait',
      'check before charging',
      'charging',
      'check before discharging',
      'discharging',
      'EPS',
      'fault',
      'permanent fault',
    ]);
  });

  it('fault bytes: byte n bit b is ID 8n+b+1; register i holds byte 2i+1 high, 2i low', () => {
    assert.deepEqual(sofar.inverterFaults([0x0010, 0, 0, 0, 0]), ['ID05 battery overvoltage']);
    assert.deepEqual(sofar.inverterFaults([0x0100, 0, 0, 0, 0]), ['ID09 hardware LLC bus overvoltage']);
    assert.deepEqual(sofar.inverterFaults([0x0003, 0, 0, 0x0008, 0]), ['ID01 grid overvoltage', 'ID02 grid undervoltage', 'ID52 battery communication fault']);
    assert.deepEqual(sofar.inverterFaults([0, 0, 0, 0x0100, 0]), ['ID57 over-temperature']);
    assert.deepEqual(sofar.inverterFaults([0, 0, 0, 0, 0x8000]), ['ID80 unrecoverable fault']);
    assert.deepEqual(sofar.inverterFaults([0, 0x0020, 0, 0, 0]), ['ID22 auxiliary power fault']);
    for (let id = 1; id <= 80; id++) {
      const words = [0, 0, 0, 0, 0];
      const [reg, bit] = sofar.faultBit(id);
      words[reg] |= 1 << bit;
      assert.match(sofar.inverterFaults(words)[0], new RegExp(`^ID${String(id).padStart(2, '0')} `));
    }
    assert.throws(() => sofar.faultBit(81), RangeError);
  });

  it('battery faults, alerts and communication-board messages', () => {
    assert.deepEqual(sofar.batteryFaults([0x0081, 0, 0, 0, 0]), ['ID100 battery discharge overcurrent', 'ID107 battery charge under-temperature']);
    assert.deepEqual(sofar.batteryFaults([0x0200, 0, 0, 0, 0]), ['battery fault byte 1 bit 1']);
    assert.deepEqual(sofar.alerts(0x0089), ['ID81 over-temperature derating', 'ID84 remote shutdown', 'ID85 battery low-voltage alert']);
    assert.deepEqual(sofar.commBoardMessages(0x0005), ['ID91 communication board software version mismatch', 'ID93 communication board RTC fault']);
  });

  it('device info and battery settings', () => {
    const serial = Buffer.from('SA1ES130K12345', 'latin1');
    const words = [0x0001];
    for (let i = 0; i < 14; i += 2) words.push(serial.readUInt16BE(i));
    words.push(0x5633, 0x3430, 0x0001, 0x0002);
    const info = sofar.decodeDeviceInfo(words);
    assert.deepEqual(info, { productionCode: 1, serial: 'SA1ES130K12345', softwareVersion: 'V340', hardwareVersion: '0x00010002' });
    const bs = sofar.decodeBatterySettings([1, 100, 0, 532, 6250, 540, 460, 7000, 450, 90, 0, 4600, 5320]);
    assert.equal(bs.batteryTypeText, 'PYLON');
    assert.equal(bs.capacityAh, 100);
    assert.equal(bs.maxChargeVoltage, 53.2);
    assert.equal(bs.maxChargeCurrent, 62.5);
    assert.equal(bs.maxDischargeCurrent, 70);
    assert.equal(bs.depthOfDischarge, 90);
    assert.equal(bs.fullVoltage, 53.2);
    assert.equal(sofar.decodeBatterySettings([1, 2]), null);
    assert.equal(sofar.decodeDeviceInfo([]), null);
  });

  it('the points carry the signs: + discharge and + import after decoding, device conventions on the wire', () => {
    const { RegisterImage, encodeRegisters, decodeBlock } = require(path.join(dist, 'lib/api/device'));
    const values = { runningState: 4, gridVoltage: 229.9, batteryDcPower: 2000, soc: 77, gridPower: -1230, pvTotalWh: 70000000, batteryTemperature: -5 };
    const image = new RegisterImage();
    encodeRegisters(image, sofar.REALTIME_POINTS, values);
    const words = image.block(0x0200, 70);
    assert.equal(words[0x0d], s16(-200), 'discharging 2000 W is −200 (+ charging) on the wire');
    assert.equal(words[0x12], 123, 'exporting 1230 W is +123 (+ export) on the wire');
    const back = decodeBlock(sofar.REALTIME_POINTS, 3, 0x0200, words);
    for (const [k, v] of Object.entries(values)) assert.equal(back[k], v, k);
  });
});

describe('Sofar garbage never throws', () => {
  it('random word arrays, lengths and types', () => {
    let seed = 12345;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    for (let i = 0; i < 2000; i++) {
      const len = Math.floor(rnd() * 90);
      const words = Array.from({ length: len }, () => (rnd() < 0.05 ? [NaN, -1, 1e12, undefined, null, 'x'][Math.floor(rnd() * 6)] : Math.floor(rnd() * 0x10000)));
      const settings = { batteryVoltageScale: ['auto', '0.1', '0.01'][i % 3], gridRegister: ['s16', 'u16', 's32'][i % 3], variant: i % 2 ? 'ctpv' : 'retrofit' };
      const rt = sofar.decodeRealtime(words, settings);
      if (rt) {
        const r = sofar.toBatteryReading({ rt, timestamp: i, settings });
        assert.equal(checkReading(r), null, JSON.stringify(words));
        assert.ok(Number.isFinite(r.power) && Number.isFinite(r.gridPower));
      }
      sofar.decodeBatterySettings(words);
      sofar.decodeDeviceInfo(words);
      sofar.inverterFaults(words);
      const bytes = Buffer.from(words.map((w) => Number(w) & 0xff));
      sofar.parsePassiveReply(bytes);
      sofar.parseHeartbeatReply(bytes);
      sofar.parsePassiveRequest(bytes);
    }
    assert.equal(sofar.decodeRealtime(null), null);
    assert.equal(sofar.decodeRealtime('abc'), null);
  });
});

describe('Sofar setpoint → command mapping and clamping', () => {
  const lim = { maxChargeW: 3000, maxDischargeW: 3000 };
  it('+ discharge, − charge, 0 standby or auto, rounded, clamped', () => {
    assert.deepEqual(sofar.commandForSetpoint(1500, lim), { command: { mode: 'discharge', watts: 1500 }, clamped: false });
    assert.deepEqual(sofar.commandForSetpoint(-1500, lim), { command: { mode: 'charge', watts: 1500 }, clamped: false });
    assert.deepEqual(sofar.commandForSetpoint(-4000, lim), { command: { mode: 'charge', watts: 3000 }, clamped: true });
    assert.deepEqual(sofar.commandForSetpoint(99999, { maxChargeW: 3000, maxDischargeW: 2500 }), { command: { mode: 'discharge', watts: 2500 }, clamped: true });
    assert.deepEqual(sofar.commandForSetpoint(0, lim), { command: { mode: 'standby' }, clamped: false });
    assert.deepEqual(sofar.commandForSetpoint(0.4, lim, 'auto'), { command: { mode: 'auto' }, clamped: false });
    assert.deepEqual(sofar.commandForSetpoint(-0.6, lim), { command: { mode: 'charge', watts: 1 }, clamped: false });
    assert.deepEqual(sofar.commandForSetpoint(1000, { maxChargeW: 99999, maxDischargeW: 99999 }).command, { mode: 'discharge', watts: 1000 });
    assert.deepEqual(sofar.commandForSetpoint(9000, { maxChargeW: 99999, maxDischargeW: 99999 }).command, { mode: 'discharge', watts: 6000 }, 'never above the protocol limit');
    assert.throws(() => sofar.commandForSetpoint(NaN, lim), RangeError);
    assert.throws(() => sofar.commandForSetpoint('100', lim), RangeError);
  });
});

/** An in-memory ModbusLink: answers through `answer(unit, kind, ...)`, records each call with the virtual time. */
class FakeLink extends MemoryLink {
  constructor(clock, answer) {
    super('fake');
    this.clock = clock;
    this.answer = answer;
    this.calls = [];
  }
  record(c) {
    this.calls.push({ t: this.clock.now(), ...c });
    return Promise.resolve().then(() => this.answer(c));
  }
  readHoldingRegisters(unit, address, count) {
    return this.record({ unit, fc: 3, address, count });
  }
  readInputRegisters(unit, address, count) {
    return this.record({ unit, fc: 4, address, count });
  }
  writeSingleRegister(unit, address, value) {
    return this.record({ unit, fc: 6, address, values: [value] });
  }
  writeMultipleRegisters(unit, address, values) {
    return this.record({ unit, fc: 16, address, values });
  }
  custom(unit, fc, data, o) {
    return this.record({ unit, fc, data: Buffer.from(data), replyLength: o && o.replyLength });
  }
}

const flush = () => new Promise((r) => setImmediate(r));
const accepted = () => Buffer.from([0x02, 0x03, 0x00]);

function deviceAnswer(over = {}) {
  return (c) => {
    if (over[c.fc]) {
      const r = over[c.fc](c);
      if (r !== undefined) return r;
    }
    if (c.fc === 3 && c.address === 0x0200) return block(CHARGING).slice(0, c.count);
    if (c.fc === 4 && c.address === 0x10b0) return [1, 100, 0, 532, 4000, 540, 460, 2000, 450, 90, 0, 4600, 5320];
    if (c.fc === 4 && c.address === 0x2000) return new Array(12).fill(0x4141);
    if (c.fc === 3 && c.address === 0x1200) return [0];
    if (c.fc === 0x42 || c.fc === 0x49) return accepted();
    if (c.fc === 16) return undefined;
    throw new ModbusError('exception', 'illegal data address', 2);
  };
}

describe('SofarInverter control (virtual time, in-memory link)', () => {
  it('heartbeat every heartbeatMs while a command is in force, inside the 1 s–60 s window; re-send every resendMs', async () => {
    const clock = new VirtualClock(0);
    const link = new FakeLink(clock, deviceAnswer());
    const inv = new sofar.SofarInverter({ link, clock, settings: { heartbeatMs: 10000, resendMs: 30000 } });
    inv.start();
    clock.advance(60000);
    await flush();
    assert.equal(link.calls.filter((c) => c.fc === 0x49).length, 0, 'no heartbeat before our first command (read-only use leaves the inverter alone)');
    const res = await inv.setpoint(-1500);
    assert.equal(res.text, 'charge 1500 W');
    assert.equal(res.status.accepted, true);
    const t0 = clock.now();
    for (let i = 0; i < 12; i++) {
      clock.advance(5000);
      await flush();
    }
    const hb = link.calls.filter((c) => c.fc === 0x49).map((c) => c.t - t0);
    assert.deepEqual(hb, [10000, 20000, 30000, 40000, 50000, 60000]);
    for (let i = 1; i < hb.length; i++) {
      assert.ok(hb[i] - hb[i - 1] >= 1000 && hb[i] - hb[i - 1] <= 60000);
    }
    for (const c of link.calls.filter((x) => x.fc === 0x49)) assert.equal(hex(c.data), '22 01 22 02');
    const cmds = link.calls.filter((c) => c.fc === 0x42).map((c) => [c.t - t0, hex(c.data)]);
    assert.deepEqual(cmds, [
      [0, '01 02 05 DC'],
      [30000, '01 02 05 DC'],
      [60000, '01 02 05 DC'],
    ]);
    await inv.close();
    const n = link.calls.length;
    assert.equal(hex(link.calls[n - 1].data), '01 03 00 00', 'close leaves the inverter in auto');
    clock.advance(120000);
    await flush();
    assert.equal(link.calls.length, n, 'nothing after close');
    assert.equal(clock.pending, 0, 'every timer cancelled');
  });

  it('a rejected command (result code 1) rejects with the reason and is retried by the re-send loop', async () => {
    const clock = new VirtualClock(0);
    let passive = false;
    const link = new FakeLink(clock, deviceAnswer({ 0x42: () => Buffer.from([0x02, 0x03, passive ? 0 : 1]) }));
    const inv = new sofar.SofarInverter({ link, clock, settings: { resendMs: 20000 } });
    const problems = [];
    inv.on('problem', (e) => problems.push(e.message));
    inv.start();
    await assert.rejects(inv.setpoint(1000), /inverter rejected discharge 1000 W: invalid mode \(the inverter is not in passive mode/);
    assert.equal(inv.active, null);
    assert.equal(inv.lastStatus.result, 1);
    const r = await inv.poll();
    assert.equal(r.state, 'override');
    passive = true; // the user switched Work Mode → Passive on the display
    clock.advance(20000);
    await flush();
    assert.deepEqual(inv.active, { mode: 'discharge', watts: 1000 });
    assert.equal((await inv.poll()).setpoint, 1000);
    assert.equal(problems.length, 1);
    await inv.close();
  });

  it('clamps to the battery current limits × voltage when readable', async () => {
    const clock = new VirtualClock(0);
    const link = new FakeLink(clock, deviceAnswer());
    const inv = new sofar.SofarInverter({ link, clock });
    await inv.poll(); // battery settings: max charge 40 A, max discharge 20 A; voltage 52.3 V
    assert.deepEqual(inv.limits(), { maxChargeW: 2092, maxDischargeW: 1046 });
    const res = await inv.setpoint(-3000);
    assert.equal(res.clamped, true);
    assert.equal(hex(link.calls.at(-1).data), '01 02 08 2C'); // 2092 W
    const res2 = await inv.setpoint(5000);
    assert.deepEqual(res2.command, { mode: 'discharge', watts: 1046 });
    await inv.close();
  });

  it('setpoint 0 → standby (default) or auto (setting); mode commands', async () => {
    const clock = new VirtualClock(0);
    const link = new FakeLink(clock, deviceAnswer());
    const a = new sofar.SofarInverter({ link, clock, settings: { onClose: 'none' } });
    assert.equal((await a.setpoint(0)).text, 'standby');
    assert.equal((await a.setMode('auto')).text, 'auto');
    await assert.rejects(a.setMode('boost'), RangeError);
    const b = new sofar.SofarInverter({ link, clock, settings: { zeroMeans: 'auto', onClose: 'none' } });
    assert.equal((await b.setpoint(0)).text, 'auto');
    const n = link.calls.length;
    await a.close();
    await b.close();
    assert.equal(link.calls.length, n, "onClose 'none' sends nothing");
  });

  it('a failed request rejects its own call only; reconnect re-sends the active command', async () => {
    const clock = new VirtualClock(0);
    let down = false;
    const link = new FakeLink(clock, (c) => {
      if (down) throw new ModbusError('timeout', 'no reply from unit 1 within 1000 ms');
      return deviceAnswer()(c);
    });
    const inv = new sofar.SofarInverter({ link, clock, settings: { resendMs: 0 } });
    inv.start();
    await inv.setpoint(800);
    down = true;
    await assert.rejects(inv.poll(), /read failed: no reply from unit 1/);
    await assert.rejects(inv.heartbeat(), /heartbeat failed/);
    assert.equal(inv.counters.pollErrors, 1);
    down = false;
    const before = link.calls.filter((c) => c.fc === 0x42).length;
    link.emit('connected');
    await flush();
    assert.equal(link.calls.filter((c) => c.fc === 0x42).length, before + 1);
    assert.equal(hex(link.calls.at(-1).data), '01 01 03 20');
    assert.equal((await inv.poll()).power, -1480);
    await inv.close();
  });

  it('falls back to the 69-register block when the 70-register read is refused', async () => {
    const clock = new VirtualClock(0);
    const link = new FakeLink(
      clock,
      deviceAnswer({
        3: (c) => {
          if (c.address === 0x0200 && c.count === 70) throw new ModbusError('exception', 'illegal data address', 2);
        },
      }),
    );
    const inv = new sofar.SofarInverter({ link, clock });
    const r = await inv.poll();
    assert.equal(r.power, -1480);
    assert.deepEqual(link.calls.filter((c) => c.address === 0x0200).map((c) => c.count), [70, 69]);
    await inv.poll();
    assert.deepEqual(link.calls.filter((c) => c.address === 0x0200).map((c) => c.count), [70, 69, 69]);
  });

  it('work-mode path: 0x1200 = 3 once, then 0x1213/0x1214/0x1212; auto writes 0x1200 = 0; no heartbeat', async () => {
    const clock = new VirtualClock(0);
    const link = new FakeLink(clock, deviceAnswer());
    const inv = new sofar.SofarInverter({ link, clock, settings: { controlPath: 'work-mode' } });
    inv.start();
    await inv.setpoint(-1200);
    await inv.setpoint(700);
    await inv.setpoint(0);
    await inv.setMode('auto');
    await inv.setpoint(300);
    const writes = link.calls.filter((c) => c.fc === 16).map((c) => [c.address.toString(16), c.values]);
    assert.deepEqual(writes, [
      ['1200', [3]],
      ['1214', [1200]],
      ['1213', [700]],
      ['1212', [0x5555]],
      ['1200', [0]],
      ['1200', [3]],
      ['1213', [300]],
    ]);
    clock.advance(120000);
    await flush();
    assert.equal(link.calls.filter((c) => c.fc === 0x49 || c.fc === 0x42).length, 0);
    assert.equal(link.calls.filter((c) => c.fc === 16).length, 7, 'persistent registers are not re-sent periodically');
    await inv.close();
  });

  it('plausibility warnings are emitted once per text', async () => {
    const clock = new VirtualClock(0);
    const link = new FakeLink(clock, deviceAnswer());
    const inv = new sofar.SofarInverter({ link, clock, settings: { batteryVoltageScale: '0.1' } });
    const warnings = [];
    inv.on('warning', (w) => warnings.push(w));
    const r = await inv.poll();
    await inv.poll();
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /523 V is implausible/);
    assert.deepEqual(r.warnings, warnings);
    // The implausible 523 V does not enter the power limit: the nominal 48 V does (40 A, 20 A).
    assert.deepEqual(inv.limits(), { maxChargeW: 1920, maxDischargeW: 960 });
  });
});

describe('sofar-inverter node boundary: config and input messages', () => {
  it('parses commands like sessy-battery, with errors naming the field', () => {
    assert.deepEqual(sofar.parseSofarCommand({ payload: { kind: 'battery-setpoint', power: -1500, reason: 'x' } }), { command: { type: 'setpoint', power: -1500, serial: undefined, reason: 'x' } });
    assert.deepEqual(sofar.parseSofarCommand({ payload: { kind: 'battery-mode', mode: 'auto' } }).command, { type: 'mode', mode: 'auto', serial: undefined, reason: undefined });
    assert.deepEqual(sofar.parseSofarCommand({ topic: 'setpoint', payload: '250' }).command, { type: 'setpoint', power: 250 });
    assert.deepEqual(sofar.parseSofarCommand({ topic: 'Mode', payload: ' Standby ' }).command, { type: 'mode', mode: 'standby' });
    assert.deepEqual(sofar.parseSofarCommand({ topic: 'refresh' }).command, { type: 'refresh' });
    assert.equal(sofar.parseSofarCommand({ payload: { kind: 'battery-setpoint' } }).error, 'payload.power: is required');
    assert.equal(sofar.parseSofarCommand({ payload: { kind: 'battery-setpoint', power: 1e6 } }).error, 'payload.power: must be <= 100000');
    assert.match(sofar.parseSofarCommand({ payload: { kind: 'battery-mode', mode: 'off' } }).error, /^payload\.mode: must be one of "standby", "auto"/);
    assert.match(sofar.parseSofarCommand({ topic: 'setpoint', payload: null }).error, /^msg\.payload: must be a number/);
    assert.match(sofar.parseSofarCommand({ topic: 'setpoint', payload: 200000 }).error, /between -100000 and 100000/);
    assert.match(sofar.parseSofarCommand({ topic: 'mode', payload: 3 }).error, /^msg\.payload: must be "standby" or "auto"/);
    assert.match(sofar.parseSofarCommand({ payload: [1, 2] }).error, /^msg\.payload: must be a command object/);
    assert.match(sofar.parseSofarCommand(undefined).error, /^msg\.payload/);
  });

  it('config: one schema; validation names the field; options carry the settings', () => {
    const read = (c) => sofar.readSofarConfig(c);
    assert.equal(read({ link: 'l1' }).ok, true);
    assert.equal(read({}).error, 'config.link: is required');
    assert.equal(read({ link: 'x', unit: '300' }).error, 'config.unit: must be <= 247');
    assert.equal(read({ link: 'x', unit: '2.5' }).error, 'config.unit: must be integer');
    assert.equal(read({ link: 'x', unit: '0x10' }).error, 'config.unit: must be integer', 'hex text is not a number');
    assert.match(read({ link: 'x', heartbeat: 90 }).error, /^config\.heartbeat: must be <= 60/);
    assert.match(read({ link: 'x', gridRegister: 'f32' }).error, /^config\.gridRegister: must be one of/);
    assert.match(read({ link: 'x', maxPower: NaN }).error, /^config\.maxPower: must be a finite number/);
    const c = read({ link: 'x', unit: '3', pollInterval: '2', maxPower: '2500', heartbeat: 15, resend: '', controlPath: 'work-mode', batteryVoltageScale: '0.01', onClose: 'standby' }).config;
    const o = sofar.optionsFromConfig(c);
    assert.deepEqual([o.unit, o.pollMs, o.freshness.fixedMs, o.freshness.expectedMs], [3, 2000, undefined, 2000]);
    assert.deepEqual(
      [o.settings.maxPowerW, o.settings.heartbeatMs, o.settings.resendMs, o.settings.controlPath, o.settings.batteryVoltageScale, o.settings.onClose, o.settings.zeroMeans],
      [2500, 15000, 30000, 'work-mode', '0.01', 'standby', 'standby'],
    );
    assert.equal(sofar.optionsFromConfig(read({ link: 'x', staleAfter: 12 }).config).freshness.fixedMs, 12000);
    // The editor validates with the same schema (nodes/sofar-inverter/schema.ts re-exports it).
    assert.equal(require(path.join(dist, 'nodes/sofar-inverter/schema.js')).configSchema, sofar.sofarConfigSchema);
  });
});

describe('Sofar simulator registers (the driver reads what the simulator writes)', () => {
  const { SofarSim } = require(path.join(dist, 'lib/sim/sofar-sim'));
  const { Household } = require(path.join(dist, 'lib/sim/household'));

  it('round trip through the points table, both battery-voltage encodings, fault bits', async () => {
    const clock = new VirtualClock(Date.UTC(2024, 5, 1, 10));
    for (const scale of [0.1, 0.01]) {
      const sim = new SofarSim({ clock, household: new Household({ clock, load: 1300, pv: 3100 }), batteryVoltageScale: scale, plant: { socPct: 80 } });
      sim.setMode('charge', 1200);
      clock.advance(5000);
      const rt = sofar.decodeRealtime(sim.realtimeWords(), { batteryVoltageScale: 'auto' });
      assert.equal(rt.batteryVoltageScale, scale);
      assert.ok(rt.batteryVoltage > 50 && rt.batteryVoltage < 60, String(rt.batteryVoltage));
      assert.equal(rt.acPower, -1200);
      assert.ok(rt.dcPower < 0 && rt.dcPower > -1200, 'DC side after conversion losses');
      assert.equal(rt.gridPower, -600, 'load 1300 − PV 3100 + charging 1200');
      assert.equal(rt.values.pvPower, 3100);
      assert.equal(rt.runningStateText, 'charging');
      assert.equal(rt.soc, 80);
      assert.deepEqual(rt.warnings, []);
      sim.setFaults({ inverterFaults: [5, 52], permanent: true });
      const f = sofar.decodeRealtime(sim.realtimeWords());
      assert.deepEqual(f.faults, ['ID05 battery overvoltage', 'ID52 battery communication fault']);
      assert.equal(f.runningStateText, 'permanent fault');
      clock.advance(2000);
      assert.equal(sofar.decodeRealtime(sim.realtimeWords()).acPower, 0, 'a faulted inverter stops');
      await sim.stop();
    }
  });

  it('fallback: none before the first command; after one, at the timeout', async () => {
    const clock = new VirtualClock(0);
    const sim = new SofarSim({ clock, heartbeatTimeoutMs: 30000, fallback: 'standby', initialMode: 'auto' });
    clock.advance(120000);
    assert.equal(sim.mode, 'auto', 'no command yet: nothing to time out');
    sim.setMode('discharge', 900);
    sim.lastLifeSign = clock.now();
    clock.advance(29000);
    assert.equal(sim.mode, 'discharge');
    clock.advance(1000);
    assert.equal(sim.mode, 'standby');
    await sim.stop();
  });
});
