// The JSON rules in one pass over the bytes: the body is checked (RFC 8259, strict UTF-8, depth)
// and copied into a scratch buffer as it is read, and the rules act on the copy as they meet
// their places: a key is matched and re-cased in place, an omitted field is read and dropped, a
// converted value is rewritten, a missing default is appended when its object closes. Nothing is
// built as objects, so a body costs about one read and one write of its bytes.
//
// The output is exactly what the tree path writes (JSON.stringify of the transformed value):
// whitespace goes, strings and numbers are written in JSON.stringify's form. Whatever the pass
// does not do, it hands back (null) and the caller runs the tree path, which also words every
// error: invalid JSON, too deep, a number beyond double range, a failed conversion, a duplicate
// key or two keys with one output name (the tree path resolves those by position), an array-index
// key (Object.keys would move it first), a converted value that is an object or array, an object
// of more than MAX_KEYS keys.
//
// Why one loop with an explicit stack: in JavaScriptCore a byte loop over locals runs ~3× faster
// than one over module or object state (bench/PROFILE.md, the byte path), so the pass keeps its
// positions in locals and calls out only for rare work (escapes, numbers to rewrite, conversions).
// Synchronous and not re-entrant: one body at a time.

import { ConversionFailure } from "../conversion.ts";
import { epochMsOf } from "../date-value.ts";
import { keyConverter } from "../key-case.ts";
import type { KeyCase } from "../types.ts";
import { snakeCaseAscii } from "./ascii-key-case.ts";
import { ConversionKind, type BytePlan, type DefaultPlace, type FieldRule, type RulePlace, type ValueConversion } from "./byte-plan.ts";
import { escapeAt, isCanonicalNumber, numberEnd, sameBytes, sameRange, utf8Length } from "./json-bytes.ts";
import { BACKSLASH, CLOSE_BRACE, CLOSE_BRACKET, COLON, COMMA, MINUS, OPEN_BRACE, OPEN_BRACKET, QUOTE } from "../json-byte-codes.ts";

/** Keys of one object the duplicate check compares (pairwise); larger objects take the tree path. */
const MAX_KEYS = 64;
/** The scratch buffer is kept between bodies up to this size. */
const KEEP_SCRATCH_BYTES = 256 * 1024;
/** Bodies this large go the tree path (positions, and outputs up to twice the body, stay int32). */
const MAX_BODY_BYTES = 1 << 30;
const MAX_DEPTH = 1000;

// What the loop expects next: a value, a key (at its opening quote), what follows a value.
const VALUE = 0;
const KEY = 1;
const AFTER = 2;

const OBJECT = 1;
const ARRAY = 2;

const utf8 = new TextDecoder("utf-8", { fatal: true });
const encoder = new TextEncoder();

let out: Uint8Array = new Uint8Array(16 * 1024);
// The pass's small int state in one buffer, so a body touches a few cache lines of it, not a
// page per array: `moved` (where a rare-work call leaves the read and write positions: int32
// slots keep the loop's positions int32 to the JIT), then the frames of the containers around
// the innermost one (which the loop keeps in locals), FRAME ints each, interleaved by depth.
const FRAME = 6; // kind, count, present bits, names base, omit-from, seen bits
const state32 = new Int32Array(4 + (MAX_DEPTH + 2) * FRAME);
const moved = state32.subarray(0, 3);
const frames = state32.subarray(4);
const framePlace: (RulePlace | null)[] = new Array(MAX_DEPTH + 2).fill(null);
const frameDef: (DefaultPlace | null)[] = new Array(MAX_DEPTH + 2).fill(null);
/** Where the output names of the open objects start in the output, and their lengths, in pairs (each object's from its frame's base). */
let names: Int32Array = new Int32Array(512);

/** The transformed body, or null for "use the tree path". */
export function runBytePass(plan: BytePlan, s: Uint8Array, maxBytes: number, maxDepth: number): Uint8Array | null {
  const n = s.length;
  if (n > maxBytes || n >= MAX_BODY_BYTES) return null;
  // (The frames keep references into the last body's plan: at most one plan, replaced by the next body.)
  const result = pass(plan, s, n, Math.min(maxDepth, MAX_DEPTH));
  if (out.length > KEEP_SCRATCH_BYTES) out = new Uint8Array(16 * 1024);
  return result;
}

