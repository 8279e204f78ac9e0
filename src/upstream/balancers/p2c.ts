// Power of two choices, least request: two distinct random endpoints, take the one with fewer
// requests in flight — near-best load spread without a global scan. When both candidates may be
// used (the common case: all available, no endpoint to avoid) that is the whole pick, O(1).
// Otherwise it draws again among the eligible endpoints with two short scans: conditioned on both
// first candidates being eligible the first draw is uniform over eligible pairs, so the mix of the
// two paths is too.

import { InFlightBalancer } from "./in-flight.ts";

export class P2cBalancer extends InFlightBalancer {
  constructor(n: number, available: Uint8Array, private readonly random: () => number) {
    super(n, available);
  }

  pick(_key?: string, avoid = -1): number {
    const n = this.n;
    const av = this.available;
    const a = (this.random() * n) | 0;
    let b = (this.random() * (n - 1)) | 0;
    if (b >= a) b++; // distinct from a
    if (av[a] === 1 && av[b] === 1 && a !== avoid && b !== avoid) return this.lesser(a, b);
    return this.pickEligible(avoid);
  }

  /** Ties go to `a`, itself random. */
  private lesser(a: number, b: number): number {
    return this.inflight[b]! < this.inflight[a]! ? b : a;
  }

  private pickEligible(avoid: number): number {
    const n = this.n;
    const av = this.available;
    let m = 0;
    for (let i = 0; i < n; i++) if (av[i] === 1 && i !== avoid) m++;
    if (m === 0) return this.onlyAvoided(avoid);
    // Ranks among the eligible endpoints, then one scan to turn both into indices.
    let ra = 0;
    let rb = 0;
    if (m > 1) {
      ra = (this.random() * m) | 0;
      rb = (this.random() * (m - 1)) | 0;
      if (rb >= ra) rb++;
    }
    let a = -1;
    let b = -1;
    for (let i = 0, r = 0; i < n; i++) {
      if (av[i] !== 1 || i === avoid) continue;
      if (r === ra) a = i;
      if (r === rb) b = i;
      r++;
    }
    return m === 1 ? a : this.lesser(a, b);
  }
}
