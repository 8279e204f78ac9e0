// startGateway / drain in-process: ports reported, readiness, drain with and without stragglers,
// and a failed start that leaves nothing listening.

import { afterEach, describe, expect, test } from "bun:test";
import { deadPort, startBackend, startRawBackend } from "../support/backend.ts";
import { oneRoute, planFrom, startKeel, waitFor, withDefaults } from "../support/gateway.ts";
import { startGateway } from "../../src/server/gateway-server.ts";

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** True when something can bind 127.0.0.1:port (nothing holds it). */
function portFree(port: number): boolean {
  try {
    const l = Bun.listen({ hostname: "127.0.0.1", port, socket: { data() {} } });
    l.stop(true);
    return true;
  } catch {
    return false;
  }
}

describe("startGateway", () => {
  test("reports its ports and serves; drain with nothing in flight reports 0 and frees the ports", async () => {
    const be = startBackend();
    cleanups.push(() => be.stop());
    const gw = startKeel(oneRoute([be.authority]));
    cleanups.push(() => gw.stop());
    expect(gw.url).toBe(`http://127.0.0.1:${gw.port}`);
    expect(gw.admin!.port).toBeGreaterThan(0);
    expect(gw.isReady()).toBe(true);
    expect((await fetch(gw.url + "/x")).status).toBe(200);

    expect(await gw.drain()).toEqual({ inFlightAtDeadline: 0 });
    expect(gw.isReady()).toBe(false);
    expect(portFree(gw.port)).toBe(true);
    expect(portFree(gw.admin!.port)).toBe(true);
  });

  test("drain timeout: a stalled request is counted and cut off", async () => {
    const stall = startRawBackend({ onData() {} });
    cleanups.push(() => stall.stop());
    const gw = startKeel("server: { drainTimeout: 200ms }\n" + oneRoute([stall.authority]));
    cleanups.push(() => gw.stop());
    const pending = fetch(gw.url + "/stuck").then(
      (r) => r.status,
      () => "closed",
    );
    await waitFor(() => stall.received.length > 0, 4000, "the request at the backend");
    expect(await gw.drain()).toEqual({ inFlightAtDeadline: 1 });
    // The client is not left hanging.
    expect(["closed", 502, 503, 504, 499]).toContain(await pending);
  });

  test("an admin port already in use: the start fails and leaves the proxy port free", async () => {
    const taken = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    cleanups.push(() => taken.stop(true));
    const proxyPort = deadPort();
    const plan = planFrom(
      withDefaults(`listen: { port: ${proxyPort}, host: 127.0.0.1 }
admin: { port: ${taken.port}, host: 127.0.0.1 }
${oneRoute(["127.0.0.1:9"])}`),
    );
    expect(() => startGateway(plan)).toThrow(/in use/);
    expect(portFree(proxyPort)).toBe(true);
  });
});
