import { describe, expect, test } from "bun:test";
import { compileRouteValidator, formatValidationError, MAX_REPORTED_ERRORS, type RouteValidator, type ValidationConfig } from "../../src/validate/route-validator.ts";

function compile(config: ValidationConfig): RouteValidator {
  const r = compileRouteValidator(config);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.validator;
}

function compileErrors(config: unknown) {
  const r = compileRouteValidator(config as ValidationConfig);
  if (r.ok) throw new Error("expected compile errors");
  return r.errors;
}

const ORDER_SCHEMA = {
  type: "object",
  required: ["customer", "items"],
  additionalProperties: false,
  properties: {
    customer: {
      type: "object",
      required: ["name", "email"],
      properties: { name: { type: "string", minLength: 1 }, email: { type: "string", format: "email" }, age: { type: "integer", minimum: 0 } },
    },
    items: {
      type: "array",
      minItems: 1,
      items: {
        type: "object",
        required: ["sku", "qty"],
        additionalProperties: false,
        properties: { sku: { type: "string", pattern: "^[A-Z]{3}-\\d+$" }, qty: { type: "integer", minimum: 1 } },
      },
    },
    priority: { enum: ["low", "normal", "high"] },
    note: { type: ["string", "null"] },
  },
};

describe("body", () => {
  const v = compile({ body: ORDER_SCHEMA });

  test("a valid body passes", () => {
    expect(v.validatesBody).toBe(true);
    expect(v.check({ body: { customer: { name: "Ada", email: "ada@example.com", age: 36 }, items: [{ sku: "ABC-1", qty: 2 }], priority: "high", note: null } })).toBeNull();
  });

  const cases: { name: string; body: unknown; errors: { pointer: string; message: string }[] }[] = [
    { name: "missing required properties point at the property", body: { customer: { name: "Ada" } }, errors: [{ pointer: "/items", message: "is required" }, { pointer: "/customer/email", message: "is required" }] },
    { name: "wrong types", body: { customer: { name: "Ada", email: "a@b.co", age: "old" }, items: [{ sku: "ABC-1", qty: 1.5 }] }, errors: [{ pointer: "/customer/age", message: "must be integer" }, { pointer: "/items/0/qty", message: "must be integer" }] },
    { name: "nested array items", body: { customer: { name: "Ada", email: "a@b.co" }, items: [{ sku: "ABC-1", qty: 1 }, { sku: "nope", qty: 0 }, {}] }, errors: [
      { pointer: "/items/1/sku", message: 'must match pattern "^[A-Z]{3}-\\d+$"' },
      { pointer: "/items/1/qty", message: "must be >= 1" },
      { pointer: "/items/2/sku", message: "is required" },
      { pointer: "/items/2/qty", message: "is required" },
    ] },
    { name: "additionalProperties", body: { customer: { name: "Ada", email: "a@b.co" }, items: [{ sku: "ABC-1", qty: 1, colour: "red" }], extra: 1 }, errors: [{ pointer: "/extra", message: "is not allowed" }, { pointer: "/items/0/colour", message: "is not allowed" }] },
    { name: "enum, union type, format, minItems", body: { customer: { name: "", email: "not-an-email" }, items: [], priority: "urgent", note: 5 }, errors: [
      { pointer: "/customer/name", message: "must not have fewer than 1 characters" },
      { pointer: "/customer/email", message: "must be a valid email" },
      { pointer: "/items", message: "must not have fewer than 1 items" },
      { pointer: "/priority", message: 'must be one of: "low", "normal", "high"' },
      { pointer: "/note", message: "must be string or null" },
    ] },
    { name: "not an object", body: [1, 2], errors: [{ pointer: "", message: "must be object" }] },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const errors = v.check({ body: c.body });
      expect(errors?.map(({ pointer, message }) => ({ pointer, message })).sort(byPointer)).toEqual([...c.errors].sort(byPointer));
      expect(errors?.every((e) => e.in === "body")).toBe(true);
    });
  }

  test("an absent body is an error when the route validates bodies", () => {
    expect(v.check({})).toEqual([{ in: "body", pointer: "", message: "is required (the request has no body)" }]);
  });

  test("pointers escape ~ and / (RFC 6901)", () => {
    const w = compile({ body: { type: "object", required: ["a/b", "c~d"], properties: { "e/f": { type: "string" } } } });
    expect(w.check({ body: { "e/f": 1 } })?.map((e) => e.pointer).sort()).toEqual(["/a~1b", "/c~0d", "/e~1f"]);
  });

  test("inherited names do not satisfy required", () => {
    const w = compile({ body: { type: "object", required: ["constructor", "toString"] } });
    expect(w.check({ body: {} })?.map((e) => e.pointer)).toEqual(["/constructor", "/toString"]);
  });

  test("the body is not changed by the check", () => {
    const body = { customer: { name: "Ada", email: "a@b.co", age: "36" }, items: [{ sku: "ABC-1", qty: "2" }] };
    const copy = structuredClone(body);
    v.check({ body });
    expect(body).toEqual(copy);
  });

  test("at most MAX_REPORTED_ERRORS, then one entry saying how many more", () => {
    const w = compile({ body: { type: "array", items: { type: "integer" } } });
    const errors = w.check({ body: Array.from({ length: 25 }, () => "x") })!;
    expect(errors.length).toBe(MAX_REPORTED_ERRORS + 1);
    expect(errors[MAX_REPORTED_ERRORS - 1]).toEqual({ in: "body", pointer: `/${MAX_REPORTED_ERRORS - 1}`, message: "must be integer" });
    expect(errors[MAX_REPORTED_ERRORS]).toEqual({ in: "body", pointer: "", message: `and 5 more errors (only the first ${MAX_REPORTED_ERRORS} are listed)` });
  });

  test("formatValidationError reads as one line", () => {
    expect(formatValidationError({ in: "body", pointer: "/age", message: "must be integer" })).toBe("body /age: must be integer");
    expect(formatValidationError({ in: "body", pointer: "", message: "must be object" })).toBe("body: must be object");
  });
});

