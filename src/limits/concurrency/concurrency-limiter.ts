// At most `limit` requests in flight; the next `plan.queue` wait in FIFO order for a slot, for at
// most `queueTimeoutMs`; past that, refused at once ("full").
//
// Queue timeouts need no timer per waiter: one shared interval (every tickMs, only while the queue
// is non-empty, unref'd) sweeps the queue for waiters past their deadline, and for waiters whose
// client has left. A wait may thus end up to one tick late. A waiter found past its deadline when a
// slot frees up is refused too, so a slow sweep never lets a wait run longer.
//
// CoDel-style shedding (Facebook's "Fail at Scale"): when the queue has not been empty at any time
// during the last `queueIntervalMs`, it is standing: requests arrive as fast as slots free up and
// waiting only adds latency. A waiter that arrives then may wait `queueTargetMs`, not
// `queueTimeoutMs`, and is refused "shed" past it. The allowance is fixed on arrival, so waiters
// already queued keep theirs; once the queue has been empty, arrivals get the normal wait again.
//
// Slots are counted, not owned: every request that got a slot (tryAcquire() true, or a wait that
// ended with null) must call release() exactly once. A release with nothing in flight is ignored
// and counted in `releaseUnderflow`, which tests assert stays 0.

import { AdaptiveLimit } from "./adaptive-limit.ts";
import type { ConcurrencyPlan } from "../types.ts";
import { ConcurrencyWait, ConcurrencyWaiter, FULL_WAIT, type WaitOutcome } from "./waiter.ts";

export const QUEUE_TICK_MS = 5;

export interface ConcurrencyLimiterOptions {
  /** The clock for release(), cancel() and the sweep (ms); default performance.now(). */
  readonly now?: () => number;
  /** Sweep interval in ms; 0 = no interval (tests call sweep() themselves). */
  readonly tickMs?: number;
}

export class ConcurrencyLimiter {
  readonly adaptive: AdaptiveLimit | null;
  private readonly clock: () => number;
  private readonly tickMs: number;
  private current: number;
  private busy = 0;
  private waiting = 0;
  private head: ConcurrencyWaiter | null = null;
  private tail: ConcurrencyWaiter | null = null;
  /** Last time the queue was empty (meaningful while it is not). */
  private lastEmptyAt = 0;
  private timer: ReturnType<typeof setInterval> | null = null;

  // Counters, for metrics; read-only for callers.
  /** Slots given: fast path and handovers. */
  admitted = 0;
  /** Requests that waited in the queue (whatever the outcome). */
  enqueued = 0;
  rejectedFull = 0;
  rejectedTimeout = 0;
  shed = 0;
  cancelled = 0;
  /** release() with nothing in flight: a caller bug (double release); must stay 0. */
  releaseUnderflow = 0;
  /** Queue wait of the requests that got a slot from the queue. */
  queueWaitMsSum = 0;
  queueWaitCount = 0;
  private queueWaitMax = 0;

  constructor(
    readonly plan: ConcurrencyPlan,
    options: ConcurrencyLimiterOptions = {},
  ) {
    this.clock = options.now ?? (() => performance.now());
    this.tickMs = options.tickMs ?? QUEUE_TICK_MS;
    this.adaptive = plan.adaptive === null ? null : new AdaptiveLimit(plan.adaptive, plan.max, this.clock());
    this.current = this.adaptive === null ? plan.max : this.adaptive.limit;
  }

  /** Requests holding a slot. */
  get inFlight(): number {
    return this.busy;
  }

  /** Requests waiting for one. */
  get queued(): number {
    return this.waiting;
  }

  /** The limit now: plan.max, or the adaptive limit (at most plan.max). */
  get limit(): number {
    return this.current;
  }

  /** Longest queue wait of a request that got a slot since the last call; resets it (per scrape). */
  takeQueueWaitMaxMs(): number {
    const max = this.queueWaitMax;
    this.queueWaitMax = 0;
    return max;
  }

  /**
   * Fast path: takes a slot if one is free and nobody waits for one (FIFO). Allocates nothing.
   * (While anyone waits every slot is taken, since freed slots go to the queue first; the head
   * check keeps FIFO even if that ever stopped being so.)
   */
  tryAcquire(): boolean {
    if (this.head !== null || this.busy >= this.current) return false;
    this.busy++;
    this.admitted++;
    return true;
  }

  /** Is there room in the queue? False = a request that finds no slot is refused "full" at once. */
  canQueue(): boolean {
    return this.waiting < this.plan.queue;
  }

  /**
   * Waits for a slot, after tryAcquire() failed; `now` on the limiter's clock. With a full queue,
   * returns FULL_WAIT (result "full", nothing allocated); else a queued wait (see ConcurrencyWait):
   * `await wait.outcome`, or read `wait.result` when set. Pass the client's request to have the wait
   * ended ("cancelled") by the sweep when the client leaves.
   */
  acquire(now: number, client: Request | null = null): ConcurrencyWait {
    if (this.waiting >= this.plan.queue) {
      this.rejectedFull++;
      return FULL_WAIT;
    }
    const w = new ConcurrencyWait(this, client);
    this.enqueue(w, now);
    return w;
  }

