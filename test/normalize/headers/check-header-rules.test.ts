import { describe, expect, test } from "bun:test";
import { checkHeaderRules, type HeaderRulesConfig } from "../../../src/normalize/headers/header-rules.ts";

type Case = { name: string; config: HeaderRulesConfig; direction?: "request" | "response"; params?: string[]; at: (string | number)[]; message: RegExp };

const problems: Case[] = [
  { name: "unknown placeholder, with a did-you-mean", config: { set: { "x-a": "{clientip}" } }, at: ["set", "x-a"], message: /unknown placeholder "\{clientip\}" \(did you mean "\{clientIp\}"\?\)/ },
  { name: "unknown placeholder, no close match", config: { add: { "x-a": "{foo}" } }, at: ["add", "x-a"], message: /unknown placeholder "\{foo\}"; known: \{clientIp\}/ },
  { name: "misspelt prefix", config: { set: { "x-a": "{params.id}" } }, params: ["id"], at: ["set", "x-a"], message: /did you mean "\{param\.id\}"/ },
  { name: "unbalanced {", config: { set: { "x-a": "a{route" } }, at: ["set", "x-a"], message: /unbalanced "\{" at position 1 \(write "\{\{"/ },
  { name: "unbalanced }", config: { set: { "x-a": "a}b" } }, at: ["set", "x-a"], message: /unbalanced "\}" at position 1/ },
  { name: "nested braces", config: { set: { "x-a": "{a{route}}" } }, at: ["set", "x-a"], message: /unbalanced "\{"/ },
  { name: "empty param name", config: { set: { "x-a": "{param.}" } }, at: ["set", "x-a"], message: /needs a path parameter name/ },
  { name: "invalid header name in a placeholder", config: { set: { "x-a": "{header.a b}" } }, at: ["set", "x-a"], message: /"a b" is not a header name/ },
  { name: "param the route lacks", config: { set: { "x-a": "{param.x}" } }, params: ["id"], at: ["set", "x-a"], message: /the route's path has no :x segment; its path params: :id/ },
  { name: "param on a route without params", config: { add: { "x-a": "{param.x}" } }, at: ["add", "x-a"], message: /its path params: \(none\)/ },
  { name: "CR/LF in a constant", config: { set: { "x-a": "a\r\nb" } }, at: ["set", "x-a"], message: /CR, LF or NUL/ },
  { name: "set content-length", config: { set: { "Content-Length": "1" } }, at: ["set", "Content-Length"], message: /"content-length" frames the message/ },
  { name: "add transfer-encoding", config: { add: { "transfer-encoding": "chunked" } }, at: ["add", "transfer-encoding"], message: /Keel manages it/ },
  { name: "remove connection", config: { remove: ["x-ok", "connection"] }, at: ["remove", 1], message: /"connection"/ },
  { name: "remove host on a request", config: { remove: ["host"] }, at: ["remove", 0], message: /"host"/ },
  { name: "rename to keep-alive", config: { rename: { "x-a": "keep-alive" } }, at: ["rename", "x-a"], message: /"keep-alive"/ },
  { name: "rename from upgrade", config: { rename: { upgrade: "x-a" } }, at: ["rename", "upgrade"], message: /"upgrade"/ },
  { name: "set te", config: { set: { te: "trailers" } }, at: ["set", "te"], message: /"te"/ },
  { name: "set trailer", config: { set: { trailer: "x" } }, direction: "response", at: ["set", "trailer"], message: /"trailer"/ },
  { name: "invalid header name", config: { set: { "x a": "1" } }, at: ["set", "x a"], message: /"x a" is not a valid header name/ },
  { name: "rename to a removed name", config: { remove: ["x-b"], rename: { "x-a": "X-B" } }, at: ["rename", "x-a"], message: /renames to "x-b", which is also in remove/ },
  { name: "rename of a removed name", config: { remove: ["x-a"], rename: { "X-A": "x-b" } }, at: ["rename", "X-A"], message: /"x-a" is also in remove, which runs first/ },
  { name: "rename to itself", config: { rename: { "X-A": "x-a" } }, at: ["rename", "X-A"], message: /renames "X-A" to itself/ },
  { name: "set names differing only in case", config: { set: { "X-A": "1", "x-a": "2" } }, at: ["set", "x-a"], message: /"X-A" and "x-a" name the same header/ },
  { name: "removeServerHeaders on a request", config: { removeServerHeaders: true }, direction: "request", at: ["removeServerHeaders"], message: /responses only/ },
];

describe("checkHeaderRules reports", () => {
  for (const c of problems) {
    test(c.name, () => {
      const found = checkHeaderRules(c.config, c.direction ?? "request", c.params ?? []);
      expect(found.length).toBe(1);
      expect(found[0]!.at).toEqual(c.at);
      expect(found[0]!.message).toMatch(c.message);
    });
  }
});

describe("checkHeaderRules accepts", () => {
  const fine: { name: string; config: HeaderRulesConfig; direction: "request" | "response"; params?: string[] }[] = [
    { name: "every placeholder", config: { set: { "x-a": "{clientIp} {route} {requestId} {method} {host} {path} {param.id} {header.X-User} {{x}}" } }, direction: "request", params: ["id"] },
    { name: "host on a response", config: { set: { host: "h" } }, direction: "response" },
    { name: "removeServerHeaders on a response", config: { removeServerHeaders: true, canonicalContentType: true }, direction: "response" },
    { name: "remove, rename, set and add together", config: { remove: ["x-a"], rename: { "x-b": "x-c" }, set: { "x-c": "1" }, add: { "X-D": "2", "x-d": "3" } }, direction: "request" },
    { name: "an empty config", config: {}, direction: "request" },
  ];
  for (const c of fine) test(c.name, () => expect(checkHeaderRules(c.config, c.direction, c.params ?? [])).toEqual([]));
});
