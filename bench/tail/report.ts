// Renders the `scenario:tail` section of bench/RESULTS.md (bench/tail/run.ts).
import type { WrkResult } from "../lib/wrk.ts";

/** What a backend counted (GET /__count), or the difference of two counts. */
export interface Counts {
  served: number; // requests answered, /__* excluded
  delayed: number; // of which late by DELAY_MS
  failed: number; // of which 503 (FAIL_ALL=1)
}

interface Measured {
  wrk: WrkResult;
  /** Per backend (A, B, or A503 in the storm), during the measured run. */
  backends: Record<string, Counts>;
  /** keel_hedge* / keel_retr* / ... lines of /metrics after the run, with deltas. */
  metrics: string[];
  cpuBusy: number[];
  foreignCores: number;
}

export interface HedgeRun extends Measured {
  phase: "off" | "on";
  config: string;
  command: string;
}

export interface StormRun extends Measured {
  config: string;
  command: string;
  retries: number; // backend total − client requests
  cap: number; // 0.2 × client requests + 10 × seconds
}

export interface TailMeta {
  date: string;
  invocation: string;
  machine: string;
  versions: [string, string][];
  commands: [string, string][];
  connections: number;
  pauseMs: number;
  delayMs: number;
  delayP: number;
  seed: number;
  durations: { warmup: number; paced: number; storm: number };
  rawDir: string;
}

const ms = (x: number) => (x < 10 ? x.toFixed(2) : x < 100 ? x.toFixed(1) : x.toFixed(0));
const n = (x: number) => x.toLocaleString("en-US");
const pct = (x: number) => `${x >= 0 ? "+" : ""}${(x * 100).toFixed(2)}%`;
const total = (c: Record<string, Counts>) => Object.values(c).reduce((s, x) => s + x.served, 0);
/** Backend requests per client request, minus one: the share of extra upstream requests. */
const extra = (r: Measured) => total(r.backends) / r.wrk.requests - 1;
const SAMPLES = 75_000;

function errors(w: WrkResult): string {
  if (w.errorTotal === 0) return "0";
  return Object.entries(w.errors)
    .filter(([, v]) => v > 0)
    .map(([k, v]) => `${n(v)} ${k === "status" ? "non-2xx" : k}`)
    .join(", ");
}

function metricsBlock(title: string, lines: string[]): string[] {
  return [
    `${title}:`,
    ``,
    "```",
    ...(lines.length ? lines : ["(none: /metrics has no keel_hedge*, keel_retr*, keel_breaker*, keel_outlier* or keel_upstream_errors* lines)"]),
    "```",
    ``,
  ];
}

function reading(hedge: HedgeRun[], storm: StormRun | null): string[] {
  const lines: string[] = [];
  const off = hedge.find((h) => h.phase === "off");
  const on = hedge.find((h) => h.phase === "on");
  if (off && on) {
    const ratio = off.wrk.p999 / on.wrk.p999;
    lines.push(
      `- p99.9 hedging off / on: ${ms(off.wrk.p999)} / ${ms(on.wrk.p999)} ms = **${ratio.toFixed(1)}×** (acceptance: ≥ 5×) → ${ratio >= 5 ? "met" : "NOT met"}.`,
    );
    const rise = (1 + extra(on)) / (1 + extra(off)) - 1;
    lines.push(
      `- Backend requests per client request: off ${(1 + extra(off)).toFixed(4)}, on ${(1 + extra(on)).toFixed(4)}: hedging added **${pct(rise)}** (acceptance: ≤ +5%) → ${rise <= 0.05 ? "met" : "NOT met"}.`,
    );
    if (ratio < 1.5 && Math.abs(rise) < 0.002) {
      lines.push(`- "on" behaves like "off" (same tail, no extra backend requests): the gateway does not hedge yet, or the hedge never fired.`);
    }
  }
  if (storm) {
    const w = storm.wrk;
    lines.push(
      `- Retry storm: ${n(storm.retries)} implied retries (backend total − client requests) vs the budget's cap ${n(Math.round(storm.cap))} (0.2 × ${n(w.requests)} requests + 10/s × ${w.seconds.toFixed(1)} s) → ${storm.retries <= storm.cap ? "within the cap" : "OVER the cap"}` +
        ` (the budget may also spend one window's reserve, minPerSecond × window = 10 × 10 s = 100, on top).`,
    );
    lines.push(
      `- Clients saw ${n(w.requests - w.errors.status)} 2xx and ${n(w.errors.status)} non-2xx (wrk's "status" errors: the 503s of backend A that were not retried, or whose retry was refused).`,
    );
    if (storm.retries <= 0) lines.push(`- No retries at all: the gateway does not retry yet (or A was never picked).`);
  }
  for (const r of [...hedge, ...(storm ? [storm] : [])]) {
    const name = "phase" in r ? `hedging ${r.phase}` : "retry storm";
    if (r.foreignCores > 0.1) lines.push(`- ${name}: other processes took ${(r.foreignCores * 100).toFixed(0)}% of a core during the run; rerun before trusting it.`);
    if ("phase" in r && r.wrk.requests < SAMPLES) lines.push(`- ${name}: ${n(r.wrk.requests)} samples (< ${n(SAMPLES)}): p99.9 is rough.`);
    if (r.wrk.errorTotal - ("phase" in r ? 0 : r.wrk.errors.status) > 0) lines.push(`- ${name}: wrk saw errors (${errors(r.wrk)}).`);
  }
  lines.push(`- Backend counts are read 0.3 s after wrk stops: requests wrk abandoned in flight (at most one per connection) count at the backend but not at the client.`);
  return lines;
}

