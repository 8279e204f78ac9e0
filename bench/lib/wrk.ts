// Running wrk (pinned to core 1) and reading the line printed by wrk-report.lua.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BENCH_DIR } from "./peers.ts";
import { parseLatencyCounts, type LatencyCounts } from "./pooled-latency.ts";
import { cpuTicks, spawnGroup, stopGroup } from "./procs.ts";

export const LUA = join(BENCH_DIR, "wrk-report.lua");

export interface WrkResult {
  requests: number;
  seconds: number;
  /** 2xx-ish responses per second: wrk's status errors (>= 400) do not count. */
  rps: number;
  p50: number; // ms
  p99: number;
  p999: number;
  p9999: number;
  max: number;
  errors: { connect: number; read: number; write: number; status: number; timeout: number };
  errorTotal: number;
  /** Every recorded latency with its count, when the run asked for it (`histogram`). */
  latencies?: LatencyCounts;
}

export interface WrkRun {
  connections: number;
  seconds: number;
  delayMs?: number; // paced when set
  /** "exp": pauses drawn from an exponential distribution of mean delayMs (Poisson-like arrivals). */
  spread?: "exp";
  /** Print every recorded latency too (WrkResult.latencies), for pooling runs. */
  histogram?: boolean;
  xffKeys?: number; // X-Forwarded-For from this many addresses when set
}

export function wrkCommand(run: WrkRun, url: string): string[] {
  return ["taskset", "-c", "1", "wrk", "-t1", `-c${run.connections}`, `-d${run.seconds}s`, "--timeout", "2s", "-s", LUA, url];
}

export function wrkEnv(run: WrkRun): Record<string, string> {
  const env: Record<string, string> = {};
  if (run.delayMs) env.BENCH_DELAY_MS = String(run.delayMs);
  if (run.spread) env.BENCH_DELAY_SPREAD = run.spread;
  if (run.histogram) env.BENCH_HISTOGRAM = "1";
  if (run.xffKeys) env.BENCH_XFF_KEYS = String(run.xffKeys);
  return env;
}

/** Runs wrk to completion; raw output lands in `log`. While it runs, `during` is called every second. */
export function runWrk(run: WrkRun, url: string, log: string, during: () => void = () => {}): Promise<WrkResult> {
  return runWrkCommand(wrkCommand(run, url), { BENCH_DELAY_MS: "", BENCH_DELAY_SPREAD: "", BENCH_HISTOGRAM: "", BENCH_XFF_KEYS: "", ...wrkEnv(run) }, run.seconds, log, during);
}

/** runWrk against a process, with that process's CPU time (user + system, all threads) per request meanwhile, in µs. */
export async function runWrkWithCpu(run: WrkRun, url: string, log: string, pid: number): Promise<{ wrk: WrkResult; cpuUs: number }> {
  const before = cpuTicks(pid);
  const wrk = await runWrk(run, url, log);
  return { wrk, cpuUs: ((cpuTicks(pid) - before) * 10_000) / Math.max(1, wrk.requests) }; // ticks are 10 ms
}

/**
 * Runs a wrk command line whose script prints a `BENCH key=value ...` line (wrk-report.lua,
 * soak/soak.lua) and reads that line; raw output in `log`, `during` called every second.
 */
export async function runWrkCommand(cmd: string[], env: Record<string, string>, seconds: number, log: string, during: () => void = () => {}): Promise<WrkResult> {
  const child = spawnGroup("wrk", cmd, { env, log });
  const tick = setInterval(during, 1000);
  // Bounded: wrk stops itself after -d; the +15 s is only for a wedged wrk.
  const killer = setTimeout(() => void stopGroup(child), (seconds + 15) * 1000);
  await child.proc.exited;
  clearInterval(tick);
  clearTimeout(killer);
  await stopGroup(child);
  return parseBenchLine(readFileSync(log, "utf8"), log);
}

/** The `BENCH key=value ...` line (latencies in µs there, in ms here). */
export function parseBenchLine(out: string, log: string): WrkResult {
  const lines = out.split("\n");
  const line = lines.find((l) => l.startsWith("BENCH "));
  const hist = lines.find((l) => l.startsWith("BENCH_HIST "));
  if (!line) throw new Error(`wrk printed no BENCH line, see ${log}:\n${out.slice(-500)}`);
  const v: Record<string, number> = {};
  for (const kv of line.slice(6).trim().split(" ")) {
    const [k, n] = kv.split("=");
    v[k!] = Number(n);
  }
  const errors = { connect: v.connect ?? 0, read: v.read ?? 0, write: v.write ?? 0, status: v.status ?? 0, timeout: v.timeout ?? 0 };
  const seconds = (v.duration_us ?? 0) / 1e6;
  const ms = (us: number | undefined) => (us ?? 0) / 1000;
  const requests = v.requests ?? 0;
  return {
    requests,
    seconds,
    rps: seconds > 0 ? (requests - errors.status) / seconds : 0,
    p50: ms(v.p50),
    p99: ms(v.p99),
    p999: ms(v.p999),
    p9999: ms(v.p9999),
    max: ms(v.max),
    errors,
    errorTotal: errors.connect + errors.read + errors.write + errors.status + errors.timeout,
    ...(hist ? { latencies: parseLatencyCounts(hist.slice("BENCH_HIST ".length)) } : {}),
  };
}

/** Busy share of each CPU between two /proc/stat snapshots. */
export type CpuSnap = number[][];

export function cpuSnap(): CpuSnap {
  return readFileSync("/proc/stat", "utf8")
    .split("\n")
    .filter((l) => /^cpu\d+ /.test(l))
    .map((l) => l.split(/\s+/).slice(1).map(Number));
}

export function cpuBusy(a: CpuSnap, b: CpuSnap): number[] {
  return b.map((cols, i) => {
    const d = cols.map((x, j) => x - (a[i]?.[j] ?? 0));
    const total = d.reduce((s, x) => s + x, 0);
    const idle = (d[3] ?? 0) + (d[4] ?? 0); // idle + iowait
    return total > 0 ? 1 - idle / total : 0;
  });
}

export function saveJson(file: string, data: unknown): void {
  writeFileSync(file, JSON.stringify(data, null, 2) + "\n");
}
