// One policy's rate limit shared by several Keel instances through Redis, deciding every request
// locally: check() reads this instance's lease of the key's global bucket and never waits for
// Redis. Leases are refilled in the background (key-lease.ts: batch, refill, expiry rules).
//
// Where each decision comes from:
// - Lease: a granted token at hand → pass, and the token is spent.
// - Dry lease, the global bucket not known to be empty (a key seen for the first time, or a lease
//   that ran dry before its refill came back): the local fallback limiter (rate × localShare)
//   decides, and what it admits is recorded as debt, which the next take charges to the global
//   bucket without condition. Every admitted request is thus counted once in Redis: the global
//   total stays within rate × time + burst, plus at most the debt not yet charged (≤ burst per
//   instance). Debt per key is capped at one batch (the policy's burst).
// - Dry lease, the last reply said the global bucket is empty: reject until a reply says otherwise
//   (the next take leaves when the bucket holds a token again), or the key was quiet a while.
// - Store down, failureMode "open": the local fallback decides alone (rate × localShare, nothing
//   recorded: the outage is a deliberate local budget). "closed": reject, verdict.storeDown set.
//   The switch happens as soon as the store's health bit flips (redis-lease-store.ts), and back.
//
// RateLimit fields: on a lease, remaining = tokens at hand after this one + what the global bucket
// held at the last reply, aged by the refill since (an estimate: other instances take too),
// capped at burst - 1; resetSeconds = time to refill the missing part at the policy's rate.
// Rejected because the bucket is empty: retry after the reply's "next token" time. Decided by
// the fallback: its own fields (a local view at the share). Store down and closed: retry after 1 s.
//
// Memory: at most policy.maxKeys leases, evicted like the local limiter's keys (a few oldest
// entries examined per insertion, idle ones dropped first, never a full sweep), plus the fallback
// limiter's own table (also ≤ maxKeys).
import { LocalRateLimiter } from "../rate/local-limiter.ts";
import type { KeyedLimiter, RatePolicyPlan, RateVerdict, SharedPlan } from "../types.ts";
import { newVerdict } from "../types.ts";
import { KeyLease, type LeaseOwner } from "./key-lease.ts";
import type { BucketArgs, LeaseStore } from "./lease-store.ts";
import type { TakeReply } from "./take-script.ts";

/** Builds the local limiter used while Redis is out and for debt (rate × scale). */
export type FallbackFactory = (policy: RatePolicyPlan, scale: number) => KeyedLimiter;

export const localFallback: FallbackFactory = (policy, scale) => new LocalRateLimiter(policy, scale);

export interface SharedLimiterOptions {
  /** A batch covers the key's demand over this long. Default 200 ms (at most leaseTtlMs / 2). */
  readonly horizonMs?: number;
  /** After an exhausted reply or a failed take, no take for the key before this long. Default 20 ms. */
  readonly minRetryMs?: number;
  /** Debt admitted on credit is charged to Redis this often (many keys per call). Default 50 ms. */
  readonly chargeMs?: number;
}

/**
 * Credit is for keys that see at most this many requests per horizonMs on this instance: their
 * lease batches would be 1–2 tokens, so about one take per request. A busier key gets batches.
 */
const CREDIT_MAX_DEMAND = 2;

/** Oldest entries examined per insertion into a full table. */
const SWEEP = 8;

// Where the last check()'s decision came from, so consume() takes from the same place.
const NONE = 0;
const LEASE = 1;
const DEBT = 2;
const LOCAL = 3;
const CREDIT = 4;

export class SharedRateLimiter implements KeyedLimiter, LeaseOwner {
  readonly policy: RatePolicyPlan;
  readonly shared: SharedPlan;
  readonly store: LeaseStore;
  /** Decides while the store is down ("open") and for debt. */
  readonly fallback: KeyedLimiter;
  readonly horizonMs: number;
  /** Largest batch asked for, and the debt cap per key: the policy's burst. */
  readonly maxBatch: number;
  /** ms between requests at the policy's rate. */
  readonly intervalMs: number;

