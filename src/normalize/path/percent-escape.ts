// Reading "%XX" escapes, shared by the path and query normalisers: both refuse a "%" that is not
// followed by two hex digits, and both name the offence by its byte offset in the same words.

const HEX_DIGITS = "0123456789ABCDEF";

/** "%00" … "%FF", upper-case hex (RFC 3986 §6.2.2.1), built once. */
export const PERCENT_TEXT: readonly string[] = Array.from(
  { length: 256 },
  (_, b) => "%" + HEX_DIGITS[b >> 4] + HEX_DIGITS[b & 15],
);

/** Value of the hex digit with this char code, or -1 (NaN, past the end of a string, gives -1 too). */
export function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const lower = c | 0x20;
  if (lower >= 97 && lower <= 102) return lower - 87;
  return -1;
}

/** The byte written by the escape whose "%" is at s[i], or -1 when "%" is not followed by two hex digits. */
export function escapedByte(s: string, i: number): number {
  const hi = hexValue(s.charCodeAt(i + 1));
  const lo = hexValue(s.charCodeAt(i + 2));
  return hi < 0 || lo < 0 ? -1 : (hi << 4) | lo;
}

/** Index of the first malformed escape in s[start, end), or -1. */
export function findBadEscape(s: string, start: number, end: number): number {
  for (let i = s.indexOf("%", start); i !== -1 && i < end; i = s.indexOf("%", i + 1)) {
    if (i + 2 >= end || escapedByte(s, i) < 0) return i;
  }
  return -1;
}

/** 'invalid percent-encoding "%G1" at byte 5' for the "%" at s[i]. */
export function badEscapeDetail(s: string, i: number): string {
  return `invalid percent-encoding ${JSON.stringify(s.slice(i, i + 3))} at byte ${utf8Offset(s, i)}`;
}

/** UTF-8 byte offset of s[i]: what a client sees on the wire, even if the text holds non-ASCII. */
export function utf8Offset(s: string, i: number): number {
  let bytes = 0;
  for (let k = 0; k < i; k++) {
    const c = s.charCodeAt(k);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && k + 1 < i && isLowSurrogate(s.charCodeAt(k + 1))) {
      bytes += 4;
      k++;
    } else bytes += 3;
  }
  return bytes;
}

/** Appends the UTF-8 bytes of the code point starting at s[i]; returns how many UTF-16 units it used. */
export function pushUtf8(s: string, i: number, out: number[]): 1 | 2 {
  let cp = s.charCodeAt(i);
  let used: 1 | 2 = 1;
  if (cp >= 0xd800 && cp <= 0xdfff) {
    const next = s.charCodeAt(i + 1);
    if (cp <= 0xdbff && isLowSurrogate(next)) {
      cp = 0x10000 + ((cp - 0xd800) << 10) + (next - 0xdc00);
      used = 2;
    } else cp = 0xfffd; // a lone surrogate has no UTF-8 form: the replacement character, as TextEncoder does
  }
  if (cp < 0x80) out.push(cp);
  else if (cp < 0x800) out.push(0xc0 | (cp >> 6), 0x80 | (cp & 63));
  else if (cp < 0x10000) out.push(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63));
  else out.push(0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 63), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63));
  return used;
}

function isLowSurrogate(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}
