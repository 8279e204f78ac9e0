// How hard the fuzz tests press: each property has a bounded default run count (CI keeps every
// fuzz file within a few seconds); FUZZ_RUNS=N runs every property N times instead, and
// FUZZ_SEED=S replays the seed a failure printed. No fixed seed by default: each CI run explores.

import type { Parameters } from "fast-check";

/** fast-check parameters for a property whose CI default is `defaultRuns`. */
export function fuzzParams<T>(defaultRuns: number): Parameters<T> {
  const runs = Number(process.env.FUZZ_RUNS);
  const seed = Number(process.env.FUZZ_SEED);
  return {
    numRuns: Number.isInteger(runs) && runs > 0 ? runs : defaultRuns,
    ...(process.env.FUZZ_SEED !== undefined && Number.isInteger(seed) ? { seed } : {}),
  };
}

/** A test timeout that grows with FUZZ_RUNS (never a timing assertion: only a ceiling). */
export function fuzzTimeout(defaultRuns: number, ms = 60_000): number {
  const runs = Number(process.env.FUZZ_RUNS);
  return Number.isInteger(runs) && runs > defaultRuns ? Math.ceil((ms * runs) / defaultRuns) : ms;
}
