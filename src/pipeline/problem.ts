// RFC 9457 problem+json responses: every error Keel answers with says what (code, title, detail)
// and where (route, upstream, phase, requestId).

import { ERRORS, type ErrorCode } from "../errors.ts";

export type Phase = "accept" | "normalize" | "route" | "admit" | "upstream" | "respond" | "internal" | "admin";

export interface ProblemContext {
  /** null outside the request path (the admin listener has no request ids). */
  readonly requestId: string | null;
  readonly requestIdHeader: string | null;
  readonly route: string | null;
  readonly upstream: string | null;
  readonly phase: Phase;
}

/** `fields` are extension members (RFC 9457 §3.2), e.g. the list of validation errors. */
export function problemBody(code: ErrorCode, detail: string, ctx: ProblemContext, fields?: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const spec = ERRORS[code];
  return {
    ...fields,
    type: `urn:keel:error:${code}`,
    title: spec.title,
    status: spec.status,
    detail,
    code,
    route: ctx.route,
    upstream: ctx.upstream,
    phase: ctx.phase,
    requestId: ctx.requestId,
  };
}

/** `extra` carries fields a limit adds (Retry-After, RateLimit, RateLimit-Policy). */
export function problemResponse(code: ErrorCode, detail: string, ctx: ProblemContext, extra?: Record<string, string>, fields?: Readonly<Record<string, unknown>>): Response {
  const status = ERRORS[code].status;
  const headers: Record<string, string> = { "content-type": "application/problem+json", "cache-control": "no-store", ...extra };
  if (ctx.requestIdHeader !== null && ctx.requestId !== null) headers[ctx.requestIdHeader] = ctx.requestId;
  return new Response(JSON.stringify(problemBody(code, detail, ctx, fields)), { status, headers });
}
