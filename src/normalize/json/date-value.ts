// `dates` conversions. Parsing is by hand rather than Date.parse, whose non-ISO formats are
// engine-specific and accept junk like "1" or "May 2": RFC 3339 and IMF-fixdate (the common
// cases) by char codes, the rarer RFC 2822 variants by regexes compiled at module load.

import { ConversionFailure, type Conversion } from "./conversion.ts";
import type { DateFormat } from "./types.ts";

const NOT_DATE = new ConversionFailure("expected a date: RFC 3339 / ISO 8601 text, RFC 2822 / HTTP-date text, or epoch seconds or milliseconds");
const OUT_OF_RANGE = new ConversionFailure("date outside the years 0000 to 9999");

/** Numbers at least this large (in absolute value) are epoch milliseconds, smaller ones epoch seconds. */
const EPOCH_MS_FROM = 1e11;
const MIN_MS = -62_167_219_200_000; // 0000-01-01T00:00:00.000Z
const MAX_MS = 253_402_300_799_999; // 9999-12-31T23:59:59.999Z

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

/** Wed, 01 May 2024 12:30:00 GMT (IMF-fixdate), 1 May 2024 12:30 +0200; names in any case. */
const RFC2822 = /^(?:(?:mon|tue|wed|thu|fri|sat|sun)\s*,\s*)?(\d{1,2})\s+([a-z]{3})\s+(\d{2,4})\s+(\d{2}):(\d{2})(?::(\d{2}))?\s*([+-]\d{4}|[a-z]{1,3})$/i;
/** Wednesday, 01-May-24 12:30:00 GMT (obsolete HTTP-date). */
const RFC850 = /^(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday),\s*(\d{2})-([a-z]{3})-(\d{2})\s+(\d{2}):(\d{2}):(\d{2})\s+gmt$/i;
/** Wed May  1 12:30:00 2024 (asctime, obsolete HTTP-date; UTC). */
const ASCTIME = /^(?:mon|tue|wed|thu|fri|sat|sun)\s+([a-z]{3})\s+(\d{1,2})\s+(\d{2}):(\d{2}):(\d{2})\s+(\d{4})$/i;

const MONTH_NAMES = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const MONTHS: ReadonlyMap<string, number> = new Map(MONTH_NAMES.map((m, i) => [m, i + 1]));
const MONTH_CODES: ReadonlyMap<number, number> = new Map(MONTH_NAMES.map((m, i) => [packed(m, 0), i + 1]));
const WEEKDAYS: ReadonlySet<number> = new Set(["mon", "tue", "wed", "thu", "fri", "sat", "sun"].map((d) => packed(d, 0)));
/** RFC 2822 §4.3 zone names, in minutes east of UTC. */
const ZONES: ReadonlyMap<string, number> = new Map([
  ["gmt", 0], ["ut", 0], ["utc", 0], ["z", 0],
  ["est", -300], ["edt", -240], ["cst", -360], ["cdt", -300],
  ["mst", -420], ["mdt", -360], ["pst", -480], ["pdt", -420],
]);

export function dateConversion(format: DateFormat): Conversion {
  switch (format) {
    case "rfc3339":
      return toRfc3339;
    case "epoch-ms":
      return toEpochMs;
    case "epoch-s":
      return toEpochS;
  }
}

function toRfc3339(value: unknown): unknown {
  if (value === null) return null;
  const ms = epochMsOf(value);
  return typeof ms === "number" ? new Date(ms).toISOString() : ms;
}

function toEpochMs(value: unknown): unknown {
  return value === null ? null : epochMsOf(value);
}

function toEpochS(value: unknown): unknown {
  if (value === null) return null;
  const ms = epochMsOf(value);
  return typeof ms === "number" ? Math.floor(ms / 1000) : ms;
}

/** Whole epoch milliseconds (fractions floored), or the failure. */
export function epochMsOf(value: unknown): number | ConversionFailure {
  let ms: number | null;
  if (typeof value === "number") ms = Math.abs(value) >= EPOCH_MS_FROM ? value : value * 1000;
  else if (typeof value === "string") ms = parseDateText(value);
  else return NOT_DATE;
  if (ms === null || !Number.isFinite(ms)) return NOT_DATE;
  ms = Math.floor(ms);
  return ms < MIN_MS || ms > MAX_MS ? OUT_OF_RANGE : ms;
}

/** Epoch milliseconds of an RFC 3339 / ISO 8601, RFC 2822 or HTTP-date text, or null. */
export function parseDateText(text: string): number | null {
  const c = text.charCodeAt(0);
  if (c >= 48 && c <= 57 && text.charCodeAt(4) === 45) return isoMs(text);
  const fixed = imfFixdateMs(text);
  if (fixed !== undefined) return fixed;
  let m = RFC2822.exec(text);
  if (m !== null) {
    const offset = rfc2822OffsetMinutes(m[7]!);
    return offset === null ? null : utcMs(rfc2822Year(m[3]!), monthOf(m[2]!), +m[1]!, +m[4]!, +m[5]!, num(m[6]), 0, offset);
  }
  m = RFC850.exec(text);
  if (m !== null) return utcMs(rfc2822Year(m[3]!), monthOf(m[2]!), +m[1]!, +m[4]!, +m[5]!, +m[6]!, 0, 0);
  m = ASCTIME.exec(text);
  if (m !== null) return utcMs(+m[6]!, monthOf(m[1]!), +m[2]!, +m[3]!, +m[4]!, +m[5]!, 0, 0);
  return null;
}

/**
 * RFC 3339 and the ISO 8601 forms around it: 2024-05-01 (midnight UTC), 2024-05-01T12:30Z,
 * 2024-05-01 12:30:00.250+02:00, 2024-05-01T12:30:00 (no offset = UTC); offsets +02, +0200,
 * +02:00; "t", "z", and "," before the fraction accepted; fraction digits beyond ms dropped.
 */