export function renderTail(meta: TailMeta, hedge: HedgeRun[], storm: StormRun | null, failures: string[]): string {
  const d = meta.durations;
  const rate = (meta.connections * 1000) / meta.pauseMs;
  const out = [
    `## Tail control: hedging and the retry budget`,
    ``,
    `Written by \`bench/tail/run.ts\` (see bench/tail/README.md); \`bash bench/run.sh\` keeps this section when it rewrites the file.`,
    ``,
    `- Date: ${meta.date}`,
    `- Machine: ${meta.machine} (shared and noisy: compare the rows of one run)`,
    `- Invocation: \`${meta.invocation}\``,
    `- Pinning: Keel on core 0 (taskset -c 0); both backends and wrk on core 1 (taskset -c 1)`,
    `- Backends: two Bun servers (bench/tail/backend.ts) answering the main bench's ~100-byte JSON; each response is ${meta.delayMs} ms late with probability ${meta.delayP} (seeded PRNG, A seed ${meta.seed}, B seed ${meta.seed + 1}); Keel balances them with p2c`,
    `- Load: wrk -t1 -c${meta.connections}, ${meta.pauseMs} ms pause per connection between requests (≈ ${n(Math.round(rate))} rps at most); warm-up ${d.warmup} s at the same pace before each measured run; hedging off / on ${d.paced} s each, retry storm ${d.storm} s`,
    `- Raw wrk outputs, Keel and backend logs: \`${meta.rawDir}\``,
    ``,
    `Versions: ${meta.versions.map(([k, v]) => `${k} ${v}`).join("; ")}`,
    ``,
    "```sh",
    ...meta.commands.map(([k, v]) => `# ${k}\n${v}`),
    "```",
    ``,
  ];
  if (hedge.length) {
    out.push(
      `### Hedging off vs on`,
      ``,
      `Client latencies (ms) from wrk; backend requests counted by the backends during the measured run.`,
      ``,
      `| hedging | p50 | p99 | p99.9 | p99.99 | max | client requests | errors | backend A | backend B | backend total | extra vs client | delayed | core 0 / 1 busy | other processes |`,
      `|---|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|`,
      ...hedge.map((h) => {
        const w = h.wrk, a = h.backends.A!, b = h.backends.B!;
        return `| ${h.phase} | ${ms(w.p50)} | ${ms(w.p99)} | ${ms(w.p999)} | ${ms(w.p9999)} | ${ms(w.max)} | ${n(w.requests)} | ${errors(w)} | ${n(a.served)} | ${n(b.served)} | ${n(total(h.backends))} | ${pct(extra(h))} | ${n(a.delayed + b.delayed)} | ${h.cpuBusy.map((c) => `${(c * 100).toFixed(0)}%`).join(" / ")} | ${(h.foreignCores * 100).toFixed(0)}% |`;
      }),
      ``,
    );
    for (const h of hedge) out.push(...metricsBlock(`Keel metrics after the hedging-${h.phase} run (\`${h.config}\`)`, h.metrics));
  }
  if (storm) {
    const w = storm.wrk, a = storm.backends.A503!, b = storm.backends.B!;
    out.push(
      `### Retry storm`,
      ``,
      `Backend A answers 503 to everything, B is healthy; \`retry: { attempts: 2, on: [503] }\` on the route, \`retryBudget: { ratio: 0.2, minPerSecond: 10 }\` on the upstream (\`${storm.config}\`).`,
      ``,
      `| client requests | 2xx | non-2xx (wrk "status") | other errors | backend A (503) | backend B | backend total | implied retries | cap: 0.2 × requests + 10/s × s | retries / cap |`,
      `|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|`,
      `| ${n(w.requests)} | ${n(w.requests - w.errors.status)} | ${n(w.errors.status)} | ${n(w.errorTotal - w.errors.status)} | ${n(a.served)} | ${n(b.served)} | ${n(a.served + b.served)} | ${n(storm.retries)} | ${n(Math.round(storm.cap))} | ${(storm.retries / storm.cap).toFixed(2)} |`,
      ``,
      ...metricsBlock("Keel metrics after the retry storm", storm.metrics),
    );
  }
  out.push(`### Reading it`, ``, ...failures.map((f) => `- FAILED, no numbers: ${f}`), ...reading(hedge, storm));
  return out.join("\n");
}
