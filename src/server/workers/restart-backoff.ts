// Delay before restarting a crashed worker: doubling from `baseMs` up to `capMs`, back to
// `baseMs` once a worker has stayed up `resetAfterMs` (its crash is then news, not a loop).

export interface BackoffPlan {
  readonly baseMs: number;
  readonly capMs: number;
  readonly resetAfterMs: number;
}

export const DEFAULT_BACKOFF: BackoffPlan = { baseMs: 100, capMs: 10_000, resetAfterMs: 30_000 };

export class RestartBackoff {
  private nextMs: number;

  constructor(private readonly plan: BackoffPlan = DEFAULT_BACKOFF) {
    this.nextMs = plan.baseMs;
  }

  /** The worker exited after `upMs` up: how long to wait before starting it again. */
  delayAfter(upMs: number): number {
    if (upMs >= this.plan.resetAfterMs) this.nextMs = this.plan.baseMs;
    const delay = this.nextMs;
    this.nextMs = Math.min(this.plan.capMs, this.nextMs * 2);
    return delay;
  }
}
