// Properties of the query normaliser over queries rich in separators, escapes and repeated names,
// under random option sets.

import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { compileQueryNormalizer, QueryRejection, type QueryOptions } from "../../../src/normalize/query/normalize-query.ts";

const names = ["a", "b", "A", "a b", "é", ""];
const options: fc.Arbitrary<QueryOptions> = fc.record({
  sort: fc.boolean(),
  drop: fc.subarray(names),
  allow: fc.option(fc.subarray(names), { nil: null }),
  repeated: fc.constantFrom("keep", "first", "last", "reject"),
});

// Malformed escapes are rare, so most queries get past the escape check to the options.
const piece = fc.oneof(
  { arbitrary: fc.constantFrom("a", "b", "A", "=", "=", "1", "&", "&", "+", "%20", "%61", "%C3%A9", "é"), weight: 30 },
  { arbitrary: fc.constantFrom("%", "%4", "%zz"), weight: 1 },
);
const query = fc.tuple(fc.nat(9), fc.array(piece, { maxLength: 16 })).map(([r, ps]) => (r === 0 ? "" : "?") + ps.join(""));

/** The non-empty pieces between "&"s, with their counts. */
function pieces(q: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const p of (q.startsWith("?") ? q.slice(1) : q).split("&")) if (p !== "") counts.set(p, (counts.get(p) ?? 0) + 1);
  return counts;
}

describe("query normaliser properties", () => {
  test("never throws; idempotent; the output's parameters are a sub-multiset of the input's", () => {
    fc.assert(
      fc.property(options, query, (opts, q) => {
        const normalize = compileQueryNormalizer(opts);
        const once = normalize(q);
        if (once instanceof QueryRejection) return;
        expect(once === "" || (once.startsWith("?") && once.length > 1)).toBe(true);
        expect(normalize(once)).toBe(once);
        const input = pieces(q);
        for (const [p, count] of pieces(once)) expect(count).toBeLessThanOrEqual(input.get(p) ?? 0);
      }),
      { numRuns: 3000 },
    );
  });
});
