// RateLimit-Policy and RateLimit field values, as in draft-ietf-httpapi-ratelimit-headers-11
// (23 May 2026; same syntax as -10 of Sept 2025):
//   §3, §3.1: RateLimit-Policy is a Structured Field List (RFC 9651) of Items whose value is a
//             String (the policy name) with parameters q (quota, Integer, required),
//             qu (String, optional, default "requests"), w (window, Integer seconds, optional),
//             pk (Byte Sequence, optional).  `"per-ip";q=100;w=60`
//   §3.1.3:   w MUST be a non-zero Integer of seconds; sub-second precision is not supported.
//   §4, §4.1: RateLimit is a List of Items naming the policy with r (available quota, Integer,
//             required), t (effective window, Integer seconds, optional), pk.  `"per-ip";r=50;t=30`
// Keel sends neither qu (it counts requests, the default) nor pk (the key may hold a client's IP
// or API key; §6.1 says not to echo sensitive information).
import type { RatePolicyPlan } from "../types.ts";

/** RFC 9651 §3.3.3: Integers have at most 15 digits. */
const SF_INTEGER_MAX = 999_999_999_999_999;

/** A non-negative whole number as an sf-integer (clamped: the field must stay parseable). */
export function sfCount(n: number): string {
  if (!(n > 0)) return "0"; // also NaN
  return n >= SF_INTEGER_MAX ? String(SF_INTEGER_MAX) : String(Math.floor(n));
}

/**
 * An sf-string (RFC 9651 §4.1.6): quoted, with `"` and `\` escaped. Only printable ASCII
 * (0x20-0x7E) may appear, so any other character becomes "?" rather than breaking the field.
 */
export function sfString(text: string): string {
  let out = '"';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 || c === 0x5c) out += "\\" + text[i];
    else if (c < 0x20 || c > 0x7e) out += "?";
    else out += text[i];
  }
  return out + '"';
}

/**
 * The quota and window to advertise. w must be whole seconds: a period that is not a whole number
 * of seconds is advertised over the next whole second up, with the quota scaled down to the same
 * rate (rounded down so a client never plans for more than it gets): 10 per 500ms → q=20;w=1,
 * 3 per 1500ms → q=4;w=2.
 */
export function advertisedQuota(count: number, periodMs: number): { q: number; w: number } {
  if (periodMs % 1000 === 0 && periodMs > 0) return { q: count, w: periodMs / 1000 };
  const w = Math.max(1, Math.ceil(periodMs / 1000));
  return { q: Math.floor((count * w * 1000) / periodMs), w };
}

/** One RateLimit-Policy item: `"name";q=100;w=60`. */
export function policyItem(policy: RatePolicyPlan): string {
  const { q, w } = advertisedQuota(policy.count, policy.periodMs);
  return `${sfString(policy.name)};q=${sfCount(q)};w=${sfCount(w)}`;
}

/** The RateLimit-Policy value for several policies (RFC 9651 §4.1.1 joins members with ", "). */
export function policyFieldValue(policies: readonly RatePolicyPlan[]): string {
  return policies.map(policyItem).join(", ");
}

/** What comes before the remaining count in a RateLimit item: `"name";r=` (built once per policy). */
export function serviceLimitPrefix(name: string): string {
  return `${sfString(name)};r=`;
}

/** One RateLimit item: `"name";r=50;t=30`, from a prefix built by serviceLimitPrefix. */
export function serviceLimitItem(prefix: string, remaining: number, resetSeconds: number): string {
  return prefix + sfCount(remaining) + ";t=" + sfCount(resetSeconds);
}
