// RFC 9457 problem+json responses: every error Keel answers with says what (code, title, detail)
// and where (route, upstream, phase, requestId).

import { ERRORS, type ErrorCode } from "../errors.ts";

export type Phase = "accept" | "normalize" | "route" | "admit" | "upstream" | "respond" | "internal";

export interface ProblemContext {
  readonly requestId: string;
  readonly requestIdHeader: string;
  readonly route: string | null;
  readonly upstream: string | null;
  readonly phase: Phase;
}

export function problemBody(code: ErrorCode, detail: string, ctx: ProblemContext): Record<string, unknown> {
  const spec = ERRORS[code];
  return {
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

export function problemResponse(code: ErrorCode, detail: string, ctx: ProblemContext): Response {
  const status = ERRORS[code].status;
  return new Response(JSON.stringify(problemBody(code, detail, ctx)), {
    status,
    headers: {
      "content-type": "application/problem+json",
      "cache-control": "no-store",
      [ctx.requestIdHeader]: ctx.requestId,
    },
  });
}
