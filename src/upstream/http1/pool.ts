// Idle keep-alive connections of one endpoint. LIFO: the most recently used socket is the one
// least likely to have been closed by the backend, and the cold ones at the bottom expire.
// Bounded by maxIdlePerEndpoint; idle ones older than idleTimeoutMs are closed by the client's sweep.

import type { Socket } from "bun";
import type { EndpointPlan, UpstreamPlan } from "../../config/plan.ts";
import { C_ACTIVE, C_CONNECTING, C_IDLE, Connection, HANDLERS, type ConnectionPool } from "./connection.ts";
import { PH_HEAD, type Exchange } from "./exchange.ts";
import type { LimitedPool, UpstreamLimit } from "./limit.ts";

/** What a pool needs from its client (counters, the sweep, the close generation). */
export interface PoolOwner {
  generation: number;
  connectionsOpened: number;
  connectionsReused: number;
  onIdleChange(delta: number, pool: EndpointPool): void;
  onActiveChange(delta: number): void;
  /** The connection accounting (and wait queue) of an upstream. */
  limitFor(upstream: UpstreamPlan): UpstreamLimit;
}

export class EndpointPool implements ConnectionPool, LimitedPool {
  readonly idle: Connection[] = [];
  readonly label: string;
  /** Why this endpoint cannot be served by this client (null = it can). */
  readonly unsupported: string | null;
  maxIdle: number;
  idleTimeoutMs: number;
  connectTimeoutMs: number;

  constructor(
    readonly owner: PoolOwner,
    readonly endpoint: EndpointPlan,
    upstream: UpstreamPlan,
  ) {
    this.label = endpoint.url;
    // No TLS here yet: better a clear failure than plaintext to a TLS port.
    this.unsupported = endpoint.url.startsWith("https:") ? "https endpoints are not supported by the http1 client" : null;
    this.maxIdle = upstream.maxIdlePerEndpoint;
    this.idleTimeoutMs = upstream.idleTimeoutMs;
    this.connectTimeoutMs = upstream.connectTimeoutMs;
  }

  configure(upstream: UpstreamPlan): void {
    this.maxIdle = upstream.maxIdlePerEndpoint;
    this.idleTimeoutMs = upstream.idleTimeoutMs;
    this.connectTimeoutMs = upstream.connectTimeoutMs;
  }

  /** Send on an idle connection, else on a new one. */
  dispatch(ex: Exchange): void {
    const idle = this.idle;
    while (idle.length > 0) {
      const conn = idle.pop()!;
      if (conn.state !== C_IDLE) continue; // closed while idle (removed lazily)
      conn.state = C_ACTIVE;
      this.owner.onIdleChange(-1, this);
      this.owner.onActiveChange(1);
      this.owner.connectionsReused++;
      conn.start(ex);
      return;
    }
    this.open(ex, this.owner.limitFor(ex.upstream));
  }

  /**
   * dispatch under the upstream's breaker.maxConnections / maxPending: an idle connection, else a
   * new one while below maxConnections, else wait in the upstream's FIFO (refused past maxPending).
   */
  dispatchLimited(ex: Exchange, lim: UpstreamLimit): void {
    if (this.takeIdle(ex)) return;
    if (lim.hasRoom()) {
      this.open(ex, lim);
      return;
    }
    if (lim.queueFull()) {
      ex.failWith(
        "KEEL_CIRCUIT_OVERFLOW",
        `upstream "${lim.name}" is at breaker.maxConnections (${lim.maxConnections}) with breaker.maxPending (${lim.maxPending}) requests already waiting for a connection`,
      );
      return;
    }
    lim.enqueue(ex);
    // An idle connection to another endpoint of this upstream cannot serve it: give up its slot.
    lim.evictIdle(this);
  }

  /** A waiter's turn (LimitedPool): a slot is free, or an idle connection may be here. */
  admit(ex: Exchange, lim: UpstreamLimit): void {
    if (ex.phase !== PH_HEAD || ex.conn !== null) return;
    if (this.takeIdle(ex)) return;
    this.open(ex, lim);
  }

  /** Start ex on an idle connection, if there is one. */
  private takeIdle(ex: Exchange): boolean {
    const idle = this.idle;
    while (idle.length > 0) {
      const conn = idle.pop()!;
      if (conn.state !== C_IDLE) continue;
      conn.state = C_ACTIVE;
      this.owner.onIdleChange(-1, this);
      this.owner.onActiveChange(1);
      this.owner.connectionsReused++;
      conn.start(ex);
      return true;
    }
    return false;
  }

