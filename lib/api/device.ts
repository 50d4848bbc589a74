/**
 * The device model (DESIGN.md §3): one `DevicePoint` type for every device, one `DeviceDescriptor`
 * per device, and generic decode / encode over points. A driver decodes what it read through these
 * functions; the device's simulator encodes its state through the same points; the build renders
 * the help's list of outputs from the descriptor's `outputs`. Nothing here knows a device.
 *
 * A point says where a value lives (`source`: a Modbus register, a JSON field of an HTTP reply, an
 * OBIS code of a P1 telegram), how device units become ours (`value = raw × scale + offset`), the
 * unit after scaling, whether it is writable, its valid range and its source document.
 */
import { decodeValue, encodeValue, wordCount, type RegisterType, type WordOrder } from '../transport/modbus/data-types';

/** What a driver can serve; controllers and nodes select devices by these. */
export type Capability =
  | 'meter'
  | 'phase-values'
  | 'energy-counters'
  | 'capacity-tariff'
  | 'battery'
  | 'battery-control'
  | 'inverter'
  | 'inverter-limit'
  | 'charger'
  | 'charger-control'
  | 'phase-switching';

/** The normalized message kind a device produces (DESIGN.md §2). */
export type ReadingKind = 'meter' | 'battery' | 'inverter' | 'charger';

/** A holding (0x03) or input (0x04) register range. */
export interface RegisterSource {
  kind: 'register';
  /** Read function: 0x03 holding, 0x04 input. */
  fc: 0x03 | 0x04;
  /** 0-based PDU address. */
  address: number;
  type: RegisterType;
  /** Registers of a string. */
  length?: number;
  /** Word order of a 32/64-bit value when the point fixes it (otherwise the driver's setting, default 'be'). */
  wordOrder?: WordOrder;
  /**
   * Raw words that mean "not available" (all ones, the most negative value, …): such a point decodes
   * as absent. `'sunspec'` uses the SunSpec / KSEM not-implemented patterns of the type.
   */
  missing?: 'sunspec' | number[];
}

/** A field of a JSON reply (HTTP APIs). */
export interface JsonSource {
  kind: 'json';
  /** HTTP path of the reply, e.g. "/api/v1/power/status". */
  endpoint: string;
  /** Dot path inside the reply, e.g. "sessy.state_of_charge"; `a.b[2].c` indexes arrays. */
  path: string;
}

/** A COSEM object of a DSMR / e-MUCS telegram. */
export interface ObisSource {
  kind: 'obis';
  /** OBIS reduced ID, e.g. "1-0:1.7.0" (a channel "n" in the code, as "0-n:24.2.1", stands for any M-Bus channel). */
  code: string;
  /** The value's position among the object's parenthesised groups (0 = the first group). */
  group?: number;
}

export type PointSource = RegisterSource | JsonSource | ObisSource;

/** Value types that are not numbers scaled into SI units. */
export type PointValueType = 'number' | 'integer' | 'string' | 'boolean' | 'enum' | 'timestamp';

export interface DevicePoint {
  /** The point's name, unique in its descriptor ("activePowerPlus", "L2.voltage", "soc"). */
  name: string;
  source: PointSource;
  /** What the point holds after decoding (default 'number'). */
  valueType?: PointValueType;
  /** our value = raw × scale + offset (default scale 1, offset 0). */
  scale?: number;
  offset?: number;
  /** Unit after scaling: "W", "Wh", "V", "A", "Hz", "%", "°C", "s", "" (dimensionless). */
  unit: string;
  /** The device's own unit, where it differs ("mV", "0.1 W", "kWh", "0–1"). */
  deviceUnit?: string;
  /** Sign convention of the raw value, when the device has one ("+ export", "+ charging"). */
  sign?: string;
  /** r = read only, rw = read and write, w = write only (commands). */
  access: 'r' | 'rw' | 'w';
  /** Valid range in `unit` (writes are clamped or refused outside it; reads outside are implausible). */
  range?: readonly [number, number];
  /** Allowed raw values of an enum, value → meaning. */
  values?: Readonly<Record<string | number, string>>;
  description: string;
  /** Where the fact comes from: protocol file and section, its sources and confidence tag. */
  src: string;
}

