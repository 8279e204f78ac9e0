// Tail control against real misbehaving backends: down, slow, reset mid-body, 503-returning,
// flapping. Each case gives the documented status and code, and afterwards nothing is in flight.

import { afterAll, afterEach, describe, expect, test } from "bun:test";
import { deadPort, startBackend, startRawBackend, requestComplete, type Backend, type RawBackend } from "../../support/backend.ts";
import { startKeel, waitFor, type TestGateway } from "../../support/gateway.ts";
import { expectNothingInFlight, series } from "./helpers.ts";

const stops: (() => unknown)[] = [];
afterEach(async () => {
  while (stops.length) await stops.pop()!();
});
afterAll(async () => {
  while (stops.length) await stops.pop()!();
});

function keel(yaml: string): TestGateway {
  const gw = startKeel(yaml);
  stops.push(() => gw.stop());
  return gw;
}
function backend(handler?: Parameters<typeof startBackend>[0]): Backend {
  const b = startBackend(handler);
  stops.push(() => b.stop());
  return b;
}

describe("a backend that is down", () => {
  test("connect failures are retried on the other endpoint, then the dead one is ejected", async () => {
    const good = backend();
    const dead = deadPort();
    const gw = keel(`
upstreams:
  u:
    endpoints: ["http://127.0.0.1:${dead}", "http://${good.authority}"]
    balance: round-robin
    health: { outlier: { consecutiveFailures: 2, baseEjection: 30s } }
    breaker: { maxInFlight: 100 }
routes:
  - { name: r, upstream: u, retry: { attempts: 2, on: [connect-failure] } }
`);
    for (let i = 0; i < 10; i++) expect((await fetch(gw.url + "/x")).status).toBe(200);
    expect(await series(gw, 'keel_retries_total{upstream="u",reason="connect-failure"}')).toBeGreaterThanOrEqual(1);
    expect(await series(gw, `keel_upstream_endpoint_state{upstream="u",endpoint="http://127.0.0.1:${dead}"}`)).toBe(2);
    const ready = (await (await fetch(gw.adminUrl + "/readyz")).json()) as { upstreams: Record<string, { healthy: number; endpoints: Record<string, string> }> };
    expect(ready.upstreams.u!.healthy).toBe(1);
    expect(ready.upstreams.u!.endpoints[`http://127.0.0.1:${dead}`]).toBe("ejected");
    await expectNothingInFlight(gw);
  });

  test("every endpoint ejected → 503 KEEL_NO_HEALTHY_ENDPOINT at once", async () => {
    const gw = keel(`
upstreams:
  u:
    endpoints: ["http://127.0.0.1:${deadPort()}"]
    health: { outlier: { consecutiveFailures: 1, baseEjection: 30s, maxEjectedPercent: 100 } }
routes: [ { name: r, upstream: u } ]
`);
    expect((await fetch(gw.url + "/x")).status).toBe(502);
    const res = await fetch(gw.url + "/x");
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("1");
    expect(await res.json()).toMatchObject({ code: "KEEL_NO_HEALTHY_ENDPOINT", upstream: "u", phase: "upstream" });
    await expectNothingInFlight(gw);
  });
});

