// TypeScript hooks and aggregation through the running gateway with real backends.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { startBackend, type Backend } from "../../support/backend.ts";
import { startKeel, type TestGateway } from "../../support/gateway.ts";

// Response bodies in these tests are JSON whose shape each test states.
const j = (r: Response): Promise<any> => r.json();

describe("hooks and aggregation", () => {
  let users: Backend;
  let orders: Backend;
  let gw: TestGateway;
  let ordersDown = false;

  beforeAll(() => {
    users = startBackend((_req, rec) => Response.json({ id: rec.target.split("/")[2], name: "Ada", profile: { city: "London" }, hooked: rec.headers.get("x-hooked"), body: rec.body }));
    orders = startBackend(async (_req, rec) => {
      if (rec.target.includes("slow")) await Bun.sleep(400);
      if (ordersDown) return new Response("down", { status: 503 });
      return Response.json({ orders: [1, 2], profile: { tier: "gold" } });
    });
    const hooks = join(import.meta.dir, "hooks", "users-hooks.ts");
    gw = startKeel(`upstreams:
  users: { endpoints: ["http://${users.authority}"] }
  orders: { endpoints: ["http://${orders.authority}"] }
routes:
  - name: hooked
    match: { path: /users/:id }
    upstream: users
    hooks: { module: "${hooks}", timeout: 100ms }
    normalize:
      request:
        json: { keys: camelCase }
      response:
        json: { omit: [ body ] }
  - name: profile
    match: { path: /profile/:id }
    aggregate:
      calls:
        user: { upstream: users, path: "/users/{param.id}" }
        orders: { upstream: orders, path: "/orders?user={param.id}" }
  - name: merged
    match: { path: /merged/:id }
    aggregate:
      merge: deep
      onPartialFailure: partial
      calls:
        user: { upstream: users, path: "/users/{param.id}" }
        orders: { upstream: orders, path: "/orders/{param.id}" }
  - name: tight
    match: { path: /tight/:id }
    budget: 150ms
    aggregate:
      calls:
        user: { upstream: users, path: "/users/{param.id}" }
        orders: { upstream: orders, path: "/orders/slow" }
`);
  });

  afterAll(async () => {
    await gw?.stop();
    users?.stop();
    orders?.stop();
  });

  const url = (p: string) => `${gw.url}${p}`;

  test("onRequest changes what is forwarded; onResponse reshapes the answer", async () => {
    const res = await fetch(url("/users/7"), { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ first_name: "Ada" }) });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-hook-status")).toBe("200");
    const body = await j(res);
    expect(body.requestId).toBe(res.headers.get("x-request-id"));
    expect(body.data.hooked).toBe("hooked:7");
    expect(JSON.parse(users.requests.at(-1)!.body)).toEqual({ firstName: "Ada", viaHook: true });
  });

  test("a reply from onRequest answers without calling the upstream", async () => {
    const before = users.requests.length;
    const res = await fetch(url("/users/7"), { headers: { "x-deny": "1" } });
    expect(res.status).toBe(401);
    expect(await j(res)).toEqual({ error: "denied by hook" });
    expect(users.requests.length).toBe(before);
  });

  test("a throwing hook → 500 KEEL_HOOK_FAILED; a hanging one → 500 KEEL_HOOK_TIMEOUT; the gateway keeps serving", async () => {
    const thrown = await fetch(url("/users/7"), { headers: { "x-throw": "1" } });
    expect(thrown.status).toBe(500);
    const p = await j(thrown);
    expect(p.code).toBe("KEEL_HOOK_FAILED");
    expect(p.detail).toContain("hook exploded");
    const hung = await fetch(url("/users/7"), { headers: { "x-hang": "1" } });
    expect(hung.status).toBe(500);
    expect((await j(hung)).code).toBe("KEEL_HOOK_TIMEOUT");
    expect((await fetch(url("/users/8"))).status).toBe(200);
    const metrics = await (await fetch(`${gw.adminUrl}/metrics`)).text();
    expect(metrics).toMatch(/keel_hook_calls_total\{route="hooked",hook="onRequest"\} [1-9]/);
    expect(metrics).toContain('keel_problems_total{route="hooked",code="KEEL_HOOK_TIMEOUT"} 1');
  });

  test("aggregation: calls in parallel, bodies under their call names", async () => {
    const res = await fetch(url("/profile/42"));
    expect(res.status).toBe(200);
    const body = await j(res);
    expect(body.user.id).toBe("42");
    expect(body.orders.orders).toEqual([1, 2]);
    expect(orders.requests.at(-1)!.target).toBe("/orders?user=42");
  });

  test("deep merge, and a partial failure returns what arrived plus an errors list", async () => {
    const ok = await j(await fetch(url("/merged/5")));
    expect(ok.profile).toEqual({ city: "London", tier: "gold" });
    expect(ok.name).toBe("Ada");
    ordersDown = true;
    try {
      const res = await fetch(url("/merged/5"));
      expect(res.status).toBe(200);
      const body = await j(res);
      expect(body.name).toBe("Ada");
      expect(body.errors).toEqual([expect.objectContaining({ call: "orders", status: 503, code: "KEEL_UPSTREAM_ERROR_RESPONSE" })]);
      const failed = await fetch(url("/profile/5"));
      expect(failed.status).toBe(502);
      const p = await j(failed);
      expect(p.code).toBe("KEEL_AGGREGATE_FAILED");
      expect(p.errors[0].call).toBe("orders");
    } finally {
      ordersDown = false;
    }
  });

  test("the route budget bounds the calls: a slow call → 504 KEEL_BUDGET_EXHAUSTED", async () => {
    const res = await fetch(url("/tight/1"));
    expect(res.status).toBe(504);
    expect((await j(res)).code).toBe("KEEL_BUDGET_EXHAUSTED");
  });
});
