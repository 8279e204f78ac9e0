import { expect, test } from "bun:test";
import { checkAggregate } from "../../src/aggregate/check-aggregate.ts";
import type { AggregateConfig } from "../../src/aggregate/types.ts";

function config(calls: Record<string, string>, merge: "keys" | "deep" = "keys"): AggregateConfig {
  return { calls: Object.fromEntries(Object.entries(calls).map(([n, path]) => [n, { upstream: "u", path }])), merge, onPartialFailure: "fail" };
}

const rows: [string, AggregateConfig, string[], { at: (string | number)[]; message: string }[]][] = [
  ["valid", config({ user: "/users/{param.id}", orders: "/orders?user={param.id}" }), ["id"], []],
  ["no placeholders, no params", config({ stats: "/stats" }), [], []],
  ["unknown param", config({ user: "/users/{param.uid}" }), ["id"], [{ at: ["calls", "user", "path"], message: "{param.uid} names no route parameter; the route path has :id" }]],
  ["param but the route has none", config({ user: "/users/{param.id}" }), [], [{ at: ["calls", "user", "path"], message: "{param.id} names no route parameter; the route path has no :params" }]],
  ["unknown placeholder", config({ user: "/users/{id}" }), ["id"], [{ at: ["calls", "user", "path"], message: "unknown placeholder {id}; the only placeholder is {param.NAME}" }]],
  ["relative path", config({ user: "users" }), [], [{ at: ["calls", "user", "path"], message: 'the path must start with "/", got "users"' }]],
  ["reserved name under keys", config({ errors: "/e" }), [], [{ at: ["calls", "errors"], message: 'the call name "errors" is reserved under merge: keys (a partial answer lists failed calls there)' }]],
  ["errors is fine under deep", config({ errors: "/e" }, "deep"), [], []],
];
for (const [what, cfg, params, expected] of rows) {
  test(`checkAggregate: ${what}`, () => {
    expect(checkAggregate(cfg, params)).toEqual(expected);
  });
}
