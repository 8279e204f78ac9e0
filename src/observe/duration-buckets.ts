// The `le` bounds of keel_request_duration_seconds: 1-1.25-1.5-2-2.5-3-4-5-6-8 per decade, from
// 50 µs to 60 s (62 bounds). Fine enough that histogram_quantile() interpolates within ~25 %,
// and derived from the HDR histogram at scrape time, so they cost nothing per request.

const STEPS_PER_DECADE = [100, 125, 150, 200, 250, 300, 400, 500, 600, 800]; // × 10^k / 100

export const MIN_BOUND_MICROS = 50;
export const MAX_BOUND_MICROS = 60_000_000;

function buildBounds(): Float64Array {
  const out: number[] = [];
  for (let decade = 10; decade <= MAX_BOUND_MICROS; decade *= 10) {
    for (const step of STEPS_PER_DECADE) {
      const micros = (decade * step) / 100;
      if (micros >= MIN_BOUND_MICROS && micros <= MAX_BOUND_MICROS) out.push(micros);
    }
  }
  return Float64Array.from(out);
}

/** Ascending, integer microseconds. */
export const DURATION_BOUNDS_MICROS: Float64Array = buildBounds();

/** The same bounds as Prometheus `le` label values in seconds ("0.00005" … "60"). */
export const DURATION_BOUNDS_LE: readonly string[] = Array.from(DURATION_BOUNDS_MICROS, microsToSecondsText);

/** Exact decimal seconds from integer µs, without float noise (0.000125, not 0.00012500000000000003). */
export function microsToSecondsText(micros: number): string {
  const whole = Math.floor(micros / 1_000_000);
  const frac = micros - whole * 1_000_000;
  if (frac === 0) return String(whole);
  return `${whole}.${String(frac).padStart(6, "0").replace(/0+$/, "")}`;
}
