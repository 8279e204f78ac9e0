// The rules as documented at the top of src/normalize/json/compile-json-rules.ts: one table per
// rule (config, body in, body out), the fixed order, error pointers, and "__proto__" keys.

import { describe, expect, test } from "bun:test";
import { compileJsonRules, type JsonRulesConfig } from "../../../src/normalize/json/compile-json-rules.ts";
import { EXAMPLE_JSON_RULES } from "../../../src/normalize/json/example-rules.ts";

type Row = [name: string, config: JsonRulesConfig, input: unknown, output: unknown];

/** Body text → value, the way a request body arrives (own "__proto__" keys included). */
const body = (text: string): unknown => JSON.parse(text);

function run(config: JsonRulesConfig, input: unknown): unknown {
  const result = compileJsonRules(config)(input);
  if (!result.ok) throw new Error(`unexpected rule error ${JSON.stringify(result.error)}`);
  return result.value;
}

function table(title: string, rows: Row[]): void {
  describe(title, () => {
    for (const [name, config, input, output] of rows) {
      test(name, () => expect(JSON.stringify(run(config, input))).toBe(JSON.stringify(output)));
    }
  });
}

table("paths", [
  ["a nested field", { lowercase: ["user.email"] }, { user: { email: "A@B" } }, { user: { email: "a@b" } }],
  ["every element", { lowercase: ["items[].code"] }, { items: [{ code: "X" }, { code: "Y" }, {}] }, { items: [{ code: "x" }, { code: "y" }, {}] }],
  ["a top-level array", { omit: ["[].secret"] }, [{ id: 1, secret: "s" }, { id: 2 }], [{ id: 1 }, { id: 2 }]],
  ["the elements themselves", { lowercase: ["tags[]"] }, { tags: ["A", "b", 3, null] }, { tags: ["a", "b", 3, null] }],
  ["arrays of arrays", { coerce: { "m[][]": "number" } }, { m: [["1", "2"], [], ["3"]] }, { m: [[1, 2], [], [3]] }],
  ["a missing parent does nothing", { omit: ["user.password"] }, { a: 1 }, { a: 1 }],
  ["a null parent does nothing", { omit: ["user.password"] }, { user: null }, { user: null }],
  ["a parent of another type does nothing", { coerce: { "items[].n": "number" } }, { items: { n: "1" } }, { items: { n: "1" } }],
  ["scalar elements are skipped", { coerce: { "items[].n": "number" } }, { items: [1, "x", null, { n: "2" }] }, { items: [1, "x", null, { n: 2 }] }],
  ["a scalar body passes through", { omit: ["a"], keys: "camelCase", defaults: { a: 1 } }, "just text", "just text"],
  ["inherited names are not fields", { coerce: { constructor: "number", toString: "boolean" } as Record<string, "number" | "boolean"> }, { a: 1 }, { a: 1 }],
]);

table("omit", [
  ["removes the field", { omit: ["password_hash"] }, { password_hash: "x", a: 1 }, { a: 1 }],
  ["removes a whole subtree", { omit: ["internal"] }, { internal: { a: [1] }, b: 2 }, { b: 2 }],
  ["inside arrays", { omit: ["items[].cost"] }, { items: [{ cost: 1, id: 1 }, { id: 2 }] }, { items: [{ id: 1 }, { id: 2 }] }],
  ["absent is fine", { omit: ["nope"] }, { a: 1 }, { a: 1 }],
]);

table("lowercase", [
  ["strings", { lowercase: ["email"] }, { email: "Ann@X.ORG" }, { email: "ann@x.org" }],
  ["non-strings stay", { lowercase: ["email"] }, { email: 7 }, { email: 7 }],
  ["null stays", { lowercase: ["email"] }, { email: null }, { email: null }],
  ["objects stay", { lowercase: ["email"] }, { email: { A: "B" } }, { email: { A: "B" } }],
]);

table("coerce", [
  ["number", { coerce: { score: "number" } }, { score: "4.5" }, { score: 4.5 }],
  ["integer", { coerce: { n: "integer" } }, { n: "42" }, { n: 42 }],
  ["boolean", { coerce: { active: "boolean", off: "boolean" } }, { active: "1", off: 0 }, { active: true, off: false }],
  ["string", { coerce: { id: "string", flag: "string" } }, { id: 42, flag: true }, { id: "42", flag: "true" }],
  ["null stays null", { coerce: { score: "number" } }, { score: null }, { score: null }],
]);

