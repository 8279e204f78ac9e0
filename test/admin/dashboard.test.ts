// The dashboard's admin routes over a real socket (no browser: dashboard-chromium.test.ts draws it).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startAdminServer, type AdminServer } from "../../src/admin/admin-server.ts";
import { GatewayMetrics } from "../../src/observe/gateway-metrics.ts";
import type { DashboardData } from "../../src/observe/series/dashboard-data.ts";
import { StatsSampler } from "../../src/observe/series/stats-sampler.ts";

const metrics = new GatewayMetrics(["users"], ["users-backend"]);
let sampler: StatsSampler;
let admin: AdminServer;
let plain: AdminServer;

beforeAll(() => {
  sampler = new StatsSampler({ metrics: () => metrics });
  admin = startAdminServer({ host: "127.0.0.1", port: 0, metrics, isReady: () => true, dashboard: sampler });
  plain = startAdminServer({ host: "127.0.0.1", port: 0, metrics, isReady: () => true });
});

afterAll(async () => {
  sampler.stop();
  await admin.stop();
  await plain.stop();
});

describe("GET /dashboard", () => {
  test.each(["/dashboard", "/dashboard/", "/dashboard?refresh=1"])("%s serves the page as HTML", async (path) => {
    const res = await fetch(admin.url + path);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(res.headers.get("cache-control")).toBe("no-store");
    const html = await res.text();
    expect(html).toStartWith("<!doctype html>");
    expect(html).toContain("data-points");
    expect(html).toContain("/data");
  });

  test("the page is self-contained: nothing loaded from elsewhere, and the CSP forbids it", async () => {
    const res = await fetch(admin.url + "/dashboard");
    const html = await res.text();
    expect(html).not.toMatch(/<script[^>]+src=/i);
    expect(html).not.toMatch(/<link[^>]+href=/i);
    expect(html).not.toMatch(/https?:\/\//);
    expect(res.headers.get("content-security-policy")).toContain("default-src 'none'");
  });

  test("HEAD answers without a body", async () => {
    const res = await fetch(admin.url + "/dashboard", { method: "HEAD" });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("");
  });
});

describe("GET /dashboard/data", () => {
  test("the sampler's ring as JSON: routes by name, one value per sample", async () => {
    metrics.requestStarted();
    metrics.requestFinished(0, 200, 2500);
    metrics.problem(-1, "KEEL_ROUTE_NOT_FOUND");
    sampler.sample();
    sampler.sample();
    const res = await fetch(admin.url + "/dashboard/data");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/json");
    const d = (await res.json()) as DashboardData;
    expect(d.intervalMs).toBe(2000);
    expect(d.capacity).toBe(150);
    expect(d.t.length).toBe(2);
    const users = d.routes.find((r) => r.name === "users")!;
    expect(users.rps.length).toBe(2);
    expect(users.p99[0]).toBeCloseTo(2.5, 1);
    expect(d.codes.map((c) => c.code)).toEqual(["KEEL_ROUTE_NOT_FOUND"]);
  });
});

describe("without a dashboard", () => {
  test.each(["/dashboard", "/dashboard/data"])("%s is 404", async (path) => {
    const res = await fetch(plain.url + path);
    expect(res.status).toBe(404);
  });

  test("other dashboard paths are 404 on both", async () => {
    expect((await fetch(admin.url + "/dashboard/other")).status).toBe(404);
    expect((await fetch(admin.url + "/dashboard/data", { method: "POST" })).status).toBe(404);
  });
});
