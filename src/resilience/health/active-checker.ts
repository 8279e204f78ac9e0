// Active health checks of one upstream (docs/resilience.md, "Endpoint health"): every intervalMs,
// GET plan.path on each endpoint (Host: its authority). unhealthyThreshold failures in a row mark
// a healthy endpoint unhealthy; healthyThreshold successes in a row bring it back.
//
// One unref'd interval per upstream, not one timer per endpoint; checks of different endpoints run
// concurrently, and an endpoint whose previous check is still out is skipped that round, so checks
// of one endpoint never overlap. The first round is jittered so that upstreams (and gateways
// restarted together) do not check in lockstep.
//
// Checks use Bun's fetch with `keepalive: false` and `Connection: close`: a fresh connection every
// time, never one of the proxy's pooled connections (those belong to Http1Client, or to fetch's own
// pool under fetch-client.ts), so a check measures "can a new connection get an answer" and never
// delays or poisons live traffic. AbortSignal.timeout bounds the wait for the response head; the
// body is discarded unread.

import type { EndpointPlan } from "../../config/plan.ts";
import type { HealthCheckPlan } from "../types.ts";
import type { EndpointHealth } from "./endpoint-health.ts";

export interface ActiveCheckerOptions {
  /** Largest random delay before the first round, ms; default min(intervalMs, 1000) / 2. */
  readonly firstCheckJitterMs?: number;
}

export class ActiveChecker {
  /** Checks started (a counter). */
  checksStarted = 0;

  private readonly urls: string[];
  private readonly inFlight: Uint8Array;
  private readonly okStreak: Uint32Array;
  private readonly failStreak: Uint32Array;
  private readonly stopper = new AbortController();
  private firstTimer: ReturnType<typeof setTimeout> | null = null;
  private timer: ReturnType<typeof setInterval> | null = null;
  private stopped = false;

  constructor(
    readonly health: EndpointHealth,
    readonly endpoints: readonly EndpointPlan[],
    readonly plan: HealthCheckPlan,
    options: ActiveCheckerOptions = {},
  ) {
    const n = Math.min(endpoints.length, health.size);
    this.urls = endpoints.slice(0, n).map((e) => `http://${e.host.includes(":") ? `[${e.host}]` : e.host}:${e.port}${plan.path}`);
    this.inFlight = new Uint8Array(n);
    this.okStreak = new Uint32Array(n);
    this.failStreak = new Uint32Array(n);
    health.onClose(this);
    if (this.stopped) return;
    const jitter = options.firstCheckJitterMs ?? Math.min(plan.intervalMs, 1000) / 2;
    this.firstTimer = setTimeout(startChecker, Math.random() * Math.max(0, jitter), this);
    (this.firstTimer as { unref?: () => void }).unref?.();
  }

  /** One round: check every endpoint whose previous check is done. Public for tests. */
  round(): void {
    for (let i = 0; i < this.urls.length; i++) {
      if (this.inFlight[i] === 1 || this.stopped) continue;
      this.inFlight[i] = 1;
      this.checksStarted++;
      void this.check(i);
    }
  }

  /** Count one check's outcome against the thresholds. Public for tests. */
  record(i: number, ok: boolean): void {
    if (this.stopped || i >= this.urls.length) return;
    const h = this.health;
    if (ok) {
      h.activeSuccesses++;
      this.failStreak[i] = 0;
      if (this.okStreak[i]! < this.plan.healthyThreshold) this.okStreak[i]!++;
      if (h.isUnhealthy(i) && this.okStreak[i]! >= this.plan.healthyThreshold) h.setUnhealthy(i, false);
    } else {
      h.activeFailures++;
      this.okStreak[i] = 0;
      if (this.failStreak[i]! < this.plan.unhealthyThreshold) this.failStreak[i]!++;
      if (!h.isUnhealthy(i) && this.failStreak[i]! >= this.plan.unhealthyThreshold) h.setUnhealthy(i, true);
    }
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.firstTimer !== null) clearTimeout(this.firstTimer);
    if (this.timer !== null) clearInterval(this.timer);
    this.firstTimer = this.timer = null;
    this.stopper.abort(); // checks still out end now and are not counted
  }

  /** @internal the first (jittered) round, then the interval */
  begin(): void {
    this.firstTimer = null;
    if (this.stopped) return;
    this.timer = setInterval(roundChecker, this.plan.intervalMs, this);
    (this.timer as { unref?: () => void }).unref?.();
    this.round();
  }

  private async check(i: number): Promise<void> {
    const ok = await probe(this.urls[i]!, this.endpoints[i]!.authority, this.plan, this.stopper.signal);
    this.inFlight[i] = 0;
    this.record(i, ok);
  }
}

/** One check: true when a response head with an expected status arrived in time. Never throws. */
async function probe(url: string, authority: string, plan: HealthCheckPlan, stop: AbortSignal): Promise<boolean> {
  try {
    const res = await fetch(url, {
      method: "GET",
      headers: { host: authority, connection: "close", "user-agent": "keel-health-check" },
      redirect: "manual",
      keepalive: false,
      signal: AbortSignal.any([AbortSignal.timeout(plan.timeoutMs), stop]),
    });
    res.body?.cancel().catch(ignore);
    return statusExpected(res.status, plan.expectStatus);
  } catch {
    return false;
  }
}

export function statusExpected(status: number, ranges: HealthCheckPlan["expectStatus"]): boolean {
  for (const [lo, hi] of ranges) if (status >= lo && status <= hi) return true;
  return false;
}

function ignore(): void {}

function startChecker(c: ActiveChecker): void {
  c.begin();
}

function roundChecker(c: ActiveChecker): void {
  c.round();
}
