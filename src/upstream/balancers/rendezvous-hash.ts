// Consistent hashing by rendezvous (highest random weight): every endpoint scores the key, the best
// available one takes it. An endpoint's score depends only on the key and the endpoint's URL, so
// adding or removing one of N endpoints moves exactly the keys it wins or held (~1/N) and no other;
// an unavailable endpoint's keys go to their second best, spread over the rest; `avoid` is the
// second best too. O(N) per pick with no table to rebuild — right for a handful of endpoints.
// Weights: score = -weight / ln(u), u the score hash in (0, 1), gives each endpoint a share of
// keys proportional to its weight with the same minimal movement; with equal weights the raw
// hashes rank the same, so the logarithm is skipped.

import { fnv1a, murmur32 } from "./hash32.ts";
import { InFlightBalancer } from "./in-flight.ts";

const TWO_32 = 4294967296;

export class RendezvousHashBalancer extends InFlightBalancer {
  /** Per-endpoint hash seed, from the URL: identity survives endpoints being added or reordered. */
  private readonly seeds: Uint32Array;
  private readonly weights: Float64Array;
  private readonly uniform: boolean;

  constructor(
    urls: readonly string[],
    weights: Float64Array,
    available: Uint8Array,
    private readonly random: () => number,
  ) {
    super(urls.length, available);
    this.seeds = Uint32Array.from(urls, (u) => murmur32(fnv1a(u), 0x9747b28c));
    this.weights = weights;
    this.uniform = weights.every((w) => w === weights[0]);
  }

  /** An empty key (the request lacks it) hashes as a random one, so keyless traffic still spreads. */
  pick(key = "", avoid = -1): number {
    const kh = key === "" ? (this.random() * TWO_32) >>> 0 : fnv1a(key);
    const n = this.n;
    const av = this.available;
    const seeds = this.seeds;
    let best = -1;
    let bestScore = -1;
    for (let i = 0; i < n; i++) {
      if (av[i] !== 1 || i === avoid) continue;
      const h = murmur32(kh, seeds[i]!);
      const score = this.uniform ? h : -this.weights[i]! / Math.log((h + 0.5) / TWO_32);
      if (score > bestScore) {
        bestScore = score;
        best = i;
      }
    }
    return best !== -1 ? best : this.onlyAvoided(avoid);
  }
}
