// Health of one upstream's endpoints: the active checks' verdict and passive outlier ejection,
// folded into `available` (1 = may receive traffic), which balancers read on every pick. It is
// updated whenever either verdict changes, so reading it is one typed-array load.
//
// Start state: every endpoint starts healthy. Keel's endpoints come from static config, so
// starting unhealthy-until-checked (Envoy's rule for hosts joining by discovery) would 503 every
// upstream at boot and on each reload until the first (jittered) round of checks; a dead endpoint
// is instead caught within its first few requests by outlier ejection, and by the checks soon after.

import type { OutlierPlan } from "../types.ts";
import { OutlierDetector, type OutlierOwner } from "./outlier-detector.ts";

export type EndpointState = "healthy" | "unhealthy" | "ejected";

export interface EndpointHealthOptions {
  /** Clock for the un-ejection sweep (the request path passes its own `now`). */
  readonly clock?: () => number;
  readonly sweepMs?: number;
}

export class EndpointHealth implements OutlierOwner {
  /** 1 = endpoint i may receive traffic (not unhealthy by checks, not ejected). */
  readonly available: Uint8Array;
  /** Active checks that failed / succeeded (counters, bumped by the checker). */
  activeFailures = 0;
  activeSuccesses = 0;

  private readonly unhealthy: Uint8Array;
  private readonly outlier: OutlierDetector | null;
  private availableCount: number;
  private unhealthyTotal = 0;
  private readonly stoppers: { stop(): void }[] = [];
  private closed = false;

  constructor(
    readonly size: number,
    outlier: OutlierPlan | null,
    options: EndpointHealthOptions = {},
  ) {
    this.available = new Uint8Array(size).fill(1);
    this.unhealthy = new Uint8Array(size);
    this.availableCount = size;
    this.outlier = outlier === null ? null : new OutlierDetector(outlier, size, this, options.clock, options.sweepMs);
  }

  // --- the request path: O(1), no allocation ----------------------------------------------

  /** Attempt on endpoint i got a response the caller counts as good. */
  reportSuccess(i: number, now: number): void {
    if (this.outlier !== null && !this.closed) this.outlier.success(i, now);
  }

  /** Attempt on endpoint i failed (connect failure, reset, 5xx: the caller decides). */
  reportFailure(i: number, now: number): void {
    if (this.outlier !== null && !this.closed) this.outlier.failure(i, now);
  }

  // --- the active checker -----------------------------------------------------------------

  /** Set by the active checker when a threshold is crossed. */
  setUnhealthy(i: number, unhealthy: boolean): void {
    if (i < 0 || i >= this.size || (this.unhealthy[i] === 1) === unhealthy) return;
    this.unhealthy[i] = unhealthy ? 1 : 0;
    this.unhealthyTotal += unhealthy ? 1 : -1;
    this.refresh(i);
  }

  isUnhealthy(i: number): boolean {
    return this.unhealthy[i] === 1;
  }

  /** Stopped by close() (the active checker registers itself here). */
  onClose(s: { stop(): void }): void {
    if (this.closed) s.stop();
    else this.stoppers.push(s);
  }

  // --- metrics and /readyz ----------------------------------------------------------------

  /** An endpoint failing its checks shows "unhealthy" even if it is also ejected. */
  state(i: number): EndpointState {
    if (this.unhealthy[i] === 1) return "unhealthy";
    if (this.outlier !== null && this.outlier.isEjected(i)) return "ejected";
    return "healthy";
  }

  /** Endpoints that may receive traffic now (= count of "healthy"). */
  get healthyCount(): number {
    return this.availableCount;
  }

  /** Endpoints marked unhealthy by active checks (ejected or not). */
  get unhealthyCount(): number {
    return this.unhealthyTotal;
  }

  /** Endpoints ejected right now (unhealthy or not). */
  get ejectedCount(): number {
    return this.outlier?.ejectedCount ?? 0;
  }

  /** Outlier ejections so far (a counter). */
  get ejections(): number {
    return this.outlier?.ejections ?? 0;
  }

  /** Ejections refused by maxEjectedPercent (a counter). */
  get ejectionsCapped(): number {
    return this.outlier?.ejectionsCapped ?? 0;
  }

  /** When endpoint i's ejection ends (performance.now() ms), 0 when not ejected. */
  ejectedUntil(i: number): number {
    return this.outlier?.ejectedUntil(i) ?? 0;
  }

  /** The outlier detector (null when ejection is off); for tests and detail views. */
  get detector(): OutlierDetector | null {
    return this.outlier;
  }

  /** Stops the un-ejection sweep and any attached checker; later reports are ignored. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.outlier?.close();
    for (const s of this.stoppers) s.stop();
    this.stoppers.length = 0;
  }

  // --- OutlierOwner -----------------------------------------------------------------------

  onEjectChange(i: number): void {
    this.refresh(i);
  }

  private refresh(i: number): void {
    const a = this.unhealthy[i] === 0 && (this.outlier === null || !this.outlier.isEjected(i)) ? 1 : 0;
    if (a === this.available[i]) return;
    this.available[i] = a;
    this.availableCount += a === 1 ? 1 : -1;
  }
}