/** One field of the normalized reading, for the help's output list and the coverage test. */
export interface OutputField {
  /** Path in msg.payload: "power", "phases[].voltage", "energy.importWh". */
  field: string;
  unit: string;
  meaning: string;
  /** Names of the points the field is computed from; empty for fields the driver sets itself (kind, timestamp, source, derived values). */
  from: readonly string[];
  /** When `from` is empty: how the value is made ("driver", "computed: quarter-hour average"). */
  note?: string;
}

export interface DeviceDescriptor {
  /** Registry key, lower case ("ksem", "sofar", "sessy", "p1", "enector"). */
  name: string;
  /** Human name for help and the CLI. */
  title: string;
  /** Models the descriptor covers. */
  models: string;
  /** The normalized message it emits. */
  reading: ReadingKind;
  /** Transports the driver speaks ("tcp", "tls", "rtu", "rtu-over-tcp", "http", "serial", "push"). */
  transports: readonly string[];
  /** Transport defaults: port, unit id, baud, timeouts, inter-request delay, poll interval. */
  defaults: Readonly<Record<string, unknown>>;
  /** JSON Schema of the driver's parameters (settings that stand in for unconfirmed facts among them). */
  params?: Readonly<Record<string, unknown>>;
  capabilities: readonly Capability[];
  points: readonly DevicePoint[];
  outputs: readonly OutputField[];
  /** Node-RED node types that serve this device (the build puts the output list into their help). */
  nodeTypes: readonly string[];
}

// ---------------------------------------------------------------------------------------------
// Lookup and scaling
// ---------------------------------------------------------------------------------------------

/** Map of a descriptor's points by name; throws on a duplicate name (a descriptor bug). */
export function pointMap(points: readonly DevicePoint[]): ReadonlyMap<string, DevicePoint> {
  const m = new Map<string, DevicePoint>();
  for (const p of points) {
    if (m.has(p.name)) throw new Error(`duplicate point name ${p.name}`);
    m.set(p.name, p);
  }
  return m;
}

/** The point with this name; throws when there is none (a programming error, not device data). */
export function findPoint(points: readonly DevicePoint[], name: string): DevicePoint {
  const p = points.find((x) => x.name === name);
  if (!p) throw new Error(`no point ${name}`);
  return p;
}

/** Device value → our value (raw × scale + offset), rounded to the point's resolution. */
export function scaleIn(p: DevicePoint, raw: number): number {
  const scale = p.scale ?? 1;
  const v = raw * scale + (p.offset ?? 0);
  return roundToResolution(v, scale);
}

/** Our value → device value ((value − offset) / scale); registers round it to whole counts. */
export function scaleOut(p: DevicePoint, value: number): number {
  return (value - (p.offset ?? 0)) / (p.scale ?? 1);
}

/** Removes float noise of a scale (0.1 × 2347 = 234.70000000000002 → 234.7). */
function roundToResolution(v: number, scale: number): number {
  if (!Number.isFinite(v) || Number.isInteger(scale)) return v;
  const decimals = Math.min(12, Math.max(0, Math.ceil(-Math.log10(Math.abs(scale))) + 3));
  return Number(v.toFixed(decimals));
}

/** True when `v` is inside the point's range (points without a range accept any finite number). */
export function inRange(p: DevicePoint, v: number): boolean {
  return Number.isFinite(v) && (!p.range || (v >= p.range[0] && v <= p.range[1]));
}

/** Clamps `v` into the point's range (a write about to go on the wire). */
export function clampToRange(p: DevicePoint, v: number): number {
  if (!p.range) return v;
  return Math.min(p.range[1], Math.max(p.range[0], v));
}

// ---------------------------------------------------------------------------------------------
// Registers
// ---------------------------------------------------------------------------------------------

/** A sparse register image: words by function code and address (a poll's replies, a simulator's memory, what a master wrote). */
export class RegisterImage {
  private readonly words = new Map<number, number>();

  private static key(fc: number, address: number): number {
    return fc * 0x10000 + address;
  }

  set(address: number, words: ArrayLike<number>, fc: 0x03 | 0x04 = 0x03): void {
    for (let i = 0; i < words.length; i++) this.words.set(RegisterImage.key(fc, address + i), words[i] & 0xffff);
  }

  /** `count` words from `address`, or undefined when any of them is missing. */
  get(address: number, count: number, fc: 0x03 | 0x04 = 0x03): number[] | undefined {
    const out = new Array<number>(count);
    for (let i = 0; i < count; i++) {
      const w = this.words.get(RegisterImage.key(fc, address + i));
      if (w === undefined) return undefined;
      out[i] = w;
    }
    return out;
  }

