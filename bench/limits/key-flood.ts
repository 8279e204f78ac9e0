// A flood of distinct client addresses against one LocalRateLimiter: does its key table stay
// bounded, and what does a held key cost?
//   bun bench/limits/key-flood.ts [--keys 1000000] [--max-keys 100000] [--ipv6]
// Every key sends one request at the same moment under a slow policy (10/min), so no key ever
// becomes idle: each insertion into the full table evicts an indebted key (the worst case).
import { LocalRateLimiter } from "../../src/limits/rate/local-limiter.ts";
import { newVerdict } from "../../src/limits/types.ts";

function flag(name: string, fallback: number): number {
  const i = Bun.argv.indexOf(name);
  if (i === -1) return fallback;
  const n = Number(Bun.argv[i + 1]);
  if (!Number.isSafeInteger(n) || n <= 0) {
    console.error(`key-flood: ${name} needs a positive whole number`);
    process.exit(2);
  }
  return n;
}

const keys = flag("--keys", 1_000_000);
const maxKeys = flag("--max-keys", 100_000);
const ipv6 = Bun.argv.includes("--ipv6");

function address(i: number): string {
  if (ipv6) return `2001:db8:${(i >>> 16).toString(16)}:${(i & 0xffff).toString(16)}::1`;
  return `${10 + ((i >>> 24) & 127)}.${(i >>> 16) & 255}.${(i >>> 8) & 255}.${i & 255}`;
}

function measure(): { rss: number; heap: number } {
  Bun.gc(true);
  const m = process.memoryUsage();
  return { rss: m.rss, heap: m.heapUsed };
}

const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

const limiter = new LocalRateLimiter({
  name: "flood",
  count: 10,
  periodMs: 60_000,
  burst: 10,
  key: [{ kind: "clientIp" }],
  maxKeys,
  shared: null,
});
const verdict = newVerdict();
const before = measure();
const started = performance.now();
const now = performance.now();
let slowestMs = 0;
for (let i = 0; i < keys; i++) {
  const key = address(i);
  const t = performance.now();
  if (limiter.check(key, now, verdict)) limiter.consume(key, now);
  const took = performance.now() - t;
  if (took > slowestMs) slowestMs = took;
}
const elapsedMs = performance.now() - started;
const after = measure();

console.log(`keys flooded      ${keys.toLocaleString("en-US")} (${ipv6 ? "IPv6" : "IPv4"}-like)`);
console.log(`maxKeys           ${maxKeys.toLocaleString("en-US")}`);
console.log(`table size        ${limiter.size.toLocaleString("en-US")}`);
console.log(`evictions         ${limiter.evictions.toLocaleString("en-US")} (of active keys: ${limiter.evictionsOfActiveKeys.toLocaleString("en-US")})`);
console.log(`RSS before/after  ${mb(before.rss)} → ${mb(after.rss)}`);
console.log(`heap before/after ${mb(before.heap)} → ${mb(after.heap)}`);
console.log(`bytes per key     ${Math.round((after.rss - before.rss) / limiter.size)} (RSS), ${Math.round((after.heap - before.heap) / limiter.size)} (heap)`);
console.log(`time              ${elapsedMs.toFixed(0)} ms, ${((elapsedMs * 1e6) / keys).toFixed(0)} ns per key; slowest call ${slowestMs.toFixed(2)} ms`);
limiter.close();
