// Sums over the last windowMs, kept in `slices` time buckets of windowMs/slices each (a ring), in
// one or more lanes that share the buckets (the breaker keeps requests and failures side by side).
//
// A sum covers the current, partly elapsed slice and the slices-1 before it: between
// windowMs - windowMs/slices and windowMs of history. Old traffic drops out one slice at a time.
// Moving to a new slice clears at most `slices` buckets, so every call is O(1); the lane totals are
// then re-added from the buckets, so float deposits (or anything else) cannot drift.
//
// Time may only move forward: a `now` older than the current slice counts into the current slice.

/** Default number of buckets per window. */
export const WINDOW_SLICES = 10;

export class SlidingWindow {
  readonly sliceMs: number;
  private readonly buckets: Float64Array;
  private readonly totals: Float64Array;
  /** Absolute index (floor(now / sliceMs)) of the current slice; -Infinity before the first call. */
  private slice = Number.NEGATIVE_INFINITY;
  /** Offset of the current slice's first lane in `buckets`. */
  private base = 0;

  constructor(
    readonly windowMs: number,
    readonly lanes = 1,
    readonly slices = WINDOW_SLICES,
  ) {
    // A zero or negative window would divide by zero: take it as "1 ms".
    this.sliceMs = Math.max(windowMs, 1) / slices;
    this.buckets = new Float64Array(slices * lanes);
    this.totals = new Float64Array(lanes);
  }

  /** Adds v to a lane at now. */
  add(now: number, v: number, lane = 0): void {
    this.advance(now);
    this.buckets[this.base + lane]! += v;
    this.totals[lane]! += v;
  }

  /** A lane's sum over the window ending at now. */
  sum(now: number, lane = 0): number {
    this.advance(now);
    return this.totals[lane]!;
  }

  /** Forgets everything. */
  clear(): void {
    this.buckets.fill(0);
    this.totals.fill(0);
  }

  private advance(now: number): void {
    const target = Math.floor(now / this.sliceMs);
    const from = this.slice;
    if (!(target > from)) return; // same slice, time going back, or NaN: stay
    this.slice = target;
    const slices = this.slices;
    const lanes = this.lanes;
    this.base = (((target % slices) + slices) % slices) * lanes;
    if (target - from >= slices) {
      this.clear();
      return;
    }
    // Clear the slices entered since the last call: they held traffic one window old.
    for (let s = from + 1; s <= target; s++) {
      const base = ((s % slices) + slices) % slices * lanes;
      for (let l = 0; l < lanes; l++) this.buckets[base + l] = 0;
    }
    for (let l = 0; l < lanes; l++) {
      let acc = 0;
      for (let b = 0; b < slices; b++) acc += this.buckets[b * lanes + l]!;
      this.totals[l] = acc;
    }
  }
}
