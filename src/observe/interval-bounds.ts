// The fixed latency bounds at which cumulative HDR histograms are read to get the histogram of an
// interval (the difference of two reads): every integer µs up to 50, then 2 % apart up to 60 s
// (757 bounds), so a percentile read off them is at most 2 % above the true one (plus HDR's own
// 0.8 %). Used by the dashboard sampler and the reload tail gate.

const STEP = 1.02;
/** The last bound: anything slower reads as 60 s. */
export const BOUND_MAX_MICROS = 60_000_000;

function buildBounds(): Float64Array {
  const out: number[] = [];
  for (let b = 1; b < BOUND_MAX_MICROS; b *= STEP) {
    const v = Math.round(b);
    if (v > (out[out.length - 1] ?? 0)) out.push(v);
  }
  out.push(BOUND_MAX_MICROS);
  return Float64Array.from(out);
}

/** Ascending integer µs. */
export const INTERVAL_BOUNDS_MICROS: Float64Array = buildBounds();

/** HDR's rank for a percentile: the smallest count c with c ≥ p % of n (at least 1). */
export function rankOf(percent: number, n: number): number {
  // The shave forgives the float multiply's rounding up (99.9 % of 1000 must rank 999, not 1000).
  return Math.max(Math.ceil((percent / 100) * n * (1 - 1e-12)), 1);
}
