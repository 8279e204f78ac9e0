import { test, expect } from "bun:test";
import { summarizePlan, describeMatch } from "../../src/config/summary.ts";
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
    ].join("\n"),
  );
});

test("describeMatch lists several hosts in braces", () => {
  expect(describeMatch({ hosts: ["a", "b"], path: null, pathPrefix: "/x", methods: [], headers: [] })).toBe("{a,b}/x*");
});
