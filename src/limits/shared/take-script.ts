// The one Redis script of shared rate limits: take batches of tokens from several keys' global
// buckets in one call (one EVALSHA per flush, not one per key).
//
// The bucket is GCRA state, one number per key: its TAT (theoretical arrival time, µs on Redis's
// own clock, redis.call('TIME')), so instances' clocks never matter. With emission interval T and
// burst b, the bucket holds floor((now + b·T - max(TAT, now)) / T) tokens.
//
// KEYS[i] is a bucket; ARGV[4i-3..4i] are its debt, want, T (µs) and b. For each key, atomically:
//   1. charges `debt` unconditionally (requests an instance already admitted on its own, see
//      shared-limiter.ts): TAT may run past now + b·T, which only delays the next grants, so every
//      admitted request is counted once in the global bucket;
//   2. grants min(want, available) tokens (want 0: a pure charge, or a read);
//   3. stores TAT with PX = time until the bucket is full again, so an idle key vanishes exactly
//      when it would behave like an absent one.
// Reply: a flat array of 4 integers per key, in KEYS order: [granted, tokens left after the
// grant, ms until one more token, ms until full].
//
// The store sends at most MAX_TAKE_KEYS keys per call, so one script never holds Redis for long
// (~1 µs per key). All keys of a call must live on one server: no Redis Cluster (not supported).
//
// TAT is stored with %.17g (exact for a double: µs since 1970 ≈ 1.8e15 < 2^53), so repeated
// takes do not drift. Scripts replicate by effects (Redis ≥ 5 allows TIME before a write; 7 only
// does that), so replicas see the same value.

export const TAKE_SCRIPT = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local out = {}
for i = 1, #KEYS do
  local a = (i - 1) * 4
  local debt = tonumber(ARGV[a + 1])
  local want = tonumber(ARGV[a + 2])
  local t = tonumber(ARGV[a + 3])
  local burst = tonumber(ARGV[a + 4])
  local tat = tonumber(redis.call('GET', KEYS[i])) or now
  if tat < now then tat = now end
  tat = tat + debt * t
  local avail = math.floor((now + burst * t - tat) / t + 1e-9)
  if avail < 0 then avail = 0 end
  local granted = want
  if granted > avail then granted = avail end
  tat = tat + granted * t
  if tat > now then
    redis.call('SET', KEYS[i], string.format('%.17g', tat), 'PX', math.ceil((tat - now) / 1000) + 1)
  end
  local next_us = tat - (burst - 1) * t - now
  if next_us < 0 then next_us = 0 end
  out[a + 1] = granted
  out[a + 2] = avail - granted
  out[a + 3] = math.ceil(next_us / 1000)
  out[a + 4] = math.ceil((tat - now) / 1000)
end
return out
`;

/** SHA1 of the script, for EVALSHA (the store loads the script on every connect, too). */
export const TAKE_SHA: string = new Bun.CryptoHasher("sha1").update(TAKE_SCRIPT).digest("hex");

/** Most keys in one call. */
export const MAX_TAKE_KEYS = 256;

export interface TakeReply {
  /** Tokens granted (≤ want). */
  readonly granted: number;
  /** Tokens left in the global bucket after this grant. */
  readonly left: number;
  /** ms until the global bucket holds one token again (0 = it holds some now). */
  readonly msUntilNext: number;
  /** ms until the global bucket is full again. */
  readonly msUntilFull: number;
}

/** A one-key call's reply, or null when it is not the 4 integers the script returns. */
export function parseTakeReply(reply: unknown): TakeReply | null {
  const all = parseTakeReplies(reply, 1);
  return all === null ? null : all[0]!;
}

/** An n-key call's replies in KEYS order, or null when the reply is not 4·n counts. */
export function parseTakeReplies(reply: unknown, n: number): TakeReply[] | null {
  if (!Array.isArray(reply) || reply.length !== 4 * n) return null;
  const out: TakeReply[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const granted = reply[4 * i];
    const left = reply[4 * i + 1];
    const msUntilNext = reply[4 * i + 2];
    const msUntilFull = reply[4 * i + 3];
    if (!isCount(granted) || !isCount(left) || !isCount(msUntilNext) || !isCount(msUntilFull)) return null;
    out[i] = { granted, left, msUntilNext, msUntilFull };
  }
  return out;
}

function isCount(v: unknown): v is number {
  return typeof v === "number" && Number.isFinite(v) && v >= 0;
}
