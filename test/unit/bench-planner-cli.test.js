'use strict';
// `home-energy bench planner` without --json: the Markdown table on stdout, and planner.json,
// planner.md and planner.svg (price, SoC and grid panels, a day's bought/sold kWh) in --out.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { BENCHMARKS } = require(path.join(__dirname, '../../dist/bench/index.js'));

const H = 3_600_000;
/** Three days of hourly EUR/MWh from 2026-01-04 23:00 UTC: cheap nights, dear evenings. */
function csv() {
  const t0 = Date.parse('2026-01-04T23:00:00Z');
  const rows = ['interval_start_utc,duration_min,price_eur_per_mwh'];
  for (let i = 0; i < 3 * 24 + 48; i++) rows.push(`${new Date(t0 + i * H).toISOString()},60,${i % 24 < 6 ? 40 : i % 24 >= 17 && i % 24 < 21 ? 240 : 90}`);
  return rows.join('\n') + '\n';
}

test('bench planner writes the report and the SVG plots into --out, and --json writes nothing', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'he-planner-'));
  const prices = path.join(dir, 'prices.csv');
  fs.writeFileSync(prices, csv());
  const out = path.join(dir, 'out');
  const r = await BENCHMARKS.planner.run(['--prices', prices, '--from', '2026-01-05', '--days', '2', '--horizon', '24', '--out', out]);
  assert.match(r.lines.join('\n'), /\| ours \| /);
  assert.match(r.lines.at(-1), /^Written: .*planner\.json, .*planner\.md, .*planner\.svg$/);
  const json = JSON.parse(fs.readFileSync(path.join(out, 'planner.json'), 'utf8'));
  assert.deepEqual(Object.keys(json.results).sort(), ['balancing', 'greedy', 'noBattery', 'oracle', 'ours', 'threshold']);
  assert.equal(json.trace, undefined, 'the per-slot trace is drawn, not stored');
  const svg = fs.readFileSync(path.join(out, 'planner.svg'), 'utf8');
  assert.match(svg, /^<svg /);
  assert.equal((svg.match(/<path /g) || []).length, 5, 'import, feed-in, SoC ours, SoC oracle, grid');
  assert.match(svg, /grid W, ours/);
  // two days, each labelled with the kWh ours bought and sold
  assert.equal((svg.match(/>\+\d+\.\d\/−\d+\.\d</g) || []).length, 2);
  assert.match(fs.readFileSync(path.join(out, 'planner.md'), 'utf8'), /!\[prices, SoC and grid\]\(planner\.svg\)/);

  const out2 = path.join(dir, 'out2');
  const j = await BENCHMARKS.planner.run(['--prices', prices, '--from', '2026-01-05', '--days', '2', '--horizon', '24', '--out', out2, '--json']);
  assert.equal(JSON.parse(j.lines[0]).trace, undefined);
  assert.equal(fs.existsSync(out2), false);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('bench planner --preset turns the spot prices into the tariff node\'s NL or BE consumer prices; a wrong preset is a usage error', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'he-planner-'));
  const prices = path.join(dir, 'prices.csv');
  fs.writeFileSync(prices, csv());
  const run = async (...extra) => JSON.parse((await BENCHMARKS.planner.run(['--prices', prices, '--from', '2026-01-05', '--days', '1', '--horizon', '24', '--json', ...extra])).lines[0]);
  const spot = await run();
  const nl = await run('--preset', 'NL');
  assert.equal(spot.scenario.prices, 'spot');
  assert.equal(nl.scenario.prices, 'NL');
  // NL preset: (spot/1000 + 0.02 markup + 0.0916 energy tax) × 1.21 VAT per kWh, so a day without the
  // battery costs more than at spot, by the tax and markup on every kWh imported.
  const kWh = nl.scenario.loadKWh;
  const spotCost = spot.results.noBattery.costEur;
  const nlCost = nl.results.noBattery.costEur;
  assert.ok(Math.abs(nlCost - (spotCost * 1.21 + kWh * (0.02 + 0.0916) * 1.21)) < 0.02, `${nlCost} vs ${spotCost}, ${kWh} kWh`);
  await assert.rejects(() => BENCHMARKS.planner.run(['--prices', prices, '--preset', 'FR', '--json']), /--preset must be one of NL, BE, spot, got "FR"/);
  fs.rmSync(dir, { recursive: true, force: true });
});
