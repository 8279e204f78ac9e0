import { describe, expect, test } from "bun:test";
import { ConcurrencyLimiter } from "../../../src/limits/concurrency/concurrency-limiter.ts";
import { ConcurrencyWaiter, FULL_WAIT, type WaitOutcome } from "../../../src/limits/concurrency/waiter.ts";
import type { ConcurrencyPlan } from "../../../src/limits/types.ts";

function plan(over: Partial<ConcurrencyPlan> = {}): ConcurrencyPlan {
  return { max: 2, queue: 4, queueTimeoutMs: 1000, queueTargetMs: 5, queueIntervalMs: 100, adaptive: null, ...over };
}

/** A limiter on a hand-driven clock with no interval: the test calls sweep() itself. */
function manual(over: Partial<ConcurrencyPlan> = {}) {
  const clock = { t: 0 };
  const lim = new ConcurrencyLimiter(plan(over), { now: () => clock.t, tickMs: 0 });
  return { lim, clock };
}

/** Records its outcomes synchronously. */
class Probe extends ConcurrencyWaiter {
  outcomes: WaitOutcome[] = [];
  constructor(
    readonly name = "",
    client: Request | null = null,
    private readonly log: string[] | null = null,
  ) {
    super(client);
  }
  override waitEnded(outcome: WaitOutcome): void {
    this.outcomes.push(outcome);
    this.log?.push(`${this.name}:${outcome}`);
  }
}

function fakeReq(aborted: () => boolean): Request {
  return { signal: { get aborted() { return aborted(); } } } as unknown as Request;
}

describe("ConcurrencyLimiter: fast path", () => {
  test("takes slots up to max, then refuses; a release frees one", () => {
    const { lim } = manual({ max: 2 });
    expect(lim.limit).toBe(2);
    expect(lim.tryAcquire()).toBe(true);
    expect(lim.tryAcquire()).toBe(true);
    expect(lim.tryAcquire()).toBe(false);
    expect(lim.inFlight).toBe(2);
    lim.release(1, true);
    expect(lim.inFlight).toBe(1);
    expect(lim.tryAcquire()).toBe(true);
    expect(lim.admitted).toBe(3);
    expect(lim.queued).toBe(0);
  });

  test("a double release is ignored and counted; inFlight never goes below 0", () => {
    const { lim } = manual();
    expect(lim.tryAcquire()).toBe(true);
    lim.release(1, true);
    lim.release(1, true);
    expect(lim.inFlight).toBe(0);
    expect(lim.releaseUnderflow).toBe(1);
  });
});

