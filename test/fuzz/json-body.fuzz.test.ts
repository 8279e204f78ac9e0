// The request-body JSON guards against hostile bodies, beyond the "never throws, agrees with
// JSON.parse" property of test/normalize/json/parse-json-body.test.ts: the byte-level depth scan
// agrees with the real nesting whatever the strings hold (brackets, quotes, backslashes, escapes)
// and however the text is laid out; invalid UTF-8 anywhere in a string is refused as such; and
// duplicate keys follow the documented policy (the last one wins, also for "__proto__").

import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { parseJsonBody } from "../../src/normalize/json/parse-json-body.ts";
import { fuzzParams } from "./fuzz-runs.ts";

const encoder = new TextEncoder();
const BIG = 1 << 24;

/** Strings made to fool a byte scanner: brackets, quotes and backslashes, escaped or not. */
const trickyString = fc.oneof(
  fc.string({ maxLength: 8 }),
  fc.array(fc.constantFrom("[", "]", "{", "}", '"', "\\", "\\\\", '\\"', "a", "é", "\u2028", "\0"), { maxLength: 10 }).map((cs) => cs.join("")),
);
const { value } = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: "small", maxDepth: 10 }, trickyString, fc.integer(), fc.boolean(), fc.constant(null), tie("array"), tie("object")),
  array: fc.array(tie("value"), { maxLength: 3 }),
  object: fc.array(fc.tuple(trickyString, tie("value")), { maxLength: 3 }).map((es) => {
    const o: Record<string, unknown> = {};
    for (const [k, v] of es) Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
    return o;
  }),
}));

/** Nesting as parseJsonBody counts it: "[]" and "{}" are 1, a scalar 0. */
function depthOf(v: unknown): number {
  if (typeof v !== "object" || v === null) return 0;
  const children = Array.isArray(v) ? v : Object.values(v);
  return 1 + children.reduce<number>((m, c) => Math.max(m, depthOf(c)), 0);
}

/** Sequences no UTF-8 decoder may accept (RFC 3629). */
const INVALID_UTF8: readonly number[][] = [
  [0x80], [0xbf], [0xc0, 0xae], [0xc1, 0xbf], [0xe0, 0x80, 0xae], [0xed, 0xa0, 0x80], [0xed, 0xbf, 0xbf],
  [0xf0, 0x80, 0x80, 0xae], [0xf4, 0x90, 0x80, 0x80], [0xf5, 0x80, 0x80, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xfe], [0xff],
  [0xe2, 0x82], [0xc3], [0xf0, 0x9f, 0x98],
];

describe("JSON body guards", () => {
  test("the depth scan agrees with the real nesting, whatever the strings hold and however laid out", () => {
    fc.assert(
      fc.property(value, fc.nat(12), fc.constantFrom(0, 1, "\t"), (v, maxDepth, indent) => {
        const bytes = encoder.encode(JSON.stringify(v, null, indent));
        const r = parseJsonBody(bytes, { maxBytes: BIG, maxDepth });
        if (depthOf(v) <= maxDepth) {
          expect(r.ok).toBe(true);
          if (r.ok) expect(r.value).toEqual(v);
        } else expect(r.ok ? "ok" : r.reason).toBe("too-deep");
      }),
      fuzzParams(1000),
    );
  });

  test("invalid UTF-8 inside any string of a valid body is refused as not-utf8", () => {
    fc.assert(
      fc.property(value, fc.constantFrom(...INVALID_UTF8), fc.string({ maxLength: 4 }), fc.nat(), (v, bad, before, where) => {
        // The bad bytes go into a string: a member's value, an array element or a key.
        const marked = `${before}\u0001MARK\u0001`;
        const text = JSON.stringify(where % 3 === 0 ? { v, s: marked } : where % 3 === 1 ? [v, marked] : { [marked]: v });
        const cut = text.indexOf("\\u0001MARK\\u0001");
        const head = encoder.encode(text.slice(0, cut));
        const tail = encoder.encode(text.slice(cut + "\\u0001MARK\\u0001".length));
        const bytes = new Uint8Array([...head, ...bad, ...tail]);
        const r = parseJsonBody(bytes, { maxBytes: BIG, maxDepth: 64 });
        expect(r.ok ? "ok" : r.reason).toBe("not-utf8");
      }),
      fuzzParams(1000),
    );
  });

  test("duplicate keys: accepted, and the last one wins (also for __proto__, as an own key)", () => {
    const key = fc.constantFrom("a", "b", "__proto__", "constructor", "é", "");
    fc.assert(
      fc.property(fc.array(fc.tuple(key, fc.jsonValue({ maxDepth: 2 })), { minLength: 1, maxLength: 8 }), (entries) => {
        const text = "{" + entries.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(",") + "}";
        const r = parseJsonBody(encoder.encode(text), { maxBytes: BIG, maxDepth: 64 });
        expect(r.ok).toBe(true);
        if (!r.ok) return;
        const obj = r.value as Record<string, unknown>;
        expect(Object.getPrototypeOf(obj)).toBe(Object.prototype);
        const last = new Map<string, unknown>();
        for (const [k, v] of entries) last.set(k, v);
        expect(Object.keys(obj).sort()).toEqual([...last.keys()].sort());
        for (const [k, v] of last) {
          expect(Object.prototype.hasOwnProperty.call(obj, k)).toBe(true);
          expect(Object.getOwnPropertyDescriptor(obj, k)!.value).toEqual(JSON.parse(JSON.stringify(v)));
        }
      }),
      fuzzParams(500),
    );
  });
});
