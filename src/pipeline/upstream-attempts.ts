// The upstream phase's attempts (docs/resilience.md): the first attempt, retries to another
// endpoint after a connect failure, a reset or a listed status (within the upstream's retry budget
// and the request's deadline), and one hedge to another endpoint when the first attempt is slower
// than the route's recent percentile (within the route's hedge budget). The first usable answer
// wins; the loser is cancelled, so the backend sees the abort.
//
// Every attempt reports its outcome to the endpoint's health (outlier ejection), the upstream's
// breaker and the per-endpoint latency histogram. A request with a body gets exactly one attempt:
// its body streams once and cannot be replayed.

import type { EndpointPlan } from "../config/plan.ts";
import type { ErrorCode, Failure } from "../errors.ts";
import { isIdempotent, shouldRetry, type AttemptFailure } from "../resilience/retry/retry-policy.ts";
import type { UpstreamClient, UpstreamResponse, UpstreamResult } from "../upstream/client.ts";
import { ExchangeWatch, WatchedExchange, type BodyFailureSink } from "./exchange-watch.ts";
import type { RouteRuntime, UpstreamRuntime } from "./gateway-runtime.ts";
import { HedgeEntry, type HedgeTimer } from "./hedge-timer.ts";

export interface AttemptDeps {
  readonly client: UpstreamClient;
  readonly watch: ExchangeWatch;
  readonly hedgeTimer: HedgeTimer;
  readonly sink: BodyFailureSink;
}

/** What the request sends; `headers[1]` is the Host value, rewritten per endpoint. */
export interface OutgoingRequest {
  readonly method: string;
  readonly target: string;
  readonly headers: string[];
  /** Set after begin() when the request has a body (wrapped by the upload guard). */
  body: ReadableStream<Uint8Array> | null;
  bodyLength: number;
  /** > 0: the response body is wanted whole, as bytes, up to this size (see UpstreamRequest.bufferBody). */
  readonly bufferBody?: number;
  /** Where the budget header's value sits in `headers` (-1: the route has no budget), and the budget's end. */
  readonly budgetIndex: number;
  readonly budgetAt: number;
}

export type AttemptsOutcome =
  | { readonly ok: true; readonly response: UpstreamResponse; readonly endpoint: number }
  | { readonly ok: false; readonly failure: Failure; readonly endpoint: number };

/** One attempt: its own cancel handle in the shared watch (deadline, client gone, lost race). */
export class Attempt extends WatchedExchange {
  /** Set when it has completed (result known). */
  done = false;
  constructor(
    req: Request,
    startedAt: number,
    deadline: number,
    sink: BodyFailureSink,
    upstream: string,
    readonly endpoint: number,
    readonly number: number,
    readonly isHedge: boolean,
  ) {
    super(req, startedAt, deadline, sink, upstream);
  }
}

const NO_ENDPOINT: Failure = { code: "KEEL_NO_HEALTHY_ENDPOINT", detail: "" };

/** Failures that count against an endpoint's health and the breaker (the client leaving does not). */
export function isEndpointFailure(code: ErrorCode): boolean {
  return code !== "KEEL_CLIENT_CLOSED" && code !== "KEEL_INTERNAL" && code !== "KEEL_REQUEST_BODY_TOO_LARGE";
}

/** How a failed attempt reads to the retry policy; null = never retried. */
function retryOutcome(r: UpstreamResult): AttemptFailure | null {
  if (r.ok) return { kind: "status", status: r.response.status };
  switch (r.failure.code) {
    case "KEEL_UPSTREAM_CONNECT_REFUSED":
    case "KEEL_UPSTREAM_UNREACHABLE":
    case "KEEL_UPSTREAM_CONNECT_TIMEOUT":
      return CONNECT_FAILURE;
    case "KEEL_UPSTREAM_RESET":
      return RESET;
    default:
      return null;
  }
}
const CONNECT_FAILURE: AttemptFailure = { kind: "connect-failure" };
const RESET: AttemptFailure = { kind: "reset" };

/** Retries by reason, for metrics: index 0 connect-failure, 1 reset, 2 status. */
export const RETRY_REASONS = ["connect-failure", "reset", "status"] as const;

/**
 * Runs the attempts of one request. A fresh object per request that reaches the upstream phase;
 * when the route neither retries nor hedges, run() is one attempt and one await.
 */
export class UpstreamAttempts extends HedgeEntry {
  private started = 0;
  private inFlight = 0;
  private first: Attempt | null = null;
  private hedge: Attempt | null = null;
  private settled = false;
  private resolve: ((o: AttemptsOutcome) => void) | null = null;
  /** The breaker's generation when this request was let through (late reports of an old one are ignored). */
  private breakerGen = 0;

  constructor(
    private readonly deps: AttemptDeps,
    private readonly req: Request,
    private readonly route: RouteRuntime,
    private readonly up: UpstreamRuntime,
    private readonly out: OutgoingRequest,
    /** Hash key for `balance: { hash }` ("" otherwise). */
    private readonly key: string,
    private readonly requestStart: number,
    private readonly deadline: number,
  ) {
    super();
  }

