// Bytes per entry of each stateful table Keel sizes from its config: the measured constants of
// src/config/memory-budget.ts (estimateMemory, `keel check`, memoryBudget) come from here.
//   bun bench/memory/table-costs.ts            all kinds, one fresh process each, then a summary
//   bun bench/memory/table-costs.ts --kind K   one kind (what the parent runs)
//
// Each kind fills many entries of the real structure (LocalRateLimiter keys, KeyLease entries,
// ConcurrencyWait waiters, Exchanges waiting for a connection, pooled keep-alive connections over
// real sockets to a backend in another process, LatencyHistograms, ...) in a fresh process and
// divides the growth by the entry count. Growth is read two ways after a full GC: the JS heap
// (bun:jsc heapStats().heapSize, which includes typed-array stores even before their pages are
// touched) and RSS (which also covers native memory such as sockets, and allocator slack, but not
// pages never written yet). The budget uses the larger.
// Key tables are measured in their worst steady state: full, after CHURN × capacity distinct keys
// went through them (evictions leave deleted entries in the index Maps until they rebuild).
import { heapStats } from "bun:jsc";
import type { EndpointPlan, UpstreamPlan } from "../../src/config/plan.ts";
import { ConcurrencyLimiter } from "../../src/limits/concurrency/concurrency-limiter.ts";
import { LocalRateLimiter } from "../../src/limits/rate/local-limiter.ts";
import { SharedRateLimiter } from "../../src/limits/shared/shared-limiter.ts";
import type { LeaseJob, LeaseStore } from "../../src/limits/shared/lease-store.ts";
import { newVerdict, type RatePolicyPlan } from "../../src/limits/types.ts";
import { ERROR_CODES, GatewayMetrics } from "../../src/observe/gateway-metrics.ts";
import { StatsSampler } from "../../src/observe/series/stats-sampler.ts";
import { LatencyHistogram } from "../../src/observe/latency-histogram.ts";
import { startUpstreamHealth } from "../../src/resilience/health/upstream-health.ts";
import { WindowedLatency } from "../../src/resilience/hedge/windowed-latency.ts";
import { UpstreamCancel } from "../../src/upstream/cancel.ts";
import { Exchange } from "../../src/upstream/http1/exchange.ts";
import { Http1Client } from "../../src/upstream/http1/client.ts";

interface Footprint {
  heap: number;
  rss: number;
}

interface Result {
  kind: string;
  entries: number;
  heapBytesPerEntry: number;
  rssBytesPerEntry: number;
}

function footprint(): Footprint {
  for (let i = 0; i < 3; i++) Bun.gc(true);
  const h = heapStats();
  // heapSize already includes extraMemorySize (typed-array stores), allocated whether touched or not.
  return { heap: h.heapSize, rss: process.memoryUsage().rss };
}

/** Client addresses like the ones keys are made of ("10.1.2.3"). */
function address(i: number): string {
  return `${10 + ((i >>> 24) & 127)}.${(i >>> 16) & 255}.${(i >>> 8) & 255}.${i & 255}`;
}

const policy = (maxKeys: number, shared: boolean): RatePolicyPlan => ({
  name: "p",
  count: 1,
  periodMs: 3_600_000, // 1/h: no key goes idle while the table fills
  burst: 1,
  key: [{ kind: "clientIp" }],
  maxKeys,
  shared: shared ? { failureMode: "open", localShare: 1, leaseTtlMs: 2000 } : null,
});

const endpoint = (port: number): EndpointPlan => ({ url: `http://127.0.0.1:${port}`, host: "127.0.0.1", port, authority: `127.0.0.1:${port}`, weight: 1 });

function upstream(endpoints: EndpointPlan[], maxIdle: number): UpstreamPlan {
  return {
    name: "u",
    endpoints,
    balance: "p2c",
    hashKey: null,
    connectTimeoutMs: 5000,
    maxIdlePerEndpoint: maxIdle,
    idleTimeoutMs: 600_000,
    concurrency: null,
    healthCheck: { path: "/healthz", intervalMs: 3_600_000, timeoutMs: 1000, expectStatus: [[200, 299]], healthyThreshold: 2, unhealthyThreshold: 3 },
    outlier: { consecutiveFailures: 5, baseEjectionMs: 30_000, maxEjectionMs: 300_000, maxEjectedPercent: 50 },
    breaker: null,
    retryBudget: { ratio: 0.2, minPerSecond: 10, windowMs: 10_000 },
  };
}

