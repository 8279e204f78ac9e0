// Passive outlier ejection on a fake clock: streaks eject, a success resets the streak, the
// ejection time doubles and caps, the level decays, maxEjectedPercent caps ejections at once, and
// `available` always agrees with state(). One test runs the real sweep interval.
import { expect, test } from "bun:test";
import { EndpointHealth } from "../../../src/resilience/health/endpoint-health.ts";
import type { OutlierPlan } from "../../../src/resilience/types.ts";

const PLAN: OutlierPlan = { consecutiveFailures: 3, baseEjectionMs: 100, maxEjectionMs: 1000, maxEjectedPercent: 100 };

function health(n: number, plan: Partial<OutlierPlan> = {}) {
  let now = 1000;
  const h = new EndpointHealth(n, { ...PLAN, ...plan }, { clock: () => now, sweepMs: 1_000_000 });
  const consistent = () => {
    let healthy = 0;
    for (let i = 0; i < n; i++) {
      expect(h.available[i]).toBe(h.state(i) === "healthy" ? 1 : 0);
      if (h.available[i] === 1) healthy++;
    }
    expect(h.healthyCount).toBe(healthy);
  };
  return {
    h,
    consistent,
    get now() {
      return now;
    },
    /** Advance the clock and run the sweep. */
    advance(ms: number) {
      now += ms;
      h.detector!.sweep(now);
      consistent();
    },
    fail(i: number, times = 1) {
      for (let k = 0; k < times; k++) h.reportFailure(i, now);
      consistent();
    },
    ok(i: number) {
      h.reportSuccess(i, now);
      consistent();
    },
  };
}

/** Eject endpoint i and return how long the ejection lasts. */
function ejectionLength(t: ReturnType<typeof health>, i: number): number {
  t.fail(i, PLAN.consecutiveFailures);
  expect(t.h.state(i)).toBe("ejected");
  return t.h.ejectedUntil(i) - t.now;
}

test("consecutiveFailures in a row eject; fewer do not", () => {
  const t = health(4);
  t.fail(0, 2);
  expect(t.h.state(0)).toBe("healthy");
  t.fail(0);
  expect(t.h.state(0)).toBe("ejected");
  expect(t.h.available[0]).toBe(0);
  expect(t.h.healthyCount).toBe(3);
  expect(t.h.ejections).toBe(1);
  expect(t.h.ejectedCount).toBe(1);
});

test("a success resets the streak", () => {
  const t = health(2);
  t.fail(0, 2);
  t.ok(0);
  t.fail(0, 2);
  expect(t.h.state(0)).toBe("healthy");
  t.fail(0);
  expect(t.h.state(0)).toBe("ejected");
});

test("failures reported while ejected do not extend it; the endpoint returns when the time is up", () => {
  const t = health(2);
  expect(ejectionLength(t, 0)).toBe(100);
  const until = t.h.ejectedUntil(0);
  t.advance(50);
  t.fail(0, 10); // requests that were in flight when it was ejected
  expect(t.h.ejectedUntil(0)).toBe(until);
  t.advance(49);
  expect(t.h.state(0)).toBe("ejected");
  t.advance(1);
  expect(t.h.state(0)).toBe("healthy");
  expect(t.h.available[0]).toBe(1);
  // The streak starts over after coming back.
  t.fail(0, 2);
  expect(t.h.state(0)).toBe("healthy");
});

test("a report past the ejection's end brings the endpoint back without waiting for the sweep", () => {
  const t = health(2);
  ejectionLength(t, 1);
  t.advance(0);
  // Move the clock without sweeping: the report itself notices.
  const later = t.now + 150;
  t.h.reportSuccess(1, later);
  expect(t.h.state(1)).toBe("healthy");
  expect(t.h.available[1]).toBe(1);
});

test("each ejection doubles the time, up to maxEjectionMs", () => {
  const t = health(1);
  const lengths: number[] = [];
  for (let k = 0; k < 6; k++) {
    const ms = ejectionLength(t, 0);
    lengths.push(ms);
    t.advance(ms);
    expect(t.h.state(0)).toBe("healthy");
  }
  expect(lengths).toEqual([100, 200, 400, 800, 1000, 1000]);
});

