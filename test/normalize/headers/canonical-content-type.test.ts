import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { canonicalContentType } from "../../../src/normalize/headers/canonical-content-type.ts";

describe("canonicalContentType", () => {
  const cases: [string, string][] = [
    ["Application/JSON;Charset=UTF-8", "application/json; charset=utf-8"],
    ["application/json", "application/json"],
    ["  text/html  ", "text/html"],
    ["text/html;charset=ISO-8859-1", "text/html; charset=iso-8859-1"],
    ["text/plain ; charset=utf-8 ; format=Flowed", "text/plain; charset=utf-8; format=Flowed"],
    ["multipart/form-data; boundary=\"abc\"", "multipart/form-data; boundary=abc"],
    ["multipart/form-data; Boundary=\"a b:c\"", "multipart/form-data; boundary=\"a b:c\""],
    ["text/plain; charset=\"UTF-8\"", "text/plain; charset=utf-8"],
    ["text/plain; x=\"a\\\"b\"", "text/plain; x=\"a\\\"b\""],
    ["text/plain; x=\"a\\bc\"", "text/plain; x=abc"],
    ["text/plain;;charset=utf-8;", "text/plain; charset=utf-8"],
    ["text/plain; charset=", "text/plain"],
    ["text/plain; charset=\"\"", "text/plain"],
    ["text/plain; charset = utf-8", "text/plain; charset=utf-8"],
    ["application/vnd.API+JSON", "application/vnd.api+json"],
    ["\ttext/plain\t;\tq=1", "text/plain; q=1"],
    // malformed: returned unchanged
    ["", ""],
    ["json", "json"],
    ["text/", "text/"],
    ["/html", "/html"],
    ["text/html, application/json", "text/html, application/json"],
    ["text/plain; charset", "text/plain; charset"],
    ["text/plain; =utf-8", "text/plain; =utf-8"],
    ["text/plain; x=\"unterminated", "text/plain; x=\"unterminated"],
    ["text/plain; x=\"a\"b", "text/plain; x=\"a\"b"],
    ["text/plain; x=a b", "text/plain; x=a b"],
    ["Text/Plain\r\n", "Text/Plain\r\n"],
    ["text/plain; x=\"ünï\"", "text/plain; x=\"ünï\""],
    ["text/plain; x=\"€\"", "text/plain; x=\"€\""],
  ];
  for (const [input, expected] of cases) {
    test(JSON.stringify(input), () => expect(canonicalContentType(input)).toBe(expected));
  }

  test("idempotent on its own output", () => {
    for (const [input] of cases) {
      const once = canonicalContentType(input);
      expect(canonicalContentType(once)).toBe(once);
    }
  });

  test("never throws on arbitrary strings, and is idempotent", () => {
    const contentTypeish = fc.string({ unit: fc.constantFrom("a", "B", "/", ";", "=", '"', "\\", " ", "\t", "\r", "+", "-", "é", "€", ","), maxLength: 30 });
    fc.assert(
      fc.property(fc.oneof(fc.string(), contentTypeish, fc.string({ unit: "binary" })), (s) => {
        const out = canonicalContentType(s);
        expect(typeof out).toBe("string");
        expect(canonicalContentType(out)).toBe(out);
      }),
      { numRuns: 2000 },
    );
  });
});
