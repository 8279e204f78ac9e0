// /metrics on the admin listener after real traffic: requests per route and status class, the
// latency histogram, and upstream errors by code.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { deadPort, requestComplete, startBackend, startRawBackend, type Backend } from "../support/backend.ts";
import { oneRoute, startKeel, type TestGateway } from "../support/gateway.ts";
import { parseExposition, samplesOf, type Family } from "../observe/parse-exposition.ts";

describe("admin /metrics after traffic", () => {
  let be: Backend;
  let gw: TestGateway;
  let families: Map<string, Family>;

  beforeAll(async () => {
    be = startBackend();
    gw = startKeel(`upstreams:
  users: { endpoints: ["http://${be.authority}"] }
  broken: { endpoints: ["http://127.0.0.1:${deadPort()}"] }
routes:
  - { name: users, match: { pathPrefix: /users }, upstream: users }
  - { name: broken, match: { pathPrefix: /broken }, upstream: broken }
`);
    for (let i = 0; i < 3; i++) await (await fetch(`${gw.url}/users/${i}`)).text();
    await (await fetch(`${gw.url}/broken`)).text();
    await (await fetch(`${gw.url}/broken`)).text();
    await (await fetch(`${gw.url}/nowhere`)).text();
    const res = await fetch(`${gw.adminUrl}/metrics`);
    expect(res.status).toBe(200);
    families = parseExposition(await res.text());
  });

  afterAll(async () => {
    await gw?.stop();
    be?.stop();
  });

  const value = (family: string, name: string, labels: Record<string, string>) =>
    samplesOf(families, family).find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;

  test("keel_requests_total counts per route and status class", () => {
    expect(value("keel_requests_total", "keel_requests_total", { route: "users", status_class: "2xx" })).toBe(3);
    expect(value("keel_requests_total", "keel_requests_total", { route: "broken", status_class: "5xx" })).toBe(2);
    expect(value("keel_requests_total", "keel_requests_total", { route: "(none)", status_class: "4xx" })).toBe(1);
  });

  test("the duration histogram has the route's requests", () => {
    const h = "keel_request_duration_seconds";
    expect(families.get(h)?.type).toBe("histogram");
    expect(value(h, `${h}_count`, { route: "users" })).toBe(3);
    expect(value(h, `${h}_bucket`, { route: "users", le: "+Inf" })).toBe(3);
    expect(value(h, `${h}_sum`, { route: "users" })).toBeGreaterThan(0);
  });

  test("keel_upstream_errors_total counts the refused connections by upstream and code", () => {
    expect(value("keel_upstream_errors_total", "keel_upstream_errors_total", { upstream: "broken", code: "KEEL_UPSTREAM_CONNECT_REFUSED" })).toBe(2);
    expect(value("keel_upstream_errors_total", "keel_upstream_errors_total", { upstream: "users", code: "KEEL_UPSTREAM_CONNECT_REFUSED" }) ?? 0).toBe(0);
  });

  test("nothing in flight once the traffic is done", () => {
    expect(value("keel_requests_in_flight", "keel_requests_in_flight", {})).toBe(0);
  });

  // The 200 head was already counted in its status class (requests are recorded at head time); the
  // body failure is counted as an upstream error through UpstreamCancel.bodyFailed.
  test("a mid-body reset is counted as KEEL_UPSTREAM_RESET_MID_RESPONSE", async () => {
    const mid = startRawBackend({
      onData(sofar, sock) {
        if (!requestComplete(sofar)) return;
        sock.write("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n0123456789");
        setTimeout(() => sock.end(), 20);
      },
    });
    const g = startKeel(oneRoute([mid.authority]));
    try {
      await (await fetch(g.url + "/x")).arrayBuffer().catch(() => null);
      const fams = parseExposition(await (await fetch(`${g.adminUrl}/metrics`)).text());
      const v = samplesOf(fams, "keel_upstream_errors_total").find((x) => x.labels.code === "KEEL_UPSTREAM_RESET_MID_RESPONSE" && x.labels.upstream === "backend");
      expect(v?.value).toBe(1);
    } finally {
      await g.stop();
      mid.stop();
    }
  });
});