describe("ConcurrencyLimiter: queue", () => {
  test("hands slots over in FIFO order on release, and the fast path does not jump the queue", () => {
    const { lim, clock } = manual({ max: 1, queue: 3 });
    const log: string[] = [];
    const [a, b, c] = ["a", "b", "c"].map((n) => new Probe(n, null, log));
    expect(lim.tryAcquire()).toBe(true);
    for (const w of [a!, b!, c!]) expect(lim.enqueue(w, clock.t)).toBe(true);
    expect(lim.queued).toBe(3);
    clock.t = 10;
    lim.release(10, true);
    expect(log).toEqual(["a:null"]);
    expect(lim.inFlight).toBe(1);
    expect(lim.tryAcquire()).toBe(false);
    clock.t = 20;
    lim.release(10, true);
    lim.release(10, true);
    expect(log).toEqual(["a:null", "b:null", "c:null"]);
    expect(lim.queued).toBe(0);
    expect(lim.inFlight).toBe(1);
    expect(lim.admitted).toBe(4);
    expect(lim.queueWaitCount).toBe(3);
    expect(lim.queueWaitMsSum).toBe(10 + 20 + 20);
    expect(lim.takeQueueWaitMaxMs()).toBe(20);
    expect(lim.takeQueueWaitMaxMs()).toBe(0);
  });

  test("acquire(): the promise resolves null on handover; result is set synchronously", async () => {
    const { lim } = manual({ max: 1 });
    lim.tryAcquire();
    const w = lim.acquire(0);
    expect(w.result).toBeUndefined();
    lim.release(1, true);
    expect(w.result).toBeNull();
    expect(await w.outcome).toBeNull();
    expect(lim.inFlight).toBe(1);
  });

  test("a full queue refuses at once: canQueue() false, acquire() gives FULL_WAIT, enqueue() false", async () => {
    const { lim, clock } = manual({ max: 1, queue: 1 });
    lim.tryAcquire();
    expect(lim.canQueue()).toBe(true);
    expect(lim.enqueue(new Probe(), clock.t)).toBe(true);
    expect(lim.canQueue()).toBe(false);
    const w = lim.acquire(clock.t);
    expect(w).toBe(FULL_WAIT);
    expect(w.result).toBe("full");
    expect(await w.outcome).toBe("full");
    expect(w.cancel()).toBe(false);
    const p = new Probe();
    expect(lim.enqueue(p, clock.t)).toBe(false);
    expect(p.outcomes).toEqual([]);
    expect(lim.rejectedFull).toBe(2);
    expect(lim.queued).toBe(1);
  });

  test("queue 0 refuses every request that finds no slot", () => {
    const { lim } = manual({ max: 1, queue: 0 });
    lim.tryAcquire();
    expect(lim.canQueue()).toBe(false);
    expect(lim.acquire(0).result).toBe("full");
    expect(lim.rejectedFull).toBe(1);
  });

  test("a wait past queueTimeoutMs ends 'timeout' at the next sweep; its slot is never taken", () => {
    const { lim, clock } = manual({ max: 1, queueTimeoutMs: 50 });
    lim.tryAcquire();
    const w = new Probe();
    lim.enqueue(w, 0);
    lim.sweep(49);
    expect(w.outcomes).toEqual([]);
    lim.sweep(50);
    expect(w.outcomes).toEqual(["timeout"]);
    lim.sweep(60);
    expect(w.outcomes).toEqual(["timeout"]);
    expect(lim.rejectedTimeout).toBe(1);
    expect(lim.queued).toBe(0);
    expect(lim.inFlight).toBe(1);
    clock.t = 70;
    lim.release(70, true);
    expect(lim.inFlight).toBe(0);
  });

  test("a slot freed after a waiter's deadline (sweep late) refuses it and goes to the next", () => {
    const { lim, clock } = manual({ max: 1, queueTimeoutMs: 50 });
    lim.tryAcquire();
    const a = new Probe("a");
    const b = new Probe("b");
    lim.enqueue(a, 0);
    lim.enqueue(b, 30);
    clock.t = 60;
    lim.release(60, true);
    expect(a.outcomes).toEqual(["timeout"]);
    expect(b.outcomes).toEqual([null]);
    expect(lim.inFlight).toBe(1);
  });

  test("enqueue() with a free slot and nobody queued hands it over at once", () => {
    const { lim } = manual({ max: 1 });
    const w = new Probe();
    expect(lim.enqueue(w, 0)).toBe(true);
    expect(w.outcomes).toEqual([null]);
    expect(lim.inFlight).toBe(1);
    expect(lim.queued).toBe(0);
  });
});

describe("ConcurrencyLimiter: CoDel shedding", () => {
  test("a queue not empty for queueIntervalMs is standing: arrivals may wait queueTargetMs, then 'shed'", () => {
    const { lim, clock } = manual({ max: 1, queue: 10, queueTimeoutMs: 1000, queueTargetMs: 5, queueIntervalMs: 100 });
    lim.tryAcquire();
    const first = new Probe("first");
    lim.enqueue(first, 0);
    // Not empty for 50 ms only: the normal allowance.
    const early = new Probe("early");
    lim.enqueue(early, 50);
    expect(early.shedOnExpiry).toBe(false);
    expect(early.deadline).toBe(1050);
    // Not empty for 100 ms: standing.
    const late = new Probe("late");
    lim.enqueue(late, 100);
    expect(late.shedOnExpiry).toBe(true);
    expect(late.deadline).toBe(105);
    lim.sweep(104);
    expect(late.outcomes).toEqual([]);
    lim.sweep(105);
    expect(late.outcomes).toEqual(["shed"]);
    expect(first.outcomes).toEqual([]);
    expect(early.outcomes).toEqual([]);
    expect(lim.shed).toBe(1);
    expect(lim.rejectedTimeout).toBe(0);
    expect(lim.queued).toBe(2);
    // The waiters from before the queue stood keep their allowance: served in order.
    clock.t = 200;
    lim.release(1, true);
    lim.release(1, true);
    expect(first.outcomes).toEqual([null]);
    expect(early.outcomes).toEqual([null]);
    expect(lim.queued).toBe(0);
  });

  test("once the queue has been empty, arrivals get the normal allowance again", () => {
    const { lim, clock } = manual({ max: 1, queue: 10, queueTimeoutMs: 1000, queueTargetMs: 5, queueIntervalMs: 100 });
    lim.tryAcquire();
    lim.enqueue(new Probe(), 0);
    const standing = new Probe();
    lim.enqueue(standing, 150);
    expect(standing.shedOnExpiry).toBe(true);
    clock.t = 152;
    lim.release(1, true); // first gets the slot; `standing` still waits
    lim.release(1, true); // `standing` gets it: the queue is empty at 152
    expect(standing.outcomes).toEqual([null]);
    const next = new Probe();
    lim.enqueue(next, 160); // into an empty queue
    expect(next.shedOnExpiry).toBe(false);
    const after = new Probe();
    lim.enqueue(after, 259); // not empty since 160: 99 ms
    expect(after.shedOnExpiry).toBe(false);
    const standingAgain = new Probe();
    lim.enqueue(standingAgain, 260);
    expect(standingAgain.shedOnExpiry).toBe(true);
  });

  test("a queue emptied by the sweep is not standing either", () => {
    const { lim } = manual({ max: 1, queue: 10, queueTimeoutMs: 20, queueTargetMs: 5, queueIntervalMs: 100 });
    lim.tryAcquire();
    lim.enqueue(new Probe(), 0);
    lim.sweep(20); // times out: empty at 20
    lim.enqueue(new Probe(), 30);
    const w = new Probe();
    lim.enqueue(w, 110); // not empty since 30: 80 ms
    expect(w.shedOnExpiry).toBe(false);
  });

  test("a target not below the timeout sheds nothing: expiry stays 'timeout'", () => {
    const { lim } = manual({ max: 1, queueTimeoutMs: 10, queueTargetMs: 50, queueIntervalMs: 1 });
    lim.tryAcquire();
    lim.enqueue(new Probe(), 0);
    const w = new Probe();
    lim.enqueue(w, 5);
    expect(w.deadline).toBe(15);
    lim.sweep(15);
    expect(w.outcomes).toEqual(["timeout"]);
  });
});

