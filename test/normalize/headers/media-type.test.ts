import { describe, expect, test } from "bun:test";
import { isJsonType, mediaTypeOf } from "../../../src/normalize/headers/media-type.ts";

describe("mediaTypeOf", () => {
  const table: [string | null, string][] = [
    [null, ""],
    ["", ""],
    ["application/json", "application/json"],
    ["Application/JSON; charset=utf-8", "application/json"],
    ["  text/html ;q=1", "text/html"],
    [";charset=utf-8", ""],
  ];
  for (const [input, want] of table) test(`${JSON.stringify(input)} → ${JSON.stringify(want)}`, () => expect(mediaTypeOf(input)).toBe(want));
});

describe("isJsonType", () => {
  const table: [string | null, boolean][] = [
    [null, false],
    ["", false],
    ["application/json", true],
    ["APPLICATION/JSON;charset=utf-8", true],
    ["application/problem+json", true],
    ["application/vnd.api+json; ext=x", true],
    ["text/json", false],
    ["application/jsonx", false],
    ["text/plain", false],
  ];
  for (const [input, want] of table) test(`${JSON.stringify(input)} → ${want}`, () => expect(isJsonType(input)).toBe(want));
});
