import { describe, expect, test } from "bun:test";
import { type AttemptFailure, isIdempotent, shouldRetry } from "../../../src/resilience/retry/retry-policy.ts";
import type { RetryPlan } from "../../../src/resilience/types.ts";

function plan(over: Partial<RetryPlan> = {}): RetryPlan {
  return {
    attempts: 3,
    onConnectFailure: true,
    onReset: true,
    onStatus: [502, 503],
    allMethods: false,
    budget: { ratio: 0.2, minPerSecond: 1, windowMs: 10_000 },
    ...over,
  };
}

const CONNECT: AttemptFailure = { kind: "connect-failure" };
const RESET: AttemptFailure = { kind: "reset" };
const s = (status: number): AttemptFailure => ({ kind: "status", status });

describe("isIdempotent", () => {
  test.each([
    ["GET", true],
    ["HEAD", true],
    ["OPTIONS", true],
    ["TRACE", true],
    ["PUT", true],
    ["DELETE", true],
    ["POST", false],
    ["PATCH", false],
    ["CONNECT", false],
    ["get", false], // methods are case-sensitive (RFC 9110 §9.1)
    ["", false],
  ])("%p → %p", (method, expected) => {
    expect(isIdempotent(method)).toBe(expected);
  });
});

describe("shouldRetry", () => {
  test.each<[string, Partial<RetryPlan>, string, AttemptFailure, number, boolean]>([
    ["connect failure, GET", {}, "GET", CONNECT, 1, true],
    ["connect failure, POST: nothing was sent", {}, "POST", CONNECT, 1, true],
    ["connect failure, not enabled", { onConnectFailure: false }, "GET", CONNECT, 1, false],
    ["reset, GET", {}, "GET", RESET, 1, true],
    ["reset, POST", {}, "POST", RESET, 1, false],
    ["reset, POST, allMethods", { allMethods: true }, "POST", RESET, 1, true],
    ["reset, not enabled", { onReset: false }, "GET", RESET, 1, false],
    ["listed status, PUT", {}, "PUT", s(503), 1, true],
    ["listed status, PATCH", {}, "PATCH", s(503), 1, false],
    ["listed status, PATCH, allMethods", { allMethods: true }, "PATCH", s(502), 1, true],
    ["unlisted status", {}, "GET", s(500), 1, false],
    ["no statuses", { onStatus: [] }, "GET", s(503), 1, false],
    ["second attempt of three", {}, "GET", s(503), 2, true],
    ["third attempt of three: none left", {}, "GET", s(503), 3, false],
    ["attempts 1: never", { attempts: 1 }, "GET", CONNECT, 1, false],
    ["past attempts", {}, "GET", CONNECT, 7, false],
    ["NaN attempt", {}, "GET", CONNECT, Number.NaN, false],
  ])("%s", (_name, over, method, outcome, attempt, expected) => {
    expect(shouldRetry(plan(over), method, outcome, attempt)).toBe(expected);
  });
});
