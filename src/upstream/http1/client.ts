// The native HTTP/1.1 upstream client over Bun.connect: keep-alive pools per endpoint, the request
// head in one write, streamed bodies both ways with backpressure. Never throws: failures are typed.

import { failure } from "../../errors.ts";
import type { EndpointPlan, UpstreamPlan } from "../../config/plan.ts";
import type { UpstreamClient, UpstreamConnections, UpstreamRequest, UpstreamResult } from "../client.ts";
import { encodeHead } from "./connection.ts";
import { Exchange } from "./exchange.ts";
import { NO_CONNECTIONS, UpstreamLimit } from "./limit.ts";
import { EndpointPool, type PoolOwner } from "./pool.ts";

export { UpstreamBodyError } from "./exchange.ts";

export class Http1Client implements UpstreamClient, PoolOwner {
  /** New TCP connections attempted (for metrics). */
  connectionsOpened = 0;
  /** Requests sent on a pooled keep-alive connection (for metrics). */
  connectionsReused = 0;
  /** Bumped by close(): connections older than this are closed instead of pooled. */
  generation = 0;
  private idleCount = 0;
  private activeCount = 0;
  // Plans are frozen objects: look pools up by identity; fall back to host:port after a reload.
  private readonly byPlan = new WeakMap<EndpointPlan, EndpointPool>();
  private readonly byKey = new Map<string, EndpointPool>();
  /** Connection accounting per upstream name (survives reloads: live connections keep counting). */
  private readonly limits = new Map<string, UpstreamLimit>();
  private sweepTimer: ReturnType<typeof setInterval> | null = null;
  private sweepEveryMs = 0;

  send(endpoint: EndpointPlan, upstream: UpstreamPlan, req: UpstreamRequest): Promise<UpstreamResult> {
    try {
      const cancelled = req.cancel.reason;
      if (cancelled !== null) {
        return Promise.resolve({ ok: false, failure: failure(cancelled, `${endpoint.url}: request cancelled before it was sent`) });
      }
      let pool = this.byPlan.get(endpoint);
      if (pool === undefined) pool = this.poolFor(endpoint, upstream);
      else if (pool.maxIdle !== upstream.maxIdlePerEndpoint || pool.idleTimeoutMs !== upstream.idleTimeoutMs || pool.connectTimeoutMs !== upstream.connectTimeoutMs) {
        pool.configure(upstream);
      }
      if (pool.unsupported !== null) {
        return Promise.resolve({ ok: false, failure: failure("KEEL_UPSTREAM_UNREACHABLE", `${endpoint.url}: ${pool.unsupported}`) });
      }
      const head = encodeHead(req);
      if (head === null) {
        return Promise.resolve({ ok: false, failure: failure("KEEL_INTERNAL", `${endpoint.url}: refusing to send a request with CR, LF or NUL in a header field, or whitespace in the method or target`) });
      }
      const ex = new Exchange(pool, req, head, upstream);
      req.cancel.listener = ex;
      const breaker = upstream.breaker;
      if (breaker === null || breaker.maxConnections === null) pool.dispatch(ex);
      else pool.dispatchLimited(ex, this.limitFor(upstream));
      return ex.promise;
    } catch (err) {
      return Promise.resolve({ ok: false, failure: failure("KEEL_INTERNAL", `${endpoint.url}: upstream client error: ${(err as Error)?.message ?? String(err)}`) });
    }
  }

  idleConnections(): number {
    return this.idleCount;
  }

  /** Open connections carrying (or about to carry) an exchange. */
  activeConnections(): number {
    return this.activeCount;
  }

  /** Open + connecting connections of an upstream (all its endpoints) and requests waiting for one. */
  connections(upstreamName: string): UpstreamConnections {
    const lim = this.limits.get(upstreamName);
    return lim === undefined ? NO_CONNECTIONS : { open: lim.open, pending: lim.queue.length };
  }

  /** connections() of every upstream this client has connected to. */
  poolStats(): { upstream: string; open: number; pending: number }[] {
    const out: { upstream: string; open: number; pending: number }[] = [];
    for (const lim of this.limits.values()) out.push({ upstream: lim.name, open: lim.open, pending: lim.queue.length });
    return out;
  }

  close(): void {
    this.generation++;
    for (const pool of this.byKey.values()) pool.closeIdle();
    this.stopSweep();
  }

  // --- PoolOwner ---------------------------------------------------------------------------

  onIdleChange(delta: number, pool: EndpointPool): void {
    this.idleCount += delta;
    if (delta > 0) this.ensureSweep(pool.idleTimeoutMs);
  }

  onActiveChange(delta: number): void {
    this.activeCount += delta;
  }

  limitFor(upstream: UpstreamPlan): UpstreamLimit {
    let lim = this.limits.get(upstream.name);
    if (lim === undefined) {
      lim = new UpstreamLimit(upstream.name);
      this.limits.set(upstream.name, lim);
    }
    if (lim.plan !== upstream) lim.configure(upstream);
    return lim;
  }

  private poolFor(endpoint: EndpointPlan, upstream: UpstreamPlan): EndpointPool {
    const key = `${endpoint.host}:${endpoint.port}`;
    let pool = this.byKey.get(key);
    if (pool === undefined) {
      pool = new EndpointPool(this, endpoint, upstream);
      this.byKey.set(key, pool);
    } else {
      pool.configure(upstream);
    }
    this.byPlan.set(endpoint, pool);
    return pool;
  }

  /** One coarse interval for every pool, running only while something is idle. */
  private ensureSweep(idleTimeoutMs: number): void {
    const every = Math.min(1000, Math.max(10, Math.floor(idleTimeoutMs / 2)));
    if (this.sweepTimer !== null && every >= this.sweepEveryMs) return;
    if (this.sweepTimer !== null) clearInterval(this.sweepTimer);
    this.sweepEveryMs = every;
    this.sweepTimer = setInterval(sweepClient, every, this);
    // Idle sockets alone must not keep the process alive.
    (this.sweepTimer as { unref?: () => void }).unref?.();
  }

  private stopSweep(): void {
    if (this.sweepTimer !== null) clearInterval(this.sweepTimer);
    this.sweepTimer = null;
    this.sweepEveryMs = 0;
  }

  /** @internal called by the sweep interval */
  sweep(): void {
    const now = Date.now();
    for (const pool of this.byKey.values()) if (pool.idle.length > 0) pool.sweep(now);
    if (this.idleCount === 0) this.stopSweep();
  }
}

function sweepClient(client: Http1Client): void {
  client.sweep();
}
