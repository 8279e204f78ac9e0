// Passive outlier ejection (docs/resilience.md, "Endpoint health"): live traffic reports each
// attempt's outcome; `consecutiveFailures` in a row eject the endpoint for
// baseEjectionMs × 2^level (capped at maxEjectionMs), where level counts its recent ejections.
//
// Rules:
//  - Cap: at most max(1, floor(N × maxEjectedPercent / 100)) endpoints ejected at once, 0 when
//    maxEjectedPercent is 0. Rounding down keeps the share a true ceiling; the floor of 1 lets a
//    small upstream (N < 100 / percent) still drop its one bad endpoint. A refused ejection keeps
//    the streak at the threshold, so the next failure tries again once there is room.
//  - Decay: the level halves for every full maxEjectionMs the endpoint spends un-ejected; applied
//    when it is next ejected (O(1), no timer).
//  - Ending: a coarse interval (only while something is ejected, unref'd) un-ejects endpoints
//    whose time is up; reports for an endpoint past its time un-eject it at once too.
// Reports are O(1) and allocate nothing. Failures reported while ejected (requests already in
// flight) neither extend the ejection nor count towards the next one.

import type { OutlierPlan } from "../types.ts";

/** How often ended ejections are looked for while something is ejected. */
export const UNEJECT_SWEEP_MS = 50;

export interface OutlierOwner {
  /** Endpoint i was ejected (true) or came back (false). */
  onEjectChange(i: number, ejected: boolean): void;
}

export class OutlierDetector {
  /** Ejections so far (a counter). */
  ejections = 0;
  /** Ejections refused because the cap on ejected endpoints was reached (a counter). */
  ejectionsCapped = 0;
  /** Endpoints ejected right now. */
  ejectedCount = 0;
  /** Most endpoints that may be ejected at once. */
  readonly maxEjected: number;

  private readonly streak: Uint32Array;
  private readonly level: Uint8Array;
  private readonly ejected: Uint8Array;
  private readonly until: Float64Array;
  /** When the endpoint last came back (the start of its decay time). */
  private readonly backAt: Float64Array;
  /** Level at which the ejection time has reached maxEjectionMs; never counted higher. */
  private readonly maxLevel: number;
  private nextEndAt = Infinity;
  private timer: ReturnType<typeof setInterval> | null = null;
  private closed = false;

  constructor(
    readonly plan: OutlierPlan,
    readonly size: number,
    private readonly owner: OutlierOwner,
    private readonly clock: () => number = () => performance.now(),
    private readonly sweepMs: number = UNEJECT_SWEEP_MS,
  ) {
    this.streak = new Uint32Array(size);
    this.level = new Uint8Array(size);
    this.ejected = new Uint8Array(size);
    this.until = new Float64Array(size);
    this.backAt = new Float64Array(size);
    this.maxEjected = plan.maxEjectedPercent <= 0 ? 0 : Math.max(1, Math.floor((size * Math.min(100, plan.maxEjectedPercent)) / 100));
    const ratio = plan.baseEjectionMs > 0 ? plan.maxEjectionMs / plan.baseEjectionMs : 1;
    this.maxLevel = ratio <= 1 ? 0 : Math.min(52, Math.ceil(Math.log2(ratio)));
  }

  isEjected(i: number): boolean {
    return this.ejected[i] === 1;
  }

  /** When endpoint i's ejection ends (clock ms), or 0 when it is not ejected. */
  ejectedUntil(i: number): number {
    return this.ejected[i] === 1 ? this.until[i]! : 0;
  }

  /** Ejections counted against endpoint i's next ejection time (before decay). */
  levelOf(i: number): number {
    return this.level[i]!;
  }

  success(i: number, now: number): void {
    if (this.ejected[i] === 1) {
      if (now < this.until[i]!) return;
      this.uneject(i, now);
    }
    this.streak[i] = 0;
  }

  failure(i: number, now: number): void {
    if (this.closed || i >= this.size) return;
    if (this.ejected[i] === 1) {
      if (now < this.until[i]!) return;
      this.uneject(i, now);
    }
    const threshold = this.plan.consecutiveFailures;
    if (this.streak[i]! < threshold) this.streak[i]!++;
    if (this.streak[i]! < threshold) return;
    if (this.ejectedCount >= this.maxEjected) {
      this.ejectionsCapped++;
      return;
    }
    this.eject(i, now);
  }

  /** Un-eject every endpoint whose time is up. Called by the interval; public for tests. */
  sweep(now: number = this.clock()): void {
    if (now < this.nextEndAt) return;
    let next = Infinity;
    for (let i = 0; i < this.size; i++) {
      if (this.ejected[i] !== 1) continue;
      if (now >= this.until[i]!) this.uneject(i, now);
      else if (this.until[i]! < next) next = this.until[i]!;
    }
    this.nextEndAt = next;
    if (this.ejectedCount === 0) this.stopSweep();
  }

  close(): void {
    this.closed = true;
    this.stopSweep();
  }

  private eject(i: number, now: number): void {
    const p = this.plan;
    let level = this.level[i]!;
    if (level > 0 && p.maxEjectionMs > 0) {
      const halvings = Math.floor((now - this.backAt[i]!) / p.maxEjectionMs);
      level = halvings >= 8 ? 0 : level >> halvings;
    }
    const ms = Math.min(p.maxEjectionMs, p.baseEjectionMs * 2 ** level);
    this.level[i] = Math.min(level + 1, this.maxLevel);
    this.ejected[i] = 1;
    this.until[i] = now + ms;
    this.streak[i] = 0;
    this.ejectedCount++;
    this.ejections++;
    if (now + ms < this.nextEndAt) this.nextEndAt = now + ms;
    this.startSweep();
    this.owner.onEjectChange(i, true);
  }

  private uneject(i: number, now: number): void {
    this.ejected[i] = 0;
    this.streak[i] = 0;
    this.backAt[i] = now;
    this.ejectedCount--;
    this.owner.onEjectChange(i, false);
  }

  private startSweep(): void {
    if (this.timer !== null || this.closed) return;
    this.timer = setInterval(sweepDetector, this.sweepMs, this);
    // Ejections alone must not keep the process alive.
    (this.timer as { unref?: () => void }).unref?.();
  }

  private stopSweep(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.nextEndAt = Infinity;
  }
}

function sweepDetector(d: OutlierDetector): void {
  d.sweep();
}