  /**
   * Queues a caller-made waiter (not already queued). False with a full queue (counted
   * "full"; waitEnded is not called). True: waitEnded will be called exactly once, maybe at once
   * with null if a slot is free and nobody waits.
   */
  enqueue(w: ConcurrencyWaiter, now: number): boolean {
    if (w.queued) return false;
    if (this.waiting >= this.plan.queue) {
      this.rejectedFull++;
      return false;
    }
    const plan = this.plan;
    const standing = this.head !== null && now - this.lastEmptyAt >= plan.queueIntervalMs;
    if (this.head === null) this.lastEmptyAt = now; // empty until this very moment
    w.shedOnExpiry = standing && plan.queueTargetMs < plan.queueTimeoutMs;
    w.enqueuedAt = now;
    w.deadline = now + (w.shedOnExpiry ? plan.queueTargetMs : plan.queueTimeoutMs);
    w.queued = true;
    w.next = null;
    w.prev = this.tail;
    if (this.tail !== null) this.tail.next = w;
    else this.head = w;
    this.tail = w;
    this.waiting++;
    this.enqueued++;
    if (this.busy < this.current) this.drain(now); // called without tryAcquire: a slot may be free
    if (this.head !== null && this.timer === null && this.tickMs > 0) {
      this.timer = setInterval(sweepQueue, this.tickMs, this);
      (this.timer as { unref?: () => void }).unref?.();
    }
    return true;
  }

  /**
   * Gives up a queued wait: true if it was queued (waitEnded("cancelled") is called). False if it
   * had already ended; if it ended with a slot, the slot is held and must be released.
   */
  cancel(w: ConcurrencyWaiter): boolean {
    if (!w.queued) return false;
    this.unlink(w, this.clock());
    this.cancelled++;
    w.waitEnded("cancelled");
    return true;
  }

  /**
   * Gives a slot back: to the head of the queue if anyone waits (handed over directly). Call exactly
   * once per slot obtained. `latencyMs` is the time the slot was held (not the queue wait), `ok`
   * false for a timeout or an upstream failure; both feed the adaptive limit.
   */
  release(latencyMs: number, ok: boolean): void {
    if (this.busy <= 0) {
      this.releaseUnderflow++;
      return;
    }
    const busy = this.busy--;
    if (this.adaptive === null && this.head === null) return;
    const now = this.clock();
    if (this.adaptive !== null && this.adaptive.sample(latencyMs, ok, now, busy)) {
      this.current = Math.min(this.adaptive.limit, this.plan.max);
    }
    if (this.head !== null) this.drain(now);
  }

  /**
   * One pass over the queue: ends the waits past their deadline ("timeout", or "shed" for those
   * that arrived while the queue was standing) and those whose client has left ("cancelled").
   * Called by the shared interval; public for tests, which drive it with their own clock.
   */
  sweep(now: number): void {
    let w = this.head;
    while (w !== null) {
      let next = w.next;
      let outcome: WaitOutcome;
      if (now >= w.deadline) {
        outcome = this.expire(w);
      } else if (w.client !== null && now - w.enqueuedAt >= this.tickMs && w.client.signal.aborted) {
        // Only waits older than a tick touch the signal: Bun creates it lazily.
        outcome = "cancelled";
        this.cancelled++;
      } else {
        w = next;
        continue;
      }
      this.unlink(w, now);
      w.waitEnded(outcome);
      if (next !== null && !next.queued) next = this.head; // waitEnded changed the queue after all
      w = next;
    }
    if (this.head === null) this.stopSweep();
  }

  /** @internal the interval's call: a sweep on the limiter's clock. */
  tick(): void {
    this.sweep(this.clock());
  }

  /** Shutdown: ends every wait ("shed") and stops the sweep. A reload need not call it. */
  close(): void {
    const now = this.clock();
    while (this.head !== null) {
      const w = this.head;
      this.unlink(w, now);
      this.shed++;
      w.waitEnded("shed");
    }
    this.stopSweep();
  }

  /** Hands free slots to the head of the queue, refusing those already past their deadline. */
  private drain(now: number): void {
    while (this.head !== null && this.busy < this.current) {
      const w = this.head;
      this.unlink(w, now);
      if (now >= w.deadline) {
        w.waitEnded(this.expire(w));
        continue;
      }
      const waited = now - w.enqueuedAt;
      this.busy++;
      this.admitted++;
      this.queueWaitMsSum += waited;
      this.queueWaitCount++;
      if (waited > this.queueWaitMax) this.queueWaitMax = waited;
      w.waitEnded(null);
    }
  }

  private expire(w: ConcurrencyWaiter): "timeout" | "shed" {
    if (w.shedOnExpiry) {
      this.shed++;
      return "shed";
    }
    this.rejectedTimeout++;
    return "timeout";
  }

  private unlink(w: ConcurrencyWaiter, now: number): void {
    w.queued = false;
    if (w.prev !== null) w.prev.next = w.next;
    else this.head = w.next;
    if (w.next !== null) w.next.prev = w.prev;
    else this.tail = w.prev;
    w.prev = null;
    w.next = null;
    this.waiting--;
    if (this.head === null) this.lastEmptyAt = now;
  }

  private stopSweep(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }
}

function sweepQueue(limiter: ConcurrencyLimiter): void {
  limiter.tick();
}
