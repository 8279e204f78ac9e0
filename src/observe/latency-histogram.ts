// Request durations in microseconds, over hdr-histogram-js (pure-JS build: its counts array is
// readable from JS, which cumulative Prometheus buckets need; the wasm build hides it).
//
// Range 1 µs .. 60 s at 2 significant digits: 256 sub-buckets, unit resolution below 256 µs and
// at most 1/128 (0.8 %) relative error above. The counts array covers up to 2^26 µs (~67 s):
// 2560 slots × 8 bytes (Float64 counts: exact to 2^53, where 32-bit counts would silently wrap
// after 4.3e9 samples in one slot) = 20 KiB per histogram, ~21 KiB with HDR's own fields,
// fixed at construction (autoResize off). Nothing grows per request.
//
// record() skips HDR's recordValue (~60 ns: Math.log2/pow per call, measured) and computes the
// same counts index with Math.clz32 (~10 ns); the constructor checks both agree.

import { Float64Histogram } from "hdr-histogram-js";

const LOWEST_MICROS = 1;
export const HIGHEST_MICROS = 60_000_000;
const SIGNIFICANT_DIGITS = 2;

export class LatencyHistogram {
  private readonly h = new Float64Histogram(LOWEST_MICROS, HIGHEST_MICROS, SIGNIFICANT_DIGITS);
  private readonly shift = this.h.subBucketHalfCountMagnitude;
  private readonly halfCount = this.h.subBucketHalfCount;
  private readonly length = this.h.countsArrayLength;
  /** Values above the range are kept here (in the last slot, above every finite bucket bound). */
  private readonly clampMicros: number;
  private total = 0;
  private sum = 0;
  private max = 0;

  constructor() {
    this.clampMicros = this.h.highestEquivalentValue(this.h.valueFromIndex(this.length - 1));
    // Fail at startup, not with wrong numbers, if a new hdr-histogram-js lays its counts out differently.
    for (let bit = 0; bit <= 26; bit++) {
      const p = 2 ** bit;
      for (const v of [p - 1, p, p + 1, HIGHEST_MICROS, this.clampMicros]) {
        if (v <= this.clampMicros && this.indexOf(v) !== this.h.countsArrayIndex(v)) {
          throw new Error(`hdr-histogram-js counts layout changed: index of ${v} differs`);
        }
      }
    }
  }

  /** Slot of an integer value in [0, clampMicros]; same as HDR's countsArrayIndex (unitMagnitude 0). */
  private indexOf(v: number): number {
    const b = 31 - Math.clz32(v) - this.shift;
    const bucket = b > 0 ? b : 0;
    return ((bucket + 1) << this.shift) + (v >>> bucket) - this.halfCount;
  }

  /** Hot path. Never throws: negative or NaN counts as 0, above the range as "above 60 s". */
  record(micros: number): void {
    const v = micros > 0 ? (micros < this.clampMicros ? micros | 0 : this.clampMicros) : 0;
    this.h.incrementCountAtIndex(this.indexOf(v));
    this.h.addToTotalCount(1);
    this.total++;
    this.sum += v;
    if (v > this.max) this.max = v;
  }

  get count(): number {
    return this.total;
  }

  /** Sum of recorded values, µs (the Prometheus `_sum`). */
  get sumMicros(): number {
    return this.sum;
  }

  get maxMicros(): number {
    return this.max;
  }

  /** p in percent (99.9 = p99.9); milliseconds, HDR's highest equivalent value; 0 when empty. */
  percentile(p: number): number {
    return this.total === 0 ? 0 : this.h.getValueAtPercentile(p) / 1000;
  }

  /** Samples ≤ micros, where a slot that contains micros counts as ≤ (within HDR precision). */
  countAtOrBelow(micros: number): number {
    const v = micros > 0 ? (micros < this.clampMicros ? Math.floor(micros) : this.clampMicros) : 0;
    const end = this.indexOf(v);
    let acc = 0;
    for (let i = 0; i <= end; i++) acc += this.h.getCountAtIndex(i);
    return acc;
  }

  /**
   * One pass over the counts for a scrape: cumulative counts at each bound (ascending µs) into
   * `cumulative`, and the value (µs) at each percent (ascending) into `values`, with HDR's
   * getValueAtPercentile rule. Stops early once every sample is accounted for.
   */
  snapshot(
    boundsMicros: ArrayLike<number>,
    cumulative: Float64Array,
    percents: ArrayLike<number>,
    values: Float64Array,
  ): void {
    const h = this.h;
    const total = this.total;
    const nBounds = boundsMicros.length;
    const nPercents = percents.length;
    let q = 0;
    let qTarget = nPercents > 0 && total > 0 ? countAtPercentile(percents[0]!, total) : Infinity;
    let acc = 0;
    let i = 0;
    let b = 0;
    // Walk slot ranges bound by bound; stop once every sample is accounted for.
    for (; b < nBounds && acc < total; b++) {
      const end = this.slotOfBound(boundsMicros[b]!);
      for (; i <= end; i++) {
        acc += h.getCountAtIndex(i);
        while (acc >= qTarget) {
          values[q++] = h.highestEquivalentValue(h.valueFromIndex(i));
          qTarget = q < nPercents ? countAtPercentile(percents[q]!, total) : Infinity;
        }
      }
      cumulative[b] = acc;
    }
    // Samples above the last bound still decide high percentiles.
    for (; q < nPercents && i < this.length; i++) {
      acc += h.getCountAtIndex(i);
      while (acc >= qTarget) {
        values[q++] = h.highestEquivalentValue(h.valueFromIndex(i));
        qTarget = q < nPercents ? countAtPercentile(percents[q]!, total) : Infinity;
      }
    }
    for (; b < nBounds; b++) cumulative[b] = acc;
    for (; q < nPercents; q++) values[q] = 0;
  }

  private slotOfBound(micros: number): number {
    return this.indexOf(micros < this.clampMicros ? Math.floor(micros) : this.clampMicros);
  }

  reset(): void {
    this.h.reset();
    this.total = 0;
    this.sum = 0;
    this.max = 0;
  }
}

/** HDR's rank for a percentile: ceil, but forgiving the 1-ulp error of the float multiply. */
function countAtPercentile(percent: number, total: number): number {
  const fp = (Math.min(percent, 100) / 100) * total;
  const ulp = fp > 0 ? 2 ** (Math.floor(Math.log2(fp)) - 52) : 0;
  return Math.max(Math.ceil(fp - ulp), 1);
}