describe("ConcurrencyLimiter: cancellation", () => {
  test("a cancelled wait leaves the queue, ends 'cancelled', and the next release skips it", async () => {
    const { lim, clock } = manual({ max: 1 });
    lim.tryAcquire();
    const a = lim.acquire(0);
    const b = lim.acquire(0);
    expect(lim.queued).toBe(2);
    expect(a.cancel()).toBe(true);
    expect(a.cancel()).toBe(false);
    expect(await a.outcome).toBe("cancelled");
    expect(lim.queued).toBe(1);
    expect(lim.cancelled).toBe(1);
    clock.t = 5;
    lim.release(5, true);
    expect(b.result).toBeNull();
    // Too late to cancel: b holds the slot and must release it.
    expect(b.cancel()).toBe(false);
    lim.release(1, true);
    expect(lim.inFlight).toBe(0);
    expect(lim.queued).toBe(0);
    expect(lim.releaseUnderflow).toBe(0);
  });

  test("cancelling the tail, the middle and the head keeps the list intact", () => {
    const { lim } = manual({ max: 1, queue: 5 });
    lim.tryAcquire();
    const log: string[] = [];
    const ws = ["a", "b", "c", "d", "e"].map((n) => new Probe(n, null, log));
    for (const w of ws) lim.enqueue(w, 0);
    lim.cancel(ws[4]!);
    lim.cancel(ws[2]!);
    lim.cancel(ws[0]!);
    expect(lim.queued).toBe(2);
    lim.release(1, true);
    lim.release(1, true);
    lim.release(1, true);
    expect(log).toEqual(["e:cancelled", "c:cancelled", "a:cancelled", "b:null", "d:null"]);
    expect(lim.inFlight).toBe(0);
  });

  test("the sweep cancels a wait whose client left, reading the signal only after a tick", () => {
    const clock = { t: 0 };
    const lim = new ConcurrencyLimiter(plan({ max: 1 }), { now: () => clock.t, tickMs: 5 });
    lim.tryAcquire();
    let gone = false;
    let reads = 0;
    const w = new Probe("w", fakeReq(() => (reads++, gone)));
    lim.enqueue(w, 0);
    gone = true;
    lim.sweep(4);
    expect(reads).toBe(0);
    expect(w.outcomes).toEqual([]);
    lim.sweep(5);
    expect(reads).toBe(1);
    expect(w.outcomes).toEqual(["cancelled"]);
    expect(lim.queued).toBe(0);
    expect(lim.cancelled).toBe(1);
    lim.close();
  });

  test("close() ends every wait 'shed'", () => {
    const { lim } = manual({ max: 1 });
    lim.tryAcquire();
    const a = new Probe();
    const b = new Probe();
    lim.enqueue(a, 0);
    lim.enqueue(b, 0);
    lim.close();
    expect([a.outcomes, b.outcomes]).toEqual([["shed"], ["shed"]]);
    expect(lim.queued).toBe(0);
  });
});

