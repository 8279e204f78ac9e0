import { test, expect } from "bun:test";
import { compileKey, KEY_SEPARATOR, type KeyInput } from "../../../src/limits/rate/limit-key.ts";
import type { KeyPart } from "../../../src/limits/types.ts";

function input(headers: Record<string, string> = {}, params: Record<string, string> = {}): KeyInput {
  return {
    clientIp: "192.0.2.1",
    route: "api",
    header: (name) => headers[name] ?? null,
    param: (name) => params[name] ?? null,
  };
}

const ip: KeyPart = { kind: "clientIp" };
const route: KeyPart = { kind: "route" };
const apiKey: KeyPart = { kind: "header", name: "x-api-key" };
const tenant: KeyPart = { kind: "param", name: "tenant" };

test.each([
  ["no parts: one bucket", [], input(), ""],
  ["client ip", [ip], input(), "192.0.2.1"],
  ["route", [route], input(), "api"],
  ["header", [apiKey], input({ "x-api-key": "k1" }), "k1"],
  ["missing header: the empty string", [apiKey], input(), ""],
  ["param", [tenant], input({}, { tenant: "acme" }), "acme"],
  ["missing param", [tenant], input(), ""],
  ["two parts", [ip, apiKey], input({ "x-api-key": "k1" }), `192.0.2.1${KEY_SEPARATOR}k1`],
  ["two parts, one missing", [apiKey, ip], input(), `${KEY_SEPARATOR}192.0.2.1`],
  ["four parts", [route, ip, apiKey, tenant], input({ "x-api-key": "k" }, { tenant: "t" }), ["api", "192.0.2.1", "k", "t"].join("\u0000")],
] as const)("%s", (_name, parts, req, key) => {
  expect(compileKey(parts)(req)).toBe(key);
});

test("parts cannot run into each other", () => {
  const key = compileKey([apiKey, { kind: "header", name: "x-user" }]);
  expect(key(input({ "x-api-key": "ab", "x-user": "c" }))).not.toBe(key(input({ "x-api-key": "a", "x-user": "bc" })));
});