table("dates", [
  ["rfc3339 from epoch seconds", { dates: { created: "rfc3339" } }, { created: 1714559400 }, { created: "2024-05-01T10:30:00.000Z" }],
  ["epoch-ms from an HTTP-date", { dates: { at: "epoch-ms" } }, { at: "Wed, 01 May 2024 10:30:00 GMT" }, { at: 1714559400000 }],
  ["epoch-s from RFC 3339 with an offset", { dates: { at: "epoch-s" } }, { at: "2024-05-01T12:30:00+02:00" }, { at: 1714559400 }],
  ["each element", { dates: { "log[].t": "rfc3339" } }, { log: [{ t: 0 }, { t: null }] }, { log: [{ t: "1970-01-01T00:00:00.000Z" }, { t: null }] }],
]);

table("rename", [
  ["new last name", { rename: { user_name: "userName" } }, { user_name: "a" }, { userName: "a" }],
  ["same path form", { rename: { "items[].created_at": "items[].createdAt" } }, { items: [{ created_at: 1 }, { x: 2 }] }, { items: [{ createdAt: 1 }, { x: 2 }] }],
  ["bare name inside arrays", { rename: { "items[].created_at": "createdAt" } }, { items: [{ created_at: 1 }] }, { items: [{ createdAt: 1 }] }],
  ["keeps its place", { rename: { b: "B" } }, { a: 1, b: 2, c: 3 }, { a: 1, B: 2, c: 3 }],
  ["replaces a field that had the name", { rename: { name: "title" } }, { title: "old", name: "new" }, { title: "new" }],
  ["…whichever comes first", { rename: { name: "title" } }, { name: "new", title: "old" }, { title: "new" }],
  ["swap", { rename: { a: "b", b: "a" } }, { a: 1, b: 2 }, { b: 1, a: 2 }],
  ["nested renames use the sender's names", { rename: { user_info: "profile", "user_info.user_name": "name" } }, { user_info: { user_name: "a" } }, { profile: { name: "a" } }],
  ["absent is fine", { rename: { a: "b" } }, { c: 1 }, { c: 1 }],
  ["a top-level array", { rename: { "[].id": "key" } }, [{ id: 1 }, { id: 2, x: 0 }], [{ key: 1 }, { key: 2, x: 0 }]],
]);

table("keys", [
  ["camelCase everywhere", { keys: "camelCase" }, { user_name: 1, nested_obj: { deep_key: [{ a_b: 1 }] } }, { userName: 1, nestedObj: { deepKey: [{ aB: 1 }] } }],
  ["snake_case everywhere", { keys: "snake_case" }, { userName: 1, list: [{ createdAt: 2, userID: 3 }] }, { user_name: 1, list: [{ created_at: 2, user_id: 3 }] }],
  ["order kept", { keys: "camelCase" }, { z_z: 1, a_a: 2, m: 3 }, { zZ: 1, aA: 2, m: 3 }],
  ["values are not touched", { keys: "camelCase" }, { a_b: "c_d", list: ["e_f"] }, { aB: "c_d", list: ["e_f"] }],
  ["two keys to one name: the later wins", { keys: "camelCase" }, { user_name: 1, userName: 2 }, { userName: 2 }],
  ["a rename is final", { rename: { user_id: "UserID" }, keys: "snake_case" }, { user_id: 1, createdAt: 2 }, { UserID: 1, created_at: 2 }],
  ["rename to itself keeps a key as is", { rename: { ID: "ID" }, keys: "snake_case" }, { ID: 1, fooBar: 2 }, { ID: 1, foo_bar: 2 }],
  ["a renamed field beats a re-cased one", { rename: { name: "userName" }, keys: "camelCase" }, { user_name: "x", name: "y" }, { userName: "y" }],
  ["renames below re-cased parents use the sender's names", { rename: { "user_info.user_name": "NAME" }, keys: "camelCase" }, { user_info: { user_name: "a", last_seen: 1 } }, { userInfo: { NAME: "a", lastSeen: 1 } }],
]);

