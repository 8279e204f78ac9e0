// Percentiles of the requests of one sampling interval, not since start, without touching the
// request path: each sample reads the route's cumulative HDR histogram at fixed bounds and
// subtracts the counts kept from the previous sample. The difference is the interval's histogram.
//
// Bounds: src/observe/interval-bounds.ts (757; a reported value is at most 2 % above the true one).
// Memory per route: one Float64Array of the bounds (757 × 8 B ≈ 5.9 KiB); the scratch is shared.

import { BOUND_MAX_MICROS, INTERVAL_BOUNDS_MICROS, rankOf } from "../interval-bounds.ts";
import type { LatencyHistogram } from "../latency-histogram.ts";

export { INTERVAL_BOUNDS_MICROS };

/** The percents reported per interval, in this order. */
export const INTERVAL_PERCENTS = [50, 99, 99.9] as const;

const NO_PERCENTS = new Float64Array(0);
const NO_VALUES = new Float64Array(0);
// Samples run one after another on the event loop: one scratch array serves every route.
const scratch = new Float64Array(INTERVAL_BOUNDS_MICROS.length);

export class IntervalPercentiles {
  private readonly previous = new Float64Array(INTERVAL_BOUNDS_MICROS.length);
  private previousCount = 0;

  /** Forget the previous sample: the next take() measures from now (e.g. another histogram in force). */
  baseline(h: LatencyHistogram): void {
    h.snapshot(INTERVAL_BOUNDS_MICROS, this.previous, NO_PERCENTS, NO_VALUES);
    this.previousCount = h.count;
  }

  /**
   * Requests since the previous take() (or baseline()); their percentiles (INTERVAL_PERCENTS
   * order, ms) into `out`, NaN when there were none. A histogram that went backwards (reset)
   * counts from zero.
   */
  take(h: LatencyHistogram, out: Float64Array): number {
    const bounds = INTERVAL_BOUNDS_MICROS;
    h.snapshot(bounds, scratch, NO_PERCENTS, NO_VALUES);
    const total = h.count;
    const reset = total < this.previousCount;
    const prev = this.previous;
    const n = reset ? total : total - this.previousCount;
    let q = 0;
    if (n > 0) {
      let rank = rankOf(INTERVAL_PERCENTS[0], n);
      for (let b = 0; b < bounds.length && q < INTERVAL_PERCENTS.length; b++) {
        const inInterval = reset ? scratch[b]! : scratch[b]! - prev[b]!;
        while (inInterval >= rank && q < INTERVAL_PERCENTS.length) {
          out[q++] = bounds[b]! / 1000;
          rank = q < INTERVAL_PERCENTS.length ? rankOf(INTERVAL_PERCENTS[q]!, n) : Infinity;
        }
      }
      // Ranks beyond the last bound: slower than 60 s, reported as 60 s.
      for (; q < INTERVAL_PERCENTS.length; q++) out[q] = BOUND_MAX_MICROS / 1000;
    }
    for (; q < INTERVAL_PERCENTS.length; q++) out[q] = NaN;
    prev.set(scratch);
    this.previousCount = total;
    return n;
  }
}
