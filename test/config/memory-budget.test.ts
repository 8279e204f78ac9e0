// estimateMemory: one table per configured capacity, capacity × measured bytes per entry; the
// memoryBudget check (an error at memoryBudget naming the total and the biggest tables); the
// table `keel check` prints.
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import {
  CONNECTION_BYTES,
  DASHBOARD_ROUTE_BYTES,
  DASHBOARD_SAMPLER_BYTES,
  ENDPOINT_HEALTH_BYTES,
  HISTOGRAM_BYTES,
  LATENCY_WINDOW_BYTES,
  PENDING_EXCHANGE_BYTES,
  QUEUED_REQUEST_BYTES,
  RATE_KEY_BYTES,
  ROUTE_METRICS_BYTES,
  SHARED_KEY_BYTES,
  estimateMemory,
  formatBytes,
} from "../../src/config/memory-budget.ts";
import { summarizeMemory } from "../../src/config/summary.ts";
import { at, brief, planOf } from "./helpers.ts";

/** name → [capacity, bytesPerEntry] of every table. */
function tablesOf(yaml: string): Record<string, [number, number]> {
  const est = estimateMemory(planOf(yaml));
  return Object.fromEntries(est.tables.map((t) => [t.name, [t.capacity, t.bytesPerEntry]]));
}

