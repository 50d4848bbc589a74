'use strict';
// Home Assistant's rules for MQTT discovery payloads, as a table, and checkers that return the
// problems of a component or a whole device config. Shared by the ha-* unit and integration tests.
/**
 * HA's rules (HA core mqtt/discovery.py, mqtt/sensor.py, sensor/const.py DEVICE_CLASS_UNITS and
 * DEVICE_CLASS_STATE_CLASSES; the MQTT integration docs): which units and state classes each
 * sensor device class accepts. A combination outside this table makes HA drop the entity.
 */
const UNITS = {
  power: ['mW', 'W', 'kW', 'MW', 'GW', 'TW'],
  energy: ['J', 'kJ', 'MJ', 'GJ', 'mWh', 'Wh', 'kWh', 'MWh', 'GWh', 'TWh', 'cal', 'kcal', 'Mcal', 'Gcal'],
  energy_storage: ['J', 'kJ', 'MJ', 'GJ', 'mWh', 'Wh', 'kWh', 'MWh', 'GWh', 'TWh', 'cal', 'kcal', 'Mcal', 'Gcal'],
  battery: ['%'],
  voltage: ['V', 'mV', 'µV', 'kV', 'MV'],
  current: ['A', 'mA', 'µA'],
  frequency: ['mHz', 'Hz', 'kHz', 'MHz', 'GHz'],
  apparent_power: ['mVA', 'VA', 'kVA'],
  reactive_power: ['mvar', 'var', 'kvar'],
  power_factor: ['%', undefined],
  temperature: ['°C', '°F', 'K'],
  gas: ['m³', 'ft³', 'CCF', 'L'],
  water: ['m³', 'ft³', 'CCF', 'gal', 'L'],
};
const STATE_CLASSES = {
  energy: ['total', 'total_increasing'],
  power: ['measurement'],
  battery: ['measurement'],
  voltage: ['measurement'],
  current: ['measurement'],
  frequency: ['measurement'],
  energy_storage: ['measurement'],
  power_factor: ['measurement'],
  apparent_power: ['measurement'],
  reactive_power: ['measurement'],
  temperature: ['measurement'],
  gas: ['total', 'total_increasing'],
  water: ['total', 'total_increasing'],
  monetary: ['total'],
};
/** Emit only what every release accepts (home-assistant.md §1.4): W/kW and Wh/kWh. */
const SAFE_UNITS = { power: ['W', 'kW'], energy: ['Wh', 'kWh'] };
/** Number entities: the device classes used here and their units (HA number/const.py). */
const NUMBER_UNITS = { power: ['W', 'kW'], current: ['A', 'mA'] };
const ID = /^[a-zA-Z0-9_-]+$/;
const DISCOVERY_TOPIC = /^homeassistant\/device\/([a-zA-Z0-9_-]+)\/config$/;

/** Every rule a component of a device-based discovery payload must follow; returns the problems. */
function checkComponent(id, c) {
  const bad = [];
  if (!ID.test(id)) bad.push(`component id ${id}`);
  if (!c.p) bad.push('p missing');
  if (typeof c.unique_id !== 'string' || !ID.test(c.unique_id)) bad.push(`unique_id ${c.unique_id}`);
  if (typeof c.name !== 'string' || !c.name) bad.push('name');
  const readOnly = ['sensor', 'binary_sensor'].includes(c.p);
  if (readOnly && !c.state_topic) bad.push('state_topic required');
  if (['number', 'select', 'switch', 'button'].includes(c.p) && !c.command_topic) bad.push('command_topic required');
  if (c.state_topic && !c.value_template) bad.push('value_template (state is one JSON per device)');
  if (c.availability_topic) bad.push('availability comes from the device root, not availability_topic');
  if (c.p === 'sensor') {
    const dc = c.device_class;
    if (dc === 'enum') {
      if (!Array.isArray(c.options) || !c.options.length) bad.push('enum needs options');
      if (c.unit_of_measurement || c.state_class) bad.push('enum has no unit or state class');
    } else {
      if (c.options) bad.push('options only with device_class enum');
      if (dc && UNITS[dc] && !UNITS[dc].includes(c.unit_of_measurement)) bad.push(`unit ${c.unit_of_measurement} not valid for ${dc}`);
      if (dc && SAFE_UNITS[dc] && !SAFE_UNITS[dc].includes(c.unit_of_measurement)) bad.push(`unit ${c.unit_of_measurement} not accepted by every release for ${dc}`);
      if (dc && !UNITS[dc] && dc !== 'monetary') bad.push(`device class ${dc} not in the table`);
      if (dc && c.state_class && !STATE_CLASSES[dc].includes(c.state_class)) bad.push(`state class ${c.state_class} not valid for ${dc}`);
      if (dc === 'monetary' && !/^[A-Z]{3}$/.test(c.unit_of_measurement ?? '')) bad.push('monetary needs an ISO 4217 currency');
      if (c.state_class && !['measurement', 'total', 'total_increasing'].includes(c.state_class)) bad.push(`state class ${c.state_class}`);
    }
  }
  if (c.p === 'number') {
    if (!(c.min < c.max)) bad.push('min >= max');
    if (!(c.step >= 0.001)) bad.push('step < 0.001');
    if (c.device_class && !(NUMBER_UNITS[c.device_class] ?? []).includes(c.unit_of_measurement)) bad.push(`number unit ${c.unit_of_measurement} for ${c.device_class}`);
  }
  if (c.p === 'select' && (!Array.isArray(c.options) || !c.options.length)) bad.push('select needs options');
  if (c.p === 'select' && Array.isArray(c.options) && new Set(c.options).size !== c.options.length) bad.push('select options must be unique');
  if (['number', 'select'].includes(c.p) && c.state_class) bad.push(`${c.p} takes no state_class`);
  return bad;
}

