import { expect, test } from "bun:test";
import fc from "fast-check";
import { serializeJson } from "../../../src/normalize/json/serialize-json.ts";

const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

test("UTF-8 JSON text", () => {
  expect(text(serializeJson({ a: [1, "é 🎉", null, true] }))).toBe(`{"a":[1,"é 🎉",null,true]}`);
  expect(text(serializeJson(JSON.parse(`{"__proto__":1}`)))).toBe(`{"__proto__":1}`);
  expect(text(serializeJson(undefined))).toBe("null");
});

test("every call returns its own bytes", () => {
  const a = serializeJson({ n: 1 });
  const b = serializeJson({ n: 2 });
  expect(a).not.toBe(b);
  a[0] = 0;
  expect(text(b)).toBe(`{"n":2}`);
  expect(serializeJson({ n: 3 }).buffer).not.toBe(b.buffer);
});

test("round-trips JSON values", () => {
  fc.assert(
    fc.property(fc.jsonValue({ maxDepth: 5 }), (value) => {
      expect(JSON.parse(text(serializeJson(value)))).toEqual(JSON.parse(JSON.stringify(value)));
    }),
    { numRuns: 300 },
  );
});
