// The `<!-- scenario:workers -->` block of bench/RESULTS.md, from a bench/run.ts run that had the
// two-process rows: keel --workers 2 against nginx worker_processes 2, each next to its
// one-process row of the same run.

import type { PeerResult } from "../lib/report.ts";

export const WORKERS_SCENARIO = "workers";
export const NGINX_W2 = "nginx-w2";
export const KEEL_W2 = "keel-w2";

const ms = (x: number) => (x < 10 ? x.toFixed(2) : x < 100 ? x.toFixed(1) : x.toFixed(0));
const kilo = (x: number) => (x >= 1000 ? `${(x / 1000).toFixed(1)}k` : x.toFixed(0));

/** The block's body (without its markers), or null when the run lacks a two-process row. */
export function workersBlock(results: readonly PeerResult[], context: { date: string; commit: string; invocation: string; ceilingRps: number }): string | null {
  const ok = (id: string) => results.find((r) => r.id === id && r.status === "ok" && r.sat && r.paced);
  const nginx1 = ok("nginx");
  const nginx2 = ok(NGINX_W2);
  const keel1 = ok("keel");
  const keel2 = ok(KEEL_W2);
  if (!nginx2 || !keel2) return null;
  const row = (r: PeerResult, single: PeerResult | undefined) => {
    const s = r.sat!;
    const p = r.paced!;
    const errors = s.errorTotal + p.errorTotal;
    return `| ${r.label} | ${kilo(s.rps)} | ${single ? `${(s.rps / single.sat!.rps).toFixed(2)}×` : "—"} | ${ms(p.p50)} | ${ms(p.p99)} | ${ms(p.p999)} | ${ms(p.max)} | ${errors === 0 ? "0" : `⚠ ${errors}`} | ${r.rssMb?.toFixed(1) ?? "?"} |`;
  };
  const lines = [
    `## Workers: two processes (keel --workers 2, nginx worker_processes 2)`,
    ``,
    `- Run: ${context.date}, keel ${context.commit}, \`${context.invocation}\`: the four rows come from one run, with the main table's wrk loads (saturation \`-c50\` closed loop; paced \`-c100\`, 20 ms pause ≈ 5k rps)`,
    `- Pinning: like every proxy, both two-process rows run on core 0 (taskset, the whole process tree); core 1 runs wrk and the backend. On this 2-core machine the two processes therefore share one core: the rows show what running N processes costs (scheduling, the kernel spreading connections with SO_REUSEPORT, per-process memory), not the gain of N cores.`,
    `- RSS: the whole process tree (keel: supervisor + 2 workers; nginx: master + 2 workers).`,
    ``,
    `| proxy | sat rps | vs 1 process | paced p50 | p99 | p99.9 | max | errors | RSS MB |`,
    `|---|---:|---:|---:|---:|---:|---:|---|---:|`,
    ...(nginx1 ? [row(nginx1, undefined)] : []),
    row(nginx2, nginx1),
    ...(keel1 ? [row(keel1, undefined)] : []),
    row(keel2, keel1),
    ``,
    `- keel --workers 2 vs nginx worker_processes 2: ${(keel2.sat!.rps / nginx2.sat!.rps).toFixed(2)}× saturation rps; paced p99 ${ms(keel2.paced!.p99)} vs ${ms(nginx2.paced!.p99)} ms, p99.9 ${ms(keel2.paced!.p999)} vs ${ms(nginx2.paced!.p999)} ms.`,
  ];
  for (const r of [nginx1, nginx2, keel1, keel2]) {
    if (r && r.sat!.rps > 0.7 * context.ceilingRps) lines.push(`- ${r.label}: ${kilo(r.sat!.rps)} rps is ${((r.sat!.rps / context.ceilingRps) * 100).toFixed(0)}% of the load-side ceiling (${kilo(context.ceilingRps)} rps, wrk straight to the backend): core 1 limits it too, so its rps is a lower bound.`);
  }
  const foreign = [nginx2, keel2].filter((r) => Math.max(...(r.foreignCores ?? [0])) > 0.1);
  for (const r of foreign) lines.push(`- ${r.label}: other processes took more than 10% of a core during its runs; rerun before trusting it.`);
  return lines.join("\n");
}
