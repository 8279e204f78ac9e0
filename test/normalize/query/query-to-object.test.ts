import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { queryToObject } from "../../../src/normalize/query/normalize-query.ts";

/** What URLSearchParams (WHATWG form decoding) makes of the same query, shaped the same way. */
function viaUrlSearchParams(query: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of new URLSearchParams(query)) {
    const prev = Object.hasOwn(out, name) ? out[name] : undefined;
    if (prev === undefined) Object.defineProperty(out, name, { value, writable: true, enumerable: true, configurable: true });
    else out[name] = typeof prev === "string" ? [prev, value] : [...prev, value];
  }
  return out;
}

describe("queryToObject", () => {
  test.each<[string, Record<string, string | string[]>]>([
    ["", {}],
    ["?", {}],
    ["?a=1&b=2", { a: "1", b: "2" }],
    ["a=1", { a: "1" }],
    ["?a=1&a=2&a=3", { a: ["1", "2", "3"] }],
    ["?a&b=", { a: "", b: "" }],
    ["?a=1&&b=2&", { a: "1", b: "2" }],
    ["?q=a+b%20c", { q: "a b c" }],
    ["?a%2Bb=%3D%26", { "a+b": "=&" }],
    ["?x=a=b", { x: "a=b" }],
    ["?%C3%A9=%E2%82%AC", { "é": "€" }],
    ["?bad=%zz%4&%=1", { bad: "%zz%4", "%": "1" }], // a malformed escape keeps its raw text
    ["?u=%FF", { u: "\ufffd" }], // invalid UTF-8 becomes U+FFFD, as in URLSearchParams
    ["?=v", { "": "v" }],
  ])("%p", (query, expected) => {
    expect(queryToObject(query)).toEqual(expected);
  });

  test('a parameter named "__proto__" is an own property, not the prototype', () => {
    const o = queryToObject("?__proto__=x&constructor=y&__proto__=z");
    expect(Object.getPrototypeOf(o)).toBe(Object.prototype);
    expect(Object.keys(o)).toEqual(["__proto__", "constructor"]);
    expect(Object.getOwnPropertyDescriptor(o, "__proto__")?.value).toEqual(["x", "z"]);
    expect(Object.getOwnPropertyDescriptor(o, "constructor")?.value).toBe("y");
  });

  test("agrees with URLSearchParams on any query", () => {
    const piece = fc.constantFrom("a", "b", "é", "=", "=", "&", "&", "+", "%", "%41", "%2", "%zz", "%C3", "%A9", "%FF", "%EF%BB%BF", "?", "😀", "\ud800");
    const query = fc.tuple(fc.boolean(), fc.array(piece, { maxLength: 20 })).map(([q, ps]) => (q ? "?" : "") + ps.join(""));
    fc.assert(
      fc.property(query, (q) => {
        expect(queryToObject(q)).toEqual(viaUrlSearchParams(q));
      }),
      { numRuns: 2000 },
    );
  });
});