describe("a slow backend", () => {
  test("a hedge to the other endpoint wins; the slow one sees the abort", async () => {
    let slowAborted = 0;
    const slow = backend(async (req, rec) => {
      if (rec.target.includes("slow")) {
        await new Promise<void>((r) => {
          const t = setTimeout(r, 2000);
          req.signal.addEventListener("abort", () => {
            slowAborted++;
            clearTimeout(t);
            r();
          });
        });
      }
      return new Response("A");
    });
    const fast = backend(() => new Response("B"));
    const gw = keel(`
upstreams:
  u:
    endpoints: ["http://${slow.authority}", "http://${fast.authority}"]
    balance: round-robin
routes:
  - { name: r, upstream: u, hedge: { percentile: 90, floor: 20ms, maxExtra: 0.5, refresh: 100ms, window: 10s } }
`);
    // Enough answers for the route's percentile (the threshold needs 100 samples).
    for (let i = 0; i < 120; i++) await (await fetch(gw.url + "/warm")).text();
    await Bun.sleep(120); // past a refresh
    await (await fetch(gw.url + "/warm")).text();
    // Round robin: of four requests, the first attempt of some goes to the slow endpoint; each of
    // those is answered by the hedge ("B"): the slow endpoint never gets to answer ("A").
    for (let i = 0; i < 4; i++) expect(await (await fetch(gw.url + "/slow")).text()).toBe("B");
    expect(await series(gw, 'keel_hedges_won_total{route="r"}')).toBeGreaterThanOrEqual(1);
    await waitFor(() => slowAborted >= 1, 4000, "the slow backend to see the abort");
    await expectNothingInFlight(gw);
  });

  test("slower than the route timeout with retries on: 504, no retry past the deadline", async () => {
    const slow = backend(async () => {
      await Bun.sleep(400);
      return new Response("late");
    });
    const gw = keel(`
upstreams:
  u: { endpoints: ["http://${slow.authority}"] }
routes: [ { name: r, upstream: u, timeout: 100ms, retry: { attempts: 3, on: [connect-failure, reset, 503] } } ]
`);
    const res = await fetch(gw.url + "/x");
    expect(res.status).toBe(504);
    expect(await res.json()).toMatchObject({ code: "KEEL_UPSTREAM_TIMEOUT" });
    expect(slow.requests.length).toBe(1);
    await expectNothingInFlight(gw);
  });
});

describe("a backend that resets mid-body", () => {
  test("the client connection is cut (never a truncated body as complete), no retry after response bytes", async () => {
    let raw!: RawBackend;
    raw = startRawBackend({
      onData(sofar, s) {
        if (!requestComplete(sofar)) return;
        s.write("HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n" + "x".repeat(1000));
        setTimeout(() => s.terminate(), 20);
      },
    });
    stops.push(() => raw.stop());
    const gw = keel(`
upstreams:
  u: { endpoints: ["http://${raw.authority}"] }
routes: [ { name: r, upstream: u, retry: { attempts: 3, on: [connect-failure, reset, 502] } } ]
`);
    const res = await fetch(gw.url + "/x");
    expect(res.status).toBe(200);
    await expect(res.arrayBuffer()).rejects.toThrow();
    expect(raw.connections).toBe(1);
    await waitFor(async () => (await series(gw, 'keel_upstream_errors_total{upstream="u",code="KEEL_UPSTREAM_RESET_MID_RESPONSE"}')) === 1, 4000, "the error counted");
    await expectNothingInFlight(gw);
  });
});

describe("a backend answering 503", () => {
  test("a listed status is retried on the other endpoint", async () => {
    const bad = backend(() => new Response("no", { status: 503 }));
    const good = backend(() => new Response("yes"));
    const gw = keel(`
upstreams:
  u: { endpoints: ["http://${bad.authority}", "http://${good.authority}"], balance: round-robin }
routes: [ { name: r, upstream: u, retry: { attempts: 2, on: [503] } } ]
`);
    for (let i = 0; i < 6; i++) {
      const res = await fetch(gw.url + "/x");
      expect(res.status).toBe(200);
      expect(await res.text()).toBe("yes");
    }
    // Every 503 was retried (round robin sends each first attempt to the next endpoint in turn).
    expect(bad.requests.length).toBeGreaterThanOrEqual(3);
    expect(await series(gw, 'keel_retries_total{upstream="u",reason="status"}')).toBe(bad.requests.length);
    await expectNothingInFlight(gw);
  });

  test("a retry storm is capped by the budget; a POST is not retried on a status", async () => {
    const bad = backend(() => new Response("no", { status: 503 }));
    const gw = keel(`
upstreams:
  u: { endpoints: ["http://${bad.authority}"], retryBudget: { ratio: 0.1, minPerSecond: 1, window: 10s } }
routes: [ { name: r, upstream: u, retry: { attempts: 3, on: [503] } } ]
`);
    const N = 200;
    for (let i = 0; i < N; i++) expect((await fetch(gw.url + "/x")).status).toBe(503);
    const retries = bad.requests.length - N;
    // ratio × requests + the floor's reserve (minPerSecond × window seconds) at most.
    expect(retries).toBeGreaterThan(0);
    expect(retries).toBeLessThanOrEqual(0.1 * N + 1 * 10);
    expect(await series(gw, 'keel_retry_budget_exhausted_total{upstream="u"}')).toBeGreaterThan(0);
    const before = bad.requests.length;
    expect((await fetch(gw.url + "/x", { method: "POST", body: "b" })).status).toBe(503);
    expect(bad.requests.length).toBe(before + 1);
    await expectNothingInFlight(gw);
  });

  test("the circuit breaker opens on failures, answers 503 KEEL_CIRCUIT_OPEN fast, and closes after good probes", async () => {
    let failing = true;
    const flaky = backend(() => (failing ? new Response("no", { status: 500 }) : new Response("ok")));
    const gw = keel(`
upstreams:
  u:
    endpoints: ["http://${flaky.authority}"]
    breaker: { failureRatio: 0.5, minRequests: 5, window: 10s, openFor: 200ms, halfOpenProbes: 2 }
routes: [ { name: r, upstream: u } ]
`);
    for (let i = 0; i < 5; i++) expect((await fetch(gw.url + "/x")).status).toBe(500);
    const sent = flaky.requests.length;
    const open = await fetch(gw.url + "/x");
    expect(open.status).toBe(503);
    expect(await open.json()).toMatchObject({ code: "KEEL_CIRCUIT_OPEN", upstream: "u" });
    expect(flaky.requests.length).toBe(sent);
    expect(await series(gw, 'keel_breaker_state{upstream="u"}')).toBe(2);
    failing = false;
    await Bun.sleep(250);
    for (let i = 0; i < 3; i++) expect((await fetch(gw.url + "/x")).status).toBe(200);
    expect(await series(gw, 'keel_breaker_state{upstream="u"}')).toBe(0);
    await expectNothingInFlight(gw);
  });
});

