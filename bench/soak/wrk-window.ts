// One wrk run of the soak (pinned to core 1, soak.lua): saturating, or paced by a pause per
// connection. Reads the BENCH line soak.lua prints, in the same shape as ../lib/wrk.ts.
import { join } from "node:path";
import { runWrkCommand, type WrkResult } from "../lib/wrk.ts";

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
export function runWindow(run: WindowRun, baseUrl: string, log: string, everySecond: () => void = () => {}): Promise<WrkResult> {
  return runWrkCommand(windowCommand(run, baseUrl), windowEnv(run), run.seconds, log, everySecond);
}
