import { describe, expect, test } from "bun:test";
import { coercion } from "../../../src/normalize/json/coerce-value.ts";
import { ConversionFailure } from "../../../src/normalize/json/conversion.ts";
import type { CoerceKind } from "../../../src/normalize/json/types.ts";

const FAILS = Symbol("fails");

const table: Record<CoerceKind, [unknown, unknown][]> = {
  number: [
    ["42", 42],
    ["4.5", 4.5],
    ["-1e3", -1000],
    ["+7", 7],
    [".5", 0.5],
    ["5.", 5],
    [42, 42],
    [-0.25, -0.25],
    [null, null],
    ["", FAILS],
    [" 1", FAILS],
    ["1 ", FAILS],
    ["0x10", FAILS],
    ["Infinity", FAILS],
    ["NaN", FAILS],
    ["1e400", FAILS],
    ["abc", FAILS],
    [true, FAILS],
    [{}, FAILS],
    [[1], FAILS],
  ],
  integer: [
    ["42", 42],
    ["-7", -7],
    ["4.0", 4],
    ["1e3", 1000],
    [42, 42],
    [null, null],
    [4.5, FAILS],
    ["4.5", FAILS],
    ["9007199254740993", FAILS],
    [2 ** 60, FAILS],
    ["x", FAILS],
    [false, FAILS],
  ],
  boolean: [
    [true, true],
    [false, false],
    ["true", true],
    ["false", false],
    ["1", true],
    ["0", false],
    [1, true],
    [0, false],
    [null, null],
    ["yes", FAILS],
    ["TRUE", FAILS],
    [2, FAILS],
    ["", FAILS],
    [[], FAILS],
  ],
  string: [
    ["a", "a"],
    [42, "42"],
    [4.5, "4.5"],
    [1e21, "1e+21"],
    [-0, "0"],
    [true, "true"],
    [false, "false"],
    [null, null],
    [{}, FAILS],
    [["a"], FAILS],
  ],
};

for (const kind of Object.keys(table) as CoerceKind[]) {
  describe(`coerce ${kind}`, () => {
    const convert = coercion(kind);
    for (const [input, expected] of table[kind]) {
      test(`${JSON.stringify(input)} → ${expected === FAILS ? "failure" : JSON.stringify(expected)}`, () => {
        const out = convert(input);
        if (expected === FAILS) expect(out).toBeInstanceOf(ConversionFailure);
        else expect(out).toBe(expected);
      });
    }
  });
}
