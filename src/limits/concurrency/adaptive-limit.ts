// Adaptive concurrency limit by latency gradient (after Netflix concurrency-limits' Gradient2 and
// Envoy's adaptive concurrency filter). When the upstream is not overloaded, latency stays near its
// no-load value and the limit may grow; once more concurrency only queues work inside the upstream,
// latency rises and the limit shrinks in proportion.
//
// Samples come from ConcurrencyLimiter.release(); the limit is recomputed when a sample lands past
// the end of the window, so there is no timer. Every window:
//
//   sample   = mean latency of the window; each failure counts as one sample at the window's max
//   noLoad   = sample if lower (or the first window); and if the window ran at minimum concurrency
//              (peak in-flight ≤ minLimit), halfway to the sample even when higher
//   gradient = clamp(tolerance × noLoad / sample, 0.5, 1)
//   next     = limit × gradient + sqrt(limit)                     (sqrt: room to probe upward)
//   limit    = clamp(limit × (1 − SMOOTHING) + next × SMOOTHING, minLimit, maxLimit)
//
// and the limit does not grow while the window's peak in-flight stayed under half of it (the
// traffic, not the upstream, was the bound: growing then would only inflate the limit).

import type { AdaptivePlan } from "../types.ts";

/** A window also needs this many samples: a handful of requests is noise, not a latency. */
export const MIN_WINDOW_SAMPLES = 10;
/** Share of the newly computed limit taken per window (the rest is the old limit). */
export const SMOOTHING = 0.2;
/**
 * The no-load estimate drops at once to a faster window. It rises only from windows run at minimum
 * concurrency, by this share of the gap per window: latency measured there is the best no-load
 * latency there is, so a lasting slowdown of the upstream is accepted once the limit has shrunk all
 * the way (as Envoy's periodic minRTT probe does, without a probe). A rise from loaded windows
 * (Gradient2's long average) would ratchet: an upstream slower with every request in flight would
 * raise the estimate, then the limit, then the latency, without end.
 */
export const NO_LOAD_RISE = 0.5;
/** Latencies are clamped into this range: a zero cannot make the no-load estimate zero, nor an
 * infinity (a caller's bug) make the limit NaN. */
const MIN_LATENCY_MS = 0.001;
const MAX_LATENCY_MS = 3_600_000;

export class AdaptiveLimit {
  readonly minLimit: number;
  readonly maxLimit: number;
  private estimate: number;
  private current: number;
  private noLoad = 0;
  /** NaN until the first window starts. */
  private windowStart: number;
  private sumMs = 0;
  private oks = 0;
  private failures = 0;
  private maxMs = 0;
  private peakInFlight = 0;
  /** Windows evaluated so far (metrics, tests). */
  windows = 0;
  /** The last window's sample and gradient (metrics, tests). */
  lastSampleMs = 0;
  lastGradient = 1;

  constructor(
    readonly plan: AdaptivePlan,
    /** The limiter's fixed max: the adaptive limit never goes past it. */
    cap = Number.POSITIVE_INFINITY,
    /** When the first window starts (the clock's ms); default: at the first sample. */
    startedAt = Number.NaN,
    private readonly minSamples = MIN_WINDOW_SAMPLES,
  ) {
    this.maxLimit = Math.max(1, Math.floor(Math.min(plan.maxLimit, cap)));
    this.minLimit = Math.min(Math.max(1, Math.floor(plan.minLimit)), this.maxLimit);
    this.estimate = clamp(plan.initialLimit, this.minLimit, this.maxLimit);
    this.current = Math.floor(this.estimate);
    this.windowStart = startedAt;
  }

  /** The limit now: a whole number in [minLimit, maxLimit]. */
  get limit(): number {
    return this.current;
  }

  /** The no-load latency estimate in ms (0 before the first window). */
  get noLoadMs(): number {
    return this.noLoad;
  }

  /**
   * One finished request: `latencyMs` is the time it held its slot, `ok` false for a timeout or an
   * upstream failure, `inFlight` the requests in flight including this one. Returns true when this
   * sample closed a window and the limit was recomputed.
   */
  sample(latencyMs: number, ok: boolean, now: number, inFlight: number): boolean {
    if (!(latencyMs >= MIN_LATENCY_MS)) latencyMs = MIN_LATENCY_MS; // also catches NaN
    else if (latencyMs > MAX_LATENCY_MS) latencyMs = MAX_LATENCY_MS;
    if (this.windowStart !== this.windowStart) this.windowStart = now;
    if (latencyMs > this.maxMs) this.maxMs = latencyMs;
    if (inFlight > this.peakInFlight) this.peakInFlight = inFlight;
    if (ok) {
      this.sumMs += latencyMs;
      this.oks++;
    } else {
      this.failures++;
    }
    if (now - this.windowStart < this.plan.windowMs || this.oks + this.failures < this.minSamples) return false;
    this.recompute();
    this.windowStart = now;
    this.sumMs = 0;
    this.oks = 0;
    this.failures = 0;
    this.maxMs = 0;
    this.peakInFlight = 0;
    return true;
  }

  private recompute(): void {
    // A failure says "too much" without a latency to show for it (a timeout is cut short, a fast
    // 5xx is fast): it weighs as the slowest request of the window.
    const sample = (this.sumMs + this.failures * this.maxMs) / (this.oks + this.failures);
    if (this.noLoad === 0 || sample < this.noLoad) this.noLoad = sample;
    else if (this.peakInFlight <= this.minLimit) this.noLoad += (sample - this.noLoad) * NO_LOAD_RISE;
    const gradient = clamp((this.plan.tolerance * this.noLoad) / sample, 0.5, 1);
    const limit = this.estimate;
    let next = limit * (1 - SMOOTHING) + (limit * gradient + Math.sqrt(limit)) * SMOOTHING;
    if (next > limit && this.peakInFlight < limit / 2) next = limit;
    this.estimate = clamp(next, this.minLimit, this.maxLimit);
    this.current = Math.floor(this.estimate);
    this.windows++;
    this.lastSampleMs = sample;
    this.lastGradient = gradient;
  }
}

function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}
