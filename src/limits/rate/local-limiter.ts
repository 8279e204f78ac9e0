// One policy's rate limit over its keys, in this process: GCRA (generic cell rate algorithm).
// Each key holds one number, its TAT (theoretical arrival time): when its bucket would be full
// again. A request passes when TAT - now ≤ tolerance, and then pushes TAT one emission interval
// later. So an idle key admits `burst` at once, then `count` per period.
//
// The table holds at most policy.maxKeys keys: slots (key, TAT) in plain arrays, and an index
// from key to slot. A clock hand cycles over the slots; each new key moves it a few slots on:
// - A key whose TAT ≤ now has a full bucket: it behaves exactly like an absent key, so dropping
//   it costs nothing. Every idle key the hand passes is dropped and its slot reused. Once the
//   table is half full a new key examines 2 slots, or SWEEP when it is full, so after a flood of
//   new keys the table shrinks back toward half full. Below half full nothing is dropped: keys
//   that come back every few seconds then stay (no delete + re-insert per request).
// - When the table is full and none of the SWEEP examined keys is idle, the one among them with
//   the least debt (smallest TAT) is dropped. That forgives its debt: it comes back with a full
//   bucket. Counted in evictionsOfActiveKeys.
// A new key takes a slot the hand has just passed, so the hand reaches it last: the examined
// slots hold (close to) the oldest-inserted keys. No call does more than SWEEP steps, never a
// sweep of the whole table, so a flood of distinct keys costs a bounded table and no pause.
// (Not Map insertion order: in Bun's Map, iterating from the front after many deletes walks
// their tombstones, which made a 1M-key flood take seconds.)
// The index is split into Maps of about SHARD_KEYS keys each: under key churn a Map rebuilds
// itself once its deleted entries fill its capacity, a pause proportional to its size (about
// 15 ms for one Map of 100k keys, every ~300k new keys); shards keep each such pause small.
import type { KeyedLimiter, RatePolicyPlan, RateVerdict } from "../types.ts";

/** Slots examined per new key when the table is full. */
const SWEEP = 8;
/** Slots examined per new key otherwise (only idle keys are dropped then). */
const PASSING_SWEEP = 2;
/** Keys per index shard, roughly (a power of two number of shards, at most 1024). */
const SHARD_KEYS = 4096;
/** Characters of a key hashed to pick its shard. */
const SHARD_HASH_CHARS = 64;
/** Float slack (ms, and fractions of a request) so exact boundaries are not lost to rounding. */
const EPSILON = 1e-6;

export class LocalRateLimiter implements KeyedLimiter {
  readonly policy: RatePolicyPlan;
  /** Emission interval: ms between requests at the sustained rate. */
  readonly intervalMs: number;
  /** Requests admitted at once by an idle key (the policy's burst × scale, at least 1). */
  readonly burst: number;
  /** How far TAT may run ahead of now and still admit a request: (burst - 1) intervals. */
  private readonly toleranceMs: number;
  private readonly maxKeys: number;
  /** key → slot, split by a hash of the key. */
  private readonly index: Map<string, number>[];
  private readonly shardShift: number;
  private keyCount = 0;
  // What the last check() found, for the consume() that usually follows at once.
  private checkedKey: string | undefined = undefined;
  private checkedShard: Map<string, number> | undefined = undefined;
  private checkedSlot: number | undefined = undefined;
  // Per slot: its key (undefined = free) and TAT (ms, same clock as `now`). Plain arrays that
  // grow as the table fills (the engine keeps numbers unboxed), so a large maxKeys costs nothing
  // until it is used.
  private readonly keys: (string | undefined)[] = [];
  private readonly tats: number[] = [];
  /** Slots freed by the hand, reused before new ones. */
  private readonly free: number[] = [];
  /** Next slot the sweep examines. */
  private hand = 0;

  /** Keys dropped from the table (idle ones, and those below). */
  evictions = 0;
  /** Of those, keys that still had debt (they were forgiven it). */
  evictionsOfActiveKeys = 0;

  /** `scale` (0..1] multiplies the rate and burst, for a shared policy's local fallback. */
  constructor(policy: RatePolicyPlan, scale = 1) {
    this.policy = policy;
    const share = scale > 0 && scale <= 1 ? scale : 1;
    this.intervalMs = policy.periodMs / (policy.count * share);
    this.burst = Math.max(1, Math.floor(policy.burst * share));
    this.toleranceMs = (this.burst - 1) * this.intervalMs;
    this.maxKeys = Math.max(1, Math.floor(policy.maxKeys));
    const shardBits = Math.min(10, Math.max(0, Math.ceil(Math.log2(this.maxKeys / SHARD_KEYS))));
    this.shardShift = 32 - shardBits;
    this.index = Array.from({ length: 1 << shardBits }, () => new Map<string, number>());
  }