table("defaults", [
  ["set when absent", { defaults: { tags: [] } }, { a: 1 }, { a: 1, tags: [] }],
  ["present stays, null counts as present", { defaults: { tags: [], n: 0 } }, { tags: ["x"], n: null }, { tags: ["x"], n: null }],
  ["inside arrays", { defaults: { "items[].qty": 1 } }, { items: [{}, { qty: 5 }] }, { items: [{ qty: 1 }, { qty: 5 }] }],
  ["parent missing: nothing", { defaults: { "meta.v": 1 } }, {}, {}],
  ["shallower first", { defaults: { "meta.v": 1, meta: {} } }, {}, { meta: { v: 1 } }],
  ["by OUTPUT names", { keys: "camelCase", defaults: { isAdmin: false, is_admin: "never" } }, { is_admin: true }, { isAdmin: true, is_admin: "never" }],
  ["omit + default replaces", { omit: ["token"], defaults: { token: "***" } }, { token: "secret", a: 1 }, { a: 1, token: "***" }],
  ["objects", { defaults: { meta: { a: [1, { b: null }] } } }, {}, { meta: { a: [1, { b: null }] } }],
]);

describe("the fixed order", () => {
  table("steps", [
    ["omit before everything: an omitted field is not converted", { omit: ["n"], coerce: { n: "number" } }, { n: "x" }, {}],
    ["lowercase before coerce", { lowercase: ["f"], coerce: { f: "boolean" } }, { f: "true" }, { f: true }],
    ["coerce before dates", { coerce: { t: "number" }, dates: { t: "rfc3339" } }, { t: "0" }, { t: "1970-01-01T00:00:00.000Z" }],
    ["conversions use the sender's names, defaults the output names", { keys: "camelCase", coerce: { user_id: "string" }, defaults: { userId: "none", user_id: "z" } }, { user_id: 7 }, { userId: "7", user_id: "z" }],
    ["the example of the reference", { omit: ["password_hash"], keys: "camelCase", defaults: { isAdmin: false } }, { password_hash: "x", is_admin: true }, { isAdmin: true }],
    ["rename before keys", { rename: { a_b: "x_y" }, keys: "camelCase" }, { a_b: 1, c_d: 2 }, { x_y: 1, cD: 2 }],
  ]);

  test("the example config on a realistic body", () => {
    const config: JsonRulesConfig = EXAMPLE_JSON_RULES;
    const input = body(`{
      "user_name": "Ann Lee",
      "email": "Ann.Lee@Example.COM",
      "password_hash": "$2b$10$abcdefghijklmnopqrstuv",
      "score": "87.5",
      "active": "1",
      "created": "Wed, 01 May 2024 10:30:00 GMT",
      "account_id": 1234,
      "shipping_address": { "street_line": "1 Main St", "postal_code": "12345" },
      "items": [
        { "sku_id": "A-1", "created_at": "2024-05-01T10:30:00Z", "unit_price": 9.5 },
        { "sku_id": "B-2", "created_at": "2024-05-02T08:00:00Z", "unit_price": 3 }
      ]
    }`);
    const expected = {
      userName: "Ann Lee",
      email: "ann.lee@example.com",
      score: 87.5,
      active: true,
      created: "2024-05-01T10:30:00.000Z",
      accountId: 1234,
      shippingAddress: { streetLine: "1 Main St", postalCode: "12345" },
      items: [
        { skuId: "A-1", createdAt: "2024-05-01T10:30:00Z", unitPrice: 9.5 },
        { skuId: "B-2", createdAt: "2024-05-02T08:00:00Z", unitPrice: 3 },
      ],
      tags: [],
    };
    expect(JSON.stringify(run(config, input))).toBe(JSON.stringify(expected));
    // The same transform again on a fresh body gives the same answer (nothing carried over).
    expect(JSON.stringify(run(config, body(JSON.stringify({ email: "X@Y" }))))).toBe(JSON.stringify({ email: "x@y", tags: [] }));
  });
});

