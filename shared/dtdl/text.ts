// Words a model gives for people: display names and descriptions (a string or a localized map),
// and the symbols of DTDL's units.

/** A display name or description: the string, or English (any English), or the first language. */
export function label(d: unknown, fallback: string): string {
  if (typeof d === 'string') return d.slice(0, 512)
  if (typeof d !== 'object' || d === null || Array.isArray(d)) return fallback
  const map = d as Record<string, unknown>
  const key =
    ['en', 'en-US', 'en-GB'].find((k) => typeof map[k] === 'string') ??
    Object.keys(map).find((k) => /^en\b/i.test(k) && typeof map[k] === 'string') ??
    Object.keys(map).find((k) => typeof map[k] === 'string')
  return key ? (map[key] as string).slice(0, 512) : fallback
}

/** DTDL unit names (semantic types' `unit`) as people write them. */
const unitSymbols: Record<string, string> = {
  degreeCelsius: '°C',
  degreeFahrenheit: '°F',
  kelvin: 'K',
  percent: '%',
  unity: '',
  pascal: 'Pa',
  kilopascal: 'kPa',
  hectopascal: 'hPa',
  bar: 'bar',
  millibar: 'mbar',
  poundPerSquareInch: 'psi',
  volt: 'V',
  millivolt: 'mV',
  kilovolt: 'kV',
  ampere: 'A',
  milliampere: 'mA',
  watt: 'W',
  kilowatt: 'kW',
  megawatt: 'MW',
  kilowattHour: 'kWh',
  wattHour: 'Wh',
  metre: 'm',
  centimetre: 'cm',
  millimetre: 'mm',
  kilometre: 'km',
  foot: 'ft',
  mile: 'mi',
  metrePerSecond: 'm/s',
  kilometrePerHour: 'km/h',
  milePerHour: 'mph',
  metrePerSecondSquared: 'm/s²',
  gForce: 'g',
  second: 's',
  millisecond: 'ms',
  minute: 'min',
  hour: 'h',
  day: 'd',
  hertz: 'Hz',
  kilohertz: 'kHz',
  revolutionPerMinute: 'rpm',
  radianPerSecond: 'rad/s',
  degreePerSecond: '°/s',
  degreeOfArc: '°',
  radian: 'rad',
  lux: 'lx',
  decibel: 'dB',
  gram: 'g',
  kilogram: 'kg',
  litre: 'L',
  millilitre: 'mL',
  litrePerSecond: 'L/s',
  cubicMetre: 'm³',
  byte: 'B',
  kibibyte: 'KiB',
  mebibyte: 'MiB',
  gibibyte: 'GiB',
  bitPerSecond: 'bit/s',
  kilobitPerSecond: 'kbit/s',
  microgramPerCubicMetre: 'µg/m³',
  partsPerMillion: 'ppm',
  tesla: 'T',
  microtesla: 'µT',
  gauss: 'G',
}

/** The symbol for a DTDL unit; an unknown unit is shown by its name. */
export function unitSymbol(unit: string | undefined): string {
  if (!unit) return ''
  return unitSymbols[unit] ?? unit
}
