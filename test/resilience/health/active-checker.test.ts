// Active checks against real sockets: a backend whose /healthz can be switched between 200 and
// 503, a dead port, and a backend that accepts and never answers. Thresholds are counted in a row;
// checks of one endpoint never overlap; stop() ends everything. Intervals are 20–30 ms; waits poll
// for a condition with a generous deadline rather than asserting wall-clock timings.
import { afterEach, expect, test } from "bun:test";
import type { EndpointPlan } from "../../../src/config/plan.ts";
import { ActiveChecker, statusExpected } from "../../../src/resilience/health/active-checker.ts";
import { EndpointHealth } from "../../../src/resilience/health/endpoint-health.ts";
import { startUpstreamHealth } from "../../../src/resilience/health/upstream-health.ts";
import type { HealthCheckPlan } from "../../../src/resilience/types.ts";
import { deadPort, startBackend, startRawBackend } from "../../support/backend.ts";

const PLAN: HealthCheckPlan = { path: "/healthz", intervalMs: 20, timeoutMs: 100, expectStatus: [[200, 299]], healthyThreshold: 2, unhealthyThreshold: 2 };

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanup.splice(0)) c();
});

function endpoint(port: number): EndpointPlan {
  return { url: `http://127.0.0.1:${port}`, host: "127.0.0.1", port, authority: `127.0.0.1:${port}`, weight: 1 };
}

/** A backend whose /healthz answers `status.value` (switchable). */
function switchable(initial = 200) {
  const status = { value: initial };
  const b = startBackend((_req, rec) => new Response(rec.target === "/healthz" ? "ok" : "nope", { status: rec.target === "/healthz" ? status.value : 404 }));
  cleanup.push(() => b.stop());
  return { b, status };
}

function checker(endpoints: EndpointPlan[], plan: Partial<HealthCheckPlan> = {}) {
  const health = new EndpointHealth(endpoints.length, null);
  const c = new ActiveChecker(health, endpoints, { ...PLAN, ...plan }, { firstCheckJitterMs: 0 });
  cleanup.push(() => health.close());
  return { health, c };
}

async function until(cond: () => boolean, ms = 1500): Promise<boolean> {
  const end = performance.now() + ms;
  while (!cond()) {
    if (performance.now() > end) return false;
    await Bun.sleep(5);
  }
  return true;
}

function consistent(h: EndpointHealth): void {
  for (let i = 0; i < h.size; i++) expect(h.available[i]).toBe(h.state(i) === "healthy" ? 1 : 0);
}

test("checks GET the path with Host = the endpoint's authority and Connection: close", async () => {
  const { b } = switchable();
  const ep = { ...endpoint(b.port), authority: `svc.internal:${b.port}` };
  const { health } = checker([ep]);
  expect(await until(() => b.requests.length >= 3)).toBe(true);
  const r = b.requests[0]!;
  expect(r.method).toBe("GET");
  expect(r.target).toBe("/healthz");
  expect(r.headers.get("host")).toBe(`svc.internal:${b.port}`);
  expect(r.headers.get("connection")).toBe("close");
  expect(health.state(0)).toBe("healthy");
  expect(health.activeSuccesses).toBeGreaterThanOrEqual(2);
});

test("a raw backend sees one connection per check (never a reused one)", async () => {
  const raw = startRawBackend({
    onData(sofar, s) {
      if (sofar.includes("\r\n\r\n")) s.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    },
  });
  cleanup.push(() => raw.stop());
  const { health } = checker([endpoint(raw.port)]);
  expect(await until(() => health.activeSuccesses >= 3)).toBe(true);
  // Every connection carried exactly one request.
  for (const r of raw.received) expect(r.split("GET /healthz").length - 1).toBeLessThanOrEqual(1);
  expect(raw.connections).toBeGreaterThanOrEqual(3);
});

test("503 marks unhealthy after unhealthyThreshold failures; 200 brings it back after healthyThreshold successes", async () => {
  const { b, status } = switchable();
  const { health, c } = checker([endpoint(b.port)]);
  expect(await until(() => health.activeSuccesses >= 1)).toBe(true);
  status.value = 503;
  expect(await until(() => health.state(0) === "unhealthy")).toBe(true);
  consistent(health);
  expect(health.available[0]).toBe(0);
  expect(health.healthyCount).toBe(0);
  expect(health.activeFailures).toBeGreaterThanOrEqual(2);
  status.value = 200;
  const before = health.activeSuccesses;
  expect(await until(() => health.state(0) === "healthy")).toBe(true);
  expect(health.activeSuccesses - before).toBeGreaterThanOrEqual(2);
  consistent(health);
  expect(c.checksStarted).toBeGreaterThan(0);
});