  /** Requests admitted on a leased token. */
  leaseAdmitted = 0;
  /** Requests admitted as debt (charged to Redis with a later take): by the fallback, or on credit. */
  debtAdmitted = 0;
  /** Of those, admitted on credit (the global bucket was known to be far from empty). */
  creditAdmitted = 0;
  /** Requests admitted by the fallback while the store was down (failureMode "open"). */
  outageAdmitted = 0;
  /** Requests rejected because the store was down (failureMode "closed"). */
  storeDownRejected = 0;
  /** Leased tokens dropped unused at expiry. */
  tokensExpired = 0;
  evictions = 0;
  /** Evicted with tokens, debt or a take in flight. */
  evictionsOfActiveKeys = 0;

  private readonly table = new Map<string, KeyLease>();
  private readonly bucket: BucketArgs;
  private readonly keyPrefix: string;
  private readonly burst: number;
  private readonly maxKeys: number;
  private readonly minRetryMs: number;
  /** Shortest wait after an exhausted reply: minRetryMs, but short enough that the bucket cannot overflow meanwhile. */
  private readonly retryFloorMs: number;
  private readonly open: boolean;
  /** Most uncharged credit per key per instance: floor(burst / 4). */
  readonly creditCap: number;
  /** Credit only from a reply that left more than this (half the bucket). */
  private readonly roomyAt: number;
  /** Credit lapses this long after the reply that gave it. */
  private readonly creditTtlMs: number;
  private readonly chargeMs: number;
  /** Keys with debt awaiting the periodic charge (each once: KeyLease.dirty). */
  private dirty: KeyLease[] = [];
  private spare: KeyLease[] = [];
  private chargeTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly chargeBound = () => this.charge();
  private lastKey: string | null = null;
  private lastLease: KeyLease | null = null;
  private lastPath = NONE;
  private closed = false;
  private readonly scratch = newVerdict();

  constructor(policy: RatePolicyPlan, store: LeaseStore, fallback: FallbackFactory = localFallback, options: SharedLimiterOptions = {}) {
    if (policy.shared === null) throw new Error(`policy ${policy.name} is not shared`);
    this.policy = policy;
    this.shared = policy.shared;
    this.store = store;
    const share = this.shared.localShare > 0 && this.shared.localShare <= 1 ? this.shared.localShare : 1;
    this.fallback = fallback(policy, share);
    this.open = this.shared.failureMode === "open";
    this.intervalMs = policy.periodMs / policy.count;
    this.burst = Math.max(1, Math.floor(policy.burst));
    this.maxBatch = this.burst;
    this.maxKeys = Math.max(1, policy.maxKeys);
    // A batch must be usable before it expires: with a short leaseTtl, batches shrink with it.
    this.horizonMs = Math.min(options.horizonMs ?? 200, this.shared.leaseTtlMs / 2);
    this.minRetryMs = options.minRetryMs ?? 20;
    this.retryFloorMs = Math.min(this.minRetryMs, (this.burst * this.intervalMs) / 2);
    this.creditCap = Math.floor(this.burst / 4);
    this.roomyAt = Math.floor(this.burst / 2);
    this.creditTtlMs = this.shared.leaseTtlMs;
    this.chargeMs = options.chargeMs ?? 50;
    this.bucket = { intervalUs: String(this.intervalMs * 1000), burst: String(this.burst) };
    this.keyPrefix = `${store.prefix}${policy.name}:`;
  }

  get size(): number {
    return this.table.size;
  }

  check(key: string, now: number, out: RateVerdict): boolean {
    this.lastKey = key;
    this.lastLease = null;
    if (!this.store.up || this.closed) return this.checkStoreDown(key, now, out);
    let e = this.table.get(key);
    if (e === undefined) e = this.add(key, now);
    this.lastLease = e;
    e.seen++;
    if (e.tokens > 0 && now >= e.expiresAt) {
      this.tokensExpired += e.tokens;
      e.tokens = 0;
    }
    // Far from empty (credit), a lease is not refilled: once dry, credit takes over.
    const credit = e.credit > 0 && now - e.repliedAt < this.creditTtlMs ? e.credit : 0;
    if (e.tokens >= 1) {
      if (e.tokens - 1 <= e.lowWater && credit === 0 && e.canRefill(now)) e.inFlight = this.store.request(e);
      this.lastPath = LEASE;
      this.leaseFields(e, now, out);
      return true;
    }
    if (e.debt + e.chargeNow < credit) {
      this.lastPath = CREDIT;
      this.debtFields(e, now, out);
      return true;
    }
    if (e.canRefill(now)) e.inFlight = this.store.request(e);
    this.lastPath = NONE;
    if (now < e.exhaustedUntil) {
      this.emptyFields(e.retryAt - now, out);
      return false;
    }
    if (e.debt + e.chargeNow >= this.maxBatch) {
      this.emptyFields(this.intervalMs, out);
      return false;
    }
    if (!this.fallback.check(key, now, out)) return false;
    // A key with a reply: the global estimate, as on credit, rather than the fallback's local view.
    if (e.repliedAt > 0) this.debtFields(e, now, out);
    this.lastPath = DEBT;
    return true;
  }

