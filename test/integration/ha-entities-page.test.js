'use strict';
// What Home Assistant builds from our discovery, rendered as a page in headless Chromium and saved
// as docs/ha-entities.png (the README's picture). The data comes from a real run: ha-mqtt +
// ha-entities in Node-RED publish to a real mosquitto, and an MQTT client subscribed the way HA is
// (the retained device configs, every state topic, the availability) collects what HA would get.
// One card per device with its entities, each shown from its config and the state JSON (the
// value_template's key, the unit, the platform's control), grouped as HA's device page does
// (controls, sensors, configuration, diagnostic). This is our own rendering of the payloads, not
// Home Assistant's UI (HA does not run here). Asserts the rendered values, the two controller
// settings among them (peak shaving's desired peak, EV charging's phase usage).
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const mqtt = require('mqtt');
const helper = require('node-red-node-test-helper');
const { startMosquitto, skipWithoutMosquitto } = require('./ha-mosquitto');
const { battery, meter, zeroExport, ev, peak } = require('../unit/ha-fixtures');
const { waitFor } = require('../helpers');

const root = path.resolve(__dirname, '..', '..');
const dist = path.join(root, 'dist');
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const isCI = !!process.env.CI && process.env.CI !== 'false' && process.env.CI !== '0';
const skip = skipWithoutMosquitto || (!fs.existsSync(CHROMIUM) && !isCI ? `${CHROMIUM} not found (install Debian "chromium", or set CHROMIUM_PATH)` : false);
const OUT = path.join(root, 'docs', 'ha-entities.png');

const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);

/** One device card: its entities as HA lists them on the device page. */
function card({ cfg, state, online }) {
  const rows = { Controls: [], Sensors: [], Configuration: [], Diagnostic: [] };
  for (const c of Object.values(cfg.cmps)) {
    const key = c.value_template ? /value_json\.([a-z0-9_]+)/.exec(c.value_template)[1] : null;
    const v = key ? state[key] : null;
    const unit = c.unit_of_measurement ? ` ${esc(c.unit_of_measurement)}` : '';
    let shown;
    if (c.p === 'button') shown = '<button>Press</button>';
    else if (c.p === 'switch') shown = `<span class="toggle ${v ? 'on' : ''}"></span>`;
    else if (c.p === 'select') shown = `<select>${v === null ? '<option selected value="">Unknown</option>' : ''}${c.options.map((o) => `<option${o === v ? ' selected' : ''}>${esc(o)}</option>`).join('')}</select>`;
    else if (c.p === 'number') shown = `<input value="${esc(v ?? '')}" placeholder="Unknown">${unit}`;
    else if (c.p === 'binary_sensor') shown = v ? 'On' : 'Off';
    else shown = v === null || v === undefined ? 'Unknown' : `${esc(typeof v === 'number' ? v.toLocaleString('en-US') : v)}${unit}`;
    const group = c.entity_category === 'diagnostic' ? 'Diagnostic' : c.entity_category === 'config' ? 'Configuration' : c.command_topic ? 'Controls' : 'Sensors';
    rows[group].push(`<tr data-uid="${esc(c.unique_id)}"><td>${esc(c.name)}</td><td class="v">${shown}</td></tr>`);
  }
  const sections = Object.entries(rows).map(([t, r]) => (r.length ? `<h3>${t}</h3><table>${r.join('')}</table>` : '')).join('');
  const sub = [cfg.dev.mf, cfg.dev.mdl].filter(Boolean).join(' · ');
  return `<div class="card" data-dev="${esc(cfg.dev.ids[0])}"><h2>${esc(cfg.dev.name)}</h2><div class="sub">${esc(sub ? `${sub} · ` : '')}MQTT · <span class="${online ? 'on' : 'off'}">${online ? 'available' : 'unavailable'}</span></div>${sections}</div>`;
}

/** `columns`: the devices (indexes) per column, so the tall cards sit side by side. */
function page(devices, columns) {
  return `<!doctype html><html><head><meta charset="utf-8"><style>
    body{font-family:sans-serif;background:#f2f4f7;margin:16px}
    .note{color:#556;font-size:12px;margin:0 0 12px}
    .cards{display:flex;gap:16px;align-items:flex-start}.col{width:360px;display:flex;flex-direction:column;gap:16px}
    .card{box-sizing:border-box;background:#fff;border-radius:12px;box-shadow:0 1px 3px #0002;padding:12px 16px}
    h2{font-size:17px;margin:4px 0}.sub{color:#667;font-size:12px;margin-bottom:6px}.sub .on{color:#2e7d32}.sub .off{color:#c62828}
    h3{font-size:12px;text-transform:uppercase;color:#03a9f4;margin:12px 0 4px}
    table{width:100%;border-collapse:collapse;font-size:13px}td{padding:3px 0;border-bottom:1px solid #eee}
    td.v{text-align:right;color:#222}input{width:70px;text-align:right}
    .toggle{display:inline-block;width:30px;height:16px;border-radius:8px;background:#bbb}.toggle.on{background:#03a9f4}
  </style></head><body><p class="note">The devices and entities Home Assistant creates from this package's MQTT discovery, rendered from the retained configs and states on the broker (not Home Assistant's own UI).</p><div class="cards">${columns.map((col) => `<div class="col">${col.map((i) => card(devices[i])).join('')}</div>`).join('')}</div></body></html>`;
}

