// Is the gateway itself overloaded? Two signals (docs/limits.md, "Load shedding"):
//  - in flight over a ceiling: the caller compares its own counter with `maxInFlight`;
//  - event-loop lag: a coarse interval measures how late it fires. One late tick over the limit
//    trips shedding at once; it clears at the end of a window whose ticks all stayed under it.
// Reading the state is one property load per request; the interval never keeps the process alive.

import type { SheddingPlan } from "../config/plan.ts";

export const LAG_TICK_MS = 20;
export const LAG_WINDOW_MS = 500;

export class OverloadDetector {
  /** True while new requests should get a fast 503. */
  lagging = false;
  /** Largest lag seen in the last complete window, ms (a gauge). */
  lastWindowMaxLagMs = 0;
  /** How many windows ended with shedding on (a counter). */
  laggingWindows = 0;

  private timer: ReturnType<typeof setInterval> | null = null;
  private expected = 0;
  private windowStart = 0;
  private windowMax = 0;

  constructor(
    readonly plan: SheddingPlan,
    private readonly now: () => number = () => performance.now(),
    private readonly tickMs = LAG_TICK_MS,
    private readonly windowMs = LAG_WINDOW_MS,
  ) {
    if (plan.maxEventLoopLagMs <= 0) return;
    this.expected = this.now() + tickMs;
    this.windowStart = this.now();
    this.timer = setInterval(tickDetector, tickMs, this);
    (this.timer as { unref?: () => void }).unref?.();
  }

  /** @internal one tick; public for tests, which pass their own clock. */
  tick(): void {
    const now = this.now();
    const lag = Math.max(0, now - this.expected);
    this.expected = now + this.tickMs;
    if (lag > this.windowMax) this.windowMax = lag;
    if (lag > this.plan.maxEventLoopLagMs) this.lagging = true;
    if (now - this.windowStart >= this.windowMs) {
      this.lastWindowMaxLagMs = this.windowMax;
      if (this.lagging) this.laggingWindows++;
      this.lagging = this.windowMax > this.plan.maxEventLoopLagMs && lag > this.plan.maxEventLoopLagMs / 2;
      this.windowMax = 0;
      this.windowStart = now;
    }
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }
}

function tickDetector(d: OverloadDetector): void {
  d.tick();
}
