import { expect, test } from "bun:test";
import { checkReply } from "../../src/hooks/check-reply.ts";

test("no reply → null", () => {
  expect(checkReply(undefined)).toBeNull();
  expect(checkReply(null)).toBeNull();
});

const good: unknown[] = [
  { status: 401 },
  { status: 200, body: { a: 1 } },
  { status: 599, headers: {} },
  { status: 403, headers: { "www-authenticate": "Bearer", "X-Reason": "no token" }, body: "text" },
];
for (const reply of good) {
  test(`usable: ${JSON.stringify(reply)}`, () => {
    expect(checkReply(reply) as unknown).toBe(reply);
  });
}

const bad: [string, unknown, string][] = [
  ["a number", 401, "onRequest returned a number"],
  ["a string", "deny", "onRequest returned a string"],
  ["an array", [401], "onRequest returned an array"],
  ["no status", { body: 1 }, "reply status must be an integer from 200 to 599, got a undefined"],
  ["status as string", { status: "401" }, 'got "401"'],
  ["fractional status", { status: 401.5 }, "got 401.5"],
  ["1xx status", { status: 100 }, "got 100"],
  ["status too high", { status: 600 }, "got 600"],
  ["headers as array", { status: 401, headers: [["a", "b"]] }, "reply headers must be a mapping of names to strings, got an array"],
  ["headers as null", { status: 401, headers: null }, "got null"],
  ["non-string header value", { status: 401, headers: { "x-a": 1 } }, "reply header x-a must be a string, got 1"],
  ["CRLF in header value", { status: 401, headers: { "x-a": "a\r\nset-cookie: s=1" } }, "reply header x-a contains CR, LF or NUL"],
  ["invalid header name", { status: 401, headers: { "bad name": "v" } }, 'reply header name "bad name" is not a valid field name'],
];
for (const [what, reply, message] of bad) {
  test(`refused: ${what}`, () => {
    const out = checkReply(reply);
    expect(typeof out).toBe("string");
    expect(out as string).toContain(message);
  });
}
