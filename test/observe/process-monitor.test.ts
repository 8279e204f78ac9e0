// Also the regression tests for the Bun behaviour process-monitor.ts relies on (see bun-notes.md).
import { afterEach, describe, expect, test } from "bun:test";
import { memoryUsage as jscMemoryUsage } from "bun:jsc";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { GatewayMetrics } from "../../src/observe/gateway-metrics.ts";
import { ProcessMonitor, startProcessMonitor } from "../../src/observe/process-monitor.ts";
import { PrometheusExposition } from "../../src/observe/prometheus.ts";
import { parseExposition, samplesOf } from "./parse-exposition.ts";

const monitors: ProcessMonitor[] = [];
afterEach(() => {
  for (const m of monitors.splice(0)) m.stop();
});

describe("Bun behaviour relied on", () => {
  test("perf_hooks.monitorEventLoopDelay records delays in nanoseconds", async () => {
    const h = monitorEventLoopDelay({ resolution: 10 });
    h.enable();
    await Bun.sleep(100);
    h.disable();
    expect(h.count).toBeGreaterThan(0);
    expect(h.max).toBeGreaterThan(0);
    expect(h.percentile(99)).toBeGreaterThanOrEqual(h.percentile(50));
  });

  test("bun:jsc memoryUsage has peak and mimalloc commit; process.memoryUsage has rss/heap", () => {
    const jsc = jscMemoryUsage();
    expect(jsc.peak).toBeGreaterThan(0);
    expect(jsc.currentCommit).toBeGreaterThan(0);
    const mem = process.memoryUsage();
    expect(mem.rss).toBeGreaterThan(0);
    expect(mem.heapUsed).toBeGreaterThan(0);
    // Bun's heapTotal can be below heapUsed (seen in a full test run): only its presence is relied on.
    expect(mem.heapTotal).toBeGreaterThan(0);
  });
});

describe("ProcessMonitor", () => {
  test("registers process and event-loop gauges that render and parse", async () => {
    const metrics = new GatewayMetrics(["a"], []);
    const monitor = startProcessMonitor(metrics, { lagResolutionMs: 10, lagWindowMs: 1 });
    monitors.push(monitor);
    await Bun.sleep(100);
    const families = parseExposition(new PrometheusExposition(metrics).render());
    expect(samplesOf(families, "keel_process_resident_memory_bytes")[0]!.value).toBeGreaterThan(0);
    expect(samplesOf(families, "keel_process_heap_bytes")[0]!.value).toBeGreaterThan(0);
    expect(samplesOf(families, "keel_process_heap_size_bytes")[0]!.value).toBeGreaterThan(0);
    expect(samplesOf(families, "keel_process_cpu_seconds_total")[0]!.value).toBeGreaterThan(0);
    expect(families.get("keel_process_heap_bytes")!.help).toContain("no GC count");
    const lag = samplesOf(families, "keel_event_loop_lag_seconds");
    expect(lag.map((s) => s.labels.quantile)).toEqual(["0.5", "0.99", "1"]);
    for (const s of lag) expect(s.value).toBeGreaterThanOrEqual(0);
    expect(lag[2]!.value).toBeGreaterThanOrEqual(lag[0]!.value);
  });

  test("lag quantiles hold the last complete window until the next one completes", async () => {
    let now = 0;
    const monitor = new ProcessMonitor({ lagResolutionMs: 10, lagWindowMs: 1000, now: () => now });
    monitors.push(monitor);
    await Bun.sleep(100);
    now = 1000; // window complete: snapshot, then reset
    monitor.sample();
    const held = [monitor.lagP50, monitor.lagP99, monitor.lagMax];
    expect(held.every((v) => v >= 0)).toBe(true);
    await Bun.sleep(100); // the live histogram fills again...
    now = 1999;
    monitor.sample();
    expect([monitor.lagP50, monitor.lagP99, monitor.lagMax]).toEqual(held); // ...but scrapes see the held window
  });
});
