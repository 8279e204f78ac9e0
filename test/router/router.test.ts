// The compiled matcher, against the precedence documented at the top of src/router/router.ts and
// in docs/config.md ("Routing"). Routes come from real config text, so the compiler is in the loop.

import { describe, expect, test } from "bun:test";
import { Router, type RequestFacts } from "../../src/router/router.ts";
import { planFrom } from "../support/gateway.ts";

/** A router over `routes` (YAML list items), all sent to one upstream. */
function routerOf(routes: string): Router {
  return new Router(
    planFrom(`upstreams:
  u:
    endpoints: ["http://127.0.0.1:9"]
routes:
${routes}`).routes,
  );
}

function req(path: string, over: Partial<{ method: string; host: string; headers: Record<string, string> }> = {}): RequestFacts {
  return { method: over.method ?? "GET", host: over.host ?? "", path, headers: new Headers(over.headers ?? {}) };
}

/** Name of the route that takes the request, or null. */
function winner(r: Router, path: string, over: Parameters<typeof req>[1] = {}): string | null {
  return r.match(req(path, over))?.route.name ?? null;
}

describe("precedence", () => {
  test("a route with a host condition beats one without, whatever the file order or path kind", () => {
    const r = routerOf(`  - { name: exact-any-host, match: { path: /a }, upstream: u }
  - { name: catch-all-on-host, match: { host: api.example, pathPrefix: / }, upstream: u }`);
    expect(winner(r, "/a", { host: "api.example" })).toBe("catch-all-on-host");
    expect(winner(r, "/a", { host: "other.example" })).toBe("exact-any-host");
    expect(winner(r, "/a")).toBe("exact-any-host");
  });

  test("exact path beats a pattern, a pattern beats a prefix (file order reversed)", () => {
    const r = routerOf(`  - { name: prefix, match: { pathPrefix: /users }, upstream: u }
  - { name: pattern, match: { path: "/users/:id" }, upstream: u }
  - { name: exact, match: { path: /users/me }, upstream: u }`);
    expect(winner(r, "/users/me")).toBe("exact");
    expect(winner(r, "/users/42")).toBe("pattern");
    expect(winner(r, "/users/42/orders")).toBe("prefix");
    expect(winner(r, "/users")).toBe("prefix");
  });

  test("among patterns, more literal segments first", () => {
    const r = routerOf(`  - { name: two-params, match: { path: "/:kind/:id" }, upstream: u }
  - { name: one-param, match: { path: "/users/:id" }, upstream: u }`);
    expect(winner(r, "/users/7")).toBe("one-param");
    expect(winner(r, "/orders/7")).toBe("two-params");
  });

  test("longer prefix first", () => {
    const r = routerOf(`  - { name: root, match: { pathPrefix: / }, upstream: u }
  - { name: api, match: { pathPrefix: /api }, upstream: u }
  - { name: api-v2, match: { pathPrefix: /api/v2 }, upstream: u }`);
    expect(winner(r, "/api/v2/things")).toBe("api-v2");
    expect(winner(r, "/api/v1/things")).toBe("api");
    expect(winner(r, "/elsewhere")).toBe("root");
  });

  test("more conditions first: methods and each header count as one", () => {
    const r = routerOf(`  - { name: plain, match: { pathPrefix: /x }, upstream: u }
  - { name: get-only, match: { pathPrefix: /x, methods: [GET] }, upstream: u }
  - { name: get-and-header, match: { pathPrefix: /x, methods: [GET], headers: { x-beta: "1" } }, upstream: u }`);
    expect(winner(r, "/x", { headers: { "x-beta": "1" } })).toBe("get-and-header");
    expect(winner(r, "/x")).toBe("get-only");
    expect(winner(r, "/x", { method: "POST", headers: { "x-beta": "1" } })).toBe("plain");
  });

  test("file order breaks the remaining ties", () => {
    const r = routerOf(`  - { name: first, match: { pathPrefix: /same }, upstream: u }
  - { name: second, match: { pathPrefix: /same }, upstream: u }`);
    expect(winner(r, "/same/x")).toBe("first");
  });

  test("order lists the routes in matching order", () => {
    const r = routerOf(`  - { name: root, match: { pathPrefix: / }, upstream: u }
  - { name: exact, match: { path: /a }, upstream: u }
  - { name: hosted, match: { host: h.example }, upstream: u }
  - { name: pattern, match: { path: "/a/:b" }, upstream: u }`);
    expect(r.order.map((x) => x.name)).toEqual(["hosted", "exact", "pattern", "root"]);
  });
});

