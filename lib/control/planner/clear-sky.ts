/**
 * A clear-sky PV forecast from the panel groups and the location: what the panels would give under
 * a cloudless sky. It knows nothing about clouds, haze or snow, so it is an upper bound on a real
 * day, not a weather forecast.
 *
 * 1. Sun position: the NOAA Global Monitoring Laboratory's "General Solar Position Calculations"
 *    as implemented in its Solar Calculator spreadsheets, which use the low-accuracy solar
 *    coordinates of J. Meeus, "Astronomical Algorithms" (2nd ed., 1998), ch. 25 (apparent
 *    longitude, obliquity with the nutation term, declination) and ch. 28 (equation of time,
 *    eq. 28.3), the hour angle from the true solar time, and the spreadsheet's piecewise
 *    atmospheric refraction. Good to about 0.01° for 1800–2100 (ΔT ignored).
 * 2. Clear-sky beam irradiance: A. B. Meinel and M. P. Meinel, "Applied Solar Energy" (1976):
 *    DNI = 1353 W/m² × 0.7^(AM^0.678), with the air mass AM of F. Kasten and A. T. Young,
 *    "Revised optical air mass tables and approximation formula", Applied Optics 28 (1989) 4735;
 *    diffuse horizontal irradiance taken as 10 % of DNI (the clear-sky rule of thumb that comes with
 *    that formula, global ≈ 1.1 × direct, e.g. in PVEducation's "Air Mass" page).
 * 3. Transposition to each panel plane: the isotropic sky model of B. Y. H. Liu and R. C. Jordan,
 *    "The long-term average performance of flat-plate solar-energy collectors", Solar Energy 7
 *    (1963) 53: beam × cos(angle of incidence) + diffuse × (1 + cos tilt) / 2 + global × albedo ×
 *    (1 − cos tilt) / 2.
 * 4. DC → AC: count × panel Wp × plane irradiance / 1000 W/m² × (1 − system loss). The loss factor
 *    covers inverter, wiring, temperature and soiling (PVWatts' default is 14 %).
 *
 * Pure: the instant is passed in. Angles in degrees at the interface; azimuth clockwise from north
 * (90 = east, 180 = south, 270 = west); longitude + east.
 */

export interface SunPosition {
  /** Apparent elevation above the horizon (refraction included), degrees. */
  elevationDeg: number;
  /** Degrees clockwise from north. */
  azimuthDeg: number;
  /** Solar declination, degrees. */
  declinationDeg: number;
  /** Equation of time (apparent − mean solar time), minutes. */
  equationOfTimeMin: number;
}

const RAD = Math.PI / 180;
const sin = (d: number) => Math.sin(d * RAD);
const cos = (d: number) => Math.cos(d * RAD);
const tan = (d: number) => Math.tan(d * RAD);
const deg = (r: number) => r / RAD;
const mod = (x: number, m: number) => ((x % m) + m) % m;

/** Atmospheric refraction (degrees) at true elevation e, as in the NOAA spreadsheet. */
export function refractionDeg(e: number): number {
  let arcsec: number;
  if (e > 85) arcsec = 0;
  else if (e > 5) arcsec = 58.1 / tan(e) - 0.07 / tan(e) ** 3 + 0.000086 / tan(e) ** 5;
  else if (e > -0.575) arcsec = 1735 + e * (-518.2 + e * (103.4 + e * (-12.79 + e * 0.711)));
  else arcsec = -20.772 / tan(e);
  return arcsec / 3600;
}

/** The sun's position at instant t (ms, UTC) seen from latitude / longitude (degrees, + north / + east). */
export function sunPosition(t: number, latDeg: number, lonDeg: number): SunPosition {
  const jd = t / 86_400_000 + 2_440_587.5;
  const T = (jd - 2_451_545) / 36_525; // Julian centuries since J2000.0
  const L0 = mod(280.46646 + T * (36000.76983 + T * 0.0003032), 360); // geometric mean longitude
  const M = 357.52911 + T * (35999.05029 - 0.0001537 * T); // mean anomaly
  const e = 0.016708634 - T * (0.000042037 + 0.0000001267 * T); // orbit eccentricity
  const C = sin(M) * (1.914602 - T * (0.004817 + 0.000014 * T)) + sin(2 * M) * (0.019993 - 0.000101 * T) + sin(3 * M) * 0.000289; // equation of centre
  const omega = 125.04 - 1934.136 * T;
  const lambda = L0 + C - 0.00569 - 0.00478 * sin(omega); // apparent longitude
  const eps0 = 23 + (26 + (21.448 - T * (46.815 + T * (0.00059 - T * 0.001813))) / 60) / 60; // mean obliquity
  const eps = eps0 + 0.00256 * cos(omega); // corrected for the apparent position
  const decl = deg(Math.asin(sin(eps) * sin(lambda)));
  const y = tan(eps / 2) ** 2;
  const eot = 4 * deg(y * sin(2 * L0) - 2 * e * sin(M) + 4 * e * y * sin(M) * cos(2 * L0) - 0.5 * y * y * sin(4 * L0) - 1.25 * e * e * sin(2 * M));
  const minutesUtc = mod(t, 86_400_000) / 60_000;
  const trueSolarMin = mod(minutesUtc + eot + 4 * lonDeg, 1440);
  const hourAngle = trueSolarMin / 4 - 180;
  const cosZ = Math.min(1, Math.max(-1, sin(latDeg) * sin(decl) + cos(latDeg) * cos(decl) * cos(hourAngle)));
  const zenith = deg(Math.acos(cosZ));
  const elevation = 90 - zenith;
  // azimuth from the zenith angle (the spreadsheet's form), clockwise from north
  const den = cos(latDeg) * sin(zenith);
  let azimuth: number;
  if (Math.abs(den) < 1e-12) azimuth = latDeg > 0 ? 180 : 0;
  else {
    const a = deg(Math.acos(Math.min(1, Math.max(-1, (sin(latDeg) * cosZ - sin(decl)) / den))));
    azimuth = hourAngle > 0 ? mod(a + 180, 360) : mod(540 - a, 360);
  }
  return { elevationDeg: elevation + refractionDeg(elevation), azimuthDeg: azimuth, declinationDeg: decl, equationOfTimeMin: eot };
}

