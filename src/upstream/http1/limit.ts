// Per-upstream connection accounting for the HTTP/1.1 client: open + connecting connections to all
// endpoints of one upstream, and (when breaker.maxConnections is set) the FIFO of exchanges waiting
// for a connection. Keyed by upstream name in the client, so connections opened under an older plan
// (before a reload) still count. No timer per waiter: a waiter leaves the queue when it gets a
// connection or when its own UpstreamCancel fires (route deadline, client gone).

import type { UpstreamPlan } from "../../config/plan.ts";
import { C_IDLE } from "./connection.ts";
import type { Exchange } from "./exchange.ts";

/** Where an exchange waits; it removes itself from here when cancelled. */
export interface WaitQueue {
  remove(ex: Exchange): void;
}

/** What a limit needs from an endpoint pool. */
export interface LimitedPool {
  /** Idle connections, oldest first. */
  readonly idle: readonly { readonly limit: UpstreamLimit | null; readonly state: number; end(): void }[];
  /** Give ex a connection now: an idle one of this pool, else a new one (the slot is free). */
  admit(ex: Exchange, lim: UpstreamLimit): void;
}

export class UpstreamLimit implements WaitQueue {
  /** Open + connecting connections counted against this upstream. */
  open = 0;
  maxConnections: number | null = null;
  maxPending: number | null = null;
  /** Exchanges waiting for a connection, oldest first. */
  readonly queue: Exchange[] = [];
  /** Pools that opened connections under this limit (to find idle ones to give up). */
  readonly pools = new Set<LimitedPool>();
  /** The plan last configured from (plans are frozen: identity tells a reload). */
  plan: UpstreamPlan | null = null;

  constructor(readonly name: string) {}

  configure(up: UpstreamPlan): void {
    this.plan = up;
    const b = up.breaker;
    const prev = this.maxConnections;
    this.maxConnections = b === null ? null : b.maxConnections;
    this.maxPending = b === null ? null : b.maxPending;
    // A raised or removed cap lets waiters through now.
    if (this.queue.length > 0 && (this.maxConnections === null || (prev !== null && this.maxConnections > prev))) this.wake();
  }

  /** Below the connection cap (a new connection may be opened). */
  hasRoom(): boolean {
    const max = this.maxConnections;
    return max === null || this.open < max;
  }

  /** The pending cap is reached: a further waiter is refused. */
  queueFull(): boolean {
    const max = this.maxPending;
    return max !== null && this.queue.length >= max;
  }

  enqueue(ex: Exchange, front = false): void {
    ex.waiting = this;
    if (front) this.queue.unshift(ex);
    else this.queue.push(ex);
  }

  remove(ex: Exchange): void {
    if (ex.waiting !== this) return;
    ex.waiting = null;
    const i = this.queue.indexOf(ex);
    if (i >= 0) this.queue.splice(i, 1);
  }

  /** The first waiter that wants `pool`'s endpoint, taken off the queue; null if none. */
  takeFor(pool: LimitedPool): Exchange | null {
    const q = this.queue;
    for (let i = 0; i < q.length; i++) {
      const ex = q[i]!;
      if ((ex.owner as unknown) === pool) {
        q.splice(i, 1);
        ex.waiting = null;
        return ex;
      }
    }
    return null;
  }

  /** A connection slot was freed (closed, connect failed): let waiters in, oldest first. */
  released(): void {
    this.open--;
    if (this.queue.length > 0) this.wake();
  }

  wake(): void {
    const q = this.queue;
    while (q.length > 0 && this.hasRoom()) {
      const ex = q.shift()!;
      ex.waiting = null;
      // admit() opens a connection (open++), or takes an idle one; either way the loop re-checks.
      (ex.owner as unknown as LimitedPool).admit(ex, this);
    }
  }

  /**
   * At the cap with waiters: close one idle connection of this upstream held by another endpoint
   * than `except` (it cannot serve the waiter), freeing its slot. True if one was closed.
   */
  evictIdle(except: LimitedPool): boolean {
    for (const p of this.pools) {
      if (p === except) continue;
      const idle = p.idle;
      for (let i = 0; i < idle.length; i++) {
        const c = idle[i]!;
        if (c.limit === this && c.state === C_IDLE) {
          c.end(); // -> connectionClosed -> released() -> wake()
          return true;
        }
      }
    }
    return false;
  }
}

export const NO_CONNECTIONS: { readonly open: number; readonly pending: number } = Object.freeze({ open: 0, pending: 0 });
