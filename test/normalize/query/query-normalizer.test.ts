import { describe, expect, test } from "bun:test";
import {
  compileQueryNormalizer,
  DEFAULT_QUERY_OPTIONS,
  QueryRejection,
  type QueryOptions,
  type QueryRejectionReason,
} from "../../../src/normalize/query/normalize-query.ts";

const run = (opts: Partial<QueryOptions>, query: string) => {
  const out = compileQueryNormalizer({ ...DEFAULT_QUERY_OPTIONS, ...opts })(query);
  return out instanceof QueryRejection ? { reason: out.reason, detail: out.detail } : out;
};

describe("query normaliser: empty pieces and bytes as written", () => {
  test.each([
    ["", ""],
    ["?", ""],
    ["?&", ""],
    ["?&&&", ""],
    ["?a=1", "?a=1"],
    ["?a=1&&b=2", "?a=1&b=2"],
    ["?&a=1&", "?a=1"],
    ["?a", "?a"], // no "=": a parameter named "a" without a value, kept as "a"
    ["?a=", "?a="],
    ["?=1", "?=1"],
    ["?q=a+b%20c%2fd&x=%E2%82%AC", "?q=a+b%20c%2fd&x=%E2%82%AC"], // values are never re-encoded
    ["?b=2&a=1&a=0", "?b=2&a=1&a=0"],
    ["a=1", "?a=1"], // a query without its "?" is given one
  ])("%p → %p", (input, expected) => {
    expect(run({}, input)).toBe(expected);
  });

  test.each([
    ["?a=%zz", 'invalid percent-encoding "%zz" at byte 3'],
    ["?a=%4", 'invalid percent-encoding "%4" at byte 3'],
    ["?a=1%&b", 'invalid percent-encoding "%&b" at byte 4'],
    ["?%g0=1", 'invalid percent-encoding "%g0" at byte 1'],
    ["?a=é%", 'invalid percent-encoding "%" at byte 5'],
  ])("%p → bad-percent-encoding", (input, detail) => {
    expect(run({}, input)).toEqual({ reason: "bad-percent-encoding", detail });
    expect(run({ sort: true, repeated: "reject" }, input)).toEqual({ reason: "bad-percent-encoding", detail });
  });
});

describe("query normaliser options", () => {
  test.each<[string, Partial<QueryOptions>, string, string | { reason: QueryRejectionReason; detail: string }]>([
    // sort: by decoded name, stable
    ["sort", { sort: true }, "?b=1&a=2&c=3", "?a=2&b=1&c=3"],
    ["sort is stable", { sort: true }, "?b=1&a=2&b=0&a=1", "?a=2&a=1&b=1&b=0"],
    ["sort by decoded name", { sort: true }, "?b=1&%61=2&a=3", "?%61=2&a=3&b=1"],
    ["sort is by code unit, upper-case first", { sort: true }, "?a=1&B=2&_=3", "?B=2&_=3&a=1"],
    ["sorted already", { sort: true }, "?a&b&c", "?a&b&c"],
    ["sort off", { sort: false }, "?b=1&a=2", "?b=1&a=2"],
    // drop: exact, case-sensitive, after decoding the name
    ["drop", { drop: ["utm_source", "utm_medium"] }, "?id=1&utm_source=x&utm_medium=y", "?id=1"],
    ["drop every occurrence", { drop: ["a"] }, "?a=1&b=2&a=3", "?b=2"],
    ["drop is case-sensitive", { drop: ["a"] }, "?A=1&a=2", "?A=1"],
    ["drop a decoded name", { drop: ["a b"] }, "?a%20b=1&a+b=2&c=3", "?c=3"],
    ["drop an escaped name", { drop: ["x"] }, "?%78=1&y=2", "?y=2"],
    ["drop everything", { drop: ["a"] }, "?a=1&a", ""],
    // allow
    ["allow", { allow: ["id", "page"] }, "?id=1&debug=1&page=2", "?id=1&page=2"],
    ["allow nothing", { allow: [] }, "?a=1&b=2", ""],
    ["allow a decoded name", { allow: ["é"] }, "?%C3%A9=1&e=2", "?%C3%A9=1"],
    ["allow and drop", { allow: ["a", "b"], drop: ["b"] }, "?a=1&b=2&c=3", "?a=1"],
    // repeated
    ["repeated keep", { repeated: "keep" }, "?a=1&b=2&a=3", "?a=1&b=2&a=3"],
    ["repeated first", { repeated: "first" }, "?a=1&b=2&a=3&b=4", "?a=1&b=2"],
    ["repeated last", { repeated: "last" }, "?a=1&b=2&a=3&b=4&c", "?a=3&b=4&c"],
    ["repeated last keeps the last one's place", { repeated: "last" }, "?a=1&b=2&a=3", "?b=2&a=3"],
    ["repeated names compare decoded", { repeated: "first" }, "?a=1&%61=2", "?a=1"],
    ["repeated reject", { repeated: "reject" }, "?a=1&b=2&a=3", { reason: "repeated-parameter", detail: 'parameter "a" appears more than once' }],
    ["repeated reject, decoded", { repeated: "reject" }, "?a+b=1&a%20b=2", { reason: "repeated-parameter", detail: 'parameter "a b" appears more than once' }],
    ["repeated reject, no repeat", { repeated: "reject" }, "?a=1&b=2", "?a=1&b=2"],
    ["repeated reject after drop", { repeated: "reject", drop: ["a"] }, "?a=1&a=2&b", "?b"],
    ["repeated reject after allow", { repeated: "reject", allow: ["b"] }, "?a=1&a=2&b", "?b"],
    // combinations
    ["sort + last", { sort: true, repeated: "last" }, "?b=1&a=2&b=3&a=4", "?a=4&b=3"],
    ["sort + first + drop", { sort: true, repeated: "first", drop: ["utm"] }, "?z=1&utm=2&y=3&z=4", "?y=3&z=1"],
    ["everything", { sort: true, repeated: "first", drop: ["x"], allow: ["a", "b", "x"] }, "?&b=2&&x=1&c=3&a=1&b=9&", "?a=1&b=2"],
  ])("%s: %p %p → %p", (_name, opts, input, expected) => {
    const out = run(opts, input);
    if (typeof expected === "string") expect(out).toBe(expected);
    else expect(out).toEqual(expected);
  });

  test("a compiled normaliser keeps the options it was compiled with", () => {
    const drop = ["a"];
    const n = compileQueryNormalizer({ ...DEFAULT_QUERY_OPTIONS, drop });
    drop.push("b");
    expect(n("?a=1&b=2")).toBe("?b=2");
  });

  test("the defaults change nothing but empty pieces", () => {
    expect(DEFAULT_QUERY_OPTIONS).toEqual({ sort: false, drop: [], allow: null, repeated: "keep" });
  });
});
