// What a reload keeps (src/server/reload/carry-over.ts), as tables: a base config, one change,
// and which pieces of state must be the same objects in the new runtime.

import { afterEach, describe, expect, test } from "bun:test";
import fc from "fast-check";
import { GatewayMetrics } from "../../src/observe/gateway-metrics.ts";
import { buildRuntime, type GatewayRuntime } from "../../src/pipeline/gateway-runtime.ts";
import { RuntimeSwitch } from "../../src/server/reload/runtime-switch.ts";
import { FetchClient } from "../../src/upstream/fetch-client.ts";
import { carryOver } from "../../src/server/reload/carry-over.ts";
import { samePlanValue } from "../../src/server/reload/plan-equal.ts";
import { listenerChanges } from "../../src/server/reload/prepare-reload.ts";
import { retireRuntime } from "../../src/server/reload/retire.ts";
import { planFrom, withDefaults } from "../support/gateway.ts";

const runtimes: GatewayRuntime[] = [];
afterEach(() => {
  for (const rt of runtimes.splice(0)) rt.close();
});

interface Knobs {
  endpoints?: string;
  upstreamExtra?: string;
  routeExtra?: string;
  policy?: string;
  otherRoute?: boolean;
  routeName?: string;
  shedding?: string;
  upConcurrency?: number;
  routeConcurrency?: number;
  hedge?: string;
}

function yaml(k: Knobs = {}): string {
  return withDefaults(`${k.shedding ?? ""}rateLimits:
  shared-ip: { rate: ${k.policy ?? "100/s"}, key: clientIp }
upstreams:
  up: { endpoints: [${k.endpoints ?? '"http://127.0.0.1:9001", "http://127.0.0.1:9002"'}], health: { outlier: { consecutiveFailures: 3 } }, concurrency: { max: ${k.upConcurrency ?? 10} }${k.upstreamExtra ?? ""} }
routes:
  - { name: ${k.routeName ?? "r"}, match: { pathPrefix: /r }, upstream: up, rateLimit: [shared-ip], concurrency: { max: ${k.routeConcurrency ?? 5} }, retry: true, hedge: ${k.hedge ?? "true"}${k.routeExtra ?? ""} }
${k.otherRoute ? "  - { name: other, match: { pathPrefix: /o }, upstream: up }\n" : ""}`);
}


type Piece = (rt: GatewayRuntime) => unknown;
const PIECES: Record<string, Piece> = {
  health: (rt) => rt.upstreams[0]!.health,
  balancer: (rt) => rt.upstreams[0]!.balancer,
  breaker: (rt) => rt.upstreams[0]!.breaker,
  retryBudget: (rt) => rt.upstreams[0]!.retryBudget,
  endpointLatency: (rt) => rt.upstreams[0]!.endpointLatency,
  upstreamConcurrency: (rt) => rt.upstreams[0]!.concurrency,
  keyTable: (rt) => rt.limiters.find("shared-ip"),
  routeRateLimits: (rt) => rt.routes[0]!.rateLimits,
  routeConcurrency: (rt) => rt.routes[0]!.concurrency,
  latencyWindow: (rt) => rt.routes[0]!.latency,
  hedgeBudget: (rt) => rt.routes[0]!.hedgeBudget,
  overload: (rt) => rt.overload,
};
const ALL = Object.keys(PIECES);

/** The old runtime, the new one, and the old one's pieces as they were before the swap (kept ones move). */
function swap(from: Knobs, to: Knobs): { old: GatewayRuntime; next: GatewayRuntime; before: Record<string, unknown> } {
  const old = buildRuntime(planFrom(yaml(from)));
  const before = Object.fromEntries(Object.entries(PIECES).map(([name, read]) => [name, read(old)]));
  const plan = planFrom(yaml(to));
  const next = buildRuntime(plan, carryOver(old, plan));
  runtimes.push(old, next);
  return { old, next, before };
}

// [change, config after, pieces kept (all others must be new)]
const CASES: [string, Knobs, string[]][] = [
  ["nothing", {}, ALL.filter((p) => p !== "breaker")],
  ["another route added", { otherRoute: true }, ALL.filter((p) => p !== "breaker")],
  ["an endpoint added", { endpoints: '"http://127.0.0.1:9001", "http://127.0.0.1:9002", "http://127.0.0.1:9003"' }, ["keyTable", "routeRateLimits", "routeConcurrency", "hedgeBudget", "overload"]],
  ["the balancer changed", { upstreamExtra: ", balance: round-robin" }, ["health", "retryBudget", "endpointLatency", "upstreamConcurrency", "keyTable", "routeRateLimits", "routeConcurrency", "latencyWindow", "hedgeBudget", "overload"]],
  ["a breaker added", { upstreamExtra: ", breaker: { failureRatio: 0.5 }" }, ALL.filter((p) => p !== "breaker")],
  ["the upstream concurrency changed", { upConcurrency: 20 }, ALL.filter((p) => p !== "breaker" && p !== "upstreamConcurrency")],
  ["the policy's rate changed", { policy: "50/s" }, ALL.filter((p) => !["breaker", "keyTable", "routeRateLimits"].includes(p))],
  ["the route's timeout changed", { routeExtra: ", timeout: 5s" }, ALL.filter((p) => p !== "breaker")],
  ["the route's concurrency changed", { routeConcurrency: 6 }, ALL.filter((p) => p !== "breaker" && p !== "routeConcurrency")],
  ["the route's hedge changed", { hedge: "{ percentile: 90 }" }, ALL.filter((p) => !["breaker", "latencyWindow", "hedgeBudget"].includes(p))],
  ["the route renamed", { routeName: "renamed" }, ["health", "balancer", "retryBudget", "endpointLatency", "upstreamConcurrency", "keyTable", "overload"]],
  ["shedding changed", { shedding: "server: { drainTimeout: 200ms, shedding: { maxEventLoopLag: 200ms } }\n" }, ALL.filter((p) => p !== "breaker" && p !== "overload")],
];

