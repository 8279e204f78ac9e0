import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { compileTemplate, encodeValue, parseTemplate } from "../../src/aggregate/path-template.ts";

describe("compileTemplate", () => {
  const rows: [string, Record<string, string>, string][] = [
    ["/users", {}, "/users"],
    ["/users/{param.id}", { id: "42" }, "/users/42"],
    ["/users/{param.id}/orders?since={param.since}&x=1", { id: "a/b", since: "2024-01-01 10:00" }, "/users/a%2Fb/orders?since=2024-01-01%2010%3A00&x=1"],
    ["/q?term={param.t}", { t: "a&b=c#d" }, "/q?term=a%26b%3Dc%23d"],
    ["/users/{param.id}", { id: ".." }, "/users/%2E%2E"],
    ["/users/{param.id}", { id: "." }, "/users/%2E"],
    ["/users/{param.id}", { id: "a.b" }, "/users/a.b"],
    ["/q?v={param.v}", { v: ".." }, "/q?v=.."],
    ["/files/{param.a}{param.b}", { a: ".", b: "." }, "/files/%2E%2E"],
    ["/users/{param.id}", { id: "é?" }, "/users/%C3%A9%3F"],
    ["/users/{param.id}", {}, "/users/"],
    ["/users/{param.id}", { id: "\uD800x" }, "/users/%EF%BF%BDx"],
    ["/keep/{other}", {}, "/keep/{other}"],
  ];
  for (const [path, params, expected] of rows) {
    test(`${path} with ${JSON.stringify(params)} → ${expected}`, () => {
      expect(compileTemplate(path)(params)).toBe(expected);
    });
  }

  test("property: a path value round-trips through decodeURIComponent and adds no structure", () => {
    const fill = compileTemplate("/u/{param.v}/x?q={param.v}");
    fc.assert(
      fc.property(fc.string(), (v) => {
        const out = fill({ v });
        const path = out.slice(0, out.indexOf("?"));
        const segment = path.slice(3, -2);
        const wellFormed = v.toWellFormed();
        expect(decodeURIComponent(segment)).toBe(wellFormed);
        expect(segment).not.toMatch(/[/?#]/);
        expect(segment === "." || segment === "..").toBe(false);
        expect(decodeURIComponent(out.slice(out.indexOf("?q=") + 3))).toBe(wellFormed);
      }),
    );
  });
});

describe("parseTemplate problems", () => {
  const rows: [string, string[]][] = [
    ["/users/{param.id}", []],
    ["/users/{id}", ["unknown placeholder {id}; the only placeholder is {param.NAME}"]],
    ["/users/{param.}", ["unknown placeholder {param.}; the only placeholder is {param.NAME}"]],
    ["/users/{param.id", ['a "{" without its "}" at offset 7']],
    ["/users/param.id}", ['a "}" without its "{" at offset 15']],
  ];
  for (const [path, problems] of rows) {
    test(path, () => {
      expect(parseTemplate(path).problems).toEqual(problems);
    });
  }
});

test("encodeValue leaves unreserved characters alone", () => {
  expect(encodeValue("abc-_.~123", false)).toBe("abc-_.~123");
});
