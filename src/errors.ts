// Every error Keel can answer with, in one table. docs/errors.md lists each code (a test checks it).
// Responses are RFC 9457 problem+json; see problem() in src/pipeline/problem.ts.

export type ErrorSource = "client" | "upstream" | "gateway";

export interface ErrorSpec {
  readonly status: number;
  readonly source: ErrorSource;
  readonly title: string;
}

export const ERRORS = {
  KEEL_ROUTE_NOT_FOUND: { status: 404, source: "client", title: "No route matches this request" },
  KEEL_BAD_REQUEST_TARGET: { status: 400, source: "client", title: "The request target is not acceptable" },
  KEEL_BAD_PATH: { status: 400, source: "client", title: "The request path is not acceptable" },
  KEEL_BAD_QUERY: { status: 400, source: "client", title: "The query string is not acceptable" },
  KEEL_INVALID_JSON: { status: 400, source: "client", title: "The request body is not acceptable JSON" },
  KEEL_JSON_RULE_FAILED: { status: 400, source: "client", title: "A JSON rule of the route cannot be applied to the request body" },
  KEEL_VALIDATION_FAILED: { status: 400, source: "client", title: "The request does not match the route's schema" },
  KEEL_UNSUPPORTED_MEDIA_TYPE: { status: 415, source: "client", title: "The route takes JSON request bodies only" },
  KEEL_REQUEST_BODY_TOO_LARGE: { status: 413, source: "client", title: "The request body is larger than allowed" },
  KEEL_URI_TOO_LONG: { status: 414, source: "client", title: "The request target is longer than allowed" },
  KEEL_REQUEST_HEADERS_TOO_LARGE: { status: 431, source: "client", title: "The request header fields are larger or more numerous than allowed" },
  KEEL_REQUEST_TIMEOUT: { status: 408, source: "client", title: "The request body did not arrive within the request timeout" },
  KEEL_RATE_LIMITED: { status: 429, source: "client", title: "A rate limit for this request is exhausted" },
  KEEL_RATE_LIMIT_STORE_DOWN: { status: 503, source: "gateway", title: "The shared rate-limit store is unreachable and the policy fails closed" },
  KEEL_CONCURRENCY_LIMITED: { status: 503, source: "gateway", title: "Too many requests in flight and no room to wait" },
  KEEL_QUEUE_TIMEOUT: { status: 503, source: "gateway", title: "The request waited too long for a concurrency slot" },
  KEEL_OVERLOADED: { status: 503, source: "gateway", title: "The gateway is overloaded and sheds new requests" },
  KEEL_BUDGET_EXHAUSTED: { status: 504, source: "gateway", title: "The route's latency budget ran out" },
  KEEL_CLIENT_CLOSED: { status: 499, source: "client", title: "The client closed the connection before the response" },
  KEEL_UPSTREAM_CONNECT_REFUSED: { status: 502, source: "upstream", title: "The upstream refused the connection" },
  KEEL_UPSTREAM_UNREACHABLE: { status: 502, source: "upstream", title: "The upstream could not be reached" },
  KEEL_UPSTREAM_CONNECT_TIMEOUT: { status: 504, source: "upstream", title: "Connecting to the upstream timed out" },
  KEEL_UPSTREAM_RESET: { status: 502, source: "upstream", title: "The upstream closed the connection before a complete response head" },
  KEEL_UPSTREAM_RESET_MID_RESPONSE: { status: 502, source: "upstream", title: "The upstream closed the connection in the middle of the response body" },
  KEEL_UPSTREAM_BAD_RESPONSE: { status: 502, source: "upstream", title: "The upstream sent a malformed HTTP response" },
  KEEL_UPSTREAM_INVALID_JSON: { status: 502, source: "upstream", title: "The upstream's response body is not acceptable JSON" },
  KEEL_UPSTREAM_JSON_RULE_FAILED: { status: 502, source: "upstream", title: "A JSON rule of the route cannot be applied to the upstream's response body" },
  KEEL_UPSTREAM_BODY_TOO_LARGE: { status: 502, source: "upstream", title: "The upstream's response body is larger than the route buffers" },
  KEEL_UPSTREAM_ERROR_RESPONSE: { status: 502, source: "upstream", title: "The upstream answered with an error" },
  KEEL_AGGREGATE_FAILED: { status: 502, source: "upstream", title: "Calls of an aggregating route failed" },
  KEEL_UPSTREAM_TIMEOUT: { status: 504, source: "upstream", title: "The upstream did not answer within the route's timeout" },
  KEEL_NO_HEALTHY_ENDPOINT: { status: 503, source: "upstream", title: "The upstream has no healthy endpoint" },
  KEEL_CIRCUIT_OPEN: { status: 503, source: "upstream", title: "The upstream's circuit breaker is open" },
  KEEL_CIRCUIT_OVERFLOW: { status: 503, source: "upstream", title: "The upstream's in-flight ceiling is reached" },
  KEEL_DRAINING: { status: 503, source: "gateway", title: "The gateway is shutting down" },
  KEEL_HOOK_FAILED: { status: 500, source: "gateway", title: "A hook of the route failed" },
  KEEL_HOOK_TIMEOUT: { status: 500, source: "gateway", title: "A hook of the route did not finish within its timeout" },
  KEEL_INTERNAL: { status: 500, source: "gateway", title: "Internal gateway error" },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;

/** A typed failure a phase returns instead of throwing. */
export interface Failure {
  readonly code: ErrorCode;
  readonly detail: string;
}

export function failure(code: ErrorCode, detail: string): Failure {
  return { code, detail };
}