describe("carry-over", () => {
  for (const [change, to, kept] of CASES) {
    test(`${change}: keeps ${kept.length === ALL.length - 1 ? "everything" : kept.join(", ")}`, () => {
      const { next, before } = swap({}, to);
      for (const piece of ALL) {
        const a = before[piece];
        const b = PIECES[piece]!(next);
        if (a === null && b === null) continue; // absent on both sides (no breaker)
        expect({ piece, same: a === b }).toEqual({ piece, same: kept.includes(piece) });
      }
    });
  }

  test("a kept key table moves to the new limiter set: retiring the old runtime leaves it working", () => {
    const { old, next } = swap({}, { otherRoute: true });
    const table = next.limiters.find("shared-ip")!;
    expect(old.limiters.find("shared-ip")).toBeUndefined();
    const verdict = { remaining: 0, resetSeconds: 0, retryAfterSeconds: 0, storeDown: false };
    expect(table.check("10.0.0.1", 0, verdict)).toBe(true);
    table.consume("10.0.0.1", 0);
    retireRuntime(old, [next]);
    expect(table.size).toBe(1);
    // Health shared by both is still open: a report still counts.
    expect(next.upstreams[0]!.health).toBe(old.upstreams[0]!.health);
  });
});

describe("memory", () => {
  test("600 swaps that keep nothing leave the heap where it was: no runtime keeps its predecessor alive", async () => {
    // Endpoints change every time, so each runtime has its own 21 KiB latency histograms: a chain
    // of runtimes (once: close()'s scope held the carried state) would grow the heap by ~40 MB.
    const metrics = new GatewayMetrics(["r"], ["up"]);
    const plans = [0, 1].map((n) => planFrom(withDefaults(`upstreams:\n  up: { endpoints: ["http://127.0.0.1:${9100 + n}", "http://127.0.0.1:9200"] }\nroutes:\n  - { name: r, match: { pathPrefix: / }, upstream: up, retry: true }\n`)));
    const sw = new RuntimeSwitch(plans[0]!, metrics, new FetchClient());
    const heap = () => {
      Bun.gc(true);
      return process.memoryUsage().heapUsed;
    };
    const swaps = (n: number) => {
      for (let i = 0; i < n; i++) {
        expect(sw.swap(plans[i % 2]!).ok).toBe(true);
        sw.retireDue(); // nothing in flight: closes the replaced runtime at once
      }
    };
    swaps(100);
    const before = heap();
    swaps(600);
    const grown = heap() - before;
    sw.close();
    expect(grown).toBeLessThan(5 * 2 ** 20);
  });
});

describe("samePlanValue", () => {
  test("plain data by value, anything else by identity", () => {
    const f = () => 1;
    const cases: [unknown, unknown, boolean][] = [
      [1, 1, true],
      [NaN, NaN, true],
      [1, "1", false],
      [null, undefined, false],
      [{ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] }, true],
      [{ a: 1 }, { a: 1, b: undefined }, false],
      [[1, 2], [2, 1], false],
      [new Map([["k", { v: 1 }]]), new Map([["k", { v: 1 }]]), true],
      [new Map([["k", 1]]), new Map([["k", 2]]), false],
      [f, f, true],
      [() => 1, () => 1, false],
      [new Date(0), new Date(0), false],
    ];
    for (const [a, b, want] of cases) expect({ a, b, same: samePlanValue(a, b) }).toEqual({ a, b, same: want });
  });

  test("a JSON value equals its deep copy and is symmetric (property)", () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), (a, b) => {
        expect(samePlanValue(a, structuredClone(a))).toBe(true);
        expect(samePlanValue(a, b)).toBe(samePlanValue(b, a));
      }),
    );
  });
});

describe("listener changes", () => {
  const plan = (head: string) => planFrom(head + "upstreams:\n  u: { endpoints: [\"http://127.0.0.1:1\"] }\nroutes:\n  - { name: r, match: { pathPrefix: / }, upstream: u }\n");
  const base = "listen: { port: 8080, host: 127.0.0.1 }\nadmin: { port: 9901, host: 127.0.0.1 }\nserver: { idleTimeout: 10s }\n";
  const CHANGES: [string, string, RegExp | null][] = [
    ["same", base, null],
    ["listen port", base.replace("8080", "8081"), /^listen: 127\.0\.0\.1:8080 → 127\.0\.0\.1:8081$/],
    ["listen host", base.replace("host: 127.0.0.1 }\nadmin", "host: 0.0.0.0 }\nadmin"), /^listen: /],
    ["admin port", base.replace("9901", "9902"), /^admin: 127\.0\.0\.1:9901 → 127\.0\.0\.1:9902$/],
    ["admin off", base.replace("admin: { port: 9901, host: 127.0.0.1 }", "admin: false"), /^admin: .* → off$/],
    ["idle timeout", base.replace("10s", "20s"), /^server\.idleTimeout: 10 s → 20 s$/],
  ];
  for (const [name, head, want] of CHANGES) {
    test(name, () => {
      const changes = listenerChanges(plan(base), plan(head));
      if (want === null) expect(changes).toEqual([]);
      else expect(changes).toEqual([expect.stringMatching(want)]);
    });
  }
});