  has(address: number, fc: 0x03 | 0x04 = 0x03): boolean {
    return this.words.has(RegisterImage.key(fc, address));
  }

  /** Words of a block; missing words read as `fill` (default 0). */
  block(address: number, count: number, fc: 0x03 | 0x04 = 0x03, fill = 0): number[] {
    const out = new Array<number>(count);
    for (let i = 0; i < count; i++) out[i] = this.words.get(RegisterImage.key(fc, address + i)) ?? fill;
    return out;
  }

  clear(): void {
    this.words.clear();
  }

  get size(): number {
    return this.words.size;
  }
}

/** Registers a register point occupies. */
export function pointWords(p: DevicePoint): number {
  const s = registerSource(p);
  return wordCount(s.type, s.length);
}

function registerSource(p: DevicePoint): RegisterSource {
  if (p.source.kind !== 'register') throw new Error(`point ${p.name} is not a register point`);
  return p.source;
}

function isMissing(s: RegisterSource, words: number[]): boolean {
  if (!s.missing) return false;
  if (s.missing !== 'sunspec') return s.missing.length === words.length && s.missing.every((w, i) => w === words[i]);
  switch (s.type) {
    case 'u16':
    case 'u32':
    case 'u64':
      return words.every((w) => w === 0xffff);
    case 's16':
      return words[0] === 0x8000;
    case 's32':
    case 's64':
      return words[0] === 0x8000 && words.slice(1).every((w) => w === 0);
    case 'f32':
    case 'f64':
      return words.every((w) => w === 0xffff) || (words[0] === 0x7fc0 && words.slice(1).every((w) => w === 0));
    default:
      return false;
  }
}

export interface RegisterDecodeOptions {
  /** Word order for points that do not fix their own (default 'be'). */
  wordOrder?: WordOrder;
}

/**
 * One register point from raw words (its own words, starting at index 0): the scaled number, the
 * trimmed string (printable ASCII only), or undefined when the words mean "not available", are
 * too few, or give no finite number. Never throws on wire data.
 */
export function decodeRegisterWords(p: DevicePoint, words: ArrayLike<number>, opts: RegisterDecodeOptions = {}): number | string | undefined {
  const s = registerSource(p);
  const n = wordCount(s.type, s.length);
  if (words.length < n) return undefined;
  const own = Array.from({ length: n }, (_, i) => words[i] & 0xffff);
  if (s.type === 'string') {
    const text = decodeValue(own, 0, 'string', { length: n });
    return /^[\x20-\x7e]*$/.test(text) ? text.trim() : undefined;
  }
  if (isMissing(s, own)) return undefined;
  const raw = decodeValue(own, 0, s.type, { wordOrder: s.wordOrder ?? opts.wordOrder ?? 'be' });
  if (!Number.isFinite(raw)) return undefined;
  if (p.valueType === 'enum' || p.valueType === 'boolean') return raw;
  return scaleIn(p, raw);
}

/** One register point from an image; undefined when its words are not all there. */
export function decodeRegisterPoint(image: RegisterImage, p: DevicePoint, opts: RegisterDecodeOptions = {}): number | string | undefined {
  const s = registerSource(p);
  const words = image.get(s.address, wordCount(s.type, s.length), s.fc);
  return words ? decodeRegisterWords(p, words, opts) : undefined;
}

/**
 * Words for a value of a register point (in the point's unit): scaled back, rounded to whole
 * counts, clamped to the register type's range by encodeValue. Strings are padded with NULs.
 */
export function encodeRegisterPoint(p: DevicePoint, value: number | string, opts: RegisterDecodeOptions = {}): number[] {
  const s = registerSource(p);
  if (s.type === 'string') return encodeValue(String(value), 'string', { length: s.length });
  if (typeof value !== 'number') throw new TypeError(`point ${p.name} takes a number`);
  const scaled = p.valueType === 'enum' || p.valueType === 'boolean' ? value : scaleOut(p, value);
  const raw = s.type === 'f32' || s.type === 'f64' ? scaled : Math.round(scaled);
  return encodeValue(raw, s.type, { wordOrder: s.wordOrder ?? opts.wordOrder ?? 'be' });
}

