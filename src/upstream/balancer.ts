// Endpoint choice per upstream. P2C least-request (default): two random endpoints, take the one
// with fewer requests in flight — near-best load spread without a global scan. Round robin: in turn.

import type { BalanceKind } from "../config/plan.ts";

export interface Balancer {
  /** Index of the endpoint to use. */
  pick(): number;
  /** Bookkeeping: call start(i) when sending to endpoint i and finish(i) when it is done. */
  start(i: number): void;
  finish(i: number): void;
  inFlight(i: number): number;
}

export function createBalancer(kind: BalanceKind, endpointCount: number, random: () => number = Math.random): Balancer {
  const inflight = new Int32Array(endpointCount);
  const track = {
    start: (i: number) => void inflight[i]!++,
    finish: (i: number) => void inflight[i]!--,
    inFlight: (i: number) => inflight[i]!,
  };
  if (endpointCount === 1) return { pick: () => 0, ...track };
  if (kind === "round-robin") {
    let next = 0;
    return {
      pick() {
        const i = next;
        next = next + 1 === endpointCount ? 0 : next + 1;
        return i;
      },
      ...track,
    };
  }
  return {
    pick() {
      const a = (random() * endpointCount) | 0;
      let b = (random() * (endpointCount - 1)) | 0;
      if (b >= a) b++; // distinct from a
      return inflight[b]! < inflight[a]! ? b : a;
    },
    ...track,
  };
}
