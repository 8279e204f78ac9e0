// BreakerPlan.maxInFlight: at most this many requests to one upstream at once, across its routes;
// past it, refused at once (Envoy's max_requests). A counter, no queue: waiting for a slot is what
// the per-upstream ConcurrencyLimiter is for; this is the hard ceiling that protects the upstream
// (and Keel's memory) whatever the limits of the routes in front of it add up to.
//
// Slots are counted, not owned: every tryStart() that returned true must be followed by exactly one
// finish(). A finish() with nothing in flight is ignored and counted in `finishUnderflow`, which
// tests assert stays 0 (as ConcurrencyLimiter's releaseUnderflow).

export class InFlightCap {
  private busy = 0;

  // Counters, for metrics; read-only for callers.
  started = 0;
  /** tryStart() refused: the cap was reached. */
  refused = 0;
  /** finish() with nothing in flight: a caller bug (double finish); must stay 0. */
  finishUnderflow = 0;

  /** null = no cap (the count is still kept, as a gauge). */
  constructor(readonly max: number | null) {}

  get inFlight(): number {
    return this.busy;
  }

  tryStart(): boolean {
    if (this.max !== null && this.busy >= this.max) {
      this.refused++;
      return false;
    }
    this.busy++;
    this.started++;
    return true;
  }

  finish(): void {
    if (this.busy <= 0) {
      this.finishUnderflow++;
      return;
    }
    this.busy--;
  }
}
