// The byte pass warm and cold. In the server at a moderate load each body is rewritten alone,
// with the caches full of everything else the request path and the machine did since the last
// one: there the example rules cost ~25 µs of CPU per request against ~11 µs at saturation
// (bench/PROFILE.md, "the paced tail"). This times one call of the pass on the 1 KB body of the server bench right
// after another (warm) and right after sweeping a buffer larger than the caches (cold), so a
// change to the pass's footprint can be judged by the cold figure. Prints medians in µs. Not a
// test; ~10 s.
//   bun bench/normalize/cold-pass.ts [--sweep-mb 16] [--calls 2000] [--rules example|camel|none]
// --rules: the example rules of docs/normalize.md (default), `keys: camelCase` alone, or `json: {}`
// (the pass with no rules), to tell the pass's own footprint from the rules'.
import { compileByteRules } from "../../src/normalize/json/bytes/compile-byte-rules.ts";
import type { JsonRulesConfig } from "../../src/normalize/json/compile-json-rules.ts";
import { EXAMPLE_JSON_RULES } from "../../src/normalize/json/example-rules.ts";
import { exitWith, readFlags } from "../lib/harness.ts";
import { userBody } from "../lib/json-bodies.ts";

const USAGE = "bun bench/normalize/cold-pass.ts [--sweep-mb 16] [--calls 2000] [--rules example|camel|none]";
const RULES: Record<string, JsonRulesConfig> = { example: EXAMPLE_JSON_RULES, camel: { keys: "camelCase" }, none: {} };
const args = { sweepMb: 16, calls: 2000, rules: "example" };
try {
  readFlags(Bun.argv.slice(2), USAGE, (f) => {
    if (f.name === "--sweep-mb") args.sweepMb = f.num(1, 1024);
    else if (f.name === "--calls") args.calls = f.num(10);
    else if (f.name === "--rules") {
      args.rules = f.value();
      if (!(args.rules in RULES)) throw new Error(`--rules takes ${Object.keys(RULES).join(", ")}; got "${args.rules}"`);
    }
    else return false;
    return true;
  });
} catch (err) {
  exitWith("cold-pass", err);
}

const limits = { maxBytes: 1 << 20, maxDepth: 64 };
const pass = compileByteRules(RULES[args.rules]!)!;
// The body the bench backend serves as /json/user-1k.json.
const body = new TextEncoder().encode(userBody(1024));
if (pass(body, limits) === null) throw new Error("the byte path must take this body");

const sweep = new Uint8Array(args.sweepMb << 20);
/** Writes one byte per cache line of a buffer larger than the caches: the pass's lines leave. */
function evict(): number {
  let s = 0;
  for (let i = 0; i < sweep.length; i += 64) s += ++sweep[i]!;
  return s;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
function timeCalls(cold: boolean): number {
  const us: number[] = [];
  for (let i = 0; i < args.calls; i++) {
    if (cold) evict();
    const t0 = performance.now();
    pass(body, limits);
    us.push((performance.now() - t0) * 1000);
  }
  return median(us);
}

for (let i = 0; i < 20_000; i++) pass(body, limits); // JIT tiers up
evict();
const rounds: { warm: number; cold: number }[] = [];
for (let r = 0; r < 5; r++) rounds.push({ warm: timeCalls(false), cold: timeCalls(true) });
const warm = median(rounds.map((r) => r.warm));
const cold = median(rounds.map((r) => r.cold));
console.log(`${body.length} B body, rules ${args.rules}: warm ${warm.toFixed(2)} µs, cold (after a ${args.sweepMb} MB sweep) ${cold.toFixed(2)} µs per call (medians of 5 rounds of ${args.calls})`);
