// Renders RESULTS.md: context first (when, where, what ran), then one table, then a reading of it.
import type { WrkResult } from "./wrk.ts";

export interface PeerResult {
  id: string;
  label: string;
  command: string; // as run, shell-quoted, env prefix included
  status: string; // "ok", "failed to start", "crashed during run", "error: ..."
  sat?: WrkResult;
  paced?: WrkResult;
  rssMb?: number;
  cpuBusy?: number[]; // per core, during saturation
  foreignCores?: number[]; // cores used by processes we did not start, during [saturation, paced]
  backendConns?: number; // connections the backend accepted during saturation (keep-alive check)
}

export interface Meta {
  date: string;
  invocation: string;
  machine: { nproc: number; cpu: string; kernel: string };
  versions: [string, string][];
  commands: [string, string][];
  pinning: string;
  durations: { warmup: number; sat: number; paced: number };
  rawDir: string;
  ceilingRps: number; // wrk straight to the backend: what core 1 can do with no proxy
  traffic?: string; // what each request carries beyond the plain GET, when it is not plain
}

const ms = (x: number) => (x < 10 ? x.toFixed(2) : x < 100 ? x.toFixed(1) : x.toFixed(0));
const kilo = (x: number) => (x >= 1000 ? `${(x / 1000).toFixed(1)}k` : x.toFixed(0));

function errorText(r: PeerResult): string {
  const part = (name: string, w?: WrkResult) => {
    if (!w || w.errorTotal === 0) return "";
    const kinds = Object.entries(w.errors)
      .filter(([, n]) => n > 0)
      .map(([k, n]) => `${n} ${k === "status" ? "non-2xx" : k}`);
    return `${name}: ${kinds.join(", ")}`;
  };
  const parts = [part("sat", r.sat), part("paced", r.paced)].filter(Boolean);
  return parts.length ? `⚠ ${parts.join("; ")}` : "0";
}

const pct = (x = 0) => `${(x * 100).toFixed(0)}%`;
const hasErrors = (r: PeerResult) => (r.sat?.errorTotal ?? 0) + (r.paced?.errorTotal ?? 0) > 0;

function row(r: PeerResult, nginxRps: number | null): string {
  if (r.status !== "ok" || !r.sat || !r.paced) {
    return `| ${r.label} | ${r.status} |  |  |  |  |  |  |  |  |  |`;
  }
  const warn = hasErrors(r) ? " ⚠" : "";
  const ratio = nginxRps ? `${(r.sat.rps / nginxRps).toFixed(2)}×` : "—";
  const p = r.paced;
  return `| ${r.label} | ${kilo(r.sat.rps)}${warn} | ${ratio} | ${ms(p.p50)} | ${ms(p.p99)} | ${ms(p.p999)} | ${ms(
    p.p9999,
  )} | ${ms(p.max)} | ${p.requests.toLocaleString("en-US")} | ${errorText(r)} | ${r.rssMb?.toFixed(1) ?? "?"} |`;
}