/** Writes values (by point name) into an image through their points; an unknown name throws (a simulator bug). */
export function encodeRegisters(image: RegisterImage, points: readonly DevicePoint[], values: Readonly<Record<string, number | string>>, opts: RegisterDecodeOptions = {}): void {
  const byName = pointMap(points);
  for (const [name, value] of Object.entries(values)) {
    const p = byName.get(name);
    if (!p) throw new Error(`unknown point ${name}`);
    const s = registerSource(p);
    image.set(s.address, encodeRegisterPoint(p, value, opts), s.fc);
  }
}

/** Every register point of `points` present in the image, by name. */
export function decodeRegisters(image: RegisterImage, points: readonly DevicePoint[], opts: RegisterDecodeOptions = {}): Record<string, number | string> {
  const out: Record<string, number | string> = {};
  for (const p of points) {
    if (p.source.kind !== 'register') continue;
    const v = decodeRegisterPoint(image, p, opts);
    if (v !== undefined) out[p.name] = v;
  }
  return out;
}

/** Decodes the points that lie inside a block read from `start` (`words[i]` is register start + i). */
export function decodeBlock(points: readonly DevicePoint[], fc: 0x03 | 0x04, start: number, words: ArrayLike<number>, opts: RegisterDecodeOptions = {}): Record<string, number | string> {
  const image = new RegisterImage();
  image.set(start, words, fc);
  return decodeRegisters(image, points.filter((p) => p.source.kind === 'register' && p.source.fc === fc), opts);
}

/** The smallest block [start, start + count) that covers the given register points of one function code. */
export function spanOf(points: readonly DevicePoint[]): { fc: 0x03 | 0x04; address: number; count: number } {
  let lo = Infinity;
  let hi = -Infinity;
  let fc: 0x03 | 0x04 | undefined;
  for (const p of points) {
    const s = registerSource(p);
    if (fc !== undefined && s.fc !== fc) throw new Error('spanOf: points of different function codes');
    fc = s.fc;
    lo = Math.min(lo, s.address);
    hi = Math.max(hi, s.address + wordCount(s.type, s.length));
  }
  if (fc === undefined) throw new Error('spanOf: no points');
  return { fc, address: lo, count: hi - lo };
}

// ---------------------------------------------------------------------------------------------
// JSON replies
// ---------------------------------------------------------------------------------------------

const PATH_PART = /([^.[\]]+)|\[(\d+)\]/g;

function pathParts(path: string): Array<string | number> {
  const parts: Array<string | number> = [];
  for (const m of path.matchAll(PATH_PART)) parts.push(m[2] !== undefined ? Number(m[2]) : m[1]);
  return parts;
}

/** The raw value at a dot path of a JSON body (own properties only), or undefined. */
export function getPath(body: unknown, path: string): unknown {
  let cur: unknown = body;
  for (const part of pathParts(path)) {
    if (cur === null || typeof cur !== 'object' || !Object.prototype.hasOwnProperty.call(cur, part)) return undefined;
    cur = (cur as Record<string | number, unknown>)[part];
  }
  return cur;
}

/** Sets the value at a dot path, creating objects (and arrays for numeric parts) on the way. */
export function setPath(body: Record<string, unknown>, path: string, value: unknown): void {
  const parts = pathParts(path);
  let cur: Record<string | number, unknown> = body;
  parts.forEach((part, i) => {
    if (i === parts.length - 1) {
      cur[part] = value;
      return;
    }
    const next = cur[part];
    if (next === null || typeof next !== 'object') cur[part] = typeof parts[i + 1] === 'number' ? [] : {};
    cur = cur[part] as Record<string | number, unknown>;
  });
}

function jsonSource(p: DevicePoint): JsonSource {
  if (p.source.kind !== 'json') throw new Error(`point ${p.name} is not a JSON point`);
  return p.source;
}

/**
 * One JSON point from a reply body: numbers scaled (a numeric string counts as a number only for
 * integer-looking text, never hex), strings and booleans as sent; undefined when absent or of the
 * wrong type. Never throws on device data.
 */
export function decodeJsonPoint(body: unknown, p: DevicePoint): number | string | boolean | undefined {
  const raw = getPath(body, jsonSource(p).path);
  const t = p.valueType ?? 'number';
  if (t === 'string' || t === 'enum') return typeof raw === 'string' ? raw : typeof raw === 'number' && Number.isFinite(raw) ? raw : undefined;
  if (t === 'boolean') return typeof raw === 'boolean' ? raw : raw === 0 || raw === 1 ? raw === 1 : undefined;
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^-?\d+(\.\d+)?$/.test(raw.trim()) ? Number(raw) : NaN;
  if (!Number.isFinite(n)) return undefined;
  return scaleIn(p, n);
}