  retry(ex: Exchange): void {
    const lim = this.owner.limitFor(ex.upstream);
    if (!lim.hasRoom()) {
      // Its connection's slot went to a waiter meanwhile: wait again, first in line.
      lim.enqueue(ex, true);
      lim.evictIdle(this);
      return;
    }
    this.open(ex, lim);
  }

  /** Connect a fresh socket for ex, counted against lim; one timer bounds the connect. */
  open(ex: Exchange, lim: UpstreamLimit): void {
    const conn = new Connection(this, this.owner.generation);
    conn.pendingEx = ex;
    conn.limit = lim;
    lim.open++;
    lim.pools.add(this);
    this.owner.connectionsOpened++;
    const ms = this.connectTimeoutMs;
    if (ms > 0) conn.connectTimer = setTimeout(onConnectTimeout, ms, conn);
    try {
      const p: Promise<Socket<Connection>> = Bun.connect<Connection>({
        hostname: this.endpoint.host,
        port: this.endpoint.port,
        socket: HANDLERS,
        data: conn,
      });
      // connectError already handles the failure; keep the rejection from being reported.
      p.then(undefined, noop);
    } catch (err) {
      conn.onConnectFailed("KEEL_UPSTREAM_UNREACHABLE", `cannot connect (${(err as Error)?.message ?? String(err)})`);
    }
  }

  connectionOpened(_conn: Connection): void {
    this.owner.onActiveChange(1);
  }

  release(conn: Connection): void {
    if (conn.state !== C_ACTIVE) return;
    const lim = conn.limit;
    if (lim !== null && lim.queue.length > 0 && conn.generation === this.owner.generation && this.handOff(conn, lim)) return;
    if (this.idle.length >= this.maxIdle || conn.generation !== this.owner.generation) {
      conn.end();
      return;
    }
    conn.state = C_IDLE;
    conn.idleSince = Date.now();
    this.idle.push(conn);
    this.owner.onActiveChange(-1);
    this.owner.onIdleChange(1, this);
  }

  /**
   * Exchanges wait for a connection: hand this one to the first that wants this endpoint; else, at
   * the cap, close it so its slot lets a waiter for another endpoint connect. True if it was used.
   */
  private handOff(conn: Connection, lim: UpstreamLimit): boolean {
    const ex = lim.takeFor(this);
    if (ex !== null) {
      this.owner.connectionsReused++;
      conn.start(ex);
      return true;
    }
    if (lim.hasRoom()) return false;
    conn.end(); // -> connectionClosed -> lim.released() -> a waiter opens
    return true;
  }

  connectionClosed(conn: Connection): void {
    // conn.state is already C_CLOSED; which list it left is told by where it is.
    const i = this.idle.indexOf(conn);
    if (i >= 0) {
      this.idle.splice(i, 1);
      this.owner.onIdleChange(-1, this);
    } else {
      this.owner.onActiveChange(-1);
    }
    const lim = conn.limit;
    if (lim !== null) lim.released();
  }

  connectFailed(conn: Connection): void {
    const lim = conn.limit;
    if (lim !== null) lim.released();
  }

  /** Close idle connections older than idleTimeoutMs (the oldest are at the bottom). */
  sweep(now: number): void {
    const idle = this.idle;
    const limit = now - this.idleTimeoutMs;
    while (idle.length > 0 && idle[0]!.idleSince <= limit) {
      const conn = idle[0]!;
      conn.end(); // removes it from idle
      if (idle[0] === conn) idle.shift();
    }
  }

  closeIdle(): void {
    const idle = this.idle;
    while (idle.length > 0) {
      const conn = idle[idle.length - 1]!;
      conn.end();
      if (idle[idle.length - 1] === conn) idle.pop();
    }
  }
}

function onConnectTimeout(conn: Connection): void {
  conn.connectTimer = null;
  if (conn.state !== C_CONNECTING) return;
  conn.onConnectFailed("KEEL_UPSTREAM_CONNECT_TIMEOUT", `connect not done within ${(conn.pool as EndpointPool).connectTimeoutMs} ms`);
}

function noop(): void {}
