// RFC 8259 pieces of the byte pass as plain functions over (bytes, position): strict UTF-8
// sequences, escapes rewritten the way JSON.stringify writes their character, numbers and whether
// JSON.stringify(Number(text)) would give the same text back.

import { BACKSLASH, MINUS, QUOTE, ZERO } from "../json-byte-codes.ts";

const HEX = [0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66];

/** Length of the valid UTF-8 sequence at p (its lead byte ≥ 0x80), or 0 (as TextDecoder fatal refuses: overlong, surrogate, beyond U+10FFFF, cut). */
export function utf8Length(s: Uint8Array, n: number, p: number): number {
  const b = s[p]!;
  if (b >= 0xc2 && b <= 0xdf) return p + 1 < n && (s[p + 1]! & 0xc0) === 0x80 ? 2 : 0;
  if (b >= 0xe0 && b <= 0xef) {
    if (p + 2 >= n) return 0;
    const b1 = s[p + 1]!;
    const lo = b === 0xe0 ? 0xa0 : 0x80;
    const hi = b === 0xed ? 0x9f : 0xbf;
    return b1 >= lo && b1 <= hi && (s[p + 2]! & 0xc0) === 0x80 ? 3 : 0;
  }
  if (b >= 0xf0 && b <= 0xf4) {
    if (p + 3 >= n) return 0;
    const b1 = s[p + 1]!;
    const lo = b === 0xf0 ? 0x90 : 0x80;
    const hi = b === 0xf4 ? 0x8f : 0xbf;
    return b1 >= lo && b1 <= hi && (s[p + 2]! & 0xc0) === 0x80 && (s[p + 3]! & 0xc0) === 0x80 ? 4 : 0;
  }
  return 0;
}

/**
 * The escape at s[p] written at d[q] as JSON.stringify writes its character ("\/" → "/",
 * "\u00e9" → "é", a surrogate pair → its 4 UTF-8 bytes, a control character or lone surrogate →
 * "\u" + lower-case hex, or its short form); never longer than what it reads. Returns
 * (bytes written << 8) | bytes read, or -1 when it is not a JSON escape.
 */
export function escapeAt(s: Uint8Array, n: number, p: number, d: Uint8Array, q: number): number {
  if (p + 1 >= n) return -1;
  const e = s[p + 1]!;
  switch (e) {
    case QUOTE:
    case BACKSLASH:
    case 0x62: // b
    case 0x66: // f
    case 0x6e: // n
    case 0x72: // r
    case 0x74: // t
      d[q] = BACKSLASH;
      d[q + 1] = e;
      return (2 << 8) | 2;
    case 0x2f:
      d[q] = 0x2f;
      return (1 << 8) | 2;
    case 0x75: // u
      break;
    default:
      return -1;
  }
  const unit = hex4(s, n, p + 2);
  if (unit < 0) return -1;
  if (unit >= 0xd800 && unit <= 0xdbff) {
    const low = p + 11 < n && s[p + 6] === BACKSLASH && s[p + 7] === 0x75 ? hex4(s, n, p + 8) : -1;
    if (low >= 0xdc00 && low <= 0xdfff) {
      const cp = 0x10000 + ((unit - 0xd800) << 10) + (low - 0xdc00);
      d[q] = 0xf0 | (cp >> 18);
      d[q + 1] = 0x80 | ((cp >> 12) & 0x3f);
      d[q + 2] = 0x80 | ((cp >> 6) & 0x3f);
      d[q + 3] = 0x80 | (cp & 0x3f);
      return (4 << 8) | 12;
    }
    return (unitEscape(unit, d, q) << 8) | 6; // a lone surrogate stays escaped
  }
  if (unit >= 0xdc00 && unit <= 0xdfff) return (unitEscape(unit, d, q) << 8) | 6;
  if (unit < 0x20) {
    const short = unit === 8 ? 0x62 : unit === 9 ? 0x74 : unit === 10 ? 0x6e : unit === 12 ? 0x66 : unit === 13 ? 0x72 : 0;
    if (short === 0) return (unitEscape(unit, d, q) << 8) | 6;
    d[q] = BACKSLASH;
    d[q + 1] = short;
    return (2 << 8) | 6;
  }
  if (unit === QUOTE || unit === BACKSLASH) {
    d[q] = BACKSLASH;
    d[q + 1] = unit;
    return (2 << 8) | 6;
  }
  if (unit < 0x80) {
    d[q] = unit;
    return (1 << 8) | 6;
  }
  if (unit < 0x800) {
    d[q] = 0xc0 | (unit >> 6);
    d[q + 1] = 0x80 | (unit & 0x3f);
    return (2 << 8) | 6;
  }
  d[q] = 0xe0 | (unit >> 12);
  d[q + 1] = 0x80 | ((unit >> 6) & 0x3f);
  d[q + 2] = 0x80 | (unit & 0x3f);
  return (3 << 8) | 6;
}

