// The supervisor's dashboard document: the workers' documents matched by time and combined (sums
// for what adds up, the worst worker for the rest).

import { describe, expect, test } from "bun:test";
import type { DashboardData, RouteSeries } from "../../src/observe/series/dashboard-data.ts";
import { alignTo, combineDashboards } from "../../src/server/workers/dashboard-sum.ts";

const route = (name: string, rps: (number | null)[], p99: (number | null)[], inForce = true): RouteSeries => ({
  name,
  inForce,
  rps,
  status: { "2xx": rps },
  p50: p99.map((v) => (v === null ? null : v / 2)),
  p99,
  p999: p99,
});

function doc(t: number[], over: Partial<DashboardData> = {}): DashboardData {
  const n = t.length;
  const col = (v: number | null) => new Array<number | null>(n).fill(v);
  return {
    intervalMs: 2000,
    capacity: 150,
    t,
    now: t[n - 1]! + 500,
    sampleFailures: 0,
    inFlight: col(1),
    routes: [],
    statusClasses: [{ statusClass: "2xx", perSecond: col(10), window: 100, sinceStart: 1000 }],
    codes: [],
    limits: { rateLimited: col(0), concurrencyRejected: col(0), shed: col(0), queued: col(0), limiterInFlight: col(0), ratePolicies: [], concurrency: [], shedding: false },
    upstreams: [],
    process: { lagP99Ms: col(1), lagMaxMs: col(2), heapUsedMB: col(20), rssMB: col(80), cpuPercent: col(30), gc: "why" },
    ...over,
  };
}

describe("alignTo", () => {
  test("each time of the timeline takes the sample within half an interval, each sample once", () => {
    expect([...alignTo([0, 2000, 4000, 6000], [700, 2600, 6900], 1000)]).toEqual([0, 1, -1, 2]);
    expect([...alignTo([0, 2000], [], 1000)]).toEqual([-1, -1]);
    // Two samples near one time: the first is taken, the second is left for the next time or none.
    expect([...alignTo([1000, 3000], [900, 1100, 2900], 1000)]).toEqual([0, 2]);
  });
});

describe("combineDashboards", () => {
  test("one document is returned as it is", () => {
    const d = doc([0, 2000]);
    expect(combineDashboards([d])).toBe(d);
  });

  test("rates and gauges that add up are summed on the first document's timeline; percentiles and lag are the worst", () => {
    const a = doc([0, 2000, 4000], { routes: [route("api", [5, 6, 7], [10, 20, 30])] });
    // Worker 1 samples 600 ms later and has no sample near t = 0.
    const b = doc([2600, 4600], { routes: [route("api", [1, 2], [50, 5]), route("added", [3, 3], [1, 1], false)], inFlight: [2, 3], process: { lagP99Ms: [9, 0], lagMaxMs: [9, 0], heapUsedMB: [10, 10], rssMB: [40, 40], cpuPercent: [5, 5], gc: "other" } });
    const c = combineDashboards([a, b]);
    expect(c.t).toEqual([0, 2000, 4000]);
    expect(c.inFlight).toEqual([1, 3, 4]);
    const api = c.routes.find((r) => r.name === "api")!;
    expect(api.rps).toEqual([5, 7, 9]);
    expect(api.status["2xx"]).toEqual([5, 7, 9]);
    expect(api.p99).toEqual([10, 50, 30]);
    expect(api.p50).toEqual([5, 25, 15]);
    const added = c.routes.find((r) => r.name === "added")!;
    expect(added.rps).toEqual([null, 3, 3]);
    expect(added.inForce).toBe(false);
    expect(c.process.lagP99Ms).toEqual([1, 9, 1]);
    expect(c.process.heapUsedMB).toEqual([20, 30, 30]);
    expect(c.process.rssMB).toEqual([80, 120, 120]);
    expect(c.process.gc).toBe("why");
    expect(c.statusClasses).toEqual([{ statusClass: "2xx", perSecond: [10, 20, 20], window: 200, sinceStart: 2000 }]);
    expect(c.now).toBe(b.now);
  });

  test("a null in one worker leaves the other's value; null everywhere stays null", () => {
    const a = doc([0, 2000], { routes: [route("api", [null, 4], [null, 8])] });
    const b = doc([0, 2000], { routes: [route("api", [2, null], [3, null])] });
    const api = combineDashboards([a, b]).routes[0]!;
    expect(api.rps).toEqual([2, 4]);
    expect(api.p99).toEqual([3, 8]);
    const none = combineDashboards([doc([0], { routes: [route("x", [null], [null])] }), doc([0], { routes: [route("x", [null], [null])] })]).routes[0]!;
    expect(none.rps).toEqual([null]);
  });

  test("codes, limits and upstreams: counts summed, health and breakers the worst worker's", () => {
    const limits = (shedding: boolean, allowed: number, inFlight: number) => ({
      ...doc([0]).limits,
      shedding,
      ratePolicies: [{ route: "api", policy: "per-ip", allowed, limited: 1 }],
      concurrency: [{ scope: "route" as const, name: "api", limit: 5, inFlight, queued: 1, admitted: 10, rejected: 2 }],
    });
    const a = doc([0], {
      codes: [{ code: "KEEL_RATE_LIMITED", status: 429, title: "Too many", perInterval: [2], window: 2, sinceStart: 7 }],
      limits: limits(false, 100, 3),
      upstreams: [{ name: "u", healthy: 2, ejections: 1, breaker: "closed", endpoints: [{ url: "http://a", state: "healthy", p99Ms: 4 }, { url: "http://b", state: "healthy", p99Ms: null }] }],
    });
    const b = doc([0], {
      codes: [{ code: "KEEL_RATE_LIMITED", status: 429, title: "Too many", perInterval: [3], window: 3, sinceStart: 1 }],
      limits: limits(true, 50, 4),
      upstreams: [{ name: "u", healthy: 1, ejections: 2, breaker: "half-open", endpoints: [{ url: "http://a", state: "healthy", p99Ms: 9 }, { url: "http://b", state: "ejected", p99Ms: null }] }],
    });
    const c = combineDashboards([a, b]);
    expect(c.codes).toEqual([{ code: "KEEL_RATE_LIMITED", status: 429, title: "Too many", perInterval: [5], window: 5, sinceStart: 8 }]);
    expect(c.limits.shedding).toBe(true);
    expect(c.limits.ratePolicies).toEqual([{ route: "api", policy: "per-ip", allowed: 150, limited: 2 }]);
    expect(c.limits.concurrency).toEqual([{ scope: "route", name: "api", limit: 10, inFlight: 7, queued: 2, admitted: 20, rejected: 4 }]);
    expect(c.upstreams).toEqual([
      { name: "u", healthy: 1, ejections: 3, breaker: "half-open", endpoints: [{ url: "http://a", state: "healthy", p99Ms: 9 }, { url: "http://b", state: "ejected", p99Ms: null }] },
    ]);
  });
});