describe("paths", () => {
  test("pattern params are captured by name; empty segments and extra segments do not match", () => {
    const r = routerOf(`  - { name: order, match: { path: "/users/:user/orders/:order" }, upstream: u }`);
    expect(r.match(req("/users/ada/orders/7"))?.params).toEqual({ user: "ada", order: "7" });
    expect(r.match(req("/users//orders/7"))).toBeNull();
    expect(r.match(req("/users/ada/orders/7/x"))).toBeNull();
    expect(r.match(req("/users/ada/orders"))).toBeNull();
    expect(r.match(req("/users/ada/orders/"))).toBeNull();
  });

  test("exact paths match only themselves; non-pattern routes have no params", () => {
    const r = routerOf(`  - { name: exact, match: { path: /health }, upstream: u }`);
    const m = r.match(req("/health"));
    expect(m?.route.name).toBe("exact");
    expect(m?.params).toEqual({});
    expect(r.match(req("/health/"))).toBeNull();
    expect(r.match(req("/healthz"))).toBeNull();
  });

  test("prefixes are segment-aware", () => {
    const r = routerOf(`  - { name: api, match: { pathPrefix: /api }, upstream: u }`);
    expect(winner(r, "/api")).toBe("api");
    expect(winner(r, "/api/")).toBe("api");
    expect(winner(r, "/api/x")).toBe("api");
    expect(winner(r, "/apix")).toBeNull();
    expect(winner(r, "/ap")).toBeNull();
  });

  test("a prefix with a trailing slash needs the slash", () => {
    const r = routerOf(`  - { name: api, match: { pathPrefix: /api/ }, upstream: u }`);
    expect(winner(r, "/api/x")).toBe("api");
    expect(winner(r, "/api")).toBeNull();
  });

  test("a route without match takes everything", () => {
    const r = routerOf(`  - { name: all, upstream: u }`);
    expect(winner(r, "/")).toBe("all");
    expect(winner(r, "/deep/path", { method: "DELETE", host: "x" })).toBe("all");
  });
});

describe("methods, hosts and headers", () => {
  test("methods restrict the route; config case does not matter", () => {
    const r = routerOf(`  - { name: read, match: { pathPrefix: /r, methods: [get, HEAD] }, upstream: u }`);
    expect(winner(r, "/r", { method: "GET" })).toBe("read");
    expect(winner(r, "/r", { method: "HEAD" })).toBe("read");
    expect(winner(r, "/r", { method: "POST" })).toBeNull();
  });

  test("host conditions compare lower-case names without the port", () => {
    const r = routerOf(`  - { name: api, match: { host: [API.example.com, "other.example:8443"] }, upstream: u }`);
    expect(winner(r, "/", { host: "api.example.com" })).toBe("api");
    expect(winner(r, "/", { host: "other.example" })).toBe("api");
    expect(winner(r, "/", { host: "evil.example" })).toBeNull();
    expect(winner(r, "/", { host: "" })).toBeNull();
  });

  test("header conditions need the exact value (names are case-insensitive)", () => {
    const r = routerOf(`  - { name: beta, match: { headers: { X-Beta: "on", x-tenant: acme } }, upstream: u }`);
    expect(winner(r, "/", { headers: { "x-beta": "on", "X-Tenant": "acme" } })).toBe("beta");
    expect(winner(r, "/", { headers: { "x-beta": "ON", "x-tenant": "acme" } })).toBeNull();
    expect(winner(r, "/", { headers: { "x-beta": "on" } })).toBeNull();
  });

  test("no match returns null", () => {
    const r = routerOf(`  - { name: a, match: { path: /a, methods: [GET] }, upstream: u }`);
    expect(r.match(req("/b"))).toBeNull();
    expect(r.match(req("/a", { method: "PUT" }))).toBeNull();
  });
});
