// Aggregation over two real HTTP backends (Bun.serve on port 0), driven by a CallFn using fetch.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { compileAggregate } from "../../src/aggregate/compile-aggregate.ts";
import type { CallFn } from "../../src/aggregate/types.ts";

let users: ReturnType<typeof Bun.serve>;
let orders: ReturnType<typeof Bun.serve>;

beforeAll(() => {
  users = Bun.serve({
    port: 0,
    fetch(req) {
      const path = req.url.slice(req.url.indexOf("/", 8));
      if (path === "/users/missing") return Response.json({ error: "no such user" }, { status: 404 });
      // Echo the raw path: the test checks what the gateway actually put on the wire.
      return Response.json({ id: decodeURIComponent(path.slice("/users/".length)), rawPath: path });
    },
  });
  orders = Bun.serve({
    port: 0,
    fetch(req) {
      const user = new URL(req.url).searchParams.get("user");
      return Response.json([{ id: 1, user }, { id: 2, user }]);
    },
  });
});
afterAll(() => {
  users.stop(true);
  orders.stop(true);
});

const ports = (): Record<string, number> => ({ users: users.port!, orders: orders.port! });

const viaFetch: CallFn = async (_name, upstream, target) => {
  try {
    const res = await fetch(`http://127.0.0.1:${ports()[upstream]}${target}`);
    return { ok: true, status: res.status, body: await res.json() };
  } catch (e) {
    return { ok: false, code: "KEEL_UPSTREAM_UNREACHABLE", detail: String(e) };
  }
};

const aggregate = (onPartialFailure: "fail" | "partial") =>
  compileAggregate({
    calls: {
      user: { upstream: "users", path: "/users/{param.id}" },
      orders: { upstream: "orders", path: "/orders?user={param.id}" },
    },
    merge: "keys",
    onPartialFailure,
  });

test("two real backends merged under keys, the param encoded on the wire", async () => {
  const out = await aggregate("fail").run({ id: "ann & bob/1" }, viaFetch);
  expect(out).toEqual({
    ok: true,
    failed: 0,
    body: {
      user: { id: "ann & bob/1", rawPath: "/users/ann%20%26%20bob%2F1" },
      orders: [{ id: 1, user: "ann & bob/1" }, { id: 2, user: "ann & bob/1" }],
    },
  });
});

test("a real 404 counts as failed: partial keeps the other call's body", async () => {
  const out = await aggregate("partial").run({ id: "missing" }, viaFetch);
  expect(out).toEqual({
    ok: true,
    failed: 1,
    body: {
      user: null,
      orders: [{ id: 1, user: "missing" }, { id: 2, user: "missing" }],
      errors: [{ call: "user", status: 404, code: "KEEL_UPSTREAM_ERROR_RESPONSE", detail: "the upstream answered 404" }],
    },
  });
});
