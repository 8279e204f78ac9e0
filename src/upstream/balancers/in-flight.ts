// Requests in flight per endpoint, kept by every balancer: P2C chooses by it, and callers read it
// (metrics, tests) whatever the kind.

import type { Balancer } from "../balancer.ts";

export abstract class InFlightBalancer implements Balancer {
  protected readonly inflight: Int32Array;

  constructor(
    protected readonly n: number,
    /** 1 = may receive traffic; written by the health layer, only read here. */
    protected readonly available: Uint8Array,
  ) {
    this.inflight = new Int32Array(n);
  }

  abstract pick(key?: string, avoid?: number): number;

  start(i: number): void {
    this.inflight[i]!++;
  }

  finish(i: number): void {
    this.inflight[i]!--;
  }

  inFlight(i: number): number {
    return this.inflight[i]!;
  }

  /** When nothing but `avoid` is left: it, if it is available (a retry to the same endpoint beats none). */
  protected onlyAvoided(avoid: number): number {
    return avoid >= 0 && avoid < this.n && this.available[avoid] === 1 ? avoid : -1;
  }
}
