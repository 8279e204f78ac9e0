// Fault: an endpoint's port closes (the backend process is gone, nothing listens) and later reopens
// on the same port. While it is closed: 502 KEEL_UPSTREAM_CONNECT_REFUSED, then — with outlier
// detection — ejection and 503 KEEL_NO_HEALTHY_ENDPOINT, or, with a second endpoint and retries,
// no client-visible error at all. Once it listens again it is served again (after its ejection
// ends). Each case ends with nothing in flight. A port that never opens is
// ../resilience/misbehaving-backends.test.ts.

import { afterEach, describe, expect, test } from "bun:test";
import type { Server } from "bun";
import { startKeel, waitFor, type TestGateway } from "../../support/gateway.ts";
import { expectNothingInFlight } from "../resilience/helpers.ts";

const stops: (() => unknown)[] = [];
afterEach(async () => {
  while (stops.length) await stops.pop()!();
});

/** A backend answering `name` on `port` (0: any free port); reopening passes the port it had. */
function listen(name: string, port = 0): Server<undefined> {
  const s = Bun.serve({ hostname: "127.0.0.1", port, fetch: () => new Response(name) });
  stops.push(() => s.stop(true));
  return s;
}

function keel(yaml: string): TestGateway {
  const gw = startKeel(yaml);
  stops.push(() => gw.stop());
  return gw;
}

/** Status, plus the problem code of a non-200, of one request. */
async function outcome(gw: TestGateway): Promise<string> {
  const res = await fetch(gw.url + "/x");
  const body = await res.text();
  return res.status === 200 ? `200 ${body}` : `${res.status} ${(JSON.parse(body) as { code: string }).code}`;
}

const REFUSED = "502 KEEL_UPSTREAM_CONNECT_REFUSED";
const NONE_HEALTHY = "503 KEEL_NO_HEALTHY_ENDPOINT";

describe("an endpoint whose port closes and reopens", () => {
  test("one endpoint, no health checks: 502 KEEL_UPSTREAM_CONNECT_REFUSED while closed, served as soon as it listens again", async () => {
    const first = listen("A");
    const port = first.port!;
    const gw = keel(`
upstreams:
  u: { endpoints: ["http://127.0.0.1:${port}"] }
routes: [ { name: r, upstream: u } ]
`);
    expect(await outcome(gw)).toBe("200 A");
    first.stop(true);
    for (let i = 0; i < 3; i++) expect(await outcome(gw)).toBe(REFUSED);
    await expectNothingInFlight(gw);
    listen("A again", port);
    expect(await outcome(gw)).toBe("200 A again");
    await expectNothingInFlight(gw);
  });

  test("one endpoint, outlier detection: refused, then ejected (503 KEEL_NO_HEALTHY_ENDPOINT), served again once reopened and the ejection ends", async () => {
    const first = listen("A");
    const port = first.port!;
    const gw = keel(`
upstreams:
  u:
    endpoints: ["http://127.0.0.1:${port}"]
    health: { outlier: { consecutiveFailures: 2, baseEjection: 500ms } }
routes: [ { name: r, upstream: u } ]
`);
    expect(await outcome(gw)).toBe("200 A");
    first.stop(true);
    expect(await outcome(gw)).toBe(REFUSED);
    expect(await outcome(gw)).toBe(REFUSED);
    expect(await outcome(gw)).toBe(NONE_HEALTHY);
    listen("A again", port);
    // Until the ejection ends: still 503 (or, if it ended and the port was not yet open, 502).
    const seen = new Set<string>();
    await waitFor(
      async () => {
        const o = await outcome(gw);
        seen.add(o);
        return o === "200 A again";
      },
      4000,
      "the endpoint served again",
    );
    expect([...seen].filter((o) => o !== "200 A again" && o !== NONE_HEALTHY && o !== REFUSED)).toEqual([]);
    await expectNothingInFlight(gw);
  });

  test("two endpoints with retries: no client-visible error while one is closed; it takes traffic again after it reopens", async () => {
    const steady = listen("A");
    const flap = listen("B");
    const port = flap.port!;
    const gw = keel(`
upstreams:
  u:
    endpoints: ["http://127.0.0.1:${steady.port}", "http://127.0.0.1:${port}"]
    balance: round-robin
    health: { outlier: { consecutiveFailures: 2, baseEjection: 200ms } }
routes: [ { name: r, upstream: u, retry: { attempts: 2, on: [connect-failure] } } ]
`);
    const bodies = async (n: number) => {
      const out = new Set<string>();
      for (let i = 0; i < n; i++) out.add(await outcome(gw));
      return [...out].sort();
    };
    expect(await bodies(6)).toEqual(["200 A", "200 B"]);
    flap.stop(true);
    expect(await bodies(10)).toEqual(["200 A"]);
    listen("B again", port);
    await waitFor(async () => (await bodies(4)).includes("200 B again"), 4000, "the reopened endpoint to take traffic");
    expect(await bodies(6)).toEqual(["200 A", "200 B again"]);
    await expectNothingInFlight(gw);
  });
});
