import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { keyConverter, toCamelCase, toSnakeCase } from "../../../src/normalize/json/key-case.ts";

describe("camelCase", () => {
  const table: [string, string][] = [
    ["created_at", "createdAt"],
    ["user-name", "userName"],
    ["createdAt", "createdAt"],
    ["ID", "ID"],
    ["userId", "userId"],
    ["USER_ID", "USERID"],
    ["a__b", "aB"],
    ["a_-b", "aB"],
    ["item_2", "item2"],
    ["_id", "_id"],
    ["__v", "__v"],
    ["__proto__", "__proto__"],
    ["x_", "x_"],
    ["_private_key", "_privateKey"],
    ["-", "-"],
    ["", ""],
    ["über_straße", "überStraße"],
    ["a_é", "aÉ"],
    ["first name", "first name"],
  ];
  for (const [from, to] of table) test(`"${from}" → "${to}"`, () => expect(toCamelCase(from)).toBe(to));
});

describe("snake_case", () => {
  const table: [string, string][] = [
    ["createdAt", "created_at"],
    ["userID", "user_id"],
    ["XMLHttpRequest", "xml_http_request"],
    ["user-name", "user_name"],
    ["ID", "id"],
    ["already_snake", "already_snake"],
    ["item2Name", "item2_name"],
    ["a_B", "a_b"],
    ["_privateKey", "_private_key"],
    ["__Proto__", "__proto__"],
    ["-x-", "-x-"],
    ["Name", "name"],
    ["", ""],
    ["straßeÜber", "straße_über"],
  ];
  for (const [from, to] of table) test(`"${from}" → "${to}"`, () => expect(toSnakeCase(from)).toBe(to));
});

test("camelCase and snake_case round-trip lower snake keys whose words are longer than one letter", () => {
  for (const key of ["created_at", "user_id", "first_name_here", "x"]) expect(toSnakeCase(toCamelCase(key))).toBe(key);
  // One-letter words are ambiguous: "a_b_c" → "aBC" reads back as the acronym "BC".
  expect(toSnakeCase(toCamelCase("a_b_c"))).toBe("a_bc");
});

test("both are idempotent and the cached converters agree with the plain ones", () => {
  const camel = keyConverter("camelCase");
  const snake = keyConverter("snake_case");
  fc.assert(
    fc.property(fc.string({ maxLength: 80 }), (key) => {
      expect(toCamelCase(toCamelCase(key))).toBe(toCamelCase(key));
      expect(toSnakeCase(toSnakeCase(key))).toBe(toSnakeCase(key));
      expect(camel(key)).toBe(toCamelCase(key));
      expect(camel(key)).toBe(toCamelCase(key)); // second call: from the cache
      expect(snake(key)).toBe(toSnakeCase(key));
    }),
  );
});