/** Distinct keys sent through a key table, in multiples of its capacity. */
const CHURN = 10;

/** A store that is up and never answers: leases stay as the first request left them. */
const silentStore: LeaseStore = { up: true, prefix: "keel:rl:", request: (_job: LeaseJob) => true };

/** Each kind: how many entries, and a builder that fills them and returns what holds them. */
const KINDS: Record<string, { entries: number; fill: (n: number) => unknown | Promise<unknown> }> = {
  // One key held by a local rate limit (slot arrays + index Map entry + the key string).
  "rate-key": {
    entries: 200_000,
    fill(n) {
      const l = new LocalRateLimiter(policy(n, false));
      const v = newVerdict();
      for (let i = 0; i < n * CHURN; i++) if (l.check(address(i), 0, v)) l.consume(address(i), 0);
      return l;
    },
  },
  // One key of a shared policy: its KeyLease (Map entry) plus its fallback limiter's key.
  "shared-key": {
    entries: 100_000,
    fill(n) {
      const l = new SharedRateLimiter(policy(n, true), silentStore);
      const v = newVerdict();
      for (let i = 0; i < n * CHURN; i++) if (l.check(address(i), 0, v)) l.consume(address(i), 0);
      return l;
    },
  },
  // One request queued for a concurrency slot (ConcurrencyWait: the waiter and its promise).
  "queued-request": {
    entries: 100_000,
    fill(n) {
      const l = new ConcurrencyLimiter({ max: 1, queue: n, queueTimeoutMs: 3_600_000, queueTargetMs: 3_600_000, queueIntervalMs: 3_600_000, adaptive: null }, { now: () => 0 });
      l.tryAcquire();
      const waits = [];
      for (let i = 0; i < n; i++) waits.push(l.acquire(0));
      return { l, waits };
    },
  },
  // One request waiting for an upstream connection (breaker.maxPending): its Exchange.
  "pending-exchange": {
    entries: 100_000,
    fill(n) {
      const up = upstream([endpoint(1)], 0);
      const owner = { label: "http://127.0.0.1:1" };
      const out: Exchange[] = [];
      for (let i = 0; i < n; i++) {
        const req = { method: "GET", target: "/", headers: [], body: null, bodyLength: 0, cancel: new UpstreamCancel() };
        out.push(new Exchange(owner, req, "GET / HTTP/1.1\r\nhost: 127.0.0.1:1\r\n\r\n", up));
      }
      return out;
    },
  },
  // One idle keep-alive connection in a pool: Connection object and Bun socket (both ends'
  // native memory would count twice, so the backend runs in its own process).
  "idle-connection": {
    entries: 1_000,
    async fill(n) {
      const backend = Bun.spawn([process.execPath, "-e", BACKEND], { stdout: "pipe", stderr: "inherit" });
      const reader = backend.stdout.getReader();
      const port = Number(new TextDecoder().decode((await reader.read()).value).trim());
      const client = new Http1Client();
      const ep = endpoint(port);
      const up = upstream([ep], n);
      const send = () => client.send(ep, up, { method: "GET", target: "/", headers: ["host", ep.authority], body: null, bodyLength: 0, cancel: new UpstreamCancel() });
      await send(); // warm: the pool and the client's sweep exist before the baseline
      const base = footprint();
      const results = await Promise.all(Array.from({ length: n }, send));
      for (const r of results) if (!r.ok) throw new Error(`request failed: ${r.failure.detail}`);
      return { client, backend, base };
    },
  },
  // One LatencyHistogram (per-route metrics, per-endpoint latency).
  histogram: {
    entries: 500,
    fill: (n) => Array.from({ length: n }, () => new LatencyHistogram()),
  },
  // One route's recent-latency window (hedging, or room for a retry): two histograms and state.
  "latency-window": {
    entries: 300,
    fill: (n) => Array.from({ length: n }, () => new WindowedLatency({ percentile: 95, floorMs: 5, maxExtraRatio: 0.05, windowMs: 30_000, refreshMs: 5_000 })),
  },
  // One endpoint's health state: active-check streaks and outlier ejection arrays.
  "endpoint-health": {
    entries: 100_000,
    fill(n) {
      const eps = Array.from({ length: n }, (_, i) => endpoint(1 + (i % 60000)));
      return startUpstreamHealth(upstream(eps, 0));
    },
  },
  // One route's metrics: its histogram and counter rows (status classes, problem codes).
  "route-metrics": {
    entries: 300,
    fill: (n) => new GatewayMetrics(Array.from({ length: n }, (_, i) => `route-${i}`), ["u"]),
  },
  // The admin dashboard's sampler (src/observe/series/stats-sampler.ts) per route: its columns
  // over a full ring of 150 samples, every route with traffic (the metrics exist before the
  // baseline: they are "route metrics" above).
  "dashboard-route": {
    entries: 200,
    fill: (n) => fullSamplers(1, n),
  },
  // A whole sampler of one route, every problem code seen (its code columns allocated): the
  // fixed part plus one route.
  "dashboard-sampler": {
    entries: 20,
    fill: (n) => fullSamplers(n, 1),
  },
};