const byPointer = (a: { pointer: string }, b: { pointer: string }) => (a.pointer < b.pointer ? -1 : a.pointer > b.pointer ? 1 : 0);

describe("query: string values coerced for the check", () => {
  const v = compile({
    query: {
      type: "object",
      properties: { age: { type: "integer", minimum: 0 }, tags: { type: "array", items: { type: "string" } }, active: { type: "boolean" }, ids: { type: "array", items: { type: "integer" } } },
      required: ["age"],
    },
  });

  test('"age=12" passes type integer', () => {
    expect(v.validatesBody).toBe(false);
    expect(v.check({ query: { age: "12" } })).toBeNull();
  });

  test('"age=x" fails with pointer "/age"', () => {
    expect(v.check({ query: { age: "x" } })).toEqual([{ in: "query", pointer: "/age", message: "must be integer" }]);
  });

  const cases: { name: string; query: Record<string, string | string[]>; errors: { pointer: string; message: string }[] | null }[] = [
    { name: "a missing required parameter", query: {}, errors: [{ pointer: "/age", message: "is required" }] },
    { name: "coerced values still meet minimum", query: { age: "-1" }, errors: [{ pointer: "/age", message: "must be >= 0" }] },
    { name: "booleans", query: { age: "1", active: "true" }, errors: null },
    { name: "a repeated name is an array", query: { age: "1", tags: ["a", "b"] }, errors: null },
    { name: "a single value fits an array schema", query: { age: "1", tags: "a" }, errors: null },
    { name: "array items are coerced", query: { age: "1", ids: ["1", "2"] }, errors: null },
    { name: "array items that do not coerce", query: { age: "1", ids: ["1", "y"] }, errors: [{ pointer: "/ids/1", message: "must be integer" }] },
    { name: "a repeated name for a scalar", query: { age: ["1", "2"] }, errors: [{ pointer: "/age", message: "must be integer" }] },
    { name: "prototype-ish names are plain names", query: { age: "1", __proto__: "x", constructor: "y" } as Record<string, string>, errors: null },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const errors = v.check({ query: c.query });
      expect(errors === null ? null : errors.map(({ pointer, message }) => ({ pointer, message }))).toEqual(c.errors);
    });
  }

  test("what is forwarded is not changed by coercion", () => {
    const query = { age: "12", tags: "a", ids: ["1", "2"] };
    v.check({ query });
    expect(query).toEqual({ age: "12", tags: "a", ids: ["1", "2"] });
  });

  test("an absent query is checked as empty", () => {
    expect(v.check({})).toEqual([{ in: "query", pointer: "/age", message: "is required" }]);
  });
});