  /** The request as it will be sent; the caller sets the body after begin(). */
  get outgoing(): OutgoingRequest {
    return this.out;
  }

  /** The first attempt's watch entry, for the upload guard (bodies go with the first attempt only). */
  get firstAttempt(): Attempt | null {
    return this.first;
  }

  /**
   * Prepares the first attempt (an endpoint picked, the budgets told); returns null, or the
   * failure to answer when the breaker or the endpoints' health refuse before anything is sent.
   */
  begin(now: number): Failure | null {
    const up = this.up;
    if (up.breaker !== null) {
      if (!up.breaker.allow(now)) return { code: "KEEL_CIRCUIT_OPEN", detail: `circuit breaker of upstream "${up.plan.name}" is open (failure ratio over ${up.breaker.plan.failureRatio} in the last ${up.breaker.plan.windowMs} ms)` };
      this.breakerGen = up.breaker.generation;
    }
    const ei = up.balancer.pick(this.key, -1);
    if (ei < 0) return { ...NO_ENDPOINT, detail: `upstream "${up.plan.name}" has no healthy endpoint (${up.plan.endpoints.length} configured, all unhealthy or ejected)` };
    // Only requests that may retry earn retries (the budget is a share of them).
    if (this.route.plan.retry !== null) up.retryBudget.onRequest(now);
    this.route.hedgeBudget?.onRequest();
    this.first = this.newAttempt(ei, now, false);
    return null;
  }

  /**
   * True when the route neither retries nor hedges this request: one attempt, which the caller
   * sends with dispatch() / undispatch() / single() and awaits itself (no extra async frame).
   */
  get isSingle(): boolean {
    return !this.canHedge() && this.route.plan.retry === null;
  }

  private canHedge(): boolean {
    return this.route.hedge !== null && this.out.body === null && isIdempotent(this.out.method) && this.up.plan.endpoints.length > 1;
  }

  /** Sends the first attempt (after begin()) with retries and hedging; resolves with the answer to give. */
  run(): Promise<AttemptsOutcome> {
    const first = this.first!;
    const canHedge = this.canHedge();
    return new Promise<AttemptsOutcome>((resolve) => {
      this.resolve = resolve;
      this.send(first);
      if (canHedge) {
        const now = performance.now();
        const after = this.route.hedge!.thresholdMs(now);
        if (after !== Infinity && now + after < this.deadline) this.deps.hedgeTimer.schedule(this, first.startedAt + after);
      }
    });
  }

  /** The single attempt's outcome, once the caller has its result: reported and recorded. */
  single(a: Attempt, result: UpstreamResult): AttemptsOutcome {
    this.started++;
    this.report(a, result);
    this.recordWinner(result);
    return result.ok ? { ok: true, response: result.response, endpoint: a.endpoint } : { ok: false, failure: result.failure, endpoint: a.endpoint };
  }

  /** Hedge timer: the first attempt is still out past the route's percentile. */
  fire(): void {
    const first = this.first;
    if (this.settled || first === null || first.done || this.hedge !== null || this.inFlight !== 1) return;
    const ei = this.up.balancer.pick(this.key, first.endpoint);
    if (ei < 0 || ei === first.endpoint) return; // no other endpoint to ask
    const budget = this.route.hedgeBudget!;
    if (!budget.tryHedge()) return;
    const h = this.newAttempt(ei, performance.now(), true);
    this.hedge = h;
    this.send(h);
  }

  private newAttempt(ei: number, now: number, isHedge: boolean): Attempt {
    return new Attempt(this.req, now, this.deadline, this.deps.sink, this.up.plan.name, ei, this.started + 1, isHedge);
  }

  /** The headers for an attempt to endpoint ei; later attempts get a copy with the budget left now. */
  private headersFor(ei: number, later: boolean): string[] {
    const out = this.out;
    const h = later ? out.headers.slice() : out.headers;
    h[1] = this.up.plan.endpoints[ei]!.authority;
    if (later && out.budgetIndex >= 0) h[out.budgetIndex] = String(Math.max(1, Math.floor(out.budgetAt - performance.now())));
    return h;
  }

  /** Starts an attempt: watched, counted by the balancer, sent. Pair with undispatch() in a finally. */
  dispatch(a: Attempt): Promise<UpstreamResult> {
    const up = this.up;
    const endpoint: EndpointPlan = up.plan.endpoints[a.endpoint]!;
    const headers = this.headersFor(a.endpoint, a.number > 1 || a.isHedge);
    this.deps.watch.add(a);
    up.balancer.start(a.endpoint);
    return this.deps.client.send(endpoint, up.plan, {
      method: this.out.method,
      target: this.out.target,
      headers,
      body: this.out.body,
      bodyLength: this.out.bodyLength,
      cancel: a,
      bufferBody: this.out.bufferBody,
    });
  }