test("the level halves for every maxEjectionMs spent back in service", () => {
  const t = health(1);
  for (let k = 0; k < 4; k++) t.advance(ejectionLength(t, 0)); // 100, 200, 400, 800; level 4
  t.advance(999);
  expect(ejectionLength(t, 0)).toBe(1000); // not a full maxEjectionMs back: no decay
  t.advance(1000);
  t.advance(1000); // one maxEjectionMs back: level 4 → 2
  expect(ejectionLength(t, 0)).toBe(400);
  t.advance(400);
  t.advance(3000); // three: level 3 → 0
  expect(ejectionLength(t, 0)).toBe(100);
});

test("maxEjectedPercent: 3 endpoints at 34% → at most one ejected at once", () => {
  const t = health(3, { maxEjectedPercent: 34 });
  expect(t.h.detector!.maxEjected).toBe(1);
  t.fail(0, 3);
  t.fail(1, 3);
  t.fail(2, 3);
  expect([t.h.state(0), t.h.state(1), t.h.state(2)]).toEqual(["ejected", "healthy", "healthy"]);
  expect(t.h.ejectionsCapped).toBe(2);
  // Once the first is back, the next failure of a endpoint already over its streak ejects it.
  t.advance(100);
  expect(t.h.state(0)).toBe("healthy");
  t.fail(1);
  expect(t.h.state(1)).toBe("ejected");
  expect(t.h.ejectedCount).toBe(1);
});

test("cap rounding: floor of the share, at least one when the percent is above 0, none at 0", () => {
  const cap = (n: number, pct: number) => new EndpointHealth(n, { ...PLAN, maxEjectedPercent: pct }).detector!.maxEjected;
  expect(cap(1, 10)).toBe(1);
  expect(cap(3, 10)).toBe(1);
  expect(cap(10, 10)).toBe(1);
  expect(cap(25, 10)).toBe(2);
  expect(cap(4, 50)).toBe(2);
  expect(cap(5, 50)).toBe(2);
  expect(cap(4, 100)).toBe(4);
  expect(cap(4, 0)).toBe(0);
  const t = health(2, { maxEjectedPercent: 0 });
  t.fail(0, 10);
  expect(t.h.state(0)).toBe("healthy");
});

test("active verdict and ejection combine: available only when neither applies", () => {
  const t = health(2);
  t.h.setUnhealthy(0, true);
  t.consistent();
  expect(t.h.state(0)).toBe("unhealthy");
  t.fail(0, 3);
  expect(t.h.state(0)).toBe("unhealthy"); // unhealthy shows over ejected
  expect(t.h.ejectedCount).toBe(1);
  t.h.setUnhealthy(0, false);
  t.consistent();
  expect(t.h.state(0)).toBe("ejected");
  t.advance(100);
  expect(t.h.state(0)).toBe("healthy");
  expect(t.h.healthyCount).toBe(2);
});

test("without an outlier plan, failures never eject", () => {
  const h = new EndpointHealth(2, null);
  for (let k = 0; k < 100; k++) h.reportFailure(0, k);
  expect(h.state(0)).toBe("healthy");
  expect(h.available[0]).toBe(1);
  expect(h.ejections).toBe(0);
});

test("the real sweep interval brings an endpoint back within ~100 ms of its ejection ending", async () => {
  const h = new EndpointHealth(2, { ...PLAN, baseEjectionMs: 40 });
  for (let k = 0; k < 3; k++) h.reportFailure(0, performance.now());
  expect(h.available[0]).toBe(0);
  const end = h.ejectedUntil(0);
  while (h.available[0] === 0 && performance.now() < end + 1000) await Bun.sleep(5);
  expect(h.available[0]).toBe(1);
  expect(h.state(0)).toBe("healthy");
  // Loose bound: sweep period is 50 ms; allow for a busy machine.
  expect(performance.now() - end).toBeLessThan(300);
  h.close();
});

test("after close() reports are ignored", () => {
  const t = health(2);
  t.h.close();
  t.fail(0, 10);
  expect(t.h.state(0)).toBe("healthy");
});
