'use strict';
// What Home Assistant builds from our discovery configs, rendered as a page (headless Chromium):
// one card per device with its entities, each shown the way HA would from its config and the
// state JSON (the value_template's key, the unit, the platform's control). Asserts the rendered
// values and writes test-artifacts/ha-entities.png (the README's picture). This is our own
// rendering of the payloads, not Home Assistant's UI (HA does not run here).
const { describe, it } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { HaDeviceBook } = require('../../dist/lib/ha/discovery');
const { battery, meter, zeroExport, ev, t0 } = require('../unit/ha-fixtures');

const root = path.resolve(__dirname, '..', '..');
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const isCI = !!process.env.CI && process.env.CI !== 'false' && process.env.CI !== '0';
const skip = !fs.existsSync(CHROMIUM) && !isCI ? `${CHROMIUM} not found (install Debian "chromium", or set CHROMIUM_PATH)` : false;

const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);

/** The page: every device announced by the book, its entities as HA lists them (controls, sensors, diagnostic). */
function page(configs, _states) {
  const cards = configs.map(({ cfg, state }) => {
    const rows = { controls: [], sensors: [], diagnostic: [] };
    for (const c of Object.values(cfg.cmps)) {
      const key = c.value_template ? /value_json\.([a-z0-9_]+)/.exec(c.value_template)[1] : null;
      const v = key ? state[key] : null;
      let shown;
      if (c.p === 'button') shown = '<button>Press</button>';
      else if (c.p === 'switch') shown = `<span class="toggle ${v ? 'on' : ''}"></span>`;
      else if (c.p === 'select') shown = `<select><option>${esc(v ?? '—')}</option></select>`;
      else if (c.p === 'number') shown = `<input value="${esc(v ?? '')}"> ${esc(c.unit_of_measurement ?? '')}`;
      else if (c.p === 'binary_sensor') shown = v ? 'On' : 'Off';
      else shown = v === null || v === undefined ? 'Unknown' : `${esc(typeof v === 'number' ? v.toLocaleString('en-US') : v)}${c.unit_of_measurement ? ` ${esc(c.unit_of_measurement)}` : ''}`;
      const group = c.entity_category === 'diagnostic' ? 'diagnostic' : c.command_topic ? 'controls' : 'sensors';
      rows[group].push(`<tr data-uid="${esc(c.unique_id)}"><td>${esc(c.name)}</td><td class="v">${shown}</td></tr>`);
    }
    const section = (t, r) => (r.length ? `<h3>${t}</h3><table>${r.join('')}</table>` : '');
    return `<div class="card"><h2>${esc(cfg.dev.name)}</h2><div class="sub">${esc([cfg.dev.mf, cfg.dev.mdl].filter(Boolean).join(' · '))} · MQTT</div>${section('Controls', rows.controls)}${section('Sensors', rows.sensors)}${section('Diagnostic', rows.diagnostic)}</div>`;
  });
  return `<!doctype html><html><head><meta charset="utf-8"><style>
    body{font-family:sans-serif;background:#f2f4f7;margin:16px;display:flex;gap:16px;align-items:flex-start;flex-wrap:wrap}
    .card{background:#fff;border-radius:12px;box-shadow:0 1px 3px #0002;padding:12px 16px;width:330px}
    h2{font-size:17px;margin:4px 0}.sub{color:#667;font-size:12px;margin-bottom:6px}
    h3{font-size:12px;text-transform:uppercase;color:#03a9f4;margin:12px 0 4px}
    table{width:100%;border-collapse:collapse;font-size:13px}td{padding:3px 0;border-bottom:1px solid #eee}
    td.v{text-align:right;color:#222}input{width:70px;text-align:right}
    .toggle{display:inline-block;width:30px;height:16px;border-radius:8px;background:#bbb}.toggle.on{background:#03a9f4}
  </style></head><body>${cards.join('')}</body></html>`;
}

describe('HA entities page (headless Chromium)', { skip }, () => {
  it('renders every device with its entities, values and units', async () => {
    const book = new HaDeviceBook({ prefix: 'homeassistant', baseTopic: 'home-energy' }, { name: 'node-red-contrib-home-energy' }, 0);
    const configs = [];
    for (const msg of [{ payload: battery }, { payload: meter }, { topic: 'zero-export', payload: zeroExport }, { topic: 'ev-charging', payload: ev }]) {
      const r = book.update(msg, t0);
      const cfg = JSON.parse(r.publish.find((p) => p.topic.endsWith('/config')).payload);
      const state = JSON.parse(r.publish.find((p) => p.topic.endsWith('/state')).payload);
      configs.push({ cfg, state });
    }
    const { chromium } = require('playwright-core');
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--headless', '--disable-gpu', '--no-first-run'] });
    try {
      const p = await browser.newPage({ viewport: { width: 1560, height: 700 } });
      await p.setContent(page(configs));
      const text = await p.locator('body').innerText();
      assert.match(text, /Sessy Battery AB12-CD34/);
      assert.match(text, /State of charge\s+63\.5 %/);
      assert.match(text, /Energy imported\s+1,234\.567 kWh/);
      assert.match(text, /L1 voltage\s+231\.2 V/);
      assert.match(text, /Grid power\s+-1,250 W/);
      assert.equal(await p.locator('[data-uid="he_sessy_AB12-CD34_setpoint"] input').inputValue(), '-800');
      assert.equal(await p.locator('[data-uid="he_ev_charging_mode"] select').inputValue(), 'solar-pure');
      assert.equal(await p.locator('.card').count(), 4);
      fs.mkdirSync(path.join(root, 'test-artifacts'), { recursive: true });
      await p.screenshot({ path: path.join(root, 'test-artifacts', 'ha-entities.png'), fullPage: true });
    } finally {
      await browser.close();
    }
  });
});
