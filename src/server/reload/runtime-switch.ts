// The runtime in force and its replacement on reload: build the new runtime with what it may
// keep (carry-over.ts), swap (the request handler's runtime() returns the new one from the next
// request on; requests in flight keep theirs), re-register the plan's metrics, and close the old
// runtime's leftovers once no request can still use it: when nothing is in flight, or at the
// latest after the longest route timeout of its plan (no request outlives that with its runtime).

import type { Plan } from "../../config/plan.ts";
import type { GatewayMetrics } from "../../observe/gateway-metrics.ts";
import { buildRuntime, type GatewayRuntime } from "../../pipeline/gateway-runtime.ts";
import type { UpstreamClient } from "../../upstream/client.ts";
import { carryOver, summarizeCarry, type CarrySummary } from "./carry-over.ts";
import { registerPlanMetrics } from "./plan-metrics.ts";
import { retireRuntime } from "./retire.ts";

export type SwapResult = { ok: true; generation: number; carried: CarrySummary } | { ok: false; error: string };

/** How often replaced runtimes are looked at for closing. */
const RETIRE_CHECK_MS = 1000;
/** Beyond the longest route timeout: timers and hedge losers settle within this. */
const RETIRE_SLACK_MS = 1000;

interface Retiring {
  readonly rt: GatewayRuntime;
  /** performance.now() after which no request can still use it. */
  readonly at: number;
}

export class RuntimeSwitch {
  /** Successful swaps so far (0 = the plan the process started with). */
  generation = 0;
  private rt: GatewayRuntime;
  private readonly retiring: Retiring[] = [];
  private timer: ReturnType<typeof setInterval> | null = null;

  constructor(
    plan: Plan,
    private readonly metrics: GatewayMetrics,
    private readonly client: UpstreamClient,
    /** The share of each local rate limit this process enforces (1/N of N workers). */
    private readonly localRateScale = 1,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.rt = buildRuntime(plan, null, localRateScale);
    registerPlanMetrics(metrics, client, () => this.rt);
    metrics.addGauge("keel_reload_retiring_runtimes", "Runtimes replaced by a reload whose leftover state (timers, connections to Redis) is not closed yet: requests may still use them.", () => this.retiring.length);
  }

  get current(): GatewayRuntime {
    return this.rt;
  }

  /** Runtimes a reload replaced that are not closed yet. */
  get retiringCount(): number {
    return this.retiring.length;
  }

  /** Puts `plan` in force. Never throws: a failure to build leaves the old runtime in force. */
  swap(plan: Plan): SwapResult {
    const old = this.rt;
    let next: GatewayRuntime;
    let summary: CarrySummary;
    try {
      const carried = carryOver(old, plan);
      summary = summarizeCarry(carried);
      next = buildRuntime(plan, carried, this.localRateScale);
    } catch (err) {
      // A bug in Keel, not in the config (the plan passed validation).
      return { ok: false, error: `internal error while building the new runtime: ${String(err)}` };
    }
    this.metrics.usePlanNames(
      plan.routes.map((r) => r.name),
      next.upstreams.map((u) => u.plan.name),
    );
    this.rt = next;
    this.generation++;
    registerPlanMetrics(this.metrics, this.client, () => this.rt);
    this.retiring.push({ rt: old, at: this.now() + lifetimeMs(old.plan) });
    if (this.timer === null) {
      this.timer = setInterval(checkSwitch, RETIRE_CHECK_MS, this);
      (this.timer as { unref?: () => void }).unref?.();
    }
    return { ok: true, generation: this.generation, carried: summary };
  }

  /** @internal the timer's call (tests call it with their own clock) */
  retireDue(): void {
    const idle = this.metrics.inFlight === 0;
    const now = this.now();
    for (let i = 0; i < this.retiring.length; ) {
      const r = this.retiring[i]!;
      if (idle || now >= r.at) {
        this.retiring.splice(i, 1);
        retireRuntime(r.rt, [this.rt, ...this.retiring.map((x) => x.rt)]);
      } else {
        i++;
      }
    }
    if (this.retiring.length === 0 && this.timer !== null) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }

  /** Shutdown: closes the runtime in force and every replaced one. */
  close(): void {
    for (const r of this.retiring.splice(0)) retireRuntime(r.rt, [this.rt]);
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.rt.close();
  }
}

function checkSwitch(s: RuntimeSwitch): void {
  s.retireDue();
}

/** The longest a request can use a runtime of this plan: its longest route timeout or budget. */
function lifetimeMs(plan: Plan): number {
  let most = 0;
  for (const r of plan.routes) most = Math.max(most, r.timeoutMs, r.budgetMs ?? 0);
  return most + RETIRE_SLACK_MS;
}