describe("estimateMemory: a table per configured capacity", () => {
  test("everything that has a capacity, each counted once", () => {
    const tables = tablesOf(`
redis: { url: "redis://127.0.0.1:6379" }
rateLimits:
  per-ip: { rate: 100/s, maxKeys: 5000 }
  per-key: { rate: 10/s, key: header:x-key, maxKeys: 2000, shared: true }
upstreams:
  users:
    endpoints: ["http://127.0.0.1:9001", "http://127.0.0.1:9002"]
    pool: { maxIdle: 8 }
    concurrency: { max: 50, queue: 40 }
  orders:
    endpoints: ["http://127.0.0.1:9003"]
    breaker: { maxConnections: 30, maxPending: 12 }
    concurrency: { max: 5 }
routes:
  - { name: a, upstream: users, rateLimit: [per-ip, per-key, { rate: 1/s, maxKeys: 300 }], concurrency: { max: 10, queue: 7 }, hedge: true }
  - { name: b, upstream: users, rateLimit: per-ip, retry: true }
  - { name: c, upstream: orders }
`);
    expect(tables).toEqual({
      // per-ip is named by two routes: one table.
      'rate limit "per-ip" keys': [5000, RATE_KEY_BYTES],
      'rate limit "per-key" keys (shared)': [2000, SHARED_KEY_BYTES],
      'rate limit "a#3" keys': [300, RATE_KEY_BYTES],
      'route "a" concurrency queue': [7, QUEUED_REQUEST_BYTES],
      'upstream "users" concurrency queue': [40, QUEUED_REQUEST_BYTES],
      'upstream "users" idle connections': [16, CONNECTION_BYTES],
      // maxConnections bounds all connections of the upstream, the idle ones included.
      'upstream "orders" connections (breaker.maxConnections)': [30, CONNECTION_BYTES],
      'upstream "orders" connection waiters': [12, PENDING_EXCHANGE_BYTES],
      "endpoint latency histograms": [3, HISTOGRAM_BYTES],
      "endpoint health": [3, ENDPOINT_HEALTH_BYTES],
      "route latency windows (hedge, retry)": [2, LATENCY_WINDOW_BYTES],
      "route metrics": [4, ROUTE_METRICS_BYTES],
      "dashboard sampler": [1, DASHBOARD_SAMPLER_BYTES],
      "dashboard route series": [4, DASHBOARD_ROUTE_BYTES],
    });
  });

  test("no admin listener: no dashboard; zero capacities: no table", () => {
    const tables = tablesOf(`
admin: false
upstreams:
  u: { endpoints: ["http://127.0.0.1:9001"], pool: { maxIdle: 0 }, concurrency: { max: 3 } }
routes:
  - { name: r, upstream: u, concurrency: { max: 1, queue: 0 } }
`);
    expect(Object.keys(tables).sort()).toEqual(["endpoint health", "endpoint latency histograms", "route metrics"]);
  });

  test("largest first, bytes = capacity × bytesPerEntry, total = their sum", () => {
    const est = estimateMemory(planOf(`
rateLimits: { big: { rate: 1/s, maxKeys: 1000000 } }
upstreams: { u: { endpoints: ["http://127.0.0.1:9001"] } }
routes: [ { name: r, upstream: u, rateLimit: big } ]
`));
    expect(est.tables[0]!.name).toBe('rate limit "big" keys');
    for (let i = 1; i < est.tables.length; i++) expect(est.tables[i - 1]!.bytes).toBeGreaterThanOrEqual(est.tables[i]!.bytes);
    for (const t of est.tables) expect(t.bytes).toBe(t.capacity * t.bytesPerEntry);
    expect(est.totalBytes).toBe(est.tables.reduce((s, t) => s + t.bytes, 0));
  });

  test("property: the total grows with every capacity, and is the sum of the tables", () => {
    const config = (maxKeys: number, queue: number, maxIdle: number, endpoints: number) => `
admin: false
rateLimits: { p: { rate: 1/s, maxKeys: ${maxKeys} } }
upstreams:
  u:
    endpoints: [${Array.from({ length: endpoints }, (_, i) => `"http://127.0.0.1:${9000 + i}"`).join(", ")}]
    pool: { maxIdle: ${maxIdle} }
    concurrency: { max: 1, queue: ${queue} }
routes: [ { name: r, upstream: u, rateLimit: p } ]
`;
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10_000_000 }),
        fc.integer({ min: 0, max: 100_000 }),
        fc.integer({ min: 0, max: 1000 }),
        fc.integer({ min: 1, max: 8 }),
        fc.constantFrom("maxKeys", "queue", "maxIdle", "endpoints"),
        (maxKeys, queue, maxIdle, endpoints, grow) => {
          const before = estimateMemory(planOf(config(maxKeys, queue, maxIdle, endpoints)));
          const args = { maxKeys, queue, maxIdle, endpoints, [grow]: { maxKeys, queue, maxIdle, endpoints }[grow] + 1 };
          const after = estimateMemory(planOf(config(args.maxKeys, args.queue, args.maxIdle, args.endpoints)));
          expect(after.totalBytes).toBeGreaterThan(before.totalBytes);
          expect(before.totalBytes).toBe(before.tables.reduce((s, t) => s + t.bytes, 0));
          expect(before.totalBytes).toBe(
            maxKeys * RATE_KEY_BYTES + queue * QUEUED_REQUEST_BYTES + maxIdle * endpoints * CONNECTION_BYTES + endpoints * (HISTOGRAM_BYTES + ENDPOINT_HEALTH_BYTES) + 2 * ROUTE_METRICS_BYTES,
          );
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe("memoryBudget", () => {
  const big = (budget: string) => `memoryBudget: ${budget}
rateLimits:
  per-ip: { rate: 100/s, maxKeys: 1000000 }
  per-key: { rate: 100/s, key: header:x-key, maxKeys: 200000 }
upstreams: { u: { endpoints: ["http://127.0.0.1:9001"], pool: { maxIdle: 1000 } } }
routes: [ { name: r, upstream: u, rateLimit: [per-ip, per-key] } ]
`;

  test("a plan over budget: one error at memoryBudget's value with the total and the three biggest tables", () => {
    const text = big("256mb");
    const est = estimateMemory(planOf(big("1gb")));
    const errors = brief(text);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.split(" ")[0]).toBe(at(text, "256mb"));
    expect(errors[0]).toContain(`memoryBudget: the tables may take up to ${formatBytes(est.totalBytes)} at capacity, over the budget of 256mb`);
    const [a, b, c] = est.tables;
    expect([a!.name, b!.name, c!.name]).toEqual(['rate limit "per-ip" keys', 'rate limit "per-key" keys', 'upstream "u" idle connections']);
    const show = (t: typeof a) => `${t!.name} (${t!.capacity} × ${t!.bytesPerEntry} b = ${formatBytes(t!.bytes)})`;
    expect(errors[0]).toContain(`biggest: ${show(a)}, ${show(b)}, ${show(c)} (lower these capacities or raise the budget)`);
    expect(show(a)).toBe(`rate limit "per-ip" keys (1000000 × ${RATE_KEY_BYTES} b = ${formatBytes(1_000_000 * RATE_KEY_BYTES)})`);
  });

  test("a plan within budget loads and keeps the budget in bytes; none by default", () => {
    expect(planOf(big("1gb")).memoryBudgetBytes).toBe(1024 ** 3);
    expect(planOf(big("1gb").replace(/^memoryBudget.*\n/, "")).memoryBudgetBytes).toBeNull();
  });

  test("exactly at the budget passes; one byte below fails", () => {
    const total = estimateMemory(planOf(big("1gb"))).totalBytes;
    expect(planOf(big(`${total}b`)).memoryBudgetBytes).toBe(total);
    expect(brief(big(`${total - 1}b`))).toHaveLength(1);
  });

  test("a badly written budget is a size error; with other errors the budget is not checked", () => {
    const text = big("lots");
    expect(brief(text)).toEqual([`${at(text, "lots")} memoryBudget: ${brief(text)[0]!.split(" memoryBudget: ")[1]}`]);
    expect(brief(text)[0]).toContain("size");
    const other = big("1mb").replace("maxIdle: 1000", "maxIdle: -1");
    expect(brief(other).some((e) => e.includes("memoryBudget"))).toBe(false);
  });
});

describe("keel check's memory table", () => {
  test("one line per table, largest first, then the total and the budget", () => {
    const plan = planOf(`memoryBudget: 64mb
admin: false
rateLimits: { p: { rate: 1/s, maxKeys: 1000 } }
upstreams: { u: { endpoints: ["http://127.0.0.1:9001"] } }
routes: [ { name: r, upstream: u, rateLimit: p } ]
`);
    const lines = summarizeMemory(plan).split("\n");
    const est = estimateMemory(plan);
    expect(lines[0]).toBe("memory at capacity (worst case, see docs/limits.md)");
    const squeeze = (l: string) => l.trim().replace(/\s+/g, " ");
    expect(lines.slice(1, -1).map(squeeze)).toEqual(est.tables.map((t) => `${t.name} ${t.capacity} × ${t.bytesPerEntry} b ${formatBytes(t.bytes)}`));
    expect(est.tables.map((t) => t.name)).toEqual(['upstream "u" idle connections', 'rate limit "p" keys', "route metrics", "endpoint latency histograms", "endpoint health"]);
    expect(squeeze(lines.at(-1)!)).toBe(`total ${formatBytes(est.totalBytes)} (memoryBudget 64mb)`);
  });
});
