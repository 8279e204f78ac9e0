// The life of a request (docs/lifecycle.md): accept → normalise → route → admit → upstream →
// respond → log. Each phase returns a value or a typed failure; a stray throw becomes a 500
// KEEL_INTERNAL here, never a crashed process.

import type { Server } from "bun";
import type { ErrorCode } from "../errors.ts";
import { clientIp } from "../limits/client-ip.ts";
import type { ConcurrencyLimiter } from "../limits/concurrency/concurrency-limiter.ts";
import type { KeyInput } from "../limits/rate/limit-key.ts";
import type { GatewayMetrics } from "../observe/gateway-metrics.ts";
import type { UpstreamClient, UpstreamResponse, UpstreamResult } from "../upstream/client.ts";
import { waitForSlot } from "./admit-concurrency.ts";
import { BUDGET_HEADER } from "./budget.ts";
import { ExchangeWatch } from "./exchange-watch.ts";
import { HedgeTimer } from "./hedge-timer.ts";
import { internalFailure, UpstreamAttempts, type AttemptDeps, type AttemptsOutcome } from "./upstream-attempts.ts";
import type { InFlightCap } from "../resilience/breaker/in-flight-cap.ts";
import { forwardHeaders, plainIp } from "./forward-headers.ts";
import type { GatewayRuntime, RouteRuntime, UpstreamRuntime } from "./gateway-runtime.ts";
import { headerLimitExceeded } from "./header-limits.ts";
import { problemResponse, type Phase } from "./problem.ts";
import { acceptableRequestId, newRequestId } from "./request-id.ts";
import { hostName, splitTarget } from "./request-target.ts";
import { UploadGuard } from "./upload-guard.ts";
import { JsonPathMetrics } from "../observe/json-path-metrics.ts";
import { HookMetrics } from "../observe/hook-metrics.ts";
import type { HookReply, HookRequest, HookResponse } from "../hooks/types.ts";
import { FlatHeaders } from "../hooks/flat-headers.ts";
import { serializeJson } from "../normalize/json/body.ts";
import { isRefusal, needsRequestBody, normalizeTarget, prepareRequest, type PreparedBody, type Refusal } from "./normalize-request.ts";
import { finalBody, normalizeResponse, readsResponseBody, type ReadBound } from "./normalize-response.ts";
import { removeField } from "../normalize/headers/flat-fields.ts";
import { hookRequest, replyResponse, runOnRequest, runOnResponse } from "./route-hooks.ts";
import { aggregateCaller } from "./aggregate-call.ts";
import { DEFAULT_JSON_LIMITS } from "../config/compile-normalize.ts";
import type { ResponseParts } from "./normalize-response.ts";
import type { AccessLog } from "../observe/access-log/access-log.ts";
import { accessLine } from "../observe/access-log/access-line.ts";

export interface HandlerDeps {
  /** The plan in force when a request starts; it keeps that plan to the end (reload-safe). */
  runtime(): GatewayRuntime;
  readonly client: UpstreamClient;
  readonly metrics: GatewayMetrics;
  readonly proto: "http" | "https";
  /** Watches exchanges for timeouts and departed clients; one per gateway (tests may pass their own). */
  readonly watch?: ExchangeWatch;
  /** Writes access-log lines when the request's plan has `accessLog` (docs/operations.md). */
  readonly accessLog?: AccessLog;
}

type Handler = (req: Request, server: Server<undefined>) => Response | Promise<Response>;

const EMPTY_PARAMS: Readonly<Record<string, string>> = Object.freeze({});

/** Per-request state the phases share; one object, no closures per request. Also the rate-limit key input. */
class Exchange implements KeyInput {
  /** The route's metrics series, taken when routed (-1: none); see GatewayMetrics.routeSeries. */
  routeSeries = -1;
  /** Route name ("" before routing): the `route` key part. */
  route = "";
  routeRt: RouteRuntime | null = null;
  upstream: UpstreamRuntime | null = null;
  phase: Phase = "normalize";
  params: Readonly<Record<string, string>> = EMPTY_PARAMS;
  /** The Content-Length header as received (read once, in the admit phase). */
  contentLength: string | null = null;
  /** The peer address, then (when a key needs it) the client address through trustedProxies. */
  peer = "";
  clientIp = "";
  /** RateLimit-Policy and RateLimit of a rate-limited route, for the response either way. */
  rateLimitPolicy: string | null = null;
  rateLimit: string | null = null;
  /** Normalised path (what routing saw) and the lower-case host: header-rule templates read them. */
  path = "";
  host = "";
  /** The problem code answered with, if any (the access log reads it). */
  code: string | null = null;
  /** Set only when the plan logs: the phase marks below are then taken (0 = not reached). */
  log: AccessLog | null = null;
  routedAt = 0;
  admittedAt = 0;
  headAt = 0;
  /** Index of the endpoint of the last attempt; -1 = none. */
  endpoint = -1;