  consume(key: string, now: number): void {
    if (key !== this.lastKey && !this.check(key, now, this.scratch)) return;
    const path = this.lastPath;
    this.lastPath = NONE;
    this.lastKey = null;
    if (path === LEASE) {
      this.lastLease!.tokens--;
      this.leaseAdmitted++;
    } else if (path === DEBT) {
      this.lastLease!.debt++;
      this.fallback.consume(key, now);
      this.debtAdmitted++;
    } else if (path === CREDIT) {
      const e = this.lastLease!;
      e.debt++;
      this.debtAdmitted++;
      this.creditAdmitted++;
      if (!e.dirty) this.markDirty(e);
    } else if (path === LOCAL) {
      this.fallback.consume(key, now);
      this.outageAdmitted++;
    }
  }

  /** Stops using the store (replies still in flight are ignored) and drops every lease. */
  close(): void {
    this.closed = true;
    if (this.chargeTimer !== null) clearTimeout(this.chargeTimer);
    this.chargeTimer = null;
    this.dirty.length = 0;
    this.table.clear();
    this.fallback.close();
    this.lastLease = null;
  }

  /** A take's outcome (called by the store, through the lease). */
  settled(e: KeyLease, reply: TakeReply | null, now: number): void {
    e.inFlight = false;
    e.report = false;
    if (this.closed) return;
    if (reply === null) {
      // Not charged, as far as we know: keep the debt for the next take.
      e.debt += e.chargeNow;
      e.chargeNow = 0;
      e.retryAt = now + this.minRetryMs;
      return;
    }
    // Debt admitted while this take was out waits for the next charge.
    if (e.debt > 0 && !e.dirty) this.markDirty(e);
    e.chargeNow = 0;
    if (e.tokens > 0 && now >= e.expiresAt) {
      this.tokensExpired += e.tokens;
      e.tokens = 0;
    }
    e.tokens += reply.granted;
    e.expiresAt = e.sentAt + this.shared.leaseTtlMs;
    const wasRefresh = e.refresh;
    e.refresh = true;
    e.lowWater = Math.floor(e.want / 2);
    e.globalLeft = reply.left;
    e.repliedAt = now;
    // Credit only for a low-rate key (a busier one refills in batches: fewer takes than charges),
    // and only once its demand was measured over a whole horizon (not on a first lease).
    const credit = wasRefresh && e.measured && e.demand <= CREDIT_MAX_DEMAND ? reply.left - this.roomyAt : 0;
    e.credit = credit <= 0 ? 0 : credit < this.creditCap ? credit : this.creditCap;
    if (reply.granted < e.want || (e.want === 0 && reply.msUntilNext > 0)) {
      // Empty globally: the next take when a token is back. Until its reply (or, if the key goes
      // quiet, a horizon later) a dry lease rejects: what accrues meanwhile waits in Redis for
      // that take, so nothing is lost, and leases, not debt, share an oversubscribed bucket.
      const wait = reply.msUntilNext > this.retryFloorMs ? reply.msUntilNext : this.retryFloorMs;
      e.retryAt = now + wait;
      e.exhaustedUntil = e.retryAt + this.horizonMs;
    } else {
      e.exhaustedUntil = e.retryAt = 0;
    }
  }

  private markDirty(e: KeyLease): void {
    e.dirty = true;
    this.dirty.push(e);
    if (this.chargeTimer === null && !this.closed) {
      this.chargeTimer = setTimeout(this.chargeBound, this.chargeMs);
      (this.chargeTimer as { unref?: () => void }).unref?.();
    }
  }

