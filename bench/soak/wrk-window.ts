// One wrk run of the soak (pinned to core 1, soak.lua): saturating, or paced by a pause per
// connection. Reads the BENCH line soak.lua prints, in the same shape as ../lib/wrk.ts.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { spawnGroup, stopGroup } from "../lib/procs.ts";
import type { WrkResult } from "../lib/wrk.ts";

export const SOAK_LUA = join(import.meta.dir, "soak.lua");

export interface WindowRun {
  connections: number;
  seconds: number;
  /** Pause per connection between requests, ms (fractional); 0 = saturating. */
  delayMs: number;
  /** Request targets taken in turn. */
  paths: readonly string[];
  /** x-client keys taken in turn. */
  clients: number;
}

export function windowCommand(run: WindowRun, baseUrl: string): string[] {
  return ["taskset", "-c", "1", "wrk", "-t1", `-c${run.connections}`, `-d${run.seconds}s`, "--timeout", "2s", "-s", SOAK_LUA, baseUrl];
}

export function windowEnv(run: WindowRun): Record<string, string> {
  return { SOAK_PATHS: run.paths.join("|"), SOAK_CLIENTS: String(run.clients), SOAK_DELAY_MS: run.delayMs > 0 ? run.delayMs.toFixed(3) : "0" };
}

/** Runs wrk to completion (raw output in `log`); `everySecond` is called while it runs. */
export async function runWindow(run: WindowRun, baseUrl: string, log: string, everySecond: () => void = () => {}): Promise<WrkResult> {
  const child = spawnGroup("wrk", windowCommand(run, baseUrl), { env: windowEnv(run), log });
  const tick = setInterval(everySecond, 1000);
  // Bounded: wrk stops itself after -d; the +15 s is only for a wedged wrk.
  const killer = setTimeout(() => void stopGroup(child), (run.seconds + 15) * 1000);
  await child.proc.exited;
  clearInterval(tick);
  clearTimeout(killer);
  await stopGroup(child);
  return parseBenchLine(readFileSync(log, "utf8"), log);
}

/** The `BENCH key=value ...` line of soak.lua (latencies in µs there, in ms here). */
export function parseBenchLine(out: string, log: string): WrkResult {
  const line = out.split("\n").find((l) => l.startsWith("BENCH "));
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
  };
}