describe("a flapping backend", () => {
  test("active checks take it out while /healthz fails and put it back when it passes", async () => {
    let healthy = true;
    const flap = backend((_req, rec) => (rec.target === "/healthz" ? new Response(healthy ? "ok" : "down", { status: healthy ? 200 : 503 }) : new Response("A")));
    const steady = backend(() => new Response("B"));
    const gw = keel(`
upstreams:
  u:
    endpoints: ["http://${flap.authority}", "http://${steady.authority}"]
    balance: round-robin
    health: { active: { path: /healthz, interval: 30ms, timeout: 200ms, healthyThreshold: 2, unhealthyThreshold: 2 } }
routes: [ { name: r, upstream: u } ]
`);
    const ep = `keel_upstream_endpoint_state{upstream="u",endpoint="http://${flap.authority}"}`;
    healthy = false;
    await waitFor(async () => (await series(gw, ep)) === 1, 4000, "the flapping endpoint marked unhealthy");
    for (let i = 0; i < 6; i++) expect(await (await fetch(gw.url + "/x")).text()).toBe("B");
    healthy = true;
    await waitFor(async () => (await series(gw, ep)) === 0, 4000, "the endpoint healthy again");
    const bodies = new Set<string>();
    for (let i = 0; i < 6; i++) bodies.add(await (await fetch(gw.url + "/x")).text());
    expect([...bodies].sort()).toEqual(["A", "B"]);
    await expectNothingInFlight(gw);
  });
});

describe("consistent hashing", () => {
  test("the same key always reaches the same endpoint", async () => {
    const bs = [backend(() => new Response("0")), backend(() => new Response("1")), backend(() => new Response("2"))];
    const gw = keel(`
upstreams:
  u: { endpoints: [${bs.map((b) => `"http://${b.authority}"`).join(", ")}], balance: { hash: header:x-user } }
routes: [ { name: r, upstream: u } ]
`);
    const seen = new Map<string, Set<string>>();
    for (let round = 0; round < 3; round++) {
      for (let u = 0; u < 30; u++) {
        const who = await (await fetch(gw.url + "/x", { headers: { "x-user": `user-${u}` } })).text();
        if (!seen.has(`user-${u}`)) seen.set(`user-${u}`, new Set());
        seen.get(`user-${u}`)!.add(who);
      }
    }
    for (const s of seen.values()) expect(s.size).toBe(1);
    expect(new Set([...seen.values()].map((s) => [...s][0])).size).toBe(3); // all endpoints used
  });
});