/** Checks a whole device config; returns the problems. */
function checkDevice(topic, cfg) {
  const bad = [];
  const m = DISCOVERY_TOPIC.exec(topic);
  if (!m) bad.push(`topic ${topic}`);
  if (!cfg.dev || !Array.isArray(cfg.dev.ids) || !cfg.dev.ids.length) bad.push('dev.ids');
  if (!cfg.o || !cfg.o.name) bad.push('o.name');
  if (!cfg.cmps || !Object.keys(cfg.cmps).length) bad.push('cmps');
  if (cfg.availability_topic && cfg.availability) bad.push('availability_topic and availability');
  if (!Array.isArray(cfg.availability) || !cfg.availability.every((a) => typeof a.topic === 'string')) bad.push('availability');
  const uids = new Set();
  for (const [id, c] of Object.entries(cfg.cmps ?? {})) {
    for (const b of checkComponent(id, c)) bad.push(`${id}: ${b}`);
    if (uids.has(c.unique_id)) bad.push(`${id}: duplicate unique_id`);
    uids.add(c.unique_id);
  }
  return bad;
}

/**
 * The state JSON against the config, as HA reads it (HA core mqtt/number.py, mqtt/select.py,
 * mqtt/sensor.py): a template over a null renders "None", which a number (its payload_reset) and a
 * select take as unknown; a number outside min–max and a select value that is not one of its options
 * are logged as invalid and ignored (the entity keeps its old state); a sensor with a numeric device
 * class needs a number. Returns the problems.
 */
function checkState(cfg, state) {
  const bad = [];
  for (const [id, c] of Object.entries(cfg.cmps ?? {})) {
    if (!c.value_template) continue;
    const key = /value_json\.([a-z0-9_]+)/.exec(c.value_template)?.[1];
    if (!key || !(key in state)) {
      bad.push(`${id}: state has no ${key}`);
      continue;
    }
    const v = state[key];
    if (v === null) continue;
    if (c.p === 'number') {
      if (typeof v !== 'number' || !Number.isFinite(v)) bad.push(`${id}: ${JSON.stringify(v)} is not a number`);
      else if (v < c.min || v > c.max) bad.push(`${id}: ${v} outside ${c.min}–${c.max}`);
    }
    if (c.p === 'select' && !c.options.includes(v)) bad.push(`${id}: ${JSON.stringify(v)} is not an option`);
    if ((c.p === 'switch' || c.p === 'binary_sensor') && typeof v !== 'boolean') bad.push(`${id}: ${JSON.stringify(v)} is not a boolean`);
    if (c.p === 'sensor' && c.device_class === 'enum' && !c.options.includes(v)) bad.push(`${id}: ${JSON.stringify(v)} is not an option`);
    if (c.p === 'sensor' && c.device_class && c.device_class !== 'enum' && typeof v !== 'number') bad.push(`${id}: ${JSON.stringify(v)} is not a number (${c.device_class})`);
  }
  return bad;
}

module.exports = { UNITS, STATE_CLASSES, checkComponent, checkDevice, checkState, ID, DISCOVERY_TOPIC };
