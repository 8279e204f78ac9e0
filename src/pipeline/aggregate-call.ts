// One call of an aggregating route (docs/normalize.md, "Aggregation"): a GET to an upstream path
// through the same machinery as a proxied request (breaker, balancer, health, the request's
// deadline and cancellation), then its JSON body read up to the cap. Never throws.

import type { CallFn, CallResult } from "../aggregate/compile-aggregate.ts";
import { parseJsonBody, readBody, type JsonLimits } from "../normalize/json/body.ts";
import { BUDGET_HEADER } from "./budget.ts";
import { decodeContent } from "./decode-body.ts";
import { readStop } from "./read-stop.ts";
import type { GatewayRuntime, RouteRuntime } from "./gateway-runtime.ts";
import { firstField } from "../normalize/headers/flat-fields.ts";
import { UpstreamAttempts, type AttemptDeps } from "./upstream-attempts.ts";

export interface AggregateCallContext {
  readonly deps: AttemptDeps;
  readonly req: Request;
  readonly route: RouteRuntime;
  readonly rt: GatewayRuntime;
  /** Forwarded headers of the client request (host at [0]/[1]); each call takes a copy. */
  readonly headers: readonly string[];
  readonly start: number;
  readonly deadline: number;
  /** End of the route budget (Infinity = none): the remaining ms go in x-keel-budget-ms. */
  readonly budgetAt: number;
  readonly limits: JsonLimits;
}

export function aggregateCaller(c: AggregateCallContext): CallFn {
  return async (name, upstream, target): Promise<CallResult> => {
    const up = c.rt.upstreams.find((u) => u.plan.name === upstream);
    if (up === undefined) return { ok: false, code: "KEEL_INTERNAL", detail: `call ${name}: no upstream "${upstream}" in the running plan` };
    const headers = c.headers.slice();
    let budgetIndex = -1;
    if (c.budgetAt !== Infinity) {
      headers.push(BUDGET_HEADER, String(Math.max(1, Math.floor(c.budgetAt - performance.now()))));
      budgetIndex = headers.length - 1;
    }
    const attempts = new UpstreamAttempts(c.deps, c.req, c.route, up, { method: "GET", target, headers, body: null, bodyLength: 0, budgetIndex, budgetAt: c.budgetAt, bufferBody: c.limits.maxBytes }, "", c.start, c.deadline);
    const refused = attempts.begin(performance.now());
    if (refused !== null) return { ok: false, code: refused.code, detail: refused.detail };
    const result = await attempts.run();
    if (!result.ok) return { ok: false, code: result.failure.code, detail: result.failure.detail };
    const r = result.response;
    // The call's body must arrive by the deadline too (or the client leaving stops it).
    const stop = readStop(c.req, c.deadline);
    const read = await readBody(r.body, c.limits.maxBytes, stop.signal);
    stop.done();
    if (!read.ok) {
      if (read.reason === "stopped") return { ok: false, status: r.status, code: stop.why() === "client" ? "KEEL_CLIENT_CLOSED" : c.deadline === c.budgetAt ? "KEEL_BUDGET_EXHAUSTED" : "KEEL_UPSTREAM_TIMEOUT", detail: `${upstream} did not send the whole body of GET ${target} in time` };
      if (read.reason === "too-large") return { ok: false, status: r.status, code: "KEEL_UPSTREAM_BODY_TOO_LARGE", detail: `body over ${c.limits.maxBytes} bytes` };
      return { ok: false, status: r.status, code: "KEEL_UPSTREAM_RESET_MID_RESPONSE", detail: "the upstream closed the connection in the middle of the body" };
    }
    if (r.status < 200 || r.status >= 300) return { ok: false, status: r.status, code: "KEEL_UPSTREAM_ERROR_RESPONSE", detail: `${upstream} answered ${r.status} to GET ${target}` };
    const decoded = decodeContent(read.bytes, firstField(r.headers, "content-encoding"), c.limits.maxBytes);
    if (!decoded.ok) return { ok: false, status: r.status, code: decoded.reason === "too-large" ? "KEEL_UPSTREAM_BODY_TOO_LARGE" : "KEEL_UPSTREAM_INVALID_JSON", detail: decoded.message };
    if (decoded.bytes.length === 0) return { ok: true, status: r.status, body: null };
    const parsed = parseJsonBody(decoded.bytes, c.limits);
    if (!parsed.ok) return { ok: false, status: r.status, code: parsed.reason === "too-large" ? "KEEL_UPSTREAM_BODY_TOO_LARGE" : "KEEL_UPSTREAM_INVALID_JSON", detail: parsed.message };
    return { ok: true, status: r.status, body: parsed.value };
  };
}