describe("ConcurrencyLimiter: a waiter that calls back synchronously (against the rule) does no harm", () => {
  class Reentrant extends ConcurrencyWaiter {
    outcomes: WaitOutcome[] = [];
    constructor(private readonly then: (outcome: WaitOutcome) => void) {
      super();
    }
    override waitEnded(outcome: WaitOutcome): void {
      this.outcomes.push(outcome);
      this.then(outcome);
    }
  }

  test("a sweep whose waiter cancels the next one still sweeps the rest", () => {
    const { lim } = manual({ max: 1, queueTimeoutMs: 10 });
    lim.tryAcquire();
    const b = new Probe("b");
    const c = new Probe("c");
    const a = new Reentrant(() => lim.cancel(b));
    lim.enqueue(a, 0);
    lim.enqueue(b, 0);
    lim.enqueue(c, 0);
    lim.sweep(10);
    expect([a.outcomes, b.outcomes, c.outcomes]).toEqual([["timeout"], ["cancelled"], ["timeout"]]);
    expect(lim.queued).toBe(0);
  });

  test("a handover whose waiter releases at once passes the slot on", () => {
    const { lim } = manual({ max: 1 });
    lim.tryAcquire();
    const a = new Reentrant((o) => o === null && lim.release(0, true));
    const b = new Probe("b");
    lim.enqueue(a, 0);
    lim.enqueue(b, 0);
    lim.release(1, true);
    expect([a.outcomes, b.outcomes]).toEqual([[null], [null]]);
    expect(lim.inFlight).toBe(1);
    expect(lim.queued).toBe(0);
  });
});

describe("ConcurrencyLimiter: the shared sweep interval", () => {
  test("runs while the queue is non-empty and stops once it is empty", async () => {
    const clock = { t: 0 };
    const lim = new ConcurrencyLimiter(plan({ max: 1, queueTimeoutMs: 10 }), { now: () => clock.t, tickMs: 1 });
    const timer = () => (lim as unknown as { timer: unknown }).timer;
    lim.tryAcquire();
    expect(timer()).toBeNull();
    const w = lim.acquire(0);
    expect(timer()).not.toBeNull();
    clock.t = 100; // the fake clock is past the deadline: the next tick, whenever it runs, ends it
    expect(await w.outcome).toBe("timeout");
    expect(timer()).toBeNull();
    lim.release(1, true);
  });
});

describe("ConcurrencyLimiter: adaptive", () => {
  test("uses the adaptive limit, capped at plan.max, and follows it on release", () => {
    const adaptive = { minLimit: 2, maxLimit: 100, initialLimit: 8, windowMs: 100, tolerance: 1.5 };
    const clock = { t: 0 };
    const lim = new ConcurrencyLimiter(plan({ max: 6, adaptive }), { now: () => clock.t, tickMs: 0 });
    expect(lim.limit).toBe(6);
    const capped = new ConcurrencyLimiter(plan({ max: 50, adaptive }), { now: () => clock.t, tickMs: 0 });
    expect(capped.limit).toBe(8);
    // Windows at 10 ms then 100 ms latency with the limit saturated: the limit shrinks.
    const before = capped.limit;
    for (let window = 0; window < 6; window++) {
      const latency = window < 2 ? 10 : 100;
      for (let i = 0; i < 20; i++) {
        while (capped.tryAcquire());
        clock.t += 10;
        capped.release(latency, true);
      }
    }
    expect(capped.limit).toBeLessThan(before);
    expect(capped.limit).toBeGreaterThanOrEqual(2);
    expect(capped.limit).toBe(capped.adaptive!.limit);
  });

  test("a release that grows the limit hands out every new slot; queued > 0 implies inFlight >= limit", () => {
    const adaptive = { minLimit: 1, maxLimit: 100, initialLimit: 1, windowMs: 10, tolerance: 1.5 };
    const clock = { t: 0 };
    const lim = new ConcurrencyLimiter(plan({ max: 100, queue: 10, adaptive }), { now: () => clock.t, tickMs: 0 });
    let handed = 0;
    let mostInOneRelease = 0;
    class Counting extends ConcurrencyWaiter {
      override waitEnded(outcome: WaitOutcome): void {
        if (outcome === null) handed++;
      }
    }
    while (lim.tryAcquire());
    while (lim.limit < 5) {
      while (lim.queued < 5) lim.enqueue(new Counting(), clock.t);
      clock.t += 1;
      const before = handed;
      lim.release(1, true);
      mostInOneRelease = Math.max(mostInOneRelease, handed - before);
      expect(lim.queued === 0 || lim.inFlight >= lim.limit).toBe(true);
      expect(lim.inFlight).toBe(lim.limit);
    }
    expect(mostInOneRelease).toBe(2);
    expect(lim.releaseUnderflow).toBe(0);
  });
});
