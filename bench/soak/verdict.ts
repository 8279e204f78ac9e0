// The soak's verdict (issue 7 item 1): fails if RSS after the first minute drifts more than the
// allowed percentage from its value at one minute, or if any request failed that the scenario did
// not cause on purpose, or if anything was left in flight at the end.

/** One 10 s window of the paced run. */
export interface Sample {
  /** Seconds since the paced run started, at the end of this window. */
  t: number;
  requests: number;
  rps: number;
  /** Latencies of this window, ms. */
  p50: number;
  p99: number;
  p999: number;
  max: number;
  /** wrk's errors in this window: connect, read, write, timeout, and non-2xx statuses. */
  errors: { connect: number; read: number; write: number; status: number; timeout: number };
  /** Problems Keel answered in this window (from /metrics), except KEEL_CLIENT_CLOSED (wrk closing at the window's end). */
  problems: number;
  /** Keel's process tree (VmRSS from /proc), MB: the median of the window's 1 s samples, and the highest of them. */
  rssMb: number;
  rssPeakMb: number;
  /** Every 1 s sample of the window, MB (for reading results.json, not for the verdict). */
  rssSamplesMb: number[];
  /** JS heap in use (keel_process_heap_bytes), MB; null when /metrics did not answer. */
  heapMb: number | null;
  /** Pause per connection wrk used, ms. */
  delayMs: number;
  /** CPU other processes on this shared machine used during the window, in cores. */
  foreignCores: number;
}

export interface Verdict {
  ok: boolean;
  /** max |RSS(t) − RSS(baseline)| / RSS(baseline) over the samples after the baseline, %; null when there are none. */
  driftPct: number | null;
  baseline: { t: number; rssMb: number } | null;
  /** wrk errors plus Keel problems over the run. */
  failures: number;
  /** Requests still in flight once the load stopped (gauges that should be back at 0). */
  leftInFlight: number;
  reasons: string[];
}

export interface VerdictRules {
  maxDriftPct: number;
  /** RSS is compared against its value at this many seconds (the first minute is warm-up). */
  baselineS: number;
}

const errorsOf = (s: Sample) => s.errors.connect + s.errors.read + s.errors.write + s.errors.status + s.errors.timeout;

export function judge(samples: readonly Sample[], leftInFlight: number, rules: VerdictRules): Verdict {
  const reasons: string[] = [];
  const failures = samples.reduce((n, s) => n + errorsOf(s) + s.problems, 0);
  if (failures > 0) reasons.push(`${failures} requests failed (wrk errors and Keel problems) that the scenario did not cause on purpose`);
  if (leftInFlight > 0) reasons.push(`${leftInFlight} requests still counted in flight after the load stopped`);
  // The first window ending at or after the baseline time is the reference.
  const base = samples.find((s) => s.t >= rules.baselineS - 0.5) ?? null;
  const after = base === null ? [] : samples.filter((s) => s.t > base.t);
  let driftPct: number | null = null;
  if (base !== null && after.length > 0) {
    driftPct = Math.max(...after.map((s) => (Math.abs(s.rssMb - base.rssMb) / base.rssMb) * 100));
    if (driftPct > rules.maxDriftPct) reasons.push(`RSS drifted ${driftPct.toFixed(1)}% from ${base.rssMb.toFixed(1)} MB at ${base.t.toFixed(0)} s (limit ${rules.maxDriftPct}%)`);
  }
  return {
    ok: reasons.length === 0,
    driftPct,
    baseline: base === null ? null : { t: base.t, rssMb: base.rssMb },
    failures,
    leftInFlight,
    reasons,
  };
}
