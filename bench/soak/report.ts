// What a soak run writes for people: the figures as a Markdown table (summary.md, and with
// --record the block between <!-- soak:begin --> and <!-- soak:end --> in docs/reliability.md),
// and the chart's panels.
import type { Panel } from "./chart.ts";
import type { Sample, Verdict } from "./verdict.ts";

export interface SoakMeta {
  date: string;
  /** Short commit, with a note when src/ has uncommitted changes. */
  keel: string;
  /** The command as typed. */
  command: string;
  machine: string;
  minutes: number;
  /** Measured by the saturating burst; null when --rps was given. */
  capacityRps: number | null;
  targetRps: number;
  connections: number;
  clients: number;
  paths: readonly string[];
  config: string;
  loadAvgStart: string;
  loadAvgEnd: string;
  /** Average CPU of processes the harness did not start, in cores, over the paced run. */
  foreignCores: number;
  maxDriftPct: number;
  outDir: string;
  commands: [string, string][];
}

const ms = (x: number) => (x < 10 ? x.toFixed(2) : x < 100 ? x.toFixed(1) : x.toFixed(0));
const int = (x: number) => Math.round(x).toLocaleString("en-US");
const range = (xs: number[], f: (x: number) => string) => (xs.length ? `${f(Math.min(...xs))} – ${f(Math.max(...xs))}` : "—");

/** The figures table shared by summary.md and the docs record. */
export function figures(meta: SoakMeta, samples: readonly Sample[], v: Verdict): string[] {
  const total = samples.reduce((n, s) => n + s.requests, 0);
  const seconds = samples.length ? samples[samples.length - 1]!.t : 0;
  const first = samples[0];
  const last = samples[samples.length - 1];
  const heaps = samples.map((s) => s.heapMb).filter((h): h is number => h !== null);
  const rate = meta.capacityRps === null ? `${int(meta.targetRps)} rps (set with --rps)` : `${int(meta.targetRps)} rps target (half of ${int(meta.capacityRps)} rps measured by a 5 s saturating burst)`;
  return [
    `| figure | value |`,
    `|---|---|`,
    `| verdict | **${v.ok ? "PASS" : "FAIL"}**${v.reasons.length ? `: ${v.reasons.join("; ")}` : ""} |`,
    `| paced run | ${meta.minutes} min: ${samples.length} windows of 10 s (${int(seconds)} s) |`,
    `| offered load | ${rate}; achieved ${int(seconds > 0 ? total / seconds : 0)} rps on average (${int(total)} requests), wrk -t1 -c${meta.connections} |`,
    `| failures not caused on purpose | ${v.failures} (wrk connect/read/write/timeout errors and non-2xx answers, plus Keel problems other than KEEL_CLIENT_CLOSED) |`,
    `| left in flight after the load | ${v.leftInFlight} |`,
    `| RSS drift after the first minute | ${v.driftPct === null ? "not judged (run shorter than 2 minutes)" : `${v.driftPct.toFixed(2)}% max (limit ${meta.maxDriftPct}%)`} |`,
    `| RSS (Keel, /proc VmRSS, median of each window's 1 s samples) | ${first ? first.rssMb.toFixed(1) : "—"} MB at ${first ? int(first.t) : "—"} s; ${v.baseline ? `${v.baseline.rssMb.toFixed(1)} MB at ${int(v.baseline.t)} s (baseline); ` : ""}${last ? `${last.rssMb.toFixed(1)} MB at the end` : ""}; range ${range(samples.map((s) => s.rssMb), (x) => x.toFixed(1))} MB |`,
    `| JS heap in use | ${heaps.length ? `${heaps[0]!.toFixed(1)} MB at the start, ${heaps[heaps.length - 1]!.toFixed(1)} MB at the end; range ${range(heaps, (x) => x.toFixed(1))} MB` : "not exposed"} |`,
    `| p99 per 10 s window | ${range(samples.map((s) => s.p99), ms)} ms |`,
    `| p99.9 per 10 s window | ${range(samples.map((s) => s.p999), ms)} ms |`,
    `| machine | ${meta.machine}; load average ${meta.loadAvgStart} at the start, ${meta.loadAvgEnd} at the end; other processes used ${meta.foreignCores.toFixed(2)} cores on average during the run |`,
  ];
}