function pass(plan: BytePlan, s: Uint8Array, n: number, maxDepth: number): Uint8Array | null {
  if (out.length < n * 2 + 64) out = new Uint8Array(n * 2 + 64);
  let d = out;
  let ns = names;
  const keys = plan.keys;
  const camel = keys === "camelCase";
  let p = n >= 3 && s[0] === 0xef && s[1] === 0xbb && s[2] === 0xbf ? 3 : 0; // a BOM: TextDecoder drops it
  let q = 0;
  let top = 0;
  let state = VALUE;
  // The places of the value about to be read.
  let place: RulePlace | null = plan.rules;
  let def: DefaultPlace | null = plan.defaults;
  // The innermost open container, in locals (the frames below it on the frame stack).
  let depth = 0;
  let fKind = 0;
  let fCount = 0;
  let fPresent = 0;
  let fBase = 0;
  let fOmitFrom = -1;
  let fSeen = 0; // a bit per output name's fingerprint: a name whose bit is clear is new, unchecked
  let fPlace: RulePlace | null = null;
  let fDef: DefaultPlace | null = null;
  let memberStart = 0;
  // A conversion of the value being read: applied to its bytes once they are written (from convertAt).
  let conversion: ValueConversion | null = null;
  let convertAt = 0;

  for (;;) {
    if (state === KEY) {
      // p at a key's opening quote; what the member will be starts at memberStart.
      if (fCount > 0) d[q++] = COMMA;
      d[q++] = QUOTE;
      const keyStart = q;
      // Copied, camel-cased on the way when asked.
      const rawStart = p + 1;
      q = copyKey(s, n, rawStart, d, q, camel);
      if (q < 0) return null;
      let rawEnd = moved[0]!;
      const plain = moved[1] === 0;
      if (!plain) {
        // Escapes or non-ASCII text: its canonical bytes first, re-cased below through key-case.ts.
        q = copyString(s, n, rawStart, d, keyStart);
        if (q < 0) return null;
        rawEnd = moved[0]!;
      }
      p = rawEnd + 1;
      let c = p < n ? s[p]! : 0;
      while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = ++p < n ? s[p]! : 0;
      if (c !== COLON) return null;
      p++;
      d = withRoom(d, q, 64 + 2 * (q - keyStart) + (n - p) + 16);
      // Rules name fields as the sender wrote them: a plain key is its source bytes.
      let field: FieldRule | null = null;
      if (fPlace !== null && ((fPlace.nameLengths >>> ((plain ? rawEnd - rawStart : q - keyStart) & 31)) & 1) !== 0) {
        const fields: FieldRule[] = fPlace.fields;
        for (let f = 0; f < fields.length; f++) {
          if (plain ? sameBytes(fields[f]!.name, s, rawStart, rawEnd) : sameBytes(fields[f]!.name, d, keyStart, q)) {
            field = fields[f]!;
            break;
          }
        }
      }
      if (field !== null && field.omit) {
        fOmitFrom = memberStart;
        place = null;
        def = null;
        state = VALUE;
        continue;
      }
      if (field !== null && field.renameTo !== null) {
        const name = field.renameTo;
        q = keyStart;
        d = withRoom(d, q, name.length + (n - p) + 16);
        for (let k = 0; k < name.length; k++) d[q++] = name[k]!;
      } else if (!plain) {
        if (keys !== null) {
          q = recaseText(keys, d, keyStart, q);
          if (q < 0) return null;
          d = out;
        }
      } else if (keys === "snake_case") {
        q = snakeCaseAscii(d, keyStart, q);
      }
      if (isArrayIndex(d, keyStart, q)) return null;
      // The output name must be new in its object: compared with the names before it (lengths first).
      if (top - fBase >= MAX_KEYS * 2) return null;
      const keyLength = q - keyStart;
      const seen = 1 << ((keyLength * 7 + d[q - 1]! * 3 + d[q - 1 - (keyLength >> 1)]!) & 31); // last and middle bytes (the quote when empty)
      if ((fSeen & seen) !== 0) {
        for (let k = fBase; k < top; k += 2) if (ns[k + 1] === keyLength && sameRange(d, ns[k]!, d, keyStart, keyLength)) return null;
      }
      fSeen |= seen;
      if (top === ns.length) ns = names = growNames(ns);
      ns[top] = keyStart;
      ns[top + 1] = keyLength;
      top += 2;
      if (fDef !== null) {
        if (((fDef.fillLengths >>> ((q - keyStart) & 31)) & 1) !== 0) fPresent |= fillBit(fDef, d, keyStart, q);
        def = defaultBelow(fDef, d, keyStart, q);
      } else def = null;
      d[q++] = QUOTE;
      d[q++] = COLON;
      fCount++;
      place = field === null ? null : field.place;
      state = VALUE;
      // On to the value without a trip round the loop (as a scalar value goes on to AFTER below).
    }

    if (state === VALUE) {
      let b = p < n ? s[p]! : 0;
      while (b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09) b = ++p < n ? s[p]! : 0;
      state = AFTER;
      if (place !== null && place.conversion !== null) {
        // Copied as any value below, converted in AFTER; an object or array: the tree path decides.
        if (b === OPEN_BRACE || b === OPEN_BRACKET) return null;
        conversion = place.conversion;
        convertAt = q;
      }
      if (b === QUOTE) {
        d[q++] = QUOTE;
        q = copyString(s, n, p + 1, d, q);
        if (q < 0) return null;
        p = moved[0]! + 1;
        d[q++] = QUOTE;
      } else if (b === OPEN_BRACE || b === OPEN_BRACKET) {
        if (depth >= maxDepth) return null;
        // Push: the container we are in goes to the frame stack.
        const at = depth * FRAME;
        frames[at] = fKind;
        frames[at + 1] = fCount;
        frames[at + 2] = fPresent;
        frames[at + 3] = fBase;
        frames[at + 4] = fOmitFrom;
        frames[at + 5] = fSeen;
        framePlace[depth] = fPlace;
        frameDef[depth] = fDef;
        depth++;
        fKind = b === OPEN_BRACE ? OBJECT : ARRAY;
        fCount = 0;
        fPresent = 0;
        fBase = top;
        fOmitFrom = -1;
        fSeen = 0;
        fPlace = place;
        fDef = def;
        p++;
        d[q++] = b;
        let c = p < n ? s[p]! : 0;
        while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = ++p < n ? s[p]! : 0;
        if (c === (b === OPEN_BRACE ? CLOSE_BRACE : CLOSE_BRACKET)) continue; // empty: AFTER closes it
        if (b === OPEN_BRACKET) {
          place = place === null ? null : place.each;
          def = def === null ? null : def.each;
          state = VALUE;
        } else {
          if (c !== QUOTE) return null;
          memberStart = q;
          state = KEY;
        }
        continue;
      } else if (b === MINUS || (b >= 0x30 && b <= 0x39)) {
        // The common case in one loop: an integer of 1 to 15 digits, no leading zero, not "-0".
        let k = b === MINUS ? p + 1 : p;
        const digits = k;
        let c = k < n ? s[k]! : 0;
        while (c >= 0x30 && c <= 0x39) c = ++k < n ? s[k]! : 0;
        const count = k - digits;
        if (count > 0 && count <= 15 && c !== 0x2e && c !== 0x65 && c !== 0x45 && (s[digits] !== 0x30 || (count === 1 && b !== MINUS))) {
          while (p < k) d[q++] = s[p++]!;
        } else {
          const end = numberEnd(s, p, n);
          if (end < 0) return null;
          if (isCanonicalNumber(s, p, end)) {
            while (p < end) d[q++] = s[p++]!;
          } else {
            d = withRoom(d, q, 32 + (n - p) + 16);
            q = writeNumber(s, p, end, d, q);
            if (q < 0) return null; // beyond double range: the tree path refuses it
            p = end;
          }
        }
      } else {
        // true, false, null
        const len = b === 0x74 ? 4 : b === 0x66 ? 5 : b === 0x6e ? 4 : 0;
        if (len === 0 || p + len > n || !isLiteral(s, p, b)) return null;
        for (let k = 0; k < len; k++) d[q++] = s[p++]!;
      }
      // A scalar: on to AFTER at once.
    }

    // AFTER: a value ended (or a container just opened empty); what comes next in its container.
    if (conversion !== null) {
      // Rare work through module state, then back into locals.
      q = convertWritten(conversion, d, convertAt, q, n - p + 16);
      if (q < 0) return null;
      d = out;
      conversion = null;
    }
    if (depth === 0) {
      while (p < n && (s[p] === 0x20 || s[p] === 0x0a || s[p] === 0x0d || s[p] === 0x09)) p++;
      if (p !== n) return null;
      return d.slice(0, q);
    }
    let b = p < n ? s[p]! : 0;
    while (b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09) b = ++p < n ? s[p]! : 0;
    p++;
    if (fKind === ARRAY) {
      if (b === COMMA) {
        d[q++] = COMMA;
        place = fPlace === null ? null : fPlace.each;
        def = fDef === null ? null : fDef.each;
        state = VALUE;
        continue;
      }
      if (b !== CLOSE_BRACKET) return null;
      d[q++] = CLOSE_BRACKET;
    } else {
      // The member just read is dropped when omitted ("{}" comes here at once, with nothing to drop).
      if (fOmitFrom >= 0) {
        q = fOmitFrom;
        fOmitFrom = -1;
      }
      if (b === COMMA) {
        let c = p < n ? s[p]! : 0;
        while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = ++p < n ? s[p]! : 0;
        if (c !== QUOTE) return null;
        memberStart = q;
        state = KEY;
        continue;
      }
      if (b !== CLOSE_BRACE) return null;
      top = fBase;
      if (fDef !== null && fDef.fills.length > 0) {
        d = withRoom(d, q, fDef.fillBytes + (n - p) + 16);
        q = writeDefaults(fDef, fPresent, fCount, d, q);
      }
      d[q++] = CLOSE_BRACE;
    }
    // Pop: back to the container around.
    depth--;
    const at = depth * FRAME;
    fKind = frames[at]!;
    fCount = frames[at + 1]!;
    fPresent = frames[at + 2]!;
    fBase = frames[at + 3]!;
    fOmitFrom = frames[at + 4]!;
    fSeen = frames[at + 5]!;
    fPlace = framePlace[depth]!;
    fDef = frameDef[depth]!;
  }
}

