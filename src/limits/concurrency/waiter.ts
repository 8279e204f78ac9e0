// A request waiting for a concurrency slot. Waiters are the nodes of the limiter's intrusive FIFO
// list (no array, no allocation to queue or dequeue), and the limiter tells each one how its wait
// ended through one method call instead of a closure per request.
//
// Two ways to wait:
// - subclass ConcurrencyWaiter (e.g. in an object the request already has) and pass it to
//   ConcurrencyLimiter.enqueue(): no allocation at all;
// - ConcurrencyLimiter.acquire(), which returns a ConcurrencyWait: one object and one promise per
//   queued request (the queue is the slow path; the fast path, tryAcquire(), allocates nothing).

import type { ConcurrencyRefusal } from "../types.ts";
import type { ConcurrencyLimiter } from "./concurrency-limiter.ts";

/**
 * How a wait ended: null = a slot was handed over (the waiter now holds it and must release it);
 * a refusal; or "cancelled" = the wait was cancelled (cancel(), or the client left). "cancelled" is
 * not a ConcurrencyRefusal: nobody is left to answer.
 */
export type WaitOutcome = ConcurrencyRefusal | "cancelled" | null;

export abstract class ConcurrencyWaiter {
  /** @internal list links, owned by the limiter. */
  prev: ConcurrencyWaiter | null = null;
  /** @internal */
  next: ConcurrencyWaiter | null = null;
  /** In a limiter's queue now. */
  queued = false;
  /** When the wait began and when it times out (the limiter's clock, ms). */
  enqueuedAt = 0;
  deadline = 0;
  /** The queue was standing when this one arrived: its deadline is the CoDel target ("shed"). */
  shedOnExpiry = false;

  constructor(
    /** The client's request: the sweep ends the wait ("cancelled") once its signal is aborted. */
    readonly client: Request | null = null,
  ) {}

  /**
   * Called exactly once for each enqueue() that returned true, when the wait ends. May be called
   * synchronously from enqueue() (a slot was free), release(), cancel(), sweep() or close(). Best
   * not to call back into the limiter from here (defer, e.g. through a promise); the limiter stays
   * consistent if it does, but then outcomes nest.
   */
  abstract waitEnded(outcome: WaitOutcome): void;
}

/** The waiter acquire() returns: its outcome as a promise, and a way to give up. */
export class ConcurrencyWait extends ConcurrencyWaiter {
  /** The outcome once known, synchronously; undefined while waiting. */
  result: WaitOutcome | undefined = undefined;
  readonly outcome: Promise<WaitOutcome>;
  private readonly resolve: (outcome: WaitOutcome) => void;

  constructor(
    private readonly limiter: ConcurrencyLimiter | null,
    client: Request | null = null,
  ) {
    super(client);
    const { promise, resolve } = Promise.withResolvers<WaitOutcome>();
    this.outcome = promise;
    this.resolve = resolve;
  }

  override waitEnded(outcome: WaitOutcome): void {
    this.result = outcome;
    this.resolve(outcome);
  }

  /**
   * Gives up waiting: true if the wait was still queued (the outcome becomes "cancelled"). False
   * when the wait had already ended; if it ended with a slot (result === null), that slot is held
   * and whoever reads the outcome must release it.
   */
  cancel(): boolean {
    return this.limiter !== null && this.limiter.cancel(this);
  }
}

/** What acquire() returns when the queue is full: one shared, already ended wait. */
export const FULL_WAIT: ConcurrencyWait = new ConcurrencyWait(null);
FULL_WAIT.waitEnded("full");