function unitEscape(unit: number, d: Uint8Array, q: number): number {
  d[q] = BACKSLASH;
  d[q + 1] = 0x75;
  d[q + 2] = HEX[(unit >> 12) & 15]!;
  d[q + 3] = HEX[(unit >> 8) & 15]!;
  d[q + 4] = HEX[(unit >> 4) & 15]!;
  d[q + 5] = HEX[unit & 15]!;
  return 6;
}

function hex4(s: Uint8Array, n: number, p: number): number {
  if (p + 4 > n) return -1;
  let v = 0;
  for (let k = 0; k < 4; k++) {
    const c = s[p + k]!;
    const digit = c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 87 : c >= 0x41 && c <= 0x46 ? c - 55 : -1;
    if (digit < 0) return -1;
    v = (v << 4) | digit;
  }
  return v;
}

function isDigit(b: number | undefined): boolean {
  return b !== undefined && b >= 0x30 && b <= 0x39;
}

/** End of the RFC 8259 number starting at p (before `end`), or -1. */
export function numberEnd(s: Uint8Array, p: number, end: number): number {
  if (p < end && s[p] === MINUS) p++;
  if (p >= end) return -1;
  if (s[p] === ZERO) p++;
  else if (isDigit(s[p])) while (p < end && isDigit(s[p])) p++;
  else return -1;
  if (p < end && s[p] === 0x2e) {
    p++;
    if (p >= end || !isDigit(s[p])) return -1;
    while (p < end && isDigit(s[p])) p++;
  }
  if (p < end && (s[p] === 0x65 || s[p] === 0x45)) {
    p++;
    if (p < end && (s[p] === 0x2b || s[p] === MINUS)) p++;
    if (p >= end || !isDigit(s[p])) return -1;
    while (p < end && isDigit(s[p])) p++;
  }
  return p;
}

/**
 * Whether JSON.stringify(Number(text)) gives the number s[start, end) back as written: no
 * exponent, not "-0", at most 15 significant digits (so no shorter text names the same double),
 * no trailing zero after the point, and not below 1e-6 (where JavaScript writes an exponent).
 */
export function isCanonicalNumber(s: Uint8Array, start: number, end: number): boolean {
  let p = start;
  if (s[p] === MINUS) p++;
  let significant = 0;
  let leadingZeros = 0;
  const intZero = s[p] === ZERO;
  if (intZero) p++;
  else {
    while (p < end && isDigit(s[p])) {
      p++;
      significant++;
    }
  }
  if (p < end && s[p] === 0x2e) {
    p++;
    const fracStart = p;
    while (p < end && isDigit(s[p])) {
      if (significant === 0 && s[p] === ZERO) leadingZeros++;
      else significant++;
      p++;
    }
    if (s[p - 1] === ZERO) return false; // "1.50", "0.0"
    if (intZero && (leadingZeros > 5 || p - fracStart === leadingZeros)) return false;
  } else if (intZero) return p === end && s[start] !== MINUS; // "0" yes, "-0" no
  return p === end && significant <= 15;
}

/** Whether d[start, end) holds exactly the bytes of `name`. */
export function sameBytes(name: Uint8Array, d: Uint8Array, start: number, end: number): boolean {
  return name.length === end - start && sameRange(name, 0, d, start, name.length);
}

/** Whether a[aStart, aStart + length) and b[bStart, bStart + length) hold the same bytes. */
export function sameRange(a: Uint8Array, aStart: number, b: Uint8Array, bStart: number, length: number): boolean {
  for (let k = 0; k < length; k++) if (a[aStart + k] !== b[bStart + k]) return false;
  return true;
}
