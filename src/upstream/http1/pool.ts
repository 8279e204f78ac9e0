// Idle keep-alive connections of one endpoint. LIFO: the most recently used socket is the one
// least likely to have been closed by the backend, and the cold ones at the bottom expire.
// Bounded by maxIdlePerEndpoint; idle ones older than idleTimeoutMs are closed by the client's sweep.

import type { Socket } from "bun";
import type { EndpointPlan, UpstreamPlan } from "../../config/plan.ts";
import { C_ACTIVE, C_CONNECTING, C_IDLE, Connection, HANDLERS, type ConnectionPool } from "./connection.ts";
import type { Exchange } from "./exchange.ts";

/** What a pool needs from its client (counters, the sweep, the close generation). */
export interface PoolOwner {
  generation: number;
  connectionsOpened: number;
  connectionsReused: number;
  onIdleChange(delta: number, pool: EndpointPool): void;
  onActiveChange(delta: number): void;
}

export class EndpointPool implements ConnectionPool {
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
    this.open(ex);
  }

  retry(ex: Exchange): void {
    this.open(ex);
  }

  /** Connect a fresh socket for ex; one timer bounds the connect. */
  open(ex: Exchange): void {
    const conn = new Connection(this, this.owner.generation);
    conn.pendingEx = ex;
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

  connectionClosed(conn: Connection): void {
    // conn.state is already C_CLOSED; which list it left is told by where it is.
    const i = this.idle.indexOf(conn);
    if (i >= 0) {
      this.idle.splice(i, 1);
      this.owner.onIdleChange(-1, this);
    } else {
      this.owner.onActiveChange(-1);
    }
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