/** `samplers` samplers of `routes` routes each, their rings full; `base` taken once the metrics exist. */
function fullSamplers(samplers: number, routes: number): unknown {
  const names = Array.from({ length: routes }, (_, i) => `route-${i}`);
  const metrics = Array.from({ length: samplers }, () => new GatewayMetrics(names, ["u"]));
  const base = footprint();
  const held = metrics.map((m) => new StatsSampler({ metrics: () => m, capacity: 150 }));
  for (let s = 0; s < 151; s++) {
    for (let k = 0; k < samplers; k++) {
      const m = metrics[k]!;
      for (let r = 0; r < routes; r++) {
        m.requestStarted();
        m.requestFinished(r, 200 + 100 * (s % 4), 1000 + s);
      }
      for (const code of ERROR_CODES) m.problem(0, code);
      held[k]!.sample();
    }
  }
  for (const sampler of held) sampler.stop();
  return { metrics, held, base };
}

/** Answers once every connection it was asked to hold has a request, so the client opens them all. */
const BACKEND = `
const s = Bun.serve({ hostname: "127.0.0.1", port: 0, idleTimeout: 0, fetch: async () => { await Bun.sleep(300); return new Response("ok"); } });
console.log(s.port);
`;

async function runOne(kind: string): Promise<Result> {
  const spec = KINDS[kind];
  if (spec === undefined) throw new Error(`unknown kind ${kind}; kinds: ${Object.keys(KINDS).join(", ")}`);
  let before = footprint();
  const held = await spec.fill(spec.entries);
  const base = (held as { base?: Footprint })?.base;
  if (base !== undefined) before = base;
  const after = footprint();
  const result = {
    kind,
    entries: spec.entries,
    heapBytesPerEntry: Math.round((after.heap - before.heap) / spec.entries),
    rssBytesPerEntry: Math.round((after.rss - before.rss) / spec.entries),
  };
  (held as { backend?: { kill(): void } })?.backend?.kill();
  return result;
}

const kindAt = Bun.argv.indexOf("--kind");
if (kindAt !== -1) {
  console.log(JSON.stringify(await runOne(Bun.argv[kindAt + 1] ?? "")));
  process.exit(0);
}

const results: Result[] = [];
for (const kind of Object.keys(KINDS)) {
  const child = Bun.spawnSync([process.execPath, import.meta.path, "--kind", kind], { stdout: "pipe", stderr: "inherit" });
  if (child.exitCode !== 0) {
    console.error(`table-costs: ${kind} failed (exit ${child.exitCode})`);
    process.exit(1);
  }
  results.push(JSON.parse(child.stdout.toString().trim().split("\n").pop()!) as Result);
}
console.log("kind               entries    heap B/entry   RSS B/entry   budget B/entry");
for (const r of results) {
  const budget = Math.max(r.heapBytesPerEntry, r.rssBytesPerEntry);
  console.log(`${r.kind.padEnd(18)} ${String(r.entries).padStart(8)} ${String(r.heapBytesPerEntry).padStart(14)} ${String(r.rssBytesPerEntry).padStart(13)} ${String(budget).padStart(16)}`);
}