/**
 * Copies a string's content from p (after its opening quote) to d at q, in JSON.stringify's form:
 * raw bytes checked as strict UTF-8 (the tree path decodes with TextDecoder fatal), escapes
 * rewritten (never longer than read). Returns the new q with p (at the closing quote) in
 * `moved[0]` and 1 in `moved[1]` when it held an escape or non-ASCII text, or -1. Its own small function: JavaScriptCore compiles this loop tighter alone.
 */
function copyString(s: Uint8Array, n: number, p: number, d: Uint8Array, q: number): number {
  let special = 0;
  for (;;) {
    // The plain run, in a loop of its own (no calls in it: it compiles tight).
    let b = 0;
    while (p < n) {
      b = s[p]!;
      if (b < 0x20 || b >= 0x80 || b === QUOTE || b === BACKSLASH) break;
      d[q++] = b;
      p++;
    }
    if (p >= n) return -1;
    if (b === QUOTE) break;
    special = 1;
    if (b === BACKSLASH) {
      const step = escapeAt(s, n, p, d, q);
      if (step < 0) return -1;
      p += step & 0xff;
      q += step >> 8;
    } else {
      const len = b < 0x20 ? 0 : utf8Length(s, n, p);
      if (len === 0) return -1;
      for (let k = 0; k < len; k++) d[q++] = s[p++]!;
    }
  }
  moved[0] = p;
  moved[1] = special;
  return q;
}

