// Properties of compiled rules over arbitrary bodies and arbitrary configs: never a throw, a
// well-formed result, the same answer twice, and Object.prototype left alone.

import { afterAll, expect, test } from "bun:test";
import fc from "fast-check";
import { checkJsonRules, compileJsonRules, type JsonRulesConfig } from "../../../src/normalize/json/compile-json-rules.ts";

/** Names that rules and bodies share often enough to meet, plus the dangerous ones. */
const NAMES = ["__proto__", "constructor", "prototype", "toString", "valueOf", "a", "b", "a_b", "aB", "user_name", "userName", "ID", "_id", "items", "x-y", "created_at", "a/b", "~"];
const name = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...NAMES) }, { weight: 1, arbitrary: fc.string({ maxLength: 5 }) });

/** An object with own properties only, whatever the keys (a literal would turn "__proto__" into a prototype). */
function objectOf(entries: [string, unknown][]): Record<string, unknown> {
  const obj: Record<string, unknown> = {};
  for (const [k, v] of entries) Object.defineProperty(obj, k, { value: v, writable: true, enumerable: true, configurable: true });
  return obj;
}

const scalar = fc.oneof(
  fc.string({ maxLength: 8 }),
  fc.constantFrom("42", "4.5", "true", "0", "1", "ABC", "2024-05-01T10:30:00Z", "Wed, 01 May 2024 10:30:00 GMT", "", "x"),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(1e11, 1714559400, -1, 0, 2 ** 60),
  fc.boolean(),
  fc.constant(null),
);

const { json } = fc.letrec((tie) => ({
  json: fc.oneof({ depthSize: "small", withCrossShrink: true }, scalar, tie("array"), tie("object")),
  array: fc.array(tie("json"), { maxLength: 4 }),
  object: fc.array(fc.tuple(name, tie("json")), { maxLength: 5 }).map(objectOf),
}));

/** Deep bodies: a value wrapped in up to 300 levels of arrays and objects. */
const deep = fc.tuple(json, fc.array(fc.tuple(fc.boolean(), name), { minLength: 50, maxLength: 300 })).map(([inner, levels]) =>
  levels.reduce<unknown>((v, [asArray, key]) => (asArray ? [v] : objectOf([[key, v]])), inner),
);

const body = fc.oneof({ weight: 5, arbitrary: json }, { weight: 1, arbitrary: deep });

/** Mostly valid paths over NAMES-like keys (without ".[]"), sometimes broken ones. */
const segment = fc.tuple(fc.constantFrom(...NAMES.filter((n) => n !== "")), fc.nat({ max: 2 })).map(([n, each]) => n + "[]".repeat(each));
const goodPath = fc.tuple(fc.boolean(), fc.array(segment, { minLength: 1, maxLength: 3 })).map(([topArray, segs]) => (topArray ? "[]." : "") + segs.join("."));
const path = fc.oneof({ weight: 8, arbitrary: goodPath }, { weight: 1, arbitrary: fc.constantFrom("a..b", "items[", "a.[]", "", "[]", "a[]b", "x[]") });

const config: fc.Arbitrary<JsonRulesConfig> = fc.record(
  {
    rename: fc.array(fc.tuple(path, fc.oneof(fc.constantFrom(...NAMES), path)), { maxLength: 3 }).map(objectOf),
    lowercase: fc.array(path, { maxLength: 3 }),
    coerce: fc.array(fc.tuple(path, fc.constantFrom("number", "integer", "string", "boolean")), { maxLength: 3 }).map(objectOf),
    omit: fc.array(path, { maxLength: 2 }),
    keys: fc.constantFrom("camelCase", "snake_case"),
    dates: fc.array(fc.tuple(path, fc.constantFrom("rfc3339", "epoch-ms", "epoch-s")), { maxLength: 2 }).map(objectOf),
    defaults: fc.array(fc.tuple(path, fc.jsonValue({ maxDepth: 2 })), { maxLength: 3 }).map(objectOf),
  },
  { requiredKeys: [] },
) as fc.Arbitrary<JsonRulesConfig>;

/** The body as the parser would hand it over (own "__proto__" keys, fresh objects every time). */
const parsed = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

const PROTO_NAMES = Object.getOwnPropertyNames(Object.prototype).sort();
function prototypeIntact(): void {
  expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(PROTO_NAMES);
  expect(Object.getPrototypeOf({})).toBe(Object.prototype);
  for (const key of NAMES) expect(Object.prototype.hasOwnProperty.call(Object.prototype, key)).toBe(PROTO_NAMES.includes(key));
}
afterAll(prototypeIntact);

/** The value at an RFC 6901 pointer, or a miss. */
function at(value: unknown, pointer: string): { found: boolean } {
  let node = value;
  for (const raw of pointer === "" ? [] : pointer.slice(1).split("/")) {
    const token = raw.replaceAll("~1", "/").replaceAll("~0", "~");
    if (typeof node !== "object" || node === null || !Object.prototype.hasOwnProperty.call(node, token)) return { found: false };
    node = (node as Record<string, unknown>)[token];
  }
  return { found: true };
}

/** Every object in the output is a plain JSON object or array. */
function plainThroughout(value: unknown): boolean {
  if (typeof value !== "object" || value === null) return true;
  const proto = Object.getPrototypeOf(value);
  if (Array.isArray(value)) return proto === Array.prototype && value.every(plainThroughout);
  return proto === Object.prototype && Object.values(value).every(plainThroughout);
}

test("never throws; ok with a plain JSON value, or an error whose pointer names a place in the input", () => {
  fc.assert(
    fc.property(config, body, (cfg, value) => {
      const input = parsed(value);
      const result = compileJsonRules(cfg)(parsed(value));
      if (result.ok) {
        expect(plainThroughout(result.value)).toBe(true);
        expect(() => JSON.stringify(result.value)).not.toThrow();
      } else {
        expect(typeof result.error.message).toBe("string");
        expect(result.error.message.length).toBeGreaterThan(0);
        expect(result.error.pointer === "" || result.error.pointer.startsWith("/")).toBe(true);
        expect(at(input, result.error.pointer).found).toBe(true);
      }
    }),
    { numRuns: 600 },
  );
  prototypeIntact();
});

test("deterministic: the same config on the same body gives the same answer, compiled once or twice", () => {
  fc.assert(
    fc.property(config, body, (cfg, value) => {
      const transform = compileJsonRules(cfg);
      const first = JSON.stringify(transform(parsed(value)));
      expect(JSON.stringify(transform(parsed(value)))).toBe(first);
      expect(JSON.stringify(compileJsonRules(cfg)(parsed(value)))).toBe(first);
    }),
    { numRuns: 300 },
  );
  prototypeIntact();
});

test("checkJsonRules never throws on generated configs, and an empty config changes nothing", () => {
  fc.assert(
    fc.property(config, body, (cfg, value) => {
      for (const problem of checkJsonRules(cfg)) expect(problem.at.length).toBeGreaterThan(0);
      expect(compileJsonRules({})(parsed(value))).toEqual({ ok: true, value: parsed(value) });
    }),
    { numRuns: 200 },
  );
});