  get size(): number {
    return this.keyCount;
  }

  check(key: string, now: number, out: RateVerdict): boolean {
    const shard = this.shardOf(key);
    const slot = shard.get(key);
    this.checkedKey = key;
    this.checkedShard = shard;
    this.checkedSlot = slot;
    const stored = slot === undefined ? now : this.tats[slot]!;
    const tat = stored < now ? now : stored;
    out.storeDown = false;
    if (tat - now > this.toleranceMs + EPSILON) {
      out.remaining = 0;
      out.resetSeconds = Math.ceil((tat - now) / 1000);
      out.retryAfterSeconds = Math.max(1, Math.ceil((tat - this.toleranceMs - now) / 1000));
      return false;
    }
    const ahead = tat + this.intervalMs - now; // after this request
    out.remaining = Math.max(0, Math.floor(this.burst - ahead / this.intervalMs + EPSILON));
    out.resetSeconds = Math.ceil(ahead / 1000);
    out.retryAfterSeconds = 0;
    return true;
  }

  consume(key: string, now: number): void {
    let shard: Map<string, number>;
    let slot: number | undefined;
    if (key === this.checkedKey) {
      shard = this.checkedShard!;
      slot = this.checkedSlot;
      this.checkedKey = undefined; // one use: a later consume of this key must look again
    } else {
      shard = this.shardOf(key);
      slot = shard.get(key);
    }
    if (slot !== undefined) {
      const tat = this.tats[slot]!;
      this.tats[slot] = (tat < now ? now : tat) + this.intervalMs;
      return;
    }
    const fresh = this.slotForNewKey(now);
    const tat = now + this.intervalMs;
    if (fresh === this.keys.length) {
      this.keys.push(key);
      this.tats.push(tat);
    } else {
      this.keys[fresh] = key;
      this.tats[fresh] = tat;
    }
    shard.set(key, fresh);
    this.keyCount++;
  }

  close(): void {
    for (const shard of this.index) shard.clear();
    this.checkedKey = undefined;
    this.keyCount = 0;
    this.keys.length = 0;
    this.tats.length = 0;
    this.free.length = 0;
    this.hand = 0;
  }

  /** Moves the hand on, dropping idle keys; returns a free slot (keys.length = a new one). */
  private slotForNewKey(now: number): number {
    const slots = this.keys.length;
    const full = slots === this.maxKeys;
    // Below half full, idle keys stay: dropping them only to re-insert them on their next request
    // churns the index (a Map delete + set per request for keys that come back every few seconds).
    const steps = Math.min(full ? SWEEP : slots * 2 >= this.maxKeys ? PASSING_SWEEP : 0, slots);
    let leastDebt = -1;
    let leastTat = Infinity;
    for (let n = 0; n < steps; n++) {
      const slot = this.hand;
      this.hand = slot + 1 >= slots ? 0 : slot + 1;
      if (this.keys[slot] === undefined) continue;
      const tat = this.tats[slot]!;
      if (tat <= now) {
        this.drop(slot);
        this.free.push(slot);
      } else if (tat < leastTat) {
        leastTat = tat;
        leastDebt = slot;
      }
    }
    if (this.free.length > 0) return this.free.pop()!;
    if (!full) return slots;
    // Full, every examined key still owes: forgive the smallest debt.
    this.drop(leastDebt);
    this.evictionsOfActiveKeys++;
    return leastDebt;
  }

  private shardOf(key: string): Map<string, number> {
    if (this.shardShift === 32) return this.index[0]!;
    let h = key.length;
    const stop = Math.min(key.length, SHARD_HASH_CHARS);
    for (let i = 0; i < stop; i++) h = (Math.imul(h, 31) + key.charCodeAt(i)) | 0;
    return this.index[Math.imul(h, 0x9e3779b1) >>> this.shardShift]!;
  }

  private drop(slot: number): void {
    const key = this.keys[slot]!;
    this.shardOf(key).delete(key);
    this.keyCount--;
    if (key === this.checkedKey) this.checkedKey = undefined;
    this.keys[slot] = undefined;
    this.evictions++;
  }
}
