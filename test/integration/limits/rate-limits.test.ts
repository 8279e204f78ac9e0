// Rate limits through the running gateway: 429 problem+json with Retry-After, the IETF RateLimit
// fields on allowed and rejected answers, keys by header / param / client IP through
// trustedProxies, several policies on one route, a named policy shared by two routes.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startBackend, type Backend } from "../../support/backend.ts";
import { startKeel, type TestGateway } from "../../support/gateway.ts";

let backend: Backend;
let gw: TestGateway;

beforeAll(() => {
  backend = startBackend();
  gw = startKeel(`
server: { drainTimeout: 200ms, trustedProxies: [127.0.0.1] }
rateLimits:
  per-ip: { rate: 2/min, burst: 2 }
  per-key: { rate: 3/h, burst: 3, key: header:x-api-key }
upstreams:
  backend: { endpoints: ["http://${backend.authority}"] }
routes:
  - name: by-ip
    match: { pathPrefix: /ip }
    upstream: backend
    rateLimit: per-ip
  - name: also-by-ip
    match: { pathPrefix: /also }
    upstream: backend
    rateLimit: per-ip
  - name: by-key
    match: { pathPrefix: /key }
    upstream: backend
    rateLimit: per-key
  - name: by-param
    match: { path: /users/:id }
    upstream: backend
    rateLimit: { rate: 1/h, burst: 1, key: param:id }
  - name: two-policies
    match: { pathPrefix: /two }
    upstream: backend
    rateLimit: [ { rate: 100/s, burst: 100, key: route }, { rate: 1/h, burst: 2, key: header:x-user } ]
  - name: open
    match: { pathPrefix: / }
    upstream: backend
`);
});

afterAll(async () => {
  await gw?.stop();
  backend?.stop();
});

const get = (path: string, headers: Record<string, string> = {}) => fetch(gw.url + path, { headers });

describe("rate limits", () => {
  test("429 problem+json with Retry-After and the RateLimit fields; allowed answers carry the fields too", async () => {
    const ip = { "x-forwarded-for": "203.0.113.7" };
    const a = await get("/ip/1", ip);
    expect(a.status).toBe(200);
    expect(a.headers.get("ratelimit-policy")).toBe('"per-ip";q=2;w=60');
    expect(a.headers.get("ratelimit")).toMatch(/^"per-ip";r=1;t=\d+$/);
    expect((await get("/ip/2", ip)).status).toBe(200);
    const sent = backend.requests.length;
    const c = await get("/ip/3", ip);
    expect(c.status).toBe(429);
    expect(c.headers.get("content-type")).toBe("application/problem+json");
    expect(Number(c.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(c.headers.get("ratelimit")).toMatch(/^"per-ip";r=0;t=\d+$/);
    const body = (await c.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ status: 429, code: "KEEL_RATE_LIMITED", route: "by-ip", phase: "admit" });
    expect(String(body.detail)).toContain('"per-ip"');
    expect(backend.requests.length).toBe(sent); // nothing forwarded
  });

  test("a named policy is one quota for every route that names it; other clients have their own", async () => {
    // 203.0.113.7 spent its quota on /ip above.
    expect((await get("/also/x", { "x-forwarded-for": "203.0.113.7" })).status).toBe(429);
    expect((await get("/also/x", { "x-forwarded-for": "203.0.113.8" })).status).toBe(200);
  });

  test("X-Forwarded-For is believed only from a trusted peer and read from the right", async () => {
    // The peer (127.0.0.1) is trusted; the rightmost untrusted entry is the client.
    expect((await get("/ip/a", { "x-forwarded-for": "198.51.100.1, 203.0.113.9" })).status).toBe(200);
    expect((await get("/ip/b", { "x-forwarded-for": "198.51.100.2, 203.0.113.9" })).status).toBe(200);
    expect((await get("/ip/c", { "x-forwarded-for": "198.51.100.3, 203.0.113.9" })).status).toBe(429);
  });

  test("keys by header: each API key has its own quota; requests without one share a bucket", async () => {
    for (let i = 0; i < 3; i++) expect((await get("/key", { "x-api-key": "k1" })).status).toBe(200);
    expect((await get("/key", { "x-api-key": "k1" })).status).toBe(429);
    expect((await get("/key", { "x-api-key": "k2" })).status).toBe(200);
  });

  test("keys by path parameter", async () => {
    expect((await get("/users/1")).status).toBe(200);
    expect((await get("/users/1")).status).toBe(429);
    expect((await get("/users/2")).status).toBe(200);
  });

  test("several policies: all must pass, and a rejected request costs the others nothing", async () => {
    const u = { "x-user": "u1" };
    const first = await get("/two", u);
    expect(first.status).toBe(200);
    expect(first.headers.get("ratelimit-policy")).toBe('"two-policies#1";q=100;w=1, "two-policies#2";q=1;w=3600');
    expect((await get("/two", u)).status).toBe(200); // burst 2
    const third = await get("/two", u);
    expect(third.status).toBe(429);
    expect(((await third.json()) as { detail: string }).detail).toContain('"two-policies#2"');
    // The route-wide policy still has 97 (two admitted, the rejected one not consumed).
    expect(third.headers.get("ratelimit")).toMatch(/^"two-policies#1";r=98;t=\d+, "two-policies#2";r=0;t=\d+$/);
  });

  test("routes without a policy carry no RateLimit fields", async () => {
    const r = await get("/free");
    expect(r.status).toBe(200);
    expect(r.headers.get("ratelimit")).toBeNull();
  });

  test("/metrics counts allowed and limited by route and policy, and key-table sizes", async () => {
    const text = await (await fetch(gw.adminUrl + "/metrics")).text();
    expect(text).toMatch(/keel_ratelimit_limited_total\{route="by-ip",policy="per-ip"\} [1-9]/);
    expect(text).toMatch(/keel_ratelimit_allowed_total\{route="by-ip",policy="per-ip"\} [1-9]/);
    expect(text).toMatch(/keel_ratelimit_keys\{policy="per-ip"\} [1-9]/);
    expect(text).toMatch(/keel_problems_total\{route="by-ip",code="KEEL_RATE_LIMITED"\} [1-9]/);
  });
});