function isoMs(s: string): number | null {
  const n = s.length;
  if (n < 10 || s.charCodeAt(7) !== 45) return null;
  const year = digits(s, 0, 4);
  const month = digits(s, 5, 2);
  const day = digits(s, 8, 2);
  if (year < 0 || month < 0 || day < 0) return null;
  if (n === 10) return utcMs(year, month, day, 0, 0, 0, 0, 0);
  const t = s.charCodeAt(10);
  if ((t !== 84 && t !== 116 && t !== 32) || s.charCodeAt(13) !== 58) return null; // T t space, ':'
  const hour = digits(s, 11, 2);
  const minute = digits(s, 14, 2);
  if (hour < 0 || minute < 0) return null;
  let i = 16;
  let second = 0;
  let ms = 0;
  if (s.charCodeAt(i) === 58) {
    second = digits(s, i + 1, 2);
    if (second < 0) return null;
    i += 3;
    const dot = s.charCodeAt(i);
    if (dot === 46 || dot === 44) {
      const start = ++i;
      for (; i < n && isDigit(s.charCodeAt(i)); i++) if (i - start < 3) ms = ms * 10 + s.charCodeAt(i) - 48;
      if (i === start) return null;
      for (let k = i - start; k < 3; k++) ms *= 10;
    }
  }
  let offset = 0;
  if (i < n) {
    const sign = s.charCodeAt(i);
    if (sign === 90 || sign === 122) {
      if (i + 1 !== n) return null; // Z z
    } else if (sign === 43 || sign === 45) {
      const hours = digits(s, i + 1, 2);
      const rest = n - i - 3;
      const minutes = rest === 0 ? 0 : rest === 2 ? digits(s, i + 3, 2) : rest === 3 && s.charCodeAt(i + 3) === 58 ? digits(s, i + 4, 2) : -1;
      if (hours < 0 || minutes < 0 || hours > 23 || minutes > 59) return null;
      offset = (sign === 45 ? -1 : 1) * (hours * 60 + minutes);
    } else return null;
  }
  return utcMs(year, month, day, hour, minute, second, ms, offset);
}

/** IMF-fixdate, the HTTP-date of today ("Wed, 01 May 2024 10:30:00 GMT"): undefined when the text does not have its exact shape (other parsers get a go). */
function imfFixdateMs(s: string): number | null | undefined {
  if (s.length !== 29 || s.charCodeAt(3) !== 44 || !s.endsWith(" GMT") || !WEEKDAYS.has(packed(s, 0))) return undefined;
  const month = MONTH_CODES.get(packed(s, 8)) ?? 0;
  if (s.charCodeAt(4) !== 32 || s.charCodeAt(7) !== 32 || s.charCodeAt(11) !== 32 || s.charCodeAt(16) !== 32 || s.charCodeAt(19) !== 58 || s.charCodeAt(22) !== 58) return undefined;
  const day = digits(s, 5, 2);
  const year = digits(s, 12, 4);
  const hour = digits(s, 17, 2);
  const minute = digits(s, 20, 2);
  const second = digits(s, 23, 2);
  if (month === 0 || day < 0 || year < 0 || hour < 0 || minute < 0 || second < 0) return undefined;
  return utcMs(year, month, day, hour, minute, second, 0, 0);
}

/** The value of `count` decimal digits at `at`, or -1. */
function digits(s: string, at: number, count: number): number {
  let value = 0;
  for (let i = at; i < at + count; i++) {
    const c = s.charCodeAt(i);
    if (!isDigit(c)) return -1;
    value = value * 10 + c - 48;
  }
  return value;
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

/** Three ASCII characters at `at`, lower-cased and packed into one number (a Map key without a substring); -1 past ASCII. */
function packed(s: string, at: number): number {
  const a = s.charCodeAt(at);
  const b = s.charCodeAt(at + 1);
  const c = s.charCodeAt(at + 2);
  if ((a | b | c) > 127) return -1;
  return ((a | 32) << 16) | ((b | 32) << 8) | (c | 32);
}

/** null when a field is out of range (month 13, 31 April, 24:00, offset +25:00...). Second 60 (a leap second) rolls into the next minute. */
function utcMs(year: number, month: number, day: number, hour: number, minute: number, second: number, ms: number, offsetMinutes: number): number | null {
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
  if (hour > 23 || minute > 59 || second > 60) return null;
  return daysFromCivil(year, month, day) * DAY_MS + ((hour * 60 + minute) * 60 + second) * 1000 + ms - offsetMinutes * MINUTE_MS;
}

function rfc2822OffsetMinutes(text: string): number | null {
  const c = text[0];
  if (c === "+" || c === "-") {
    const hours = +text.slice(1, 3);
    const minutes = +text.slice(3, 5);
    if (hours > 23 || minutes > 59) return null;
    return (c === "-" ? -1 : 1) * (hours * 60 + minutes);
  }
  return ZONES.get(text.toLowerCase()) ?? null;
}

/** RFC 2822 §4.3: two-digit years 00–49 are 20xx, 50–99 are 19xx; three-digit years add 1900. */
function rfc2822Year(text: string): number {
  const y = +text;
  if (text.length === 2) return y < 50 ? 2000 + y : 1900 + y;
  return text.length === 3 ? 1900 + y : y;
}

/** 0 (rejected by utcMs) for an unknown month name. */
function monthOf(name: string): number {
  return MONTHS.get(name.toLowerCase()) ?? 0;
}

function num(text: string | undefined): number {
  return text === undefined ? 0 : +text;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}