/** The block for docs/reliability.md (markers included). */
export function recordBlock(meta: SoakMeta, samples: readonly Sample[], v: Verdict): string {
  return [
    `<!-- soak:begin -->`,
    `Latest recorded run: ${meta.date}, keel ${meta.keel}, \`${meta.command}\`.`,
    ``,
    ...figures(meta, samples, v),
    ``,
    `![Keel RSS and p99.9 per 10 s window over the soak](soak.svg)`,
    `<!-- soak:end -->`,
  ].join("\n");
}

export function summaryMarkdown(meta: SoakMeta, samples: readonly Sample[], v: Verdict): string {
  return [
    `# Soak ${meta.date}`,
    ``,
    `- Command: \`${meta.command}\``,
    `- Keel: ${meta.keel}; config \`${meta.config}\`; targets in turn: ${meta.paths.map((p) => `\`${p}\``).join(", ")}; x-client from ${int(meta.clients)} keys`,
    `- Chart: [chart.svg](chart.svg); every number: results.json`,
    ``,
    ...figures(meta, samples, v),
    ``,
    `## Windows`,
    ``,
    `| t (s) | requests | rps | p50 | p99 | p99.9 | max | errors | problems | RSS median MB | RSS peak MB | heap MB | pause ms | other procs (cores) |`,
    `|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|`,
    ...samples.map((s) => {
      const errors = s.errors.connect + s.errors.read + s.errors.write + s.errors.status + s.errors.timeout;
      return `| ${s.t.toFixed(0)} | ${s.requests} | ${s.rps.toFixed(0)} | ${ms(s.p50)} | ${ms(s.p99)} | ${ms(s.p999)} | ${ms(s.max)} | ${errors} | ${s.problems} | ${s.rssMb.toFixed(1)} | ${s.rssPeakMb.toFixed(1)} | ${s.heapMb?.toFixed(1) ?? "—"} | ${s.delayMs.toFixed(2)} | ${s.foreignCores.toFixed(2)} |`;
    }),
    ``,
    `## Commands`,
    ``,
    "```sh",
    ...meta.commands.map(([k, c]) => `# ${k}\n${c}`),
    "```",
    ``,
  ].join("\n");
}

/** RSS on top (with the allowed drift around the 1-minute value), p99.9 and p99 below. */
export function chartPanels(samples: readonly Sample[], v: Verdict, maxDriftPct: number): Panel[] {
  const at = (f: (s: Sample) => number) => samples.map((s) => [s.t / 60, f(s)] as const);
  const base = v.baseline;
  return [
    {
      title: "Keel RSS (MB, /proc VmRSS, median of each 10 s window)",
      lines: [{ label: "RSS", color: "#1f5fbf", points: at((s) => s.rssMb) }],
      ...(base ? { band: { from: base.rssMb * (1 - maxDriftPct / 100), to: base.rssMb * (1 + maxDriftPct / 100), label: `±${maxDriftPct}% of ${base.rssMb.toFixed(1)} MB` } } : {}),
      ...(base ? { marker: { x: base.t / 60, label: "baseline" } } : {}),
    },
    {
      title: "Latency per 10 s window (ms)",
      lines: [
        { label: "p99.9", color: "#c0392b", points: at((s) => s.p999) },
        { label: "p99", color: "#e59866", points: at((s) => s.p99), dashed: true },
      ],
      fromZero: true,
    },
  ];
}

const SKELETON = `# Reliability

## Soak

## Faults

## Hostile input

## Fuzzing
`;

/**
 * `text` (the current docs/reliability.md, "" when missing) with the soak block put in place:
 * replacing the previous block, else at the end of the "## Soak" section. Other sections are
 * left as they are (other people write them).
 */
export function putSoakRecord(text: string, block: string): string {
  const doc = text.trim() ? text : SKELETON;
  const marked = /<!-- soak:begin -->[\s\S]*?<!-- soak:end -->/;
  if (marked.test(doc)) return doc.replace(marked, () => block);
  const head = /^## Soak[^\n]*\n/m.exec(doc);
  if (head === null) return `${doc.trimEnd()}\n\n## Soak\n\n${block}\n`;
  const from = head.index + head[0].length;
  const nextHeading = doc.slice(from).search(/^## /m);
  const end = nextHeading < 0 ? doc.length : from + nextHeading;
  const section = doc.slice(from, end).trimEnd();
  return `${doc.slice(0, from)}${section ? `${section}\n\n` : "\n"}${block}\n\n${doc.slice(end).replace(/^\n+/, "")}`;
}
