// The rate policies of one route, decided together: a request is admitted only when every policy
// passes, and only then does it consume from each (a request one policy rejects costs the others
// nothing). The last decision stays readable, in reused objects, for the response fields and
// the metrics. The limiters are not owned here (a named policy may serve several routes): whoever
// built them closes them.
import { newVerdict, type KeyedLimiter, type RateVerdict } from "../types.ts";
import { policyFieldValue, serviceLimitItem, serviceLimitPrefix } from "./ratelimit-fields.ts";

export class RouteRateLimits {
  readonly limiters: readonly KeyedLimiter[];
  /** RateLimit-Policy value for this route, built once. */
  readonly policyHeader: string;
  /** Verdict of each policy in the last admit(). */
  readonly verdicts: readonly RateVerdict[];
  /** Per policy: requests admitted (every policy passed). */
  readonly allowed: Float64Array;
  /** Per policy: requests this policy rejected (a request several reject counts in each). */
  readonly limited: Float64Array;
  /** Index of the first policy that rejected the last request; -1 when it was admitted. */
  rejectedBy = -1;

  /** 1 where the policy passed the last request. */
  private readonly passed: Uint8Array;
  /** `"name";r=` per policy. */
  private readonly prefixes: readonly string[];

  constructor(limiters: readonly KeyedLimiter[]) {
    this.limiters = limiters;
    const policies = limiters.map((l) => l.policy);
    this.policyHeader = policyFieldValue(policies);
    this.prefixes = policies.map((p) => serviceLimitPrefix(p.name));
    this.verdicts = limiters.map(() => newVerdict());
    this.allowed = new Float64Array(limiters.length);
    this.limited = new Float64Array(limiters.length);
    this.passed = new Uint8Array(limiters.length);
  }

  /** keys[i] is the request's key for limiters[i]. Checks all, consumes only if all pass. */
  admit(keys: readonly string[], now: number): boolean {
    const n = this.limiters.length;
    let firstRejecting = -1;
    for (let i = 0; i < n; i++) {
      // Every policy is checked, even after a rejection, so the fields and Retry-After cover all.
      const ok = this.limiters[i]!.check(keys[i]!, now, this.verdicts[i]!);
      this.passed[i] = ok ? 1 : 0;
      if (!ok) {
        this.limited[i]!++;
        if (firstRejecting === -1) firstRejecting = i;
      }
    }
    this.rejectedBy = firstRejecting;
    if (firstRejecting !== -1) return false;
    for (let i = 0; i < n; i++) {
      this.limiters[i]!.consume(keys[i]!, now);
      this.allowed[i]!++;
    }
    return true;
  }

  /** Did policy i reject the last request? */
  rejected(i: number): boolean {
    return this.passed[i] === 0;
  }

  /** Name of the first policy that rejected the last request, or null when it was admitted. */
  rejectingPolicyName(): string | null {
    return this.rejectedBy === -1 ? null : this.limiters[this.rejectedBy]!.policy.name;
  }

  /** RateLimit value for the last decision: one item per policy, in the route's order. */
  rateLimitHeader(): string {
    const admitted = this.rejectedBy === -1;
    let out = "";
    for (let i = 0; i < this.verdicts.length; i++) {
      const v = this.verdicts[i]!;
      // A verdict counts "after this one"; a policy that passed a request another one rejected
      // was not consumed from, so it still has that one.
      const remaining = admitted || this.passed[i] === 0 ? v.remaining : v.remaining + 1;
      if (i > 0) out += ", ";
      out += serviceLimitItem(this.prefixes[i]!, remaining, v.resetSeconds);
    }
    return out;
  }

  /** Retry-After for the last decision: the longest wait among the rejecting policies; 0 if admitted. */
  retryAfterSeconds(): number {
    if (this.rejectedBy === -1) return 0;
    let most = 0;
    for (let i = 0; i < this.verdicts.length; i++) {
      if (this.passed[i] === 0 && this.verdicts[i]!.retryAfterSeconds > most) most = this.verdicts[i]!.retryAfterSeconds;
    }
    return most;
  }

  /** The last request was rejected by a shared policy because its store (Redis) is out. */
  storeDown(): boolean {
    if (this.rejectedBy === -1) return false;
    for (let i = 0; i < this.verdicts.length; i++) {
      if (this.passed[i] === 0 && this.verdicts[i]!.storeDown) return true;
    }
    return false;
  }
}
