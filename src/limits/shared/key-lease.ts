// One key's lease in one instance: tokens Redis granted and not yet used, the requests admitted
// on this instance's own say and not yet charged to Redis (debt), what the last reply said about
// the global bucket, and the key's recent demand (to size the next batch).
//
// Rules (the numbers are SharedLimiterOptions):
// - Batch: the requests this key saw in the last horizonMs (200 ms) on this instance, as an
//   estimate of what it will use in the next horizonMs; at least 1, at most the policy's burst
//   (the bucket never holds more). Rejected requests count too: they are demand.
// - Refill: when a request would leave ≤ lowWater tokens (half the last batch), one take is sent
//   in the background; never more than one in flight per key.
// - Expiry: granted tokens expire leaseTtlMs after the take that brought them was sent (the older
//   tokens left at that moment, at most half a batch, ride along). Expired tokens are dropped, so a
//   stale lease is never spent late on top of a bucket that refilled meanwhile.
// - Exhausted: a reply that granted less than asked says the global bucket is empty. No take is
//   sent before it holds a token again (retryAt; at least minRetryMs later, to spare Redis, but
//   less than half the bucket's fill time, so it cannot overflow meanwhile). A dry lease rejects
//   until a reply says otherwise; after retryAt + horizonMs without a take (the key went quiet)
//   the state is unknown again.
// - Credit: a reply that left at least half the bucket gives the key a credit of
//   min(creditCap, left - burst/2) requests (creditCap = floor(burst / 4)). With no token at hand,
//   the instance admits on credit, as debt, while its uncharged debt stays below it, and
//   charges that debt in the limiter's periodic charge (a take with want 0, many keys per call).
//   So a key far from its limit costs no take per request; near the limit (the last reply left
//   less than half the bucket) credit is 0 and leases decide. Credit lapses creditTtl (leaseTtl)
//   after the reply that gave it.
import type { BucketArgs, LeaseJob } from "./lease-store.ts";
import type { TakeReply } from "./take-script.ts";

/** What a lease reports to its limiter (the limiter owns the policy-wide numbers). */
export interface LeaseOwner {
  settled(lease: KeyLease, reply: TakeReply | null, now: number): void;
  readonly horizonMs: number;
  readonly maxBatch: number;
}

export class KeyLease implements LeaseJob {
  /** Granted, unused tokens. */
  tokens = 0;
  /** When `tokens` expire (limiter clock). */
  expiresAt = 0;
  /** Admitted locally (no token at hand), not yet charged to Redis. */
  debt = 0;
  /** Debt riding in the take in flight. */
  chargeNow = 0;
  want = 0;
  inFlight = false;
  sentAt = 0;
  refresh = false;
  /** No take before this (after an exhausted reply or a failure). */
  retryAt = 0;
  /** The global bucket was empty: a dry lease rejects until then (or until a reply says otherwise). */
  exhaustedUntil = 0;
  /** Refill when a request would leave this many tokens or fewer. */
  lowWater = 0;
  /** From the last reply: tokens left in the global bucket, and when that was (limiter clock). */
  globalLeft = 0;
  repliedAt = 0;
  /**
   * From the last reply: how many requests this instance may admit on credit (as debt, charged
   * by a later take) while debt + chargeNow stays below it. 0 = none (the bucket is not roomy).
   */
  credit = 0;
  /** Queued in the limiter's list of keys whose debt awaits the periodic charge. */
  dirty = false;
  /** The take going out is a periodic charge: it asks for no tokens (want 0). */
  report = false;
  /** Requests seen since seenSince; perHorizon: the last completed window, scaled to horizonMs. */
  seen = 0;
  seenSince: number;
  perHorizon = 0;
  /** perHorizon comes from at least one whole window. */
  measured = false;
  /** Set by prepare(): requests expected per horizonMs (the unclamped batch). */
  demand = 0;

  constructor(
    readonly key: string,
    readonly redisKey: string,
    readonly bucket: BucketArgs,
    private readonly owner: LeaseOwner,
    now: number,
  ) {
    this.seenSince = now;
  }

  /** Usable tokens now (drops them when expired). */
  usable(now: number): number {
    if (this.tokens > 0 && now >= this.expiresAt) this.tokens = 0;
    return this.tokens;
  }

  /** May a take go out now? */
  canRefill(now: number): boolean {
    return !this.inFlight && now >= this.retryAt;
  }

  prepare(now: number): void {
    const h = this.owner.horizonMs;
    const elapsed = now - this.seenSince;
    if (elapsed >= h) {
      this.perHorizon = (this.seen * h) / elapsed;
      this.measured = true;
      this.seen = 0;
      this.seenSince = now;
    }
    const want = Math.ceil(Math.max(this.perHorizon, this.seen));
    this.demand = want;
    if (this.report) this.want = 0;
    else this.want = want < 1 ? 1 : want > this.owner.maxBatch ? this.owner.maxBatch : want;
    this.chargeNow = this.debt;
    this.debt = 0;
    this.sentAt = now;
  }

  settle(reply: TakeReply | null, now: number): void {
    this.owner.settled(this, reply, now);
  }
}
