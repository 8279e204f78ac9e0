import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { compileHeaderRules, SERVER_HEADERS, type HeaderRulesConfig, type RequestFacts } from "../../../src/normalize/headers/header-rules.ts";

function factsWith(headers: Record<string, string> = {}, params: Record<string, string> = {}): RequestFacts {
  return {
    clientIp: "192.0.2.7",
    route: "users",
    requestId: "req-1",
    method: "GET",
    host: "api.example.com",
    path: "/users/42",
    param: (name) => params[name] ?? null,
    header: (name) => headers[name] ?? null,
  };
}

const facts = factsWith({ "x-user": "alice", "x-tenant": "t1" }, { id: "42" });

function run(config: HeaderRulesConfig, headers: string[], direction: "request" | "response" = "request", f: RequestFacts = facts) {
  const out = [...headers];
  const dropped = compileHeaderRules(config, direction).apply(out, f);
  return { out, dropped };
}

describe("header operations", () => {
  const cases: { name: string; config: HeaderRulesConfig; input: string[]; expected: string[] }[] = [
    { name: "remove drops every value", config: { remove: ["x-a"] }, input: ["x-a", "1", "x-b", "2", "x-a", "3"], expected: ["x-b", "2"] },
    { name: "remove is case-insensitive", config: { remove: ["X-A"] }, input: ["x-a", "1"], expected: [] },
    { name: "remove of an absent header changes nothing", config: { remove: ["x-z"] }, input: ["x-a", "1"], expected: ["x-a", "1"] },
    { name: "rename keeps values in order and position", config: { rename: { "x-old": "x-new" } }, input: ["x-old", "1", "x-b", "2", "x-old", "3"], expected: ["x-new", "1", "x-b", "2", "x-new", "3"] },
    { name: "rename is case-insensitive", config: { rename: { "X-Old": "X-New" } }, input: ["x-old", "1"], expected: ["x-new", "1"] },
    { name: "renames apply at once", config: { rename: { a: "b", b: "c" } }, input: ["a", "1", "b", "2"], expected: ["b", "1", "c", "2"] },
    { name: "set replaces all values", config: { set: { "x-a": "new" } }, input: ["x-a", "1", "x-b", "2", "x-a", "3"], expected: ["x-b", "2", "x-a", "new"] },
    { name: "set adds an absent header", config: { set: { "X-A": "v" } }, input: [], expected: ["x-a", "v"] },
    { name: "add appends one more value", config: { add: { "x-a": "2" } }, input: ["x-a", "1"], expected: ["x-a", "1", "x-a", "2"] },
    { name: "canonical Content-Type rewrites the value", config: { canonicalContentType: true }, input: ["content-type", "Application/JSON;Charset=UTF-8"], expected: ["content-type", "application/json; charset=utf-8"] },
    { name: "canonical Content-Type applies to a set value", config: { canonicalContentType: true, set: { "content-type": "Text/Plain;CHARSET=UTF-8" } }, input: [], expected: ["content-type", "text/plain; charset=utf-8"] },
    { name: "without canonicalContentType the value stays", config: {}, input: ["content-type", "Application/JSON"], expected: ["content-type", "Application/JSON"] },
    { name: "an empty config changes nothing", config: {}, input: ["x-a", "1"], expected: ["x-a", "1"] },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const { out, dropped } = run(c.config, c.input);
      expect(out).toEqual(c.expected);
      expect(dropped).toBe(0);
    });
  }
});

describe("order: remove → rename → set → add → canonical Content-Type", () => {
  const cases: { name: string; config: HeaderRulesConfig; input: string[]; expected: string[] }[] = [
    { name: "remove runs before rename: a removed source is gone", config: { remove: ["a"], rename: { a: "b" } }, input: ["a", "1"], expected: [] },
    { name: "remove runs before rename: renamed values survive a remove of the target", config: { remove: ["b"], rename: { a: "b" } }, input: ["a", "1", "b", "2"], expected: ["b", "1"] },
    { name: "set runs after rename: it replaces renamed values", config: { rename: { a: "b" }, set: { b: "s" } }, input: ["a", "1"], expected: ["b", "s"] },
    { name: "set runs after remove: it re-adds a removed name", config: { remove: ["a"], set: { a: "s" } }, input: ["a", "1"], expected: ["a", "s"] },
    { name: "add runs after set", config: { set: { a: "s" }, add: { a: "x" } }, input: ["a", "1"], expected: ["a", "s", "a", "x"] },
    { name: "canonical Content-Type runs last (after rename)", config: { rename: { "x-ct": "content-type" }, canonicalContentType: true }, input: ["x-ct", "TEXT/HTML"], expected: ["content-type", "text/html"] },
    { name: "canonical Content-Type runs last (after add)", config: { add: { "content-type": "A/B;Q=1" }, canonicalContentType: true }, input: [], expected: ["content-type", "a/b; q=1"] },
  ];
  for (const c of cases) test(c.name, () => expect(run(c.config, c.input).out).toEqual(c.expected));
});

