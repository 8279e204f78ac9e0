// The request handler without sockets: a plan, a stub upstream client and a fake server. Checks the
// guards the pipeline holds (in-flight count, balancer bookkeeping) on every exit path.

import { describe, expect, test } from "bun:test";
import type { Server } from "bun";
import { GatewayMetrics } from "../../src/observe/gateway-metrics.ts";
import { buildRuntime } from "../../src/pipeline/gateway-runtime.ts";
import { createRequestHandler } from "../../src/pipeline/handle-request.ts";
import type { UpstreamClient, UpstreamRequest, UpstreamResult } from "../../src/upstream/client.ts";
import { planFrom, withDefaults } from "../support/gateway.ts";

const PLAN = planFrom(
  withDefaults(`upstreams:
  u: { endpoints: ["http://127.0.0.1:9001", "http://127.0.0.1:9002"] }
routes:
  - { name: r, match: { pathPrefix: /api }, upstream: u, stripPrefix: true, timeout: 5s }
`),
);

const fakeServer = { requestIP: () => ({ address: "::ffff:192.0.2.1", family: "IPv6", port: 5555 }) } as unknown as Server<undefined>;

function setup(send: (req: UpstreamRequest) => Promise<UpstreamResult>) {
  const rt = buildRuntime(PLAN);
  const metrics = new GatewayMetrics(["r"], ["u"]);
  const client: UpstreamClient = { send: (_e, _u, req) => send(req), idleConnections: () => 0, close() {} };
  const handle = createRequestHandler({ runtime: () => rt, client, metrics, proto: "http" });
  const inFlightAtBalancer = () => rt.upstreams[0]!.balancer.inFlight(0) + rt.upstreams[0]!.balancer.inFlight(1);
  return { rt, metrics, handle, inFlightAtBalancer };
}

const quiet = async <T>(f: () => Promise<T>): Promise<T> => {
  const orig = console.error;
  console.error = () => {};
  try {
    return await f();
  } finally {
    console.error = orig;
  }
};

describe("handleRequest", () => {
  test("builds the upstream request: stripped target with query, forwarding headers, body length", async () => {
    let seen: UpstreamRequest | null = null;
    const { handle } = setup(async (req) => {
      seen = req;
      return { ok: true, response: { status: 200, headers: ["x-a", "1"], body: null, bodyLength: 0 } };
    });
    const res = await handle(
      new Request("http://front.example/api/items?x=1", { method: "POST", body: "hello", headers: { host: "front.example", "content-length": "5" } }),
      fakeServer,
    );
    expect(res.status).toBe(200);
    expect(res.headers.get("x-a")).toBe("1");
    const req = seen! as UpstreamRequest;
    expect(req.method).toBe("POST");
    expect(req.target).toBe("/items?x=1");
    expect(req.bodyLength).toBe(5);
    const h = new Map<string, string>();
    for (let i = 0; i < req.headers.length; i += 2) h.set(req.headers[i]!, req.headers[i + 1]!);
    expect(h.get("x-forwarded-for")).toBe("192.0.2.1");
    expect(h.get("x-request-id")).toBe(res.headers.get("x-request-id")!);
  });

  for (const how of ["throws", "rejects"] as const) {
    test(`a client that ${how}: 500, and the in-flight count and balancer slot are released`, async () => {
      const { handle, metrics, inFlightAtBalancer } = setup((): Promise<UpstreamResult> => {
        if (how === "throws") throw new Error("boom");
        return Promise.reject(new Error("boom"));
      });
      const res = await quiet(async () => handle(new Request("http://front.example/api/x"), fakeServer));
      expect(res.status).toBe(500);
      expect(((await res.json()) as { code: string }).code).toBe("KEEL_INTERNAL");
      expect(metrics.inFlight).toBe(0);
      expect(inFlightAtBalancer()).toBe(0);
    });
  }

  test("a typed failure releases the balancer slot too", async () => {
    const { handle, metrics, inFlightAtBalancer } = setup(async () => ({ ok: false, failure: { code: "KEEL_UPSTREAM_RESET", detail: "gone" } }));
    const res = await handle(new Request("http://front.example/api/x"), fakeServer);
    expect(res.status).toBe(502);
    expect(metrics.inFlight).toBe(0);
    expect(inFlightAtBalancer()).toBe(0);
    expect(metrics.upstreamErrors(0, "KEEL_UPSTREAM_RESET")).toBe(1);
  });

  test("the route timeout cancels the exchange with KEEL_UPSTREAM_TIMEOUT", async () => {
    const plan = planFrom(
      withDefaults(`upstreams:
  u: { endpoints: ["http://127.0.0.1:9001"] }
routes:
  - { name: r, upstream: u, timeout: 20ms }
`),
    );
    const rt = buildRuntime(plan);
    const metrics = new GatewayMetrics(["r"], ["u"]);
    const client: UpstreamClient = {
      send: (_e, _u, req) =>
        new Promise((resolve) => {
          req.cancel.listener = { onCancel: (code) => resolve({ ok: false, failure: { code, detail: "cancelled" } }) };
        }),
      idleConnections: () => 0,
      close() {},
    };
    const handle = createRequestHandler({ runtime: () => rt, client, metrics, proto: "http" });
    const res = await handle(new Request("http://front.example/x"), fakeServer);
    expect(res.status).toBe(504);
    expect(((await res.json()) as { detail: string }).detail).toContain("route timeout 20 ms");
    expect(metrics.inFlight).toBe(0);
  });
});
