// Body bytes → JSON value, with the guards a gateway needs against hostile bodies. The checks run
// cheapest first and each one protects the next: the size cap bounds all later work, the depth
// scan (a plain loop over the bytes) refuses deep nesting before JSON.parse could recurse into it,
// and strict UTF-8 decoding refuses bytes JSON.parse would otherwise see as U+FFFD.
//
// A number beyond double range (1e400, or 400 digits) is refused too: JSON.parse reads it as
// Infinity and JSON.stringify writes that as null, so a rewritten body would lose it without a
// word (RFC 8259 §6 lets a parser limit the range). The depth scan notes where one may be (an
// exponent, or over 300 bytes between two strings or brackets: an array of many numbers, or one
// huge number), and only then is the parsed value searched, for the first such number's pointer.

import type { JsonLimits, JsonParseResult } from "./types.ts";
import { BACKSLASH, CLOSE_BRACE, CLOSE_BRACKET, OPEN_BRACE, OPEN_BRACKET, QUOTE } from "./json-byte-codes.ts";
import { escapeToken } from "./json-pointer.ts";

// fatal: invalid bytes are an error, not U+FFFD. A leading BOM is dropped (RFC 8259 §8.1 allows).
const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Bytes → value: size cap first, then a one-pass depth scan over the bytes (brackets outside strings; rejects before JSON.parse can recurse), then strict UTF-8 decoding (TextDecoder fatal), then JSON.parse. Never throws. */
export function parseJsonBody(bytes: Uint8Array, limits: JsonLimits): JsonParseResult {
  if (bytes.length > limits.maxBytes) {
    return { ok: false, reason: "too-large", message: `JSON body of ${bytes.length} bytes is over the ${limits.maxBytes}-byte limit` };
  }
  const tooDeepAt = depthScan(bytes, limits.maxDepth);
  if (tooDeepAt >= 0) {
    return { ok: false, reason: "too-deep", message: `JSON body nests deeper than ${limits.maxDepth} levels (at byte ${tooDeepAt})` };
  }
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return { ok: false, reason: "not-utf8", message: "JSON body is not valid UTF-8" };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    // With the depth scan in front, a RangeError (stack) can only come from an enormous maxDepth.
    if (e instanceof RangeError) return { ok: false, reason: "too-deep", message: "JSON body nests too deeply to parse" };
    return { ok: false, reason: "syntax", message: text.length === 0 ? "JSON body is empty" : `invalid JSON: ${e instanceof Error ? e.message : String(e)}` };
  }
  if (tooDeepAt === MAY_OVERFLOW) {
    const at = overflowAt(value);
    if (at !== null) return { ok: false, reason: "number-range", message: `the number at ${at || "/"} is beyond the range of a double (it would be read as Infinity)` };
  }
  return { ok: true, value };
}

/** The JSON Pointer of the first number that is not finite in `value`, or null. */
function overflowAt(value: unknown): string | null {
  if (typeof value === "number") return Number.isFinite(value) ? null : "";
  if (typeof value !== "object" || value === null) return null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const at = overflowAt(value[i]);
      if (at !== null) return `/${i}${at}`;
    }
    return null;
  }
  for (const key in value) {
    const at = overflowAt((value as Record<string, unknown>)[key]);
    if (at !== null) return `/${escapeToken(key)}${at}`;
  }
  return null;
}

/**
 * Bytes the depth scan acts on: 1 opens a string, 2 opens a level, 3 closes one, 4 is an "e"
 * (outside strings: true, false, or a number's exponent); 0 is skipped.
 */
const BYTE_CLASS = new Uint8Array(256);
BYTE_CLASS[QUOTE] = 1;
BYTE_CLASS[OPEN_BRACKET] = BYTE_CLASS[OPEN_BRACE] = 2;
BYTE_CLASS[CLOSE_BRACKET] = BYTE_CLASS[CLOSE_BRACE] = 3;
BYTE_CLASS[0x65] = BYTE_CLASS[0x45] = 4;

/** depthScan's "not too deep, but a number may be beyond double range". */
const MAY_OVERFLOW = -2;
/** A number without exponent in a run of at most this many bytes has under 300 digits: finite. */
const SHORT_RUN = 300;

/**
 * Offset of the first "[" or "{" that opens level maxDepth + 1; else MAY_OVERFLOW when a number
 * may be beyond double range (an exponent, or more than SHORT_RUN bytes between two strings or
 * brackets), else -1. Quotes and backslashes are ASCII and never occur inside a
 * multi-byte UTF-8 sequence, so scanning bytes is exact; malformed JSON (unbalanced brackets) is
 * left for JSON.parse to reject. A class table and a tight inner loop for strings keep this near
 * 1 ns per byte.
 */
function depthScan(bytes: Uint8Array, maxDepth: number): number {
  const n = bytes.length;
  let depth = 0;
  let mayOverflow = false;
  let boundary = -1; // the last quote or bracket
  for (let i = 0; i < n; i++) {
    const kind = BYTE_CLASS[bytes[i]!]!;
    if (kind === 0) continue;
    if (i - boundary > SHORT_RUN && kind !== 4) mayOverflow = true;
    if (kind === 1) {
      for (i++; i < n; i++) {
        const b = bytes[i]!;
        if (b === QUOTE) break;
        if (b === BACKSLASH) i++; // the escaped byte cannot end the string
      }
    } else if (kind === 2) {
      if (++depth > maxDepth) return i;
    } else if (kind === 4) {
      const before = i > 0 ? bytes[i - 1]! : 0;
      if (before >= 0x30 && before <= 0x39) mayOverflow = true; // true and false have letters there
      continue;
    } else depth--;
    boundary = i;
  }
  if (n - boundary > SHORT_RUN) mayOverflow = true; // a scalar body ends at the end
  return mayOverflow ? MAY_OVERFLOW : -1;
}
