// Percentiles over the requests of several wrk runs together. A paced round of 8–12 s holds
// 40–60k requests, so its p99.9 rests on 40–60 of them; design.md asks for ≥100k samples before
// a p99.9 is called stable. Pooling the exact counts of a side's rounds (wrk records every latency
// to the microsecond) gives that side one p99.9 over all its requests.

/** Requests per latency in µs, as wrk's `BENCH_HIST` line gives them. */
export type LatencyCounts = Map<number, number>;

/** `value:count value:count ...` (the `BENCH_HIST` line without its tag). */
export function parseLatencyCounts(text: string): LatencyCounts {
  const counts: LatencyCounts = new Map();
  for (const pair of text.trim().split(/\s+/)) {
    if (pair === "") continue;
    const [value, count] = pair.split(":").map(Number);
    if (!Number.isFinite(value) || !Number.isFinite(count)) throw new Error(`BENCH_HIST: bad pair "${pair}"`);
    counts.set(value!, (counts.get(value!) ?? 0) + count!);
  }
  return counts;
}

/** The counts of all `runs` together; a run without counts (undefined) adds nothing. */
export function poolCounts(runs: readonly (LatencyCounts | undefined)[]): LatencyCounts {
  const pooled: LatencyCounts = new Map();
  for (const run of runs) for (const [value, count] of run ?? []) pooled.set(value, (pooled.get(value) ?? 0) + count);
  return pooled;
}

export function sampleCount(counts: LatencyCounts): number {
  let n = 0;
  for (const c of counts.values()) n += c;
  return n;
}

/** The smallest latency (ms) that at least p% of the requests did not exceed; NaN when empty. */
export function percentileMs(counts: LatencyCounts, p: number): number {
  const total = sampleCount(counts);
  if (total === 0) return NaN;
  // - 1e-9: 99.9% of 1,000 is 999.0000000000001 in floating point, and rank 999 is meant.
  const rank = Math.max(1, Math.ceil((p / 100) * total - 1e-9));
  let seen = 0;
  for (const value of [...counts.keys()].sort((a, b) => a - b)) {
    seen += counts.get(value)!;
    if (seen >= rank) return value / 1000;
  }
  return NaN; // unreachable: seen reaches total
}

/** How much higher `other`'s p-th percentile is than `base`'s, as "+12%" / "-3%". */
export function percentileChange(base: LatencyCounts, other: LatencyCounts, p: number): string {
  const change = Math.round((percentileMs(other, p) / percentileMs(base, p) - 1) * 100);
  return `${change > 0 ? "+" : ""}${change}%`;
}

/** A markdown table of pooled percentiles (ms), one row per side: label, requests, p50 … p99.99. */
export function pooledTable(firstColumn: string, sides: readonly (readonly [label: string, counts: LatencyCounts])[]): string[] {
  const ms = (counts: LatencyCounts, p: number) => percentileMs(counts, p).toFixed(2);
  return [
    `| ${firstColumn} | requests | p50 | p99 | p99.9 | p99.99 |`,
    `|---|---:|---:|---:|---:|---:|`,
    ...sides.map(([label, c]) => `| ${label} | ${sampleCount(c).toLocaleString("en-US")} | ${ms(c, 50)} | ${ms(c, 99)} | ${ms(c, 99.9)} | ${ms(c, 99.99)} |`),
  ];
}
