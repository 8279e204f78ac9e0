import { test, expect } from "bun:test";
import {
  advertisedQuota,
  policyFieldValue,
  policyItem,
  serviceLimitItem,
  serviceLimitPrefix,
  sfCount,
  sfString,
} from "../../../src/limits/rate/ratelimit-fields.ts";
import type { RatePolicyPlan } from "../../../src/limits/types.ts";

function plan(name: string, count: number, periodMs: number): RatePolicyPlan {
  return { name, count, periodMs, burst: 1, key: [], maxKeys: 10, shared: null };
}

test.each([
  ["per-ip", '"per-ip"'],
  ["api#0", '"api#0"'],
  ['say "hi"', '"say \\"hi\\""'],
  ["back\\slash", '"back\\\\slash"'],
  ["tab\there", '"tab?here"'],
  ["café", '"caf?"'],
  ["", '""'],
])("sfString(%p) = %s", (text, field) => {
  expect(sfString(text)).toBe(field);
});

test.each([
  [0, "0"],
  [42, "42"],
  [2.9, "2"],
  [-3, "0"],
  [Number.NaN, "0"],
  [1e20, "999999999999999"],
])("sfCount(%p) = %s", (n, text) => {
  expect(sfCount(n)).toBe(text);
});

test.each([
  [100, 1000, 100, 1],
  [6000, 60_000, 6000, 60],
  [1000, 3_600_000, 1000, 3600],
  [10, 500, 20, 1], // sub-second: the same rate over one second
  [3, 1500, 4, 2], // 2/s over 2 s
  [1, 250, 4, 1],
  [7, 2500, 8, 3], // 2.8/s → 8.4 over 3 s, rounded down
])("advertisedQuota(%p per %p ms) = q=%p;w=%p", (count, periodMs, q, w) => {
  expect(advertisedQuota(count, periodMs)).toEqual({ q, w });
});

test("RateLimit-Policy items and lists", () => {
  expect(policyItem(plan("per-ip", 100, 60_000))).toBe('"per-ip";q=100;w=60');
  expect(policyFieldValue([plan("burst", 100, 60_000), plan("daily", 1000, 86_400_000)])).toBe(
    '"burst";q=100;w=60, "daily";q=1000;w=86400',
  );
  expect(policyFieldValue([plan('odd "name"', 10, 500)])).toBe('"odd \\"name\\"";q=20;w=1');
});

test("RateLimit items", () => {
  expect(serviceLimitItem(serviceLimitPrefix("default"), 50, 30)).toBe('"default";r=50;t=30');
  expect(serviceLimitItem(serviceLimitPrefix("x"), -1, 0)).toBe('"x";r=0;t=0');
});
