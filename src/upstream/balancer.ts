// Endpoint choice per upstream (docs/resilience.md). The kinds live in balancers/: P2C least
// request (default), round robin, smooth weighted round robin, consistent hashing (rendezvous).
// All of them skip endpoints the health layer marks unavailable, can steer a retry or hedge away
// from the endpoint already tried, and answer -1 rather than throw when nothing can take traffic.

import type { BalancePlan } from "../resilience/types.ts";
import { P2cBalancer } from "./balancers/p2c.ts";
import { RendezvousHashBalancer } from "./balancers/rendezvous-hash.ts";
import { RoundRobinBalancer } from "./balancers/round-robin.ts";
import { SingleBalancer } from "./balancers/single.ts";
import { WeightedRoundRobinBalancer } from "./balancers/weighted-round-robin.ts";

export interface Balancer {
  /**
   * Index of the endpoint to use, or -1 when no endpoint is available.
   * `key`: the request's hash key ("" when not hashing; only the hash kind reads it).
   * `avoid`: an index to avoid if any other is available (-1 = none) — the endpoint a retry or
   * hedge already went to.
   */
  pick(key?: string, avoid?: number): number;
  /** Bookkeeping: call start(i) when sending to endpoint i and finish(i) when it is done. */
  start(i: number): void;
  finish(i: number): void;
  inFlight(i: number): number;
}

export interface BalancerEndpoint {
  /** The endpoint's identity for hashing: adding an endpoint leaves the others' keys in place. */
  readonly url: string;
  /** Relative share of traffic (weighted: an integer >= 1; hash: > 0); the other kinds ignore it. */
  readonly weight: number;
}

/**
 * `available[i]` is 1 when endpoint i may receive traffic, 0 when not; it is owned and written by
 * the health layer, and must have one entry per endpoint. Throws on a bad weight or length: that
 * is a config compiler bug, found at build time, never on the request path.
 */
export function createBalancer(
  plan: BalancePlan,
  endpoints: readonly BalancerEndpoint[],
  available: Uint8Array,
  random: () => number = Math.random,
): Balancer {
  const n = endpoints.length;
  if (available.length !== n) throw new Error(`balancer: ${n} endpoints but ${available.length} availability flags`);
  const weights = Float64Array.from(endpoints, (e) => e.weight);
  for (const e of endpoints) {
    const ok = plan.kind === "weighted" ? Number.isInteger(e.weight) && e.weight >= 1 : Number.isFinite(e.weight) && e.weight > 0;
    if (!ok) throw new Error(`balancer: endpoint ${e.url}: bad weight ${e.weight} for balance ${plan.kind}`);
  }
  if (n <= 1) return new SingleBalancer(n, available);
  switch (plan.kind) {
    case "round-robin":
      return new RoundRobinBalancer(n, available);
    case "weighted":
      return new WeightedRoundRobinBalancer(n, available, weights);
    case "hash":
      return new RendezvousHashBalancer(
        endpoints.map((e) => e.url),
        weights,
        available,
        random,
      );
    case "p2c":
    default: // the default kind, also for a plan cast from a kind this build does not know
      return new P2cBalancer(n, available, random);
  }
}
