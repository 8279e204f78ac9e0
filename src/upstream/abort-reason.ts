// Why an upstream exchange was aborted: the route timeout (the pipeline aborts with
// TIMEOUT_REASON) or the client leaving (anything else).

import type { ErrorCode } from "../errors.ts";

export const TIMEOUT_REASON = Object.freeze({ name: "TimeoutError", code: "KEEL_UPSTREAM_TIMEOUT" as const });

export function abortCode(signal: AbortSignal): ErrorCode {
  const r = signal.reason as { name?: string; code?: string } | undefined;
  return r?.code === "KEEL_UPSTREAM_TIMEOUT" || r?.name === "TimeoutError" ? "KEEL_UPSTREAM_TIMEOUT" : "KEEL_CLIENT_CLOSED";
}
