// Balancing wired end to end: round robin alternates between endpoints; P2C (two endpoints, so
// both are always the candidates) sends new requests away from an endpoint with one stalled.

import { afterEach, describe, expect, test } from "bun:test";
import type { Server } from "bun";
import { startBackend } from "../support/backend.ts";
import { CLIENTS } from "../support/clients.ts";
import { startKeel, waitFor } from "../support/gateway.ts";

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

for (const client of CLIENTS) {
  describe(`balancing via ${client.name}`, () => {
    test("round robin alternates", async () => {
      const a = startBackend();
      const b = startBackend();
      cleanups.push(() => a.stop(), () => b.stop());
      const gw = startKeel(
        `upstreams:
  u: { endpoints: ["http://${a.authority}", "http://${b.authority}"], balance: round-robin }
routes:
  - { name: r, upstream: u }
`,
        { client: client.make() },
      );
      cleanups.push(() => gw.stop());
      for (let i = 0; i < 10; i++) await (await fetch(`${gw.url}/${i}`)).text();
      expect([a.requests.length, b.requests.length]).toEqual([5, 5]);
      expect(a.requests.map((r) => r.target)).toEqual(["/0", "/2", "/4", "/6", "/8"]);
    });

    test("P2C steers around an endpoint with a request stuck on it", async () => {
      let release!: () => void;
      const released = new Promise<void>((r) => (release = r));
      const seen = { slow: 0, fast: 0 };
      const mk = (name: "slow" | "fast"): Server<undefined> =>
        Bun.serve({
          hostname: "127.0.0.1",
          port: 0,
          async fetch(req) {
            seen[name]++;
            if (new URL(req.url).pathname === "/stick") await released;
            return new Response(name);
          },
        });
      const s1 = mk("slow");
      const s2 = mk("fast");
      cleanups.push(() => s1.stop(true), () => s2.stop(true));
      cleanups.push(() => release());
      const gw = startKeel(
        `upstreams:
  u: { endpoints: ["http://127.0.0.1:${s1.port}", "http://127.0.0.1:${s2.port}"], balance: p2c }
routes:
  - { name: r, upstream: u }
`,
        { client: client.make() },
      );
      cleanups.push(() => gw.stop());
      // Park one request on whichever endpoint it lands; both servers park /stick.
      const stuck = fetch(`${gw.url}/stick`).then((r) => r.text());
      await waitFor(() => seen.slow + seen.fast === 1, 4000, "the parked request");
      const parkedOn = seen.slow === 1 ? "slow" : "fast";
      const other = parkedOn === "slow" ? "fast" : "slow";
      const answers: string[] = [];
      for (let i = 0; i < 6; i++) answers.push(await (await fetch(`${gw.url}/quick/${i}`)).text());
      expect(answers).toEqual(Array(6).fill(other));
      release();
      expect(await stuck).toBe(parkedOn);
    });
  });
}

describe("request id header name", () => {
  test("a custom header carries the id both ways; x-request-id is then just a header", async () => {
    const be = startBackend();
    cleanups.push(() => be.stop());
    const gw = startKeel(`requestId: { header: X-Correlation-Id }
upstreams:
  u: { endpoints: ["http://${be.authority}"] }
routes:
  - { name: r, upstream: u }
`);
    cleanups.push(() => gw.stop());
    const res = await fetch(gw.url + "/x", { headers: { "x-request-id": "passes-through", "x-correlation-id": "replaced" } });
    await res.text();
    const h = be.requests[0]!.headers;
    expect(h.get("x-correlation-id")).not.toBe("replaced");
    expect(h.get("x-correlation-id")).toBe(res.headers.get("x-correlation-id"));
    expect(h.get("x-request-id")).toBe("passes-through");
  });
});
