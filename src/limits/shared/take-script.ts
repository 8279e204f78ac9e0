// The one Redis script of shared rate limits: take a batch of tokens from a key's global bucket.
//
// The bucket is GCRA state, one number per key: its TAT (theoretical arrival time, µs on Redis's
// own clock, redis.call('TIME')), so instances' clocks never matter. With emission interval T and
// burst b, the bucket holds floor((now + b·T - max(TAT, now)) / T) tokens.
//
// One call, atomically:
//   1. charges `debt` unconditionally (requests an instance already admitted on its own, see
//      shared-limiter.ts): TAT may run past now + b·T, which only delays the next grants, so every
//      admitted request is counted once in the global bucket;
//   2. grants min(want, available) tokens;
//   3. stores TAT with PX = time until the bucket is full again, so an idle key vanishes exactly
//      when it would behave like an absent one.
// Reply (integers): [granted, tokens left after the grant, ms until one more token, ms until full].
//
// TAT is stored with %.17g (exact for a double: µs since 1970 ≈ 1.8e15 < 2^53), so repeated
// takes do not drift. Scripts replicate by effects (Redis ≥ 5 allows TIME before a write; 7 only
// does that), so replicas see the same value.

export const TAKE_SCRIPT = `
local debt = tonumber(ARGV[1])
local want = tonumber(ARGV[2])
local t = tonumber(ARGV[3])
local burst = tonumber(ARGV[4])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local tat = tonumber(redis.call('GET', KEYS[1])) or now
if tat < now then tat = now end
tat = tat + debt * t
local avail = math.floor((now + burst * t - tat) / t + 1e-9)
if avail < 0 then avail = 0 end
local granted = want
if granted > avail then granted = avail end
tat = tat + granted * t
if tat > now then
  redis.call('SET', KEYS[1], string.format('%.17g', tat), 'PX', math.ceil((tat - now) / 1000) + 1)
end
local left = avail - granted
local next_us = tat - (burst - 1) * t - now
if next_us < 0 then next_us = 0 end
return {granted, left, math.ceil(next_us / 1000), math.ceil((tat - now) / 1000)}
`;

/** SHA1 of the script, for EVALSHA (the store loads the script on every connect, too). */
export const TAKE_SHA: string = new Bun.CryptoHasher("sha1").update(TAKE_SCRIPT).digest("hex");

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

/** The script's reply, or null when it is not the 4 integers the script returns. */
export function parseTakeReply(reply: unknown): TakeReply | null {
  if (!Array.isArray(reply) || reply.length !== 4) return null;
  const [granted, left, msUntilNext, msUntilFull] = reply;
  if (!isCount(granted) || !isCount(left) || !isCount(msUntilNext) || !isCount(msUntilFull)) return null;
  return { granted, left, msUntilNext, msUntilFull };
}

function isCount(v: unknown): v is number {
  return typeof v === "number" && Number.isFinite(v) && v >= 0;
}
