import { describe, expect, test } from "bun:test";
import { checkJsonRules, type JsonRulesConfig } from "../../../src/normalize/json/compile-json-rules.ts";
import { EXAMPLE_JSON_RULES } from "../../../src/normalize/json/example-rules.ts";

describe("configs that pass", () => {
  const fine: [string, JsonRulesConfig][] = [
    ["empty", {}],
    [
      "the example",
      EXAMPLE_JSON_RULES,
    ],
    ["a rename to a bare name inside arrays", { rename: { "a[].b[].c": "d" } }],
    ["a rename to itself", { rename: { ID: "ID" }, keys: "snake_case" }],
    ["a swap", { rename: { a: "b", b: "a" } }],
    ["the same new name in different objects", { rename: { "a.x": "y", "b.x": "y" } }],
    ["omit + default on the same field (replace)", { omit: ["token"], defaults: { token: "***" } }],
    ["omit + default on the same field after re-casing", { omit: ["auth_token"], keys: "camelCase", defaults: { authToken: "***" } }],
    ["element paths for conversions", { lowercase: ["tags[]"], coerce: { "m[][]": "number" }, dates: { "[]": "epoch-s" } }],
    ["the same field listed twice in one list", { lowercase: ["a", "a"] }],
    ["one field in lowercase, another in coerce", { lowercase: ["a"], coerce: { b: "number" } }],
  ];
  for (const [name, config] of fine) test(name, () => expect(checkJsonRules(config)).toEqual([]));
});

describe("configs with problems", () => {
  const rows: [string, unknown, (string | number)[], string][] = [
    ["bad path: two dots", { omit: ["a..b"] }, ["omit", 0], "two dots"],
    ["bad path: unclosed [", { lowercase: ["ok", "items["] }, ["lowercase", 1], `"[" must be followed by "]"`],
    ["bad path in coerce", { coerce: { "a.[]": "number" } }, ["coerce", "a.[]"], `write "a[]"`],
    ["bad path in dates", { dates: { ".x": "rfc3339" } }, ["dates", ".x"], "dot"],
    ["bad path in defaults", { defaults: { "": 1 } }, ["defaults", ""], "empty"],
    ["omit ending in []", { omit: ["tags[]"] }, ["omit", 0], "must name a field"],
    ["rename ending in []", { rename: { "tags[]": "labels" } }, ["rename", "tags[]"], "must name a field"],
    ["default ending in []", { defaults: { "tags[]": "x" } }, ["defaults", "tags[]"], "must name a field"],
    ["rename target with another [] structure", { rename: { "items[].created_at": "items.createdAt" } }, ["rename", "items[].created_at"], "[] structure"],
    ["rename target with more []", { rename: { "a.b": "a[].b" } }, ["rename", "a.b"], "[] structure"],
    ["rename target moving the field", { rename: { "user.name": "profile.name" } }, ["rename", "user.name"], `write "name" or "user.name"`],
    ["rename target ending in []", { rename: { a: "b[]" } }, ["rename", "a"], "must name a field"],
    ["rename target with bad syntax", { rename: { a: "b..c" } }, ["rename", "a"], "two dots"],
    ["rename target not a string", { rename: { a: 1 } }, ["rename", "a"], "string"],
    ["two renames to one name", { rename: { first: "name", given: "name" } }, ["rename", "given"], `"given" and "first" are both renamed to "name"`],
    ["two renames to one name in arrays", { rename: { "l[].a": "c", "l[].b": "l[].c" } }, ["rename", "l[].b"], "both renamed"],
    ["lowercase and coerce on one field", { lowercase: ["a"], coerce: { a: "number" } }, ["coerce", "a"], "also in lowercase"],
    ["coerce and dates on one field", { coerce: { t: "number" }, dates: { t: "rfc3339" } }, ["dates", "t"], "also in coerce"],
    ["a conversion of an omitted field", { omit: ["a"], coerce: { a: "number" } }, ["coerce", "a"], "removed by omit"],
    ["a conversion inside an omitted field", { omit: ["user"], lowercase: ["user.email"] }, ["lowercase", 0], `inside "user"`],
    ["a rename of an omitted field", { omit: ["items[].x"], rename: { "items[].x": "y" } }, ["rename", "items[].x"], "removed by omit"],
    ["a default inside an omitted field", { omit: ["meta"], defaults: { "meta.version": 1 } }, ["defaults", "meta.version"], `inside "meta"`],
    ["…named by output names", { omit: ["user_meta"], keys: "camelCase", defaults: { "userMeta.v": 1 } }, ["defaults", "userMeta.v"], `inside "user_meta"`],
    ["…after a rename", { omit: ["m.inner"], rename: { m: "meta" }, defaults: { "meta.inner.v": 1 } }, ["defaults", "meta.inner.v"], `inside "m.inner"`],
    ["a default that is not JSON", { defaults: { a: Number.NaN } }, ["defaults", "a"], "JSON value"],
    ["a default holding a function", { defaults: { a: { f: () => 1 } } }, ["defaults", "a"], "JSON value"],
    ["a default holding a Date", { defaults: { a: new Date(0) } }, ["defaults", "a"], "JSON value"],
    ["an unknown coerce kind", { coerce: { a: "float" } }, ["coerce", "a"], "coerce kind"],
    ["an unknown date format", { dates: { a: "iso" } }, ["dates", "a"], "date format"],
    ["an unknown keys value", { keys: "kebab-case" }, ["keys"], "keys must be"],
    ["a path that is not a string", { omit: [3] }, ["omit", 0], "string"],
  ];
  for (const [name, config, at, says] of rows) {
    test(name, () => {
      const problems = checkJsonRules(config as JsonRulesConfig);
      expect(problems.length).toBe(1);
      expect(problems[0]!.at).toEqual(at);
      expect(problems[0]!.message).toContain(says);
    });
  }

  test("a cyclic default is refused, not followed forever", () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(checkJsonRules({ defaults: { a: cyclic } })[0]?.at).toEqual(["defaults", "a"]);
  });

  test("every problem is reported, in a stable order", () => {
    const config = { omit: ["a..b"], lowercase: ["x["], rename: { p: "q..r" } } as JsonRulesConfig;
    expect(checkJsonRules(config).map((p) => p.at)).toEqual([["omit", 0], ["lowercase", 0], ["rename", "p"]]);
  });

  test("extra keys (the wiring's maxBytes, maxDepth) are not rules", () => {
    expect(checkJsonRules({ maxBytes: "1mb", maxDepth: 32, omit: ["a"] } as JsonRulesConfig)).toEqual([]);
  });
});