/**
 * Copies a key from p (after its opening quote) to d at q, camel-cased on the way when `camel`
 * (the ASCII form of toCamelCase: "_" and "-" runs inside the key dropped and the next letter
 * upper-cased; leading and trailing runs kept). Returns the new q with moved[0] = p at the
 * closing quote and moved[1] = 1 when the key holds an escape or non-ASCII text (what was written
 * is then not the key: the caller copies it again); -1 at the end of input.
 */
function copyKey(s: Uint8Array, n: number, p: number, d: Uint8Array, q: number, camel: boolean): number {
  let pending = 0; // separators after the first other character, not yet written
  let inner = false;
  for (;;) {
    if (p >= n) return -1;
    let b = s[p]!;
    if (b === QUOTE) break;
    if (b < 0x20 || b >= 0x80 || b === BACKSLASH) {
      moved[0] = p;
      moved[1] = 1;
      return q;
    }
    p++;
    if (camel && (b === 0x5f || b === MINUS) && inner) {
      pending++;
      continue;
    }
    if (pending > 0) {
      pending = 0;
      if (b >= 0x61 && b <= 0x7a) b -= 32;
    }
    if (b !== 0x5f && b !== MINUS) inner = true;
    d[q++] = b;
  }
  for (let k = p - pending; k < p; k++) d[q++] = s[k]!; // trailing separators stay
  moved[0] = p;
  moved[1] = 0;
  return q;
}