describe("placeholders", () => {
  const cases: { template: string; expected: string }[] = [
    { template: "{clientIp}", expected: "192.0.2.7" },
    { template: "{route}", expected: "users" },
    { template: "{requestId}", expected: "req-1" },
    { template: "{method}", expected: "GET" },
    { template: "{host}", expected: "api.example.com" },
    { template: "{path}", expected: "/users/42" },
    { template: "{param.id}", expected: "42" },
    { template: "{param.missing}", expected: "" },
    { template: "{header.x-user}", expected: "alice" },
    { template: "{header.X-User}", expected: "alice" },
    { template: "{header.x-absent}", expected: "" },
    { template: "user={header.x-user};tenant={header.x-tenant}", expected: "user=alice;tenant=t1" },
    { template: "{method} {path}", expected: "GET /users/42" },
    { template: "{{literal}}", expected: "{literal}" },
    { template: "{{{route}}}", expected: "{users}" },
    { template: "plain", expected: "plain" },
    { template: "", expected: "" },
  ];
  for (const c of cases) {
    test(JSON.stringify(c.template), () => {
      expect(run({ set: { "x-out": c.template } }, []).out).toEqual(["x-out", c.expected]);
    });
  }

  test("usesFacts is false for constants and true when a placeholder is used", () => {
    expect(compileHeaderRules({ set: { a: "x" }, add: { b: "{{y}}" }, remove: ["c"] }, "request").usesFacts).toBe(false);
    expect(compileHeaderRules({ add: { b: "{route}" } }, "request").usesFacts).toBe(true);
  });

  test("a constant rule never calls the facts", () => {
    const throwing = new Proxy({} as RequestFacts, { get: () => { throw new Error("facts read"); } });
    expect(run({ set: { a: "x" }, canonicalContentType: true }, ["content-type", "A/B"], "request", throwing).out).toEqual(["content-type", "a/b", "a", "x"]);
  });
});

describe("CR, LF and NUL from placeholders", () => {
  for (const bad of ["evil\r\nx-injected: 1", "line\nbreak", "nul\0byte", "\r"]) {
    test(`dropped and counted: ${JSON.stringify(bad)}`, () => {
      const f = factsWith({ "x-in": bad });
      const { out, dropped } = run({ set: { "x-out": "v={header.x-in}" }, add: { "x-also": "{header.x-in}", "x-fine": "ok" } }, ["x-out", "old"], "request", f);
      expect(dropped).toBe(2);
      // set already replaced the old value: the header is absent rather than stale
      expect(out).toEqual(["x-fine", "ok"]);
    });
  }

  test("a constant with CR/LF is never emitted (checkHeaderRules reports it)", () => {
    expect(run({ set: { "x-a": "a\r\nb" } }, []).out).toEqual([]);
  });
});

describe("names Keel owns are never touched, even if the config was not checked", () => {
  test("request: host and framing headers", () => {
    const input = ["host", "h", "content-length", "3", "x-a", "1"];
    const { out } = run({ remove: ["host", "content-length"], set: { "transfer-encoding": "chunked", connection: "close" }, rename: { "x-a": "te" } }, input);
    expect(out).toEqual(input);
  });

  test("response: host may be touched", () => {
    expect(run({ remove: ["host"] }, ["host", "h"], "response").out).toEqual([]);
  });
});

describe("removeServerHeaders", () => {
  const input = SERVER_HEADERS.flatMap((n) => [n, "x"]).concat(["content-type", "text/plain"]);

  test("drops the documented list on responses", () => {
    expect(SERVER_HEADERS).toEqual(["server", "x-powered-by", "x-aspnet-version", "x-aspnetmvc-version", "x-runtime", "x-generator"]);
    expect(run({ removeServerHeaders: true }, input, "response").out).toEqual(["content-type", "text/plain"]);
  });

  test("does nothing on requests", () => {
    expect(run({ removeServerHeaders: true }, input, "request").out).toEqual(input);
  });
});

describe("properties", () => {
  const unsafe = /[\r\n\0]/;
  const headerValue = fc.string({ unit: fc.constantFrom("a", "b", " ", "\r", "\n", "\0", "{", "}", "é", "\t"), maxLength: 12 });

  test("apply() never emits a value containing CR, LF or NUL", () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.constantFrom("x-a", "x-b", "content-type"), headerValue),
        fc.constantFrom("{header.x-a}", "pre {header.x-b} post", "{header.content-type}", "{param.p}", "{path}{host}"),
        fc.dictionary(fc.constantFrom("p"), headerValue),
        fc.string(),
        (clientHeaders, template, params, path) => {
          const f = { ...factsWith(clientHeaders, params), path, host: path };
          const headers = Object.entries(clientHeaders).flatMap(([n, v]) => (unsafe.test(v) ? [] : [n, v]));
          const rules = compileHeaderRules({ set: { "x-set": template }, add: { "content-type": template }, canonicalContentType: true }, "request");
          const dropped = rules.apply(headers, f);
          for (let i = 1; i < headers.length; i += 2) expect(unsafe.test(headers[i]!)).toBe(false);
          expect(dropped).toBeGreaterThanOrEqual(0);
          expect(dropped).toBeLessThanOrEqual(2);
        },
      ),
      { numRuns: 500 },
    );
  });
});
