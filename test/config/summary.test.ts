import { test, expect } from "bun:test";
import { summarizePlan, summarizeMemory, describeMatch } from "../../src/config/summary.ts";
import { planOf } from "./helpers.ts";

test("summary shows listeners, upstreams and routes in order", () => {
  const plan = planOf(`
admin: false
server: { idleTimeout: 0s }
upstreams:
  users: { endpoints: ["http://127.0.0.1:9001", "http://127.0.0.1:9002"], pool: { maxIdle: 8 } }
  orders: { endpoints: ["http://[::1]:9003"], balance: round-robin }
routes:
  - name: users
    match: { pathPrefix: /api/users, host: api.example.com, methods: [GET, POST], headers: { x-tenant: acme } }
    upstream: users
    stripPrefix: true
  - { name: order, match: { path: /orders/:id }, upstream: orders, timeout: 250ms }
  - { name: fallback, upstream: users }
`);
  expect(summarizePlan(plan)).toBe(
    [
      "config   keel.yaml",
      "listen   0.0.0.0:8080",
      "admin    off",
      "server   drain 30s, idle off, max body 128mb, request id x-request-id",
      "",
      "upstreams (2)",
      "  users: p2c, connect 1s, pool 8 idle / 30s",
      "    http://127.0.0.1:9001",
      "    http://127.0.0.1:9002",
      "  orders: round-robin, connect 1s, pool 64 idle / 30s",
      "    http://[::1]:9003",
      "",
      "routes (3, in config order)",
      "   0  users     GET,POST api.example.com/api/users* [x-tenant=acme] (strip /api/users)  -> users, timeout 30s",
      "   1  order     /orders/:id  -> orders, timeout 250ms",
      "   2  fallback  /*  -> users, timeout 30s",
      "",
      summarizeMemory(plan),
    ].join("\n"),
  );
});

test("describeMatch lists several hosts in braces", () => {
  expect(describeMatch({ hosts: ["a", "b"], path: null, pathPrefix: "/x", methods: [], headers: [] })).toBe("{a,b}/x*");
});

test("limits and tail control show only where configured", () => {
  const plan = planOf(`
admin: false
redis: { url: "redis://127.0.0.1:6379" }
rateLimits:
  per-ip: { rate: 100/s }
upstreams:
  users:
    endpoints: ["http://127.0.0.1:9001", { url: "http://127.0.0.1:9002", weight: 3 }]
    balance: { hash: header:x-user }
    concurrency: { max: 50, queue: 10 }
    health: { active: { path: /healthz, interval: 2s }, outlier: { consecutiveFailures: 3 } }
    breaker: { failureRatio: 0.5 }
routes:
  - { name: api, upstream: users, budget: 80ms, rateLimit: [per-ip, { rate: 10/h, shared: true }], retry: true, hedge: true }
`);
  const text = summarizePlan(plan);
  expect(text).toContain("redis    redis://127.0.0.1:6379 (shared rate limits)");
  expect(text).toContain("  users: hash on header:x-user, connect 1s, pool 64 idle / 30s; concurrency 50 (+10 queued), health checks /healthz every 2s, ejection after 3 failures, breaker at 50% failures");
  expect(text).toContain("    http://127.0.0.1:9002 (weight 3)");
  expect(text).toContain("-> users, timeout 30s, budget 80ms, rate per-ip 100/s + api#2 10/h shared, retry ×1, hedge at p95");
});