function isLiteral(s: Uint8Array, p: number, b: number): boolean {
  if (b === 0x74) return s[p + 1] === 0x72 && s[p + 2] === 0x75 && s[p + 3] === 0x65;
  if (b === 0x66) return s[p + 1] === 0x61 && s[p + 2] === 0x6c && s[p + 3] === 0x73 && s[p + 4] === 0x65;
  return s[p + 1] === 0x75 && s[p + 2] === 0x6c && s[p + 3] === 0x6c;
}

/** "0", "7", "4294967294": names Object.keys lists first, in numeric order. */
function isArrayIndex(d: Uint8Array, start: number, end: number): boolean {
  const len = end - start;
  if (len === 0 || len > 10 || d[start]! < 0x30 || d[start]! > 0x39 || (len > 1 && d[start] === 0x30)) return false;
  let v = 0;
  for (let k = start; k < end; k++) {
    const c = d[k]!;
    if (c < 0x30 || c > 0x39) return false;
    v = v * 10 + (c - 0x30);
  }
  return v < 4294967295;
}

/** The bit of the default named d[start, end) (so it is not added), or 0. */
function fillBit(def: DefaultPlace, d: Uint8Array, start: number, end: number): number {
  const fills = def.fills;
  for (let f = 0; f < fills.length; f++) if (sameBytes(fills[f]!.name, d, start, end)) return 1 << f;
  return 0;
}

function defaultBelow(def: DefaultPlace, d: Uint8Array, start: number, end: number): DefaultPlace | null {
  if (((def.fieldLengths >>> ((end - start) & 31)) & 1) === 0) return null;
  const fields = def.fields;
  for (let f = 0; f < fields.length; f++) if (sameBytes(fields[f]!.name, d, start, end)) return fields[f]!.place;
  return null;
}

/** Appends the defaults the object lacks (`present` bits set for those it has); returns the new end. */
function writeDefaults(def: DefaultPlace, present: number, count: number, d: Uint8Array, q: number): number {
  const fills = def.fills;
  for (let f = 0; f < fills.length; f++) {
    if ((present & (1 << f)) !== 0) continue;
    if (count++ > 0) d[q++] = COMMA;
    const member = fills[f]!.member;
    d.set(member, q);
    q += member.length;
  }
  return q;
}

/** `d`, or when it has fewer than `more` bytes after q, a bigger scratch buffer holding its first q bytes (and made the module's). */
function withRoom(d: Uint8Array, q: number, more: number): Uint8Array {
  if (q + more <= d.length) return d;
  const bigger = new Uint8Array(Math.max(q + more, d.length * 2));
  bigger.set(d.subarray(0, q));
  out = bigger;
  return bigger;
}

function growNames(ns: Int32Array): Int32Array {
  const bigger = new Int32Array(ns.length * 2);
  bigger.set(ns);
  return bigger;
}

/** A number as JSON.stringify writes it; returns the new end, or -1 for one beyond double range (1e400: the tree path refuses it). */
function writeNumber(s: Uint8Array, p: number, end: number, d: Uint8Array, q: number): number {
  let text = "";
  for (let k = p; k < end; k++) text += String.fromCharCode(s[k]!);
  const value = Number(text);
  if (!Number.isFinite(value)) return -1;
  const json = JSON.stringify(value);
  for (let k = 0; k < json.length; k++) d[q++] = json.charCodeAt(k);
  return q;
}

/** The JSON value written at d[start, end), or undefined (it was written by this pass: a safeguard). */
function jsonAt(d: Uint8Array, start: number, end: number): unknown {
  try {
    return JSON.parse(utf8.decode(d.subarray(start, end)));
  } catch {
    return undefined;
  }
}

