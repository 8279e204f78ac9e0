// Process figures per sampling interval for the dashboard: event-loop lag (its own
// monitorEventLoopDelay, reset every sample, so each point is that interval's lag, not the
// /metrics 10 s window), JS heap and RSS, CPU use. About 10 µs per sample (memoryUsage, cpuUsage).
// No GC figures: Bun exposes no GC count or event (see process-monitor.ts).

import { monitorEventLoopDelay, type ELDHistogram } from "node:perf_hooks";

export class ProcessInterval {
  private readonly loop: ELDHistogram | null;
  private lastCpuMicros: number;
  private lastAt: number;

  /** ms; NaN when the interval had no lag sample (or the monitor is unavailable). */
  lagP99Ms = NaN;
  lagMaxMs = NaN;
  heapUsedBytes = 0;
  rssBytes = 0;
  /** Of one core, over the interval. */
  cpuPercent = NaN;

  constructor(
    lagResolutionMs: number,
    private readonly now: () => number,
  ) {
    let loop: ELDHistogram | null = null;
    try {
      loop = monitorEventLoopDelay({ resolution: lagResolutionMs });
      loop.enable();
    } catch {
      loop = null; // lag reads NaN rather than stop the gateway
    }
    this.loop = loop;
    this.lastCpuMicros = cpuMicros();
    this.lastAt = now();
  }

  sample(): void {
    const loop = this.loop;
    if (loop !== null && loop.count > 0) {
      this.lagMaxMs = loop.max / 1e6;
      // The percentile is a bucket's upper edge and may pass the max by a hair.
      this.lagP99Ms = Math.min(loop.percentile(99) / 1e6, this.lagMaxMs);
      loop.reset();
    } else {
      this.lagP99Ms = NaN;
      this.lagMaxMs = NaN;
    }
    const mem = process.memoryUsage();
    this.heapUsedBytes = mem.heapUsed;
    this.rssBytes = mem.rss;
    const cpu = cpuMicros();
    const at = this.now();
    const wallMicros = (at - this.lastAt) * 1000;
    this.cpuPercent = wallMicros > 0 ? ((cpu - this.lastCpuMicros) / wallMicros) * 100 : NaN;
    this.lastCpuMicros = cpu;
    this.lastAt = at;
  }

  stop(): void {
    this.loop?.disable();
  }
}

function cpuMicros(): number {
  const c = process.cpuUsage();
  return c.user + c.system;
}