describe("params", () => {
  const v = compile({ params: { type: "object", properties: { id: { type: "integer", minimum: 1 }, slug: { type: "string", format: "uuid" } } } });

  test("coerced and checked", () => {
    const params = { id: "42", slug: "0f8fad5b-d9cb-469f-a165-70867728950e" };
    expect(v.check({ params })).toBeNull();
    expect(params.id).toBe("42");
    expect(v.check({ params: { id: "0", slug: "nope" } })).toEqual([
      { in: "params", pointer: "/id", message: "must be >= 1" },
      { in: "params", pointer: "/slug", message: "must be a valid uuid" },
    ]);
  });

  test("body, query and params together, in that order", () => {
    const w = compile({ body: { type: "object" }, query: { type: "object", properties: { q: { type: "integer" } } }, params: { type: "object", properties: { id: { type: "integer" } } } });
    expect(w.check({ body: 1, query: { q: "a" }, params: { id: "b" } })?.map((e) => e.in)).toEqual(["body", "query", "params"]);
  });
});

describe("formats Keel checks", () => {
  const cases: { format: string; good: string[]; bad: string[] }[] = [
    { format: "date", good: ["2024-02-29", "1999-12-31"], bad: ["2023-02-29", "2024-13-01", "2024-1-1", "x"] },
    { format: "time", good: ["10:20:30Z", "23:59:60+01:00", "00:00:00.123z"], bad: ["24:00:00Z", "10:20:30", "10:60:00Z"] },
    { format: "date-time", good: ["2024-05-01T10:20:30Z", "2024-05-01t10:20:30.5-05:00"], bad: ["2024-05-01", "2024-05-01T10:20:30", "2024-02-30T00:00:00Z"] },
    { format: "email", good: ["a@b.co", "first.last+tag@example.com"], bad: ["a@", "@b.co", "a b@c.d"] },
    { format: "hostname", good: ["example.com", "a-b.c"], bad: ["-a.com", "a..b", "a_b.com"] },
    { format: "ipv4", good: ["192.0.2.1"], bad: ["256.0.0.1", "1.2.3"] },
    { format: "ipv6", good: ["::1", "2001:db8::8a2e:370:7334"], bad: ["2001:db8:::1", "12345::"] },
    { format: "uri", good: ["https://example.com/a?b", "urn:isbn:0451450523"], bad: ["/relative", "no scheme"] },
    { format: "uuid", good: ["0f8fad5b-d9cb-469f-a165-70867728950e"], bad: ["0f8fad5b-d9cb-469f-a165", "x"] },
  ];
  for (const c of cases) {
    test(c.format, () => {
      const v = compile({ body: { type: "string", format: c.format } });
      for (const good of c.good) expect(v.check({ body: good })).toBeNull();
      for (const bad of c.bad) expect(v.check({ body: bad })).toEqual([{ in: "body", pointer: "", message: `must be a valid ${c.format}` }]);
    });
  }
});