/** Writes text at d[q..] (room for 3 bytes per UTF-16 unit made first); returns the new end. May replace `out`. */
function writeText(d: Uint8Array, q: number, text: string, rest: number): number {
  d = withRoom(d, q, text.length * 3 + rest);
  return q + encoder.encodeInto(text, d.subarray(q)).written;
}

/** A key with escapes or non-ASCII text, re-cased through key-case.ts; returns the new end or -1. May replace `out`. */
function recaseText(keys: KeyCase, d: Uint8Array, start: number, q: number): number {
  d[q] = QUOTE; // closes the key for reading; the caller writes it again
  const key = jsonAt(d, start - 1, q + 1);
  if (typeof key !== "string") return -1;
  const text = JSON.stringify(keyConverter(keys)(key));
  return writeText(d, start, text.slice(1, -1), 64);
}

/**
 * Converts the scalar just written at d[start, end): cheap cases in bytes, the rest through the
 * rule's function. Returns the new end (the buffer in `out`), or -1: to the tree path.
 */
function convertWritten(conv: ValueConversion, d: Uint8Array, start: number, end: number, rest: number): number {
  const b = d[start]!;
  switch (conv.kind) {
    case ConversionKind.Lowercase:
      if (b !== QUOTE || lowercaseAscii(d, start, end)) return end; // non-strings stay
      break;
    case ConversionKind.Number:
      if (b !== QUOTE && b !== 0x74 && b !== 0x66) return end; // null and numbers stay
      if (b === QUOTE) {
        const converted = numberInText(d, start, end);
        if (converted >= 0) return converted;
      }
      break;
    case ConversionKind.Boolean:
      if (b === 0x74 || b === 0x66 || b === 0x6e) return end; // true, false, null stay
      if (b === QUOTE) {
        const converted = booleanInText(d, start, end);
        if (converted >= 0) return converted;
      }
      break;
    case ConversionKind.Rfc3339: {
      if (b === 0x6e) return end; // null stays
      const ms = epochMsOf(valueAt(d, start, end));
      if (typeof ms !== "number") return -1;
      return writeIsoDate(withRoom(d, start, ISO_DATE_BYTES + rest), start, ms);
    }
  }
  // The general case: the value as JavaScript, converted, written back.
  const value = valueAt(d, start, end);
  if (value === undefined) return -1;
  const result = conv.convert(value);
  if (result instanceof ConversionFailure) return -1;
  return writeValue(d, start, result, rest);
}

/** The scalar written at d[start, end) as JavaScript: plain text and short integers without JSON.parse. */
function valueAt(d: Uint8Array, start: number, end: number): unknown {
  const b = d[start]!;
  if (b === QUOTE) {
    for (let k = start + 1; k < end - 1; k++) if (d[k]! >= 0x80 || d[k] === BACKSLASH) return jsonAt(d, start, end);
    return utf8.decode(d.subarray(start + 1, end - 1));
  }
  if (b === 0x74) return true;
  if (b === 0x66) return false;
  if (b === 0x6e) return null;
  if (end - start <= 15 && b !== MINUS) {
    let v = 0;
    for (let k = start; k < end; k++) {
      const c = d[k]!;
      if (c < 0x30 || c > 0x39) return jsonAt(d, start, end);
      v = v * 10 + (c - 0x30);
    }
    return v;
  }
  return jsonAt(d, start, end);
}

/** A converted value written at d[q..] as JSON.stringify writes it; returns the new end. May replace `out`. */
function writeValue(d: Uint8Array, q: number, value: unknown, rest: number): number {
  const json = typeof value === "string" ? plainText(value) : null;
  if (json === null) return writeText(d, q, JSON.stringify(value), rest);
  d = withRoom(d, q, json.length + 2 + rest);
  d[q++] = QUOTE;
  for (let k = 0; k < json.length; k++) d[q++] = json.charCodeAt(k);
  d[q++] = QUOTE;
  return q;
}

/** The text when JSON.stringify would write it as is between quotes in ASCII (no escapes), else null. */
function plainText(text: string): string | null {
  for (let k = 0; k < text.length; k++) {
    const c = text.charCodeAt(k);
    if (c < 0x20 || c >= 0x80 || c === QUOTE || c === BACKSLASH) return null;
  }
  return text;
}

