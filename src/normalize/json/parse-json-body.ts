// Body bytes → JSON value, with the guards a gateway needs against hostile bodies. The checks run
// cheapest first and each one protects the next: the size cap bounds all later work, the depth
// scan (a plain loop over the bytes) refuses deep nesting before JSON.parse could recurse into it,
// and strict UTF-8 decoding refuses bytes JSON.parse would otherwise see as U+FFFD.

import type { JsonLimits, JsonParseResult } from "./types.ts";
import { BACKSLASH, CLOSE_BRACE, CLOSE_BRACKET, OPEN_BRACE, OPEN_BRACKET, QUOTE } from "./json-byte-codes.ts";

// fatal: invalid bytes are an error, not U+FFFD. A leading BOM is dropped (RFC 8259 §8.1 allows).
const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Bytes → value: size cap first, then a one-pass depth scan over the bytes (brackets outside strings; rejects before JSON.parse can recurse), then strict UTF-8 decoding (TextDecoder fatal), then JSON.parse. Never throws. */
export function parseJsonBody(bytes: Uint8Array, limits: JsonLimits): JsonParseResult {
  if (bytes.length > limits.maxBytes) {
    return { ok: false, reason: "too-large", message: `JSON body of ${bytes.length} bytes is over the ${limits.maxBytes}-byte limit` };
  }
  const tooDeepAt = firstTooDeep(bytes, limits.maxDepth);
  if (tooDeepAt !== -1) {
    return { ok: false, reason: "too-deep", message: `JSON body nests deeper than ${limits.maxDepth} levels (at byte ${tooDeepAt})` };
  }
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return { ok: false, reason: "not-utf8", message: "JSON body is not valid UTF-8" };
  }
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (e) {
    // With the depth scan in front, a RangeError (stack) can only come from an enormous maxDepth.
    if (e instanceof RangeError) return { ok: false, reason: "too-deep", message: "JSON body nests too deeply to parse" };
    return { ok: false, reason: "syntax", message: text.length === 0 ? "JSON body is empty" : `invalid JSON: ${e instanceof Error ? e.message : String(e)}` };
  }
}

/** Bytes the depth scan acts on: 1 opens a string, 2 opens a level, 3 closes one; 0 is skipped. */
const BYTE_CLASS = new Uint8Array(256);
BYTE_CLASS[QUOTE] = 1;
BYTE_CLASS[OPEN_BRACKET] = BYTE_CLASS[OPEN_BRACE] = 2;
BYTE_CLASS[CLOSE_BRACKET] = BYTE_CLASS[CLOSE_BRACE] = 3;

/**
 * Offset of the first "[" or "{" that opens level maxDepth + 1, or -1. Quotes and backslashes are
 * ASCII and never occur inside a multi-byte UTF-8 sequence, so scanning bytes is exact; malformed
 * JSON (unbalanced brackets) is left for JSON.parse to reject. A class table and a tight inner
 * loop for strings keep this near 1 ns per byte.
 */
function firstTooDeep(bytes: Uint8Array, maxDepth: number): number {
  const n = bytes.length;
  let depth = 0;
  for (let i = 0; i < n; i++) {
    const kind = BYTE_CLASS[bytes[i]!]!;
    if (kind === 0) continue;
    if (kind === 1) {
      for (i++; i < n; i++) {
        const b = bytes[i]!;
        if (b === QUOTE) break;
        if (b === BACKSLASH) i++; // the escaped byte cannot end the string
      }
    } else if (kind === 2) {
      if (++depth > maxDepth) return i;
    } else depth--;
  }
  return -1;
}
