// Contracts shared by the limiters (rate/, shared/, concurrency/) and the pipeline that calls them.
// Plans are compiled from config once (src/config/compile.ts); limiters hold the per-key state.

/** One part of a rate-limit key; several parts are joined into one key. */
export type KeyPart =
  | { readonly kind: "clientIp" }
  | { readonly kind: "header"; readonly name: string } // lower-cased header name
  | { readonly kind: "param"; readonly name: string } // a :param of the route's path pattern
  | { readonly kind: "route" };

export type FailureMode = "open" | "closed";

/** How a policy shares its quota with other Keel instances through Redis. */
export interface SharedPlan {
  /** Redis unreachable: "open" = decide locally at rate × localShare; "closed" = reject. */
  readonly failureMode: FailureMode;
  /** Share of the policy's rate this instance may admit on its own while Redis is out (0..1]. */
  readonly localShare: number;
  /** Tokens leased from Redis and not used by then are dropped (so a dead instance's quota returns). */
  readonly leaseTtlMs: number;
}

export interface RatePolicyPlan {
  /** Shown in RateLimit-Policy / RateLimit and in metrics ("per-ip", or "<route>#<n>" when inline). */
  readonly name: string;
  /** Quota per period: `rate: 100/s` → count 100, periodMs 1000. */
  readonly count: number;
  readonly periodMs: number;
  /** Bucket capacity: requests admitted at once after an idle spell (≥ 1). */
  readonly burst: number;
  /** Parts of the key; empty = one bucket for everything the policy sees. */
  readonly key: readonly KeyPart[];
  /** Most keys held at once; see docs/limits.md for the eviction. */
  readonly maxKeys: number;
  /** null = local to this process. */
  readonly shared: SharedPlan | null;
}

/**
 * One policy's limiter over all of its keys. Deciding is two-step so that several policies on one
 * route admit a request only if all of them pass: `check` every policy, then `consume` on each
 * only when all passed. `now` is performance.now() in ms. Neither call allocates on the hot path
 * except to add a key the table has not seen.
 */
export interface KeyedLimiter {
  readonly policy: RatePolicyPlan;
  /**
   * Would one more request for `key` pass now? Fills `out` for the RateLimit fields either way.
   * Never throws; never waits (shared limiters answer from their local lease).
   */
  check(key: string, now: number, out: RateVerdict): boolean;
  /** Takes one request for `key` (the one just checked). */
  consume(key: string, now: number): void;
  /** Keys held now (≤ policy.maxKeys). */
  readonly size: number;
  /** Stops background work (timers, Redis calls). */
  close(): void;
}

/** What one policy says about one key at one moment (reused object, no allocation per request). */
export interface RateVerdict {
  /** Requests left in the current window after this one (0 when rejected). */
  remaining: number;
  /** Seconds until the quota is fully available again (RateLimit `t`). */
  resetSeconds: number;
  /** Seconds to wait before one more request can pass (Retry-After); 0 when allowed. */
  retryAfterSeconds: number;
  /** Set when a shared limiter rejected because Redis is out and its failure mode is "closed". */
  storeDown: boolean;
}

export function newVerdict(): RateVerdict {
  return { remaining: 0, resetSeconds: 0, retryAfterSeconds: 0, storeDown: false };
}

/** Adaptive concurrency (gradient of no-load latency vs sampled latency). */
export interface AdaptivePlan {
  readonly minLimit: number;
  readonly maxLimit: number;
  /** Starting limit. */
  readonly initialLimit: number;
  /** How often the limit is recomputed from the latency samples of the window. */
  readonly windowMs: number;
  /** Tolerated ratio of sampled to no-load latency before the limit shrinks (e.g. 1.5). */
  readonly tolerance: number;
}

export interface ConcurrencyPlan {
  /** Most requests in flight at once (the fixed limit; with `adaptive`, the adaptive limit's cap). */
  readonly max: number;
  /** Most requests waiting for a slot; 0 = reject at once when full. */
  readonly queue: number;
  /** Longest a request waits in the queue while the queue drains normally. */
  readonly queueTimeoutMs: number;
  /**
   * CoDel-style target: when the queue has not been empty for a whole `queueInterval`, waits are
   * cut to this (the queue is standing, so waiting longer only adds latency).
   */
  readonly queueTargetMs: number;
  readonly queueIntervalMs: number;
  readonly adaptive: AdaptivePlan | null;
}

/** Why a request did not get a slot. */
export type ConcurrencyRefusal = "full" | "timeout" | "shed";
