// Failures as RFC 9457 problems, for both upstream clients: refused, reset before the head, reset
// mid-body, timeout, and an internal throw. After each the gateway still serves and nothing is left
// counted in flight.

import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import type { UpstreamClient } from "../../src/upstream/client.ts";
import { deadPort, requestComplete, startBackend, startRawBackend, type Backend, type RawBackend } from "../support/backend.ts";
import { CLIENTS } from "../support/clients.ts";
import { startKeel, waitFor, type TestGateway } from "../support/gateway.ts";
import { rawRequest, responseComplete } from "../support/raw-client.ts";

interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  route: string | null;
  upstream: string | null;
  phase: string;
  requestId: string;
}

/** Fetch and check the problem+json shape; returns the body. */
async function problemOf(res: Response, status: number, code: string): Promise<Problem> {
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type")).toBe("application/problem+json");
  const p = (await res.json()) as Problem;
  expect(Object.keys(p).sort()).toEqual(["code", "detail", "phase", "requestId", "route", "status", "title", "type", "upstream"]);
  expect(p.type).toBe(`urn:keel:error:${code}`);
  expect(p.code).toBe(code);
  expect(p.status).toBe(status);
  expect(p.title.length).toBeGreaterThan(0);
  expect(p.detail.length).toBeGreaterThan(0);
  expect(p.requestId).toBe(res.headers.get("x-request-id")!);
  return p;
}

for (const client of CLIENTS) {
  describe(`upstream failures via ${client.name}`, () => {
    let good: Backend;
    let reset: RawBackend;
    let midReset: RawBackend;
    let stall: RawBackend;
    let gw: TestGateway;

    beforeAll(() => {
      good = startBackend();
      // Closes (RST) as soon as the request arrives: nothing of a response.
      reset = startRawBackend({ onData: (_s, sock) => sock.terminate() });
      // A head promising 1000 bytes, 10 of them, then the connection ends.
      midReset = startRawBackend({
        onData(sofar, sock) {
          if (!requestComplete(sofar)) return;
          sock.write("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 1000\r\n\r\n0123456789");
          setTimeout(() => sock.end(), 20);
        },
      });
      // Reads the request and never answers.
      stall = startRawBackend({ onData() {} });
      gw = startKeel(
        `upstreams:
  good: { endpoints: ["http://${good.authority}"] }
  refused: { endpoints: ["http://127.0.0.1:${deadPort()}"] }
  reset: { endpoints: ["http://${reset.authority}"] }
  mid: { endpoints: ["http://${midReset.authority}"] }
  stall: { endpoints: ["http://${stall.authority}"] }
routes:
  - { name: good, match: { pathPrefix: /good }, upstream: good }
  - { name: refused, match: { pathPrefix: /refused }, upstream: refused }
  - { name: reset, match: { pathPrefix: /reset }, upstream: reset }
  - { name: mid, match: { pathPrefix: /mid }, upstream: mid }
  - { name: stall, match: { pathPrefix: /stall }, upstream: stall, timeout: 300ms }
`,
        { client: client.make() },
      );
    });

    afterAll(async () => {
      await gw?.stop();
      for (const b of [good, reset, midReset, stall]) b?.stop();
    });

    // After every failure: the gateway still proxies a normal request and nothing is left in flight.
    afterEach(async () => {
      const res = await fetch(gw.url + "/good/after");
      expect(res.status).toBe(200);
      await res.text();
      await waitFor(() => gw.metrics.inFlight === 0, 2000, "in-flight back to 0");
      expect(gw.metrics.inFlight).toBe(0);
    });

    test("a port nobody listens on → 502 KEEL_UPSTREAM_CONNECT_REFUSED", async () => {
      const p = await problemOf(await fetch(gw.url + "/refused/x"), 502, "KEEL_UPSTREAM_CONNECT_REFUSED");
      expect(p).toMatchObject({ route: "refused", upstream: "refused", phase: "upstream" });
    });

    test("a backend that resets before answering → 502 KEEL_UPSTREAM_RESET", async () => {
      const p = await problemOf(await fetch(gw.url + "/reset/x"), 502, "KEEL_UPSTREAM_RESET");
      expect(p).toMatchObject({ route: "reset", upstream: "reset", phase: "upstream" });
    });

    test("a POST to a backend that resets → 502 KEEL_UPSTREAM_RESET (no retry of a body)", async () => {
      const before = reset.connections;
      const p = await problemOf(await fetch(gw.url + "/reset/x", { method: "POST", body: "payload" }), 502, "KEEL_UPSTREAM_RESET");
      expect(p.route).toBe("reset");
      expect(reset.connections - before).toBe(1);
    });

    test("a backend that stalls past the route timeout → 504 KEEL_UPSTREAM_TIMEOUT", async () => {
      const closedBefore = stall.closedCount;
      const p = await problemOf(await fetch(gw.url + "/stall/x"), 504, "KEEL_UPSTREAM_TIMEOUT");
      expect(p).toMatchObject({ route: "stall", upstream: "stall", phase: "upstream" });
      expect(p.detail).toContain("300 ms");
      // The abandoned exchange's connection is closed, not left open or pooled.
      await waitFor(() => stall.closedCount > closedBefore, 4000, "the stalled upstream connection to close");
    });

    test("a reset mid-body: the client's body read fails (never a short body presented as complete)", async () => {
      const res = await fetch(gw.url + "/mid/x");
      expect(res.status).toBe(200);
      let error: unknown = null;
      let got = -1;
      try {
        got = (await res.arrayBuffer()).byteLength;
      } catch (err) {
        error = err;
      }
      expect({ got, failed: error !== null }).toEqual({ got: -1, failed: true });
    });

    test("a reset mid-body, seen on the wire: the connection closes without a complete message", async () => {
      const r = await rawRequest(gw.port, "GET /mid/raw HTTP/1.1\r\nHost: a\r\n\r\n", { until: responseComplete });
      expect(r.text.startsWith("HTTP/1.1 200")).toBe(true);
      expect(r.text).toContain("0123456789");
      expect(responseComplete(r.text)).toBe(false);
      expect(r.closedByPeer).toBe(true);
    });
  });
}