describe("compile errors", () => {
  const cases: { name: string; config: unknown; at: (string | number)[]; message: RegExp }[] = [
    { name: "a misspelt type", config: { body: { type: "object", properties: { age: { type: "strng" } } } }, at: ["body", "properties", "age", "type"], message: /"strng" is not a JSON Schema type; expected one of: .* \(did you mean "string"\?\)/ },
    { name: "a misspelt type in a list", config: { query: { type: ["string", "nul"] } }, at: ["query", "type", 1], message: /"nul" is not a JSON Schema type.*did you mean "null"/ },
    { name: "an unknown format", config: { body: { type: "object", properties: { email: { type: "string", format: "e-mail" } } } }, at: ["body", "properties", "email", "format"], message: /unknown format "e-mail" \(did you mean "email"\?\); Keel checks: date, time, date-time, email/ },
    { name: "a misspelt keyword", config: { body: { type: "object", requried: ["a"] } }, at: ["body", "requried"], message: /unknown keyword "requried" \(did you mean "required"\?\)/ },
    { name: "a keyword value of the wrong type", config: { params: { type: "object", properties: { id: { minimum: "1" } } } }, at: ["params", "properties", "id", "minimum"], message: /must be number/ },
    { name: "required not a list", config: { body: { required: "name" } }, at: ["body", "required"], message: /must be array/ },
    { name: "an invalid pattern", config: { body: { type: "string", pattern: "([a-z" } }, at: ["body", "pattern"], message: /"\(\[a-z" is not a valid regular expression/ },
    { name: "an invalid patternProperties key", config: { body: { patternProperties: { "[": {} } } }, at: ["body", "patternProperties"], message: /is not a valid regular expression/ },
    { name: "a $ref that does not resolve", config: { body: { $ref: "#/definitions/missing" } }, at: ["body"], message: /does not compile: can't resolve reference #\/definitions\/missing/ },
    { name: "a remote $ref is not fetched", config: { body: { $ref: "https://example.com/schema.json" } }, at: ["body"], message: /can't resolve reference/ },
    { name: "an unsupported $schema", config: { body: { $schema: "http://json-schema.org/draft-04/schema#" } }, at: ["body", "$schema"], message: /unsupported \$schema/ },
    { name: "not a schema", config: { query: 5 }, at: ["query"], message: /a schema must be a mapping/ },
    { name: "too deep", config: { body: nest(100) }, at: ["body", ...Array.from({ length: 65 }, () => "not")], message: /nests deeper than 64 levels/ },
    { name: "too many subschemas", config: { body: { type: "object", properties: Object.fromEntries(Array.from({ length: 10_001 }, (_, i) => [`p${i}`, {}])) } }, at: ["body"], message: /more than 10000 subschemas/ },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const errors = compileErrors(c.config);
      expect(errors.length).toBe(1);
      expect(errors[0]!.at).toEqual(c.at);
      expect(errors[0]!.message).toMatch(c.message);
    });
  }

  test("errors from several sections are all reported", () => {
    expect(compileErrors({ body: { type: "strng" }, query: { type: "intger" } }).map((e) => e.at[0])).toEqual(["body", "query"]);
  });
});

function nest(depth: number): object {
  let s: object = { type: "string" };
  for (let i = 0; i < depth; i++) s = { not: s };
  return s;
}

describe("schemas that compile", () => {
  test("OpenAPI annotations and x- extensions are tolerated", () => {
    const v = compile({ body: { type: "object", example: { a: 1 }, "x-internal": true, properties: { a: { type: "integer", nullable: true, description: "d", deprecated: true } } } });
    expect(v.check({ body: { a: null } })).toBeNull();
  });

  test("property names that look like keywords are data, not keywords", () => {
    const v = compile({ body: { type: "object", properties: { format: { type: "string" }, requried: { type: "string" }, pattern: { type: "integer" } } } });
    expect(v.check({ body: { format: "x", requried: "y", pattern: 1 } })).toBeNull();
  });

  test("definitions and $ref", () => {
    const v = compile({ body: { definitions: { id: { type: "integer" } }, type: "object", properties: { a: { $ref: "#/definitions/id" } } } });
    expect(v.check({ body: { a: "x" } })).toEqual([{ in: "body", pointer: "/a", message: "must be integer" }]);
  });

  test("draft 2020-12 when $schema says so", () => {
    const v = compile({ body: { $schema: "https://json-schema.org/draft/2020-12/schema", type: "array", prefixItems: [{ type: "integer" }], items: false } });
    expect(v.check({ body: [1] })).toBeNull();
    expect(v.check({ body: ["a", 2] })).toEqual([
      { in: "body", pointer: "/0", message: "must be integer" },
      { in: "body", pointer: "", message: "must not have more than 1 items" },
    ]);
  });

  test("the same $id in body and query compiles (one ajv instance per schema)", () => {
    compile({ body: { $id: "https://example.com/s", type: "object" }, query: { $id: "https://example.com/s", type: "object" } });
    compile({ body: { $id: "https://example.com/s", type: "object" } });
  });

  test("if/then reports the cause only", () => {
    const v = compile({ body: { type: "object", if: { properties: { kind: { const: "a" } } }, then: { required: ["a"] } } });
    expect(v.check({ body: { kind: "a" } })).toEqual([{ in: "body", pointer: "/a", message: "is required" }]);
  });

  test("no config sections: everything passes", () => {
    const v = compile({});
    expect(v.validatesBody).toBe(false);
    expect(v.check({ body: 1, query: { a: "b" } })).toBeNull();
  });
});
