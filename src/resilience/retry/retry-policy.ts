// Whether a failed attempt may be tried again, by the route's RetryPlan. Pure: the budget
// (RetryBudget) is asked separately, and only once this says yes, so a refusal here spends nothing.
//
// Rules:
//  - never past plan.attempts attempts in all (attempt counts from 1, the first);
//  - a connect failure (no byte of the request reached the upstream: TCP connect or handshake
//    failed) is retried when onConnectFailure, whatever the method: the upstream saw nothing, so
//    even a POST cannot run twice (Finagle's and Envoy's rule too);
//  - a reset or close before any response byte is retried when onReset, and a status in onStatus
//    when listed; both only for idempotent methods unless allMethods, since the upstream may have
//    acted on the request;
//  - a reset after response bytes arrived is never retried: the caller does not ask (part of the
//    response may already be on its way to the client).

import type { RetryPlan } from "../types.ts";

export type AttemptFailure =
  | { readonly kind: "connect-failure" }
  | { readonly kind: "reset" }
  | { readonly kind: "status"; readonly status: number };

/**
 * RFC 9110 §9.2.2: GET, HEAD, OPTIONS, TRACE, PUT and DELETE. Methods are case-sensitive (§9.1);
 * Bun's Request already upper-cases the standard ones, so "get" is some other method.
 */
export function isIdempotent(method: string): boolean {
  switch (method) {
    case "GET":
    case "HEAD":
    case "OPTIONS":
    case "TRACE":
    case "PUT":
    case "DELETE":
      return true;
    default:
      return false;
  }
}

/** May the attempt number `attempt` (1 = the first), which failed with `outcome`, be retried? */
export function shouldRetry(plan: RetryPlan, method: string, outcome: AttemptFailure, attempt: number): boolean {
  if (!(attempt < plan.attempts)) return false;
  switch (outcome.kind) {
    case "connect-failure":
      return plan.onConnectFailure;
    case "reset":
      return plan.onReset && (plan.allMethods || isIdempotent(method));
    case "status":
      return plan.onStatus.includes(outcome.status) && (plan.allMethods || isIdempotent(method));
  }
}
