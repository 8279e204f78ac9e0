// Circuit breaker of one upstream (BreakerPlan): refuses requests at once while the upstream fails,
// instead of letting each one wait for its own failure.
//
//   closed     everything passes. Outcomes are counted over the last windowMs (SlidingWindow, 10
//              slices); when the window has seen ≥ minRequests outcomes and failures ≥
//              failureRatio of them (and at least one), the breaker opens.
//   open       every allow() is refused ("fast refusal") for openMs; the first allow() after that
//              moves to half-open.
//   half-open  the first halfOpenProbes allow() calls are probes; the others are refused. All probes
//              succeed: closed, with an empty window. Any probe fails: open again, for openMs.
//
// A probe that never reports back (a caller bug, or a request hung longer than openMs) must not
// hold the breaker half-open forever: a round of probes expires openMs after it started, and the
// next allow() starts a new round. The breaker thus lets at most halfOpenProbes requests per openMs
// through a failing upstream, whether its probes fail or hang.
//
// Outcomes are matched to the period they belong to by `generation`, which changes with every
// state change: read it after allow() and pass it back to onSuccess()/onFailure(). A report from
// an older generation is ignored, so a slow request let through while closed cannot close a
// half-open breaker by succeeding late, nor a late probe of an expired round count in the next.
// Callers that omit it report into the current generation.
//
// The state moves from open to half-open lazily, in allow(): `state` may read "open" past openMs
// until the next request asks. No timer, nothing allocated.

import type { BreakerPlan } from "../types.ts";
import { SlidingWindow } from "../retry/sliding-window.ts";

export type BreakerState = "closed" | "open" | "half-open";

/** Gauge values of the state, ordered by severity. */
export const BREAKER_CLOSED = 0;
export const BREAKER_HALF_OPEN = 1;
export const BREAKER_OPEN = 2;

const STATE_NAMES: readonly BreakerState[] = ["closed", "half-open", "open"];

const REQUESTS = 0;
const FAILURES = 1;

export class CircuitBreaker {
  private readonly window: SlidingWindow;
  private readonly probes: number;
  private code = BREAKER_CLOSED;
  private gen = 0;
  /** When the breaker opened (open), or the current probe round started (half-open). */
  private since = 0;
  private probesStarted = 0;
  private probesSucceeded = 0;

  // Counters, for metrics; read-only for callers.
  /** Times the breaker opened (from closed or from half-open). */
  opened = 0;
  /** allow() calls refused: open, or half-open with every probe slot taken. */
  refused = 0;
  /** Probe rounds that expired with probes unreported. */
  probeRoundsExpired = 0;

  constructor(readonly plan: BreakerPlan) {
    this.window = new SlidingWindow(plan.windowMs, 2);
    this.probes = Math.max(1, Math.floor(plan.halfOpenProbes));
  }

  get state(): BreakerState {
    return STATE_NAMES[this.code]!;
  }

  /** BREAKER_CLOSED, BREAKER_HALF_OPEN or BREAKER_OPEN: the state as a gauge. */
  get stateCode(): number {
    return this.code;
  }

  /** Changes with every state change; pass it back with the outcome of a request allowed now. */
  get generation(): number {
    return this.gen;
  }

  /** May a request go to the upstream now? In half-open, true takes a probe slot. */
  allow(now: number): boolean {
    const code = this.code;
    if (code === BREAKER_CLOSED) return true;
    if (code === BREAKER_OPEN) {
      if (now - this.since < this.plan.openMs) {
        this.refused++;
        return false;
      }
      this.enter(BREAKER_HALF_OPEN, now);
    }
    if (this.probesStarted < this.probes) {
      this.probesStarted++;
      return true;
    }
    if (now - this.since >= this.plan.openMs) {
      // The round's probes never all reported: give up on them and start a new round.
      this.probeRoundsExpired++;
      this.enter(BREAKER_HALF_OPEN, now);
      this.probesStarted = 1;
      return true;
    }
    this.refused++;
    return false;
  }

  onSuccess(now: number, generation = this.gen): void {
    if (generation !== this.gen) return;
    if (this.code === BREAKER_CLOSED) {
      this.window.add(now, 1, REQUESTS);
      this.checkTrip(now);
    } else if (this.code === BREAKER_HALF_OPEN) {
      if (++this.probesSucceeded >= this.probes) {
        this.window.clear();
        this.enter(BREAKER_CLOSED, now);
      }
    }
  }

  onFailure(now: number, generation = this.gen): void {
    if (generation !== this.gen) return;
    if (this.code === BREAKER_CLOSED) {
      this.window.add(now, 1, REQUESTS);
      this.window.add(now, 1, FAILURES);
      this.checkTrip(now);
    } else if (this.code === BREAKER_HALF_OPEN) {
      this.open(now);
    }
  }

  /** Outcomes counted in the window (closed state; metrics, tests). */
  windowRequests(now: number): number {
    return this.window.sum(now, REQUESTS);
  }

  /** Failures counted in the window (closed state; metrics, tests). */
  windowFailures(now: number): number {
    return this.window.sum(now, FAILURES);
  }

  /** A success can trip it too: the one that brings the window up to minRequests. */
  private checkTrip(now: number): void {
    const requests = this.window.sum(now, REQUESTS);
    if (requests < this.plan.minRequests) return;
    const failures = this.window.sum(now, FAILURES);
    if (failures > 0 && failures >= this.plan.failureRatio * requests) this.open(now);
  }

  private open(now: number): void {
    this.opened++;
    this.enter(BREAKER_OPEN, now);
  }

  private enter(code: number, now: number): void {
    this.code = code;
    this.gen++;
    this.since = now;
    this.probesStarted = 0;
    this.probesSucceeded = 0;
  }
}