describe("internal errors", () => {
  let good: Backend;
  let gw: TestGateway;
  let mode: "throw" | "reject" | "ok" = "throw";

  // A client stub: send() throws synchronously, returns a rejected promise, or answers.
  const stub: UpstreamClient = {
    send() {
      if (mode === "throw") throw new Error("stub client exploded");
      if (mode === "reject") return Promise.reject(new Error("stub client rejected"));
      return Promise.resolve({ ok: true, response: { status: 200, headers: ["x-stub", "1"], body: new Response("stubbed").body, bodyLength: 7 } });
    },
    idleConnections: () => 0,
    close() {},
  };

  beforeAll(() => {
    good = startBackend();
    gw = startKeel(
      `upstreams:
  u: { endpoints: ["http://${good.authority}"] }
routes:
  - { name: r, match: { pathPrefix: / }, upstream: u }
`,
      { client: stub },
    );
  });

  afterAll(async () => {
    await gw?.stop();
    good?.stop();
  });

  for (const m of ["throw", "reject"] as const) {
    test(`a client that ${m}s → 500 KEEL_INTERNAL, then the gateway keeps serving`, async () => {
      mode = m;
      const errors: unknown[] = [];
      const orig = console.error;
      console.error = (...args: unknown[]) => void errors.push(args); // the throw is logged; keep test output clean
      let p: Problem;
      try {
        p = await problemOf(await fetch(gw.url + "/boom"), 500, "KEEL_INTERNAL");
      } finally {
        console.error = orig;
      }
      expect(p).toMatchObject({ route: "r", upstream: "u", phase: "upstream" });
      expect(p.detail).toContain(p.requestId);
      expect(errors.length).toBeGreaterThan(0);
      expect(gw.metrics.inFlight).toBe(0);
      mode = "ok";
      const ok = await fetch(gw.url + "/fine");
      expect(ok.status).toBe(200);
      expect(await ok.text()).toBe("stubbed");
      expect(gw.metrics.inFlight).toBe(0);
    });
  }
});
