// Process-level gauges: memory, CPU, event-loop lag. The one Bun-specific file in observe/.
//
// What Bun 1.4 offers (checked): perf_hooks.monitorEventLoopDelay works (ns, native timer, does not
// keep the process alive); process.memoryUsage() (~9 µs) and bun:jsc memoryUsage() (~23 µs: peak RSS,
// mimalloc commit) are cheap enough per scrape. bun:jsc heapStats() walks the whole heap (~5 ms
// here) and is never called. There is no GC count and no GC event: PerformanceObserver has no "gc"
// entry type, and heapSize() also moves when ArrayBuffers are allocated, so it cannot stand in for one.

import { memoryUsage as jscMemoryUsage } from "bun:jsc";
import { monitorEventLoopDelay, type ELDHistogram } from "node:perf_hooks";
import type { GatewayMetrics } from "./gateway-metrics.ts";

export interface ProcessMonitorOptions {
  /** Event-loop sampling period, ms (the monitor's own native timer). */
  readonly lagResolutionMs?: number;
  /** Lag quantiles describe the last complete window of at least this long. */
  readonly lagWindowMs?: number;
  /** Monotonic ms clock; tests pass their own. */
  readonly now?: () => number;
}

const NO_GC_NOTE = " Bun exposes no GC count or GC events, so only heap sizes are reported.";

export class ProcessMonitor {
  private readonly loop: ELDHistogram | null;
  private readonly windowMs: number;
  private readonly now: () => number;
  private windowStart: number;
  private lagComplete = false;

  rss = 0;
  rssPeak = 0;
  heapUsed = 0;
  heapTotal = 0;
  nativeCommitted = 0;
  cpuSeconds = 0;
  lagP50 = NaN;
  lagP99 = NaN;
  lagMax = NaN;

  constructor(opts: ProcessMonitorOptions = {}) {
    this.windowMs = opts.lagWindowMs ?? 10_000;
    this.now = opts.now ?? (() => performance.now());
    this.windowStart = this.now();
    let loop: ELDHistogram | null = null;
    try {
      loop = monitorEventLoopDelay({ resolution: opts.lagResolutionMs ?? 20 });
      loop.enable();
    } catch {
      loop = null; // lag gauges then read NaN rather than stop the gateway
    }
    this.loop = loop;
  }

  /** One snapshot per scrape; the gauges below read its fields. */
  sample(): void {
    const mem = process.memoryUsage();
    this.rss = mem.rss;
    this.heapUsed = mem.heapUsed;
    this.heapTotal = mem.heapTotal;
    const jsc = jscMemoryUsage();
    this.rssPeak = jsc.peak;
    this.nativeCommitted = jsc.currentCommit;
    const cpu = process.cpuUsage();
    this.cpuSeconds = (cpu.user + cpu.system) / 1e6;
    this.sampleLag(this.now());
  }

  // Windows rotate when a scrape finds the current one complete, so several scrapers see the same
  // numbers and nobody's scrape shortens anyone else's window. Before the first window completes,
  // the partial one is shown.
  private sampleLag(now: number): void {
    const loop = this.loop;
    if (loop === null) return;
    const elapsed = now - this.windowStart >= this.windowMs;
    if (this.lagComplete && !elapsed) return;
    if (loop.count > 0) {
      this.lagP50 = loop.percentile(50) / 1e9;
      this.lagP99 = loop.percentile(99) / 1e9;
      this.lagMax = loop.max / 1e9;
    }
    if (elapsed) {
      loop.reset();
      this.windowStart = now;
      this.lagComplete = true;
    }
  }

  register(metrics: GatewayMetrics): void {
    metrics.onScrape(() => this.sample());
    metrics.addGauge("keel_process_resident_memory_bytes", "Resident set size (process.memoryUsage().rss); includes memory outside the JS heap.", () => this.rss);
    metrics.addGauge("keel_process_resident_memory_peak_bytes", "Highest resident set size since start (bun:jsc memoryUsage().peak).", () => this.rssPeak);
    metrics.addGauge("keel_process_native_committed_bytes", "Memory committed by mimalloc, Bun's allocator outside the JS heap (bun:jsc memoryUsage().currentCommit).", () => this.nativeCommitted);
    metrics.addGauge("keel_process_heap_bytes", "JS heap in use (process.memoryUsage().heapUsed)." + NO_GC_NOTE, () => this.heapUsed);
    metrics.addGauge("keel_process_heap_size_bytes", "JS heap reserved (process.memoryUsage().heapTotal)." + NO_GC_NOTE, () => this.heapTotal);
    metrics.addCounter("keel_process_cpu_seconds_total", "User plus system CPU time (process.cpuUsage()).", () => this.cpuSeconds);
    metrics.addGauge("keel_process_start_time_seconds", "Process start, Unix time.", () => Math.floor(performance.timeOrigin) / 1000);
    const lagHelp = "Event-loop delay over the last complete window of at least the configured length (perf_hooks.monitorEventLoopDelay); quantile=\"1\" is the max.";
    metrics.addGauge("keel_event_loop_lag_seconds", lagHelp, () => this.lagP50, { quantile: "0.5" });
    metrics.addGauge("keel_event_loop_lag_seconds", lagHelp, () => this.lagP99, { quantile: "0.99" });
    metrics.addGauge("keel_event_loop_lag_seconds", lagHelp, () => this.lagMax, { quantile: "1" });
  }

  stop(): void {
    this.loop?.disable();
  }
}

/** A monitor whose gauges are registered on `metrics`; call stop() on shutdown. */
export function startProcessMonitor(metrics: GatewayMetrics, opts: ProcessMonitorOptions = {}): ProcessMonitor {
  const monitor = new ProcessMonitor(opts);
  monitor.register(metrics);
  return monitor;
}