function reading(results: PeerResult[], ceilingRps: number): string[] {
  const ok = results.filter((r) => r.status === "ok" && r.sat && r.paced);
  const nginx = ok.find((r) => r.id === "nginx");
  const lines: string[] = [];
  for (const r of ok) {
    if (r === nginx) continue;
    const vs = nginx
      ? `${(r.sat!.rps / nginx.sat!.rps).toFixed(2)}× nginx rps; p99.9 ${ms(r.paced!.p999)} ms vs nginx ${ms(nginx.paced!.p999)} ms`
      : `${kilo(r.sat!.rps)} rps; p99.9 ${ms(r.paced!.p999)} ms`;
    const spread = `p99.9/p99 ${(r.paced!.p999 / r.paced!.p99).toFixed(1)}`;
    lines.push(`- ${r.label}: ${vs} (${spread}); RSS ${r.rssMb?.toFixed(0)} MB.`);
  }
  // Keel variants (--keel-config) against Keel's pass-through row of the same run.
  const keel = ok.find((r) => r.id === "keel");
  for (const v of ok.filter((r) => r.id.startsWith("keel-"))) {
    if (!keel) break;
    const p999 = (v.paced!.p999 / keel.paced!.p999 - 1) * 100;
    lines.push(
      `- ${v.label} vs keel (pass-through, same run): ${(v.sat!.rps / keel.sat!.rps).toFixed(2)}× saturation rps; paced p99.9 ${ms(v.paced!.p999)} vs ${ms(keel.paced!.p999)} ms (${p999 >= 0 ? "+" : ""}${p999.toFixed(0)}%), p99 ${ms(v.paced!.p99)} vs ${ms(keel.paced!.p99)} ms.`,
    );
  }
  const local = ok.find((r) => r.id === "keel-limits-local");
  const shared = ok.find((r) => r.id === "keel-limits-shared");
  if (local && shared) {
    const d = (shared.paced!.p999 / local.paced!.p999 - 1) * 100;
    lines.push(`- keel limits-shared vs keel limits-local: paced p99.9 ${ms(shared.paced!.p999)} vs ${ms(local.paced!.p999)} ms (${d >= 0 ? "+" : ""}${d.toFixed(0)}%); ${(shared.sat!.rps / local.sat!.rps).toFixed(2)}× saturation rps.`);
  }
  const naive = ok.find((r) => r.id === "bun-naive");
  for (const k of ok.filter((r) => r.id.startsWith("keel"))) {
    if (naive) lines.push(`- ${k.label} vs the naive Bun fetch proxy: ${(k.sat!.rps / naive.sat!.rps).toFixed(2)}× rps, p99.9 ${ms(k.paced!.p999)} vs ${ms(naive.paced!.p999)} ms.`);
  }
  for (const r of results.filter((r) => r.status !== "ok")) lines.push(`- ${r.label}: ${r.status}, no numbers.`);
  for (const r of ok.filter(hasErrors)) lines.push(`- ${r.label} had errors (${errorText(r).slice(2)}): its rps and latencies are not comparable.`);
  // Which side ran out of CPU during saturation: only when core 1 has room was the proxy alone measured.
  for (const r of ok) {
    const [c0 = 0, c1 = 0] = r.cpuBusy ?? [];
    const share = `${pct(r.sat!.rps / ceilingRps)} of the load-side ceiling (${kilo(ceilingRps)} rps)`;
    if (c1 >= 0.9 || r.sat!.rps > 0.7 * ceilingRps) {
      lines.push(`- ${r.label}: during saturation core 1 (wrk + backend) was ${pct(c1)} busy, core 0 (proxy) ${pct(c0)}; it reached ${share}: the load side limited it too, so its rps is a lower bound and ratios against it understate the gaps.`);
    }
  }
  // A proxy that cannot carry the paced rate queues: its paced latencies measure the queue, not the proxy.
  for (const r of ok) {
    const pacedRps = r.paced!.requests / r.paced!.seconds;
    if (r.sat!.rps < 1.2 * pacedRps) {
      lines.push(`- ${r.label}: its saturation rps (${kilo(r.sat!.rps)}) is near or below the paced rate (${kilo(pacedRps)}): the paced latencies are mostly queueing.`);
    }
  }
  // Other jobs on the machine: more than a tenth of a core makes a row suspect.
  for (const r of ok) {
    const [s = 0, p = 0] = r.foreignCores ?? [];
    if (s > 0.1 || p > 0.1) {
      lines.push(`- ${r.label}: other processes took ${pct(s)} / ${pct(p)} of a core during its saturation / paced runs; its numbers are disturbed, rerun before trusting them.`);
    }
  }
  for (const r of ok.filter((r) => (r.backendConns ?? 0) > 200)) {
    lines.push(`- ${r.label} opened ${r.backendConns} backend connections during saturation: it is not keeping upstream connections alive.`);
  }
  const fewest = Math.min(...ok.map((r) => r.paced!.requests));
  if (ok.length && fewest < 100_000) {
    lines.push(`- The paced runs had as few as ${fewest.toLocaleString("en-US")} samples (< 100k): p99.9 and above are rough.`);
  }
  return lines;
}

