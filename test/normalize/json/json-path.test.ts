import { describe, expect, test } from "bun:test";
import { EACH, formatPath, isPathPrefix, parsePath } from "../../../src/normalize/json/json-path.ts";

describe("parsePath", () => {
  const good: [string, (string | null)[]][] = [
    ["email", ["email"]],
    ["user.email", ["user", "email"]],
    ["items[].created_at", ["items", EACH, "created_at"]],
    ["[].id", [EACH, "id"]],
    ["[]", [EACH]],
    ["tags[]", ["tags", EACH]],
    ["matrix[][]", ["matrix", EACH, EACH]],
    ["a[].b[].c", ["a", EACH, "b", EACH, "c"]],
    ["first name", ["first name"]],
    ["__proto__.x", ["__proto__", "x"]],
  ];
  for (const [text, steps] of good) {
    test(`"${text}"`, () => {
      expect(parsePath(text)).toEqual({ ok: true, steps });
      expect(formatPath(steps)).toBe(text);
    });
  }

  const bad: [string, string][] = [
    ["", "empty"],
    ["a..b", "two dots"],
    [".a", "starts or ends with a dot"],
    ["a.", "starts or ends with a dot"],
    ["items[", `"[" must be followed by "]"`],
    ["items[0]", `"[" must be followed by "]"`],
    ["a]", `"]" without "["`],
    ["a.[]", `write "a[]"`],
    ["a[]b", `must start a new segment`],
    ["a[]]", `must start a new segment`],
  ];
  for (const [text, why] of bad) {
    test(`rejects "${text}"`, () => {
      const r = parsePath(text);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.message).toContain(why);
    });
  }
});

test("isPathPrefix", () => {
  expect(isPathPrefix(["a"], ["a", "b"])).toBe(true);
  expect(isPathPrefix(["a", "b"], ["a", "b"])).toBe(true);
  expect(isPathPrefix(["a", EACH], ["a", "b"])).toBe(false);
  expect(isPathPrefix(["a", "b", "c"], ["a", "b"])).toBe(false);
});