  constructor(
    readonly req: Request,
    readonly start: number,
    readonly rt: GatewayRuntime,
    readonly requestId: string,
  ) {}

  header(name: string): string | null {
    return this.req.headers.get(name);
  }

  param(name: string): string | null {
    return this.params[name] ?? null;
  }

  get method(): string {
    return this.req.method;
  }
}

export function createRequestHandler(deps: HandlerDeps): Handler {
  const { client, metrics, proto } = deps;
  const watch = deps.watch ?? new ExchangeWatch();
  const attemptDeps: AttemptDeps = { client, watch, hedgeTimer: new HedgeTimer(), sink: metrics };
  const hookMetrics = new HookMetrics(metrics);
  const jsonPaths = new JsonPathMetrics(metrics);

  function finish(x: Exchange, res: Response): Response {
    const end = performance.now();
    metrics.requestFinished(x.routeSeries, res.status, (end - x.start) * 1000);
    if (x.log !== null) logExchange(x, x.log, res, end);
    return res;
  }

  /** One access-log line (only when the plan logs); the write happens later, off the request path. */
  function logExchange(x: Exchange, log: AccessLog, res: Response, end: number): void {
    if (!log.wants(res.status)) return;
    const length = res.headers.get("content-length");
    const up = x.upstream;
    log.push(
      accessLine({
        requestId: x.requestId,
        method: x.req.method,
        path: x.path !== "" ? x.path : (splitTarget(x.req.url)?.path ?? x.req.url),
        route: x.routeRt === null ? null : x.route,
        upstream: up === null ? null : up.plan.name,
        endpoint: up === null || x.endpoint < 0 ? null : up.plan.endpoints[x.endpoint]!.url,
        status: res.status,
        code: x.code,
        bytes: length === null ? null : Number(length),
        clientIp: x.peer === "" ? null : x.peer,
        start: x.start,
        routedAt: x.routedAt,
        admittedAt: x.admittedAt,
        headAt: x.headAt,
        end,
      }),
    );
  }

  function fail(x: Exchange, code: ErrorCode, detail: string, retryAfterSeconds = 0, fields?: Readonly<Record<string, unknown>>): Response {
    // A reset mid-body was counted where the body stream failed (exchange-watch's bodyFailed).
    if (x.upstream !== null && code.startsWith("KEEL_UPSTREAM_") && code !== "KEEL_UPSTREAM_RESET_MID_RESPONSE") metrics.upstreamError(x.upstream.plan.name, code);
    metrics.problem(x.routeSeries, code);
    x.code = code;
    let extra: Record<string, string> | undefined;
    if (retryAfterSeconds > 0 || x.rateLimit !== null) {
      extra = {};
      if (retryAfterSeconds > 0) extra["retry-after"] = String(retryAfterSeconds);
      if (x.rateLimit !== null) {
        extra["ratelimit-policy"] = x.rateLimitPolicy!;
        extra["ratelimit"] = x.rateLimit;
      }
    }
    const res = problemResponse(
      code,
      detail,
      {
        requestId: x.requestId,
        requestIdHeader: x.rt.plan.requestId.header,
        route: x.routeRt?.plan.name ?? null,
        upstream: x.upstream?.plan.name ?? null,
        phase: x.phase,
      },
      extra,
      fields,
    );
    return finish(x, res);
  }

  function refuse(x: Exchange, r: Refusal): Response {
    return fail(x, r.code, r.detail, 0, r.fields);
  }

  /** What onRequest said instead of going upstream: its reply, or its failure. */
  function answerReply(x: Exchange, reply: HookReply | Refusal): Response {
    if (isRefusal(reply)) return refuse(x, reply);
    const res = replyResponse(reply, x.rt.plan.requestId.header, x.requestId);
    return res instanceof Response ? finish(x, res) : refuse(x, res);
  }

  /** The normalise phase of a route with rules; then forward() with what it prepared. */
  function forwardWithRules(x: Exchange, path: string, query: string, hostHeader: string | null): Response | Promise<Response> {
    x.phase = "normalize";
    const route = x.routeRt!.plan;
    const t = { path, query };
    const refused = normalizeTarget(route, t);
    if (refused !== null) return refuse(x, refused);
    // Only routes that read the request (body rules, schemas) take the extra async step.
    if (needsRequestBody(route) || route.validator !== null) return prepareThenForward(x, t.path, t.query, hostHeader);
    return forward(x, t.path, t.query, hostHeader, null);
  }

  async function prepareThenForward(x: Exchange, path: string, query: string, hostHeader: string | null): Promise<Response> {
    try {
      const route = x.routeRt!.plan;
      const p = await prepareRequest(x.req, route, query, x.params, x.start + x.rt.plan.server.requestTimeoutMs);
      if (isRefusal(p)) return refuse(x, p);
      if (p.rewrittenBy !== 0) jsonPaths.count(route.name, "request", p.rewrittenBy === 1);
      return await forward(x, path, query, hostHeader, p);
    } catch (err) {
      return internal(x, err);
    }
  }

  /** Rate limits of the route (synchronous: no Redis round trip); null = admitted. */
  function admitRate(x: Exchange, r: RouteRuntime): Response | null {
    const limits = r.rateLimits!;
    const keys = r.keys;
    for (let i = 0; i < keys.length; i++) keys[i] = r.keyOf[i]!(x);
    const ok = limits.admit(keys, performance.now());
    x.rateLimitPolicy = limits.policyHeader;
    x.rateLimit = limits.rateLimitHeader();
    if (ok) return null;
    const policy = limits.rejectingPolicyName();
    if (limits.storeDown()) {
      return fail(x, "KEEL_RATE_LIMIT_STORE_DOWN", `rate-limit policy "${policy}" is shared through Redis, which is unreachable, and fails closed`, 1);
    }
    return fail(x, "KEEL_RATE_LIMITED", `rate-limit policy "${policy}" allows no more requests for this key now`, Math.max(1, limits.retryAfterSeconds()));
  }

  /** Admission by concurrency, then the upstream and respond phases; a throw anywhere becomes a 500. */
  async function forward(x: Exchange, path: string, query: string, hostHeader: string | null, prepared: PreparedBody | null): Promise<Response> {
    let routeSlot: ConcurrencyLimiter | null = null;
    let upstreamSlot: ConcurrencyLimiter | null = null;
    let slotsAt = x.start;
    let ok = false;
    let capTaken: InFlightCap | null = null;
    try {
      const req = x.req;
      const routeRt = x.routeRt!;
      const route = routeRt.plan;
      const up = x.upstream!;
      const budgetAt = route.budgetMs === null ? Infinity : x.start + route.budgetMs;
      const deadline = Math.min(x.start + route.timeoutMs, budgetAt);

      // Concurrency: the route's slot, then the upstream's; queued waits end by the deadline.
      const rc = routeRt.concurrency;
      if (rc !== null) {
        if (!rc.tryAcquire()) {
          const refusal = await waitForSlot(rc, req, deadline);
          if (refusal !== null) return concurrencyRefused(x, refusal, "route", budgetAt);
        }
        routeSlot = rc;
      }
      const uc = up.concurrency;
      if (uc !== null) {
        if (!uc.tryAcquire()) {
          const refusal = await waitForSlot(uc, req, deadline);
          if (refusal !== null) return concurrencyRefused(x, refusal, "upstream", budgetAt);
        }
        upstreamSlot = uc;
      }
      slotsAt = performance.now();
      x.admittedAt = slotsAt;
      // No upstream work starts once the budget is spent (queueing may have spent it).
      if (slotsAt >= budgetAt) {
        return fail(x, "KEEL_BUDGET_EXHAUSTED", `route budget ${route.budgetMs} ms spent before the upstream call (${Math.round(slotsAt - x.start)} ms since accept)`);
      }

      x.phase = "upstream";
      const idHeader = x.rt.plan.requestId.header;
      const headers = forwardHeaders(req.headers, {
        authority: "", // per endpoint, set by the attempts (headers[1])
        clientIp: x.peer,
        proto,
        originalHost: hostHeader ?? "",
        requestIdHeader: idHeader,
        requestId: x.requestId,
      });
      // Rules and hooks of the route (docs/normalize.md); plain routes skip all of it.
      const withRules = route.normalize !== null || route.hooks !== null;
      let hookReq: HookRequest | null = null;
      let bodyBytes = prepared?.bytes ?? null;
      if (withRules) {
        const n = route.normalize;
        if (n !== null && n.requestHeaders !== null) n.requestHeaders.apply(headers, x);
        if (readsResponseBody(route)) removeField(headers, "accept-encoding");
        if (route.hooks !== null) {
          hookReq = hookRequest({ method: req.method, path, query, headers, body: prepared?.json, route: route.name, params: x.params, clientIp: x.clientIp, requestId: x.requestId });
          const reply = await runOnRequest(route.hooks, hookReq, hookMetrics, route.name);
          if (reply !== null) return answerReply(x, reply);
          path = hookReq.path;
          query = hookReq.query;
          // The hook may have changed the body in place or replaced it.
          if (bodyBytes !== null) bodyBytes = serializeJson(hookReq.body);
        }
      }
      if (budgetAt !== Infinity) headers.push(BUDGET_HEADER, String(Math.max(1, Math.floor(budgetAt - slotsAt))));
      const target = (route.stripPrefix !== null ? stripPrefix(path, route.stripPrefix) : path) + query;
      const lengthHeader = x.contentLength;
      const cap = up.inFlightCap;
      if (cap !== null && !cap.tryStart()) {
        return fail(x, "KEEL_CIRCUIT_OVERFLOW", `upstream "${up.plan.name}" has ${cap.inFlight} requests in flight (breaker.maxInFlight ${cap.max})`, 1);
      }
      capTaken = cap;
      const attempts = new UpstreamAttempts(
        attemptDeps,
        req,
        routeRt,
        up,
        { method: req.method, target, headers, body: null, bodyLength: 0, budgetIndex: budgetAt === Infinity ? -1 : headers.length - 1, budgetAt, bufferBody: route.normalize?.responseJson?.limits.maxBytes ?? 0 },
        routeRt.hashKeyOf === null ? "" : routeRt.hashKeyOf(x),
        x.start,
        deadline,
      );
      const refused = attempts.begin(slotsAt);
      if (refused !== null) return fail(x, refused.code, refused.detail, 1);
      // The body goes with the first attempt only (it streams once), counted by the upload guard.
      let upload: UploadGuard | null = null;
      if (prepared !== null && prepared.consumed) {
        // Read (and perhaps rewritten) in the normalise phase: sent as bytes.
        if (bodyBytes !== null) {
          attempts.outgoing.body = bytesStream(bodyBytes);
          attempts.outgoing.bodyLength = bodyBytes.length;
        }
      } else if (req.body !== null) {
        const first = attempts.firstAttempt!;
        const outgoing = attempts.outgoing;
        upload = new UploadGuard(route.maxRequestBodyBytes, first);
        outgoing.body = upload.wrap(req.body);
        outgoing.bodyLength = lengthHeader === null ? -1 : Number(lengthHeader);
        first.uploadDeadline = x.start + x.rt.plan.server.requestTimeoutMs;
      }
      let result: AttemptsOutcome;
      if (attempts.isSingle) {
        // The common case, kept to one await: no retry, no hedge.
        const first = attempts.firstAttempt!;
        let r: UpstreamResult;
        try {
          r = await attempts.dispatch(first);
        } catch (err) {
          r = internalFailure(err);
        } finally {
          attempts.undispatch(first);
        }
        result = attempts.single(first, r);
      } else {
        result = await attempts.run();
      }
      if (x.log !== null) {
        x.endpoint = result.endpoint;
        if (result.ok) x.headAt = performance.now();
      }

      if (!result.ok) {
        const f = result.failure;
        if (upload !== null && upload.tooLarge) {
          return fail(x, "KEEL_REQUEST_BODY_TOO_LARGE", `request body over ${route.maxRequestBodyBytes} bytes (cut off after ${upload.received} bytes)`);
        }
        if (attempts.firstAttempt!.uploadTimedOut) {
          return fail(x, "KEEL_REQUEST_TIMEOUT", `request body not received within ${x.rt.plan.server.requestTimeoutMs} ms (${upload?.received ?? 0} bytes arrived)`);
        }
        if (f.code === "KEEL_INTERNAL") return internal(x, f.detail);
        // A body buffered for JSON rules broke off after the head: the response phase failed.
        if (f.code === "KEEL_UPSTREAM_RESET_MID_RESPONSE") x.phase = "respond";
        if (f.code === "KEEL_UPSTREAM_TIMEOUT" && deadline === budgetAt) {
          return fail(x, "KEEL_BUDGET_EXHAUSTED", `route budget ${route.budgetMs} ms ran out waiting for the upstream`);
        }
        const detail = f.code === "KEEL_UPSTREAM_TIMEOUT" ? `${f.detail} (route timeout ${route.timeoutMs} ms)` : f.detail;
        return fail(x, f.code, detail);
      }
      x.phase = "respond";
      const r = result.response;
      ok = r.status < 500;
      if (withRules) {
        const answer = respondWithRules(x, r, hookReq, { req, deadline, byBudget: deadline === budgetAt, route });
        // Awaited only when it is a promise (a body to rewrite, a hook): headers-only rules stay synchronous.
        return answer instanceof Promise ? await answer : answer;
      }
      return respond(x, r.status, r.headers, r.body);
    } catch (err) {
      return internal(x, err);
    } finally {
      capTaken?.finish();
      // Every slot taken is given back on every exit (at the response head: see docs/limits.md).
      if (routeSlot !== null || upstreamSlot !== null) {
        const latency = performance.now() - slotsAt;
        if (routeSlot !== null) routeSlot.release(latency, ok);
        if (upstreamSlot !== null) upstreamSlot.release(latency, ok);
      }
    }
  }

  /** The respond phase of a route with rules: envelope or JSON rules, the onResponse hook, header rules. */
  function respondWithRules(x: Exchange, r: UpstreamResponse, hookReq: HookRequest | null, bound: ReadBound): Response | Promise<Response> {
    const route = x.routeRt!.plan;
    const parts = normalizeResponse(r, route, { route: route.name, upstream: x.upstream!.plan.name, requestId: x.requestId }, bound);
    if (parts instanceof Promise) return parts.then((p) => afterRules(x, p, hookReq));
    return afterRules(x, parts, hookReq);
  }

  function afterRules(x: Exchange, parts: ResponseParts | Refusal, hookReq: HookRequest | null): Response | Promise<Response> {
    if (isRefusal(parts)) return refuse(x, parts);
    if (parts.rewrittenBy !== 0) jsonPaths.count(x.routeRt!.plan.name, "response", parts.rewrittenBy === 1);
    if (parts.enveloped) {
      metrics.problem(x.routeSeries, "KEEL_UPSTREAM_ERROR_RESPONSE");
      x.code = "KEEL_UPSTREAM_ERROR_RESPONSE";
    }
    const hooks = x.routeRt!.plan.hooks;
    if (hooks !== null && hooks.module.onResponse !== undefined) return deliver(x, parts, hookReq);
    return build(x, parts);
  }

  /** The onResponse hook, the header rules, then the Response. */
  async function deliver(x: Exchange, parts: ResponseParts, hookReq: HookRequest | null): Promise<Response> {
    const route = x.routeRt!.plan;
    const hooks = route.hooks;
    if (hooks !== null && hooks.module.onResponse !== undefined) {
      const res: HookResponse = { status: parts.status, headers: new FlatHeaders(parts.headers), body: parts.hasJson ? parts.json : undefined };
      const refused = await runOnResponse(hooks, res, hookReq!, hookMetrics, route.name);
      if (refused !== null) {
        if (parts.body instanceof ReadableStream) void parts.body.cancel().catch(() => {});
        return refuse(x, refused);
      }
      parts.status = res.status;
      if (parts.hasJson || res.body !== undefined) {
        // A body the hook set replaces a streamed one.
        if (!parts.hasJson) {
          if (parts.body instanceof ReadableStream) void parts.body.cancel().catch(() => {});
          removeField(parts.headers, "content-encoding");
          removeField(parts.headers, "content-type");
          parts.headers.push("content-type", "application/json");
        }
        parts.json = res.body;
        parts.hasJson = true;
      }
    }
    return build(x, parts);
  }

  /** The header rules, then the Response. */
  function build(x: Exchange, parts: ResponseParts): Response {
    const route = x.routeRt!.plan;
    const payload = finalBody(parts);
    const n = route.normalize;
    if (n !== null && n.responseHeaders !== null) n.responseHeaders.apply(parts.headers, x);
    return respond(x, parts.status, parts.headers, payload);
  }

  /** The client's response: the upstream's (or rewritten) fields, the request id, the RateLimit fields. */
  function respond(x: Exchange, status: number, h: readonly string[], body: string | Uint8Array | ReadableStream<Uint8Array> | null): Response {
    const out = new Headers();
    let typed = false;
    for (let i = 0; i < h.length; i += 2) {
      const name = h[i]!;
      if (name === "content-type") typed = true;
      out.append(name, h[i + 1]!);
    }
    out.set(x.rt.plan.requestId.header, x.requestId);
    if (x.rateLimit !== null) {
      out.set("ratelimit-policy", x.rateLimitPolicy!);
      out.set("ratelimit", x.rateLimit);
    }
    // Bun.serve labels a byte body without Content-Type "application/octet-stream"; a stream it leaves alone.
    const payload = typed || !(body instanceof Uint8Array) ? body : bytesStream(body);
    return finish(x, new Response(payload, { status, headers: out }));
  }

  /** An aggregating route: its calls in parallel within the deadline, merged, then the response rules. */
  async function aggregate(x: Exchange, path: string, query: string, hostHeader: string | null): Promise<Response> {
    try {
      x.phase = "normalize";
      const routeRt = x.routeRt!;
      const route = routeRt.plan;
      const t = { path, query };
      const refused = normalizeTarget(route, t);
      if (refused !== null) return refuse(x, refused);
      if (route.validator !== null) {
        const p = await prepareRequest(x.req, route, t.query, x.params, x.start + x.rt.plan.server.requestTimeoutMs);
        if (isRefusal(p)) return refuse(x, p);
      }
      x.phase = "upstream";
      if (x.log !== null) x.admittedAt = performance.now();
      const budgetAt = route.budgetMs === null ? Infinity : x.start + route.budgetMs;
      const deadline = Math.min(x.start + route.timeoutMs, budgetAt);
      const headers = forwardHeaders(x.req.headers, {
        authority: "",
        clientIp: x.peer,
        proto,
        originalHost: hostHeader ?? "",
        requestIdHeader: x.rt.plan.requestId.header,
        requestId: x.requestId,
      });
      // The calls are GETs: the client's body framing and encoding wishes are not theirs.
      removeField(headers, "content-type");
      removeField(headers, "accept-encoding");
      const n = route.normalize;
      if (n !== null && n.requestHeaders !== null) n.requestHeaders.apply(headers, x);
      let hookReq: HookRequest | null = null;
      if (route.hooks !== null) {
        hookReq = hookRequest({ method: x.req.method, path: t.path, query: t.query, headers, body: undefined, route: route.name, params: x.params, clientIp: x.clientIp, requestId: x.requestId });
        const reply = await runOnRequest(route.hooks, hookReq, hookMetrics, route.name);
        if (reply !== null) return answerReply(x, reply);
      }
      // Caps on each call's body: the response JSON rules', else the defaults.
      const limits = n?.responseJson?.limits ?? DEFAULT_JSON_LIMITS;
      const call = aggregateCaller({ deps: attemptDeps, req: x.req, route: routeRt, rt: x.rt, headers, start: x.start, deadline, budgetAt, limits });
      const outcome = await route.aggregate!.run(x.params, call);
      if (!outcome.ok) {
        const list = outcome.errors.map((e) => `${e.call}: ${e.code}${e.status === undefined ? "" : ` (${e.status})`}`).join("; ");
        if (performance.now() >= budgetAt) return fail(x, "KEEL_BUDGET_EXHAUSTED", `route budget ${route.budgetMs} ms ran out during the aggregate calls (${list})`, 0, { errors: outcome.errors });
        return fail(x, "KEEL_AGGREGATE_FAILED", `${outcome.errors.length} call${outcome.errors.length === 1 ? "" : "s"} failed: ${list}`, 0, { errors: outcome.errors });
      }
      x.phase = "respond";
      if (x.log !== null) x.headAt = performance.now();
      let json = outcome.body;
      if (n !== null && n.responseJson !== null) {
        const out = n.responseJson.transform(json);
        if (!out.ok) return fail(x, "KEEL_UPSTREAM_JSON_RULE_FAILED", `merged body ${out.error.pointer || "/"}: ${out.error.message}`, 0, { pointer: out.error.pointer });
        json = out.value;
        jsonPaths.count(route.name, "response", false); // a merged body is a value already
      }
      return await deliver(x, { status: 200, headers: ["content-type", "application/json"], body: null, json, hasJson: true, enveloped: false, rewrittenBy: 0 }, hookReq);
    } catch (err) {
      return internal(x, err);
    }
  }

  function concurrencyRefused(x: Exchange, refusal: "full" | "timeout" | "shed" | "cancelled", which: "route" | "upstream", budgetAt: number): Response {
    const name = which === "route" ? x.routeRt!.plan.name : x.upstream!.plan.name;
    const limiter = which === "route" ? x.routeRt!.concurrency! : x.upstream!.concurrency!;
    if (refusal === "cancelled") return fail(x, "KEEL_CLIENT_CLOSED", `the client left while waiting for a ${which} concurrency slot`);
    if (refusal === "full") return fail(x, "KEEL_CONCURRENCY_LIMITED", `${which} "${name}" has ${limiter.inFlight} requests in flight (limit ${limiter.limit}) and its queue is full`, 1);
    if (performance.now() >= budgetAt) return fail(x, "KEEL_BUDGET_EXHAUSTED", `route budget ${x.routeRt!.plan.budgetMs} ms ran out waiting for a ${which} concurrency slot`);
    const why = refusal === "shed" ? "the queue is standing (CoDel target exceeded)" : "waited the whole queue timeout";
    return fail(x, "KEEL_QUEUE_TIMEOUT", `no ${which} concurrency slot for "${name}": ${why}`, 1);
  }

  return function handle(req, server) {
    const rt = deps.runtime();
    const plan = rt.plan;
    metrics.requestStarted();
    const incoming = plan.requestId.trustIncoming ? req.headers.get(plan.requestId.header) : null;
    const x = new Exchange(req, performance.now(), rt, acceptableRequestId(incoming) ? incoming : newRequestId());
    // The access log's only cost when off: this check (the marks below test x.log).
    if (plan.accessLog !== null && deps.accessLog !== undefined) {
      x.log = deps.accessLog;
      x.peer = plainIp(server.requestIP(req)?.address);
    }
    try {
      // Load shedding first: an overloaded gateway spends nothing more on a new request.
      const shedding = plan.server.shedding;
      if (rt.overload.lagging) {
        return fail(x, "KEEL_OVERLOADED", `event-loop lag over ${shedding.maxEventLoopLagMs} ms; new requests are shed`, 1);
      }
      if (shedding.maxInFlight > 0 && metrics.inFlight > shedding.maxInFlight) {
        return fail(x, "KEEL_OVERLOADED", `more than ${shedding.maxInFlight} requests in flight; new requests are shed`, 1);
      }
      const hostHeader = req.headers.get("host");
      // RFC 9112 §3.2: a request with more than one Host line gets a 400. Bun accepts them, builds
      // req.url from the first and joins the values with ", " in req.headers, so without this check
      // routing and X-Forwarded-Host would each see a different Host than the URL does.
      if (hostHeader !== null && hostHeader.includes(",")) {
        return fail(x, "KEEL_BAD_REQUEST_TARGET", `more than one Host header (${hostHeader})`);
      }
      const target = splitTarget(req.url);
      if (target === null || req.method === "CONNECT") {
        // Bun leaves req.url relative ("/x") when the Host header is not a valid host[:port].
        const why = req.method !== "CONNECT" && req.url.startsWith("/") ? `invalid Host header (${hostHeader ?? "absent"})` : "only origin-form requests to configured routes are proxied";
        return fail(x, "KEEL_BAD_REQUEST_TARGET", `${req.method} ${req.url}: ${why}`);
      }
      const targetLength = target.path.length + target.query.length;
      if (targetLength > plan.server.maxUrlLength) {
        return fail(x, "KEEL_URI_TOO_LONG", `request target is ${targetLength} bytes; server.maxUrlLength is ${plan.server.maxUrlLength}`);
      }
      if (plan.server.maxHeaderCount !== null || plan.server.maxHeaderBytes !== null) {
        const why = headerLimitExceeded(req.headers, plan.server.maxHeaderCount, plan.server.maxHeaderBytes);
        if (why !== null) return fail(x, "KEEL_REQUEST_HEADERS_TOO_LARGE", why);
      }
      // RFC 3986 normalisation before routing: dot segments (in any encoding), percent-encoding.
      const path = plan.server.normalizePath(target.path);
      if (typeof path !== "string") return fail(x, "KEEL_BAD_PATH", `path ${target.path}: ${path.detail}`);
      x.phase = "route";
      const host = hostName(hostHeader);
      const m = rt.router.match({ method: req.method, host, path, headers: req.headers });
      if (m === null) {
        return fail(x, "KEEL_ROUTE_NOT_FOUND", `no route matches ${req.method} ${host}${path}`);
      }
      x.path = path;
      x.host = host;
      if (x.log !== null) x.routedAt = performance.now();
      const routeRt = rt.routes[m.route.index]!;
      x.routeRt = routeRt;
      x.route = m.route.name;
      x.routeSeries = metrics.routeSeries(m.route.index);
      x.params = m.params;
      x.upstream = rt.upstreamOfRoute[m.route.index]!;

      x.phase = "admit";
      let lengthHeader = req.headers.get("content-length");
      // Repeated Content-Length lines reach us joined ("3, 3"): Bun refuses them unless they agree,
      // and RFC 9110 §8.6 lets one value stand for the list (as a list, Number() would give NaN).
      if (lengthHeader !== null && lengthHeader.includes(",")) lengthHeader = lengthHeader.slice(0, lengthHeader.indexOf(",")).trim();
      x.contentLength = lengthHeader;
      if (lengthHeader !== null && Number(lengthHeader) > m.route.maxRequestBodyBytes) {
        return fail(x, "KEEL_REQUEST_BODY_TOO_LARGE", `Content-Length ${lengthHeader} is over the route's limit of ${m.route.maxRequestBodyBytes} bytes`);
      }
      x.peer = plainIp(server.requestIP(req)?.address);
      if (routeRt.rateLimits !== null) {
        if (routeRt.needsClientIp) x.clientIp = clientIp(x.peer, req.headers.get("x-forwarded-for"), rt.trustedProxies);
        const refused = admitRate(x, routeRt);
        if (refused !== null) return refused;
      }
      const route = m.route;
      if (route.normalize === null && route.validator === null && route.hooks === null && route.aggregate === null) {
        return forward(x, path, target.query, hostHeader, null);
      }
      // Header templates and hooks may read the client IP.
      const n = route.normalize;
      if (x.clientIp === "" && (route.hooks !== null || (n !== null && (n.requestHeaders?.usesFacts || n.responseHeaders?.usesFacts)))) {
        x.clientIp = clientIp(x.peer, req.headers.get("x-forwarded-for"), rt.trustedProxies);
      }
      if (route.aggregate !== null) return aggregate(x, path, target.query, hostHeader);
      return forwardWithRules(x, path, target.query, hostHeader);
    } catch (err) {
      return internal(x, err);
    }
  };

  function internal(x: Exchange, err: unknown): Response {
    console.error(`keel: internal error in phase ${x.phase} (request ${x.requestId}):`, err);
    return fail(x, "KEEL_INTERNAL", `internal error in phase ${x.phase}; see the gateway log for request ${x.requestId}`);
  }
}

function bytesStream(bytes: Uint8Array): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(c) {
      c.enqueue(bytes);
      c.close();
    },
  });
}

function stripPrefix(path: string, prefix: string): string {
  const rest = path.slice(prefix.length);
  return rest.startsWith("/") ? rest : "/" + rest;
}