export function renderReport(meta: Meta, results: PeerResult[]): string {
  const nginx = results.find((r) => r.id === "nginx" && r.status === "ok");
  const nginxRps = nginx?.sat?.rps ?? null;
  const paced = results.filter((r) => r.paced).map((r) => r.paced!.requests);
  const d = meta.durations;
  const out = [
    `# Keel benchmark results`,
    ``,
    `- Date: ${meta.date}`,
    `- Machine: ${meta.machine.nproc} cores, ${meta.machine.cpu}, Linux ${meta.machine.kernel} (shared and noisy: compare rows of one run, as ratios)`,
    `- Invocation: \`${meta.invocation}\``,
    `- Pinning: ${meta.pinning}`,
    `- Runs per proxy: warm-up ${d.warmup} s (50 connections), saturation ${d.sat} s (wrk -t1 -c50, closed loop), paced ${d.paced} s (wrk -t1 -c100, 20 ms pause per connection between requests ≈ 5k rps)`,
    `- Paced samples per proxy: ${paced.length ? `${Math.min(...paced).toLocaleString("en-US")} to ${Math.max(...paced).toLocaleString("en-US")}` : "none"} (p99.9 wants ≥ 100k)`,
    ...(meta.traffic ? [`- Traffic: ${meta.traffic}`] : []),
    `- Load-side ceiling: wrk straight to the backend (no proxy, same saturation run) did ${kilo(meta.ceilingRps)} rps; core 1 does that work for every proxy too, so no row can exceed it`,
    `- Raw wrk outputs and generated configs: \`${meta.rawDir}\``,
    ``,
    `## Versions`,
    ``,
    ...meta.versions.map(([k, v]) => `- ${k}: ${v}`),
    ``,
    `## Commands`,
    ``,
    "```sh",
    ...meta.commands.map(([k, v]) => `# ${k}\n${v}`),
    "```",
    ``,
    `## Results`,
    ``,
    `Latencies in ms from the paced run; rps from the saturation run counts only non-error responses; RSS is the proxy's process tree at the end of the paced run.`,
    ``,
    `| proxy | sat rps | ratio vs nginx | paced p50 | p99 | p99.9 | p99.99 | max | paced requests | errors | RSS MB |`,
    `|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|`,
    ...results.map((r) => row(r, nginxRps)),
    ``,
    `Side checks. During saturation: CPU busy per core (core 0 = proxy, core 1 = wrk + backend) and connections`,
    `the backend accepted (a proxy keeping upstream connections alive opens about 50 or fewer). Other processes:`,
    `CPU taken by jobs the harness did not start (this machine is shared), during saturation / paced, in % of a core.`,
    ``,
    `| proxy | core 0 | core 1 | backend connections opened | other processes (sat / paced) |`,
    `|---|---:|---:|---:|---:|`,
    ...results
      .filter((r) => r.cpuBusy)
      .map(
        (r) =>
          `| ${r.label} | ${pct(r.cpuBusy![0])} | ${pct(r.cpuBusy![1])} | ${r.backendConns ?? "?"} | ${(r.foreignCores ?? []).map((c) => pct(c)).join(" / ")} |`,
      ),
    ``,
    `## Reading it`,
    ``,
    ...reading(results, meta.ceilingRps),
    ``,
  ];
  return out.join("\n");
}

// Scenario sections (e.g. bench/tail/run.ts) live in RESULTS.md between `<!-- scenario:NAME -->` and
// `<!-- /scenario:NAME -->`. bench/run.ts rewrites the file from scratch but keeps these blocks.
const SCENARIO_BLOCK = /<!-- scenario:([\w.-]+) -->[\s\S]*?<!-- \/scenario:\1 -->/g;

/** The complete scenario blocks of a file, markers included, in file order. */
export function scenarioBlocks(text: string): string[] {
  return [...text.matchAll(SCENARIO_BLOCK)].map((m) => m[0]);
}

/** `fresh` followed by the scenario blocks of `previous` that `fresh` does not have itself. */
export function keepScenarioBlocks(fresh: string, previous: string): string {
  const have = new Set(scenarioBlocks(fresh).map((b) => /scenario:([\w.-]+)/.exec(b)![1]));
  const kept = scenarioBlocks(previous).filter((b) => !have.has(/scenario:([\w.-]+)/.exec(b)![1]));
  return kept.length ? `${fresh.trimEnd()}\n\n${kept.join("\n\n")}\n` : fresh;
}

/** `text` with the block of scenario `name` replaced by `body` (wrapped in its markers), or appended. */
export function putScenarioBlock(text: string, name: string, body: string): string {
  const block = `<!-- scenario:${name} -->\n${body.trim()}\n<!-- /scenario:${name} -->`;
  const re = new RegExp(`<!-- scenario:${name.replace(/[.]/g, "\\.")} -->[\\s\\S]*?<!-- /scenario:${name.replace(/[.]/g, "\\.")} -->`);
  if (re.test(text)) return text.replace(re, () => block);
  return text.trim() ? `${text.trimEnd()}\n\n${block}\n` : `${block}\n`;
}
