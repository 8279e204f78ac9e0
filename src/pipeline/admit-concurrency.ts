// A concurrency slot for a request: the free slot at once (no promise), else a queued wait that
// ends by the request's deadline at the latest (so a budget is never spent in a queue past its end).

import type { ConcurrencyLimiter } from "../limits/concurrency/concurrency-limiter.ts";
import type { WaitOutcome } from "../limits/concurrency/waiter.ts";

/** Called after tryAcquire() failed. null = the slot is held (release it); else why not. */
export function waitForSlot(limiter: ConcurrencyLimiter, req: Request, deadline: number): WaitOutcome | Promise<WaitOutcome> {
  const w = limiter.acquire(performance.now(), req);
  if (w.result !== undefined) return w.result;
  if (deadline < w.deadline) w.deadline = deadline;
  return w.outcome;
}
