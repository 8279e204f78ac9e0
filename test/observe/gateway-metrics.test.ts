import { describe, expect, test } from "bun:test";
import { GatewayMetrics, NO_ROUTE, STATUS_CLASSES } from "../../src/observe/gateway-metrics.ts";

const cls = (name: (typeof STATUS_CLASSES)[number]) => STATUS_CLASSES.indexOf(name);

describe("GatewayMetrics", () => {
  test("route and upstream series end with the (none) series", () => {
    const m = new GatewayMetrics(["users", "orders"], ["users-backend"]);
    expect(m.routeNames).toEqual(["users", "orders", NO_ROUTE]);
    expect(m.upstreamNames).toEqual(["users-backend", NO_ROUTE]);
    expect(m.histograms.length).toBe(3);
  });

  test("in-flight rises on start and falls on finish", () => {
    const m = new GatewayMetrics(["a"], []);
    expect(m.inFlight).toBe(0);
    m.requestStarted();
    m.requestStarted();
    expect(m.inFlight).toBe(2);
    m.requestFinished(0, 200, 100);
    expect(m.inFlight).toBe(1);
    m.requestFinished(-1, 404, 50);
    expect(m.inFlight).toBe(0);
  });

  test("counts by route and status class", () => {
    const m = new GatewayMetrics(["a", "b"], []);
    const finish = (route: number, status: number) => {
      m.requestStarted();
      m.requestFinished(route, status, 1000);
    };
    finish(0, 200);
    finish(0, 204);
    finish(0, 301);
    finish(0, 499);
    finish(1, 503);
    finish(1, 101);
    expect(m.requests(0, cls("2xx"))).toBe(2);
    expect(m.requests(0, cls("3xx"))).toBe(1);
    expect(m.requests(0, cls("4xx"))).toBe(1);
    expect(m.requests(0, cls("5xx"))).toBe(0);
    expect(m.requests(1, cls("5xx"))).toBe(1);
    expect(m.requests(1, cls("1xx"))).toBe(1);
    expect(m.histograms[0]!.count).toBe(4);
    expect(m.histograms[1]!.count).toBe(2);
  });

  test("statuses outside 100..599 count as 'other'", () => {
    const m = new GatewayMetrics(["a"], []);
    for (const status of [0, 99, 600, 999, NaN]) m.requestFinished(0, status, 10);
    expect(m.requests(0, cls("other"))).toBe(5);
    expect(m.histograms[0]!.count).toBe(5);
  });

  test("no-route and out-of-range route indexes go to the (none) series", () => {
    const m = new GatewayMetrics(["a"], []);
    m.requestFinished(-1, 404, 30);
    m.requestFinished(7, 404, 30);
    m.requestFinished(-3, 400, 30);
    const none = m.routeNames.indexOf(NO_ROUTE);
    expect(m.requests(none, cls("4xx"))).toBe(3);
    expect(m.requests(0, cls("4xx"))).toBe(0);
    expect(m.histograms[none]!.count).toBe(3);
    expect(m.histograms[0]!.count).toBe(0);
  });

  test("a request routed before a reload that reorders routes is counted under its own route", () => {
    const m = new GatewayMetrics(["a", "b"], []);
    const routedToB = m.routeSeries(1); // routed with the old plan, where "b" is second
    const routedToNone = m.routeSeries(-1);
    m.usePlanNames(["b", "c", "a"], []); // "b" now first, "c" new, "(none)" moves behind it
    m.requestFinished(routedToB, 200, 10);
    m.problem(routedToB, "KEEL_UPSTREAM_TIMEOUT");
    m.requestFinished(routedToNone, 404, 10);
    m.requestFinished(m.routeSeries(0), 201, 10); // routed with the new plan: "b" again
    const series = (name: string) => m.routeNames.indexOf(name);
    expect(m.requests(series("b"), cls("2xx"))).toBe(2);
    expect(m.problems(series("b"), "KEEL_UPSTREAM_TIMEOUT")).toBe(1);
    expect(m.requests(series("a"), cls("2xx"))).toBe(0);
    expect(m.requests(series("c"), cls("2xx"))).toBe(0);
    expect(m.requests(series(NO_ROUTE), cls("4xx"))).toBe(1);
    expect(m.routeSeries(5)).toBe(-1);
  });

  test("upstream errors count under the upstream's name, whatever a reload did to the order", () => {
    const m = new GatewayMetrics([], ["a", "b"]);
    m.usePlanNames([], ["c", "b", "a"]);
    m.upstreamError("b", "KEEL_UPSTREAM_TIMEOUT");
    m.upstreamError("c", "KEEL_UPSTREAM_TIMEOUT");
    const row = (name: string) => m.upstreamNames.indexOf(name);
    expect(m.upstreamErrors(row("b"), "KEEL_UPSTREAM_TIMEOUT")).toBe(1);
    expect(m.upstreamErrors(row("c"), "KEEL_UPSTREAM_TIMEOUT")).toBe(1);
    expect(m.upstreamErrors(row("a"), "KEEL_UPSTREAM_TIMEOUT")).toBe(0);
  });

  test("upstream errors count by upstream and code", () => {
    const m = new GatewayMetrics([], ["u0", "u1"]);
    m.upstreamError("u0", "KEEL_UPSTREAM_TIMEOUT");
    m.upstreamError("u0", "KEEL_UPSTREAM_TIMEOUT");
    m.upstreamError("u1", "KEEL_UPSTREAM_CONNECT_REFUSED");
    m.upstreamError("gone", "KEEL_UPSTREAM_RESET");
    m.upstreamError(NO_ROUTE, "KEEL_UPSTREAM_RESET"); // the "(none)" series is not a name to count under by chance
    m.upstreamError("u0", "NOT_A_CODE" as never); // ignored, does not throw
    expect(m.upstreamErrors(0, "KEEL_UPSTREAM_TIMEOUT")).toBe(2);
    expect(m.upstreamErrors(0, "KEEL_UPSTREAM_CONNECT_REFUSED")).toBe(0);
    expect(m.upstreamErrors(1, "KEEL_UPSTREAM_CONNECT_REFUSED")).toBe(1);
    expect(m.upstreamErrors(m.upstreamNames.indexOf(NO_ROUTE), "KEEL_UPSTREAM_RESET")).toBe(2);
    expect(m.upstreamErrorCounts.reduce((a, b) => a + b, 0)).toBe(5);
  });

  test("pulled gauges group by name and validate at registration", () => {
    const m = new GatewayMetrics([], []);
    m.addGauge("keel_pool_idle_connections", "Idle pooled connections.", () => 3, { upstream: "a" });
    m.addGauge("keel_pool_idle_connections", "Idle pooled connections.", () => 4, { upstream: "b" });
    m.addCounter("keel_pool_connects_total", "Connections opened.", () => 9);
    const families = [...m.pulledFamilies];
    expect(families.map((f) => [f.name, f.type, f.samples.length])).toEqual([
      ["keel_pool_idle_connections", "gauge", 2],
      ["keel_pool_connects_total", "counter", 1],
    ]);
    expect(() => m.addGauge("bad name", "x", () => 0)).toThrow(/invalid metric name/);
    expect(() => m.addGauge("keel_requests_total", "x", () => 0)).toThrow(/built in/);
    expect(() => m.addCounter("keel_pool_idle_connections", "x", () => 0)).toThrow(/both gauge and counter/);
    expect(() => m.addGauge("keel_x", "x", () => 0, { "bad-label": "v" })).toThrow(/invalid label name/);
  });

  test("scrape hooks run on demand, in order", () => {
    const m = new GatewayMetrics([], []);
    const seen: number[] = [];
    m.onScrape(() => seen.push(1));
    m.onScrape(() => seen.push(2));
    m.runScrapeHooks();
    expect(seen).toEqual([1, 2]);
  });
});