describe("errors", () => {
  const rows: [string, JsonRulesConfig, string, string, string][] = [
    ["a top-level field", { coerce: { score: "number" } }, `{"score":"high"}`, "/score", "number"],
    ["inside arrays: indices of the input", { coerce: { "items[].score": "number" } }, `{"items":[{},{"score":"1"},{"score":"x"}]}`, "/items/2/score", "number"],
    ["an element itself", { coerce: { "tags[]": "integer" } }, `{"tags":[1,2,"3.5"]}`, "/tags/2", "integer"],
    ["a top-level array", { dates: { "[].t": "epoch-s" } }, `[{"t":1},{"t":"soon"}]`, "/1/t", "date"],
    ["keys with / and ~ are escaped (RFC 6901)", { coerce: { "a/b.c~d": "boolean" } }, `{"a/b":{"c~d":"yes"}}`, "/a~1b/c~0d", "true"],
    ["pointers name the sender's keys, whatever rename and keys do", { coerce: { user_score: "number" }, rename: { user_score: "s" }, keys: "camelCase" }, `{"user_score":"?"}`, "/user_score", "number"],
    ["an omitted array does not shift indices of another", { omit: ["x"], coerce: { "l[].v": "boolean" } }, `{"x":1,"l":[{"v":1},{"v":"no"}]}`, "/l/1/v", "true"],
  ];
  for (const [name, config, text, pointer, mentions] of rows) {
    test(name, () => {
      const r = compileJsonRules(config)(body(text));
      expect(r.ok).toBe(false);
      if (!r.ok) {
        expect(r.error.pointer).toBe(pointer);
        expect(r.error.message).toContain(mentions);
      }
    });
  }

  test("the first failing rule in the fixed order is reported", () => {
    const r = compileJsonRules({ dates: { a: "rfc3339" }, coerce: { b: "number" } })(body(`{"a":"x","b":"y"}`));
    expect(r.ok ? null : r.error.pointer).toBe("/b"); // coerce runs before dates
  });
});

describe("defaults are copies", () => {
  test("changing one body's default does not change the next body's", () => {
    const config = { defaults: { meta: { tags: ["a"] } } };
    const transform = compileJsonRules(config);
    const first = transform({}) as { ok: true; value: { meta: { tags: string[] } } };
    first.value.meta.tags.push("mutated");
    const second = transform({}) as { ok: true; value: { meta: { tags: string[] } } };
    expect(second.value.meta.tags).toEqual(["a"]);
    expect(config.defaults.meta.tags).toEqual(["a"]);
  });

  test("changing the config after compiling does not change the defaults", () => {
    const config = { defaults: { list: [1] } };
    const transform = compileJsonRules(config);
    config.defaults.list.push(2);
    expect((transform({}) as { ok: true; value: unknown }).value).toEqual({ list: [1] });
  });
});

describe('"__proto__" keys', () => {
  const pristine = (): void => {
    expect(Object.getOwnPropertyNames(Object.prototype)).not.toContain("polluted");
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  };

  test("renaming to __proto__ makes an own key, not a prototype", () => {
    const out = run({ rename: { x: "__proto__" } }, body(`{"x":{"polluted":true}}`)) as object;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.keys(out)).toEqual(["__proto__"]);
    expect(JSON.stringify(out)).toBe(`{"__proto__":{"polluted":true}}`);
    pristine();
  });

  test("renaming from __proto__, re-casing around it and omitting it", () => {
    expect(JSON.stringify(run(body(`{"rename":{"__proto__":"proto"}}`) as JsonRulesConfig, body(`{"__proto__":{"polluted":1},"a":2}`)))).toBe(`{"proto":{"polluted":1},"a":2}`);
    expect(JSON.stringify(run({ keys: "camelCase" }, body(`{"a_b":1,"__proto__":{"polluted":1}}`)))).toBe(`{"aB":1,"__proto__":{"polluted":1}}`);
    expect(JSON.stringify(run({ keys: "snake_case" }, body(`{"__Proto__":{"polluted":1}}`)))).toBe(`{"__proto__":{"polluted":1}}`);
    expect(JSON.stringify(run({ omit: ["__proto__"] }, body(`{"__proto__":{"polluted":1},"a":1}`)))).toBe(`{"a":1}`);
    pristine();
  });

  test("defaults and conversions on __proto__ paths", () => {
    const out = run(body(`{"defaults":{"__proto__":{"polluted":true},"x.__proto__":1}}`) as JsonRulesConfig, body(`{"x":{}}`)) as object;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(JSON.stringify(out)).toBe(`{"x":{"__proto__":1},"__proto__":{"polluted":true}}`);
    expect(JSON.stringify(run({ coerce: { "__proto__.polluted": "boolean" } }, body(`{"__proto__":{"polluted":"1"}}`)))).toBe(`{"__proto__":{"polluted":true}}`);
    pristine();
  });
});