test("thresholds count in a row: one failure with unhealthyThreshold 2 does not mark; one success with healthyThreshold 2 does not restore", () => {
  const health = new EndpointHealth(1, null);
  // First round far in the future: record() is driven by hand.
  const c = new ActiveChecker(health, [endpoint(1)], PLAN, { firstCheckJitterMs: 1e9 });
  cleanup.push(() => c.stop());
  const record = (ok: boolean) => {
    c.record(0, ok);
    consistent(health);
  };
  record(false);
  expect(health.state(0)).toBe("healthy");
  record(true);
  record(false);
  expect(health.state(0)).toBe("healthy");
  record(false);
  expect(health.state(0)).toBe("unhealthy");
  record(true);
  expect(health.state(0)).toBe("unhealthy");
  record(false);
  record(true);
  expect(health.state(0)).toBe("unhealthy");
  record(true);
  expect(health.state(0)).toBe("healthy");
  expect(health.activeFailures).toBe(4);
  expect(health.activeSuccesses).toBe(4);
});

test("a dead port is marked unhealthy", async () => {
  const { b } = switchable();
  const { health } = checker([endpoint(b.port), endpoint(deadPort())]);
  expect(await until(() => health.state(1) === "unhealthy")).toBe(true);
  expect(health.state(0)).toBe("healthy");
  expect(health.healthyCount).toBe(1);
  consistent(health);
});

test("a backend that never answers fails by timeout, and checks of one endpoint never overlap", async () => {
  const raw = startRawBackend({ onData() {} });
  cleanup.push(() => raw.stop());
  // Timeout (80 ms) longer than the interval (20 ms): rounds skip the endpoint while its check is out.
  const { health } = checker([endpoint(raw.port)], { timeoutMs: 80, unhealthyThreshold: 2 });
  expect(await until(() => health.state(0) === "unhealthy")).toBe(true);
  expect(health.activeFailures).toBeGreaterThanOrEqual(2);
  // One connection per check, each opened after the previous check gave up: never two at once.
  expect(raw.connections).toBeLessThanOrEqual(health.activeFailures + 1);
});

test("stop() ends the checks: no new requests arrive afterwards", async () => {
  const { b } = switchable();
  const { health, c } = checker([endpoint(b.port)]);
  expect(await until(() => b.requests.length >= 1)).toBe(true);
  health.close(); // stops the attached checker too
  await Bun.sleep(10);
  const seen = b.requests.length;
  const started = c.checksStarted;
  await Bun.sleep(80);
  expect(b.requests.length).toBe(seen);
  expect(c.checksStarted).toBe(started);
});

test("expected status ranges", () => {
  expect(statusExpected(200, [[200, 299]])).toBe(true);
  expect(statusExpected(302, [[200, 299]])).toBe(false);
  expect(statusExpected(302, [[200, 299], [300, 399]])).toBe(true);
  expect(statusExpected(503, [[200, 299]])).toBe(false);
});

test("startUpstreamHealth wires checks and ejection; endpoints start healthy", async () => {
  const { b } = switchable();
  const dead = deadPort();
  const health = startUpstreamHealth({
    endpoints: [endpoint(b.port), endpoint(dead)],
    healthCheck: PLAN,
    outlier: { consecutiveFailures: 2, baseEjectionMs: 30, maxEjectionMs: 300, maxEjectedPercent: 50 },
  });
  cleanup.push(() => health.close());
  expect(health.healthyCount).toBe(2); // before any check has run
  expect(await until(() => health.state(1) === "unhealthy")).toBe(true);
  health.reportFailure(0, performance.now());
  health.reportFailure(0, performance.now());
  expect(health.state(0)).toBe("ejected");
  expect(health.healthyCount).toBe(0);
  expect(await until(() => health.state(0) === "healthy")).toBe(true);
  consistent(health);
});
