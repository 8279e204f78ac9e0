// breaker.maxConnections / maxPending in the HTTP/1.1 client: a per-upstream connection cap with
// a FIFO of waiting exchanges, refused past maxPending; waiters leave on their own cancel.
import { afterEach, describe, expect, test } from "bun:test";
import type { EndpointPlan, UpstreamPlan } from "../../../src/config/plan.ts";
import type { BreakerPlan } from "../../../src/resilience/types.ts";
import { UpstreamCancel } from "../../../src/upstream/cancel.ts";
import type { UpstreamResult } from "../../../src/upstream/client.ts";
import { endpoint, ok, request, text, until, upstream, type RawConn , tracked } from "./helpers.ts";

const t = tracked();
const client = t.client;
const raw = t.raw;
afterEach(t.closeAll);

function breaker(over: Partial<BreakerPlan>): BreakerPlan {
  return { failureRatio: 0.5, minRequests: 1000, windowMs: 10_000, openMs: 5000, halfOpenProbes: 1, maxConnections: null, maxPending: null, maxInFlight: null, ...over };
}
function capped(eps: EndpointPlan[], over: Partial<BreakerPlan>): UpstreamPlan {
  return upstream(eps[0]!, { name: "capped", endpoints: eps, breaker: breaker(over) });
}
const OK = "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok";
const OK_CLOSE = "HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok";

/** A backend that holds every request until release() answers them (oldest first). */
function holding() {
  const held: RawConn[] = [];
  const server = raw((conn) => {
    held.push(conn);
  });
  return {
    server,
    held,
    release(n = held.length): void {
      for (const conn of held.splice(0, n)) conn.socket.write(OK);
    },
  };
}

/** Settles within ms, else "pending". */
async function settledWithin<T>(p: Promise<T>, ms: number): Promise<T | "pending"> {
  return await Promise.race([p, Bun.sleep(ms).then(() => "pending" as const)]);
}