/** The device value of a JSON point for a value in our unit (a simulator's or a writer's side). */
export function encodeJsonValue(p: DevicePoint, value: number | string | boolean): number | string | boolean {
  if (typeof value !== 'number' || (p.valueType && p.valueType !== 'number' && p.valueType !== 'integer')) return value;
  const raw = scaleOut(p, value);
  return p.valueType === 'integer' || Number.isInteger(1 / (p.scale ?? 1)) ? Math.round(raw) : raw;
}

/** Decodes every JSON point of one endpoint from its reply body, by point name. */
export function decodeJson(points: readonly DevicePoint[], endpoint: string, body: unknown): Record<string, number | string | boolean> {
  const out: Record<string, number | string | boolean> = {};
  for (const p of points) {
    if (p.source.kind !== 'json' || p.source.endpoint !== endpoint) continue;
    const v = decodeJsonPoint(body, p);
    if (v !== undefined) out[p.name] = v;
  }
  return out;
}

/** Writes values (by point name) into a reply body through their points; an unknown name throws. */
export function encodeJson(points: readonly DevicePoint[], body: Record<string, unknown>, values: Readonly<Record<string, number | string | boolean | null>>): Record<string, unknown> {
  const byName = pointMap(points);
  for (const [name, value] of Object.entries(values)) {
    const p = byName.get(name);
    if (!p) throw new Error(`unknown point ${name}`);
    setPath(body, jsonSource(p).path, value === null ? null : encodeJsonValue(p, value));
  }
  return body;
}

/** The endpoints a set of JSON points reads from, in first-seen order. */
export function endpointsOf(points: readonly DevicePoint[]): string[] {
  return [...new Set(points.flatMap((p) => (p.source.kind === 'json' ? [p.source.endpoint] : [])))];
}

// ---------------------------------------------------------------------------------------------
// Help
// ---------------------------------------------------------------------------------------------

/** Where a point lives, for people: "register 0x0212 (FC 03, s16)", "GET /api/v1/power/status sessy.power", "OBIS 1-0:1.7.0". */
export function describeSource(p: DevicePoint): string {
  const s = p.source;
  switch (s.kind) {
    case 'register':
      return `register ${s.address} (0x${s.address.toString(16).padStart(4, '0')}, FC ${s.fc.toString(16).padStart(2, '0')}, ${s.type}${s.length ? `×${s.length}` : ''})`;
    case 'json':
      return `${s.endpoint} ${s.path}`;
    case 'obis':
      return `OBIS ${s.code}`;
  }
}

/**
 * The Markdown table of a descriptor's outputs (field, unit, meaning, source), as the build puts it
 * into each node's help: one row per output field, its source the points it comes from.
 */
export function outputsMarkdown(d: DeviceDescriptor): string {
  const byName = pointMap(d.points);
  const esc = (t: string): string => t.replace(/\|/g, '\\|');
  const rows = d.outputs.map((o) => {
    const src = o.from.length
      ? o.from
          .map((n) => {
            const p = byName.get(n);
            return p ? describeSource(p) : n;
          })
          .join('; ')
      : (o.note ?? 'set by the driver');
    return `| \`${esc(o.field)}\` | ${esc(o.unit || '–')} | ${esc(o.meaning)} | ${esc(src)} |`;
  });
  return ['| field | unit | meaning | source |', '|---|---|---|---|', ...rows].join('\n');
}

/**
 * Checks a descriptor against itself: unique point names, outputs that name existing points,
 * ranges with min ≤ max. Returns the problems (empty when sound); tests assert it is empty.
 */
export function checkDescriptor(d: DeviceDescriptor): string[] {
  const problems: string[] = [];
  const names = new Set<string>();
  for (const p of d.points) {
    if (names.has(p.name)) problems.push(`${d.name}: duplicate point ${p.name}`);
    names.add(p.name);
    if (p.range && !(p.range[0] <= p.range[1])) problems.push(`${d.name}: point ${p.name} has an empty range`);
    if (!p.src) problems.push(`${d.name}: point ${p.name} has no source document`);
  }
  for (const o of d.outputs) for (const n of o.from) if (!names.has(n)) problems.push(`${d.name}: output ${o.field} names unknown point ${n}`);
  return problems;
}