describe('HA entities page from a real broker (headless Chromium)', { skip }, () => {
  let broker;
  let ha;
  const seen = new Map();
  before(async () => {
    broker = await startMosquitto();
    await new Promise((r) => helper.startServer(r));
    ha = mqtt.connect(broker.url, { reconnectPeriod: 0 });
    await new Promise((resolve, reject) => (ha.once('connect', resolve), ha.once('error', reject)));
    ha.on('message', (topic, payload) => seen.set(topic, payload.toString('utf8')));
    // What HA's MQTT integration subscribes to, and the topics the configs name.
    await ha.subscribeAsync(['homeassistant/device/+/config', 'home-energy/#'], { qos: 1 });
  });
  after(async () => {
    await ha?.endAsync(true);
    await helper.unload();
    await new Promise((r) => helper.stopServer(r));
    await broker?.stop();
  });

  it('renders every announced device with its entities, values and units, and writes docs/ha-entities.png', async () => {
    const haMqttNode = require(path.join(dist, 'nodes/ha-mqtt/ha-mqtt.js'));
    const haEntitiesNode = require(path.join(dist, 'nodes/ha-entities/ha-entities.js'));
    await helper.load(
      [haMqttNode, haEntitiesNode],
      [
        { id: 'broker', type: 'ha-mqtt', broker: broker.url, prefix: 'homeassistant', baseTopic: 'home-energy' },
        { id: 'ha', type: 'ha-entities', server: 'broker', interval: 0, offlineAfter: 0, wires: [[]] },
      ],
    );
    await waitFor(() => seen.get('home-energy/status') === 'online', 10_000, 'bridge online');
    const n = helper.getNode('ha');
    const inputs = [{ payload: battery }, { payload: meter }, { topic: 'zero-export', payload: zeroExport }, { topic: 'ev-charging', payload: ev }, { topic: 'peak-shaving', payload: peak }];
    for (const m of inputs) n.receive(m);
    const ids = ['he_sessy_AB12-CD34', 'he_p1_4530303331303033', 'he_zero_export', 'he_ev_charging', 'he_peak_shaving'];
    await waitFor(() => ids.every((id) => seen.has(`homeassistant/device/${id}/config`) && seen.has(`home-energy/${id}/state`) && seen.get(`home-energy/${id}/availability`) === 'online'), 10_000, 'configs, states and availability of five devices');
    const devices = ids.map((id) => {
      const cfg = JSON.parse(seen.get(`homeassistant/device/${id}/config`));
      const stateTopic = Object.values(cfg.cmps).find((c) => c.state_topic).state_topic;
      const online = cfg.availability.every((a) => seen.get(a.topic) === 'online');
      return { cfg, state: JSON.parse(seen.get(stateTopic)), online };
    });

    const { chromium } = require('playwright-core');
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--headless', '--disable-gpu', '--no-first-run'] });
    try {
      const p = await browser.newPage({ viewport: { width: 1560, height: 600 } });
      await p.setContent(page(devices, [[0], [1], [3], [2, 4]]));
      const text = await p.locator('body').innerText();
      assert.equal(await p.locator('.card').count(), 5);
      assert.equal(await p.locator('.sub .on').count(), 5, 'every device available');
      assert.match(text, /Sessy Battery AB12-CD34/);
      assert.match(text, /State of charge\s+63\.5 %/);
      assert.match(text, /Energy imported\s+1,234\.567 kWh/);
      assert.match(text, /L1 voltage\s+231\.2 V/);
      assert.match(text, /Grid power\s+-1,250 W/);
      assert.match(text, /Quarter-hour projected\s+3,050 W/);
      assert.equal(await p.locator('[data-uid="he_sessy_AB12-CD34_setpoint"] input').inputValue(), '-800');
      assert.equal(await p.locator('[data-uid="he_ev_charging_mode"] select').inputValue(), 'solar-pure');
      // The two controller settings HA can change.
      const desired = p.locator('[data-uid="he_peak_shaving_desired_peak"]');
      assert.equal(await desired.locator('input').inputValue(), '2500');
      assert.match(await desired.innerText(), /Desired peak\s+W/);
      const phases = p.locator('[data-uid="he_ev_charging_phase_usage"]');
      assert.equal(await phases.locator('select').inputValue(), 'automatic');
      assert.deepEqual(await phases.locator('option').allTextContents(), ['standard', 'single', 'automatic']);
      assert.match(await p.locator('[data-dev="he_ev_charging"]').innerText(), /CONFIGURATION\s+Phase usage/i);
      await p.screenshot({ path: OUT, fullPage: true });
    } finally {
      await browser.close();
    }
    const png = fs.readFileSync(OUT);
    assert.equal(png.subarray(1, 4).toString('latin1'), 'PNG');
    assert.equal(png.readUInt32BE(16), 1560, 'image width');
  });
});
