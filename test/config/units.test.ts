import { test, expect } from "bun:test";
import { parseDuration, parseSize, parseRate, isUnitError, formatDuration, formatSize } from "../../src/config/units.ts";

test.each([
  ["250ms", 250],
  ["2s", 2000],
  ["1m", 60_000],
  ["1h", 3_600_000],
  ["1.5s", 1500],
  ["0s", 0],
  ["596h", 596 * 3_600_000],
] as const)("parseDuration(%p) = %p", (text, ms) => {
  expect(parseDuration(text)).toBe(ms);
});

test.each([["5 seconds", '"5 seconds"'], ["2", '"2"'], ["-1s", '"-1s"'], ["1.s", '"1.s"'], ["2S", '"2S"'], ["", '""'], [5, "5"], [null, "nothing"], [["1s"], "a list"]])(
  "parseDuration(%p) is an error naming the expected form and the value",
  (input, shown) => {
    const r = parseDuration(input);
    expect(isUnitError(r)).toBe(true);
    expect((r as { error: string }).error).toStartWith('expected a duration like "250ms" or "2s", got ');
    expect((r as { error: string }).error).toContain(shown);
  },
);

test("parseDuration refuses what a timer cannot hold", () => {
  expect(parseDuration("597h")).toEqual({ error: 'expected a duration of at most 596h, got "597h"' });
});

test.each([
  ["512b", 512],
  ["16kb", 16 * 1024],
  ["1mb", 1024 ** 2],
  ["1gb", 1024 ** 3],
  ["1.5kb", 1536],
  ["0b", 0],
] as const)("parseSize(%p) = %p", (text, bytes) => {
  expect(parseSize(text)).toBe(bytes);
});

test.each(["16 kb", "16k", "16KB", "mb", "1tb", 16] as unknown[])("parseSize(%p) is an error", (input) => {
  const r = parseSize(input);
  expect(isUnitError(r) && r.error).toStartWith('expected a size like "16kb" or "1mb", got ');
});

test.each([
  ["100/s", { count: 100, perMs: 1000 }],
  ["6000/min", { count: 6000, perMs: 60_000 }],
  ["10/h", { count: 10, perMs: 3_600_000 }],
] as const)("parseRate(%p)", (text, rate) => {
  expect(parseRate(text)).toEqual(rate);
});

test.each(["0/s", "100/sec", "100 / s", "1.5/s", "100", "/s", 100] as unknown[])("parseRate(%p) is an error", (input) => {
  const r = parseRate(input);
  expect(isUnitError(r) && r.error).toStartWith('expected a rate like "100/s" or "6000/min", got ');
});

test.each([
  [250, "250ms"],
  [1500, "1.5s"],
  [30_000, "30s"],
  [90_000, "90s"],
  [120_000, "2m"],
  [3_600_000, "1h"],
] as const)("formatDuration(%p) = %p", (ms, text) => {
  expect(formatDuration(ms)).toBe(text);
  expect(parseDuration(text)).toBe(ms);
});

test.each([
  [512, "512b"],
  [16 * 1024, "16kb"],
  [128 * 1024 ** 2, "128mb"],
  [1536, "1536b"],
] as const)("formatSize(%p) = %p", (bytes, text) => {
  expect(formatSize(bytes)).toBe(text);
  expect(parseSize(text)).toBe(bytes);
});
