// The `format` values Keel checks. ajv has none built in and ajv-formats is not a dependency,
// so the common ones are here; any other format is a config error rather than silently ignored.

import { isIPv4, isIPv6 } from "node:net";

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIME = /^(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:z|[+-](\d{2}):(\d{2}))$/i;
const DAYS = [0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
// The simple forms ajv-formats uses in its "fast" mode.
const EMAIL = /^[a-z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i;
const HOSTNAME = /^(?=.{1,253}\.?$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[-0-9a-z]{0,61}[0-9a-z])?)*\.?$/i;
const UUID = /^(?:urn:uuid:)?[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}$/i;
const URI = /^[a-z][a-z0-9+\-.]*:[^\s]*$/i;

/** RFC 3339 full-date, with the month's real length (leap years included). */
function isDate(s: string): boolean {
  const m = DATE.exec(s);
  if (m === null) return false;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return month >= 1 && month <= 12 && day >= 1 && day <= (month === 2 && leap ? 29 : DAYS[month]!);
}

/** RFC 3339 full-time: the offset is required; second 60 allowed (leap seconds). */
function isTime(s: string): boolean {
  const m = TIME.exec(s);
  if (m === null) return false;
  const ok = (v: string | undefined, max: number) => v === undefined || Number(v) <= max;
  return ok(m[1], 23) && ok(m[2], 59) && ok(m[3], 60) && ok(m[4], 23) && ok(m[5], 59);
}

function isDateTime(s: string): boolean {
  const t = s.search(/[Tt ]/);
  return t === 10 && isDate(s.slice(0, t)) && isTime(s.slice(t + 1));
}

export const FORMATS: Readonly<Record<string, (s: string) => boolean>> = {
  date: isDate,
  time: isTime,
  "date-time": isDateTime,
  email: (s) => EMAIL.test(s),
  hostname: (s) => HOSTNAME.test(s),
  ipv4: (s) => isIPv4(s),
  ipv6: (s) => isIPv6(s),
  uri: (s) => URI.test(s),
  uuid: (s) => UUID.test(s),
};

export const FORMAT_NAMES: readonly string[] = Object.keys(FORMATS);
