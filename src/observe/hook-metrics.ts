// Time spent in user hooks, per route and hook: two counters (calls, seconds) per pair, added the
// first time a pair runs so routes that a reload adds are covered too.
import type { GatewayMetrics } from "./gateway-metrics.ts";

export class HookMetrics {
  private readonly rows = new Map<string, { calls: number; seconds: number }>();

  constructor(private readonly metrics: GatewayMetrics) {}

  hookTime(route: string, hook: "onRequest" | "onResponse", ms: number): void {
    const key = route + "\0" + hook;
    let row = this.rows.get(key);
    if (row === undefined) {
      const r = { calls: 0, seconds: 0 };
      row = r;
      this.rows.set(key, r);
      const labels = { route, hook };
      this.metrics.addCounter("keel_hook_calls_total", "Hook calls (onRequest, onResponse), failures included.", () => r.calls, labels);
      this.metrics.addCounter("keel_hook_seconds_total", "Time spent in hooks; it counts against the route budget.", () => r.seconds, labels);
    }
    row.calls++;
    row.seconds += ms / 1000;
  }
}