  /** Always after dispatch(), even when send() threw: a leaked balancer slot would make P2C shun the endpoint forever. */
  undispatch(a: Attempt): void {
    this.up.balancer.finish(a.endpoint);
    this.deps.watch.remove(a);
    a.done = true;
  }

  /** One attempt of the race; never rejects (a client bug becomes a KEEL_INTERNAL failure). */
  private async sendOnce(a: Attempt): Promise<UpstreamResult> {
    try {
      return await this.dispatch(a);
    } catch (err) {
      return internalFailure(err);
    } finally {
      this.undispatch(a);
    }
  }

  /** Race path: send, then decide when it completes. */
  private send(a: Attempt): void {
    this.started++;
    this.inFlight++;
    void this.sendOnce(a).then((r) => this.completed(a, r));
  }

  private completed(a: Attempt, r: UpstreamResult): void {
    this.inFlight--;
    this.report(a, r);
    if (this.settled) {
      discard(r); // a loser that answered anyway
      return;
    }
    const outcome = retryOutcome(r);
    const retryable = outcome !== null && (r.ok ? this.route.plan.retry?.onStatus.includes(r.response.status) === true : true);
    if (r.ok && !retryable) return this.settle(a, r);
    // A failure (or a status to retry): another attempt still out may yet answer.
    if (this.inFlight > 0) {
      discard(r);
      return;
    }
    if (outcome !== null && this.mayRetry(outcome)) {
      const ei = this.up.balancer.pick(this.key, a.endpoint);
      if (ei >= 0) {
        discard(r);
        this.up.retriesByReason[RETRY_REASONS.indexOf(outcome.kind)]!++;
        const next = this.newAttempt(ei, performance.now(), false);
        this.send(next);
        return;
      }
    }
    this.settle(a, r);
  }

  /** The policy says yes, the budget has a token, and the deadline leaves room for an attempt. */
  private mayRetry(outcome: AttemptFailure): boolean {
    const plan = this.route.plan.retry;
    if (plan === null || this.out.body !== null) return false;
    if (!shouldRetry(plan, this.out.method, outcome, this.started)) return false;
    const now = performance.now();
    // Never start an attempt the remaining time cannot cover: at least the route's recent median.
    const typical = this.route.latency?.lastPercentileMs ?? NaN;
    if (now + Math.max(1, Number.isNaN(typical) ? 0 : typical) >= this.deadline) {
      this.up.retriesSkippedForDeadline++;
      return false;
    }
    return this.up.retryBudget.tryRetry(now);
  }

  private settle(a: Attempt, r: UpstreamResult): void {
    this.settled = true;
    this.deps.hedgeTimer.cancel(this);
    // The other attempt, if still out, lost: cancel it (the backend sees the connection close).
    const other = a === this.first ? this.hedge : this.first;
    if (other !== null && !other.done) other.cancel("KEEL_CLIENT_CLOSED");
    const budget = this.route.hedgeBudget;
    if (budget !== null && this.hedge !== null) {
      if (a === this.hedge && r.ok) budget.onHedgeWon();
      else budget.onHedgeLost();
    }
    this.recordWinner(r);
    const resolve = this.resolve!;
    this.resolve = null;
    resolve(r.ok ? { ok: true, response: r.response, endpoint: a.endpoint } : { ok: false, failure: r.failure, endpoint: a.endpoint });
  }

  /** The answer's latency feeds the route's window (hedge threshold, retry room). */
  private recordWinner(r: UpstreamResult): void {
    if (!r.ok) return;
    const lat = this.route.latency;
    if (lat !== null) {
      const now = performance.now();
      lat.record((now - this.requestStart) * 1000, now);
    }
  }

  /** Health, breaker and per-endpoint latency learn from every attempt. */
  private report(a: Attempt, r: UpstreamResult): void {
    const up = this.up;
    const now = performance.now();
    const failed = r.ok ? r.response.status >= 500 : isEndpointFailure(r.failure.code) && a.reason !== "KEEL_CLIENT_CLOSED";
    const neutral = !r.ok && !failed;
    if (!neutral) {
      if (failed) up.health.reportFailure(a.endpoint, now);
      else up.health.reportSuccess(a.endpoint, now);
      if (up.breaker !== null) {
        if (failed) up.breaker.onFailure(now, this.breakerGen);
        else up.breaker.onSuccess(now, this.breakerGen);
      }
    }
    if (r.ok) up.endpointLatency[a.endpoint]!.record((now - a.startedAt) * 1000);
  }
}

/** A throwing or rejecting client: logged by the caller as KEEL_INTERNAL. */
export function internalFailure(err: unknown): UpstreamResult {
  return { ok: false, failure: { code: "KEEL_INTERNAL", detail: `upstream client error: ${(err as Error)?.message ?? String(err)}` } };
}

/** Drops a response nobody will read (a retried status, a lost race): its stream is cancelled. */
function discard(r: UpstreamResult): void {
  if (r.ok && r.response.body instanceof ReadableStream) void r.response.body.cancel().catch(() => {});
}
