import { test, expect } from "bun:test";
import { planOf, UPSTREAMS } from "./helpers.ts";

const MINIMAL = `${UPSTREAMS}routes:\n  - name: users\n    upstream: users\n`;

test("defaults fill everything not written", () => {
  const plan = planOf(MINIMAL);
  expect(plan.source).toBe("keel.yaml");
  expect(plan.listen).toEqual({ host: "0.0.0.0", port: 8080 });
  expect(plan.admin).toEqual({ host: "127.0.0.1", port: 9901 });
  expect(plan.server).toEqual({
    drainTimeoutMs: 30_000,
    idleTimeoutSeconds: 10,
    maxRequestBodyBytes: 128 * 1024 * 1024,
    maxUrlLength: 8192,
    maxHeaderBytes: null,
    maxHeaderCount: null,
    requestTimeoutMs: 60_000,
    trustedProxies: [],
    shedding: { maxInFlight: 10_000, maxEventLoopLagMs: 500 },
  });
  expect(plan.redis).toBeNull();
  expect(plan.requestId).toEqual({ header: "x-request-id", trustIncoming: false });
  expect(plan.upstreams.get("users")).toEqual({
    name: "users",
    endpoints: [{ url: "http://127.0.0.1:9001", host: "127.0.0.1", port: 9001, authority: "127.0.0.1:9001" }],
    balance: "p2c",
    connectTimeoutMs: 1000,
    maxIdlePerEndpoint: 64,
    idleTimeoutMs: 30_000,
    concurrency: null,
  });
  expect(plan.routes).toEqual([
    { name: "users", index: 0, match: { hosts: [], path: null, pathPrefix: null, methods: [], headers: [] }, upstream: "users", timeoutMs: 30_000, stripPrefix: null, budgetMs: null, maxRequestBodyBytes: 128 * 1024 * 1024, rateLimits: [], concurrency: null },
  ]);
});

test("the full config from the contract compiles as written", () => {
  const plan = planOf(`
listen: { port: 0, host: 127.0.0.1 }
admin: false
server: { drainTimeout: 5s, idleTimeout: 0s, maxRequestBody: 16kb }
requestId: { header: X-Trace-Id, trustIncoming: true }
upstreams:
  users:
    endpoints: [ "http://127.0.0.1:9001", "http://LocalHost", "http://[::1]:9003/" ]
    balance: round-robin
    connectTimeout: 250ms
    pool: { maxIdle: 0, idleTimeout: 1m }
  orders.v2: { endpoints: ["http://10.0.0.1:80"] }
routes:
  - name: users
    match:
      host: [API.Example.com:8443, "[::1]:80"]
      pathPrefix: /api/users
      methods: [get, POST, GET]
      headers: { X-Tenant: Acme }
    upstream: users
    timeout: 1.5s
    stripPrefix: true
  - name: order
    match: { path: /orders/:id, host: shop.example.com, methods: delete }
    upstream: orders.v2
`);
  expect(plan.listen).toEqual({ host: "127.0.0.1", port: 0 });
  expect(plan.admin).toBeNull();
  expect(plan.server).toMatchObject({ drainTimeoutMs: 5000, idleTimeoutSeconds: 0, maxRequestBodyBytes: 16384 });
  expect(plan.requestId).toEqual({ header: "x-trace-id", trustIncoming: true });
  const users = plan.upstreams.get("users")!;
  expect(users.endpoints).toEqual([
    { url: "http://127.0.0.1:9001", host: "127.0.0.1", port: 9001, authority: "127.0.0.1:9001" },
    { url: "http://LocalHost", host: "LocalHost", port: 80, authority: "LocalHost" },
    { url: "http://[::1]:9003/", host: "::1", port: 9003, authority: "[::1]:9003" },
  ]);
  expect([users.balance, users.connectTimeoutMs, users.maxIdlePerEndpoint, users.idleTimeoutMs]).toEqual(["round-robin", 250, 0, 60_000]);
  expect([...plan.upstreams.keys()]).toEqual(["users", "orders.v2"]);
  expect(plan.routes[0]).toEqual({
    name: "users",
    index: 0,
    match: { hosts: ["api.example.com", "[::1]"], path: null, pathPrefix: "/api/users", methods: ["GET", "POST"], headers: [{ name: "x-tenant", value: "Acme" }] },
    upstream: "users",
    timeoutMs: 1500,
    stripPrefix: "/api/users",
    budgetMs: null,
    maxRequestBodyBytes: 16384,
    rateLimits: [],
    concurrency: null,
  });
  expect(plan.routes[1]!.match).toEqual({ hosts: ["shop.example.com"], path: "/orders/:id", pathPrefix: null, methods: ["DELETE"], headers: [] });
  expect(plan.routes[1]!.index).toBe(1);
  expect(plan.routes[1]!.stripPrefix).toBeNull();
});

test("stripPrefix: false keeps the path", () => {
  const plan = planOf(`${UPSTREAMS}routes: [{ name: a, upstream: users, match: { pathPrefix: /a }, stripPrefix: false }]\n`);
  expect(plan.routes[0]!.stripPrefix).toBeNull();
});

test("idleTimeout rounds up to whole seconds, so it never turns into 'off'", () => {
  expect(planOf(`server: { idleTimeout: 500ms }\n${MINIMAL}`).server.idleTimeoutSeconds).toBe(1);
  expect(planOf(`server: { idleTimeout: 255s }\n${MINIMAL}`).server.idleTimeoutSeconds).toBe(255);
});

test("the plan is frozen, its upstream map included", () => {
  const plan = planOf(MINIMAL);
  expect(Object.isFrozen(plan)).toBe(true);
  expect(Object.isFrozen(plan.routes[0]!.match.hosts)).toBe(true);
  expect(Object.isFrozen(plan.upstreams.get("users")!.endpoints[0])).toBe(true);
  expect(() => ((plan.listen as { port: number }).port = 1)).toThrow();
  expect(() => (plan.upstreams as Map<string, unknown>).set("x", 1)).toThrow("read-only");
  expect(() => (plan.upstreams as Map<string, unknown>).delete("users")).toThrow("read-only");
  expect(plan.upstreams.size).toBe(1);
});

test("YAML anchors and aliases work", () => {
  const plan = planOf(`upstreams:\n  a: &up { endpoints: ["http://h:1"] }\n  b: *up\nroutes:\n  - { name: a, upstream: a }\n  - { name: b, upstream: b }\n`);
  expect(plan.upstreams.get("b")!.endpoints[0]!.authority).toBe("h:1");
});
