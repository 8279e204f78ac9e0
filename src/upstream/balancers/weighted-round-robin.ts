// Smooth weighted round robin (nginx's): each pick adds every eligible endpoint's weight to its
// running score, takes the highest score and subtracts the eligible total from it. Weights 5,1,1
// give a a b a c a a — the heavy endpoint's turns spread out instead of coming in a burst.
// Unavailable (and avoided) endpoints sit the round out with their score frozen, as nginx's down
// and tried peers do, so the others' sequence is what it would be without them. nginx's
// effective_weight (lowered on failures) is left out: ejection and health checks do that job here.

import { InFlightBalancer } from "./in-flight.ts";

export class WeightedRoundRobinBalancer extends InFlightBalancer {
  /** Running scores; their sum stays 0 over all endpoints, so they stay bounded. */
  private readonly current: Float64Array;

  constructor(
    n: number,
    available: Uint8Array,
    private readonly weights: Float64Array,
  ) {
    super(n, available);
    this.current = new Float64Array(n);
  }

  pick(_key?: string, avoid = -1): number {
    const i = this.step(avoid);
    return i !== -1 || avoid === -1 ? i : this.step(-1);
  }

  private step(avoid: number): number {
    const n = this.n;
    const av = this.available;
    const cur = this.current;
    const w = this.weights;
    let total = 0;
    let best = -1;
    for (let i = 0; i < n; i++) {
      if (av[i] !== 1 || i === avoid) continue;
      cur[i]! += w[i]!;
      total += w[i]!;
      if (best === -1 || cur[i]! > cur[best]!) best = i; // ties: the first, as nginx
    }
    if (best !== -1) cur[best]! -= total;
    return best;
  }
}
