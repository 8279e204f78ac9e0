import { describe, expect, test } from "bun:test";
import { compileAggregate } from "../../src/aggregate/compile-aggregate.ts";
import type { AggregateConfig, CallFn, CallResult } from "../../src/aggregate/types.ts";

const calls = {
  user: { upstream: "users", path: "/users/{param.id}" },
  orders: { upstream: "orders", path: "/orders?user={param.id}" },
};

function agg(merge: "keys" | "deep", onPartialFailure: "fail" | "partial", c: AggregateConfig["calls"] = calls) {
  return compileAggregate({ calls: c, merge, onPartialFailure });
}

/** A CallFn answering from a table keyed by call name, recording what it was asked. */
function fake(answers: Record<string, CallResult>) {
  const seen: [string, string, string][] = [];
  const call: CallFn = async (name, upstream, target) => {
    seen.push([name, upstream, target]);
    return answers[name]!;
  };
  return { call, seen };
}

const ok = (body: unknown, status = 200): CallResult => ({ ok: true, status, body });
const down: CallResult = { ok: false, code: "KEEL_UPSTREAM_TIMEOUT", detail: "no answer within 1000 ms" };

describe("compileAggregate", () => {
  test("names and targets in config order, params encoded", () => {
    const a = agg("keys", "fail");
    expect(a.names).toEqual(["user", "orders"]);
    expect(a.target(0, { id: "7 x" })).toBe("/users/7%20x");
    expect(a.target(1, { id: "a&b" })).toBe("/orders?user=a%26b");
    expect(a.target(5, { id: "1" })).toBe("");
  });

  test("keys: each body under its call name; the CallFn gets name, upstream and filled target", async () => {
    const { call, seen } = fake({ user: ok({ name: "Ann" }), orders: ok([1, 2]) });
    expect(await agg("keys", "fail").run({ id: "a/b" }, call)).toEqual({ ok: true, body: { user: { name: "Ann" }, orders: [1, 2] }, failed: 0 });
    expect(seen).toEqual([
      ["user", "users", "/users/a%2Fb"],
      ["orders", "orders", "/orders?user=a%2Fb"],
    ]);
  });

  test("deep: bodies merged in call order", async () => {
    const { call } = fake({ user: ok({ id: 1, profile: { name: "Ann" }, tags: [1] }), orders: ok({ profile: { orders: 3 }, tags: [2] }) });
    expect(await agg("deep", "fail").run({ id: "1" }, call)).toEqual({ ok: true, body: { id: 1, profile: { name: "Ann", orders: 3 }, tags: [2] }, failed: 0 });
  });

  test("fail: one failure → not ok, with every failure listed", async () => {
    const { call } = fake({ user: ok({}), orders: down });
    expect(await agg("keys", "fail").run({ id: "1" }, call)).toEqual({ ok: false, errors: [{ call: "orders", code: "KEEL_UPSTREAM_TIMEOUT", detail: "no answer within 1000 ms" }] });
  });

  test("partial (keys): what arrived, the failed key as null, and an errors list", async () => {
    const { call } = fake({ user: ok({ name: "Ann" }), orders: down });
    expect(await agg("keys", "partial").run({ id: "1" }, call)).toEqual({
      ok: true,
      failed: 1,
      body: { user: { name: "Ann" }, orders: null, errors: [{ call: "orders", code: "KEEL_UPSTREAM_TIMEOUT", detail: "no answer within 1000 ms" }] },
    });
  });

  test("partial (deep): errors at the top level, replacing an upstream's own errors key", async () => {
    const { call } = fake({ user: ok({ name: "Ann", errors: ["theirs"] }), orders: down });
    const out = await agg("deep", "partial").run({ id: "1" }, call);
    expect(out).toEqual({ ok: true, failed: 1, body: { name: "Ann", errors: [{ call: "orders", code: "KEEL_UPSTREAM_TIMEOUT", detail: "no answer within 1000 ms" }] } });
  });

  test("partial (deep) with a non-object body: wrapped as { data, errors }", async () => {
    const { call } = fake({ user: ok([1, 2]), orders: down });
    const out = await agg("deep", "partial").run({ id: "1" }, call);
    expect(out.ok && out.body).toEqual({ data: [1, 2], errors: [{ call: "orders", code: "KEEL_UPSTREAM_TIMEOUT", detail: "no answer within 1000 ms" }] });
  });

  test("partial: all failed → not ok", async () => {
    const { call } = fake({ user: down, orders: { ok: false, code: "KEEL_UPSTREAM_CONNECT_REFUSED", detail: "refused", status: 502 } });
    expect(await agg("keys", "partial").run({ id: "1" }, call)).toEqual({
      ok: false,
      errors: [
        { call: "user", code: "KEEL_UPSTREAM_TIMEOUT", detail: "no answer within 1000 ms" },
        { call: "orders", status: 502, code: "KEEL_UPSTREAM_CONNECT_REFUSED", detail: "refused" },
      ],
    });
  });

  test("a non-2xx answer counts as failed, with its status", async () => {
    const { call } = fake({ user: ok({ e: 1 }, 404), orders: ok([], 204) });
    expect(await agg("keys", "partial").run({ id: "1" }, call)).toEqual({
      ok: true,
      failed: 1,
      body: { user: null, orders: [], errors: [{ call: "user", status: 404, code: "KEEL_UPSTREAM_ERROR_RESPONSE", detail: "the upstream answered 404" }] },
    });
  });

  test("a CallFn that throws or rejects counts as a failed call; run() still resolves", async () => {
    const call: CallFn = (name) => {
      if (name === "user") throw new Error("sync bug");
      return Promise.reject(new Error("async bug"));
    };
    expect(await agg("keys", "partial").run({ id: "1" }, call)).toEqual({
      ok: false,
      errors: [
        { call: "user", code: "KEEL_INTERNAL", detail: "the call failed: sync bug" },
        { call: "orders", code: "KEEL_INTERNAL", detail: "the call failed: async bug" },
      ],
    });
  });

  test("a call named __proto__ (as the YAML loader builds it) is an ordinary key", async () => {
    const c = JSON.parse('{"__proto__": {"upstream": "u", "path": "/p"}, "other": {"upstream": "u", "path": "/o"}}');
    const a = compileAggregate({ calls: c, merge: "keys", onPartialFailure: "fail" });
    expect(a.names).toEqual(["__proto__", "other"]);
    const out = await a.run({}, async (name) => ok(name));
    expect(out.ok && JSON.stringify(out.body)).toBe('{"__proto__":"__proto__","other":"other"}');
    expect(out.ok && Object.getPrototypeOf(out.body)).toBe(Object.prototype);
  });

  test("parallel: every call starts before any ends", async () => {
    const many = Object.fromEntries(["a", "b", "c", "d"].map((n) => [n, { upstream: n, path: "/" + n }]));
    const events: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const call: CallFn = async (name) => {
      events.push("start " + name);
      await gate;
      events.push("end " + name);
      return ok(name);
    };
    const running = agg("keys", "fail", many).run({}, call);
    // All four started synchronously, while the gate is still shut.
    expect(events).toEqual(["start a", "start b", "start c", "start d"]);
    release();
    expect(await running).toEqual({ ok: true, failed: 0, body: { a: "a", b: "b", c: "c", d: "d" } });
    expect(events.slice(4).sort()).toEqual(["end a", "end b", "end c", "end d"]);
  });
});
