// A route's recent latency percentile, the delay after which a hedge is sent (HedgePlan).
//
// `slices` LatencyHistograms (default 2) take turns: samples go into the current one, which gives way
// every windowMs/slices to the oldest, reset. The percentile is read from all of them together, so
// it covers between windowMs × (slices-1)/slices and windowMs of history: with 2, the last half to
// whole window. Memory: ~21 KiB per histogram, fixed.
//
// The percentile is recomputed every refreshMs, on the first record() or thresholdMs() call due
// (no timer). A recomputation merges the histograms' cumulative counts at a fixed ladder of bounds
// (one snapshot() pass per histogram, ~1500 bounds, 1 % apart), so it costs a few thousand
// operations once per refreshMs whatever the traffic; every other call is a comparison or two.
// Reading at the ladder adds at most 1 % to HDR's 0.8 % error.
//
// Until the window holds minSamples samples (100 by default) the threshold is Infinity: don't hedge.
// A percentile of a handful of samples is noise, and hedging at floorMs meanwhile could send a
// backup for nearly every request of a cold route, doubling its load just when it starts. The same
// holds once traffic stops for a window: the old percentile expires rather than lingering.

import { HIGHEST_MICROS, LatencyHistogram } from "../../observe/latency-histogram.ts";
import type { HedgePlan } from "../types.ts";

export const MIN_HEDGE_SAMPLES = 100;
/** Histograms per window by default: two, the least memory for a sliding view. */
export const HEDGE_HISTOGRAMS = 2;

/** Step between ladder bounds. */
const LADDER_STEP = 1.01;

/** Ascending bounds in µs: every integer up to ~200 µs, then 1 % apart, then one past the range. */
const LADDER: Float64Array = (() => {
  const bounds: number[] = [];
  let v = 1;
  while (v <= HIGHEST_MICROS) {
    bounds.push(v);
    v = Math.max(v + 1, Math.floor(v * LADDER_STEP));
  }
  // Catches the values kept "above the range": the last slot's cumulative count is the total.
  bounds.push(HIGHEST_MICROS * 2);
  return Float64Array.from(bounds);
})();

// Scratch for a recomputation, shared by every instance: it runs to completion synchronously.
const scratch = new Float64Array(LADDER.length);
const merged = new Float64Array(LADDER.length);
const NO_PERCENTS = new Float64Array(0);

export interface WindowedLatencyOptions {
  /** Fewer samples than this in the window: thresholdMs() is Infinity. */
  readonly minSamples?: number;
  /** Histograms per window (≥ 2). */
  readonly slices?: number;
}

export class WindowedLatency {
  readonly minSamples: number;
  private readonly histograms: LatencyHistogram[];
  private readonly spanMs: number;
  private current = 0;
  /** When the current histogram gives way; NaN until the first call. */
  private rotateAt = Number.NaN;
  private refreshAt = Number.NaN;
  private threshold = Number.POSITIVE_INFINITY;
  private percentileMs = Number.NaN;

  /** Recomputations so far (tests, metrics). */
  refreshes = 0;

  constructor(
    readonly plan: HedgePlan,
    options: WindowedLatencyOptions = {},
  ) {
    this.minSamples = Math.max(1, options.minSamples ?? MIN_HEDGE_SAMPLES);
    const n = Math.max(2, Math.floor(options.slices ?? HEDGE_HISTOGRAMS));
    this.histograms = Array.from({ length: n }, () => new LatencyHistogram());
    this.spanMs = Math.max(plan.windowMs, 1) / n;
  }

  /** A first attempt's latency (µs), complete at now (ms). */
  record(micros: number, now: number): void {
    if (!(now < this.refreshAt)) this.maintain(now); // also true for NaN: the first call
    else if (now >= this.rotateAt) this.rotate(now);
    this.histograms[this.current]!.record(micros);
  }

  /** Hedge once the first attempt has waited this long (ms): max(floorMs, percentile), or Infinity. */
  thresholdMs(now: number): number {
    if (!(now < this.refreshAt)) this.maintain(now);
    return this.threshold;
  }

  /** The last computed percentile in ms (NaN before enough samples; metrics, tests). */
  get lastPercentileMs(): number {
    return this.percentileMs;
  }

  /** Samples in the window as of the last call. */
  get samples(): number {
    const hs = this.histograms;
    let n = 0;
    for (let i = 0; i < hs.length; i++) n += hs[i]!.count;
    return n;
  }

  private maintain(now: number): void {
    if (Number.isNaN(this.rotateAt)) {
      this.rotateAt = now + this.spanMs;
      this.refreshAt = now;
    }
    if (now >= this.rotateAt) this.rotate(now);
    this.refresh();
    // Due again refreshMs after this one; a clock that jumped ahead does not cause a burst of them.
    this.refreshAt = now + Math.max(this.plan.refreshMs, 0);
  }

  /** Moves on to the next histogram, once per span elapsed (at most all of them). */
  private rotate(now: number): void {
    const n = this.histograms.length;
    const spans = Math.floor((now - this.rotateAt) / this.spanMs) + 1;
    for (let i = 0; i < spans && i < n; i++) {
      this.current = (this.current + 1) % n;
      this.histograms[this.current]!.reset();
    }
    this.rotateAt += spans * this.spanMs;
  }

  private refresh(): void {
    this.refreshes++;
    const total = this.samples;
    if (total < this.minSamples) {
      this.percentileMs = Number.NaN;
      this.threshold = Number.POSITIVE_INFINITY;
      return;
    }
    merged.fill(0);
    const hs = this.histograms;
    for (let k = 0; k < hs.length; k++) {
      const h = hs[k]!;
      if (h.count === 0) continue;
      h.snapshot(LADDER, scratch, NO_PERCENTS, NO_PERCENTS);
      for (let i = 0; i < merged.length; i++) merged[i]! += scratch[i]!;
    }
    const rank = rankAtPercentile(this.plan.percentile, total);
    let i = 0;
    while (i < merged.length - 1 && merged[i]! < rank) i++;
    this.percentileMs = Math.min(LADDER[i]!, HIGHEST_MICROS) / 1000;
    this.threshold = Math.max(this.plan.floorMs, this.percentileMs);
  }
}

/** HDR's rank for a percentile (as LatencyHistogram): ceil, forgiving the float multiply's ulp. */
function rankAtPercentile(percent: number, total: number): number {
  const fp = (Math.min(Math.max(percent, 0), 100) / 100) * total;
  const ulp = fp > 0 ? 2 ** (Math.floor(Math.log2(fp)) - 52) : 0;
  return Math.max(Math.ceil(fp - ulp), 1);
}
