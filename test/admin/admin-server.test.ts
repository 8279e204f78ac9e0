import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startAdminServer, type AdminServer } from "../../src/admin/admin-server.ts";
import { GatewayMetrics } from "../../src/observe/gateway-metrics.ts";
import { startProcessMonitor, type ProcessMonitor } from "../../src/observe/process-monitor.ts";
import { parseExposition, samplesOf } from "../observe/parse-exposition.ts";

let ready = false;
let readyThrows = false;
let admin: AdminServer;
let monitor: ProcessMonitor;
const metrics = new GatewayMetrics(["users"], ["users-backend"]);

beforeAll(() => {
  monitor = startProcessMonitor(metrics);
  admin = startAdminServer({
    host: "127.0.0.1",
    port: 0,
    metrics,
    isReady: () => {
      if (readyThrows) throw new Error("readiness probe broke");
      return ready;
    },
    extra: (req) => (new URL(req.url).pathname === "/config" ? Response.json({ routes: 1 }) : null),
  });
});

afterAll(async () => {
  monitor.stop();
  await admin.stop();
});

describe("admin server", () => {
  test("listens on the port it reports", () => {
    expect(admin.port).toBeGreaterThan(0);
    expect(admin.url).toBe(`http://127.0.0.1:${admin.port}`);
  });

  test("GET /healthz is 200 while the process is alive", async () => {
    const res = await fetch(`${admin.url}/healthz`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("application/json");
    expect(await res.json()).toEqual({ status: "ok" });
  });

  test("GET /readyz follows isReady()", async () => {
    ready = false;
    const notReady = await fetch(`${admin.url}/readyz`);
    expect(notReady.status).toBe(503);
    expect(await notReady.json()).toEqual({ status: "not ready" });
    ready = true;
    const isReady = await fetch(`${admin.url}/readyz`);
    expect(isReady.status).toBe(200);
    expect(await isReady.json()).toEqual({ status: "ready" });
  });

  test("GET /metrics serves the text exposition with the request counters", async () => {
    metrics.requestStarted();
    metrics.requestFinished(0, 200, 1500);
    const res = await fetch(`${admin.url}/metrics?ignored=1`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toStartWith("text/plain; version=0.0.4");
    const families = parseExposition(await res.text());
    const requests = samplesOf(families, "keel_requests_total");
    expect(requests.find((s) => s.labels.route === "users" && s.labels.status_class === "2xx")!.value).toBe(1);
    expect(samplesOf(families, "keel_requests_in_flight")[0]!.value).toBe(0);
    expect(families.has("keel_process_resident_memory_bytes")).toBe(true);
    expect(families.has("keel_event_loop_lag_seconds")).toBe(true);
  });

  test("an admin request is not counted as gateway traffic", async () => {
    const before = metrics.histograms.reduce((n, h) => n + h.count, 0);
    await (await fetch(`${admin.url}/healthz`)).text();
    await (await fetch(`${admin.url}/nope`)).text();
    expect(metrics.histograms.reduce((n, h) => n + h.count, 0)).toBe(before);
  });

  test("unknown paths and methods get 404 problem+json", async () => {
    for (const [method, path] of [["GET", "/nope"], ["GET", "/"], ["POST", "/healthz"], ["DELETE", "/metrics"]] as const) {
      const res = await fetch(`${admin.url}${path}`, { method });
      expect(res.status).toBe(404);
      expect(res.headers.get("content-type")).toBe("application/problem+json");
      const body = (await res.json()) as Record<string, unknown>;
      expect(body).toMatchObject({
        type: "urn:keel:error:KEEL_ROUTE_NOT_FOUND",
        title: "No route matches this request",
        status: 404,
        code: "KEEL_ROUTE_NOT_FOUND",
      });
      expect(body.detail).toBe(`No admin endpoint for ${method} ${path}`);
    }
  });

  test("extra routes are served; others still fall through to 404", async () => {
    const res = await fetch(`${admin.url}/config`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ routes: 1 });
  });

  test("a throwing isReady answers 500 problem+json and the listener keeps serving", async () => {
    readyThrows = true;
    try {
      const res = await fetch(`${admin.url}/readyz`);
      expect(res.status).toBe(500);
      expect(((await res.json()) as { code: string }).code).toBe("KEEL_INTERNAL");
    } finally {
      readyThrows = false;
    }
    expect((await fetch(`${admin.url}/healthz`)).status).toBe(200);
  });
});
