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
    normalizePath: expect.any(Function),
  });
  expect(plan.redis).toBeNull();
  expect(plan.requestId).toEqual({ header: "x-request-id", trustIncoming: false });
  expect(plan.upstreams.get("users")).toEqual({
    name: "users",
    endpoints: [{ url: "http://127.0.0.1:9001", host: "127.0.0.1", port: 9001, authority: "127.0.0.1:9001", weight: 1 }],
    balance: "p2c",
    hashKey: null,
    connectTimeoutMs: 1000,
    maxIdlePerEndpoint: 64,
    idleTimeoutMs: 30_000,
    concurrency: null,
    healthCheck: null,
    outlier: null,
    breaker: null,
    retryBudget: { ratio: 0.2, minPerSecond: 10, windowMs: 10_000 },
  });
  expect(plan.routes).toEqual([
    { name: "users", index: 0, match: { hosts: [], path: null, pathPrefix: null, methods: [], headers: [] }, upstream: "users", timeoutMs: 30_000, stripPrefix: null, budgetMs: null, maxRequestBodyBytes: 128 * 1024 * 1024, rateLimits: [], concurrency: null, retry: null, hedge: null, normalize: null, validator: null, hooks: null, aggregate: null },
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
    { url: "http://127.0.0.1:9001", host: "127.0.0.1", port: 9001, authority: "127.0.0.1:9001", weight: 1 },
    { url: "http://LocalHost", host: "LocalHost", port: 80, authority: "LocalHost", weight: 1 },
    { url: "http://[::1]:9003/", host: "::1", port: 9003, authority: "[::1]:9003", weight: 1 },
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
    retry: null,
    hedge: null,
    normalize: null,
    validator: null,
    hooks: null,
    aggregate: null,
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

test("limits compile: named and inline policies, key parts, shared defaults, concurrency and budget", () => {
  const plan = planOf(`
redis: { url: "redis://127.0.0.1:6379" }
server: { trustedProxies: [10.0.0.0/8], maxUrlLength: 1kb, shedding: { maxInFlight: 0, maxEventLoopLag: 0s } }
rateLimits:
  per-ip: { rate: 100/s, burst: 20 }
  per-key: { rate: 6000/min, key: [header:X-Api-Key, route], maxKeys: 5, shared: true }
${UPSTREAMS}routes:
  - name: users
    match: { path: /users/:id }
    upstream: users
    budget: 50ms
    maxRequestBody: 1kb
    rateLimit: [per-ip, per-key, { rate: 1/h, key: param:id, shared: { failureMode: closed, localShare: 0.5, leaseTtl: 1s } }]
    concurrency: { max: 10, queue: 5, adaptive: { minLimit: 2 } }
`);
  const r = plan.routes[0]!;
  expect(r.budgetMs).toBe(50);
  expect(r.maxRequestBodyBytes).toBe(1024);
  expect(r.rateLimits).toEqual([
    { name: "per-ip", count: 100, periodMs: 1000, burst: 20, key: [{ kind: "clientIp" }], maxKeys: 100_000, shared: null },
    {
      name: "per-key",
      count: 6000,
      periodMs: 60_000,
      burst: 6000,
      key: [{ kind: "header", name: "x-api-key" }, { kind: "route" }],
      maxKeys: 5,
      shared: { failureMode: "open", localShare: 1, leaseTtlMs: 2000 },
    },
    { name: "users#3", count: 1, periodMs: 3_600_000, burst: 1, key: [{ kind: "param", name: "id" }], maxKeys: 100_000, shared: { failureMode: "closed", localShare: 0.5, leaseTtlMs: 1000 } },
  ]);
  expect(r.concurrency).toEqual({
    max: 10,
    queue: 5,
    queueTimeoutMs: 1000,
    queueTargetMs: 5,
    queueIntervalMs: 100,
    adaptive: { minLimit: 2, maxLimit: 10, initialLimit: 10, windowMs: 1000, tolerance: 1.5 },
  });
  expect(plan.redis).toEqual({ url: "redis://127.0.0.1:6379", keyPrefix: "keel:rl:", connectTimeoutMs: 500 });
  expect(plan.server.trustedProxies).toEqual(["10.0.0.0/8"]);
  expect(plan.server.shedding).toEqual({ maxInFlight: 0, maxEventLoopLagMs: 0 });
});
