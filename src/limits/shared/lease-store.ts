// What a shared limiter needs from the place its global buckets live (Redis, see
// redis-lease-store.ts): a health bit read on every decision, and a background "take" per key
// whose answer comes back later. Nothing here ever makes a request wait.
import type { TakeReply } from "./take-script.ts";

/** A global bucket's parameters, formatted once per policy (they are script arguments). */
export interface BucketArgs {
  /** Emission interval in µs (decimal string). */
  readonly intervalUs: string;
  /** Bucket capacity in tokens (decimal string). */
  readonly burst: string;
}

/**
 * One key's pending take. The store calls prepare() when it actually sends (so every request of
 * the current tick counts towards `debt` and `want`), then settle() exactly once.
 */
export interface LeaseJob {
  /** Key of the global bucket in Redis (prefix, policy name, key). */
  readonly redisKey: string;
  readonly bucket: BucketArgs;
  /** Set by prepare(): tokens to charge without condition. */
  readonly chargeNow: number;
  /** Set by prepare(): tokens asked for. */
  readonly want: number;
  /** Has this key been granted a lease before (a refresh rather than a first lease)? */
  readonly refresh: boolean;
  prepare(now: number): void;
  /** The script's reply, or null when the take failed (no reply, an error reply, the store went down). */
  settle(reply: TakeReply | null, now: number): void;
}

export interface LeaseStore {
  /** Reachable and answering now? Read on every decision: a plain field read. */
  readonly up: boolean;
  /** Namespace of the global buckets' keys, e.g. "keel:rl:". */
  readonly prefix: string;
  /**
   * Queue a take; all takes queued in one event-loop turn leave together (several keys per
   * call, see take-script.ts). Returns false, and
   * queues nothing, when the store is down or closed.
   */
  request(job: LeaseJob): boolean;
}
