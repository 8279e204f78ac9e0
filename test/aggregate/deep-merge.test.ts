import { expect, test } from "bun:test";
import fc from "fast-check";
import { deepMerge } from "../../src/aggregate/deep-merge.ts";

const rows: [string, unknown, unknown, unknown][] = [
  ["disjoint objects", { a: 1 }, { b: 2 }, { a: 1, b: 2 }],
  ["later scalar wins", { a: 1 }, { a: 2 }, { a: 2 }],
  ["nested objects merge", { u: { name: "a", x: 1 } }, { u: { x: 2, y: 3 } }, { u: { name: "a", x: 2, y: 3 } }],
  ["arrays are replaced", { l: [1, 2, 3] }, { l: [9] }, { l: [9] }],
  ["object replaced by scalar", { a: { b: 1 } }, { a: null }, { a: null }],
  ["scalar replaced by object", { a: 1 }, { a: { b: 1 } }, { a: { b: 1 } }],
  ["top-level non-objects: later wins", [1], { a: 1 }, { a: 1 }],
  ["top-level scalar", { a: 1 }, 5, 5],
];
for (const [what, a, b, expected] of rows) {
  test(`deepMerge: ${what}`, () => {
    expect(deepMerge(a, b)).toEqual(expected);
  });
}

test("inputs are not mutated", () => {
  const a = { u: { x: 1 } };
  const b = { u: { y: 2 } };
  deepMerge(a, b);
  expect(a).toEqual({ u: { x: 1 } });
  expect(b).toEqual({ u: { y: 2 } });
});

test("__proto__ keys from JSON stay plain keys and pollute nothing", () => {
  const a = JSON.parse('{"__proto__": {"polluted": 1}, "n": {"__proto__": {"x": 1}}}');
  const b = JSON.parse('{"__proto__": {"more": 2}, "n": {"__proto__": {"y": 2}}}');
  const out = deepMerge(a, b) as Record<string, unknown>;
  expect(({} as Record<string, unknown>)["polluted"]).toBeUndefined();
  expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
  expect(JSON.stringify(out)).toBe('{"__proto__":{"polluted":1,"more":2},"n":{"__proto__":{"x":1,"y":2}}}');
});

test("a very deep or cyclic input does not throw", () => {
  const cyc: Record<string, unknown> = {};
  cyc["self"] = cyc;
  expect(() => deepMerge(cyc, cyc)).not.toThrow();
  let deep: Record<string, unknown> = {};
  for (let i = 0; i < 10_000; i++) deep = { d: deep };
  expect(() => deepMerge(deep, deep)).not.toThrow();
});

test("property: never throws; every key of b is in the result; b's non-object values win", () => {
  fc.assert(
    fc.property(fc.jsonValue(), fc.jsonValue(), (a, b) => {
      const out = deepMerge(a, b);
      if (typeof b !== "object" || b === null || Array.isArray(b) || typeof a !== "object" || a === null || Array.isArray(a)) {
        expect(out).toBe(b);
        return;
      }
      const o = out as Record<string, unknown>;
      for (const k of Object.keys(b)) {
        expect(Object.hasOwn(o, k)).toBe(true);
        const v = (b as Record<string, unknown>)[k];
        if (typeof v !== "object" || v === null || Array.isArray(v)) expect(o[k]).toEqual(v);
      }
      for (const k of Object.keys(a)) expect(Object.hasOwn(o, k)).toBe(true);
    }),
  );
});
