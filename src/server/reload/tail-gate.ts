// The tail gate of a reload: the proxy's p99 and p99.9 over the window before the swap and the
// window after it, as gauges of the last reload and one log line when the after-window closes.
// The verdict is "ok" while the after-window's p99 stays within max(1.25 × before, before + 1 ms);
// with fewer than MIN_REQUESTS requests in either window there is no verdict (too noisy).

import type { GatewayMetrics } from "../../observe/gateway-metrics.ts";
import { ProxyLatencyRing, tailBetween, type LatencySum, type WindowTail } from "./proxy-latency-ring.ts";

export const DEFAULT_TAIL_WINDOW_MS = 10_000;
const MIN_REQUESTS = 100;
const P99_RATIO = 1.25;
const P99_SLACK_S = 0.001;

export type TailVerdict = "ok" | "worse" | "too few requests";

export interface TailGateRecord {
  readonly reload: number;
  readonly before: WindowTail;
  readonly after: WindowTail;
  readonly verdict: TailVerdict;
}

const EMPTY: WindowTail = { requests: 0, p99: NaN, p999: NaN };

export function tailVerdict(before: WindowTail, after: WindowTail): TailVerdict {
  if (before.requests < MIN_REQUESTS || after.requests < MIN_REQUESTS) return "too few requests";
  return after.p99 <= Math.max(before.p99 * P99_RATIO, before.p99 + P99_SLACK_S) ? "ok" : "worse";
}

export interface TailGateOptions {
  readonly windowMs?: number;
  /** One line per closed gate (default console.log). */
  readonly log?: (line: string) => void;
  /** Called with each closed gate (tests, the worker reporting to its supervisor). */
  readonly onClosed?: (r: TailGateRecord) => void;
  /** Prefix of the log line, e.g. "worker 1: ". */
  readonly prefix?: string;
}

export class TailGate {
  readonly windowMs: number;
  private readonly ring: ProxyLatencyRing;
  private readonly pending = new Set<ReturnType<typeof setTimeout>>();
  private lastReload = 0;
  private before: WindowTail = EMPTY;
  private after: WindowTail = EMPTY;
  private verdict: TailVerdict | null = null;

  constructor(metrics: GatewayMetrics, private readonly opts: TailGateOptions = {}) {
    this.windowMs = opts.windowMs ?? DEFAULT_TAIL_WINDOW_MS;
    this.ring = new ProxyLatencyRing(metrics, this.windowMs, Math.min(1000, Math.max(50, this.windowMs / 10)));
    this.ring.start();
    for (const [window, read] of [
      ["before", () => this.before],
      ["after", () => this.after],
    ] as const) {
      metrics.addGauge("keel_reload_p99_seconds", "The proxy's p99 latency (all routes) in the window before / after the last reload (NaN until the after-window closes, or without requests).", () => read().p99, { window });
      metrics.addGauge("keel_reload_p999_seconds", "The proxy's p99.9 latency (all routes) in the window before / after the last reload.", () => read().p999, { window });
      metrics.addGauge("keel_reload_window_requests", "Requests finished in the window before / after the last reload.", () => read().requests, { window });
    }
    metrics.addGauge("keel_reload_tail_ok", "Tail gate of the last reload: 1 when the after-window's p99 stayed within max(1.25 × before, before + 1 ms), 0 when not, NaN before it closes or with < 100 requests in a window.", () => (this.verdict === "ok" ? 1 : this.verdict === "worse" ? 0 : NaN));
  }

  /** A reload just swapped the plan: measure the window before now, and the one after when it closes. */
  open(reload: number): void {
    const start = this.ring.sumNow();
    const before = tailBetween(this.ring.sumWindowAgo(), start);
    this.lastReload = reload;
    this.before = before;
    this.after = EMPTY;
    this.verdict = null;
    const t = setTimeout(() => {
      this.pending.delete(t);
      this.closeGate(reload, before, start);
    }, this.windowMs);
    (t as { unref?: () => void }).unref?.();
    this.pending.add(t);
  }

  private closeGate(reload: number, before: WindowTail, start: LatencySum): void {
    const after = tailBetween(start, this.ring.sumNow());
    const verdict = tailVerdict(before, after);
    if (reload === this.lastReload) {
      this.after = after;
      this.verdict = verdict;
    }
    const seconds = (this.windowMs / 1000).toLocaleString("en-US");
    (this.opts.log ?? console.log)(
      `keel: ${this.opts.prefix ?? ""}reload ${reload} tail gate (${seconds} s before / after): ` +
        `p99 ${ms(before.p99)} → ${ms(after.p99)} ms, p99.9 ${ms(before.p999)} → ${ms(after.p999)} ms, ` +
        `${before.requests} / ${after.requests} requests: ${verdict}`,
    );
    this.opts.onClosed?.({ reload, before, after, verdict });
  }

  stop(): void {
    for (const t of this.pending) clearTimeout(t);
    this.pending.clear();
    this.ring.stop();
  }
}

function ms(seconds: number): string {
  if (Number.isNaN(seconds)) return "n/a";
  const v = seconds * 1000;
  return v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : v.toFixed(0);
}
