// Retry budget, after Finagle's RetryBudget and Linkerd's: retries may add at most `ratio` of the
// recent requests, plus a small reserve so that low traffic can still retry at all.
//
//   balance = ratio × requests in the window − retries in the window + minPerSecond × windowMs/1000
//
// and a retry is allowed while the balance is at least 1. Both deposits and withdrawals expire with
// the window (SlidingWindow: 10 slices), so traffic older than windowMs stops counting. As in
// Finagle, the floor is a reserve of minPerSecond × window seconds per window, not a per-second
// rate: an idle upstream may spend it in one burst. Over any stretch of whole windows,
//
//   retries ≤ ratio × requests + minPerSecond × seconds (+ one window's reserve at most)
//
// Tokens are counted in thousandths (ratio rounded to 0.001) so that the sums stay exact integers:
// 5 deposits of 0.2 make one retry, not 0.9999999999999999 of one.
//
// Only first attempts deposit (onRequest); retries only withdraw (tryRetry). Shared by the routes
// of one upstream.

import type { RetryBudgetPlan } from "../types.ts";
import { SlidingWindow } from "./sliding-window.ts";

/** One token, in the budget's units. */
const TOKEN = 1000;

export class RetryBudget {
  private readonly window: SlidingWindow;
  private readonly deposit: number;
  private readonly reserve: number;

  // Counters, for metrics; read-only for callers.
  retriesAllowed = 0;
  /** Retries refused because the budget was spent. */
  retriesRefused = 0;

  constructor(readonly plan: RetryBudgetPlan) {
    this.window = new SlidingWindow(plan.windowMs);
    this.deposit = Math.max(0, Math.round(plan.ratio * TOKEN));
    // minPerSecond × (windowMs / 1000) tokens, × TOKEN units each.
    this.reserve = Math.max(0, Math.round(plan.minPerSecond * plan.windowMs));
  }

  /** A first attempt was sent (not a retry, not a hedge). */
  onRequest(now: number): void {
    if (this.deposit > 0) this.window.add(now, this.deposit);
  }

  /** May a retry be sent now? If so it is counted as sent (withdrawn). */
  tryRetry(now: number): boolean {
    if (this.reserve + this.window.sum(now) < TOKEN) {
      this.retriesRefused++;
      return false;
    }
    this.window.add(now, -TOKEN);
    this.retriesAllowed++;
    return true;
  }

  /** Whole retries the budget would allow now (metrics, tests). */
  available(now: number): number {
    return Math.max(0, Math.floor((this.reserve + this.window.sum(now)) / TOKEN));
  }
}
