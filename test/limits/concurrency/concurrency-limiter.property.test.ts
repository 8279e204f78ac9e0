// Property test: any mix of arrivals, releases, cancellations, clients leaving and clock advances
// keeps the limiter's books straight, and once everyone is done it is back to zero.

import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { ConcurrencyLimiter } from "../../../src/limits/concurrency/concurrency-limiter.ts";
import { ConcurrencyWaiter, FULL_WAIT, type WaitOutcome } from "../../../src/limits/concurrency/waiter.ts";
import type { ConcurrencyPlan } from "../../../src/limits/types.ts";

class Probe extends ConcurrencyWaiter {
  outcomes: WaitOutcome[] = [];
  constructor(private readonly onSlot: () => void) {
    super({ signal: { aborted: false } } as unknown as Request);
  }
  leave(): void {
    (this.client!.signal as { aborted: boolean }).aborted = true;
  }
  override waitEnded(outcome: WaitOutcome): void {
    this.outcomes.push(outcome);
    if (outcome === null) this.onSlot();
  }
}

type Op =
  | { kind: "arrive"; viaAcquire: boolean }
  | { kind: "release"; latency: number; ok: boolean }
  | { kind: "cancel"; pick: number }
  | { kind: "leave"; pick: number }
  | { kind: "advance"; ms: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("arrive" as const), viaAcquire: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("release" as const), latency: fc.integer({ min: 0, max: 200 }), ok: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("cancel" as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("leave" as const), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("advance" as const), ms: fc.integer({ min: 0, max: 60 }) }) },
);

const planArb: fc.Arbitrary<ConcurrencyPlan> = fc.record({
  max: fc.integer({ min: 1, max: 6 }),
  queue: fc.integer({ min: 0, max: 6 }),
  queueTimeoutMs: fc.integer({ min: 0, max: 200 }),
  queueTargetMs: fc.integer({ min: 0, max: 50 }),
  queueIntervalMs: fc.integer({ min: 0, max: 150 }),
  adaptive: fc.option(
    fc.record({
      minLimit: fc.integer({ min: 1, max: 3 }),
      maxLimit: fc.integer({ min: 3, max: 10 }),
      initialLimit: fc.integer({ min: 1, max: 10 }),
      windowMs: fc.integer({ min: 1, max: 50 }),
      tolerance: fc.constantFrom(1, 1.5, 2),
    }),
    { nil: null },
  ),
});

describe("ConcurrencyLimiter: property", () => {
  test("inFlight and queued match what callers hold and wait for, and return to 0", () => {
    fc.assert(
      fc.property(planArb, fc.array(op, { maxLength: 200 }), (plan, ops) => {
        const clock = { t: 0 };
        const lim = new ConcurrencyLimiter(plan, { now: () => clock.t, tickMs: 0 });
        let held = 0;
        const gotSlot = () => void held++;
        const probes: Probe[] = [];
        const waiting = () => probes.filter((p) => p.outcomes.length === 0);
        let acquireWaits = 0;

        const check = () => {
          expect(lim.inFlight).toBe(held);
          expect(lim.queued).toBe(waiting().length);
          expect(lim.queued).toBeLessThanOrEqual(plan.queue);
          expect(lim.inFlight).toBeLessThanOrEqual(plan.max);
          expect(lim.limit).toBeLessThanOrEqual(plan.max);
          expect(lim.limit).toBeGreaterThanOrEqual(1);
          // Nobody waits while a slot is free.
          if (lim.queued > 0) expect(lim.inFlight).toBeGreaterThanOrEqual(lim.limit);
          for (const p of probes) expect(p.outcomes.length).toBeLessThanOrEqual(1);
        };

        for (const o of ops) {
          switch (o.kind) {
            case "arrive":
              if (lim.tryAcquire()) held++;
              else if (o.viaAcquire) {
                const w = lim.acquire(clock.t);
                if (w === FULL_WAIT) expect(lim.canQueue()).toBe(false);
                else {
                  acquireWaits++;
                  expect(w.cancel()).toBe(true); // keeps the model to Probes; cancel right away
                  expect(w.result).toBe("cancelled");
                }
              } else {
                const p = new Probe(gotSlot);
                const canQueue = lim.canQueue();
                expect(lim.enqueue(p, clock.t)).toBe(canQueue);
                if (canQueue) probes.push(p);
              }
              break;
            case "release":
              if (held > 0) {
                held--;
                lim.release(o.latency, o.ok);
              }
              break;
            case "cancel": {
              const ws = waiting();
              if (ws.length > 0) expect(lim.cancel(ws[o.pick % ws.length]!)).toBe(true);
              break;
            }
            case "leave": {
              const ws = waiting();
              if (ws.length > 0) ws[o.pick % ws.length]!.leave();
              break;
            }
            case "advance":
              clock.t += o.ms;
              lim.sweep(clock.t);
              break;
          }
          check();
        }

        // Everyone finishes: releases hand slots to the queue, which hold them until released too.
        while (held > 0) {
          held--;
          clock.t += 1;
          lim.release(1, true);
          check();
        }
        clock.t += 1_000;
        lim.sweep(clock.t);
        check();
        expect(lim.inFlight).toBe(0);
        expect(lim.queued).toBe(0);
        expect(lim.releaseUnderflow).toBe(0);
        for (const p of probes) expect(p.outcomes.length).toBe(1);
        // Every wait ended exactly one way.
        const handed = probes.filter((p) => p.outcomes[0] === null).length;
        expect(lim.enqueued).toBe(probes.length + acquireWaits);
        expect(handed + lim.rejectedTimeout + lim.shed + lim.cancelled).toBe(lim.enqueued);
        expect(lim.queueWaitCount).toBe(handed);
      }),
      { numRuns: 500 },
    );
  });
});