  /**
   * The periodic charge: every key with debt and no take out sends one with want 0 (the store
   * puts them all in a few calls). A key with a take out gets re-listed when it settles. If the
   * store is down the debt stays on the lease and rides with the key's next take.
   */
  private charge(): void {
    this.chargeTimer = null;
    if (this.closed) return;
    const list = this.dirty;
    this.dirty = this.spare;
    this.spare = list;
    for (let i = 0; i < list.length; i++) {
      const e = list[i]!;
      e.dirty = false;
      if (e.debt > 0 && !e.inFlight) {
        e.report = true;
        e.inFlight = this.store.request(e);
        if (!e.inFlight) e.report = false;
      }
    }
    list.length = 0;
  }

  private checkStoreDown(key: string, now: number, out: RateVerdict): boolean {
    if (this.open) {
      const ok = this.fallback.check(key, now, out);
      this.lastPath = ok ? LOCAL : NONE;
      return ok;
    }
    this.lastPath = NONE;
    this.storeDownRejected++;
    out.remaining = 0;
    out.retryAfterSeconds = 1; // the store retries every 250 ms; a client should not come back sooner
    out.resetSeconds = Math.max(1, Math.ceil((this.burst * this.intervalMs) / 1000));
    out.storeDown = true;
    return false;
  }

  private leaseFields(e: KeyLease, now: number, out: RateVerdict): void {
    const globalNow = e.globalLeft + (now - e.repliedAt) / this.intervalMs;
    const est = Math.floor(e.tokens - 1 + globalNow);
    const remaining = est < 0 ? 0 : est > this.burst - 1 ? this.burst - 1 : est;
    out.remaining = remaining;
    out.resetSeconds = Math.ceil(((this.burst - remaining) * this.intervalMs) / 1000);
    out.retryAfterSeconds = 0;
    out.storeDown = false;
  }

  /** Admitted as debt: what the last reply left, aged by the refill since, minus the uncharged debt. */
  private debtFields(e: KeyLease, now: number, out: RateVerdict): void {
    const globalNow = e.globalLeft + (now - e.repliedAt) / this.intervalMs;
    const est = Math.floor(globalNow - e.debt - e.chargeNow - 1);
    const remaining = est < 0 ? 0 : est > this.burst - 1 ? this.burst - 1 : est;
    out.remaining = remaining;
    out.resetSeconds = Math.ceil(((this.burst - remaining) * this.intervalMs) / 1000);
    out.retryAfterSeconds = 0;
    out.storeDown = false;
  }

  /** Rejected: the global bucket holds its next token in `waitMs`. */
  private emptyFields(waitMs: number, out: RateVerdict): void {
    if (waitMs < 0) waitMs = 0;
    out.remaining = 0;
    out.retryAfterSeconds = Math.max(1, Math.ceil(waitMs / 1000));
    out.resetSeconds = Math.max(1, Math.ceil((waitMs + (this.burst - 1) * this.intervalMs) / 1000));
    out.storeDown = false;
  }

  private add(key: string, now: number): KeyLease {
    if (this.table.size >= this.maxKeys) this.makeRoom(now);
    const e = new KeyLease(key, this.keyPrefix + key, this.bucket, this, now);
    this.table.set(key, e);
    return e;
  }

  /** Drops idle leases among the SWEEP oldest; if none is idle, the least valuable of them. */
  private makeRoom(now: number): void {
    let examined = 0;
    let freed = false;
    let victim: KeyLease | undefined;
    let victimScore = Infinity;
    for (const e of this.table.values()) {
      const tokens = now >= e.expiresAt ? 0 : e.tokens;
      const busy = e.inFlight || e.debt > 0 || e.chargeNow > 0;
      if (tokens === 0 && !busy && now >= e.exhaustedUntil) {
        this.table.delete(e.key);
        this.evictions++;
        freed = true;
      } else {
        // Unpaid debt or a take in flight is worth more than tokens: losing it miscounts globally.
        const score = (busy ? this.maxBatch + 1 : 0) + tokens;
        if (score < victimScore) {
          victimScore = score;
          victim = e;
        }
      }
      if (++examined === SWEEP) break;
    }
    if (freed || victim === undefined) return;
    this.table.delete(victim.key);
    this.evictions++;
    this.evictionsOfActiveKeys++;
  }
}
