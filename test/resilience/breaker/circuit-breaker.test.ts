import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { BREAKER_CLOSED, BREAKER_HALF_OPEN, BREAKER_OPEN, CircuitBreaker } from "../../../src/resilience/breaker/circuit-breaker.ts";
import type { BreakerPlan } from "../../../src/resilience/types.ts";

function plan(over: Partial<BreakerPlan> = {}): BreakerPlan {
  return {
    failureRatio: 0.5,
    minRequests: 10,
    windowMs: 10_000,
    openMs: 5000,
    halfOpenProbes: 2,
    maxConnections: null,
    maxPending: null,
    maxInFlight: null,
    ...over,
  };
}

/** n requests at now, each allowed and reported (failing when fail(i)). */
function traffic(b: CircuitBreaker, now: number, n: number, fail: (i: number) => boolean): void {
  for (let i = 0; i < n; i++) {
    if (!b.allow(now)) continue;
    if (fail(i)) b.onFailure(now);
    else b.onSuccess(now);
  }
}

/** Opens the breaker at `now` with minRequests failures. */
function tripped(over: Partial<BreakerPlan> = {}, now = 0): CircuitBreaker {
  const b = new CircuitBreaker(plan(over));
  traffic(b, now, b.plan.minRequests, () => true);
  expect(b.state).toBe("open");
  return b;
}

describe("CircuitBreaker", () => {
  test("starts closed and lets everything through while healthy", () => {
    const b = new CircuitBreaker(plan());
    expect([b.state, b.stateCode]).toEqual(["closed", BREAKER_CLOSED]);
    traffic(b, 0, 1000, () => false);
    expect(b.state).toBe("closed");
    expect(b.refused).toBe(0);
  });

  test("minRequests: a failing window too small to judge stays closed", () => {
    const b = new CircuitBreaker(plan());
    traffic(b, 0, 9, () => true);
    expect(b.state).toBe("closed");
    expect(b.windowFailures(0)).toBe(9);
    b.onFailure(1);
    expect(b.state).toBe("open");
    expect(b.opened).toBe(1);
  });

  test("opens at the failure ratio, not under it", () => {
    const under = new CircuitBreaker(plan({ failureRatio: 0.5 }));
    traffic(under, 0, 100, (i) => i % 5 >= 3); // 40 %, never 50 % of any prefix ≥ 10
    expect(under.state).toBe("closed");
    const at = new CircuitBreaker(plan({ failureRatio: 0.5 }));
    traffic(at, 0, 100, (i) => i % 2 === 0); // 50 %
    expect(at.state).toBe("open");
  });

  test("the success that brings the window to minRequests can trip it", () => {
    const b = new CircuitBreaker(plan({ failureRatio: 0.5, minRequests: 10 }));
    traffic(b, 0, 9, () => true);
    expect(b.state).toBe("closed");
    b.onSuccess(0);
    expect(b.state).toBe("open");
  });

  test("failures older than the window no longer count", () => {
    const b = new CircuitBreaker(plan());
    traffic(b, 0, 9, () => true);
    traffic(b, 10_000, 1, () => true); // the 9 have left the window
    expect(b.state).toBe("closed");
    expect(b.windowRequests(10_000)).toBe(1);
  });

  test("a ratio of 0 still needs a failure", () => {
    const b = new CircuitBreaker(plan({ failureRatio: 0 }));
    traffic(b, 0, 100, () => false);
    expect(b.state).toBe("closed");
    b.onFailure(0);
    expect(b.state).toBe("open");
  });

  test("open: refused at once for openMs, counted", () => {
    const b = tripped();
    expect(b.stateCode).toBe(BREAKER_OPEN);
    for (let t = 0; t < 5000; t += 500) expect(b.allow(t)).toBe(false);
    expect(b.refused).toBe(10);
    expect(b.state).toBe("open");
  });

  test("half-open: halfOpenProbes probes, the rest refused; all succeed → closed with an empty window", () => {
    const b = tripped();
    expect(b.allow(5000)).toBe(true);
    expect([b.state, b.stateCode]).toEqual(["half-open", BREAKER_HALF_OPEN]);
    expect(b.allow(5001)).toBe(true);
    expect(b.allow(5002)).toBe(false);
    expect(b.refused).toBe(1);
    b.onSuccess(5010);
    expect(b.state).toBe("half-open");
    b.onSuccess(5020);
    expect(b.state).toBe("closed");
    expect(b.windowRequests(5020)).toBe(0);
    // The failures before opening are gone: 9 new ones do not reopen.
    traffic(b, 5030, 9, () => true);
    expect(b.state).toBe("closed");
  });

  test("half-open: a failed probe reopens for openMs", () => {
    const b = tripped();
    expect(b.allow(5000)).toBe(true);
    expect(b.allow(5000)).toBe(true);
    b.onSuccess(5001);
    b.onFailure(5002);
    expect(b.state).toBe("open");
    expect(b.opened).toBe(2);
    expect(b.allow(10_001)).toBe(false);
    expect(b.allow(10_002)).toBe(true);
    expect(b.state).toBe("half-open");
  });

  test("a probe that never reports back does not wedge it: the round expires after openMs", () => {
    const b = tripped({ halfOpenProbes: 1 });
    expect(b.allow(5000)).toBe(true); // never reports
    expect(b.allow(6000)).toBe(false);
    expect(b.allow(9999)).toBe(false);
    const lost = b.generation;
    expect(b.allow(10_000)).toBe(true); // a new round
    expect(b.probeRoundsExpired).toBe(1);
    b.onSuccess(10_500, lost); // the lost probe, late: ignored
    expect(b.state).toBe("half-open");
    b.onSuccess(10_600, b.generation);
    expect(b.state).toBe("closed");
  });

  test("reports from an older generation are ignored", () => {
    const b = new CircuitBreaker(plan({ halfOpenProbes: 1 }));
    expect(b.allow(0)).toBe(true);
    const slow = b.generation; // a request let through while closed
    traffic(b, 0, 10, () => true);
    expect(b.state).toBe("open");
    expect(b.allow(5000)).toBe(true);
    b.onSuccess(5001, slow); // the slow one succeeds late: not a probe
    expect(b.state).toBe("half-open");
    b.onFailure(5002, slow);
    expect(b.state).toBe("half-open");
  });

  test("reports while open are ignored", () => {
    const b = tripped();
    b.onSuccess(100);
    b.onFailure(100);
    expect([b.state, b.opened]).toEqual(["open", 1]);
  });

  test("property: a failing upstream gets at most halfOpenProbes requests per openMs once open", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 100, max: 5000 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 200 }), fc.constantFrom("hang", "fail")), { minLength: 1, maxLength: 500 }),
        (probes, openMs, steps) => {
          const b = tripped({ halfOpenProbes: probes, openMs });
          let t = 0;
          let letThrough = 0;
          for (const [dt, kind] of steps) {
            t += dt;
            if (!b.allow(t)) continue;
            letThrough++;
            if (kind === "fail") b.onFailure(t);
          }
          expect(b.state).not.toBe("closed");
          expect(letThrough).toBeLessThanOrEqual(probes * (Math.floor(t / openMs) + 1));
        },
      ),
    );
  });
});
