// Contracts for tail control (docs/resilience.md): health, balancing, retries, hedging and circuit
// breaking. Plans are compiled from config once (src/config/compile.ts); the classes that use them
// hold the state. Times are performance.now() milliseconds unless a name says otherwise.

/** Active health checks of an upstream's endpoints. */
export interface HealthCheckPlan {
  /** Path requested with GET on each endpoint (Host: the endpoint's authority). */
  readonly path: string;
  readonly intervalMs: number;
  /** A check with no complete response head within this is a failure. */
  readonly timeoutMs: number;
  /** Statuses that count as healthy, inclusive ranges: [[200, 299]] by default. */
  readonly expectStatus: readonly (readonly [number, number])[];
  /** Consecutive successes that make an unhealthy endpoint healthy again. */
  readonly healthyThreshold: number;
  /** Consecutive failures that make a healthy endpoint unhealthy. */
  readonly unhealthyThreshold: number;
}

/** Passive outlier ejection from live traffic. */
export interface OutlierPlan {
  /** Consecutive failures (connect failures, resets, 5xx) that eject an endpoint. */
  readonly consecutiveFailures: number;
  /** First ejection lasts this long; each further ejection of the same endpoint doubles it... */
  readonly baseEjectionMs: number;
  /** ...up to this. */
  readonly maxEjectionMs: number;
  /** Never eject more than this share (0..100) of an upstream's endpoints at once. */
  readonly maxEjectedPercent: number;
}

export type BalancePlan =
  | { readonly kind: "p2c" }
  | { readonly kind: "round-robin" }
  /** Smooth weighted round robin over the endpoints' weights. */
  | { readonly kind: "weighted" }
  /** Consistent hashing on a request key: adding or removing one of N endpoints moves ~1/N of keys. */
  | { readonly kind: "hash"; readonly key: import("../limits/types.ts").KeyPart };

export interface RetryBudgetPlan {
  /** Retries allowed as a share of recent requests (e.g. 0.2 = one retry per 5 requests). */
  readonly ratio: number;
  /** Retries always allowed per second, whatever the traffic (a small floor). */
  readonly minPerSecond: number;
  /** How far back "recent" reaches. */
  readonly windowMs: number;
}

export interface RetryPlan {
  /** Most attempts in all, the first included (2 = one retry). */
  readonly attempts: number;
  readonly onConnectFailure: boolean;
  /** A reset or close before any response byte. */
  readonly onReset: boolean;
  /** Response statuses that are retried (e.g. [502, 503]). */
  readonly onStatus: readonly number[];
  /** false = only idempotent methods (GET, HEAD, OPTIONS, PUT, DELETE, TRACE) are retried. */
  readonly allMethods: boolean;
  /** Shared by the routes of one upstream. */
  readonly budget: RetryBudgetPlan;
}

export interface HedgePlan {
  /** Send a backup once the first attempt has waited this percentile of the route's recent latency. */
  readonly percentile: number;
  /** Never hedge earlier than this. */
  readonly floorMs: number;
  /** Extra requests hedging may add, as a share of the route's requests (token budget). */
  readonly maxExtraRatio: number;
  /** The percentile is read from a histogram of the last windowMs, refreshed every refreshMs. */
  readonly windowMs: number;
  readonly refreshMs: number;
}

export interface BreakerPlan {
  /** Open when the failure ratio over the window is at least this (0..1]... */
  readonly failureRatio: number;
  /** ...and the window saw at least this many requests. */
  readonly minRequests: number;
  readonly windowMs: number;
  /** Stay open this long, then half-open. */
  readonly openMs: number;
  /** Requests let through while half-open; all must succeed to close. */
  readonly halfOpenProbes: number;
  /** Caps (null = none): connections to the upstream, requests waiting for a connection, requests in flight. */
  readonly maxConnections: number | null;
  readonly maxPending: number | null;
  readonly maxInFlight: number | null;
}
