// Durations, sizes and rates as written in config ("250ms", "16kb", "100/s").
// Parsers return the value or a UnitError; they never throw.
import { describeValue } from "./describe.ts";

export interface UnitError {
  readonly error: string;
}

export interface Rate {
  readonly count: number;
  readonly perMs: number;
}

export function isUnitError(v: unknown): v is UnitError {
  return typeof v === "object" && v !== null && "error" in v;
}

const DURATION_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const SIZE_BYTES: Record<string, number> = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 };
const RATE_MS: Record<string, number> = { s: 1000, min: 60_000, h: 3_600_000 };
// Timers overflow past 2^31-1 ms (they would fire at once), so longer durations are refused.
const MAX_TIMER_MS = 2 ** 31 - 1;

const fail = (expected: string, got: unknown): UnitError => ({ error: `expected ${expected}, got ${describeValue(got)}` });

export const DURATION_EXPECTED = 'a duration like "250ms" or "2s"';
export const SIZE_EXPECTED = 'a size like "16kb" or "1mb"';
export const RATE_EXPECTED = 'a rate like "100/s" or "6000/min"';

/** "250ms" | "2s" | "1m" | "1h" | "1.5s" → milliseconds. */
export function parseDuration(text: unknown): number | UnitError {
  const m = typeof text === "string" ? /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(text) : null;
  if (!m) return fail(DURATION_EXPECTED, text);
  const ms = Number(m[1]) * DURATION_MS[m[2]!]!;
  return ms > MAX_TIMER_MS ? { error: `expected a duration of at most 596h, got ${describeValue(text)}` } : ms;
}

/** "512b" | "16kb" | "1mb" | "1gb" → bytes (1kb = 1024), rounded down to a whole byte. */
export function parseSize(text: unknown): number | UnitError {
  const m = typeof text === "string" ? /^(\d+(?:\.\d+)?)(b|kb|mb|gb)$/.exec(text) : null;
  if (!m) return fail(SIZE_EXPECTED, text);
  const bytes = Math.floor(Number(m[1]) * SIZE_BYTES[m[2]!]!);
  return Number.isSafeInteger(bytes) ? bytes : fail(SIZE_EXPECTED, text);
}

/** "100/s" | "6000/min" | "10/h" → { count, perMs }. */
export function parseRate(text: unknown): Rate | UnitError {
  const m = typeof text === "string" ? /^(\d+)\/(s|min|h)$/.exec(text) : null;
  if (!m || !Number.isSafeInteger(Number(m[1])) || Number(m[1]) === 0) return fail(RATE_EXPECTED, text);
  return { count: Number(m[1]), perMs: RATE_MS[m[2]!]! };
}

/** 30000 → "30s", 1500 → "1.5s", 250 → "250ms" (for summaries). */
export function formatDuration(ms: number): string {
  for (const [unit, size] of [["h", 3_600_000], ["m", 60_000], ["s", 1000]] as const) {
    if (ms >= size && (ms % size === 0 || unit === "s")) return `${+(ms / size).toFixed(3)}${unit}`;
  }
  return `${ms}ms`;
}

/** 134217728 → "128mb"; falls back to a smaller unit when not a whole number. */
export function formatSize(bytes: number): string {
  for (const [unit, size] of [["gb", 1024 ** 3], ["mb", 1024 ** 2], ["kb", 1024]] as const) {
    if (bytes >= size && bytes % size === 0) return `${bytes / size}${unit}`;
  }
  return `${bytes}b`;
}