describe("breaker.maxConnections / maxPending (http1)", () => {
  test("maxConnections 2: five concurrent requests to a slow backend use two connections and all complete", async () => {
    const c = client();
    let maxSeen = 0;
    const server = raw((conn) => {
      maxSeen = Math.max(maxSeen, server.conns.filter((x) => !x.closed).length);
      setTimeout(() => conn.socket.write(OK), 30);
    });
    const ep = endpoint(server.port);
    const up = capped([ep], { maxConnections: 2 });
    const all = Array.from({ length: 5 }, () => c.send(ep, up, request(ep)));
    expect(c.connections("capped")).toEqual({ open: 2, pending: 3 });
    const results = await Promise.all(all);
    for (const r of results) expect(await text(ok(r).body)).toBe("ok");
    expect(server.conns.length).toBe(2);
    expect(maxSeen).toBeLessThanOrEqual(2);
    expect(c.connectionsOpened).toBe(2);
    expect(c.connections("capped")).toEqual({ open: 2, pending: 0 });
    expect(c.idleConnections()).toBe(2);
    c.close();
    expect(c.connections("capped")).toEqual({ open: 0, pending: 0 });
  });

  test("maxPending 1: the 4th concurrent request fails KEEL_CIRCUIT_OVERFLOW at once", async () => {
    const c = client();
    const b = holding();
    const ep = endpoint(b.server.port);
    const up = capped([ep], { maxConnections: 2, maxPending: 1 });
    const first = [c.send(ep, up, request(ep)), c.send(ep, up, request(ep)), c.send(ep, up, request(ep))];
    await until(() => b.held.length === 2, "two requests at the backend");
    expect(c.connections("capped")).toEqual({ open: 2, pending: 1 });
    const fourth = await settledWithin(c.send(ep, up, request(ep)), 500);
    expect(fourth).not.toBe("pending");
    const r = fourth as UpstreamResult;
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.failure.code).toBe("KEEL_CIRCUIT_OVERFLOW");
      expect(r.failure.detail).toContain("maxPending");
      expect(r.failure.detail).toContain("maxConnections");
      expect(r.failure.detail).toContain('"capped"');
    }
    b.release();
    await until(() => b.held.length === 1, "the waiter reaches the backend");
    b.release();
    for (const res of await Promise.all(first)) expect(await text(ok(res).body)).toBe("ok");
    expect(b.server.conns.length).toBe(2);
    expect(c.connections("capped")).toEqual({ open: 2, pending: 0 });
  });

  test("maxPending 0: at the cap a request is refused instead of waiting", async () => {
    const c = client();
    const b = holding();
    const ep = endpoint(b.server.port);
    const up = capped([ep], { maxConnections: 1, maxPending: 0 });
    const a = c.send(ep, up, request(ep));
    const r = await c.send(ep, up, request(ep));
    expect(r.ok ? "ok" : r.failure.code).toBe("KEEL_CIRCUIT_OVERFLOW");
    await until(() => b.held.length === 1, "request at the backend");
    b.release();
    ok(await a);
  });

  test("a cancelled waiter leaves the queue with its cancel's code; counts go back to 0", async () => {
    const c = client();
    const b = holding();
    const ep = endpoint(b.server.port);
    const up = capped([ep], { maxConnections: 1 });
    const a = c.send(ep, up, request(ep));
    const cancelT = new UpstreamCancel();
    const cancelC = new UpstreamCancel();
    const t = c.send(ep, up, request(ep, { cancel: cancelT }));
    const l = c.send(ep, up, request(ep, { cancel: cancelC }));
    const last = c.send(ep, up, request(ep));
    expect(c.connections("capped")).toEqual({ open: 1, pending: 3 });
    cancelT.cancel("KEEL_UPSTREAM_TIMEOUT");
    cancelC.cancel("KEEL_CLIENT_CLOSED");
    const rt = await t;
    const rl = await l;
    expect(rt.ok ? "ok" : rt.failure.code).toBe("KEEL_UPSTREAM_TIMEOUT");
    expect(rl.ok ? "ok" : rl.failure.code).toBe("KEEL_CLIENT_CLOSED");
    if (!rt.ok) expect(rt.failure.detail).toContain("waiting for a connection");
    expect(c.connections("capped")).toEqual({ open: 1, pending: 1 });
    // The released connection goes to the remaining waiter, not to a cancelled one.
    await until(() => b.held.length === 1, "first request at the backend");
    b.release();
    ok(await a);
    await until(() => b.held.length === 1, "the last waiter reaches the backend");
    expect(b.server.conns.length).toBe(1);
    expect(b.server.conns[0]!.requests).toBe(2);
    b.release();
    ok(await last);
    expect(c.connections("capped")).toEqual({ open: 1, pending: 0 });
    c.close();
    expect(c.connections("capped")).toEqual({ open: 0, pending: 0 });
    expect(c.activeConnections()).toBe(0);
  });

  test("connections closing let waiters proceed (each on a new connection)", async () => {
    const c = client();
    let maxOpen = 0;
    const server = raw((conn) => {
      maxOpen = Math.max(maxOpen, c.connections("capped").open);
      setTimeout(() => conn.socket.end(OK_CLOSE), 10);
    });
    const ep = endpoint(server.port);
    const up = capped([ep], { maxConnections: 1 });
    const all = await Promise.all(Array.from({ length: 4 }, () => c.send(ep, up, request(ep))));
    for (const r of all) expect(await text(ok(r).body)).toBe("ok");
    expect(server.conns.length).toBe(4);
    expect(maxOpen).toBe(1);
    await until(() => c.connections("capped").open === 0, "connections closed");
    expect(c.connections("capped")).toEqual({ open: 0, pending: 0 });
  });

  test("a backend reset (no response) frees the slot for the next waiter", async () => {
    const c = client();
    let n = 0;
    const server = raw((conn) => {
      if (n++ === 0) conn.socket.terminate();
      else conn.socket.write(OK);
    });
    const ep = endpoint(server.port);
    const up = capped([ep], { maxConnections: 1 });
    const [a, b] = await Promise.all([c.send(ep, up, request(ep)), c.send(ep, up, request(ep))]);
    expect(a.ok ? "ok" : a.failure.code).toBe("KEEL_UPSTREAM_RESET");
    ok(b);
    expect(c.connections("capped")).toEqual({ open: 1, pending: 0 });
  });

  test("failed connects free their slots: every waiter gets its own failure, counts back to 0", async () => {
    const c = client();
    const gone = raw(() => {});
    const port = gone.port;
    gone.stop();
    const ep = endpoint(port);
    const up = capped([ep], { maxConnections: 1, maxPending: 10 });
    const all = await Promise.all(Array.from({ length: 4 }, () => c.send(ep, up, request(ep))));
    for (const r of all) expect(r.ok ? "ok" : r.failure.code).toBe("KEEL_UPSTREAM_CONNECT_REFUSED");
    expect(c.connections("capped")).toEqual({ open: 0, pending: 0 });
  });

  test("an idle connection to another endpoint gives up its slot to a waiter", async () => {
    const c = client();
    const s1 = raw((conn) => conn.socket.write(OK));
    const s2 = raw((conn) => conn.socket.write(OK));
    const e1 = endpoint(s1.port);
    const e2 = endpoint(s2.port);
    const up = capped([e1, e2], { maxConnections: 1 });
    ok(await c.send(e1, up, request(e1)));
    expect(c.idleConnections()).toBe(1);
    const r = await settledWithin(c.send(e2, up, request(e2)), 1000);
    expect(r).not.toBe("pending");
    ok(r as UpstreamResult);
    await until(() => s1.conns[0]!.closed, "the idle connection to e1 closed");
    expect(c.connections("capped")).toEqual({ open: 1, pending: 0 });
  });

  test("a connection released at e1 is closed for a waiter that wants e2", async () => {
    const c = client();
    const b1 = holding();
    const s2 = raw((conn) => conn.socket.write(OK));
    const e1 = endpoint(b1.server.port);
    const e2 = endpoint(s2.port);
    const up = capped([e1, e2], { maxConnections: 1 });
    const a = c.send(e1, up, request(e1));
    const w = c.send(e2, up, request(e2));
    expect(c.connections("capped")).toEqual({ open: 1, pending: 1 });
    await until(() => b1.held.length === 1, "request at e1");
    b1.release();
    ok(await a);
    ok(await w);
    expect(s2.conns.length).toBe(1);
    await until(() => b1.server.conns[0]!.closed, "e1's connection closed");
  });

  test("a stale pooled socket's retry waits its turn under the cap and still completes", async () => {
    const c = client();
    const server = raw((conn, n) => {
      if (conn.id === 0 && n === 1) conn.socket.terminate(); // the keep-alive race
      else conn.socket.write(`HTTP/1.1 200 OK\r\ncontent-length: 6\r\n\r\nconn ${conn.id}`);
    });
    const ep = endpoint(server.port);
    const up = capped([ep], { maxConnections: 1 });
    expect(await text(ok(await c.send(ep, up, request(ep))).body)).toBe("conn 0");
    const [a, w] = await Promise.all([c.send(ep, up, request(ep)), c.send(ep, up, request(ep))]);
    // The waiter took the freed slot (conn 1); the retried request followed on it.
    expect(await text(ok(a).body)).toBe("conn 1");
    expect(await text(ok(w).body)).toBe("conn 1");
    expect(server.conns.length).toBe(2);
    expect(c.connections("capped")).toEqual({ open: 1, pending: 0 });
  });

  test("uncapped upstreams are counted too (gauges), and never queue", async () => {
    const c = client();
    const b = holding();
    const ep = endpoint(b.server.port);
    const up = upstream(ep, { name: "free" });
    const all = Array.from({ length: 3 }, () => c.send(ep, up, request(ep)));
    expect(c.connections("free")).toEqual({ open: 3, pending: 0 });
    expect(c.connections("nope")).toEqual({ open: 0, pending: 0 });
    await until(() => b.held.length === 3, "three requests at the backend");
    b.release();
    for (const r of await Promise.all(all)) ok(r);
    expect(c.poolStats()).toEqual([{ upstream: "free", open: 3, pending: 0 }]);
  });

  test("a reload that removes the cap lets the waiters through", async () => {
    const c = client();
    const b = holding();
    const ep = endpoint(b.server.port);
    const up = capped([ep], { maxConnections: 1 });
    const a = c.send(ep, up, request(ep));
    const w = c.send(ep, up, request(ep));
    expect(c.connections("capped")).toEqual({ open: 1, pending: 1 });
    const reloaded: UpstreamPlan = { ...up, breaker: breaker({ maxConnections: null }) };
    const d = c.send(ep, reloaded, request(ep));
    expect(c.connections("capped")).toEqual({ open: 3, pending: 0 });
    await until(() => b.held.length === 3, "three requests at the backend");
    b.release();
    for (const r of await Promise.all([a, w, d])) ok(r);
  });
});