/** Relative optical air mass at apparent zenith angle z (degrees): Kasten & Young (1989); Infinity at or below the horizon. */
export function airMass(zenithDeg: number): number {
  if (zenithDeg >= 90) return Infinity;
  return 1 / (cos(zenithDeg) + 0.50572 * (96.07995 - zenithDeg) ** -1.6364);
}

export interface Irradiance {
  /** Direct normal, W/m². */
  dni: number;
  /** Diffuse horizontal, W/m². */
  dhi: number;
  /** Global horizontal, W/m². */
  ghi: number;
}

/** Clear-sky irradiance at a sun elevation (degrees): Meinel & Meinel beam, diffuse 10 % of it. */
export function clearSkyIrradiance(elevationDeg: number): Irradiance {
  if (!(elevationDeg > 0)) return { dni: 0, dhi: 0, ghi: 0 };
  const dni = 1353 * 0.7 ** (airMass(90 - elevationDeg) ** 0.678);
  const dhi = 0.1 * dni;
  return { dni, dhi, ghi: dni * sin(elevationDeg) + dhi };
}

/** Irradiance on a plane of `tiltDeg` facing `azimuthDeg` (clockwise from north): isotropic sky (Liu & Jordan 1963). */
export function planeIrradiance(sun: Pick<SunPosition, 'elevationDeg' | 'azimuthDeg'>, irr: Irradiance, tiltDeg: number, azimuthDeg: number, albedo = 0.2): number {
  if (irr.ghi <= 0) return 0;
  const z = 90 - sun.elevationDeg;
  const cosAoi = cos(z) * cos(tiltDeg) + sin(z) * sin(tiltDeg) * cos(sun.azimuthDeg - azimuthDeg);
  const beam = irr.dni * Math.max(0, cosAoi);
  const sky = (irr.dhi * (1 + cos(tiltDeg))) / 2;
  const ground = (irr.ghi * albedo * (1 - cos(tiltDeg))) / 2;
  return beam + sky + ground;
}

/** One group of identical panels on one plane. */
export interface PanelGroup {
  count: number;
  /** Peak power of one panel (W at 1000 W/m²). */
  panelWp: number;
  /** Degrees clockwise from north: 90 east, 180 south, 270 west. */
  azimuth: number;
  /** Degrees from horizontal: 0 flat, 90 a wall. */
  tilt: number;
}

export interface PvSite {
  latitude: number;
  longitude: number;
  groups: PanelGroup[];
  /** Fraction lost between the panels' DC rating and the AC output, 0–1 (default 0.14). */
  systemLoss?: number;
  /** Ground reflectance (default 0.2). */
  albedo?: number;
}

/** Clear-sky AC power (W) of all groups at instant t. */
export function clearSkyPowerW(site: PvSite, t: number): number {
  const sun = sunPosition(t, site.latitude, site.longitude);
  if (sun.elevationDeg <= 0) return 0;
  const irr = clearSkyIrradiance(sun.elevationDeg);
  let w = 0;
  for (const g of site.groups) w += (g.count * g.panelWp * planeIrradiance(sun, irr, g.tilt, g.azimuth, site.albedo ?? 0.2)) / 1000;
  return w * (1 - (site.systemLoss ?? 0.14));
}

/** Samples per slot for its average (at the middles of equal parts). */
const SAMPLES = 3;

/** The clear-sky forecast as slots of `slotMs` from `from` (floored to the slot) to `to`: the average power of each slot (W). */
export function clearSkyForecast(site: PvSite, from: number, to: number, slotMs = 15 * 60_000): Array<{ start: number; end: number; w: number }> {
  const out: Array<{ start: number; end: number; w: number }> = [];
  for (let s = Math.floor(from / slotMs) * slotMs; s < to; s += slotMs) {
    let sum = 0;
    for (let k = 0; k < SAMPLES; k++) sum += clearSkyPowerW(site, s + ((k + 0.5) * slotMs) / SAMPLES);
    out.push({ start: s, end: s + slotMs, w: Math.round(sum / SAMPLES) });
  }
  return out;
}
