// Hedging's token budget: each request of the route earns maxExtraRatio of a hedge, each hedge
// spends a whole one. So hedges ≤ maxExtraRatio × requests over any run (plus what the bucket held
// at its start, which is none: it starts empty, and a cold route earns its first hedge after
// 1/maxExtraRatio requests).
//
// The bucket holds at most maxTokens (default 10): what a calm spell saves can pay for a short
// burst of slow responses, not for a long stall, where hedging would mostly double the load of an
// upstream that is slow because it is overloaded.
//
// Tokens are counted in thousandths (ratio rounded to 0.001), so sums stay exact integers.
// No clock: the budget follows the route's requests, not time.

import type { HedgePlan } from "../types.ts";

/** Default bucket size, in hedges. */
export const HEDGE_BURST = 10;

const TOKEN = 1000;

export class HedgeBudget {
  private readonly deposit: number;
  private readonly cap: number;
  private tokens = 0;

  // Counters, for metrics; read-only for callers.
  hedgesAllowed = 0;
  /** Hedges not sent because the budget was spent. */
  hedgesRefused = 0;
  /** Hedges whose response was used (they beat the first attempt). */
  hedgesWon = 0;
  /** Hedges that lost the race (the first attempt answered first) or failed. */
  hedgesLost = 0;

  constructor(
    readonly plan: Pick<HedgePlan, "maxExtraRatio">,
    maxTokens = HEDGE_BURST,
  ) {
    this.deposit = Math.max(0, Math.round(plan.maxExtraRatio * TOKEN));
    this.cap = Math.max(1, Math.floor(maxTokens)) * TOKEN;
  }

  /** A request of the route arrived (a first attempt, not a retry or a hedge). */
  onRequest(): void {
    const t = this.tokens + this.deposit;
    this.tokens = t < this.cap ? t : this.cap;
  }

  /** May a hedge be sent now? If so it is counted as sent. */
  tryHedge(): boolean {
    if (this.tokens < TOKEN) {
      this.hedgesRefused++;
      return false;
    }
    this.tokens -= TOKEN;
    this.hedgesAllowed++;
    return true;
  }

  onHedgeWon(): void {
    this.hedgesWon++;
  }

  onHedgeLost(): void {
    this.hedgesLost++;
  }

  /** Whole hedges the bucket holds now (metrics, tests). */
  get available(): number {
    return Math.floor(this.tokens / TOKEN);
  }
}