/** Lower-cases the ASCII string at d[start, end) in place; false when it holds other text (then the rule's function does it: lower-casing the ASCII part first changes nothing there). */
function lowercaseAscii(d: Uint8Array, start: number, end: number): boolean {
  // Escapes are written with lower-case letters only, so A–Z here is text.
  for (let k = start; k < end; k++) {
    const c = d[k]!;
    if (c >= 0x80) return false;
    if (c >= 0x41 && c <= 0x5a) d[k] = c + 32;
  }
  return true;
}

/** A string at d[start, end) holding a number in its canonical form becomes that number; the new end, or -1. */
function numberInText(d: Uint8Array, start: number, end: number): number {
  const last = end - 1;
  if (numberEnd(d, start + 1, last) !== last || !isCanonicalNumber(d, start + 1, last)) return -1;
  for (let k = start + 1; k < last; k++) d[k - 1] = d[k]!;
  return last - 1;
}

const TRUE_TEXT = [QUOTE, 0x74, 0x72, 0x75, 0x65, QUOTE];
const FALSE_TEXT = [QUOTE, 0x66, 0x61, 0x6c, 0x73, 0x65, QUOTE];

/** The strings "true" and "false" at d[start, end) become the boolean; the new end, or -1. */
function booleanInText(d: Uint8Array, start: number, end: number): number {
  const word = end - start === 6 ? TRUE_TEXT : end - start === 7 ? FALSE_TEXT : null;
  if (word === null) return -1;
  for (let k = 0; k < word.length; k++) if (d[start + k] !== word[k]) return -1;
  for (let k = start + 1; k < end - 1; k++) d[k - 1] = d[k]!;
  return end - 2;
}

/** A quoted "YYYY-MM-DDTHH:MM:SS.mmmZ". */
const ISO_DATE_BYTES = 26;

/**
 * "YYYY-MM-DDTHH:MM:SS.mmmZ" of whole epoch milliseconds in years 0000–9999 (what epochMsOf
 * lets through), quoted, as Date.prototype.toISOString writes it; returns the new end. Days to
 * a civil date by H. Hinnant's days_from_civil inverse, in integers: no Date, no string.
 */
function writeIsoDate(d: Uint8Array, q: number, ms: number): number {
  const days = Math.floor(ms / 86_400_000);
  // Int32 from here on; all non-negative but z (January and February of year 0), so `| 0` divides.
  let rest = ms - days * 86_400_000;
  const z = days + 719_468;
  const era = ((z >= 0 ? z : z - 146_096) / 146_097) | 0;
  const doe = z - era * 146_097;
  const yoe = ((doe - ((doe / 1460) | 0) + ((doe / 36_524) | 0) - ((doe / 146_096) | 0)) / 365) | 0;
  const doy = doe - (365 * yoe + ((yoe / 4) | 0) - ((yoe / 100) | 0));
  const mp = ((5 * doy + 2) / 153) | 0;
  const day = doy - (((153 * mp + 2) / 5) | 0) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  const hour = (rest / 3_600_000) | 0;
  rest -= hour * 3_600_000;
  const minute = (rest / 60_000) | 0;
  rest -= minute * 60_000;
  const second = (rest / 1000) | 0;
  const milli = rest - second * 1000;
  d[q++] = QUOTE;
  const century = (year * 5243) >>> 19; // year / 100 for years below 43,699: no division
  q = twoDigits(d, q, century);
  q = twoDigits(d, q, year - century * 100);
  d[q++] = 0x2d;
  q = twoDigits(d, q, month);
  d[q++] = 0x2d;
  q = twoDigits(d, q, day);
  d[q++] = 0x54; // T
  q = twoDigits(d, q, hour);
  d[q++] = COLON;
  q = twoDigits(d, q, minute);
  d[q++] = COLON;
  q = twoDigits(d, q, second);
  d[q++] = 0x2e;
  const hundreds = (milli * 41) >>> 12; // milli / 100 for 0–999
  d[q++] = 0x30 + hundreds;
  q = twoDigits(d, q, milli - hundreds * 100);
  d[q++] = 0x5a; // Z
  d[q++] = QUOTE;
  return q;
}

/** 0–99 in two decimal digits; tens by multiply and shift (exact below 179), not an integer division. */
function twoDigits(d: Uint8Array, q: number, value: number): number {
  const tens = (value * 103) >>> 10;
  d[q] = 0x30 + tens;
  d[q + 1] = 0x30 + value - tens * 10;
  return q + 2;
}
